using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

public enum BulkAction
{
    Lock,
    Unlock,
    RevokeTokens,
    RetrySync,
}

/// <summary>Which users: the selected ids, or every user matching the filter (when <see cref="SelectedIds"/> is null).</summary>
public sealed record BulkTarget(UserFilter Filter, IReadOnlyCollection<string>? SelectedIds);

/// <summary>What a run would change (<see cref="Affected"/>) and whom it leaves alone, and why.</summary>
public sealed record BulkPreview(int Affected, IReadOnlyList<ActionExclusion> Excluded);

public sealed record BulkOutcome(int Done, int Total, bool Cancelled)
{
    /// <summary>Who the run skipped to keep the actor and the last admins in: the same people the preview named.</summary>
    public IReadOnlyList<ActionExclusion> Excluded { get; init; } = [];
}

/// <summary>
/// Bulk support actions on a selection or on all users matching a filter: a dry-run count first, then batches by id
/// (keyset), each batch one transaction. Cancellation takes effect between batches, so no batch is ever half done.
/// </summary>
public sealed class UserBulkService(IDbContextFactory<PortalDbContext> factory, UserService users, UserAccessService access, UserSyncNotifier notifier, TimeProvider clock, Sessions.PortalSessionService sessions)
{
    public const int DefaultBatchSize = 500;

    public static string Describe(BulkAction action) => action switch
    {
        BulkAction.Lock => "lock",
        BulkAction.Unlock => "unlock",
        BulkAction.RevokeTokens => "revoke the tokens of",
        _ => "retry the sync of",
    };

    /// <summary>How many users the action would change: only those it applies to (locking skips the locked, and so on).</summary>
    public async Task<int> PreviewAsync(BulkAction action, BulkTarget target, CancellationToken cancellationToken = default) =>
        (await PreviewWithExclusionsAsync(action, target, cancellationToken)).Affected;

    /// <summary>The count, and who is left alone: the actor, and the last active admin of a customer or the platform.</summary>
    public async Task<BulkPreview> PreviewWithExclusionsAsync(BulkAction action, BulkTarget target, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var eligible = Eligible(db, action, target);
        int count = await eligible.CountAsync(cancellationToken);
        var excluded = Guard(action) is { } guard ? await AdminSafeguards.ExclusionsAsync(db, guard, eligible, cancellationToken) : [];
        return new BulkPreview(count - excluded.Count, excluded);
    }

    /// <summary>The actions that take access away; unlock and retry-sync never lock anyone out.</summary>
    private static GuardedAction? Guard(BulkAction action) => action switch
    {
        BulkAction.Lock => GuardedAction.Lock,
        BulkAction.RevokeTokens => GuardedAction.RevokeTokens,
        _ => null,
    };

    public async Task<BulkOutcome> RunAsync(BulkAction action, BulkTarget target, IProgress<BulkProgress>? progress = null, CancellationToken cancellationToken = default, int batchSize = DefaultBatchSize)
    {
        int total = await PreviewAsync(action, target, cancellationToken);
        var excluded = new List<ActionExclusion>();
        var plan = Plan(action, target, batchSize, excluded);
        var run = await BulkRunner.RunAsync(factory, total, plan.Batch, progress, cancellationToken, plan.InTransaction, plan.AfterCommit);
        return new BulkOutcome(run.Done, run.Total, run.Cancelled) { Excluded = excluded };
    }

    /// <summary>The batches of a run, in the scope of this service's tenant context; a job (Features/Jobs) runs the same plan.</summary>
    public BulkPlan Plan(BulkAction action, BulkTarget target, int batchSize = DefaultBatchSize, List<ActionExclusion>? excluded = null)
    {
        List<long> endedSessions = []; // the current batch's; batches run one after another
        return new(
            async (db, after) =>
            {
                endedSessions.Clear(); // a retried batch starts again
                var (read, batch, skipped, ended) = await RunBatchAsync(db, action, target, after, batchSize);
                excluded?.AddRange(skipped);
                endedSessions.AddRange(ended);
                return new BulkBatch(read.Count, read.Count > 0 ? read[^1].Id : after, batch.Select(u => u.Id).ToList());
            },
            // Serializable: the last-admin count and the change it allows commit together.
            (db, work) => AdminSafeguards.InGuardedTransactionAsync(db, work, CancellationToken.None),
            changed =>
            {
                foreach (long id in changed)
                {
                    access.Invalidate(id);
                }

                // Committed: this instance refuses the ended sessions' cookies on their very next request.
                sessions.Forget(endedSessions);
                notifier.Changed(changed);
            });
    }

    /// <summary>Reads the next batch by id (keyset), leaves out whom the safeguards exclude, changes and saves the rest.</summary>
    private async Task<(List<User> Read, List<User> Changed, List<ActionExclusion> Excluded, List<long> EndedSessions)> RunBatchAsync(PortalDbContext db, BulkAction action, BulkTarget target, long after, int batchSize)
    {
        // Keyset over ids: each batch reads on from where the last stopped, whatever the batches changed.
        var read = await Eligible(db, action, target).Where(u => u.Id > after).OrderBy(u => u.Id).Take(batchSize).ToListAsync(CancellationToken.None);
        List<ActionExclusion> excluded = [];
        if (read.Count > 0 && Guard(action) is { } guard)
        {
            var ids = read.Select(u => u.Id).ToList();
            excluded = await AdminSafeguards.ExclusionsAsync(db, guard, db.Users.Where(u => ids.Contains(u.Id)), CancellationToken.None);
        }

        var skip = excluded.Select(e => e.UserId).ToHashSet();
        var batch = read.Where(u => !skip.Contains(u.Id.ToString(CultureInfo.InvariantCulture))).ToList();
        DateTime now = clock.GetUtcNow().UtcDateTime;
        foreach (var user in batch)
        {
            Apply(action, user, now);
            db.SetAuditAction(user, "bulk_" + SnakeCaseEnumConverter.ToSnakeCase(action.ToString()));
        }

        // Locked or revoked users' open sessions end in the same transaction as the batch.
        List<long> ended = [];
        if (action is BulkAction.Lock or BulkAction.RevokeTokens && batch.Count > 0)
        {
            ended = await Sessions.PortalSessionService.EndOpenSessionsAsync(db, batch.Select(u => u.Id).ToList(),
                action == BulkAction.Lock ? Sessions.SessionEndReason.Locked : Sessions.SessionEndReason.TokensRevoked, now, CancellationToken.None);
        }

        await db.SaveChangesAsync(CancellationToken.None);
        return (read, batch, excluded, ended);
    }

    private IQueryable<User> Eligible(PortalDbContext db, BulkAction action, BulkTarget target)
    {
        var query = users.Filter(db, target.Filter);
        if (target.SelectedIds is { } selected)
        {
            // Ids from the browser: parsed here, and the tenant filter drops any that are not the circuit's.
            var ids = selected.Select(id => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : 0).Where(id => id != 0).ToList();
            query = db.Users.Where(u => ids.Contains(u.Id));
        }

        return action switch
        {
            BulkAction.Lock => query.Where(u => !u.IsLocked),
            BulkAction.Unlock => query.Where(u => u.IsLocked),
            // Without a linked, enabled provider a retry fails the same way again (SyncReadiness): those are left out.
            BulkAction.RetrySync => query.Where(u => u.SyncStatus == SyncStatus.Failed && db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystem!.IsEnabled)),
            _ => query,
        };
    }

    private static void Apply(BulkAction action, User user, DateTime now)
    {
        switch (action)
        {
            case BulkAction.Lock:
                user.IsLocked = true;
                break;
            case BulkAction.Unlock:
                user.IsLocked = false;
                break;
            case BulkAction.RetrySync:
                user.SyncStatus = SyncStatus.Pending;
                break;
            default:
                user.TokensRevokedAt = now;
                user.RefreshTokenHash = null;
                user.TokenExpiresAt = null;
                break;
        }
    }
}

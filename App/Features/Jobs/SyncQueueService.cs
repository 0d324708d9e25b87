using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Jobs;

/// <summary>One instance working on the sync queue right now: its id (Observability:InstanceId) and how many users it holds.</summary>
public sealed record SyncQueueClaim(string Instance, int Users);

/// <summary>The sync queue as the Jobs page shows it, in the viewer's tenant. Counts stop at <see cref="SyncQueueService.CountCap"/>.</summary>
public sealed record SyncQueueStatus(int Pending, int Claimed, IReadOnlyList<SyncQueueClaim> Claims, int Failed, UserSyncSettings Settings)
{
    public bool IsEmpty => Pending == 0;
}

/// <summary>
/// Reads the user sync queue (UserSyncWorker's claim columns) for the Jobs page: what waits, who holds a round of it
/// now, and what failed. Every read goes through the tenant filter and the tenant's sync index, and is capped, so a
/// platform with millions of users never scans them to draw this.
/// </summary>
public sealed class SyncQueueService(IDbContextFactory<PortalDbContext> factory, IConfiguration configuration, TimeProvider clock)
{
    /// <summary>Counts above this are shown as "10,000+": an exact count would read every pending row.</summary>
    public const int CountCap = 10_000;

    /// <summary>At most this many claimers are listed; a round is one claimer, and there is one round per instance at a time.</summary>
    public const int MaxClaims = 20;

    private readonly UserSyncSettings settings = UserSyncSettings.From(configuration);

    public async Task<SyncQueueStatus> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        // The same "waiting" as the worker's claim: pending, and not an invitation nobody has accepted yet (those have no
        // provider link to verify). The enum constant is inlined as 'pending', which the partial ix_users_sync_queue matches.
        var waiting = db.TenantUsers.AsNoTracking()
            .Where(u => u.SyncStatus == SyncStatus.Pending && (u.InvitedAt == null || u.InvitationAcceptedAt != null));
        int pending = await waiting.Select(u => u.Id).Take(CountCap + 1).CountAsync(cancellationToken);
        var rounds = pending == 0 ? [] : await waiting
            .Where(u => u.SyncClaimedBy != null && u.SyncClaimedUntil > now)
            .GroupBy(u => u.SyncClaimedBy!)
            .Select(g => new { Claim = g.Key, Users = g.Count() })
            .Take(MaxClaims * 4)
            .ToListAsync(cancellationToken);
        int failed = await db.TenantUsers.AsNoTracking().Where(u => u.SyncStatus == SyncStatus.Failed)
            .Select(u => u.Id).Take(CountCap + 1).CountAsync(cancellationToken);

        // A claim is "<instance>#<round>": the page names the instance, not the round.
        var claims = rounds
            .GroupBy(r => InstanceOf(r.Claim), StringComparer.Ordinal)
            .Select(g => new SyncQueueClaim(g.Key, g.Sum(r => r.Users)))
            .OrderByDescending(c => c.Users).ThenBy(c => c.Instance, StringComparer.Ordinal)
            .Take(MaxClaims)
            .ToList();
        return new SyncQueueStatus(pending, rounds.Sum(r => r.Users), claims, failed, settings);
    }

    internal static string InstanceOf(string claim) => claim.LastIndexOf('#') is > 0 and var hash ? claim[..hash] : claim;
}

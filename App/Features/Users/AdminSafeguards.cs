using System.Data;
using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

/// <summary>The actions that can take a person's access away, and so must never lock out the actor or the last admin.</summary>
public enum GuardedAction
{
    Lock,
    Deactivate,
    RevokeTokens,
}

/// <summary>A user an action leaves alone, and why (shown in the bulk preview and reported after the run).</summary>
public sealed record ActionExclusion(string UserId, string DisplayName, string Email, string Reason);

/// <summary>
/// The rules that keep careless clicks from locking people out: an action never locks, deactivates or revokes the
/// person doing it, and never leaves a customer without an active customer admin, nor the platform without an active
/// platform admin. "Active" means what sign-in means: active, not locked (and, for a platform admin, of an active
/// customer), and not an invitation still waiting for its first sign-in. Bulk and single actions ask here, inside the transaction that makes the change.
/// </summary>
public static class AdminSafeguards
{
    public static string SelfReason(GuardedAction action) => action switch
    {
        GuardedAction.Lock => "You (the signed-in user) — you cannot lock yourself",
        GuardedAction.Deactivate => "You (the signed-in user) — you cannot deactivate yourself",
        _ => "You (the signed-in user) — you cannot revoke your own tokens",
    };

    public static string LastCustomerAdminReason(string customer) => $"Last active admin of {customer}";

    public const string LastPlatformAdminReason = "Last active platform admin";

    /// <summary>The message a single action gives when it refuses.</summary>
    public static string Refusal(GuardedAction action, ActionExclusion exclusion) => exclusion.Reason.StartsWith("You ", StringComparison.Ordinal)
        ? action switch
        {
            GuardedAction.Lock => "You cannot lock yourself. Another admin can do it if it is needed.",
            GuardedAction.Deactivate => "You cannot deactivate yourself. Another admin can do it if it is needed.",
            _ => "You cannot revoke your own tokens here; sign out instead.",
        }
        : $"{exclusion.Reason}: make another user an admin first, so that somebody can still manage it.";

    /// <summary>
    /// Which of <paramref name="targets"/> the action must leave alone. Ordered by id, like the bulk batches: when a
    /// whole set of admins is targeted, the one with the highest id is kept, so that a preview over the whole target
    /// names the same person that the batch holding that id skips.
    /// </summary>
    public static async Task<List<ActionExclusion>> ExclusionsAsync(PortalDbContext db, GuardedAction action, IQueryable<User> targets, CancellationToken cancellationToken)
    {
        var exclusions = new List<ActionExclusion>();
        long? self = db.Tenant.ActorUserId;
        if (self is long selfId)
        {
            var me = await targets.Where(u => u.Id == selfId).Select(u => new { u.Id, u.DisplayName, u.Email }).FirstOrDefaultAsync(cancellationToken);
            if (me is not null)
            {
                exclusions.Add(new ActionExclusion(Text(me.Id), me.DisplayName, me.Email, SelfReason(action)));
            }
        }

        // Revoking tokens signs someone out once; they stay an admin and can sign in again.
        if (action == GuardedAction.RevokeTokens)
        {
            return exclusions;
        }

        long excludedSelf = self ?? 0;
        var losing = await targets
            .Where(u => u.Id != excludedSelf && u.IsActive && !u.IsLocked && (u.PortalRole == PortalRole.CustomerAdmin || u.PortalRole == PortalRole.PlatformAdmin))
            .OrderBy(u => u.Id)
            .Select(u => new { u.Id, u.DisplayName, u.Email, u.CustomerId, u.PortalRole, Customer = u.Customer!.Name, CustomerActive = u.Customer.IsActive })
            .ToListAsync(cancellationToken);
        if (losing.Count == 0)
        {
            return exclusions;
        }

        var losingIds = losing.Select(u => u.Id).ToList();
        // An invited admin who has not signed in yet is nobody's fallback: the invitation may expire or never be taken up.
        // Counts only, never rows: whether an admin remains elsewhere decides the rule, and a platform admin may belong
        // to a customer the circuit does not see (or a switched platform admin sees one site only).
        var everyone = db.Users.IgnoreQueryFilters([PortalDbContext.TenantFilter]);
        foreach (var customer in losing.Where(u => u.PortalRole == PortalRole.CustomerAdmin).GroupBy(u => u.CustomerId))
        {
            long customerId = customer.Key;
            bool another = await everyone.AnyAsync(u => u.CustomerId == customerId && u.PortalRole == PortalRole.CustomerAdmin && u.IsActive && !u.IsLocked && (u.InvitedAt == null || u.InvitationAcceptedAt != null) && !losingIds.Contains(u.Id), cancellationToken);
            if (!another)
            {
                var kept = customer.Last();
                exclusions.Add(new ActionExclusion(Text(kept.Id), kept.DisplayName, kept.Email, LastCustomerAdminReason(kept.Customer)));
            }
        }

        var platformAdmins = losing.Where(u => u.PortalRole == PortalRole.PlatformAdmin && u.CustomerActive).ToList();
        if (platformAdmins.Count > 0)
        {
            bool another = await everyone.AnyAsync(u => u.PortalRole == PortalRole.PlatformAdmin && u.IsActive && !u.IsLocked && (u.InvitedAt == null || u.InvitationAcceptedAt != null) && u.Customer!.IsActive && !losingIds.Contains(u.Id), cancellationToken);
            if (!another)
            {
                var kept = platformAdmins[^1];
                exclusions.Add(new ActionExclusion(Text(kept.Id), kept.DisplayName, kept.Email, LastPlatformAdminReason));
            }
        }

        return exclusions;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one serializable transaction inside the provider's execution strategy, so that
    /// two admins locking each other's last colleague at the same moment cannot both pass the count (PostgreSQL
    /// aborts one with 40001, which the strategy retries against the new state; SQLite has one writer at a time).
    /// The change tracker is cleared before each attempt: a retry starts from the database, not from the failed try.
    /// </summary>
    public static Task<T> InGuardedTransactionAsync<T>(PortalDbContext db, Func<Task<T>> work, CancellationToken cancellationToken) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            var result = await work();
            await transaction.CommitAsync(cancellationToken);
            return result;
        });

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}

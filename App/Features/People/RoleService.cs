using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.People;

/// <summary>A person's portal role as the user detail shows it, and what the signed-in admin may do with it.</summary>
/// <param name="Grantable">The roles this admin may give (besides "no role"); empty when they may change nothing.</param>
/// <param name="ReadOnlyReason">Why the role cannot be changed here, when it cannot.</param>
public sealed record RoleView(
    string UserId,
    PortalRole? Role,
    string SiteId,
    string SiteName,
    long Version,
    bool IsSelf,
    IReadOnlyList<PortalRole> Grantable,
    IReadOnlyList<(string Id, string Name)> Sites,
    string? ReadOnlyReason)
{
    public bool CanChange => ReadOnlyReason is null;
}

/// <summary>The change an admin asks for: a role (null removes it), the editor's site, and the version they saw.</summary>
public sealed class RoleChange
{
    public PortalRole? Role { get; set; }

    /// <summary>For an editor: one of the customer's sites; empty keeps the user's own site.</summary>
    public string? SiteId { get; set; }

    public long Version { get; set; }

    /// <summary>Set only after the person confirmed, in a dialog, that they are giving up their own admin role.</summary>
    public bool ConfirmSelfDemotion { get; set; }
}

/// <summary>The outcome of a role change: success, a message per field, a conflict, not found, or "confirm first".</summary>
public sealed record RoleChangeResult(bool Succeeded, Dictionary<string, string> Errors, string? Conflict = null, bool NotFound = false, bool NeedsConfirmation = false)
{
    public static RoleChangeResult Ok() => new(true, []);

    public static RoleChangeResult Missing() => new(false, [], NotFound: true);

    public static RoleChangeResult Invalid(string field, string message) => new(false, new Dictionary<string, string> { [field] = message });
}

/// <summary>
/// Grants, changes and removes portal roles (<c>users.portal_role</c>). Customer admins manage customer_admin,
/// support and editor within their customer; platform admins also platform_admin. Nobody removes the last active
/// admin of a customer or of the platform, and giving up your own admin role needs an explicit confirmation.
/// </summary>
/// <remarks>
/// Who may act is read from the circuit's tenant scope, never from the page. The check and the change commit in one
/// serializable transaction (<see cref="AdminSafeguards.InGuardedTransactionAsync{T}"/>), so two admins demoting each
/// other at once leave one. The changed person's open circuits end at their next revalidation, because their role
/// claim no longer matches the database; their next request carries the new role (<see cref="PortalClaimsTransformation"/>).
/// </remarks>
public sealed class RoleService(IDbContextFactory<PortalDbContext> factory, UserAccessService access, PortalSessionService sessions, UserSyncNotifier notifier, TimeProvider clock)
{
    public const string RoleGranted = "role_granted";
    public const string RoleChanged = "role_changed";
    public const string RoleRemoved = "role_removed";

    public const string OnlyAdminsReason = "Only customer admins and platform admins can change portal roles.";
    public const string PlatformAdminOnlyReason = "Only a platform admin can change a platform admin's role.";
    public const string GrantPlatformAdminReason = "Only a platform admin can grant the platform admin role.";

    public async Task<RoleView?> GetAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Id, u.PortalRole, u.SiteId, SiteName = u.Site!.Name, u.CustomerId, u.Version })
            .FirstOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return null;
        }

        var scope = db.Tenant;
        var sites = await db.Sites.AsNoTracking().Where(s => s.CustomerId == user.CustomerId).OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(cancellationToken);
        return new RoleView(Text(user.Id), user.PortalRole, Text(user.SiteId), user.SiteName, user.Version, scope.ActorUserId == user.Id,
            Grantable(scope), sites.Select(s => (Text(s.Id), s.Name)).ToList(), ReadOnlyReason(scope, user.PortalRole));
    }

    public async Task<RoleChangeResult> ChangeAsync(long userId, RoleChange change, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var scope = db.Tenant;
        if (!IsAdmin(scope))
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.Role), OnlyAdminsReason);
        }

        if (change.Role is { } wanted && !Grantable(scope).Contains(wanted))
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.Role), GrantPlatformAdminReason);
        }

        long? siteId = null;
        if (change.Role == PortalRole.Editor && !string.IsNullOrWhiteSpace(change.SiteId))
        {
            if (!long.TryParse(change.SiteId, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
            {
                return RoleChangeResult.Invalid(nameof(RoleChange.SiteId), "Choose one of this customer's sites.");
            }

            siteId = parsed;
        }

        return await AdminSafeguards.InGuardedTransactionAsync(db, () => ChangeInAsync(db, userId, change, siteId, cancellationToken), cancellationToken);
    }

    private async Task<RoleChangeResult> ChangeInAsync(PortalDbContext db, long userId, RoleChange change, long? siteId, CancellationToken cancellationToken)
    {
        var scope = db.Tenant;
        var user = await db.Users.Include(u => u.Customer).FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return RoleChangeResult.Missing();
        }

        if (ReadOnlyReason(scope, user.PortalRole) is { } readOnly)
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.Role), readOnly);
        }

        PortalRole? before = user.PortalRole;
        PortalRole? after = change.Role;
        long site = after == PortalRole.Editor ? siteId ?? user.SiteId : user.SiteId;
        if (before == after && site == user.SiteId)
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.Role), after is null ? "This person has no portal role already." : "This person has this role already.");
        }

        if (site != user.SiteId && !await db.Sites.AnyAsync(s => s.Id == site && s.CustomerId == user.CustomerId, cancellationToken))
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.SiteId), "Choose one of this customer's sites.");
        }

        bool losesAdmin = before is PortalRole.CustomerAdmin or PortalRole.PlatformAdmin && after != before;
        if (losesAdmin && user.Id == scope.ActorUserId && !change.ConfirmSelfDemotion)
        {
            return new RoleChangeResult(false, new Dictionary<string, string>
            {
                [nameof(RoleChange.ConfirmSelfDemotion)] = "You are removing your own admin role: confirm it first.",
            }, NeedsConfirmation: true);
        }

        if (losesAdmin && await LastAdminReasonAsync(db, user, cancellationToken) is { } lastAdmin)
        {
            return RoleChangeResult.Invalid(nameof(RoleChange.Role), $"{lastAdmin}: make another user an admin first, so that somebody can still manage it.");
        }

        // The version the page was loaded with: a change on top of someone else's is a conflict, never an overwrite.
        db.Entry(user).Property(u => u.Version).OriginalValue = change.Version;
        user.PortalRole = after;
        user.SiteId = site;
        db.SetAuditAction(user, before is null ? RoleGranted : after is null ? RoleRemoved : RoleChanged);
        var ended = after is null
            // No role, no portal: the sessions would be refused anyway; ending them keeps the sessions list truthful.
            ? await PortalSessionService.EndOpenSessionsAsync(db, [user.Id], SessionEndReason.Ended, clock.GetUtcNow().UtcDateTime, cancellationToken)
            : [];
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new RoleChangeResult(false, [], await ConflictMessageAsync(userId, cancellationToken));
        }

        // This instance sees the new role on the person's very next request; other instances within the caches' 15 s.
        access.Invalidate(user.Id);
        sessions.Forget(ended);
        notifier.Changed([user.Id]);
        return RoleChangeResult.Ok();
    }

    /// <summary>
    /// Whether <paramref name="user"/> is the last active admin of their customer, or of the platform, with the same
    /// meaning of "active" as <see cref="AdminSafeguards"/>: active, not locked (a platform admin: of an active customer).
    /// </summary>
    private static async Task<string?> LastAdminReasonAsync(PortalDbContext db, User user, CancellationToken cancellationToken)
    {
        if (!user.IsActive || user.IsLocked)
        {
            return null; // an inactive or locked admin administers nothing now: others, if any, do
        }

        // Counts only, never rows: another customer's (or another site's) admins decide the rule but are never read.
        var everyone = db.Users.IgnoreQueryFilters([PortalDbContext.TenantFilter]);
        long id = user.Id;
        if (user.PortalRole == PortalRole.CustomerAdmin)
        {
            long customerId = user.CustomerId;
            bool another = await everyone.AnyAsync(u => u.Id != id && u.CustomerId == customerId && u.PortalRole == PortalRole.CustomerAdmin && u.IsActive && !u.IsLocked, cancellationToken);
            return another ? null : AdminSafeguards.LastCustomerAdminReason(user.Customer!.Name);
        }

        if (user.PortalRole == PortalRole.PlatformAdmin && user.Customer!.IsActive)
        {
            bool another = await everyone.AnyAsync(u => u.Id != id && u.PortalRole == PortalRole.PlatformAdmin && u.IsActive && !u.IsLocked && u.Customer!.IsActive, cancellationToken);
            return another ? null : AdminSafeguards.LastPlatformAdminReason;
        }

        return null;
    }

    private async Task<string> ConflictMessageAsync(long userId, CancellationToken cancellationToken)
    {
        await using var fresh = await factory.CreateDbContextAsync(cancellationToken);
        var last = await fresh.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(User) && a.EntityId == userId)
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).FirstOrDefaultAsync(cancellationToken);
        string who = last is null ? "Someone else" : $"{last.Actor} ({last.Action.Replace('_', ' ')}, {AdminPortal.App.Components.Shared.ViewerTimeZone.Current.Format(last.At, "yyyy-MM-dd HH:mm:ss")})";
        return $"{who} changed this user after you opened it. Reload to see their change; the role was not changed.";
    }

    private static bool IsAdmin(TenantScope scope) => scope.Role is PortalRoles.CustomerAdmin or PortalRoles.PlatformAdmin;

    private static IReadOnlyList<PortalRole> Grantable(TenantScope scope) => scope.Role switch
    {
        PortalRoles.PlatformAdmin => [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Support, PortalRole.Editor],
        PortalRoles.CustomerAdmin => [PortalRole.CustomerAdmin, PortalRole.Support, PortalRole.Editor],
        _ => [],
    };

    private static string? ReadOnlyReason(TenantScope scope, PortalRole? current) =>
        !IsAdmin(scope) ? OnlyAdminsReason
        : current == PortalRole.PlatformAdmin && scope.Role != PortalRoles.PlatformAdmin ? PlatformAdminOnlyReason
        : null;

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}

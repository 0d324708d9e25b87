using System.Globalization;
using System.Security.Claims;

namespace AdminPortal.App.Tenancy;

/// <summary>What one circuit (or one background job) may see: a customer, optionally one site, and a role.</summary>
public sealed record TenantScope(string Actor, long? ActorUserId, string? Role, long? CustomerId, long? SiteId, bool AllCustomers)
{
    /// <summary>Nobody: sees no tenant-owned row and may write none. What an unresolved or anonymous context gets.</summary>
    public static readonly TenantScope None = new("anonymous", null, null, null, null, false);

    /// <summary>Start-up work (migration, seeding) and background jobs that act on behalf of the platform.</summary>
    public static TenantScope System(string job = "system") => new(job, null, null, null, null, true);

    public static TenantScope ForCustomer(long customerId, string actor = "test", string role = PortalRoles.CustomerAdmin, long? siteId = null) =>
        new(actor, null, role, customerId, siteId, false);

    public bool IsResolved => AllCustomers || CustomerId is not null;

    /// <summary>
    /// Set while a support user or admin views the portal as this scope's user (Features/ViewAs): the scope is then
    /// read-only, and <see cref="Data.PortalDbContext"/> refuses every write made with it.
    /// </summary>
    public ViewAsViewer? ViewAs { get; init; }

    /// <summary>What the app bar shows: the customer's name, or "All customers".</summary>
    public string Label { get; init; } = AllCustomers ? "All customers" : CustomerId is null ? "No tenant" : $"Customer {CustomerId}";

    /// <summary>Reads the tenant from the claims that sign-in put on the principal. Missing or malformed claims give <see cref="None"/>.</summary>
    public static TenantScope FromPrincipal(ClaimsPrincipal? user)
    {
        var scope = FromSignedInPrincipal(user);
        return ViewAsViewer.From(user) is { } viewer ? scope with { ViewAs = viewer } : scope;
    }

    private static TenantScope FromSignedInPrincipal(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return None;
        }

        string actor = user.FindFirst(PortalClaimTypes.DisplayName)?.Value ?? user.Identity.Name ?? "unknown";
        string? role = user.FindFirst(PortalClaimTypes.Role)?.Value;
        long? userId = ParseId(user.FindFirst(PortalClaimTypes.UserId)?.Value);
        if (role == PortalRoles.PlatformAdmin)
        {
            return new TenantScope(actor, userId, role, null, null, true) { Label = "All customers" };
        }

        long? customerId = ParseId(user.FindFirst(PortalClaimTypes.CustomerId)?.Value);
        if (customerId is null || role is null)
        {
            return None with { Actor = actor };
        }

        // Editors are held to their site; the other roles see the whole customer.
        long? siteId = role == PortalRoles.Editor ? ParseId(user.FindFirst(PortalClaimTypes.SiteId)?.Value) : null;
        if (role == PortalRoles.Editor && siteId is null)
        {
            return None with { Actor = actor };
        }

        return new TenantScope(actor, userId, role, customerId, siteId, false)
        {
            Label = user.FindFirst(PortalClaimTypes.CustomerName)?.Value ?? $"Customer {customerId}",
        };
    }

    internal static long? ParseId(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;
}

/// <summary>Who is viewing the portal as a scope's user: their user id, name and own role.</summary>
public sealed record ViewAsViewer(long UserId, string Name, string Role)
{
    public static ViewAsViewer? From(ClaimsPrincipal? user) =>
        user?.FindFirst(PortalClaimTypes.ViewAsViewerRole)?.Value is { } role
            ? new ViewAsViewer(TenantScope.ParseId(user.FindFirst(PortalClaimTypes.ViewAsViewerId)?.Value) ?? 0, user.FindFirst(PortalClaimTypes.ViewAsViewerName)?.Value ?? "unknown", role)
            : null;
}

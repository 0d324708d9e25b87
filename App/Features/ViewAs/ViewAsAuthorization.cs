using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Tenancy;

namespace AdminPortal.App.Features.ViewAs;

/// <summary>
/// The principal a circuit shows while its user views the portal as someone else: the target's identity and tenant
/// claims, plus who the viewer is. It lives only in the circuit's authentication state, never in a cookie.
/// </summary>
public sealed class ViewAsPrincipal(ClaimsPrincipal viewer, ClaimsIdentity identity) : ClaimsPrincipal(identity)
{
    /// <summary>The viewer's own principal: what the circuit's revalidation checks, and what Stop restores.</summary>
    public ClaimsPrincipal Viewer { get; } = viewer;

    /// <summary>The principal the circuit validates: the viewer's own one while viewing as, else the principal itself.</summary>
    public static ClaimsPrincipal SignedInUserOf(ClaimsPrincipal principal) => principal is ViewAsPrincipal viewAs ? viewAs.Viewer : principal;
}

/// <summary>How a view-as principal is built and how its permissions are computed.</summary>
/// <remarks>
/// Effective permissions are the intersection of the target's and the viewer's: every policy in
/// <see cref="PortalPolicies.Roles"/> requires the target's role (the principal's role claim) as always, and, on a
/// view-as principal, also that the viewer's role may look at that area (<see cref="ViewerMay"/>). The data a view-as
/// circuit reads is the target's tenant scope, which is never wider than the viewer's: the target is always in the
/// viewer's customer (a platform admin's: any customer), and an editor's scope is narrowed to their site.
/// </remarks>
public static class ViewAsAuthorization
{
    /// <summary>
    /// What a viewer's role may look at while viewing as someone: the policies of its own role, plus one widening.
    /// Support staff, who read a customer's data but have no Posts area of their own, may see the Posts area as the
    /// editor they are helping sees it; every action in it stays disabled and refused, as everywhere in view-as.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, PortalRole[]> ViewerRoles = PortalPolicies.Roles.ToDictionary(
        policy => policy.Key,
        policy => policy.Key is PortalPolicies.ViewPosts or PortalPolicies.EditPosts ? [.. policy.Value, PortalRole.Support] : policy.Value);

    /// <summary>True for an ordinary principal; for a view-as principal, whether the viewer's role may see <paramref name="policy"/>'s area.</summary>
    public static bool ViewerMay(ClaimsPrincipal user, string policy)
    {
        string? viewerRole = user.FindFirst(PortalClaimTypes.ViewAsViewerRole)?.Value;
        if (viewerRole is null)
        {
            return true;
        }

        return Enum.TryParse(viewerRole, out PortalRole role) && ViewerRoles.TryGetValue(policy, out var roles) && roles.Contains(role);
    }

    /// <summary>The circuit's principal while <paramref name="viewer"/> views as <paramref name="target"/>.</summary>
    public static ViewAsPrincipal Create(ClaimsPrincipal viewer, ViewAsTarget target)
    {
        var viewerScope = TenantScope.FromPrincipal(viewer);
        var identity = new ClaimsIdentity(viewer.Identity?.AuthenticationType ?? "view-as", PortalClaimTypes.DisplayName, PortalClaimTypes.Role);
        identity.AddClaim(new Claim(PortalClaimTypes.UserId, target.UserId.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(PortalClaimTypes.DisplayName, target.Name));
        identity.AddClaim(new Claim(PortalClaimTypes.Email, target.Email));
        identity.AddClaims(PortalClaimsTransformation.ClaimsFor(new UserAccess(target.UserId, target.Role, target.CustomerId, target.SiteId, target.CustomerName, true, false, true, null)));
        // The session claims stay the viewer's: the circuit still runs on their sign-in, and revalidation checks it.
        foreach (string type in new[] { PortalClaimTypes.SessionId, PortalClaimTypes.SignedInAt, PortalClaimTypes.Provider })
        {
            if (viewer.FindFirst(type) is { } claim)
            {
                identity.AddClaim(new Claim(type, claim.Value));
            }
        }

        identity.AddClaim(new Claim(PortalClaimTypes.ViewAsViewerId, (viewerScope.ActorUserId ?? 0).ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(PortalClaimTypes.ViewAsViewerName, viewerScope.Actor));
        identity.AddClaim(new Claim(PortalClaimTypes.ViewAsViewerRole, viewerScope.Role ?? ""));
        return new ViewAsPrincipal(viewer, identity);
    }

    public static string RoleLabel(string? role) => role switch
    {
        PortalRoles.PlatformAdmin => "Platform admin",
        PortalRoles.CustomerAdmin => "Customer admin",
        PortalRoles.Support => "Support",
        PortalRoles.Editor => "Editor",
        _ => "",
    };
}

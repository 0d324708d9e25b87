using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authorization;

namespace AdminPortal.App.Auth;

/// <summary>Authorization policies per area and per action. Pages use them in [Authorize(Policy = …)], the navigation in AuthorizeView.</summary>
public static class PortalPolicies
{
    public const string ViewDashboard = nameof(ViewDashboard);
    public const string SwitchTenant = nameof(SwitchTenant);
    public const string ManageCustomers = nameof(ManageCustomers);
    public const string ManageSites = nameof(ManageSites);
    public const string ManageCustomerDomains = nameof(ManageCustomerDomains);
    public const string ViewUsers = nameof(ViewUsers);
    public const string ManageUserSignIn = nameof(ManageUserSignIn);
    public const string EditUserProfiles = nameof(EditUserProfiles);
    public const string ViewPosts = nameof(ViewPosts);
    public const string EditPosts = nameof(EditPosts);
    public const string PurgePosts = nameof(PurgePosts);
    public const string ManageIdentityProviders = nameof(ManageIdentityProviders);
    public const string ViewAudit = nameof(ViewAudit);
    public const string ViewSchema = nameof(ViewSchema);

    /// <summary>Which roles each policy admits. The single table to read when asking "who may do what".</summary>
    public static readonly IReadOnlyDictionary<string, PortalRole[]> Roles = new Dictionary<string, PortalRole[]>
    {
        [ViewDashboard] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Support, PortalRole.Editor],
        [SwitchTenant] = [PortalRole.PlatformAdmin],
        [ManageCustomers] = [PortalRole.PlatformAdmin],
        [ManageSites] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ManageCustomerDomains] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ViewUsers] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Support],
        [ManageUserSignIn] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Support],
        [EditUserProfiles] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ViewPosts] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Editor],
        [EditPosts] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin, PortalRole.Editor],
        [PurgePosts] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ManageIdentityProviders] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ViewAudit] = [PortalRole.PlatformAdmin, PortalRole.CustomerAdmin],
        [ViewSchema] = [PortalRole.PlatformAdmin],
    };

    public static void AddPortalPolicies(this AuthorizationBuilder authorization)
    {
        // Signed in and holding a portal role: everywhere, unless an endpoint says [AllowAnonymous].
        authorization.SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(PortalClaimTypes.Role).Build());
        foreach (var (policy, roles) in Roles)
        {
            // While viewing as someone (Features/ViewAs), the viewer's role must pass too: the intersection of both.
            authorization.AddPolicy(policy, builder => builder.RequireAuthenticatedUser().RequireClaim(PortalClaimTypes.Role, roles.Select(r => r.ToString()))
                .RequireAssertion(context => Features.ViewAs.ViewAsAuthorization.ViewerMay(context.User, policy)));
        }
    }
}

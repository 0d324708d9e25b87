namespace AdminPortal.App.Tenancy;

/// <summary>The claim types the portal adds to a signed-in principal and reads back for the circuit's tenant.</summary>
public static class PortalClaimTypes
{
    public const string UserId = "portal:user_id";
    public const string CustomerId = "portal:customer_id";
    public const string SiteId = "portal:site_id";
    public const string Role = "portal:role";
    public const string DisplayName = "name";
}

/// <summary>The portal's roles, as they appear in the <see cref="PortalClaimTypes.Role"/> claim.</summary>
public static class PortalRoles
{
    public const string PlatformAdmin = "PlatformAdmin";
    public const string CustomerAdmin = "CustomerAdmin";
    public const string Support = "Support";
    public const string Editor = "Editor";
}

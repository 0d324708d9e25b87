namespace AdminPortal.App.Tenancy;

/// <summary>The claim types the portal adds to a signed-in principal and reads back for the circuit's tenant.</summary>
public static class PortalClaimTypes
{
    public const string UserId = "portal:user_id";
    public const string CustomerId = "portal:customer_id";
    public const string SiteId = "portal:site_id";
    public const string CustomerName = "portal:customer_name";
    public const string Role = "portal:role";
    public const string DisplayName = "name";
    public const string Email = "email";
    /// <summary>When this sign-in happened (Unix seconds); tokens revoked after it end the session.</summary>
    public const string SignedInAt = "portal:signed_in_at";
    /// <summary>The authentication scheme (identity provider) the user signed in with.</summary>
    public const string Provider = "portal:provider";
    /// <summary>The server-side session (portal_sessions.id) of this sign-in; an ended session refuses the cookie.</summary>
    public const string SessionId = "portal:session_id";
    /// <summary>Only on a circuit's read-only "view as" principal (never in a cookie): who is looking, and their role.</summary>
    public const string ViewAsViewerId = "portal:view_as_viewer_id";
    public const string ViewAsViewerName = "portal:view_as_viewer_name";
    public const string ViewAsViewerRole = "portal:view_as_viewer_role";
}

/// <summary>A user's role in the portal (users.portal_role). A user without one has no access to the portal.</summary>
public enum PortalRole
{
    /// <summary>All customers, with a customer → site switcher.</summary>
    PlatformAdmin,
    /// <summary>One customer and all its sites.</summary>
    CustomerAdmin,
    /// <summary>Users and sign-in state of one customer; read-only elsewhere.</summary>
    Support,
    /// <summary>Posts of their own site.</summary>
    Editor,
}

/// <summary>The portal's roles, as they appear in the <see cref="PortalClaimTypes.Role"/> claim.</summary>
public static class PortalRoles
{
    public const string PlatformAdmin = nameof(PortalRole.PlatformAdmin);
    public const string CustomerAdmin = nameof(PortalRole.CustomerAdmin);
    public const string Support = nameof(PortalRole.Support);
    public const string Editor = nameof(PortalRole.Editor);
}

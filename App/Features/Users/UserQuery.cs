namespace AdminPortal.App.Features.Users;

/// <summary>How a user signs in: legacy credentials only, OIDC identities only, or both.</summary>
public enum AuthKind
{
    LegacyOnly,
    Oidc,
    Both,
}

public enum UserState
{
    Active,
    Inactive,
    Locked,
    /// <summary>Invited and not signed in yet (expired invitations included: they still need a resend or a revoke).</summary>
    Invited,
}

public enum UserSort
{
    Name,
    Email,
    LastLogin,
    LoginCount,
    Created,
}

/// <summary>The users grid's filters and sort, as they travel in the URL query so that a view can be bookmarked.</summary>
public sealed record UserFilter(
    string? Search = null,
    long? SiteId = null,
    AuthKind? AuthKind = null,
    SyncStatus? SyncStatus = null,
    UserState? State = null,
    int? DormantDays = null,
    UserSort Sort = UserSort.Name,
    bool Descending = false,
    long? ProviderId = null)
{
    /// <summary>Ten years: the dormancy filter's largest value, in the form and in the URL.</summary>
    public const int MaxDormantDays = 3650;
}

public sealed record UserRow(
    string Id,
    string DisplayName,
    string Email,
    string SiteName,
    AuthKind AuthKind,
    int LoginCount,
    DateTime? LastLoginAt,
    SyncStatus SyncStatus,
    bool IsActive,
    bool IsLocked,
    DateTime CreatedAt,
    bool IsInvited = false);

/// <summary>One site's users by how they sign in: the part of the migration view that a report snapshot holds.</summary>
public sealed record SiteMigrationCounts(long SiteId, int LegacyOnly, int Both, int OidcOnly);

/// <summary>A site as the migration view names it.</summary>
public sealed record MigrationSite(long Id, string Name, string Customer);

/// <summary>One site's users by how they sign in.</summary>
public sealed record MigrationBucket(string SiteId, string Customer, string Site, int LegacyOnly, int Both, int OidcOnly)
{
    public int Total => LegacyOnly + Both + OidcOnly;
}

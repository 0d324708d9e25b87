using AdminPortal.App.Features.IdentityProviders;

namespace AdminPortal.App.Features.Users;

public sealed record IdentityLink(string MappingId, string ProviderId, string ProviderName, CiamProviderType ProviderType, string Subject, DateTime? LastLoginAt, DateTime LinkedAt, bool ProviderEnabled = true);

/// <summary>One history line, as the audit page shows it: the actor in its one format, the changes cut for display.</summary>
public sealed record AuditLine(DateTime At, string Actor, string Action, IReadOnlyList<Audit.AuditChange> Changes);

/// <summary>Everything the user detail page shows. No secret leaves the service: only whether a password hash exists.</summary>
public sealed record UserDetail(
    string Id,
    string DisplayName,
    string Email,
    string SiteId,
    string SiteName,
    bool IsActive,
    bool IsLocked,
    long Version,
    bool HasPasswordHash,
    string? AzureObjectId,
    string? AzureTenantId,
    List<IdentityLink> Identities,
    int LoginCount,
    DateTime? LastLoginAt,
    DateTime? TokenExpiresAt,
    DateTime? TokensRevokedAt,
    bool HasRefreshToken,
    SyncStatus SyncStatus,
    DateTime? LastSyncedAt,
    string? LastSyncError,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>The editable part of a user: name, email (unique per customer), site, active.</summary>
public sealed class ProfileEdit
{
    public string DisplayName { get; set; } = "";
    public string Email { get; set; } = "";
    public string SiteId { get; set; } = "";
    public bool IsActive { get; set; }
    public long Version { get; set; }

    /// <summary>The profile as the form loaded it. Syncs, sign-ins and locks bump the version too; when these fields
    /// are still as loaded, the save is no conflict. Null: any change since <see cref="Version"/> is one.</summary>
    public ProfileFields? Loaded { get; set; }
}

public sealed record ProfileFields(string DisplayName, string Email, string SiteId, bool IsActive);

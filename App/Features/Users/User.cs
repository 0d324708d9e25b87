using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Users;

public enum SyncStatus
{
    Pending,
    Synced,
    Failed,
}

/// <summary>
/// A user of one customer's site. Carries both the legacy credentials (<see cref="PasswordHash"/>, the Azure ids)
/// and the modern OIDC identity, because the platform is part-way through moving from one to the other.
/// </summary>
public class User : IHasId, IVersioned, IHasTimestamps, ICustomerOwned
{
    public const int MaxDisplayNameLength = 200;
    /// <summary>RFC 5321's limit for a mailbox (64 + @ + 255).</summary>
    public const int MaxEmailLength = 320;

    public long Id { get; set; }
    public long CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public long SiteId { get; set; }
    public Site? Site { get; set; }

    public string Email { get; set; } = "";
    public string DisplayName { get; set; } = "";

    // Legacy authentication.
    [Secret] public string? PasswordHash { get; set; }
    public string? AzureObjectId { get; set; }
    public string? AzureTenantId { get; set; }

    // Modern OIDC identity (the user's primary one; every provider link is in user_ciam_mappings).
    public string? OidcSubject { get; set; }
    public string? OidcIssuer { get; set; }

    public int LoginCount { get; set; }
    public DateTime? LastLoginAt { get; set; }

    // Token management.
    [Secret] public string? RefreshTokenHash { get; set; }
    public DateTime? TokenExpiresAt { get; set; }
    public DateTime? TokensRevokedAt { get; set; }

    public SyncStatus SyncStatus { get; set; } = SyncStatus.Pending;
    public DateTime? LastSyncedAt { get; set; }
    public string? LastSyncError { get; set; }

    /// <summary>What the user may do in this portal; null means no portal access at all.</summary>
    public PortalRole? PortalRole { get; set; }

    public bool IsActive { get; set; } = true;
    public bool IsLocked { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> entity)
    {
        entity.Property(u => u.Email).HasMaxLength(User.MaxEmailLength);
        entity.Property(u => u.DisplayName).HasMaxLength(User.MaxDisplayNameLength);
        entity.Property(u => u.PasswordHash).HasMaxLength(500);
        entity.Property(u => u.AzureObjectId).HasMaxLength(64);
        entity.Property(u => u.AzureTenantId).HasMaxLength(64);
        entity.Property(u => u.OidcSubject).HasMaxLength(255);
        entity.Property(u => u.OidcIssuer).HasMaxLength(500);
        entity.Property(u => u.RefreshTokenHash).HasMaxLength(500);
        entity.Property(u => u.SyncStatus).HasMaxLength(16).HasConversion(SnakeCaseEnumConverter.For<SyncStatus>());
        entity.Property(u => u.PortalRole).HasMaxLength(32).HasConversion(SnakeCaseEnumConverter.For<PortalRole>());
        entity.ToTable(t =>
        {
            t.HasCheckConstraint("ck_users_sync_status", SnakeCaseEnumConverter.CheckConstraintSql<SyncStatus>("sync_status"));
            t.HasCheckConstraint("ck_users_portal_role", SnakeCaseEnumConverter.CheckConstraintSql<PortalRole>("portal_role"));
        });

        entity.HasOne(u => u.Customer).WithMany().HasForeignKey(u => u.CustomerId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne(u => u.Site).WithMany().HasForeignKey(u => u.SiteId).OnDelete(DeleteBehavior.Restrict);

        // Indexes lead with the tenant column and end with the keyset sort of the users grid.
        entity.HasIndex(u => new { u.CustomerId, u.Email }).IsUnique();
        entity.HasIndex(u => new { u.CustomerId, u.DisplayName, u.Id });
        entity.HasIndex(u => new { u.CustomerId, u.CreatedAt, u.Id }).IsDescending(false, true, true);
        entity.HasIndex(u => new { u.CustomerId, u.LastLoginAt, u.Id }).IsDescending(false, true, true);
        entity.HasIndex(u => new { u.CustomerId, u.LoginCount, u.Id }).IsDescending(false, true, true);
        entity.HasIndex(u => new { u.CustomerId, u.SyncStatus, u.Id });
        entity.HasIndex(u => new { u.SiteId, u.CreatedAt, u.Id }).IsDescending(false, true, true);
        // Sign-in looks users up by their OIDC identity, or by Entra oid + tid for legacy accounts.
        entity.HasIndex(u => new { u.OidcIssuer, u.OidcSubject });
        entity.HasIndex(u => new { u.AzureTenantId, u.AzureObjectId });
    }
}

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

    /// <summary>The sync worker (instance and round) that holds this pending user; null when nobody does.</summary>
    /// <remarks>Set and cleared by <see cref="UserSyncWorker"/> only, never audited: it is a lease, not a change to the user.</remarks>
    public string? SyncClaimedBy { get; set; }

    /// <summary>When the lease of <see cref="SyncClaimedBy"/> ends: after it another worker takes the user again (a crashed instance).</summary>
    public DateTime? SyncClaimedUntil { get; set; }

    /// <summary>What the user may do in this portal; null means no portal access at all.</summary>
    public PortalRole? PortalRole { get; set; }

    // Invitations live on the user row itself, not in a table of their own: the users grid filters them with one
    // predicate, and the first sign-in links them with the same email lookup that links legacy accounts.
    // Pending = InvitedAt set and InvitationAcceptedAt not; a revoked invitation's row is deleted.

    /// <summary>When an admin invited this person; null for everyone who was not invited (seeded, synced, legacy).</summary>
    public DateTime? InvitedAt { get; set; }

    /// <summary>After this moment a pending invitation no longer links; a resend moves it.</summary>
    public DateTime? InvitationExpiresAt { get; set; }

    /// <summary>Who invited (or last re-sent); a plain id, not a foreign key: the audit log is the record of who did what.</summary>
    public long? InvitedByUserId { get; set; }

    /// <summary>When the person's first sign-in linked this invitation (through a verified email).</summary>
    public DateTime? InvitationAcceptedAt { get; set; }

    /// <summary>Invited and not yet signed in: not an active admin for any "last admin" rule, and no sign-in but the email link.</summary>
    public bool IsInvitationPending => InvitedAt is not null && InvitationAcceptedAt is null;

    public bool IsActive { get; set; } = true;
    public bool IsLocked { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }

    /// <summary>The user's identity-provider links (filtered by tenant like the set): lets a static projection ask "has one".</summary>
    public ICollection<IdentityProviders.UserCiamMapping>? CiamMappings { get; set; }
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
        entity.Property(u => u.SyncClaimedBy).HasMaxLength(UserSyncWorker.MaxClaimLength);
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
        // The users grid's "Invited" filter: few rows per customer, found without reading the others.
        entity.HasIndex(u => new { u.CustomerId, u.InvitedAt, u.InvitationAcceptedAt });
        entity.HasIndex(u => new { u.SiteId, u.CreatedAt, u.Id }).IsDescending(false, true, true);
        // The sync queue: "next pending users, unclaimed or lease expired, in id order" seeks into this small partial
        // index (only pending rows) and reads the lease from it; the claim's SQL repeats the literal so that the
        // planner can use it. CockroachDB has partial indexes since v20.2.
        entity.HasIndex(u => new { u.Id, u.SyncClaimedUntil }).HasDatabaseName("ix_users_sync_queue").HasFilter("sync_status = 'pending'");
        // Sign-in looks users up by their OIDC identity, or by Entra oid + tid for legacy accounts.
        entity.HasIndex(u => new { u.OidcIssuer, u.OidcSubject });
        entity.HasIndex(u => new { u.AzureTenantId, u.AzureObjectId });
    }
}

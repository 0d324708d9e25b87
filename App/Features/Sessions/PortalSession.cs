using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Sessions;

/// <summary>Why a session ended.</summary>
public enum SessionEndReason
{
    SignedOut,
    TokensRevoked,
    Locked,
    Deactivated,
    /// <summary>Ended from the sessions list (by the person, or an admin), not by a change to the user.</summary>
    Ended,
}

/// <summary>
/// One sign-in, server side: its id travels in the cookie (<see cref="Tenancy.PortalClaimTypes.SessionId"/>), and a
/// cookie whose session has ended is refused on the next request and the next circuit check, however long the
/// ticket itself would still be valid. Sign-out, revoke, lock and deactivation end it.
/// </summary>
/// <remarks>
/// No version column: nothing edits a session; it is started, touched (last_seen_at, unaudited, at most once a
/// <see cref="PortalSessionService.TouchInterval"/>) and ended, and ending twice is harmless.
/// </remarks>
public class PortalSession : IHasId, ICustomerOwned
{
    public const int UserAgentMaxLength = 512;
    public const int IpAddressMaxLength = 45; // the longest IPv6 text form

    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public long CustomerId { get; set; }

    /// <summary>The authentication scheme (identity provider) of the sign-in.</summary>
    public string Provider { get; set; } = "";
    public string? UserAgent { get; set; }
    public string? IpAddress { get; set; }

    public DateTime StartedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public SessionEndReason? EndedReason { get; set; }

    public bool IsActive => EndedAt is null;
}

internal sealed class PortalSessionConfiguration : IEntityTypeConfiguration<PortalSession>
{
    public void Configure(EntityTypeBuilder<PortalSession> entity)
    {
        entity.ToTable("portal_sessions", t => t.HasCheckConstraint("ck_portal_sessions_ended_reason",
            "ended_reason IS NULL OR " + SnakeCaseEnumConverter.CheckConstraintSql<SessionEndReason>("ended_reason")));
        entity.Ignore(s => s.IsActive);
        entity.Property(s => s.Provider).HasMaxLength(100);
        entity.Property(s => s.UserAgent).HasMaxLength(PortalSession.UserAgentMaxLength);
        entity.Property(s => s.IpAddress).HasMaxLength(PortalSession.IpAddressMaxLength);
        entity.Property(s => s.EndedReason).HasMaxLength(32).HasConversion(SnakeCaseEnumConverter.For<SessionEndReason>());
        entity.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne<Customers.Customer>().WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Restrict);

        // A person's sessions, newest first (the sessions list); and the open sessions of a user (revoke, lock).
        entity.HasIndex(s => new { s.CustomerId, s.UserId, s.StartedAt, s.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(s => new { s.UserId, s.EndedAt });
    }
}

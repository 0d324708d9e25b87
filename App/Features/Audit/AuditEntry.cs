using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Audit;

/// <summary>One mutation: who did what to which row, with the changed fields (old → new) as JSON.</summary>
/// <remarks>Written by <see cref="PortalDbContext"/> in the same transaction as the change it records. Never updated.</remarks>
public class AuditEntry : IHasId
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    /// <summary>The signed-in user's name, or "system" for start-up work and background jobs.</summary>
    public string Actor { get; set; } = "";
    public long? ActorUserId { get; set; }
    /// <summary>The tenant the row belongs to; null for platform-level rows.</summary>
    public long? CustomerId { get; set; }
    public string EntityType { get; set; } = "";
    public long EntityId { get; set; }
    /// <summary>
    /// The entity's name when the entry was written (<see cref="AuditLabels.For"/>), so the log reads the same after a
    /// rename or a delete. Null on entries written before it existed: the page then reads the name from the changes.
    /// </summary>
    public string? EntityLabel { get; set; }
    /// <summary>created, updated, deleted, or a domain verb such as sign_in, publish, revoke_tokens.</summary>
    public string Action { get; set; } = "";
    /// <summary>JSON object: field → { "old": …, "new": … }. Secret fields appear only as "changed".</summary>
    public string? Changes { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entity)
    {
        entity.ToTable("audit_log");
        entity.Property(a => a.Actor).HasMaxLength(320);
        entity.Property(a => a.EntityType).HasMaxLength(64);
        entity.Property(a => a.EntityLabel).HasMaxLength(AuditLabels.MaxLabelLength);
        entity.Property(a => a.Action).HasMaxLength(64);
        entity.HasIndex(a => new { a.CustomerId, a.At, a.Id }).IsDescending(false, true, true);
        // A customer's grid filtered by entity type or by action, newest first: a walk of the tenant's entries of that
        // kind (the two indexes below hold every tenant's and made each page read and sort all of them).
        entity.HasIndex(a => new { a.CustomerId, a.EntityType, a.At, a.Id }).IsDescending(false, false, true, true);
        entity.HasIndex(a => new { a.CustomerId, a.Action, a.At, a.Id }).IsDescending(false, false, true, true);
        // The platform admin's audit grid reads every customer newest first: without this it sorts the whole log.
        entity.HasIndex(a => new { a.At, a.Id }).IsDescending(true, true);
        entity.HasIndex(a => new { a.EntityType, a.EntityId, a.At });
        entity.HasIndex(a => new { a.Action, a.At });
    }
}

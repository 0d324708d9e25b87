using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Reports;

/// <summary>The reports that are computed in the background and read as a snapshot.</summary>
public enum ReportKind
{
    Dashboard,
    UserMigration,
}

/// <summary>
/// One computed report for one tenant scope (<see cref="ReportScopes.KeyOf"/>): what a page shows instead of reading
/// every user of a tenant. Written only by <see cref="ReportRefresher"/>, with an upsert that keeps the newest
/// computation when two instances compute at once; never edited, so no version column.
/// </summary>
public class ReportSnapshot : IHasId
{
    public const int ScopeKeyMaxLength = 80;

    public long Id { get; set; }

    /// <summary>"all", "customer:{id}" or "customer:{id}:site:{id}": the scope the figures were computed in.</summary>
    public string ScopeKey { get; set; } = "";
    public ReportKind Kind { get; set; }

    /// <summary>The scope's customer (null for the platform's "all customers"): the Tenant query filter reads it.</summary>
    public long? CustomerId { get; set; }
    public long? SiteId { get; set; }

    /// <summary>The figures as JSON (the report's own record type). Rendered as text like any tenant data.</summary>
    public string Payload { get; set; } = "";

    /// <summary>When the computation started: the figures are the database's as of this time.</summary>
    public DateTime ComputedAt { get; set; }

    /// <summary>How long the computation took, shown beside a refresh and printed by the benchmark.</summary>
    public int ComputeMilliseconds { get; set; }

    /// <summary>
    /// Set by the instance whose background refresh claimed this snapshot, so that several instances on one database
    /// do not all recompute the same stale report; a claim older than the claim timeout is void (its instance died).
    /// </summary>
    public DateTime? RefreshClaimedAt { get; set; }
}

internal sealed class ReportSnapshotConfiguration : IEntityTypeConfiguration<ReportSnapshot>
{
    public void Configure(EntityTypeBuilder<ReportSnapshot> entity)
    {
        entity.ToTable("report_snapshots", t => t.HasCheckConstraint("ck_report_snapshots_kind", SnakeCaseEnumConverter.CheckConstraintSql<ReportKind>("kind")));
        entity.Property(r => r.ScopeKey).HasMaxLength(ReportSnapshot.ScopeKeyMaxLength);
        entity.Property(r => r.Kind).HasMaxLength(32).HasConversion(SnakeCaseEnumConverter.For<ReportKind>());
        entity.Property(r => r.Payload).IsRequired();
        entity.HasOne<Customers.Customer>().WithMany().HasForeignKey(r => r.CustomerId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne<Sites.Site>().WithMany().HasForeignKey(r => r.SiteId).OnDelete(DeleteBehavior.Cascade);

        // The page's read and the upsert's conflict target: one snapshot per scope and kind.
        entity.HasIndex(r => new { r.ScopeKey, r.Kind }).IsUnique();
    }
}

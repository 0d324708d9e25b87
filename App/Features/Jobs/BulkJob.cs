using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Jobs;

/// <summary>What a job acts on.</summary>
public enum JobKind
{
    Users,
    Posts,
}

public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// A bulk action stored in the database, so that it outlives the tab and the instance that started it: any instance's
/// <see cref="JobWorker"/> claims it, runs it in batches, and advances <see cref="Cursor"/> and <see cref="Done"/> in each
/// batch's own transaction, so a crash loses at most the batch in flight and the next claimer resumes right after the
/// last committed one.
/// </summary>
/// <remarks>
/// It runs in the scope recorded here (customer, site, role and person of the starter), never wider. Progress, claims
/// and leases are written with conditional updates (not audited: they change no tenant data); starting, cancelling and
/// finishing are audited (<see cref="Audit.AuditActions"/>).
/// </remarks>
public class BulkJob : IHasId
{
    /// <summary>A serialised filter longer than this is refused: a grid's filter is a few hundred characters at most.</summary>
    public const int MaxFilterLength = 2_000;

    /// <summary>A selection is what a person ticked in a grid; more than this is not a selection but a tampered call.</summary>
    public const int MaxSelectedIds = 5_000;

    public const int MaxErrorLength = 1_000;
    public const int MaxActorLength = 320;
    public const int MaxInstanceLength = 200;

    public long Id { get; set; }

    /// <summary>The starter's customer; null only for a platform admin viewing all customers.</summary>
    public long? CustomerId { get; set; }

    /// <summary>The starter's site, for a site-bound scope (an editor).</summary>
    public long? SiteId { get; set; }

    public JobKind Kind { get; set; }

    /// <summary>The bulk action's name, e.g. "Lock" or "Publish" (<see cref="Users.BulkAction"/>, <see cref="Posts.PostBulkAction"/>).</summary>
    public string Action { get; set; } = "";

    /// <summary>The grid filter as JSON (<see cref="JobFilters"/>), validated and at most <see cref="MaxFilterLength"/> characters.</summary>
    public string Filter { get; set; } = "";

    /// <summary>The selected ids as a JSON array of strings when the scope is a selection; null for "all matching the filter".</summary>
    public string? SelectedIds { get; set; }

    /// <summary>What the preview counted when the job was started.</summary>
    public int Total { get; set; }

    public int Done { get; set; }

    /// <summary>The last id of the last committed batch (keyset); <see cref="long.MinValue"/> before the first.</summary>
    public long Cursor { get; set; } = long.MinValue;

    public JobState State { get; set; }

    public string StartedBy { get; set; } = "";
    public long? StartedByUserId { get; set; }

    /// <summary>The starter's role when they started it: the job runs with it, and only while they still hold it.</summary>
    public string StartedByRole { get; set; } = "";

    /// <summary>The instance running it (<see cref="JobWorker.InstanceId"/>); kept after the end for the record.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>The claim holds until then; the worker renews it with each batch. After it, any instance may take over.</summary>
    public DateTime? LeaseUntil { get; set; }

    public string? CancelRequestedBy { get; set; }
    public string? Error { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    public bool IsActive => State is JobState.Queued or JobState.Running;
}

internal sealed class BulkJobConfiguration : IEntityTypeConfiguration<BulkJob>
{
    public void Configure(EntityTypeBuilder<BulkJob> entity)
    {
        entity.ToTable("jobs", t =>
        {
            t.HasCheckConstraint("ck_jobs_kind", SnakeCaseEnumConverter.CheckConstraintSql<JobKind>("kind"));
            t.HasCheckConstraint("ck_jobs_state", SnakeCaseEnumConverter.CheckConstraintSql<JobState>("state"));
        });
        entity.Ignore(j => j.IsActive);
        entity.Property(j => j.Kind).HasMaxLength(16).HasConversion(SnakeCaseEnumConverter.For<JobKind>());
        // State and claim are the concurrency tokens of tracked saves (cancel, finish): a save that raced a claim or a
        // finish matches no row instead of overwriting it. Progress goes through conditional updates (JobRunner).
        entity.Property(j => j.State).HasMaxLength(16).HasConversion(SnakeCaseEnumConverter.For<JobState>()).IsConcurrencyToken();
        entity.Property(j => j.ClaimedBy).IsConcurrencyToken();
        entity.Property(j => j.Action).HasMaxLength(32);
        entity.Property(j => j.Cursor).HasColumnName("cursor_last_id");
        entity.Property(j => j.Filter).HasMaxLength(BulkJob.MaxFilterLength);
        entity.Property(j => j.StartedBy).HasMaxLength(BulkJob.MaxActorLength);
        entity.Property(j => j.StartedByRole).HasMaxLength(32);
        entity.Property(j => j.ClaimedBy).HasMaxLength(BulkJob.MaxInstanceLength);
        entity.Property(j => j.CancelRequestedBy).HasMaxLength(BulkJob.MaxActorLength);
        entity.Property(j => j.Error).HasMaxLength(BulkJob.MaxErrorLength);
        entity.HasOne<Customers.Customer>().WithMany().HasForeignKey(j => j.CustomerId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne<Sites.Site>().WithMany().HasForeignKey(j => j.SiteId).OnDelete(DeleteBehavior.Restrict);

        // Claiming: the oldest queued job, or a running one whose lease has run out (JobClaims).
        entity.HasIndex(j => new { j.State, j.LeaseUntil, j.CreatedAt, j.Id }).HasDatabaseName("ix_jobs_claim");
        // The Jobs page: a tenant's jobs, newest first.
        entity.HasIndex(j => new { j.CustomerId, j.CreatedAt, j.Id }).IsDescending(false, true, true);
    }
}

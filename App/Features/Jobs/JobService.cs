using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Jobs;

/// <summary>A job that was not started, with the reason to show next to the bulk bar. Nothing was saved.</summary>
public sealed class JobRefusedException(string message) : InvalidOperationException(message);

/// <summary>One row of the Jobs page.</summary>
public sealed record JobRow(string Id, JobKind Kind, string Action, string StartedBy, long? StartedByUserId, JobState State, int Done, int Total,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, bool CancelRequested, string? Error, bool MayCancel);

public enum CancelOutcome
{
    /// <summary>A queued job was cancelled at once; a running one stops after its current batch.</summary>
    Requested,
    NotFound,
    NotAllowed,
    AlreadyFinished,
}

/// <summary>
/// Starts bulk actions as durable jobs (Features/Jobs/JobRunner runs them), lists the jobs of the viewer's tenant and
/// cancels them. The tenant comes from the circuit (<see cref="TenantContext"/>), never from the caller: a job is
/// recorded with the starter's customer, site, role and person, and runs with exactly those.
/// </summary>
/// <remarks>The bulk services are resolved per kind (from the same scope): a page of one kind need not carry the other's.</remarks>
public sealed class JobService(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, IServiceProvider services, TimeProvider clock, IChangeFeed feed)
{
    /// <summary>How many jobs the page shows: the newest; older ones are in the audit log.</summary>
    public const int PageSize = 100;

    internal static readonly JsonSerializerOptions FilterJson = new()
    {
        Converters = { new JsonStringEnumConverter() },
        MaxDepth = 4,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public Task<BulkJob> StartUsersJobAsync(BulkAction action, BulkTarget target, CancellationToken cancellationToken = default)
    {
        RefuseFilter(target.Filter.Search);
        return StartAsync(JobKind.Users, action.ToString(), PortalPolicies.ManageUserSignIn, JsonSerializer.Serialize(target.Filter, FilterJson), target.SelectedIds,
            () => services.GetRequiredService<UserBulkService>().PreviewAsync(action, target, cancellationToken), cancellationToken);
    }

    public Task<BulkJob> StartPostsJobAsync(PostBulkAction action, PostBulkTarget target, CancellationToken cancellationToken = default)
    {
        RefuseFilter(target.Filter.Search);
        return StartAsync(JobKind.Posts, action.ToString(), PortalPolicies.EditPosts, JsonSerializer.Serialize(target.Filter, FilterJson), target.SelectedIds,
            () => services.GetRequiredService<PostBulkService>().PreviewAsync(action, target, cancellationToken), cancellationToken);
    }

    private static void RefuseFilter(string? search)
    {
        if (TextLimits.TooLong(search, TextLimits.MaxSearchLength))
        {
            throw new JobRefusedException(TextLimits.Message("The search", TextLimits.MaxSearchLength, search!.Length));
        }
    }

    private async Task<BulkJob> StartAsync(JobKind kind, string action, string policy, string filter, IReadOnlyCollection<string>? selectedIds,
        Func<Task<int>> count, CancellationToken cancellationToken)
    {
        var scope = await tenant.ResolveAsync();
        if (!scope.IsResolved || scope.ActorUserId is null || scope.Role is null)
        {
            throw new JobRefusedException("Only a signed-in person with a tenant can start a job.");
        }

        if (!MayRun(scope.Role, policy))
        {
            throw new JobRefusedException("Your role may not run this action.");
        }

        if (filter.Length > BulkJob.MaxFilterLength)
        {
            throw new JobRefusedException(string.Create(CultureInfo.InvariantCulture, $"The filter is too long to store as a job ({filter.Length:N0} characters; at most {BulkJob.MaxFilterLength:N0}). Nothing was started."));
        }

        string? selection = null;
        if (selectedIds is not null)
        {
            if (selectedIds.Count > BulkJob.MaxSelectedIds)
            {
                throw new JobRefusedException(string.Create(CultureInfo.InvariantCulture, $"A selection has at most {BulkJob.MaxSelectedIds:N0} rows; this one has {selectedIds.Count:N0}. Use \"All matching the filter\" instead. Nothing was started."));
            }

            if (selectedIds.Any(id => !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0))
            {
                throw new JobRefusedException("The selection holds something that is not a row id. Nothing was started.");
            }

            selection = JsonSerializer.Serialize(selectedIds);
        }

        // The count the person confirmed is recomputed here, in their scope: nothing the browser says is trusted.
        int total = await count();
        if (total == 0)
        {
            throw new JobRefusedException("Nothing to do: no row matches.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var job = new BulkJob
        {
            CustomerId = scope.AllCustomers ? null : scope.CustomerId,
            SiteId = scope.AllCustomers ? null : scope.SiteId,
            Kind = kind,
            Action = action,
            Filter = filter,
            SelectedIds = selection,
            Total = total,
            State = JobState.Queued,
            StartedBy = Clip(scope.Actor, BulkJob.MaxActorLength),
            StartedByUserId = scope.ActorUserId,
            StartedByRole = scope.Role,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Jobs.Add(job);
        db.SetAuditAction(job, AuditActions.JobStarted);
        await db.SaveChangesAsync(cancellationToken);
        // After the commit: this instance's idle worker and every other instance's start it now, not at their next poll.
        // The feed never throws; a lost notice leaves the job to the poll (Jobs:PollInterval).
        await feed.PublishAsync(Change.JobQueued(job.Id), CancellationToken.None);
        return job;
    }

    /// <summary>Whether a role may run a job of this policy's actions; checked on start and again on every claim.</summary>
    internal static bool MayRun(string role, string policy) =>
        Enum.TryParse<PortalRole>(role, out var parsed) && PortalPolicies.Roles[policy].Contains(parsed);

    internal static string PolicyFor(JobKind kind) => kind == JobKind.Users ? PortalPolicies.ManageUserSignIn : PortalPolicies.EditPosts;

    /// <summary>The newest jobs of the viewer's tenant (the query filter narrows them), newest first.</summary>
    public async Task<IReadOnlyList<JobRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        var scope = await tenant.ResolveAsync();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var jobs = await db.TenantJobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(PageSize).ToListAsync(cancellationToken);
        return jobs.Select(j => ToRow(j, scope)).ToList();
    }

    /// <summary>One job of the viewer's tenant; null when it does not exist or belongs to another tenant.</summary>
    public async Task<JobRow?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        var scope = await tenant.ResolveAsync();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        return job is null ? null : ToRow(job, scope);
    }

    /// <summary>
    /// Cancels a job: the starter or an admin of its tenant. A queued job ends at once; a running one stops after the
    /// batch in flight, which lands whole. The request is audited.
    /// </summary>
    public async Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default)
    {
        var scope = await tenant.ResolveAsync();
        for (int attempt = 0; ; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
            if (job is null)
            {
                return CancelOutcome.NotFound;
            }

            if (!MayCancel(job, scope))
            {
                return CancelOutcome.NotAllowed;
            }

            if (!job.IsActive)
            {
                return CancelOutcome.AlreadyFinished;
            }

            job.CancelRequestedBy = Clip(scope.Actor, BulkJob.MaxActorLength);
            if (job.State == JobState.Queued)
            {
                job.State = JobState.Cancelled;
                job.FinishedAt = clock.GetUtcNow().UtcDateTime;
            }

            db.SetAuditAction(job, AuditActions.JobCancelRequested);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return CancelOutcome.Requested;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                // A worker claimed or finished it meanwhile (state is the concurrency token): read it again.
            }
        }
    }

    private static bool MayCancel(BulkJob job, TenantScope scope) =>
        scope.ViewAs is null && (
            (job.StartedByUserId is not null && job.StartedByUserId == scope.ActorUserId)
            || scope.Role is PortalRoles.PlatformAdmin or PortalRoles.CustomerAdmin);

    private static JobRow ToRow(BulkJob job, TenantScope scope) => new(
        job.Id.ToString(CultureInfo.InvariantCulture), job.Kind, job.Action, job.StartedBy, job.StartedByUserId, job.State, job.Done, Math.Max(job.Total, job.Done),
        job.CreatedAt, job.StartedAt, job.FinishedAt, job.CancelRequestedBy is not null, job.Error, job.IsActive && MayCancel(job, scope));

    internal static string Clip(string value, int max) => value.Length <= max ? value : value[..max];
}

/// <summary>How a bulk bar follows its job: the job row, read about once a second, from whichever instance runs it.</summary>
public static class JobWatch
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Reports each reading; returns the last one when the job has ended, or null when it vanished from scope.</summary>
    public static async Task<JobRow?> UntilFinishedAsync(JobService jobs, long id, Action<JobRow> progress, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var row = await jobs.GetAsync(id, cancellationToken);
            if (row is null)
            {
                return null;
            }

            progress(row);
            if (row.State is not (JobState.Queued or JobState.Running))
            {
                return row;
            }
        }

        return null;
    }
}

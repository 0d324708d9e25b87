using System.Globalization;
using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Jobs;

/// <summary>The <c>Jobs</c> settings of one instance's runner.</summary>
/// <param name="InstanceId">Written into claimed_by: which instance runs a job.</param>
/// <param name="Lease">How long a claim holds without a committed batch; after it another instance takes over.</param>
/// <param name="BatchSize">Rows per batch; 0 for each action's own default.</param>
/// <param name="BatchPause">
/// A pause after each committed batch (0: none): a throttle that spares a busy database. The lease is renewed with each
/// batch, not during the pause, so the pause must stay well under <paramref name="Lease"/> (<see cref="From"/> refuses
/// half the lease or more). A stop or a cancellation ends the pause at once.
/// </param>
public sealed record JobRunnerOptions(string InstanceId, TimeSpan Lease, int BatchSize = 0, TimeSpan BatchPause = default)
{
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    /// <summary>Reads the <c>Jobs</c> section; a pause that would let the lease run out between batches stops the start-up.</summary>
    public static JobRunnerOptions From(IConfiguration configuration, string instanceId)
    {
        var lease = configuration.GetValue("Jobs:Lease", DefaultLease);
        var pause = configuration.GetValue("Jobs:BatchPause", TimeSpan.Zero);
        if (pause < TimeSpan.Zero || pause * 2 >= lease)
        {
            throw new CommandLine.StartupRefusedException(
                $"Jobs:BatchPause is \"{configuration["Jobs:BatchPause"]}\"; it must be from 00:00:00 to less than half of Jobs:Lease ({lease:c}), because the lease is renewed only by a committed batch.");
        }

        return new JobRunnerOptions(instanceId, lease, configuration.GetValue("Jobs:BatchSize", 0), pause);
    }
}

/// <summary>Thrown inside a batch's transaction when this runner no longer holds the job: the batch rolls back.</summary>
public sealed class JobLeaseLostException(long jobId) : Exception($"Job {jobId} is no longer held by this instance.");

/// <summary>
/// Claims one job and runs it to the end (or until cancelled, or until this instance stops). Exactly-once per batch:
/// each batch's transaction also moves the job's cursor from the value it started from to the batch's last id
/// (compare-and-set, on this runner's claim), so a batch whose job was taken over meanwhile rolls back whole, and
/// the next claimer starts right after the last committed batch.
/// </summary>
public sealed class JobRunner(IServiceScopeFactory scopes, TimeProvider clock, JobRunnerOptions options, ILogger<JobRunner> logger)
{
    /// <summary>
    /// PostgreSQL and CockroachDB (which supports SKIP LOCKED): the oldest claimable job, skipping one another
    /// instance is claiming right now, taken in one statement. Linted by CockroachCompatibilityTests.
    /// </summary>
    public const string ClaimSqlPostgres = """
        UPDATE jobs SET state = 'running', claimed_by = {0}, lease_until = {1}, started_at = COALESCE(started_at, {2})
        WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < {2})
                    ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id AS "Value"
        """;

    /// <summary>SQLite has one writer at a time, so the same conditional UPDATE is atomic without row locks.</summary>
    public const string ClaimSqlSqlite = """
        UPDATE jobs SET state = 'running', claimed_by = {0}, lease_until = {1}, started_at = COALESCE(started_at, {2})
        WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < {2})
                    ORDER BY created_at, id LIMIT 1)
          AND (state = 'queued' OR (state = 'running' AND lease_until < {2}))
        RETURNING id AS "Value"
        """;

    public string InstanceId => options.InstanceId;

    /// <summary>Claims the next job, if any, and runs it. False when there was nothing to claim.</summary>
    /// <param name="stop">This instance is stopping: the run ends between batches and hands the job back (its lease ends now).</param>
    /// <param name="afterBatch">Called after each committed batch with the progress so far.</param>
    public async Task<bool> RunNextAsync(CancellationToken stop, Action<BulkProgress>? afterBatch = null)
    {
        if (stop.IsCancellationRequested)
        {
            return false;
        }

        // Not cancelled half-way: a claim that committed while its statement was being cancelled would hold the job for
        // a whole lease with nobody running it. A claim is one short statement; a stop after it hands the job back.
        long? id = await ClaimAsync(CancellationToken.None);
        if (id is null)
        {
            return false;
        }

        await RunAsync(id.Value, stop, afterBatch);
        return true;
    }

    public async Task<long?> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var scope = SystemScope(out var factory);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        DateTime now = Now;
        string sql = db.Database.IsNpgsql() ? ClaimSqlPostgres : ClaimSqlSqlite;
        var claimed = await db.Database.SqlQueryRaw<long>(sql, options.InstanceId, now + options.Lease, now).ToListAsync(cancellationToken);
        return claimed.Count == 0 ? null : claimed[0];
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private AsyncServiceScope SystemScope(out IDbContextFactory<PortalDbContext> factory)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("jobs"));
        factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        return scope;
    }

    private async Task RunAsync(long id, CancellationToken stop, Action<BulkProgress>? afterBatch)
    {
        BulkJob job;
        await using (var system = SystemScope(out var systemFactory))
        await using (var db = await systemFactory.CreateDbContextAsync(CancellationToken.None))
        {
            job = await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == id, CancellationToken.None);
            if (job.CancelRequestedBy is not null)
            {
                await FinishAsync(id, JobState.Cancelled, null);
                return;
            }

            // The job acts for its starter: only while they exist, are not locked, and still hold the role and
            // tenant it was started with. Anything else ends it as failed, saying why; it never runs wider.
            if (await StarterProblemAsync(db, job) is { } problem)
            {
                await FinishAsync(id, JobState.Failed, problem);
                return;
            }
        }

        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(new TenantScope(job.StartedBy, job.StartedByUserId, job.StartedByRole, job.CustomerId, job.SiteId,
            job.CustomerId is null && job.StartedByRole == PortalRoles.PlatformAdmin));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        BulkPlan? plan = Plan(job, scope.ServiceProvider);
        if (plan is null)
        {
            await FinishAsync(id, JobState.Failed, "The stored action or filter could not be read; nothing was changed.");
            return;
        }

        bool cancelRequested = false, readToTheEnd = false, handBack = false;
        int done = job.Done;
        try
        {
            await BulkRunner.RunAsync(factory, job.Total, async (db, after) =>
            {
                // Between batches (inside the next one's transaction): a cancel request ends the run here.
                if (await db.Jobs.Where(j => j.Id == id).Select(j => j.CancelRequestedBy != null).FirstAsync(CancellationToken.None))
                {
                    cancelRequested = true;
                    return new BulkBatch(0, after, []);
                }

                var batch = await plan.Batch(db, after);
                readToTheEnd = batch.Read == 0;
                int changed = batch.Changed.Count;
                long last = batch.LastId;
                DateTime until = Now + options.Lease;
                // The compare-and-set that makes a batch count once: our claim, still running, and the cursor where we started.
                int moved = await db.Jobs
                    .Where(j => j.Id == id && j.ClaimedBy == options.InstanceId && j.State == JobState.Running && j.Cursor == after)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.Cursor, last).SetProperty(j => j.Done, j => j.Done + changed).SetProperty(j => j.LeaseUntil, until), CancellationToken.None);
                if (moved == 0)
                {
                    throw new JobLeaseLostException(id);
                }

                return batch;
            }, new SynchronousProgress(p => { done = p.Done; afterBatch?.Invoke(p); }), stop, plan.InTransaction, plan.AfterCommit, new BulkStart(job.Cursor, job.Done), options.BatchPause);

            // Ended by this instance's stop, not by the job's end (whatever done and total say: total is the preview's
            // count) nor by a cancel: the job is handed back so another instance resumes after the last batch now, not
            // after the lease. A crash skips this and the lease runs out instead.
            handBack = stop.IsCancellationRequested && !cancelRequested && !readToTheEnd;
            if (!handBack)
            {
                await FinishAsync(id, cancelRequested ? JobState.Cancelled : JobState.Succeeded, null);
            }
        }
        catch (JobLeaseLostException)
        {
            logger.LogWarning("Job {JobId} was taken over by another instance after its lease ran out; this instance stopped without redoing anything.", id);
        }
        catch (Exception exception) when (!stop.IsCancellationRequested)
        {
            logger.LogError(exception, "Job {JobId} failed.", id);
            await FinishAsync(id, JobState.Failed, string.Create(CultureInfo.InvariantCulture,
                $"Stopped with an error after {done:N0} rows; finished batches are saved. The error has been logged."));
        }
        catch (Exception exception)
        {
            // An error while this instance stops (a batch or its aftermath cut short by the shutdown) is no reason to fail
            // the job: the batch in flight rolled back whole, and another instance resumes after the last committed one.
            logger.LogWarning(exception, "Job {JobId} met an error while this instance was stopping; it is handed back.", id);
            handBack = true;
        }
        finally
        {
            if (handBack)
            {
                await ReleaseAsync(id);
            }
        }
    }

    internal static async Task<string?> StarterProblemAsync(PortalDbContext db, BulkJob job)
    {
        if (job.StartedByUserId is not { } userId)
        {
            return "The job has no starter to act for.";
        }

        var starter = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.IsLocked, u.PortalRole, u.CustomerId, u.SiteId }).FirstOrDefaultAsync(CancellationToken.None);
        if (starter is null)
        {
            return "The person who started the job no longer exists; nothing more was changed.";
        }

        if (starter.IsLocked)
        {
            return "The person who started the job is locked; nothing more was changed.";
        }

        if (starter.PortalRole?.ToString() != job.StartedByRole || !JobService.MayRun(job.StartedByRole, JobService.PolicyFor(job.Kind)))
        {
            return "The person who started the job no longer has the role it needs; nothing more was changed.";
        }

        bool platform = job.StartedByRole == PortalRoles.PlatformAdmin;
        if ((!platform && starter.CustomerId != job.CustomerId) || (job.SiteId is not null && starter.SiteId != job.SiteId))
        {
            return "The person who started the job has moved to another tenant; nothing more was changed.";
        }

        return null;
    }

    private BulkPlan? Plan(BulkJob job, IServiceProvider services)
    {
        try
        {
            var selected = job.SelectedIds is null ? null : JsonSerializer.Deserialize<List<string>>(job.SelectedIds);
            int batchSize = options.BatchSize;
            switch (job.Kind)
            {
                case JobKind.Users when Enum.TryParse<BulkAction>(job.Action, out var action) && Enum.IsDefined(action):
                    var filter = JsonSerializer.Deserialize<UserFilter>(job.Filter, JobService.FilterJson)!;
                    return services.GetRequiredService<UserBulkService>().Plan(action, new BulkTarget(filter, selected),
                        batchSize > 0 ? batchSize : UserBulkService.DefaultBatchSize);
                case JobKind.Posts when Enum.TryParse<PostBulkAction>(job.Action, out var postAction) && Enum.IsDefined(postAction):
                    var postFilter = JsonSerializer.Deserialize<PostFilter>(job.Filter, JobService.FilterJson)!;
                    return services.GetRequiredService<PostBulkService>().Plan(postAction, new PostBulkTarget(postFilter, selected),
                        batchSize > 0 ? batchSize : PostBulkService.DefaultBatchSize);
                default:
                    return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Ends this runner's lease at once, only while it still holds the job; the claim (claimed_by) stays until another
    /// instance takes it, so the batch compare-and-set still fails for anyone else. Not audited: no tenant data changes.
    /// </summary>
    internal async Task ReleaseAsync(long id)
    {
        try
        {
            await using var scope = SystemScope(out var factory);
            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            DateTime now = Now;
            int released = await db.Jobs.Where(j => j.Id == id && j.ClaimedBy == options.InstanceId && j.State == JobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, now), CancellationToken.None);
            if (released == 1)
            {
                logger.LogInformation("Job {JobId} was handed back on stop; another instance resumes it after its last committed batch.", id);
            }
        }
        catch (Exception exception)
        {
            // Handing back is a courtesy: without it the lease still runs out.
            logger.LogWarning(exception, "Job {JobId} could not be handed back on stop; another instance takes it after its lease.", id);
        }
    }

    /// <summary>Records the outcome, only while this runner still holds the job; audited as the job worker.</summary>
    private async Task FinishAsync(long id, JobState state, string? error)
    {
        await using var scope = SystemScope(out var factory);
        await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == id, CancellationToken.None);
        if (job is null || job.ClaimedBy != options.InstanceId || job.State != JobState.Running)
        {
            return;
        }

        job.State = state;
        job.Error = error is null ? null : JobService.Clip(error, BulkJob.MaxErrorLength);
        job.FinishedAt = Now;
        job.LeaseUntil = null;
        db.SetAuditAction(job, AuditActions.JobFinished);
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            logger.LogWarning("Job {JobId} changed hands before its outcome was recorded; the new holder records it.", id);
        }
    }

    /// <summary>Progress reported on the runner's own thread, in order (Progress&lt;T&gt; posts to a context).</summary>
    private sealed class SynchronousProgress(Action<BulkProgress> report) : IProgress<BulkProgress>
    {
        public void Report(BulkProgress value) => report(value);
    }
}

using AdminPortal.App.Data;
using AdminPortal.App.Observability;
using Microsoft.Extensions.Options;

namespace AdminPortal.App.Features.Jobs;

/// <summary>
/// Runs on every instance: claims one job at a time (JobRunner) and runs it. When there is none it waits for a
/// "job queued" notice on the change feed (from this instance or another), or at most <c>Jobs:PollInterval</c>: the
/// poll is the fallback for a lost notice and for leases that run out. Several instances share the queue through
/// the claim, never run the same job at once, and take over a job whose instance died once its lease
/// (<c>Jobs:Lease</c>) has run out.
/// </summary>
/// <remarks>
/// A graceful stop ends the job between batches and hands it back as soon as the host starts stopping
/// (<see cref="IHostApplicationLifetime.ApplicationStopping"/>), not when the host gets round to this service: the host
/// stops its services one after another, last registered first (the web server among the first), within one shared
/// <c>HostOptions.ShutdownTimeout</c>. When the services before it use that up (connections slow to drain), the host
/// no longer waits for this one, and the process exits with the job still claimed until its lease runs out.
/// </remarks>
public sealed class JobWorker(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, IOptions<ObservabilityOptions> observability, ILoggerFactory loggers, IChangeFeed feed,
    IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    public JobRunner Runner { get; } = new(scopes, clock, JobRunnerOptions.From(configuration,
        // Unique per process and per start: two hosts in one test process, or a restarted instance, are distinct claimers.
        $"{observability.Value.InstanceId}-{Guid.NewGuid().ToString("N")[..6]}"), loggers.CreateLogger<JobRunner>());

    // At most one wake-up is kept: many notices while a job runs mean one more look for work afterwards, not many.
    private readonly SemaphoreSlim wake = new(0, 1);

    /// <summary>How many times the worker found nothing to claim and went idle (tests wait for the first).</summary>
    public int IdleRounds => Volatile.Read(ref idleRounds);

    private int idleRounds;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Jobs:Enabled", true))
        {
            return;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime?.ApplicationStopping ?? CancellationToken.None);
        var stop = stopping.Token;

        var interval = configuration.GetValue("Jobs:PollInterval", TimeSpan.FromSeconds(2));
        var logger = loggers.CreateLogger<JobWorker>();
        // The handler only signals: it runs on the publisher's or the listener's thread and must return at once.
        using var subscription = feed.Subscribe(change =>
        {
            if (change.Topic is ChangeTopic.Jobs or ChangeTopic.Resync)
            {
                Wake();
            }
        });

        // After a failure (a busy or lost database) the next try comes sooner than the poll: 1 s, doubling up to it. A
        // job whose wake-up met a failed claim would otherwise wait a whole poll interval.
        var retry = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            bool ran = false;
            bool failed = false;
            try
            {
                ran = await Runner.RunNextAsync(stop);
                retry = TimeSpan.FromSeconds(1);
            }
            catch (Exception exception) when (!stop.IsCancellationRequested)
            {
                // Any error but this instance's stop, an OperationCanceledException from a timeout included: ending
                // ExecuteAsync with it would stop this instance's worker for good, and silently.
                failed = true;
                logger.LogError(exception, "Claiming or running a job failed; trying again in {Retry}.", retry < interval ? retry : interval);
            }

            if (failed)
            {
                await WaitForWorkAsync(retry < interval ? retry : interval, stop);
                retry = retry < interval ? retry * 2 : retry;
            }
            else if (!ran)
            {
                Interlocked.Increment(ref idleRounds);
                await WaitForWorkAsync(interval, stop);
            }
        }
    }

    /// <summary>Until a wake-up, the timeout, or the stop; a stop ends the loop without an exception (the host logs a
    /// cancelled ExecuteAsync as a failure when the stop came from ApplicationStopping before its own StopAsync).</summary>
    private async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await wake.WaitAsync(timeout, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the next look for work sees every queued job.
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        wake.Dispose();
    }
}

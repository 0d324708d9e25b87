using AdminPortal.App.Observability;
using Microsoft.Extensions.Options;

namespace AdminPortal.App.Features.Jobs;

/// <summary>
/// Runs on every instance: claims one job at a time (JobRunner) and runs it; when there is none, looks again after
/// <c>Jobs:PollInterval</c>. Several instances share the queue through the claim, never run the same job at once, and
/// take over a job whose instance died once its lease (<c>Jobs:Lease</c>) has run out.
/// </summary>
public sealed class JobWorker(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, IOptions<ObservabilityOptions> observability, ILoggerFactory loggers) : BackgroundService
{
    public JobRunner Runner { get; } = new(scopes, clock, new JobRunnerOptions(
        // Unique per process and per start: two hosts in one test process, or a restarted instance, are distinct claimers.
        $"{observability.Value.InstanceId}-{Guid.NewGuid().ToString("N")[..6]}",
        configuration.GetValue("Jobs:Lease", TimeSpan.FromSeconds(30)),
        configuration.GetValue("Jobs:BatchSize", 0)), loggers.CreateLogger<JobRunner>());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Jobs:Enabled", true))
        {
            return;
        }

        var interval = configuration.GetValue("Jobs:PollInterval", TimeSpan.FromSeconds(2));
        var logger = loggers.CreateLogger<JobWorker>();
        while (!stoppingToken.IsCancellationRequested)
        {
            bool ran = false;
            try
            {
                ran = await Runner.RunNextAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "Claiming or running a job failed; trying again in {Interval}.", interval);
            }

            if (!ran)
            {
                await Task.Delay(interval, stoppingToken);
            }
        }
    }
}

using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Observability;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>
/// A graceful stop hands a running job back even when the host's shutdown budget is gone before it reaches the job
/// worker: the host stops its services last-registered first (the web server among the first), all within one
/// <see cref="HostOptions.ShutdownTimeout"/>, and once that has run out it no longer waits for the rest; the process
/// then exits with the job still claimed for its whole lease.
/// </summary>
public class JobShutdownTests
{
    /// <summary>
    /// Registered after the worker, so the host stops it first. It drains until the shutdown budget is gone, as a web
    /// server with slow connections does, and then looks at the job: what the job row says then is all a real process
    /// leaves behind, since it exits as soon as the host has stopped.
    /// </summary>
    private sealed class SlowToStop(Func<Task<BulkJob>> job) : IHostedService
    {
        public BulkJob? WhenTheBudgetRanOut { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            WhenTheBudgetRanOut = await job();
        }
    }

    [Theory, BothProviders]
    public async Task HostStop_TheServicesStoppedBeforeTheWorkerUseTheWholeShutdownTimeout_TheJobIsHandedBackMeanwhile(DatabaseProvider provider)
    {
        await using var harness = await JobTests.Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        var job = await harness.StartLockAsync(starter);

        // One-row batches with a pause: the job is far from done when the host stops.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Jobs:BatchSize"] = "1",
            ["Jobs:BatchPause"] = "00:00:00.2",
            ["Jobs:Lease"] = "00:10:00",
            ["Jobs:PollInterval"] = "00:00:00.2",
        }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddHostedService(services => new JobWorker(harness.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, configuration,
            Options.Create(new ObservabilityOptions { InstanceId = "stopping" }), NullLoggerFactory.Instance, harness.Services.GetRequiredService<IChangeFeed>(),
            services.GetRequiredService<IHostApplicationLifetime>()));
        var slow = new SlowToStop(() => harness.JobAsync(job.Id));
        builder.Services.AddHostedService(_ => slow);
        using var host = builder.Build();
        await host.StartAsync();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await harness.JobAsync(job.Id)).Done < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "The worker never committed a batch.");
            await Task.Delay(50);
        }

        await host.StopAsync();

        // By the time the budget was gone (before the host even asked the worker to stop), the job had been handed
        // back: still running, still naming this instance, part done, and its lease ended instead of ten minutes away.
        var row = slow.WhenTheBudgetRanOut;
        Assert.NotNull(row);
        Assert.Equal(JobState.Running, row.State);
        Assert.StartsWith("stopping-", row.ClaimedBy);
        Assert.InRange(row.Done, 1, row.Total - 1);
        Assert.True(row.LeaseUntil <= DateTime.UtcNow, $"The job was still held until {row.LeaseUntil:O} when the shutdown budget ran out.");
    }
}

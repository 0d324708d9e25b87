using System.Diagnostics;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Observability;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>A new job wakes an idle worker at once, on this instance and on the others, instead of waiting for its poll.</summary>
public class JobWakeTests(ITestOutputHelper output)
{
    /// <summary>Far longer than the test may take: a job started "now" was woken, not polled.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    [Theory, BothProviders]
    public async Task StartJob_WithAMinutePoll_AnIdleWorkerStartsItWithinSeconds(DatabaseProvider provider)
    {
        await using var harness = await JobTests.Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");

        // SQLite is one process: the worker shares the starter's feed. On PostgreSQL the worker is "another instance"
        // with a listening feed of its own, so the notice has to travel through NOTIFY.
        PostgresChangeFeed? otherInstance = null;
        IChangeFeed feed = harness.Services.GetRequiredService<IChangeFeed>();
        if (provider == DatabaseProvider.Postgres)
        {
            otherInstance = new PostgresChangeFeed(harness.Database.Options);
            await otherInstance.StartAsync(CancellationToken.None);
            await otherInstance.WaitUntilListeningAsync().WaitAsync(TimeSpan.FromSeconds(30));
            feed = otherInstance;
        }

        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Jobs:PollInterval"] = Poll.ToString(),
                ["Jobs:BatchSize"] = "4",
            }).Build();
            using var worker = new JobWorker(harness.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, configuration,
                Options.Create(new ObservabilityOptions { InstanceId = "wake-test" }), NullLoggerFactory.Instance, feed);
            await worker.StartAsync(CancellationToken.None);
            try
            {
                // Idle first: it has looked, found nothing, and now waits up to a minute for its next look.
                var idle = Stopwatch.StartNew();
                while (worker.IdleRounds == 0)
                {
                    Assert.True(idle.Elapsed < TimeSpan.FromSeconds(30), "The worker never went idle.");
                    await Task.Delay(20);
                }

                var clock = Stopwatch.StartNew();
                var job = await harness.StartLockAsync(starter);
                while ((await harness.JobAsync(job.Id)).State == JobState.Queued)
                {
                    Assert.True(clock.Elapsed < Soon, $"The job was still queued after {clock.Elapsed.TotalSeconds:F1} s (poll: {Poll.TotalSeconds} s).");
                    await Task.Delay(50);
                }

                output.WriteLine($"{provider}: claimed {clock.Elapsed.TotalMilliseconds:F0} ms after it was started");
                Assert.True(clock.Elapsed < Soon);
            }
            finally
            {
                await worker.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            if (otherInstance is not null)
            {
                await otherInstance.DisposeAsync();
            }
        }
    }

    [Fact]
    public void ChangeCodec_JobQueued_RoundTripsBetweenInstances()
    {
        var encoded = Assert.Single(ChangeCodec.Encode("a1", Change.JobQueued(42)));
        var (origin, change) = ChangeCodec.Decode(encoded)!.Value;

        Assert.Equal("a1", origin);
        Assert.Equal(ChangeTopic.Jobs, change.Topic);
        Assert.Equal([42L], change.Ids);
    }
}

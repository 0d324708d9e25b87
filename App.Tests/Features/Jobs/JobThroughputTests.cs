using System.Diagnostics;
using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>
/// What durability costs: the same bulk lock (same plan, same 500-row batches) run directly through BulkRunner, as the
/// circuit used to, and as a job through JobRunner (claim, per-batch cancel check and cursor compare-and-set), on the
/// same rows in the same run. Prints rows/s; asserts both lock every row once. 2,000 users by default; set
/// ADMINPORTAL_JOB_FIGURES_USERS (e.g. 100000) for the published figures, and run with
/// <c>--logger "console;verbosity=detailed"</c> to see them.
/// </summary>
public class JobThroughputTests(ITestOutputHelper output)
{
    private const string Prefix = "Throughput";

    [Theory, BothProviders]
    public async Task BulkLock_AsAJob_LocksTheSameRowsOnce_AsTheDirectRun_AndPrintsRowsPerSecond(DatabaseProvider provider)
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("ADMINPORTAL_JOB_FIGURES_USERS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 2_000;
        await using var harness = await JobTests.Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        await SeedAsync(harness, starter.CustomerId!.Value, count);
        var filter = new UserFilter(Search: Prefix);

        double direct1 = await DirectAsync(harness, starter, filter, count);
        await AssertLockedOnceEachAsync(harness, count, runs: 1);
        await ResetAsync(harness);
        double job = await JobAsync(harness, starter, filter, count);
        await AssertLockedOnceEachAsync(harness, count, runs: 2);
        await ResetAsync(harness);
        double direct2 = await DirectAsync(harness, starter, filter, count);
        await AssertLockedOnceEachAsync(harness, count, runs: 3);

        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{provider}, bulk lock of {count:N0} users, {UserBulkService.DefaultBatchSize}-row batches, load average {load}:\n" +
            $"  direct (BulkRunner, in-circuit path), 1st run: {direct1,9:N0} rows/s\n" +
            $"  as a job (JobRunner, claim + cursor CAS):    {job,9:N0} rows/s\n" +
            $"  direct (BulkRunner), 2nd run:                {direct2,9:N0} rows/s\n" +
            $"  job / mean(direct): {job / ((direct1 + direct2) / 2):P0}"));
    }

    private static async Task SeedAsync(JobTests.Harness harness, long customerId, int count)
    {
        long site;
        await using (var context = await harness.Database.ContextAsync(TenantScope.System()))
        {
            site = await context.Db.Sites.Where(s => s.CustomerId == customerId).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
        }

        for (int start = 0; start < count; start += 5_000)
        {
            await using var context = await harness.Database.ContextAsync(TenantScope.System());
            context.Db.Users.AddRange(Enumerable.Range(start, Math.Min(5_000, count - start)).Select(i => new User
            {
                Id = TimeOrderedId.Next(), CustomerId = customerId, SiteId = site, Email = $"throughput{i}@contoso.example",
                DisplayName = $"{Prefix} {i:D6}", IsActive = true, CreatedAt = DateTime.UtcNow,
            }));
            await context.Db.SaveChangesAsync();
        }
    }

    private static async Task<double> DirectAsync(JobTests.Harness harness, TenantScope starter, UserFilter filter, int count)
    {
        await using var scope = harness.Scope(starter);
        var bulk = scope.ServiceProvider.GetRequiredService<UserBulkService>();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var clock = Stopwatch.StartNew();
        int total = await bulk.PreviewAsync(BulkAction.Lock, new BulkTarget(filter, null));
        var plan = bulk.Plan(BulkAction.Lock, new BulkTarget(filter, null));
        var run = await BulkRunner.RunAsync(factory, total, plan.Batch, null, CancellationToken.None, plan.InTransaction, plan.AfterCommit);
        clock.Stop();
        Assert.Equal((count, count), (total, run.Done));
        return run.Done / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> JobAsync(JobTests.Harness harness, TenantScope starter, UserFilter filter, int count)
    {
        var clock = Stopwatch.StartNew();
        var started = await harness.StartLockAsync(starter, filter);
        Assert.True(await harness.Runner("throughput", batchSize: UserBulkService.DefaultBatchSize).RunNextAsync(CancellationToken.None));
        clock.Stop();
        var job = await harness.JobAsync(started.Id);
        Assert.Equal((JobState.Succeeded, count, count), (job.State, job.Total, job.Done));
        return job.Done / clock.Elapsed.TotalSeconds;
    }

    private static async Task ResetAsync(JobTests.Harness harness)
    {
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        await context.Db.Users.Where(u => u.DisplayName.StartsWith(Prefix)).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsLocked, false));
    }

    /// <summary>Every seeded user locked, and audited bulk_lock exactly once per run so far.</summary>
    private static async Task AssertLockedOnceEachAsync(JobTests.Harness harness, int count, int runs)
    {
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(count, await context.Db.Users.CountAsync(u => u.DisplayName.StartsWith(Prefix) && u.IsLocked));
        var ids = context.Db.Users.Where(u => u.DisplayName.StartsWith(Prefix)).Select(u => u.Id);
        var perRow = await context.Db.AuditLog.Where(a => a.Action == "bulk_lock" && ids.Contains(a.EntityId)).GroupBy(a => a.EntityId)
            .Select(g => g.Count()).ToListAsync();
        Assert.Equal(count, perRow.Count);
        Assert.All(perRow, c => Assert.Equal(runs, c));
    }
}

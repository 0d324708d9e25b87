using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>
/// Durable bulk jobs against the real databases: started in the starter's scope, claimed by one worker at a time,
/// each batch counted once (the cursor moves in the batch's own transaction), resumed after a crash, cancelled, and
/// never run wider than the starter's tenant.
/// </summary>
public class JobTests
{
    /// <summary>The services a job runs with, on the test database: the same registrations as the portal's.</summary>
    internal sealed class Harness : IAsyncDisposable
    {
        public TestDatabase Database { get; }
        public ServiceProvider Services { get; }

        private Harness(TestDatabase database)
        {
            Database = database;
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            services.AddPortalData(database.Options);
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<UserAccessService>();
            services.AddSingleton<UserSyncNotifier>();
            services.AddScoped<UserService>();
            services.AddScoped<UserBulkService>();
            services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
            services.AddScoped<PostBulkService>();
            services.AddScoped<JobService>();
            Services = services.BuildServiceProvider();
        }

        public static async Task<Harness> CreateAsync(DatabaseProvider provider) => new(await TestDatabase.CreateMigratedAsync(provider, seed: true));

        public JobRunner Runner(string instance, TimeSpan? lease = null, int batchSize = 4, TimeProvider? clock = null, TimeSpan batchPause = default) =>
            new(Services.GetRequiredService<IServiceScopeFactory>(), clock ?? TimeProvider.System, new JobRunnerOptions(instance, lease ?? TimeSpan.FromSeconds(30), batchSize, batchPause), NullLogger<JobRunner>.Instance);

        public AsyncServiceScope Scope(TenantScope tenant)
        {
            var scope = Services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
            return scope;
        }

        /// <summary>A customer's admin as the circuit would see them: a real user id and role.</summary>
        public async Task<TenantScope> AdminOfAsync(string slug, PortalRole role = PortalRole.CustomerAdmin)
        {
            await using var context = await Database.ContextAsync(TenantScope.System());
            var user = await context.Db.Users.Where(u => u.Customer!.Slug == slug && u.PortalRole == role).OrderBy(u => u.Id).FirstAsync();
            return new TenantScope(user.DisplayName, user.Id, role.ToString(), user.CustomerId, role == PortalRole.Editor ? user.SiteId : null, false);
        }

        public async Task<BulkJob> StartLockAsync(TenantScope starter, UserFilter? filter = null, IReadOnlyCollection<string>? selection = null)
        {
            await using var scope = Scope(starter);
            return await scope.ServiceProvider.GetRequiredService<JobService>().StartUsersJobAsync(BulkAction.Lock, new BulkTarget(filter ?? new UserFilter(), selection));
        }

        public async Task<BulkJob> JobAsync(long id)
        {
            await using var context = await Database.ContextAsync(TenantScope.System());
            return await context.Db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
        }

        /// <summary>How many times each user got this audit action: exactly-once means never more than one.</summary>
        public async Task<Dictionary<long, int>> AuditCountsAsync(string action)
        {
            await using var context = await Database.ContextAsync(TenantScope.System());
            return await context.Db.AuditLog.Where(a => a.Action == action && a.EntityType == nameof(User)).GroupBy(a => a.EntityId)
                .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        }

        public async Task<int> UnlockedAsync(params long?[] customers)
        {
            await using var context = await Database.ContextAsync(TenantScope.System());
            return await context.Db.Users.CountAsync(u => customers.Contains(u.CustomerId) && !u.IsLocked);
        }

        public async ValueTask DisposeAsync()
        {
            await Services.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    [Theory, BothProviders]
    public async Task RunNext_UsersLockJob_LocksTheStartersTenantOnce_AndAuditsStartAndFinish(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        int othersUnlocked;
        await using (var before = await harness.Database.ContextAsync(TenantScope.System()))
        {
            othersUnlocked = await before.Db.Users.CountAsync(u => u.CustomerId != starter.CustomerId && !u.IsLocked);
        }

        int unlocked = await harness.UnlockedAsync(starter.CustomerId);
        var job = await harness.StartLockAsync(starter);
        Assert.Equal(JobState.Queued, (await harness.JobAsync(job.Id)).State);

        Assert.True(await harness.Runner("a").RunNextAsync(CancellationToken.None));
        Assert.False(await harness.Runner("a").RunNextAsync(CancellationToken.None));

        var done = await harness.JobAsync(job.Id);
        var locks = await harness.AuditCountsAsync("bulk_lock");
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal("a", done.ClaimedBy);
        Assert.NotNull(done.FinishedAt);
        Assert.True(done.Done > 4, "several batches ran");
        Assert.Equal(done.Done, locks.Count);
        Assert.All(locks.Values, count => Assert.Equal(1, count));
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        // The starter is left alone (a lock never locks out the person doing it); nobody elsewhere changed.
        Assert.Equal(unlocked - done.Done, await harness.UnlockedAsync(starter.CustomerId));
        Assert.False(await context.Db.Users.Where(u => u.Id == starter.ActorUserId).Select(u => u.IsLocked).SingleAsync());
        Assert.Equal(othersUnlocked, await context.Db.Users.CountAsync(u => u.CustomerId != starter.CustomerId && !u.IsLocked));
        Assert.All(await context.Db.AuditLog.Where(a => a.Action == "bulk_lock").ToListAsync(), a => Assert.Equal((starter.Actor, starter.ActorUserId, starter.CustomerId), (a.Actor, a.ActorUserId, a.CustomerId)));
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobStarted && a.EntityId == job.Id && a.CustomerId == starter.CustomerId));
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobFinished && a.EntityId == job.Id && a.Changes!.Contains("Succeeded")));
    }

    [Theory, BothProviders]
    public async Task RunNext_WorkerStopsAfterBatchTwo_HandsTheJobBack_SecondWorkerTakesOverAtOnce_AndDoesOnlyTheRest(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        int unlocked = await harness.UnlockedAsync(starter.CustomerId);
        var job = await harness.StartLockAsync(starter);

        // Worker A's instance stops after its second batch: it stops between batches, records no outcome, and hands
        // the job back. (A crash, which cannot hand back, waits for the lease: JobFailoverBrowserTests.)
        using var stopping = new CancellationTokenSource();
        var first = new List<BulkProgress>();
        var a = harness.Runner("a", lease: TimeSpan.FromMinutes(10));
        var b = harness.Runner("b");
        long? claimedWhileHeld = null;
        Assert.True(await a.RunNextAsync(stopping.Token, p =>
        {
            first.Add(p);
            if (p.Batches == 1)
            {
                // While A holds the job (its lease far ahead) nobody else takes it.
                claimedWhileHeld = b.ClaimAsync(CancellationToken.None).GetAwaiter().GetResult();
            }

            if (p.Batches == 2)
            {
                stopping.Cancel();
            }
        }));
        Assert.Null(claimedWhileHeld);
        var halfway = await harness.JobAsync(job.Id);
        Assert.Equal((JobState.Running, "a", first[^1].Done), (halfway.State, halfway.ClaimedBy, halfway.Done));
        Assert.Equal(2, first.Count);
        Assert.True(halfway.LeaseUntil <= DateTime.UtcNow, "A handed the job back: its lease ends now, not in ten minutes.");

        // B takes it at once, without waiting for A's ten-minute lease.
        var second = new List<BulkProgress>();
        Assert.True(await b.RunNextAsync(CancellationToken.None, second.Add));

        var done = await harness.JobAsync(job.Id);
        var locks = await harness.AuditCountsAsync("bulk_lock");
        Assert.Equal((JobState.Succeeded, "b"), (done.State, done.ClaimedBy));
        // B resumed after A's last committed batch: its first report already counts A's rows, and nothing ran twice.
        Assert.True(second[0].Done > halfway.Done);
        Assert.True(second[0].Done - halfway.Done <= 4);
        Assert.Equal(done.Done, second[^1].Done);
        Assert.Equal(done.Done, locks.Count);
        Assert.All(locks.Values, count => Assert.Equal(1, count));
        Assert.Equal(unlocked - done.Done, await harness.UnlockedAsync(starter.CustomerId));
    }

    [Theory, BothProviders]
    public async Task RunNext_AnErrorAfterTheInstanceBeganStopping_HandsTheJobBack_AndTheNextWorkerFinishesIt(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        var job = await harness.StartLockAsync(starter);

        // The stop arrives after batch two, and what follows the batch fails, as a service the shutdown has already
        // disposed would: the job is not failed, nor left claimed for its ten-minute lease, but handed back.
        using var stopping = new CancellationTokenSource();
        var a = harness.Runner("a", lease: TimeSpan.FromMinutes(10));
        Assert.True(await a.RunNextAsync(stopping.Token, p =>
        {
            if (p.Batches == 2)
            {
                stopping.Cancel();
                throw new ObjectDisposedException("a service the shutdown disposed");
            }
        }));
        var halfway = await harness.JobAsync(job.Id);
        Assert.Equal((JobState.Running, "a", (string?)null), (halfway.State, halfway.ClaimedBy, halfway.Error));
        Assert.True(halfway.LeaseUntil <= DateTime.UtcNow, "A handed the job back: its lease ends now, not in ten minutes.");

        Assert.True(await harness.Runner("b").RunNextAsync(CancellationToken.None));
        var done = await harness.JobAsync(job.Id);
        var locks = await harness.AuditCountsAsync("bulk_lock");
        Assert.Equal((JobState.Succeeded, "b"), (done.State, done.ClaimedBy));
        Assert.Equal(done.Done, locks.Count);
        Assert.All(locks.Values, count => Assert.Equal(1, count));
    }

    [Theory, BothProviders]
    public async Task RunNext_StopWhenDoneReachesTheStartCountButRowsRemain_HandsTheJobBack_NotSucceeded(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        var job = await harness.StartLockAsync(starter);
        // A user who matches the job's filter arrives after its count: the keyset reads on to them (the newest id).
        long late = TimeOrderedId.Next();
        await using (var context = await harness.Database.ContextAsync(TenantScope.System()))
        {
            long site = await context.Db.Sites.Where(s => s.CustomerId == starter.CustomerId).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            context.Db.Users.Add(new User { Id = late, CustomerId = starter.CustomerId!.Value, SiteId = site, Email = "late@contoso.example", DisplayName = "Late Arrival", IsActive = true, CreatedAt = DateTime.UtcNow });
            await context.Db.SaveChangesAsync();
        }

        // A stops just as its count of done rows reaches the job's total: the late user is still to do, so the job is
        // handed back, not recorded as succeeded with a matching user left unlocked.
        using var stopping = new CancellationTokenSource();
        Assert.True(await harness.Runner("a", lease: TimeSpan.FromMinutes(10), batchSize: 1).RunNextAsync(stopping.Token, p =>
        {
            if (p.Done >= job.Total)
            {
                stopping.Cancel();
            }
        }));
        var stopped = await harness.JobAsync(job.Id);
        Assert.Equal((JobState.Running, job.Total), (stopped.State, stopped.Done));
        Assert.True(stopped.LeaseUntil <= DateTime.UtcNow, "A handed the job back.");

        Assert.True(await harness.Runner("b").RunNextAsync(CancellationToken.None));
        var done = await harness.JobAsync(job.Id);
        Assert.Equal((JobState.Succeeded, job.Total + 1), (done.State, done.Done));
        Assert.Equal(1, (await harness.AuditCountsAsync("bulk_lock")).GetValueOrDefault(late));
    }

    [Theory, BothProviders]
    public async Task RunNext_WithABatchPause_PausesBetweenBatches_AndAStopDuringThePauseHandsTheJobBackAtOnce(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        var job = await harness.StartLockAsync(starter);

        // A: a ten-minute pause. The instance stops 200 ms into the pause after batch one: the run ends then, not ten
        // minutes later, with that one batch done and the job handed back.
        using var stopping = new CancellationTokenSource();
        var first = new List<BulkProgress>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var a = harness.Runner("a", lease: TimeSpan.FromMinutes(30), batchPause: TimeSpan.FromMinutes(10));
        Assert.True(await a.RunNextAsync(stopping.Token, p =>
        {
            first.Add(p);
            stopping.CancelAfter(TimeSpan.FromMilliseconds(200));
        }).WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2));
        var halfway = await harness.JobAsync(job.Id);
        Assert.Single(first);
        Assert.Equal((JobState.Running, "a", first[0].Done), (halfway.State, halfway.ClaimedBy, halfway.Done));
        Assert.True(halfway.LeaseUntil <= DateTime.UtcNow, "A handed the job back: its lease ends now, not in thirty minutes.");

        // B: a 300 ms pause. Each batch starts at least the pause after the one before; the job ends, every row once.
        var pause = TimeSpan.FromMilliseconds(300);
        var reported = new List<TimeSpan>();
        Assert.True(await harness.Runner("b", batchPause: pause).RunNextAsync(CancellationToken.None, _ => reported.Add(clock.Elapsed)));
        var done = await harness.JobAsync(job.Id);
        Assert.Equal((JobState.Succeeded, "b"), (done.State, done.ClaimedBy));
        Assert.True(reported.Count >= 2, "B ran several batches");
        Assert.All(reported.Zip(reported.Skip(1), (before, after) => after - before), gap => Assert.True(gap >= pause - TimeSpan.FromMilliseconds(15), $"{gap} between batches"));
        var locks = await harness.AuditCountsAsync("bulk_lock");
        Assert.Equal(done.Done, locks.Count);
        Assert.All(locks.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public void Options_BatchPauseOfHalfTheLeaseOrMore_RefusesToStart_AndTheDefaultIsNoPause()
    {
        static JobRunnerOptions Read(params (string Key, string Value)[] settings) => JobRunnerOptions.From(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(), "x");

        var defaults = Read();
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromSeconds(30), 0), (defaults.BatchPause, defaults.Lease, defaults.BatchSize));
        Assert.Equal(TimeSpan.FromMilliseconds(50), Read(("Jobs:BatchPause", "00:00:00.05")).BatchPause);
        Assert.Equal(TimeSpan.FromSeconds(14), Read(("Jobs:BatchPause", "00:00:14")).BatchPause);
        var refused = Assert.Throws<AdminPortal.App.CommandLine.StartupRefusedException>(() => Read(("Jobs:BatchPause", "00:00:15")));
        Assert.Contains("Jobs:BatchPause", refused.Message);
        Assert.Throws<AdminPortal.App.CommandLine.StartupRefusedException>(() => Read(("Jobs:BatchPause", "00:01:00"), ("Jobs:Lease", "00:01:00")));
        Assert.Throws<AdminPortal.App.CommandLine.StartupRefusedException>(() => Read(("Jobs:BatchPause", "-00:00:01")));
    }

    [Fact]
    public async Task RunNext_TwoWorkersRacingOnPostgres_WithLeasesRunningOut_ApplyEachBatchExactlyOnce()
    {
        await using var harness = await Harness.CreateAsync(DatabaseProvider.Postgres);
        var contoso = await harness.AdminOfAsync("contoso");
        var fabrikam = await harness.AdminOfAsync("fabrikam");
        int unlocked = await harness.UnlockedAsync(contoso.CustomerId, fabrikam.CustomerId);
        var jobs = new[] { await harness.StartLockAsync(contoso), await harness.StartLockAsync(fabrikam) };

        // Every batch ends with its runner's lease already run out (the shared clock steps past it), so the two
        // workers keep taking jobs from each other mid-run: only the cursor's compare-and-set in each batch's
        // transaction keeps a batch from landing twice. A clock, not a sleep: the lease is out after every batch on
        // any machine, however slow.
        var lease = TimeSpan.FromMilliseconds(150);
        var clock = new SteppingClock(DateTimeOffset.UtcNow);
        var a = harness.Runner("a", lease, batchSize: 3, clock);
        var b = harness.Runner("b", lease, batchSize: 3, clock);
        async Task Drain(JobRunner runner)
        {
            for (int idle = 0; idle < 20;)
            {
                idle = await runner.RunNextAsync(CancellationToken.None, _ => clock.Advance(lease + TimeSpan.FromMilliseconds(1))) ? 0 : idle + 1;
                await Task.Delay(50);
            }
        }

        await Task.WhenAll(Task.Run(() => Drain(a)), Task.Run(() => Drain(b)));

        var locks = await harness.AuditCountsAsync("bulk_lock");
        int done = 0;
        foreach (var job in jobs)
        {
            var row = await harness.JobAsync(job.Id);
            Assert.Equal(JobState.Succeeded, row.State);
            done += row.Done;
        }

        Assert.Equal(done, locks.Count);
        Assert.All(locks.Values, count => Assert.Equal(1, count));
        Assert.Equal(unlocked - done, await harness.UnlockedAsync(contoso.CustomerId, fabrikam.CustomerId));
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(2, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobFinished));
    }

    [Theory, BothProviders]
    public async Task Cancel_ByTheStarterDuringARun_StopsAfterTheBatchInFlight_AndIsAudited(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");
        var job = await harness.StartLockAsync(starter);
        CancelOutcome? outcome = null;

        await harness.Runner("a").RunNextAsync(CancellationToken.None, p =>
        {
            if (p.Batches == 1)
            {
                using var scope = harness.Scope(starter);
                outcome = scope.ServiceProvider.GetRequiredService<JobService>().CancelAsync(job.Id).GetAwaiter().GetResult();
            }
        });

        var row = await harness.JobAsync(job.Id);
        Assert.Equal(CancelOutcome.Requested, outcome);
        Assert.Equal(JobState.Cancelled, row.State);
        Assert.Equal(starter.Actor, row.CancelRequestedBy);
        Assert.InRange(row.Done, 1, 4);
        Assert.Equal(row.Done, (await harness.AuditCountsAsync("bulk_lock")).Count);
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobCancelRequested && a.EntityId == job.Id && a.Actor == starter.Actor));
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobFinished && a.EntityId == job.Id && a.Changes!.Contains("Cancelled")));
    }

    [Theory, BothProviders]
    public async Task Cancel_QueuedJob_EndsAtOnce_NobodyRunsIt_AndASupportUserMayNotCancelAnothersJob(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var admin = await harness.AdminOfAsync("contoso");
        var support = await harness.AdminOfAsync("contoso", PortalRole.Support);
        var job = await harness.StartLockAsync(admin);

        await using (var scope = harness.Scope(support))
        {
            Assert.Equal(CancelOutcome.NotAllowed, await scope.ServiceProvider.GetRequiredService<JobService>().CancelAsync(job.Id));
            Assert.False((await scope.ServiceProvider.GetRequiredService<JobService>().GetAsync(job.Id))!.MayCancel);
        }

        await using (var scope = harness.Scope(admin))
        {
            var service = scope.ServiceProvider.GetRequiredService<JobService>();
            Assert.Equal(CancelOutcome.Requested, await service.CancelAsync(job.Id));
            Assert.Equal(CancelOutcome.AlreadyFinished, await service.CancelAsync(job.Id));
        }

        Assert.False(await harness.Runner("a").RunNextAsync(CancellationToken.None));
        Assert.Equal(JobState.Cancelled, (await harness.JobAsync(job.Id)).State);
        Assert.Empty(await harness.AuditCountsAsync("bulk_lock"));
    }

    [Theory, BothProviders]
    public async Task Start_HostileOrOversizedInput_IsRefusedWithAClearMessage_AndNothingIsSaved(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso");

        var tooLong = await Assert.ThrowsAsync<JobRefusedException>(() => harness.StartLockAsync(starter, new UserFilter(Search: new string('x', 5_000))));
        Assert.Contains("at most 200 characters", tooLong.Message);
        var tooMany = await Assert.ThrowsAsync<JobRefusedException>(() => harness.StartLockAsync(starter, selection: Enumerable.Range(1, BulkJob.MaxSelectedIds + 1).Select(i => i.ToString()).ToList()));
        Assert.Contains("at most 5,000 rows", tooMany.Message);
        var hostile = await Assert.ThrowsAsync<JobRefusedException>(() => harness.StartLockAsync(starter, selection: ["1", "2); DROP TABLE jobs; --", "<script>"]));
        Assert.Contains("not a row id", hostile.Message);
        var viewAs = await Assert.ThrowsAsync<JobRefusedException>(() => harness.StartLockAsync(starter with { ActorUserId = null }));
        Assert.Contains("signed-in person", viewAs.Message);

        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(0, await context.Db.Jobs.CountAsync());
        Assert.Equal(0, await context.Db.AuditLog.CountAsync(a => a.Action == AuditActions.JobStarted));
    }

    [Theory, BothProviders]
    public async Task RunNext_TamperedStoredFilter_FailsWithAClearError_AndChangesNothing(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var job = await harness.StartLockAsync(await harness.AdminOfAsync("contoso"));
        await using (var context = await harness.Database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Filter, "{\"Search\":{\"$where\":\"1\"},\"Evil\":1}"));
        }

        Assert.True(await harness.Runner("a").RunNextAsync(CancellationToken.None));

        var row = await harness.JobAsync(job.Id);
        Assert.Equal(JobState.Failed, row.State);
        Assert.Equal("The stored action or filter could not be read; nothing was changed.", row.Error);
        Assert.Empty(await harness.AuditCountsAsync("bulk_lock"));
    }

    [Theory, BothProviders]
    public async Task RunNext_StarterLostTheRole_FailsSayingWhy_AndChangesNothing(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var starter = await harness.AdminOfAsync("contoso", PortalRole.Support);
        var job = await harness.StartLockAsync(starter);
        await using (var context = await harness.Database.ContextAsync(TenantScope.System()))
        {
            var user = await context.Db.Users.SingleAsync(u => u.Id == starter.ActorUserId);
            user.PortalRole = PortalRole.Editor;
            await context.Db.SaveChangesAsync();
        }

        Assert.True(await harness.Runner("a").RunNextAsync(CancellationToken.None));

        var row = await harness.JobAsync(job.Id);
        Assert.Equal(JobState.Failed, row.State);
        Assert.Contains("no longer has the role", row.Error);
        Assert.Empty(await harness.AuditCountsAsync("bulk_lock"));
    }

    [Theory, BothProviders]
    public async Task RunNext_PostsJobOfAnEditor_ChangesOnlyTheEditorsSite(DatabaseProvider provider)
    {
        await using var harness = await Harness.CreateAsync(provider);
        var editor = await harness.AdminOfAsync("contoso", PortalRole.Editor);
        int elsewhere;
        await using (var before = await harness.Database.ContextAsync(TenantScope.System()))
        {
            elsewhere = await before.Db.Posts.CountAsync(p => p.SiteId != editor.SiteId);
        }

        BulkJob job;
        await using (var scope = harness.Scope(editor))
        {
            job = await scope.ServiceProvider.GetRequiredService<JobService>().StartPostsJobAsync(PostBulkAction.Trash, new PostBulkTarget(new PostFilter(PostTab.Drafts), null));
        }

        Assert.Equal((editor.CustomerId, editor.SiteId), (job.CustomerId, job.SiteId));
        Assert.True(await harness.Runner("a").RunNextAsync(CancellationToken.None));

        var row = await harness.JobAsync(job.Id);
        Assert.Equal(JobState.Succeeded, row.State);
        Assert.True(row.Done > 0);
        await using var context = await harness.Database.ContextAsync(TenantScope.System());
        Assert.Equal(0, await context.Db.Posts.CountAsync(p => p.SiteId == editor.SiteId && p.Status == PostStatus.Draft));
        Assert.Equal(elsewhere, await context.Db.Posts.CountAsync(p => p.SiteId != editor.SiteId));
    }

    /// <summary>A clock that moves only when told, safe to read and step from two workers' threads.</summary>
    internal sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private long ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }
}

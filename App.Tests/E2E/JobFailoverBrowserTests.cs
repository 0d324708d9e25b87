using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// A durable job outlives its instance: two portal processes on the private PostgreSQL, one-row batches so the job has
/// many. A person starts a bulk lock in Chromium on A; A claims it; A dies (SIGKILL) or stops gracefully (SIGTERM)
/// mid-run; B finishes it, and every targeted user is locked and audited exactly once.
/// </summary>
/// <remarks>
/// B starts only once A holds the job, so A's claim is certain (both instances poll the same queue); B then takes over
/// exactly as a running instance would, through the claim query, after the lease or at once when A hands the job back.
/// </remarks>
public sealed class JobFailoverBrowserTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private readonly List<PortalProcess> processes = [];

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        await database.DisposeAsync();
    }

    /// <param name="batchPause">Jobs:BatchPause: A pauses after each one-row batch, so its part of the job lasts far longer than the
    /// test needs to kill or stop it, however fast the database; B does not pause, so it finishes the rest soon.</param>
    private async Task<(PortalProcess Process, string Url)> StartAsync(string instance, TimeSpan lease, TimeSpan batchPause = default)
    {
        int port = PortalProcess.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Portal"] = database.Options.ConnectionString,
            ["Database__SeedDemoData"] = "false",
            ["Auth__DevIdentityProvider"] = "true",
            ["Observability__InstanceId"] = instance,
            ["Jobs__Lease"] = lease.ToString("c", CultureInfo.InvariantCulture),
            ["Jobs__BatchSize"] = "1",
            ["Jobs__BatchPause"] = batchPause.ToString("c", CultureInfo.InvariantCulture),
            ["Jobs__PollInterval"] = "00:00:00.5",
            ["Sync__Interval"] = "00:10:00",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var process = PortalProcess.Start(environment, dotnetRun: false, "--urls", $"http://127.0.0.1:{port}");
        processes.Add(process);
        string url = $"http://127.0.0.1:{port}";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        await process.WaitForAsync(client, url + "/health/live", TimeSpan.FromSeconds(180));
        return (process, url);
    }

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await query(context.Db);
    }

    private async Task<List<long>> SeedAsync(int count)
    {
        return await QueryAsync(async db =>
        {
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            long site = await db.Sites.Where(s => s.CustomerId == contoso.Id).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            var users = Enumerable.Range(0, count).Select(i => new User
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso.Id, SiteId = site, Email = $"failover{i}@contoso.example",
                DisplayName = $"Failover {i:D4}", IsActive = true, CreatedAt = DateTime.UtcNow,
            }).ToList();
            db.Users.AddRange(users);
            await db.SaveChangesAsync();
            return users.Select(u => u.Id).ToList();
        });
    }

    /// <summary>As a person does it: users grid, filter, Lock, preview, Run, type the count, confirm.</summary>
    private async Task StartLockJobAsync(string url, int count)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await SignInAsync(page, url);
        await page.GotoAsync(url + "/users?q=Failover");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        string n = count.ToString("N0", CultureInfo.InvariantCulture);
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync($"{n} users", new() { Timeout = 30_000 });
        var bar = page.GetByTestId("bulk-bar");
        await page.GetByLabel("Bulk action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Lock" });
        await bar.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-preview")).ToHaveTextAsync($"This will lock {n} users.", new() { Timeout = 30_000 });
        await bar.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel($"Type {n} to confirm").FillAsync(n);
        await dialog.GetByRole(AriaRole.Button, new() { Name = $"Lock {n} users" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-progress")).ToContainTextAsync($"of {n} done", new() { Timeout = 30_000 });
    }

    private static async Task SignInAsync(IPage page, string url)
    {
        await page.GotoAsync(url + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Customer admin · Contoso" }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
    }

    private Task<BulkJob> JobAsync() => QueryAsync(db => db.Jobs.AsNoTracking().SingleAsync());

    private async Task<BulkJob> WaitForJobAsync(Func<BulkJob, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await QueryAsync(db => db.Jobs.AsNoTracking().SingleOrDefaultAsync());
            if (job is not null && condition(job))
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {timeout}: state {job?.State}, {job?.Done} of {job?.Total}, claimed by {job?.ClaimedBy}.\n"
                    + string.Join("\n----\n", processes.Select(p => p.Output)));
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Every targeted user locked, with exactly one bulk_lock audit entry each; none missing, none twice.</summary>
    private async Task AssertEveryRowChangedOnceAsync(List<long> ids)
    {
        var perRow = await QueryAsync(db => db.AuditLog.AsNoTracking().Where(a => a.Action.StartsWith("bulk_") && ids.Contains(a.EntityId))
            .GroupBy(a => a.EntityId).Select(g => new { Id = g.Key, Count = g.Count() }).ToListAsync());
        Assert.Equal(ids.Count, perRow.Count);
        Assert.All(perRow, row => Assert.Equal(1, row.Count));
        Assert.Equal(ids.Count, await QueryAsync(db => db.Users.CountAsync(u => ids.Contains(u.Id) && u.IsLocked)));
        Assert.Equal(ids.Count, await QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "bulk_lock")));
    }

    private async Task AssertJobsPageShowsFinishedAsync(string url, int count)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await SignInAsync(page, url);
        await page.GotoAsync(url + "/jobs");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        var row = page.GetByTestId("job-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Lock users");
        await Expect(row).ToContainTextAsync("Succeeded", new() { Timeout = 30_000 });
        string n = count.ToString("N0", CultureInfo.InvariantCulture);
        await Expect(row.GetByTestId("job-progress")).ToHaveTextAsync($"{n} of {n} done");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Stop Lock users" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task JobOnA_AIsKilledMidRun_BTakesOverAfterTheLease_AndEveryUserIsLockedAndAuditedOnce()
    {
        const int Count = 1_001;
        var lease = TimeSpan.FromSeconds(3);
        var ids = await SeedAsync(Count);
        // 1,001 batches of at least 50 ms: A is still mid-run when it is killed.
        var (a, urlA) = await StartAsync("portal-a", lease, TimeSpan.FromMilliseconds(50));

        await StartLockJobAsync(urlA, Count);
        var running = await WaitForJobAsync(j => j.Done >= 1, TimeSpan.FromSeconds(60), "A's first committed batch");
        Assert.StartsWith("portal-a-", running.ClaimedBy);
        await a.KillAsync();

        // Killed mid-run: the job still names A, part done; what is done is exactly what is locked (batches land whole).
        var orphan = await JobAsync();
        Assert.Equal(JobState.Running, orphan.State);
        Assert.StartsWith("portal-a-", orphan.ClaimedBy);
        Assert.InRange(orphan.Done, 1, Count - 1);
        Assert.Equal(orphan.Done, await QueryAsync(db => db.Users.CountAsync(u => ids.Contains(u.Id) && u.IsLocked)));
        Assert.Equal(orphan.Done, await QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "bulk_lock")));

        var (_, urlB) = await StartAsync("portal-b", lease);
        var taken = await WaitForJobAsync(j => j.ClaimedBy?.StartsWith("portal-b-", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(60), "B's takeover");
        Assert.True(taken.Done >= orphan.Done, "B resumes from A's last committed batch, never behind it.");
        var finished = await WaitForJobAsync(j => !j.IsActive, TimeSpan.FromMinutes(5), "the end of the job on B");

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal((Count, Count), (finished.Total, finished.Done));
        Assert.StartsWith("portal-b-", finished.ClaimedBy);
        Assert.Null(finished.Error);
        await AssertEveryRowChangedOnceAsync(ids);
        await AssertJobsPageShowsFinishedAsync(urlB, Count);
    }

    [Fact]
    public async Task JobOnA_AStopsGracefully_HandsTheJobBack_AndBContinuesWithoutWaitingTheLease()
    {
        const int Count = 3_000;
        // A lease far longer than the test: only the hand-back lets B continue in time.
        var lease = TimeSpan.FromMinutes(10);
        var ids = await SeedAsync(Count);
        // 3,000 batches of at least 100 ms: A is still mid-run after B's start-up (up to 3 minutes on a loaded machine).
        var (a, urlA) = await StartAsync("portal-a", lease, TimeSpan.FromMilliseconds(100));

        await StartLockJobAsync(urlA, Count);
        var running = await WaitForJobAsync(j => j.Done >= 1, TimeSpan.FromSeconds(60), "A's first committed batch");
        Assert.StartsWith("portal-a-", running.ClaimedBy);

        // B is up while A runs, and leaves A's job alone: A's lease holds.
        var (_, urlB) = await StartAsync("portal-b", lease);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var beforeStop = await JobAsync();
        Assert.StartsWith("portal-a-", beforeStop.ClaimedBy);
        Assert.True(beforeStop.Done < Count, $"The job ended on A ({beforeStop.Done} of {Count}) before it could be stopped; it needs more batches.");

        var stoppedAt = DateTime.UtcNow;
        a.Terminate();
        await a.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, a.ExitCode);

        BulkJob taken;
        try
        {
            taken = await WaitForJobAsync(j => j.ClaimedBy?.StartsWith("portal-b-", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30), "B's takeover after A's hand-back");
        }
        catch (TimeoutException timeout)
        {
            // Whether A handed the job back is in A's own log (its warnings): say it with the failure.
            throw new TimeoutException($"{timeout.Message}\nA printed:\n{a.Output}", timeout);
        }

        Assert.True(DateTime.UtcNow - stoppedAt < lease / 10, "B took over at once, not after the lease.");
        // B runs without A's pause between batches: it may have finished the rest before the first look at its claim.
        Assert.Contains(taken.State, new[] { JobState.Running, JobState.Succeeded });
        var finished = await WaitForJobAsync(j => !j.IsActive, TimeSpan.FromMinutes(5), "the end of the job on B");

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal((Count, Count), (finished.Total, finished.Done));
        await AssertEveryRowChangedOnceAsync(ids);
        await AssertJobsPageShowsFinishedAsync(urlB, Count);
    }
}

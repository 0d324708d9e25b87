using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The portal with one-row batches and a 50 ms pause after each (Jobs:BatchPause), so that a bulk job of a thousand users
/// lasts at least 50 s however fast the database is: long enough to be watched and stopped, never finished first.
/// </summary>
public sealed class SlowJobsServer : IAsyncLifetime
{
    public PortalServer Server { get; } = new() { ExtraSettings = { ["Jobs:BatchSize"] = "1", ["Jobs:BatchPause"] = "00:00:00.05" } };

    public Task InitializeAsync() => ((IAsyncLifetime)Server).InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)Server).DisposeAsync();
}

public class JobsBrowserTests(SlowJobsServer fixture) : IClassFixture<SlowJobsServer>
{
    private const int Many = 1_001;

    [Fact]
    public async Task BulkLock_OverAThousand_RunsAsAJob_ProgressShowsOnTheJobsPage_AndStopEndsItBetweenBatches()
    {
        var server = fixture.Server;
        await server.QueryAsync(async db =>
        {
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            long site = await db.Sites.Where(s => s.CustomerId == contoso.Id).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            for (int i = 0; i < Many; i++)
            {
                db.Users.Add(new User { Id = TimeOrderedId.Next(), CustomerId = contoso.Id, SiteId = site, Email = $"jobperson{i}@contoso.example", DisplayName = $"Jobperson {i:D4}", IsActive = true, CreatedAt = DateTime.UtcNow });
            }

            return await db.SaveChangesAsync();
        });
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/jobs");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("jobs-empty")).ToBeVisibleAsync();

        await page.GotoAsync(server.BaseUrl + "/users?q=Jobperson");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync("1,001 users");
        var bar = page.GetByTestId("bulk-bar");
        await page.GetByLabel("Bulk action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Lock" });
        await bar.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-preview")).ToHaveTextAsync("This will lock 1,001 users.");
        await bar.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Type 1,001 to confirm").FillAsync("1,001");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Lock 1,001 users" }).ClickAsync();

        // The bar follows the job row.
        await Expect(page.GetByTestId("bulk-progress")).ToContainTextAsync("of 1,001 done", new() { Timeout = 15_000 });

        // Leaving the Users page does not stop it: the Jobs page shows the same job, running, its progress moving; Stop asks first.
        var jobs = page;
        await jobs.GotoAsync(server.BaseUrl + "/jobs");
        await jobs.Locator("[data-interactive=true]").WaitForAsync();
        var row = jobs.GetByTestId("job-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Lock users");
        await Expect(row.GetByTestId("job-progress")).Not.ToHaveTextAsync("0 of 1,001 done", new() { Timeout = 15_000 });
        await row.GetByRole(AriaRole.Button, new() { Name = "Stop Lock users" }).ClickAsync();
        var confirm = jobs.GetByRole(AriaRole.Dialog);
        await Expect(confirm).ToContainTextAsync("Stop this job?");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Stop the job" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Cancelled", new() { Timeout = 15_000 });

        // Stopped between batches: what is done is locked and audited once, the rest untouched.
        var job = await server.QueryAsync(db => db.Jobs.AsNoTracking().SingleAsync());
        int locked = await server.QueryAsync(db => db.Users.CountAsync(u => u.DisplayName.StartsWith("Jobperson") && u.IsLocked));
        int audited = await server.QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "bulk_lock"));
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.InRange(locked, 1, Many - 1);
        Assert.Equal((job.Done, job.Done), (locked, audited));
        await Expect(row.GetByTestId("job-progress")).ToHaveTextAsync($"{locked:N0} of 1,001 done");
        await jobs.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("jobs-page.png") });

        // Another tenant's or a made-up job id in the URL: not found.
        await jobs.GotoAsync(server.BaseUrl + "/jobs/9223372036854775807");
        await Expect(jobs.GetByTestId("job-not-found")).ToBeVisibleAsync();
        await jobs.GotoAsync(server.BaseUrl + "/jobs/%3Cscript%3E");
        await Expect(jobs.GetByTestId("job-not-found")).ToBeVisibleAsync();
        await page.CloseAsync();
    }
}

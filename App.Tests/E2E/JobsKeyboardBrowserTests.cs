using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Stopping a running job with the keyboard only: Tab to Stop, Enter opens the confirmation on its safe choice, Escape
/// closes it and gives focus back to Stop, and the confirmed stop shows on the page and lands in the database.
/// </summary>
public class JobsKeyboardBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task CustomerAdmin_StopsARunningJob_WithTheKeyboardOnly()
    {
        // Running on "another instance" whose lease outlasts the test: no worker here claims or finishes it, so the
        // page shows exactly what the stop request does (Stopping, until that instance ends its batch).
        long jobId = await server.QueryAsync(async db =>
        {
            long contoso = await db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            var now = DateTime.UtcNow;
            var job = new BulkJob
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso, Kind = JobKind.Users, Action = "Lock", Filter = "{}", Total = 1_001, Done = 300,
                State = JobState.Running, StartedBy = "someone@contoso.example", StartedByRole = PortalRoles.CustomerAdmin,
                ClaimedBy = "another-instance", LeaseUntil = now.AddDays(1), CreatedAt = now.AddMinutes(-1), StartedAt = now.AddMinutes(-1),
            };
            db.Jobs.Add(job);
            await db.SaveChangesAsync();
            return job.Id;
        });
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/jobs");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var row = page.Locator($"[data-job-id='{jobId}']");
        await Expect(row).ToContainTextAsync("Running");

        const string isStop = "el => el.tagName === 'BUTTON' && el.getAttribute('aria-label') === 'Stop Lock users'";
        await TabToAsync(page, isStop, "the job's Stop button");

        // Enter opens the confirmation with the safe choice focused; Escape closes it, changes nothing, and focus is back on Stop.
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Stop this job?");
        await WaitForFocusAsync(page, "el => el.dataset.confirm === 'cancel'", "Cancel, the safe choice");
        Assert.Equal("Cancel", await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()"));
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await WaitForFocusAsync(page, isStop, "Stop after Escape");
        Assert.Null(await server.QueryAsync(db => db.Jobs.Where(j => j.Id == jobId).Select(j => j.CancelRequestedBy).SingleAsync()));

        // Again, and this time Tab to the destructive choice and confirm it.
        await page.Keyboard.PressAsync("Enter");
        await WaitForFocusAsync(page, "el => el.dataset.confirm === 'cancel'", "Cancel");
        await TabToAsync(page, "el => el.dataset.confirm === 'confirm'", "the dialog's Stop the job button", max: 4);
        Assert.Equal("Stop the job", await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()"));
        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(row).ToContainTextAsync("Stopping");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Stop Lock users" })).ToHaveCountAsync(0);
        var stored = await server.QueryAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.Equal((JobState.Running, 300), (stored.State, stored.Done));
        Assert.NotNull(stored.CancelRequestedBy);
        Assert.Equal(1, await server.QueryAsync(db => db.AuditLog.CountAsync(a => a.EntityId == jobId && a.Action == AuditActions.JobCancelRequested)));
        await page.CloseAsync();
    }

    /// <summary>Presses Tab until the focused element matches; fails if it never does.</summary>
    private static async Task TabToAsync(IPage page, string predicate, string what, int max = 120)
    {
        for (int i = 0; i < max; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>($"() => {{ const el = document.activeElement; return !!el && !!(({predicate})(el)); }}"))
            {
                return;
            }
        }

        Assert.Fail($"{max} presses of Tab never reached {what}; focus is on <{await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)")}>");
    }

    private static async Task WaitForFocusAsync(IPage page, string predicate, string what)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {{ const el = document.activeElement; return !!el && !!(({predicate})(el)); }}", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"focus never reached {what}; it is on <{await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)")}>");
        }
    }
}

using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>The Sync queue section of /jobs, rendered by MudBlazor over a real SQLite database, as contoso's admin.</summary>
public sealed class JobsPageSyncQueueTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private long contoso;
    private BunitAuthorizationContext authorization = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sync:BatchSize"] = "250", ["Sync:Parallelism"] = "16", ["Sync:Interval"] = "00:00:03",
        }).Build());
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddScoped<JobService>();
        Services.AddScoped<SyncQueueService>();
        authorization = AddAuthorization();
        authorization.SetAuthorized("Customer admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task JobsPage_QueueFillsElsewhere_ShowsTheEmptyStateThenTheTenantsFiguresLive()
    {
        // Only fabrikam waits: contoso's admin sees the empty state, and nothing of fabrikam's.
        await SyncQueueTests.SeedQueueAsync(database);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Users.Where(u => u.CustomerId == contoso).ExecuteUpdateAsync(set => set.SetProperty(u => u.SyncStatus, SyncStatus.Synced)
                .SetProperty(u => u.SyncClaimedBy, (string?)null).SetProperty(u => u.SyncClaimedUntil, (DateTime?)null));
        }

        var page = Render<JobsPage>();
        page.WaitForAssertion(() => Assert.Equal("Nothing waiting to sync.", page.Find("[data-testid=sync-queue-empty]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid=sync-queue-failed]"));
        Assert.Equal("Sync queue", page.Find("h2#sync-queue-heading").TextContent);
        Assert.DoesNotContain("fabrikam", page.Markup, StringComparison.OrdinalIgnoreCase);

        // Another instance claims contoso's users and reports on the feed: the page follows without a reload.
        await SyncQueueTests.SeedQueueAsync(database);
        long anyContosoUser;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            anyContosoUser = await context.Db.Users.Where(u => u.CustomerId == contoso).Select(u => u.Id).FirstAsync();
        }

        await Services.GetRequiredService<IChangeFeed>().PublishAsync(Change.UsersChanged([anyContosoUser], UserChangeKind.Sync));

        page.WaitForAssertion(() => Assert.Equal("4 users wait to be synced.", page.Find("[data-testid=sync-queue-pending]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Empty(page.FindAll("[data-testid=sync-queue-empty]"));
        Assert.Equal("3 being synced now by:", page.Find("[data-testid=sync-queue-claimed]").TextContent);
        Assert.Equal(["contoso-a: 2 users", "contoso-b: 1 user"], page.FindAll("[data-testid=sync-queue-instance]").Select(li => li.TextContent));
        var failed = page.Find("[data-testid=sync-queue-failed] a");
        Assert.Equal("2 failed syncs", failed.TextContent);
        Assert.Equal("/users?sync=Failed", failed.GetAttribute("href"));
        string throughput = page.Find("[data-testid=sync-queue-throughput]").TextContent;
        Assert.Contains("up to 250 users a round (Sync:BatchSize)", throughput);
        Assert.Contains("checks 16 at once (Sync:Parallelism)", throughput);
        Assert.Contains("every 3 s when the queue is empty (Sync:Interval)", throughput);
        // Fabrikam's claimer is named "<b>fabrikam</b>-a": neither its name nor its markup reaches contoso's page.
        Assert.DoesNotContain("fabrikam", page.Markup, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Section_CountsAboveTheCap_ShowAsTenThousandPlus_AndAnInstanceNameIsText()
    {
        var settings = new UserSyncSettings(100, TimeSpan.FromMilliseconds(500), 8, UserSyncSettings.DefaultLease);
        var section = Render<SyncQueueSection>(p => p.Add(s => s.Status,
            new SyncQueueStatus(SyncQueueService.CountCap + 1, 1, [new SyncQueueClaim("<img src=x onerror=alert(1)>", 1)], SyncQueueService.CountCap + 1, settings)));

        Assert.Equal("10,000+ users wait to be synced.", section.Find("[data-testid=sync-queue-pending]").TextContent);
        Assert.Equal("10,000+ failed syncs", section.Find("[data-testid=sync-queue-failed] a").TextContent);
        Assert.Equal("<img src=x onerror=alert(1)>: 1 user", section.Find("[data-testid=sync-queue-instance]").TextContent);
        Assert.Empty(section.FindAll("img"));
        Assert.Contains("every 500 ms when the queue is empty", section.Find("[data-testid=sync-queue-throughput]").TextContent);
    }

    [Fact]
    public void Section_ForAnEditor_CountsFailuresWithoutALinkToTheUsersGrid()
    {
        // An editor's policies: the Jobs page, not the users grid.
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.Editor)).Select(p => p.Key).ToArray());
        var section = Render<SyncQueueSection>(p => p.Add(s => s.Status,
            new SyncQueueStatus(0, 0, [], 1, new UserSyncSettings(100, TimeSpan.FromSeconds(5), 8, UserSyncSettings.DefaultLease))));

        Assert.Equal("Nothing waiting to sync.", section.Find("[data-testid=sync-queue-empty]").TextContent);
        Assert.Equal("1 failed sync.", section.Find("[data-testid=sync-queue-failed]").TextContent.Trim());
        Assert.Empty(section.FindAll("[data-testid=sync-queue-failed] a"));
    }
}

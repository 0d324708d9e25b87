using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Reports;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Users;

/// <summary>The users grid and the user detail, with real MudBlazor components over a seeded SQLite database.</summary>
public sealed class UsersComponentsTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private long contoso;
    private BunitAuthorizationContext authorization = null!;
    private Func<Task>? beforeCall;
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);

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
        Services.AddPortalData(database.Options);
        // The page's data calls wait for beforeCall (a test holds one in flight, or fails it); its timers run on clock.
        Services.AddSingleton<TimeProvider>(clock);
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddScoped(provider => new UserService(new HeldFactory(provider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), this), clock));
        Services.AddScoped<UserSupportService>();
        Services.AddScoped<UserBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        Services.AddSingleton(new SignInProviders());
        Services.AddScoped<AdminPortal.App.Features.People.RoleService>();
        Services.AddScoped<AdminPortal.App.Features.Sessions.SessionListService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Services.AddScoped<AdminPortal.App.Features.Invitations.InvitationService>();
        authorization = AddAuthorization();
        authorization.SetAuthorized("Support agent");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.Support), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.Support)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Grid_SyncFilterInTheUrl_ShowsExactlyTheTenantsFailedUsers()
    {
        int failed;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            failed = await context.Db.Users.CountAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed);
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?sync=Failed&sort=Email");
        var grid = Render<UsersPage>();

        grid.WaitForAssertion(() => Assert.Equal($"{failed} users", grid.Find("[data-testid=user-total]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        var rows = grid.FindAll("tr[data-user-id]");
        Assert.Equal(failed, rows.Count);
        Assert.All(rows, row => Assert.Contains("Failed", row.TextContent));
        Assert.All(rows, row => Assert.Contains("@contoso.example", row.TextContent));
        var module = JSInterop.SetupModule("./js/download.js");
        module.Setup<int>("downloadWithProgress", _ => true).SetResult(failed);
        grid.FindAll("button").Single(b => b.TextContent.Contains("Export CSV")).Click();
        var export = Assert.Single(module.Invocations, i => i.Identifier == "downloadWithProgress");
        Assert.Equal("/users/export.csv?sync=Failed&sort=Email", export.Arguments[0]);
    }

    [Fact]
    public async Task Pager_NextThenLast_MovesThroughTheUrlAndShowsTheRest()
    {
        int users;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            users = await context.Db.Users.CountAsync(u => u.CustomerId == contoso);
        }

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        var firstPage = grid.FindAll("tr[data-user-id]").Select(r => r.GetAttribute("data-user-id")).ToList();

        await grid.FollowLinkAsync(this, "Next page");

        Assert.Contains("after=", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Equal(users - 25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("tr[data-user-id]").Select(r => r.GetAttribute("data-user-id")).Intersect(firstPage));
        Assert.True(grid.Find("button[aria-label='Next page']").HasAttribute("disabled"));
        await grid.FollowLinkAsync(this, "First page");
        grid.WaitForAssertion(() => Assert.Equal(firstPage, grid.FindAll("tr[data-user-id]").Select(r => r.GetAttribute("data-user-id")).ToList()), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Detail_OwnUser_ShowsEverySectionButNeverTheSecrets()
    {
        User user;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            user = await context.Db.Users.AsNoTracking().FirstAsync(u => u.CustomerId == contoso && u.PasswordHash != null && u.RefreshTokenHash != null);
        }

        var detail = Render<UserDetailPage>(parameters => parameters.Add(p => p.Id, user.Id.ToString()));

        detail.WaitForAssertion(() => Assert.Contains(user.DisplayName, detail.Find("h1").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("a password hash is stored", detail.Find("[data-testid=password-state]").TextContent.Trim());
        Assert.Equal(user.LoginCount.ToString("N0"), detail.Find("[data-testid=login-count]").TextContent.Trim());
        Assert.DoesNotContain(user.PasswordHash!, detail.Markup);
        Assert.DoesNotContain(user.RefreshTokenHash!, detail.Markup);
        foreach (string section in new[] { "Profile", "Sign-in", "Sync", "Legacy sign-in", "OIDC identities", "History" })
        {
            Assert.Contains(detail.FindAll("h2"), h => h.TextContent.Trim() == section);
        }

        // Support may act on sign-in state but not edit the profile.
        Assert.Contains(detail.FindAll("button"), b => b.TextContent.Contains("Revoke tokens"));
        Assert.DoesNotContain(detail.FindAll("button"), b => b.TextContent.Contains("Save profile"));
    }

    [Fact]
    public async Task Detail_AnotherTenantsUser_IsNotFound()
    {
        long foreign;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            foreign = await context.Db.Users.Where(u => u.CustomerId != contoso).Select(u => u.Id).FirstAsync();
        }

        var detail = Render<UserDetailPage>(parameters => parameters.Add(p => p.Id, foreign.ToString()));

        detail.WaitForAssertion(() => Assert.NotNull(detail.Find("[data-testid=user-not-found]")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Detail_FailedSyncWithOnlyADisabledProvider_OffersNoRetryAndSaysWhatToDo()
    {
        long userId;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var db = context.Db;
            userId = await db.Users.Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed
                    && db.UserCiamMappings.Any(m => m.UserId == u.Id) && !db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystem!.IsEnabled))
                .OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            // A provider name is tenant text: it must show as text, never as markup.
            var provider = await db.CiamSystems.SingleAsync(c => c.Name == "Contoso Entra ID");
            provider.Name = "<img src=x onerror=alert(1)> Entra";
            await db.SaveChangesAsync();
        }

        var detail = Render<UserDetailPage>(parameters => parameters.Add(p => p.Id, userId.ToString()));

        detail.WaitForAssertion(() => Assert.Equal("Failed", detail.Find("[data-testid=sync-status]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(detail.FindAll("button"), b => b.TextContent.Trim() == "Retry sync");
        var blocker = detail.Find("[data-testid=sync-blocker]");
        Assert.Contains("This user's identity provider (<img src=x onerror=alert(1)> Entra) is disabled", blocker.TextContent);
        Assert.Empty(blocker.QuerySelectorAll("img"));
        // Support cannot manage providers: no link they could not follow.
        Assert.Empty(blocker.QuerySelectorAll("a"));
    }

    [Fact]
    public async Task Detail_FailedSyncWithoutAnyProvider_SaysToLinkOne_AndAnAdminGetsTheProvidersLink()
    {
        long userId;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var db = context.Db;
            userId = await db.Users.Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed && !db.UserCiamMappings.Any(m => m.UserId == u.Id))
                .OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
        }

        authorization.SetAuthorized("Customer admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        var detail = Render<UserDetailPage>(parameters => parameters.Add(p => p.Id, userId.ToString()));

        detail.WaitForAssertion(() => Assert.Equal("Failed", detail.Find("[data-testid=sync-status]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(detail.FindAll("button"), b => b.TextContent.Trim() == "Retry sync");
        var blocker = detail.Find("[data-testid=sync-blocker]");
        Assert.Contains(SyncReadiness.NotLinked, blocker.TextContent);
        Assert.Equal("/identity-providers", blocker.QuerySelector("a")!.GetAttribute("href"));
    }

    /// <summary>
    /// The page checks its two policies once per authentication state (PolicyChecks), not with an AuthorizeView on every
    /// render: support may manage sign-in (the bulk bar) but not invite; a new sign-in state is checked again at once.
    /// </summary>
    [Fact]
    public async Task Grid_InviteAndBulkBar_FollowThePolicies_AndANewSignInState()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-user-id]")), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("Invite a person", grid.Markup);
        await grid.Find("tr[data-user-id] input[type=checkbox]").CheckRowAsync(true);
        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[data-testid=bulk-bar]")));

        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetAuthorized("Customer admin");
        grid.WaitForAssertion(() => Assert.Contains("Invite a person", grid.Markup), TimeSpan.FromSeconds(10));
        Assert.Equal("/users/invite", grid.FindAll("a").Single(a => a.TextContent.Contains("Invite a person")).GetAttribute("href"));

        authorization.SetPolicies(PortalPolicies.ViewUsers);
        authorization.SetAuthorized("Viewer");
        grid.WaitForAssertion(() => Assert.DoesNotContain("Invite a person", grid.Markup), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("[data-testid=bulk-bar]"));
    }

    [Fact]
    public async Task Grid_BulkBar_HiddenUntilASelection_ThenScopedToItWithNoActionChosen()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-user-id]")), TimeSpan.FromSeconds(10));

        Assert.Empty(grid.FindAll("[data-testid=bulk-bar]"));
        await grid.Find("tr[data-user-id] input[type=checkbox]").CheckRowAsync(true);

        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[data-testid=bulk-bar]")));
        var bar = grid.FindComponent<AdminPortal.App.Grid.BulkBar<BulkAction>>().Instance;
        Assert.Null(bar.Action);
        Assert.True(bar.OnSelection);
        Assert.Equal(1, bar.SelectedCount);
        Assert.False(bar.FilterActive);
        Assert.Equal("Choose an action first.", grid.Find("[data-testid=bulk-hint]").TextContent.Trim());
    }

    [Fact]
    public void Grid_BulkBar_WithAFilterAndNoSelection_ShowsAllMatchingTheFilter()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?state=Locked");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[data-testid=bulk-bar]")), TimeSpan.FromSeconds(10));

        var bar = grid.FindComponent<AdminPortal.App.Grid.BulkBar<BulkAction>>().Instance;
        Assert.True(bar.FilterActive);
        Assert.False(bar.OnSelection);
        Assert.Null(bar.Action);
    }

    /// <summary>The portal's factory, behind a wait: a call that opens a context is truly asynchronous, as on PostgreSQL.</summary>
    private sealed class HeldFactory(IDbContextFactory<PortalDbContext> real, UsersComponentsTests test) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => real.CreateDbContext();

        public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
        {
            if (test.beforeCall is { } before)
            {
                await before();
            }

            return await real.CreateDbContextAsync(cancellationToken);
        }
    }

    private static List<string?> RowIds(IRenderedComponent<UsersPage> grid) =>
        grid.FindAll("tr[data-user-id]").Select(r => r.GetAttribute("data-user-id")).ToList();

    [Fact]
    public async Task Grid_ReloadForAChangeOnScreenFails_SaysSoInsteadOfKeepingTheOldRowsSilently()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll(".mud-alert"));
        long shown = long.Parse(grid.Find("tr[data-user-id]").GetAttribute("data-user-id")!);

        // The reload's data call ends in a cancellation nobody asked for (a timeout's shape). It used to escape the
        // reload, whose task nobody awaited, and the page went on showing its old rows without a word.
        beforeCall = () => throw new OperationCanceledException("The command timed out.");
        Services.GetRequiredService<UserSyncNotifier>().Changed([shown]);

        await Task.Yield();
        grid.WaitForAssertion(() => Assert.Contains("The users could not be loaded", grid.Find(".mud-alert").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Grid_PageTurnOnASlowCall_KeepsTheRowsAndRendersOnce_AndShowsTheSpinnerOnlyAfterTheDelay()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        var firstPage = RowIds(grid);

        // Each query waits at the database until the test lets it go, as a PostgreSQL call waits on the network.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        beforeCall = () =>
        {
            reached.TrySetResult();
            return release.Task;
        };
        int renders = grid.RenderCount;
        await grid.FollowLinkAsync(this, "Next page");
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // In flight, within the delay: nothing rendered; the first page stays, without a spinner.
        Assert.Equal(renders, grid.RenderCount);
        Assert.Equal(firstPage, RowIds(grid));
        Assert.Empty(grid.FindAll("[aria-label=Loading]"));
        release.SetResult();
        grid.WaitForAssertion(() => Assert.Empty(RowIds(grid).Intersect(firstPage)), TimeSpan.FromSeconds(10));
        Assert.Equal(renders + 1, grid.RenderCount);
        Assert.Empty(grid.FindAll("[aria-label=Loading]"));

        // Still running after the delay: the spinner says so next to the rows still shown, and goes with the new rows.
        var secondPage = RowIds(grid);
        reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await grid.FollowLinkAsync(this, "First page");
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("[aria-label=Loading]"));
        clock.Advance(UsersPage.LoadingIndicatorDelay);
        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[aria-label=Loading]")), TimeSpan.FromSeconds(10));
        Assert.Equal(secondPage, RowIds(grid));
        release.SetResult();
        grid.WaitForAssertion(() => Assert.Equal(firstPage, RowIds(grid)), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("[aria-label=Loading]"));
    }
}

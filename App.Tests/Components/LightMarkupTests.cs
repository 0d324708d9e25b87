using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Layout;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Components;

/// <summary>
/// The users grid's cells and the navigation render MudBlazor's markup without being MudBlazor components (each
/// component costs a circuit about 5 KB: docs/performance.md), and still work and read the same.
/// </summary>
public sealed class LightMarkupTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private long contoso;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddScoped<UserService>();
        Services.AddScoped<UserBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        Services.AddSingleton(new SignInProviders());
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var authorization = AddAuthorization();
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
    public async Task UsersGrid_Rows_AreMarkupWithTheSameLabelsAndSelectionStillWorks()
    {
        User first;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            first = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso).OrderBy(u => u.DisplayName).ThenBy(u => u.Id).FirstAsync();
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?sort=Name");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));

        // No component per row: on main each row held a MudCheckBox, a MudLink, a MudChip and two RelativeTimes.
        Assert.Empty(grid.FindComponents<MudCheckBox<bool>>());
        Assert.Empty(grid.FindComponents<MudLink>());
        Assert.Empty(grid.FindComponents<MudChip<string>>());
        Assert.Empty(grid.FindComponents<RelativeTime>());
        var row = grid.Find($"tr[data-user-id='{first.Id}']");
        var box = row.QuerySelector($"input[type=checkbox][aria-label='Select {first.DisplayName}']")!;
        Assert.NotNull(box);
        Assert.False(box.HasAttribute("disabled"));
        Assert.Equal($"/users/{first.Id}", row.QuerySelector("a.mud-link")!.GetAttribute("href"));
        Assert.Equal(first.DisplayName, row.QuerySelector("a.mud-link")!.TextContent);
        Assert.Equal(first.SyncStatus.ToString(), row.QuerySelector(".mud-chip .mud-chip-content")!.TextContent);
        Assert.Contains($"mud-chip-color-{UsersPage.SyncColor(first.SyncStatus).ToString().ToLowerInvariant()}", row.QuerySelector(".mud-chip")!.ClassName);

        await box.CheckRowAsync(true);

        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Markup));
        Assert.True(grid.Find($"tr[data-user-id='{first.Id}'] input[type=checkbox]").HasAttribute("checked"));
        grid.Find("input[aria-label='Select this page']").Change(true);
        grid.WaitForAssertion(() => Assert.Contains("Selected (25)", grid.Markup));
        await grid.Find($"tr[data-user-id='{first.Id}'] input[type=checkbox]").CheckRowAsync(false);
        grid.WaitForAssertion(() => Assert.Contains("Selected (24)", grid.Markup));
        Assert.False(grid.Find($"tr[data-user-id='{first.Id}'] input[type=checkbox]").HasAttribute("checked"));
    }

    [Fact]
    public async Task UsersGrid_RowSelect_FromATamperedBrowser_SelectsOnlyRowsOnScreen()
    {
        long otherTenantsUser;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            otherTenantsUser = await context.Db.Users.Where(u => u.CustomerId != contoso).Select(u => u.Id).FirstAsync();
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        var body = grid.Find("tbody");

        // What a tampered client could send instead of a row's id: another tenant's user, script, 5,000 characters, nothing.
        foreach (string? id in new[] { otherTenantsUser.ToString(), "<script>alert(1)</script>", new string('9', 5000), "", null })
        {
            await body.TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = id, Checked = true });
        }

        Assert.DoesNotContain("Selected (", grid.Markup);
        Assert.Empty(grid.FindAll("tbody input[type=checkbox][checked]"));
        // The first real one counts.
        string onScreen = grid.Find("tr[data-user-id]").GetAttribute("data-user-id")!;
        await body.TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = onScreen, Checked = true });
        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Markup));
        Assert.Single(grid.FindAll("tbody input[type=checkbox][checked]"));
    }

    [Fact]
    public async Task UsersGrid_InsideAReadOnlyViewAs_ARowSelectChangesNothing()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var frame = Render<CascadingValue<bool>>(parameters => parameters
            .Add(c => c.Name, "ParentDisabled")
            .Add(c => c.Value, true)
            .AddChildContent<UsersPage>());
        frame.WaitForAssertion(() => Assert.Equal(25, frame.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        string onScreen = frame.Find("tr[data-user-id]").GetAttribute("data-user-id")!;

        await frame.Find("tbody").TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = onScreen, Checked = true });

        Assert.Empty(frame.FindAll("tbody input[type=checkbox][checked]"));
    }

    [Fact]
    public void UsersGrid_InsideAReadOnlyViewAs_RowCheckboxesAreDisabled()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var frame = Render<CascadingValue<bool>>(parameters => parameters
            .Add(c => c.Name, "ParentDisabled")
            .Add(c => c.Value, true)
            .AddChildContent<UsersPage>());

        frame.WaitForAssertion(() => Assert.Equal(25, frame.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        var boxes = frame.FindAll("table input[type=checkbox]");
        Assert.Equal(26, boxes.Count);
        Assert.All(boxes, box => Assert.True(box.HasAttribute("disabled")));
        Assert.All(boxes, box => Assert.Equal("-1", box.GetAttribute("tabindex")));
    }

    [Fact]
    public async Task UsersGrid_HostileNameEmailAndSite_RenderAsTextInTheRowsMarkup()
    {
        const string name = "<img src=x onerror=alert(1)>\"' & <b>Ann</b>";
        const string email = "\"><script>alert(2)</script>@contoso.example";
        const string siteName = "<svg onload=alert(3)>Site & \"co\"";
        long userId;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var site = new AdminPortal.App.Features.Sites.Site { CustomerId = contoso, Name = siteName, Domain = "hostile.contoso.example" };
            context.Db.Sites.Add(site);
            await context.Db.SaveChangesAsync();
            var user = new User { CustomerId = contoso, SiteId = site.Id, Email = email, DisplayName = name, SyncStatus = SyncStatus.Failed };
            context.Db.Users.Add(user);
            await context.Db.SaveChangesAsync();
            userId = user.Id;
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?q=%3Cimg");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("tr[data-user-id]")), TimeSpan.FromSeconds(10));

        var row = grid.Find($"tr[data-user-id='{userId}']");
        Assert.Empty(row.QuerySelectorAll("img, script, b, svg:not(.mud-icon-root)"));
        var link = row.QuerySelector("a.mud-link")!;
        Assert.Equal(name, link.TextContent);
        Assert.Equal(name, link.GetAttribute("title"));
        Assert.Equal($"/users/{userId}", link.GetAttribute("href"));
        var cells = row.QuerySelectorAll("td");
        Assert.Equal(10, cells.Length);
        Assert.Equal(email, cells[2].TextContent);
        Assert.Equal(email, cells[2].QuerySelector(".grid-clip")!.GetAttribute("title"));
        Assert.Equal(siteName, cells[3].TextContent);
        Assert.Equal("Failed", cells[7].QuerySelector(".mud-chip-content")!.TextContent);
        // The site's name is text in its filter's option too.
        Assert.Contains(grid.FindAll("#filter-site option"), option => option.TextContent == siteName);
        Assert.Empty(grid.FindAll("#filter-site svg, #filter-site img"));
    }

    [Fact]
    public void UsersGrid_Filters_AreLabelledNativeSelectsThatChangeTheUrl()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users?state=Locked");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("[data-testid=user-total]")), TimeSpan.FromSeconds(10));

        // No MudSelect and no MudSelectItem rendered while closed: on main these were about 60 components.
        Assert.Empty(grid.FindComponents<MudSelect<string>>());
        Assert.Empty(grid.FindComponents<MudSelectItem<string>>());
        foreach (var (id, label) in new[] { ("filter-site", "Site"), ("filter-provider", "Identity provider"), ("filter-auth", "Sign-in"), ("filter-sync", "Sync"), ("filter-state", "State") })
        {
            Assert.Equal(label, grid.Find($"label[for={id}]").TextContent);
            Assert.Equal("SELECT", grid.Find($"#{id}").TagName);
        }

        Assert.Equal("Locked", grid.Find("#filter-state option[selected]").GetAttribute("value"));
        Assert.Equal(["", .. Enum.GetNames<SyncStatus>()], grid.FindAll("#filter-sync option").Select(o => o.GetAttribute("value")).ToArray());
        Assert.Equal("Any", grid.Find("#filter-sync option").TextContent);

        grid.Find("#filter-sync").Change("Failed");

        Assert.Contains("sync=Failed", navigation.Uri);
        Assert.Contains("state=Locked", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Equal("Failed", grid.Find("#filter-sync option[selected]").GetAttribute("value")));

        grid.Find("#filter-sync").Change("");

        Assert.DoesNotContain("sync=", navigation.Uri);
    }

    [Fact]
    public void NavMenu_Support_ShowsTheirAreasAsOneComponentAndMarksTheCurrentOneOnAPageTurn()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users");
        var menu = Render<NavMenu>();

        var links = menu.FindAll("nav[aria-label=Areas] a.mud-nav-link");
        Assert.Equal(["Dashboard", "Users", "Jobs"], links.Select(l => l.TextContent.Trim()).ToArray());
        Assert.Empty(menu.FindComponents<MudNavLink>());
        Assert.Empty(menu.FindComponents<Microsoft.AspNetCore.Components.Authorization.AuthorizeView>());
        var users = menu.Find("a[href='/users']");
        Assert.Contains("active", users.ClassList);
        Assert.Equal("page", users.GetAttribute("aria-current"));
        Assert.DoesNotContain("active", menu.Find("a[href='/']").ClassList);
        int renders = menu.RenderCount;

        navigation.NavigateTo("/users?after=abc");

        // A page turn (only the query changed) renders nothing; a user's detail page is still under Users.
        Assert.Equal(renders, menu.RenderCount);
        navigation.NavigateTo("/users/42");
        Assert.Contains("active", menu.Find("a[href='/users']").ClassList);
        navigation.NavigateTo("/");
        menu.WaitForAssertion(() => Assert.Contains("active", menu.Find("a[href='/']").ClassList));
        Assert.DoesNotContain("active", menu.Find("a[href='/users']").ClassList);
    }
}

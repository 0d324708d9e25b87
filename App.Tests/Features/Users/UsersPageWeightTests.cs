using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

#pragma warning disable BL0006 // the render tree's frames, read by RenderedFrames

namespace AdminPortal.Tests.Features.Users;

/// <summary>
/// What a users-grid circuit keeps for its whole life: every long-lived component costs it two render-tree buffers and
/// its state (docs/performance.md, "Eighth round"), so the page's controls are MudBlazor's markup, not components.
/// </summary>
public sealed class UsersPageWeightTests : BunitContext, IAsyncLifetime
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
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddScoped<UserService>();
        Services.AddScoped<UserBulkService>();
        Services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
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

    private IRenderedComponent<UsersPage> RenderGrid(bool anyRows = true)
    {
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll(anyRows ? "tr[data-user-id]" : "[data-testid=user-total]")), TimeSpan.FromSeconds(10));
        return grid;
    }

    [Fact]
    public void Grid_StandingControls_AreMudBlazorsMarkup_NotComponents()
    {
        var grid = RenderGrid();

        // On integ: 4 MudButtons (each with its MudIcon), 2 MudTexts, 2 MudSpacers, 2 MudPapers and a MudSimpleTable;
        // the last two MudButtons were MudNumericField's spinners, gone with it (FilterInputs).
        Assert.Empty(grid.FindComponents<MudBlazor.MudButton>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudTextField<string>>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudNumericField<int?>>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudIcon>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudText>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudSpacer>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudPaper>());
        Assert.Empty(grid.FindComponents<MudBlazor.MudSimpleTable>());
        int components = grid.FindComponents<Microsoft.AspNetCore.Components.IComponent>().Count;
        Assert.True(components <= MaxComponents, $"the users page holds {components} components, more than {MaxComponents}");

        // The same names, links, classes and heading as the MudBlazor components rendered.
        Assert.Equal("Users", grid.Find("h1.mud-typography.mud-typography-h4").TextContent.Trim());
        var invite = grid.FindAll("a.mud-button-root").Single(a => a.TextContent.Trim() == "Invite a person");
        Assert.Equal("/users/invite", invite.GetAttribute("href"));
        Assert.Contains("mud-button-filled-primary", invite.ClassName);
        Assert.NotNull(invite.QuerySelector(".mud-button-icon-start svg"));
        Assert.Equal("/users/migration", grid.FindAll("a.mud-button-root").Single(a => a.TextContent.Trim() == "Legacy → OIDC migration").GetAttribute("href"));
        Assert.True(Button(grid, "Clear filters").HasAttribute("disabled"));
        Assert.False(Button(grid, "Export CSV").HasAttribute("disabled"));
        Assert.Contains("mud-button-outlined", Button(grid, "Export CSV").ClassName);
        Assert.Matches(@"^\d+ users$", grid.Find("p.mud-typography-body2[data-testid=user-total]").TextContent.Trim());
        Assert.NotNull(grid.Find("div.mud-paper.mud-paper-outlined > div.mud-table.mud-simple-table.mud-table-dense.mud-table-hover.users-grid > div.mud-table-container > table"));
    }

    // The eighth round took 15 components (4 MudButtons and their MudIcons, 2 MudTexts, 2 MudSpacers, 2 MudPapers, a
    // MudSimpleTable) out of this render; the ninth 18: MudTextField and MudNumericField with their inputs, labels,
    // adornment, icons and spinner buttons (8 each), and the ViewAsReading with its CascadingValue. Main rendered 25
    // here, this branch 7 (PageTitle, SectionContent, 2 AuthorizeViews, UrlStateNotice, BulkBar, GridPager).
    [Fact]
    public void Grid_AFullPage_FitsTheRenderTreeBuildersSmallerArray()
    {
        var grid = RenderGrid();
        Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count);

        // The page keeps two render-tree builders for its life, and each rents the next power of two above the frames
        // it renders: 1,261 frames were two 2,048-frame arrays (2 x 80 KB), 906 two 1,024 (2 x 40 KB). A row is now
        // three frames (tr, its id, one markup frame with the checkbox), 75 for 25 rows.
        var frames = RenderedFrames.Of(Renderer, grid.ComponentId);
        Assert.True(frames.Count < MaxFrames, $"the users page renders {frames.Count} frames, not under {MaxFrames}");
        int rows = RenderedFrames.ElementSubtree(frames, "tbody");
        Assert.True(rows <= 25 * 3 + 2, $"the rows are {rows} frames");
    }

    private const int MaxFrames = 512;

    private const int MaxComponents = 7;

    private static AngleSharp.Dom.IElement Button(IRenderedComponent<UsersPage> grid, string text) =>
        grid.FindAll("button.mud-button-root").Single(b => b.TextContent.Trim() == text);

    [Fact]
    public void Grid_ClearFilters_IsAButtonThatClearsTheFilters()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users?q=a&sync=Failed&sort=Email");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotNull(grid.Find("[data-testid=user-total]")), TimeSpan.FromSeconds(10));

        Button(grid, "Clear filters").Click();

        // The sort stays; the filters go.
        Assert.EndsWith("/users?sort=Email", navigation.Uri);
    }

    [Fact]
    public void Grid_InAReadOnlyViewAs_DisablesTheButtonsButNotClearFilters()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?q=a");
        var view = Render<CascadingValue<bool>>(parameters => parameters
            .Add(c => c.Name, "ParentDisabled")
            .Add(c => c.Value, true)
            .AddChildContent<UsersPage>());
        view.WaitForAssertion(() => Assert.NotNull(view.Find("[data-testid=user-total]")), TimeSpan.FromSeconds(10));

        // As the MudButtons did under MudBlazor's ParentDisabled: no link to follow, no export to start.
        Assert.Empty(view.FindAll("a.mud-button-root"));
        var buttons = view.FindAll("button.mud-button-root").Where(b => b.GetAttribute("tabindex") != "-1").ToList();
        Assert.True(buttons.Single(b => b.TextContent.Trim() == "Invite a person").HasAttribute("disabled"));
        Assert.True(buttons.Single(b => b.TextContent.Trim() == "Legacy → OIDC migration").HasAttribute("disabled"));
        Assert.True(buttons.Single(b => b.TextContent.Trim() == "Export CSV").HasAttribute("disabled"));
        Assert.False(buttons.Single(b => b.TextContent.Trim() == "Clear filters").HasAttribute("disabled"));
        // The filters only change the URL: usable in a view-as, without a ViewAsReading around them.
        foreach (string id in new[] { "filter-search", "filter-dormant", "filter-site", "filter-provider", "filter-auth", "filter-sync", "filter-state" })
        {
            Assert.False(view.Find("#" + id).HasAttribute("disabled"), id);
        }

        Assert.All(view.FindAll(".dormant-days button"), b => Assert.False(b.HasAttribute("disabled")));
        Assert.Empty(view.FindComponents<AdminPortal.App.Features.ViewAs.ViewAsReading>());
    }

    // The search box and the dormant-days field are the browser's own inputs now (FilterInputs): they must still do
    // what MudTextField and MudNumericField did, and take hostile text as text.

    [Fact]
    public void Search_IsALabelledInput_ThatCommitsOnly300msAfterTheLastKeystroke()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var grid = RenderGrid();
        var visited = new List<string>();
        navigation.LocationChanged += (_, e) => visited.Add(e.Location);
        var box = grid.Find("#filter-search");
        Assert.Equal("INPUT", box.TagName);
        Assert.Equal("Search name or email", grid.Find("label[for=filter-search]").TextContent);
        Assert.Equal(TextLimits.MaxSearchLength.ToString(), box.GetAttribute("maxlength"));
        Assert.Empty(grid.FindAll("button[aria-label=Clear]"));

        box.Input("Ad");
        grid.Find("#filter-search").Input("Ada");

        // Nothing yet: the debounce waits for the typing to stop.
        Assert.DoesNotContain("q=", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Contains("q=Ada", navigation.Uri), TimeSpan.FromSeconds(5));
        // Two keystrokes, one navigation (the event may follow the new address by a moment: wait for it; a second
        // navigation, q=Ad, would make this list [false, true] for good).
        grid.WaitForAssertion(() => Assert.Equal([true], visited.ToArray().Select(v => v.EndsWith("q=Ada")).ToArray()), TimeSpan.FromSeconds(5));
        grid.WaitForAssertion(() => Assert.Equal("Ada", grid.Find("#filter-search").GetAttribute("value")));
        // The clear button appears with text, out of the Tab order as MudTextField's was.
        Assert.Equal("-1", grid.Find("button[aria-label=Clear]").GetAttribute("tabindex"));
    }

    [Fact]
    public void Search_Enter_CommitsAtOnce_AndClearEmptiesTheBoxAndTheUrl()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users?q=zz&sync=Failed");
        var grid = RenderGrid(anyRows: false);
        Assert.Equal("zz", grid.Find("#filter-search").GetAttribute("value"));

        grid.Find("#filter-search").Input("nobody at all");
        grid.Find("#filter-search").Change("nobody at all");
        Assert.Contains("q=nobody%20at%20all", navigation.Uri);

        grid.WaitForAssertion(() => grid.Find("button[aria-label=Clear]").Click());
        Assert.DoesNotContain("q=", navigation.Uri);
        Assert.Contains("sync=Failed", navigation.Uri);
        grid.WaitForAssertion(() => Assert.True(string.IsNullOrEmpty(grid.Find("#filter-search").GetAttribute("value"))));
        Assert.Empty(grid.FindAll("button[aria-label=Clear]"));
    }

    [Fact]
    public void Search_HostileAndOversizedText_StaysText_AndIsCutToTheLimit()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var grid = RenderGrid();
        const string hostile = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";

        grid.Find("#filter-search").Change(hostile);

        Assert.Equal(hostile, new Uri(navigation.Uri).Query.Split('&').Select(Uri.UnescapeDataString).Single(p => p.StartsWith("q=") || p.StartsWith("?q=")).Split('=', 2)[1]);
        grid.WaitForAssertion(() => Assert.Equal(hostile, grid.Find("#filter-search").GetAttribute("value")));
        Assert.Empty(grid.FindAll("script"));
        Assert.Empty(grid.FindAll("img"));

        // A tampered client can send more than maxlength: the box keeps the limit.
        grid.Find("#filter-search").Change(new string('x', TextLimits.MaxSearchLength * 25));
        Assert.Contains("q=" + new string('x', TextLimits.MaxSearchLength) + "&", navigation.Uri + "&");
        Assert.DoesNotContain(new string('x', TextLimits.MaxSearchLength + 1), navigation.Uri);
    }

    [Theory]
    [InlineData("45", "45")]
    [InlineData(" 7 ", "7")]
    [InlineData("0", "1")]
    [InlineData("-3", "1")]
    [InlineData("5000", "3650")]
    [InlineData("99999999999999", "3650")]
    public void DormantDays_ANumber_IsBroughtIntoRangeAndPutInTheUrl(string typed, string expected)
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var grid = RenderGrid();

        grid.Find("#filter-dormant").Change(typed);

        Assert.Contains($"dormant={expected}", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Equal(expected, grid.Find("#filter-dormant").GetAttribute("value")));
        Assert.Equal(expected, grid.Find("#filter-dormant").GetAttribute("aria-valuenow"));
        Assert.Empty(grid.FindAll("[data-testid=filter-dormant-error]"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("12.5")]
    [InlineData("<b>1</b>")]
    [InlineData("1e3")]
    public void DormantDays_NotAWholeNumber_SaysSoNextToTheField_AndChangesNothing(string typed)
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users?dormant=30");
        var grid = RenderGrid(anyRows: false);
        string before = navigation.Uri;

        grid.Find("#filter-dormant").Change(typed);

        Assert.Equal(before, navigation.Uri);
        var field = grid.Find("#filter-dormant");
        Assert.Equal("true", field.GetAttribute("aria-invalid"));
        Assert.Equal("filter-dormant-error", field.GetAttribute("aria-describedby"));
        Assert.Equal(typed, field.GetAttribute("value"));
        Assert.Equal("Enter a whole number from 1 to 3,650, or leave it empty.", grid.Find("#filter-dormant-error").TextContent);
        Assert.Empty(grid.FindAll("b"));

        // Emptying the field clears the filter and the message.
        grid.Find("#filter-dormant").Change("");
        Assert.DoesNotContain("dormant=", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Empty(grid.FindAll("#filter-dormant-error")));
        Assert.Equal("false", grid.Find("#filter-dormant").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void DormantDays_SpinnersAndArrowKeys_StepByOneWithinTheRange()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var grid = RenderGrid();
        var spin = grid.Find(".dormant-days .mud-input-numeric-spin");
        Assert.All(spin.QuerySelectorAll("button"), b => Assert.Equal("-1", b.GetAttribute("tabindex")));
        Assert.Equal("spinbutton", grid.Find("#filter-dormant").GetAttribute("role"));
        Assert.Equal("No sign-in for (days)", grid.Find("label[for=filter-dormant]").TextContent);

        grid.Find("button[aria-label=Increment]").Click();
        Assert.Contains("dormant=1", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Equal("1", grid.Find("#filter-dormant").GetAttribute("value")));

        grid.Find("#filter-dormant").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowUp" });
        Assert.Contains("dormant=2", navigation.Uri);
        grid.WaitForAssertion(() => Assert.Equal("2", grid.Find("#filter-dormant").GetAttribute("aria-valuenow")));

        grid.Find("button[aria-label=Decrement]").Click();
        grid.WaitForAssertion(() => Assert.Equal("1", grid.Find("#filter-dormant").GetAttribute("aria-valuenow")));
        // Not below the minimum: a step that changes nothing leaves the URL alone.
        grid.Find("#filter-dormant").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowDown" });
        Assert.Contains("dormant=1", navigation.Uri);

        navigation.NavigateTo($"/users?dormant={UserFilter.MaxDormantDays}");
        grid.WaitForAssertion(() => Assert.Equal("3650", grid.Find("#filter-dormant").GetAttribute("aria-valuenow")));
        grid.Find("button[aria-label=Increment]").Click();
        Assert.Contains("dormant=3650", navigation.Uri);
    }
}

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

    private IRenderedComponent<UsersPage> RenderGrid()
    {
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-user-id]")), TimeSpan.FromSeconds(10));
        return grid;
    }

    [Fact]
    public void Grid_StandingControls_AreMudBlazorsMarkup_NotComponents()
    {
        var grid = RenderGrid();

        // On integ: 4 MudButtons (each with its MudIcon), 2 MudTexts, 2 MudSpacers, 2 MudPapers and a MudSimpleTable.
        // The two MudButtons left are MudNumericField's own spinners.
        Assert.Equal(2, grid.FindComponents<MudBlazor.MudButton>().Count);
        Assert.All(grid.FindComponents<MudBlazor.MudButton>(), b => Assert.Equal("-1", b.Find("button").GetAttribute("tabindex")));
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

    // A bound with some room: the cut took 15 components (4 MudButtons and their MudIcons, 2 MudTexts, 2 MudSpacers,
    // 2 MudPapers, a MudSimpleTable) out of this render; the exact count on integ was not recorded.
    private const int MaxComponents = 44;

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
    }
}

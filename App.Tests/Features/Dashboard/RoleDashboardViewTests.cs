using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Dashboard;

/// <summary>Each role's dashboard, rendered with real MudBlazor over a seeded SQLite database: what it shows and where its figures link.</summary>
public sealed class RoleDashboardViewTests : BunitContext, IAsyncLifetime
{
    private const string HostileTitle = "<script>alert('title')</script><b>bold draft</b>";
    private const string HostileName = "<img src=x onerror=alert(1)>Mallory";

    private TestDatabase database = null!;
    private BunitAuthorizationContext authorization = null!;
    private RoleDashboardServiceTests.Contoso contoso = null!;
    private string hostileDraftId = "";
    private string hostileUserId = "";

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        contoso = await RoleDashboardServiceTests.ArrangeAsync(database);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var draft = await context.Db.Posts.Where(p => p.AuthorId == contoso.EditorId && p.Status == PostStatus.Draft).OrderBy(p => p.Id).FirstAsync();
            draft.Title = HostileTitle;
            draft.UpdatedAt = DateTime.UtcNow.AddMinutes(1);
            var user = await context.Db.Users.Where(u => u.CustomerId == contoso.CustomerId && u.Id != contoso.EditorId).OrderBy(u => u.Id).FirstAsync();
            user.DisplayName = HostileName;
            user.LastLoginAt = DateTime.UtcNow;
            await context.Db.SaveChangesAsync();
            hostileDraftId = draft.Id.ToString();
            hostileUserId = user.Id.ToString();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<DashboardService>();
        Services.AddScoped<RoleDashboardService>();
        AdminPortal.App.Features.Reports.ReportsSetup.AddReports(Services, background: false);
        authorization = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private IRenderedComponent<DashboardPage> RenderAs(string role, long? siteId = null, long? userId = null)
    {
        authorization.SetAuthorized("Test user");
        var claims = new List<Claim> { new(PortalClaimTypes.Role, role), new(PortalClaimTypes.CustomerId, contoso.CustomerId.ToString()) };
        if (siteId is long site) { claims.Add(new(PortalClaimTypes.SiteId, site.ToString())); }
        if (userId is long user) { claims.Add(new(PortalClaimTypes.UserId, user.ToString())); }
        authorization.SetClaims([.. claims]);
        return Render<DashboardPage>();
    }

    private static string Href(IRenderedComponent<DashboardPage> page, string label) => page.Find($"a[data-stat-link='{label}']").GetAttribute("href")!;

    [Fact]
    public void Render_Editor_ShowsTheirFiguresAsLinksToTheFilteredPostsGrid()
    {
        var page = RenderAs(PortalRoles.Editor, contoso.SiteId, contoso.EditorId);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=my-drafts]")), TimeSpan.FromSeconds(10));
        Assert.Equal($"/posts?tab=Drafts&author={contoso.EditorId}", Href(page, "My drafts"));
        Assert.Equal("/posts?tab=Scheduled&sort=Published&dir=asc", Href(page, "Scheduled"));
        Assert.Equal("/posts?tab=Published&sort=Published&dir=desc", Href(page, "Published"));
        Assert.Equal("2", page.Find("[data-stat='My drafts']").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-stat=Customers]"));
        Assert.Empty(page.FindAll("[data-stat='Failed syncs']"));

        // Every row is a link to its post; the scheduled ones say when they go out.
        var draftLink = page.Find($"[data-testid=my-drafts] li[data-item-id='{hostileDraftId}'] a");
        Assert.Equal($"/posts/{hostileDraftId}", draftLink.GetAttribute("href"));
        Assert.NotEmpty(page.FindAll("[data-testid=scheduled-posts] li a[href^='/posts/']"));
        Assert.InRange(page.FindAll("[data-testid=scheduled-posts] li").Count, 1, RoleDashboardService.ListSize);
        Assert.All(page.FindAll("[data-testid=scheduled-posts] li"), row => Assert.Contains("goes out", row.TextContent));
        Assert.NotEmpty(page.FindAll("[data-testid=scheduled-posts] .absolute-time"));
        Assert.NotEmpty(page.FindAll("[data-testid=recently-published] li a[href^='/posts/']"));

        // A hostile title is text, never markup.
        Assert.Equal(HostileTitle, draftLink.TextContent);
        Assert.Empty(page.FindAll("[data-testid=my-drafts] script"));
        Assert.Empty(page.FindAll("[data-testid=my-drafts] b"));
    }

    [Fact]
    public async Task Render_EditorWithoutDrafts_SaysSoAndLinksToWritingOne()
    {
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Posts.Where(p => p.AuthorId == contoso.EditorId).ExecuteUpdateAsync(s => s.SetProperty(p => p.AuthorId, (long?)null));
        }

        var page = RenderAs(PortalRoles.Editor, contoso.SiteId, contoso.EditorId);

        page.WaitForAssertion(() => Assert.Contains("No drafts yet", page.Find("[data-testid=my-drafts-empty]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("/posts/new", page.Find("[data-testid=my-drafts-empty] a").GetAttribute("href"));
        Assert.Equal("0", page.Find("[data-stat='My drafts']").TextContent.Trim());
    }

    [Fact]
    public void Render_EditorInReadOnlyViewAs_ShowsTheEditorsDashboardWithoutTheWriteLink()
    {
        var view = Render<EditorDashboardView>(parameters => parameters.Add(v => v.UserId, -1).AddCascadingValue("ParentDisabled", true));

        view.WaitForAssertion(() => Assert.Contains("No drafts yet", view.Find("[data-testid=my-drafts-empty]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(view.FindAll("[data-testid=my-drafts-empty] a"));
    }

    [Fact]
    public void Render_Support_ShowsFailedLockedAndSignInsAsLinksToTheFilteredUsersGrid()
    {
        var page = RenderAs(PortalRoles.Support, userId: 1);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=recent-sign-ins]")), TimeSpan.FromSeconds(10));
        Assert.Equal("/users?sync=Failed", Href(page, "Failed syncs"));
        Assert.Equal("/users?state=Locked", Href(page, "Locked users"));
        Assert.Equal("/users?sort=LastLogin&dir=desc", page.Find("[data-testid=recent-sign-ins-all]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-stat='My drafts']"));
        Assert.Empty(page.FindAll("[data-stat=Customers]"));

        var first = page.Find("[data-testid=recent-sign-ins] li a");
        Assert.Equal($"/users/{hostileUserId}", first.GetAttribute("href"));
        Assert.Equal(HostileName, first.TextContent);
        Assert.Empty(page.FindAll("[data-testid=recent-sign-ins] img"));
        Assert.InRange(page.FindAll("[data-testid=recent-sign-ins] li").Count, 1, RoleDashboardService.ListSize);
    }

    [Fact]
    public void Render_CustomerAdmin_KeepsTodaysFiguresAndLinksThemToTheirGrids()
    {
        var page = RenderAs(PortalRoles.CustomerAdmin);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-stat=Users]")), TimeSpan.FromSeconds(10));
        Assert.Equal("/users", Href(page, "Users"));
        Assert.Equal("/sites", Href(page, "Sites"));
        Assert.Equal("/posts?tab=Trash", Href(page, "Posts in Trash"));
        Assert.Equal("/users?sync=Failed", page.Find("[data-sync-status=Failed] a").GetAttribute("href"));
        Assert.Equal("/posts?tab=Scheduled", page.Find("[data-post-status=Scheduled] a").GetAttribute("href"));
        // Only a platform admin has a customers grid.
        Assert.Empty(page.FindAll("a[data-stat-link=Customers]"));
        Assert.Empty(page.FindAll("[data-testid=my-drafts]"));
    }
}

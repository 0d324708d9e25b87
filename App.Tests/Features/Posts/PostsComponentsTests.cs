using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The posts grid and the editor, with real MudBlazor components over a seeded SQLite database.</summary>
public sealed class PostsComponentsTests : BunitContext, IAsyncLifetime
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
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<PostQueries>();
        Services.AddScoped<PostLifecycleService>();
        Services.AddScoped<PostBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        var authorization = AddAuthorization();
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
    public async Task Grid_TrashTab_ShowsTheTenantsTrashedPostsWithCountsOnEveryTab()
    {
        int trashed;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            trashed = await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.Site!.CustomerId == contoso && p.DeletedAt != null);
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts?tab=Trash");
        var grid = Render<PostsPage>();

        grid.WaitForAssertion(() => Assert.Equal($"{trashed} posts", grid.Find("[data-testid=post-total]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal(trashed, grid.FindAll("tr[data-post-id]").Count);
        Assert.All(grid.FindAll("tr[data-post-id]"), row => Assert.Contains("trash", row.TextContent));
        Assert.Contains($"Trash ({trashed})", grid.Find("[data-tab=Trash]").TextContent);
    }

    [Fact]
    public async Task Editor_DraftEdited_AutosavesAndSaysSo()
    {
        long id;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            id = await context.Db.Posts.Where(p => p.Site!.CustomerId == contoso && p.Status == PostStatus.Draft).Select(p => p.Id).FirstAsync();
        }

        var editor = Render<PostEditorPage>(parameters => parameters.Add(p => p.Id, id.ToString()));
        editor.WaitForAssertion(() => Assert.Equal("All changes saved", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));

        editor.Find("textarea").Input("# Autosaved\n\n<script>bad()</script>Fine");
        editor.WaitForAssertion(() => Assert.Equal("Unsaved changes", editor.Find("[data-testid=save-state]").TextContent.Trim()));
        Assert.Contains("<h1", editor.Find("[data-testid=preview]").InnerHtml);
        Assert.DoesNotContain("<script", editor.Find("[data-testid=preview]").InnerHtml);

        editor.WaitForAssertion(() => Assert.StartsWith("All changes saved · autosaved at", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.StartsWith("# Autosaved", await check.Db.Posts.Where(p => p.Id == id).Select(p => p.Content).SingleAsync());
    }

    [Fact]
    public async Task Grid_TrashTabWithASelection_OffersOnlyRestoreAndPreselectsNothing()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts?tab=Trash");
        var grid = Render<PostsPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-post-id]")), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("[data-testid=bulk-bar]"));

        await grid.Find("tr[data-post-id] input[type=checkbox]").CheckRowAsync(true);

        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[data-testid=bulk-bar]")));
        var bar = grid.FindComponent<AdminPortal.App.Grid.BulkBar<PostBulkAction>>().Instance;
        Assert.Null(bar.Action);
        Assert.Equal([PostBulkAction.Restore], bar.Actions);
        Assert.True(bar.OnSelection);
        Assert.Equal("Choose an action first.", grid.Find("[data-testid=bulk-hint]").TextContent.Trim());
    }
}

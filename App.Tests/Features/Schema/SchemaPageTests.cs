using AdminPortal.App.Data;
using AdminPortal.App.Features.Schema;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Schema;

/// <summary>The schema page over a real SQLite database that has drifted.</summary>
public sealed class SchemaPageTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Database.ExecuteSqlRawAsync("DROP INDEX ix_posts_site_id_status_title_id");
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddPortalData(database.Options);
        Services.AddSingleton<Microsoft.AspNetCore.Hosting.IWebHostEnvironment>(new TestEnvironment(RepositoryRoot.Path));
        AddAuthorization().SetAuthorized("Platform admin").SetClaims(new System.Security.Claims.Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin));
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public void Render_DriftedDatabase_ShowsMigrationsDriftGroupedByTableAndTheScript()
    {
        var page = Render<SchemaPage>();

        page.WaitForAssertion(() => Assert.Contains("1 difference(s)", page.Find("[data-testid=drift-summary]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("ix_posts_site_id_status_title_id", page.Find("[data-drift-table=posts] [data-drift-kind=MissingIndex]").TextContent);
        Assert.Contains("Up to date", page.Find("[data-testid=migration-summary]").TextContent);
        Assert.Contains("InitialSchema", page.Markup);
        Assert.Contains("CREATE TABLE IF NOT EXISTS migration_status", page.Markup);
    }

    [Fact]
    public async Task ReCheck_AfterTheIndexIsRestored_ShowsNoDrift()
    {
        var page = Render<SchemaPage>();
        page.WaitForAssertion(() => Assert.Contains("1 difference(s)", page.Find("[data-testid=drift-summary]").TextContent), TimeSpan.FromSeconds(10));
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Database.ExecuteSqlRawAsync("CREATE INDEX ix_posts_site_id_status_title_id ON posts (site_id, status, title, id)");
        }

        page.FindAll("button").Single(b => b.TextContent.Contains("Re-check")).Click();

        page.WaitForAssertion(() => Assert.Contains("No drift", page.Find("[data-testid=drift-summary]").TextContent), TimeSpan.FromSeconds(10));
    }

    private sealed class TestEnvironment(string root) : Microsoft.AspNetCore.Hosting.IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = Path.Combine(root, "wwwroot");
        public Microsoft.Extensions.FileProviders.IFileProvider WebRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
        public string ApplicationName { get; set; } = "AdminPortal";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
        public string ContentRootPath { get; set; } = root;
        public string EnvironmentName { get; set; } = "Development";
    }
}

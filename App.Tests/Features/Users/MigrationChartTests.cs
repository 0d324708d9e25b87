using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Users;

/// <summary>
/// Chart labels are tenant data (site names), and MudBlazor writes them into the page as raw markup. Rendered with the
/// real MudBlazor chart over a seeded SQLite database.
/// </summary>
public sealed class MigrationChartTests : BunitContext, IAsyncLifetime
{
    private const string HostileSiteName = "<img src=x onerror=window.__xss=1><script>window.__xss=1</script>\"><svg onload=window.__xss=1>";

    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        // The chart draws its axes once the browser has told it its size.
        JSInterop.Setup<MudBlazor.Interop.ElementSize>("mudObserveElementSize", _ => true).SetResult(new MudBlazor.Interop.ElementSize { Width = 800, Height = 300 });
        Services.AddMudServices();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<UserService>();
        AdminPortal.App.Features.Reports.ReportsSetup.AddReports(Services, background: false);
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Platform admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.PlatformAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task MigrationPage_SiteNameWithMarkup_IsAnAxisLabelAsTextNotElements()
    {
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var site = await context.Db.Sites.FirstAsync(s => s.Customer!.Slug == "contoso");
            site.Name = HostileSiteName;
            await context.Db.SaveChangesAsync();
        }

        var page = Render<UserMigrationPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(".mud-charts-xaxis text")), TimeSpan.FromSeconds(10));
        // Raw markup would become elements (an <img> breaks out of the SVG): none may exist anywhere on the page.
        Assert.Empty(page.FindAll("img, script, [onerror], [onload]"));
        Assert.Contains(page.FindAll(".mud-charts-xaxis text"), label => label.TextContent == HostileSiteName);
        // The table beside the chart shows the same name, as text.
        Assert.Contains(page.FindAll("td"), cell => cell.TextContent == HostileSiteName);
    }

    [Fact]
    public void SafeChart_HostileLabels_RenderAsTheirOwnText()
    {
        string[] labels = [HostileSiteName, "Tom & Jerry's \"site\"", "{{X_VALUE}} @SUM(1) =cmd|' /C calc'!A0"];

        var chart = Render<SafeChart>(parameters => parameters
            .Add(c => c.Labels, labels)
            .Add(c => c.ChartType, ChartType.StackedBar)
            .Add(c => c.Series, [new ChartSeries<double> { Name = "Users", Data = new double[] { 1, 2, 3 } }]));

        chart.WaitForAssertion(() => Assert.NotEmpty(chart.FindAll(".mud-charts-xaxis text")));
        var texts = chart.FindAll(".mud-charts-xaxis text").Select(t => t.TextContent).ToList();
        Assert.Equal(labels, texts);
        Assert.Empty(chart.FindAll("img, script, [onerror], [onload]"));
    }

    [Fact]
    public void EveryChart_InTheApp_GoesThroughSafeChart()
    {
        string app = Path.Combine(RepositoryRoot.Path, "App");
        var offenders = Directory.EnumerateFiles(app, "*.razor", SearchOption.AllDirectories)
            .Where(file => Path.GetFileName(file) != "SafeChart.razor" && File.ReadAllText(file).Contains("<MudChart", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(RepositoryRoot.Path, file))
            .ToList();

        Assert.Empty(offenders);
    }
}

using AdminPortal.App.Data;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Features.Users;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Reports;

/// <summary>The report frame's "as of" line, rendered with MudBlazor over a seeded SQLite database and a clock the test moves.</summary>
public sealed class ReportFrameTests : BunitContext, IAsyncLifetime
{
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 12, 1, 14, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddPortalData(database.Options);
        Services.AddSingleton<TimeProvider>(clock);
        Services.AddScoped<UserService>();
        ReportsSetup.AddReports(Services, background: false);
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task AsOf_TimePassesWithThePageOpen_SaysHowOldWithoutAReload_AndStopsTickingWhenClosed()
    {
        var asOf = clock.GetUtcNow().UtcDateTime.AddMinutes(-1);
        int loads = 0;
        RenderFragment<string> figures = text => builder => builder.AddContent(0, text);
        var frame = Render<ReportFrame<string>>(parameters => parameters
            .Add(f => f.Load, _ =>
            {
                loads++;
                return Task.FromResult<ReportView<string>?>(new ReportView<string>("<b>figures</b>", asOf, TimeSpan.FromMilliseconds(12), IsStale: false, DatabaseUnavailable: false));
            })
            .Add(f => f.Kind, ReportKind.Dashboard)
            .Add(f => f.ChildContent, figures));

        frame.WaitForAssertion(() => Assert.Equal("As of 13:59 UTC (1 min ago)", frame.Find("[data-testid=report-as-of]").TextContent.Trim()));
        Assert.Contains("&lt;b&gt;figures&lt;/b&gt;", frame.Markup);

        clock.Advance(TimeSpan.FromMinutes(2));
        frame.WaitForAssertion(() => Assert.Equal("As of 13:59 UTC (3 min ago)", frame.Find("[data-testid=report-as-of]").TextContent.Trim()));
        clock.Advance(TimeSpan.FromHours(1));
        frame.WaitForAssertion(() => Assert.Equal("As of 13:59 UTC (1 h ago)", frame.Find("[data-testid=report-as-of]").TextContent.Trim()));
        Assert.Equal(1, loads); // it redraws; it does not read the snapshot again

        Assert.Equal(1, clock.ActiveTimers);
        await DisposeComponentsAsync();
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public async Task AsOf_ViewerInAuckland_ShowsTheLocalTimeWithItsOffset()
    {
        await Renderer.Dispatcher.InvokeAsync(() => AdminPortal.App.Components.Shared.ViewerTimeZone.From("Pacific/Auckland").UseForCurrentRenderer());
        var asOf = clock.GetUtcNow().UtcDateTime.AddMinutes(-1);
        RenderFragment<string> figures = text => builder => builder.AddContent(0, text);
        var frame = Render<ReportFrame<string>>(parameters => parameters
            .Add(f => f.Load, _ => Task.FromResult<ReportView<string>?>(new ReportView<string>("figures", asOf, TimeSpan.FromMilliseconds(12), IsStale: false, DatabaseUnavailable: true)))
            .Add(f => f.Kind, ReportKind.Dashboard)
            .Add(f => f.ChildContent, figures));

        // 13:59 UTC on 1 December is 02:59 on 2 December in Auckland (summer time, UTC+13).
        frame.WaitForAssertion(() => Assert.Equal("As of 02:59 UTC+13 (1 min ago)", frame.Find("[data-testid=report-as-of]").TextContent.Trim()));
        Assert.Contains("Pacific/Auckland", frame.Find("[data-testid=report-as-of]").GetAttribute("title"));
        Assert.Contains("2026-12-01 13:59:00 UTC", frame.Find("[data-testid=report-as-of]").GetAttribute("title"));
        Assert.Contains("as of 02:59 UTC+13.", frame.Find("[data-testid=report-stale-warning]").TextContent);
        await DisposeComponentsAsync();
    }
}

using AdminPortal.App.Features;
using AdminPortal.App.Features.Diagnostics;
using AdminPortal.App.Grid;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Diagnostics;

/// <summary>
/// The page-turn floor for ./bench.sh circuits: off unless the benchmark setting is on, 25 rows a page when on, and a
/// tampered position in its address is the first page, never an error.
/// </summary>
public sealed class TurnFloorPageTests : BunitContext
{
    private void Configure(bool on) =>
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [BenchmarkEndpoints.Setting] = on ? "true" : "false" }).Build());

    private IRenderedComponent<TurnFloorPage> RenderAt(string url)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return Render<TurnFloorPage>();
    }

    private static List<string?> RowIds(IRenderedComponent<TurnFloorPage> page) => page.FindAll("[data-row-id]").Select(row => row.GetAttribute("data-row-id")).ToList();

    [Fact]
    public void SettingOff_ShowsNoRows()
    {
        Configure(on: false);

        var page = RenderAt("/diagnostics/turn-floor");

        Assert.Contains("for benchmark runs only", page.Find("[data-testid=turn-floor-off]").TextContent);
        Assert.Empty(page.FindAll("[data-row-id]"));
        Assert.Empty(page.FindAll("a[aria-label='Next page']"));
    }

    [Fact]
    public void SettingOn_TwentyFiveRows_AndNextPageFollowsTheLastRow()
    {
        Configure(on: true);

        var page = RenderAt("/diagnostics/turn-floor");

        Assert.Equal(Enumerable.Range(0, 25).Select(n => n.ToString()).ToList(), RowIds(page));
        Assert.Contains("Person 0", page.Markup);
        string next = page.Find("a[aria-label='Next page']").GetAttribute("href")!;
        Assert.Contains("after=" + new PageCursor(null, 24).Encode(), next);

        var second = RenderAt("/diagnostics/turn-floor?after=" + new PageCursor(null, 24).Encode());
        Assert.Equal("25", RowIds(second)[0]);
        Assert.Equal("Rows 26–50", second.Find("[data-testid=turn-floor-position]").TextContent);
    }

    [Theory]
    [InlineData("?after=%27%3B--%3Cscript%3E")]
    [InlineData("?after=LTk5OXw")] // "-999|": a negative id
    [InlineData("?before=MHw")] // "0|": before the first row
    [InlineData("?after=OTIyMzM3MjAzNjg1NDc3NTgwN3w")] // long.MaxValue: would overflow
    [InlineData("?last=%00&after=&before=")]
    public void TamperedPosition_IsTheFirstPage(string query)
    {
        Configure(on: true);

        var page = RenderAt("/diagnostics/turn-floor" + query);

        Assert.Equal("0", RowIds(page)[0]);
        Assert.Equal(25, RowIds(page).Count);
        Assert.DoesNotContain("<script>", page.Markup);
    }

    [Fact]
    public void StartOf_StaysInRange()
    {
        Assert.Equal(0, TurnFloorPage.StartOf(new PageRequest()));
        Assert.Equal(25, TurnFloorPage.StartOf(new PageRequest(PageRequestKind.After, new PageCursor(null, 24))));
        Assert.Equal(25, TurnFloorPage.StartOf(new PageRequest(PageRequestKind.Before, new PageCursor(null, 50))));
        Assert.Equal(0, TurnFloorPage.StartOf(new PageRequest(PageRequestKind.After, new PageCursor(null, long.MaxValue))));
        Assert.Equal(0, TurnFloorPage.StartOf(new PageRequest(PageRequestKind.Before, new PageCursor(null, long.MinValue))));
        Assert.True(TurnFloorPage.StartOf(new PageRequest(PageRequestKind.Last)) > 0);
    }
}

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

/// <summary>
/// The bare floor: the floor's page in a layout that is only the page, for the benchmark's "the layout's part". Its
/// route, layout and sign-in check are the page's own attributes; its rows and pager are the floor's.
/// </summary>
public sealed class TurnFloorBarePageTests : BunitContext
{
    [Fact]
    public void BareFloor_OwnRouteAndLayout_SameSignInCheck()
    {
        var type = typeof(TurnFloorBarePage);
        Assert.Equal([TurnFloorBarePage.Path], type.GetCustomAttributes(typeof(RouteAttribute), inherit: false).Cast<RouteAttribute>().Select(r => r.Template));
        Assert.Equal(typeof(BareLayout), ((LayoutAttribute)Attribute.GetCustomAttribute(type, typeof(LayoutAttribute))!).LayoutType);
        Assert.NotNull(Attribute.GetCustomAttribute(type, typeof(Microsoft.AspNetCore.Authorization.AuthorizeAttribute)));
    }

    [Theory]
    [InlineData("", "0")]
    [InlineData("?after=MjR8", "25")] // "24|"
    [InlineData("?after=OTk5OTk5OTk5OTk5OTk5OTk5OTl8", "0")] // an id beyond long: the first page
    [InlineData("?last=1", "9999975")]
    public void BareFloor_SettingOn_RowsAtTheAskedPosition(string query, string firstRow)
    {
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [BenchmarkEndpoints.Setting] = "true" }).Build());
        Services.GetRequiredService<NavigationManager>().NavigateTo(TurnFloorBarePage.Path + query);

        var page = Render<TurnFloorBarePage>();

        var rows = page.FindAll("[data-row-id]");
        Assert.Equal(25, rows.Count);
        Assert.Equal(firstRow, rows[0].GetAttribute("data-row-id"));
        Assert.NotNull(page.Find("a[aria-label='Next page'], button[aria-label='Next page']"));
    }

    [Fact]
    public void BareLayout_RendersOnlyTheBody()
    {
        SetRendererInfo(new RendererInfo("Server", true));
        var layout = Render<BareLayout>(parameters => parameters.Add(l => l.Body, (RenderFragment)(builder => builder.AddMarkupContent(0, "<p id=\"body\">page</p>"))));

        Assert.Equal("page", layout.Find("[role=main] #body").TextContent);
        Assert.Equal("true", layout.Find("[role=main]").GetAttribute("data-interactive")); // the benchmark waits for it
        Assert.Empty(layout.FindAll("header, nav, .mud-appbar, .mud-drawer"));
    }
}

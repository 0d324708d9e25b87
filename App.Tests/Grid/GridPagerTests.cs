using AdminPortal.App.Grid;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Grid;

public sealed class GridPagerTests : BunitContext
{
    // A tampered address: markup in the search, a stray cursor and junk the pager must carry but never interpret.
    private const string TamperedUrl = "/users?sort=Name&search=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&before=%25%25junk&x=a%26b";

    private IRenderedComponent<GridPager> RenderPager(bool hasPrevious, bool hasNext)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(TamperedUrl);
        return Render<GridPager>(parameters => parameters
            .Add(p => p.First, new PageCursor("Ann <b>", 7))
            .Add(p => p.Last, new PageCursor("Zoë\"'&", 42))
            .Add(p => p.HasNext, hasNext)
            .Add(p => p.HasPrevious, hasPrevious));
    }

    private static Dictionary<string, string> Query(IRenderedComponent<GridPager> pager, string label)
    {
        string href = pager.Find($"a[aria-label='{label}']").GetAttribute("href")!;
        Assert.StartsWith("users?", href);
        return QueryHelpers.ParseQuery(href[href.IndexOf('?')..]).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    [Fact]
    public void Links_ChangeOnlyThePosition_AndCarryTheRestOfATamperedUrlEncoded()
    {
        var pager = RenderPager(hasPrevious: true, hasNext: true);

        var next = Query(pager, "Next page");
        Assert.Equal(new PageCursor("Zoë\"'&", 42).Encode(), next["after"]);
        Assert.False(next.ContainsKey("before"));
        Assert.Equal("Name", next["sort"]);
        Assert.Equal("\"><script>alert(1)</script>", next["search"]);
        Assert.Equal("a&b", next["x"]);
        Assert.Equal(new PageCursor("Ann <b>", 7).Encode(), Query(pager, "Previous page")["before"]);
        Assert.Equal("1", Query(pager, "Last page")["last"]);
        var first = Query(pager, "First page");
        Assert.False(first.ContainsKey("after") || first.ContainsKey("before") || first.ContainsKey("last"));
        // The markup never holds the search's text unencoded.
        Assert.DoesNotContain("<script>", pager.Markup);
    }

    [Fact]
    public void AtTheEnds_TheUnavailableControlsAreDisabledButtons_NotLinks()
    {
        var pager = RenderPager(hasPrevious: false, hasNext: true);

        foreach (string label in new[] { "First page", "Previous page" })
        {
            Assert.True(pager.Find($"button[aria-label='{label}']").HasAttribute("disabled"));
            Assert.Empty(pager.FindAll($"a[aria-label='{label}']"));
        }

        Assert.Single(pager.FindAll("a[aria-label='Next page']"));
        Assert.Single(pager.FindAll("a[aria-label='Last page']"));
    }

    [Fact]
    public async Task FollowingNext_ChangesTheUrlWithoutRenderingThePagerAgain()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var pager = RenderPager(hasPrevious: false, hasNext: true);
        int renders = pager.RenderCount;

        await pager.FollowLinkAsync(this, "Next page");

        Assert.Equal(new PageCursor("Zoë\"'&", 42).Encode(), QueryHelpers.ParseQuery(new Uri(navigation.Uri).Query)["after"].ToString());
        Assert.Contains("sort=Name", navigation.Uri);
        // The page's new parameters are what re-render it (with the new cursors); the navigation itself does not.
        Assert.Equal(renders, pager.RenderCount);
        Assert.Equal(GridPager.RequestFrom(new PageCursor("Zoë\"'&", 42).Encode(), null, null).Cursor, new PageCursor("Zoë\"'&", 42));
    }
}

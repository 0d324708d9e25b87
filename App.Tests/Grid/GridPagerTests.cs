using AdminPortal.App.Grid;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Grid;

public sealed class GridPagerTests : BunitContext
{
    [Fact]
    public void NextPage_Click_ChangesTheUrlWithoutRenderingThePagerAgain()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users?sort=Name");
        var last = new PageCursor("Zoë", 42);
        var pager = Render<GridPager>(parameters => parameters
            .Add(p => p.Last, last)
            .Add(p => p.HasNext, true)
            .Add(p => p.HasPrevious, false));
        int renders = pager.RenderCount;

        pager.Find("button[aria-label='Next page']").Click();

        Assert.Equal($"after={last.Encode()}", new Uri(navigation.Uri).Query.Split('&').Single(p => p.TrimStart('?').StartsWith("after=")).TrimStart('?'));
        Assert.Contains("sort=Name", navigation.Uri);
        // The page's new parameters are what re-render it (with the new cursors); its own click does not.
        Assert.Equal(renders, pager.RenderCount);
    }
}

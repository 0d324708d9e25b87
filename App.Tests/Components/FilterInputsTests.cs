using AdminPortal.App.Components.Shared;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;

namespace AdminPortal.Tests.Components;

public sealed class FilterInputsTests : BunitContext
{
    /// <summary>A page with the search box whose commit (a navigation, on the users page) throws.</summary>
    private sealed class FailingSearchPage : ComponentBase
    {
        private readonly DebouncedSearch search = new(TimeSpan.FromMilliseconds(20));

        protected override void BuildRenderTree(RenderTreeBuilder builder) =>
            builder.AddContent(0, search.Render(this, "search", "Search", null, 200, "",
                _ => throw new InvalidOperationException("the commit failed"), InvokeAsync, DispatchExceptionAsync));
    }

    [Fact]
    public void Search_ACommitThatFailsAfterTheDebounce_ReachesTheErrorBoundary_NotTheVoid()
    {
        var page = Render<ErrorBoundary>(parameters => parameters
            .Add(b => b.ChildContent, builder =>
            {
                builder.OpenComponent<FailingSearchPage>(0);
                builder.CloseComponent();
            })
            .Add(b => b.ErrorContent, exception => builder => builder.AddContent(0, "error: " + exception.Message)));

        page.Find("#search").Input("<script>alert(1)</script>");

        // Before, the debounce was a discarded task: the exception vanished and the page looked fine.
        page.WaitForAssertion(() => Assert.Equal("error: the commit failed", page.Markup.Trim()), TimeSpan.FromSeconds(5));
    }
}

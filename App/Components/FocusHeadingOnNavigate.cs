using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace AdminPortal.App.Components;

/// <summary>
/// Blazor's FocusOnNavigate, except on the first page of a load: there the browser's own starting point stays, so the
/// first Tab is "Skip to main content" (issue 15). Blazor's moved focus to the heading as soon as the circuit rendered,
/// so a keyboard user's first Tab landed inside the page or on the skip link depending on timing.
/// After a navigation inside the portal the new page's heading gets the focus, as before.
/// </summary>
public sealed class FocusHeadingOnNavigate(IJSRuntime js) : ComponentBase
{
    private Type? shownPage;
    private bool focusAfterRender;

    [Parameter, EditorRequired] public Microsoft.AspNetCore.Components.RouteData RouteData { get; set; } = default!;

    [Parameter] public string Selector { get; set; } = "h1";

    protected override void OnParametersSet()
    {
        focusAfterRender = shownPage is not null && shownPage != RouteData.PageType;
        shownPage = RouteData.PageType;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!focusAfterRender)
        {
            return;
        }

        focusAfterRender = false;
        try
        {
            await js.InvokeVoidAsync("adminPortalFocus.heading", Selector);
        }
        catch (JSDisconnectedException)
        {
            // The tab closed during the navigation: nothing to focus.
        }
    }
}

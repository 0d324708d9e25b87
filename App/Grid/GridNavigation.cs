using Microsoft.AspNetCore.Components;
using RouteData = Microsoft.AspNetCore.Components.RouteData;

namespace AdminPortal.App.Grid;

/// <summary>
/// A grid page's turn in one render batch. A page turn is a navigation, and Blazor's navigation handlers each render on
/// their own: the router (the layout chain, no change), MudDialogProvider (no change), then the query-string supplier
/// (the page and its new rows): three render batches, each sent to the browser, acknowledged, and woken for on the
/// server (docs/performance.md, "Fifteenth round"). Routes.razor cascades each navigation's <see cref="RouteData"/>
/// under <see cref="RouteName"/>; a grid page that takes it hears of the navigation inside the router's own render,
/// reads its new query there (the supplier answers with the new address as soon as it is asked) and renders its rows
/// in that batch. When the supplier then tells the page of the same address, nothing it shows has changed, and
/// <see cref="IsNewView"/> lets the page skip the second load and render.
/// </summary>
/// <remarks>
/// The page's SetParametersAsync sets its parameters, then asks <see cref="IsNewView"/> whether to go on with
/// ComponentBase's lifecycle. A page that is being navigated away from is told of the next page's route first (the
/// cascade reaches it before the router swaps the pages): it neither loads nor renders for it.
/// </remarks>
public sealed class GridNavigation
{
    /// <summary>The name under which Routes.razor cascades the navigation's route.</summary>
    public const string RouteName = "GridNavigation.Route";

    private object? shown;

    /// <summary>
    /// True when the page must load and render: the first time, and whenever <paramref name="view"/> (everything the
    /// page's rows depend on: its address, its parent's read-only state, its tenant) differs from the last one it went
    /// on with. False for a repeat of that view, and for a navigation to another page (<paramref name="route"/> names
    /// another component; null outside the router, as in component tests).
    /// </summary>
    public bool IsNewView(IComponent page, RouteData? route, object view)
    {
        if (route is not null && route.PageType != page.GetType())
        {
            return false;
        }

        if (shown is not null && shown.Equals(view))
        {
            return false;
        }

        shown = view;
        return true;
    }
}

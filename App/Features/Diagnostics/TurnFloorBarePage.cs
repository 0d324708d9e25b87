using Microsoft.AspNetCore.Components;

namespace AdminPortal.App.Features.Diagnostics;

/// <summary>
/// The page-turn floor (<see cref="TurnFloorPage"/>) in a layout that is only the page (<see cref="BareLayout"/>): the
/// same rows, pager and one-batch turn, through the same router and sign-in check. The floor minus this is what the
/// portal's layout adds to every turn; this is what Blazor Server's turn itself costs on the machine
/// (docs/performance.md, "Seventeenth round"). Served, like the floor, only with Diagnostics:BenchmarkEndpoints on.
/// </summary>
[Route(Path)]
[Layout(typeof(BareLayout))]
public sealed class TurnFloorBarePage : TurnFloorPage
{
    public const string Path = "/diagnostics/turn-floor/bare";
}

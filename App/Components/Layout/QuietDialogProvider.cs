using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using MudBlazor;

namespace AdminPortal.App.Components.Layout;

/// <summary>
/// MudDialogProvider, without its render on a navigation that finds no dialog open. MudDialogProvider closes every
/// dialog when the location changes and then renders, whether or not a dialog was open: on every navigation of every
/// circuit that was one more render batch (nothing in it) sent to the browser and acknowledged, and on a grid page turn
/// one of the turn's three batches (docs/performance.md, "Fifteenth round"). With a dialog open it closes and renders
/// as before.
/// </summary>
/// <remarks>
/// Its own location handler is registered before MudDialogProvider's, so it runs first and notes whether a dialog is
/// open; the provider's render that follows at once is then skipped. The note is taken back by a dialog being added and
/// after any render, so it can only ever skip that one render.
/// </remarks>
public sealed class QuietDialogProvider : MudDialogProvider, IDisposable
{
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    [Inject] private IDialogService Dialogs { get; set; } = null!;

    private readonly List<IDialogReference> opened = [];
    private bool navigatedWithNoDialogOpen;

    protected override void OnInitialized()
    {
        // Before base.OnInitialized: these handlers run before MudDialogProvider's own.
        Navigation.LocationChanged += BeforeDialogsClose;
        Dialogs.DialogInstanceAddedAsync += OnDialogAdded;
        base.OnInitialized();
    }

    private void BeforeDialogsClose(object? sender, LocationChangedEventArgs e)
    {
        opened.RemoveAll(dialog => dialog.Result.IsCompleted);
        navigatedWithNoDialogOpen = opened.Count == 0;
    }

    private Task OnDialogAdded(IDialogReference dialog)
    {
        opened.Add(dialog);
        navigatedWithNoDialogOpen = false;
        return Task.CompletedTask;
    }

    protected override bool ShouldRender()
    {
        if (navigatedWithNoDialogOpen)
        {
            navigatedWithNoDialogOpen = false;
            return false;
        }

        return base.ShouldRender();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        navigatedWithNoDialogOpen = false;
        base.OnAfterRender(firstRender);
    }

    void IDisposable.Dispose()
    {
        Navigation.LocationChanged -= BeforeDialogsClose;
        Dialogs.DialogInstanceAddedAsync -= OnDialogAdded;
        Dispose();
    }
}

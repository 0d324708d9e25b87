using MudBlazor;

namespace AdminPortal.App.Components.Shared;

/// <summary>Asks before a consequential action, through <see cref="ConfirmDialog"/>. Use it instead of ShowMessageBoxAsync.</summary>
public static class ConfirmDialogs
{
    private static readonly DialogOptions Options = new()
    {
        CloseOnEscapeKey = true,
        BackdropClick = true,
        CloseButton = false,
        MaxWidth = MaxWidth.ExtraSmall,
        FullWidth = true,
        // The safe choice, Cancel, is the dialog's first child (ConfirmDialog.razor).
        DefaultFocus = DefaultFocus.FirstChild,
    };

    /// <summary>True only when the person chose <paramref name="confirmText"/>; Cancel, Escape and the backdrop say no.</summary>
    public static async Task<bool> ConfirmAsync(this IDialogService dialogs, string title, string message, string confirmText,
        string cancelText = "Cancel", bool destructive = true)
    {
        var parameters = new DialogParameters<ConfirmDialog>
        {
            { d => d.Title, title },
            { d => d.Message, message },
            { d => d.ConfirmText, confirmText },
            { d => d.CancelText, cancelText },
            { d => d.Destructive, destructive },
        };
        var reference = await dialogs.ShowAsync<ConfirmDialog>(title, parameters, Options);
        var result = await reference.Result;
        return result is { Canceled: false, Data: true };
    }
}

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// The markup of MudBlazor's checkbox, link and chip for grid rows, rendered straight into the row instead of as
/// components. A component costs a circuit about 5 KB for as long as it is on screen (its own two render-tree buffers,
/// parameter state, attribute dictionaries) and work on every render; a users-grid page had 7 per row, 175 of its 457
/// components (dotnet-gcdump, docs/performance.md). The markup is MudBlazor 9's own, class for class, so the rows look
/// and behave as before: a real <c>input type=checkbox</c> with its label for screen readers, focusable, toggled by
/// Space, and disabled inside a read-only view-as like every MudBlazor control (the <c>ParentDisabled</c> cascade).
/// </summary>
public static class GridCells
{
    // MudBlazor's Icons.Material.Filled.CheckBoxOutlineBlank and CheckBox, as MudCheckBox draws them.
    private static readonly MarkupString Unchecked = new("""<path d="M0 0h24v24H0z" fill="none"/><path d="M19 5v14H5V5h14m0-2H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2z"/>""");
    private static readonly MarkupString Checked = new("""<path d="M0 0h24v24H0z" fill="none"/><path d="M19 3H5c-1.11 0-2 .9-2 2v14c0 1.1.89 2 2 2h14c1.11 0 2-.9 2-2V5c0-1.1-.89-2-2-2zm-9 14l-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8l-9 9z"/>""");

    /// <summary>A dense MudCheckBox: Space toggles (the browser's own), Enter checks, Delete unchecks, as MudCheckBox does.</summary>
    public static RenderFragment CheckBox(object receiver, bool isChecked, string ariaLabel, bool disabled, Action<bool> changed) => builder =>
    {
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", disabled ? "mud-input-control mud-input-control-boolean-input mud-disabled" : "mud-input-control mud-input-control-boolean-input");
        builder.OpenElement(2, "div");
        builder.AddAttribute(3, "class", "mud-input-control-input-container");
        builder.OpenElement(4, "label");
        builder.AddAttribute(5, "class", disabled ? "mud-checkbox mud-disabled mud-input-content-placement-end" : "mud-checkbox mud-input-content-placement-end");
        if (!disabled)
        {
            builder.AddAttribute(6, "onkeydown", EventCallback.Factory.Create<KeyboardEventArgs>(receiver, e =>
            {
                if (e.Key is "Enter" or "NumpadEnter" && !isChecked)
                {
                    changed(true);
                }
                else if (e.Key == "Delete" && isChecked)
                {
                    changed(false);
                }
            }));
        }

        // MudCheckBox stops the click here so that a row's own click handler does not see it.
        builder.AddEventStopPropagationAttribute(7, "onclick", true);
        builder.OpenElement(8, "span");
        builder.AddAttribute(9, "class", disabled
            ? $"mud-button-root mud-icon-button mud-checkbox-dense mud-disabled mud-checkbox-{(isChecked ? "true" : "false")}"
            : $"mud-button-root mud-icon-button mud-default-text hover:mud-default-hover mud-checkbox-dense mud-ripple mud-ripple-checkbox mud-checkbox-{(isChecked ? "true" : "false")}");
        builder.OpenElement(10, "input");
        builder.AddAttribute(11, "tabindex", disabled ? "-1" : "0");
        builder.AddAttribute(12, "aria-label", ariaLabel);
        builder.AddAttribute(13, "type", "checkbox");
        builder.AddAttribute(14, "class", "mud-checkbox-input");
        builder.AddAttribute(15, "checked", isChecked);
        builder.AddAttribute(16, "onchange", EventCallback.Factory.Create<ChangeEventArgs>(receiver, e => changed(e.Value is true)));
        builder.AddAttribute(17, "disabled", disabled);
        builder.CloseElement();
        builder.OpenElement(18, "svg");
        builder.AddAttribute(19, "class", "mud-icon-root mud-svg-icon mud-icon-size-medium");
        builder.AddAttribute(20, "focusable", "false");
        builder.AddAttribute(21, "viewBox", "0 0 24 24");
        builder.AddAttribute(22, "aria-hidden", "true");
        builder.AddAttribute(23, "role", "img");
        builder.AddContent(24, isChecked ? Checked : Unchecked);
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
    };

    /// <summary>A MudLink: a plain anchor, which Blazor's router follows without a reload.</summary>
    public static RenderFragment Link(string href, string? text) => builder =>
    {
        builder.OpenElement(0, "a");
        builder.AddAttribute(1, "href", href);
        builder.AddAttribute(2, "class", "mud-typography mud-link mud-primary-text mud-link-underline-hover");
        builder.AddContent(3, text);
        builder.CloseElement();
    };

    /// <summary>A small, filled MudChip that is not clickable.</summary>
    public static RenderFragment Chip(string text, Color color, string? testId = null) => builder =>
    {
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", "mud-chip-container");
        builder.OpenElement(2, "div");
        builder.AddAttribute(3, "class", $"mud-chip mud-chip-filled mud-chip-size-small mud-chip-color-{ColorName(color)}");
        builder.AddAttribute(4, "tabindex", "-1");
        builder.AddAttribute(5, "data-testid", testId);
        builder.OpenElement(6, "span");
        builder.AddAttribute(7, "class", "mud-chip-content");
        builder.AddContent(8, text);
        builder.CloseElement();
        builder.CloseElement();
        builder.CloseElement();
    };

    /// <summary>
    /// What <see cref="RelativeTime"/> shows ("3 days ago", and under it the time in the viewer's zone; UTC too on
    /// hover), without a component.
    /// </summary>
    public static RenderFragment Time(DateTime? at, string never = "never") => builder =>
    {
        builder.OpenElement(0, "span");
        if (at is { } value)
        {
            var zone = ViewerTimeZone.Current;
            builder.AddAttribute(1, "class", "relative-time");
            builder.AddAttribute(2, "title", zone.Describe(value));
            builder.AddContent(3, RelativeTime.Describe(value));
            builder.OpenElement(4, "span");
            builder.AddAttribute(5, "class", "absolute-time");
            builder.AddContent(6, zone.Format(value));
            builder.CloseElement();
        }
        else
        {
            builder.AddAttribute(7, "class", "mud-text-secondary");
            builder.AddContent(8, never);
        }

        builder.CloseElement();
    };

    private static string ColorName(Color color) => color switch
    {
        Color.Success => "success",
        Color.Error => "error",
        Color.Warning => "warning",
        Color.Info => "info",
        Color.Primary => "primary",
        Color.Secondary => "secondary",
        Color.Tertiary => "tertiary",
        Color.Dark => "dark",
        _ => "default",
    };
}

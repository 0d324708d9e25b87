using System.Net;
using System.Text;
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
    private const string IconOpen = """<svg class="mud-icon-root mud-svg-icon mud-icon-size-medium" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">""";
    private const string UncheckedIcon = IconOpen + """<path d="M0 0h24v24H0z" fill="none"/><path d="M19 5v14H5V5h14m0-2H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2z"/></svg>""";
    private const string CheckedIcon = IconOpen + """<path d="M0 0h24v24H0z" fill="none"/><path d="M19 3H5c-1.11 0-2 .9-2 2v14c0 1.1.89 2 2 2h14c1.11 0 2-.9 2-2V5c0-1.1-.89-2-2-2zm-9 14l-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8l-9 9z"/></svg>""";

    // A row's icon draws the same paths from the page's sprite (App.razor: grid-box, grid-box-checked): a grid keeps its
    // rows' markup in the circuit, twice after a turn, and the paths were 150 of a row's 1,800 characters.
    private const string RowUncheckedIcon = IconOpen + """<use href="#grid-box"></use></svg>""";
    private const string RowCheckedIcon = IconOpen + """<use href="#grid-box-checked"></use></svg>""";

    /// <summary>The sprite a row's checkbox icon uses: MudBlazor's two checkbox icons, once per page (App.razor).</summary>
    public const string Sprite = """<svg class="grid-sprite" aria-hidden="true" focusable="false"><symbol id="grid-box" viewBox="0 0 24 24"><path d="M0 0h24v24H0z" fill="none"/><path d="M19 5v14H5V5h14m0-2H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2z"/></symbol><symbol id="grid-box-checked" viewBox="0 0 24 24"><path d="M0 0h24v24H0z" fill="none"/><path d="M19 3H5c-1.11 0-2 .9-2 2v14c0 1.1.89 2 2 2h14c1.11 0 2-.9 2-2V5c0-1.1-.89-2-2-2zm-9 14l-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8l-9 9z"/></symbol></svg>""";

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
        // The icon is one markup frame, not seven: frames are what a circuit keeps (twice) for every row on screen.
        builder.AddMarkupContent(18, isChecked ? CheckedIcon : UncheckedIcon);
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

    // Read-only cells as HTML text: a run of them is one markup frame in the row instead of about five frames a cell.
    // Everything a tenant stores goes through HtmlEncode here, in text and in attributes alike.

    /// <summary>
    /// A text cell. A <paramref name="clip"/>ped one is kept on one line and cut short with an ellipsis by its column's
    /// width, with the full text in its title; the others are short, fixed texts.
    /// </summary>
    public static void AppendText(StringBuilder html, string? text, bool clip = false, string? cellClass = null)
    {
        string encoded = WebUtility.HtmlEncode(text ?? "");
        OpenCell(html, cellClass);
        if (clip)
        {
            html.Append("<span class=\"grid-clip\" title=\"").Append(encoded).Append("\">").Append(encoded).Append("</span></td>");
        }
        else
        {
            html.Append(encoded).Append("</td>");
        }
    }

    /// <summary>
    /// What <see cref="Link"/> renders, in a cell; a <paramref name="clip"/>ped one is kept on one line with the full
    /// text in its title.
    /// </summary>
    public static void AppendLink(StringBuilder html, string href, string? text, bool clip = true)
    {
        string encoded = WebUtility.HtmlEncode(text ?? "");
        OpenCell(html, null);
        html.Append("<a href=\"").Append(WebUtility.HtmlEncode(href)).Append("\" class=\"mud-typography mud-link mud-primary-text mud-link-underline-hover");
        if (clip)
        {
            html.Append(" grid-clip\" title=\"").Append(encoded);
        }

        html.Append("\">").Append(encoded).Append("</a></td>");
    }

    /// <summary>What <see cref="Chip"/> renders, in a cell.</summary>
    public static void AppendChip(StringBuilder html, string text, Color color)
    {
        OpenCell(html, null);
        html.Append("<div class=\"mud-chip-container\"><div class=\"mud-chip mud-chip-filled mud-chip-size-small mud-chip-color-").Append(ColorName(color))
            .Append("\" tabindex=\"-1\"><span class=\"mud-chip-content\">").Append(WebUtility.HtmlEncode(text)).Append("</span></div></div></td>");
    }

    /// <summary>
    /// What <see cref="CheckBox"/> renders, in a cell, as text: a row checkbox whose change the table body hears
    /// (<c>@onrowselect</c>, <see cref="RowSelectEventArgs"/>). Enter checks and Delete unchecks as MudCheckBox does,
    /// and the focus stays on the box when the row is drawn again (AdminPortal.lib.module.js).
    /// </summary>
    public static void AppendCheckBox(StringBuilder html, string rowId, bool isChecked, string ariaLabel, bool disabled)
    {
        html.Append(disabled
                ? "<td><div class=\"mud-input-control mud-input-control-boolean-input mud-disabled\"><div class=\"mud-input-control-input-container\"><label class=\"mud-checkbox mud-disabled mud-input-content-placement-end\"><span class=\"mud-button-root mud-icon-button mud-checkbox-dense mud-disabled mud-checkbox-"
                : "<td><div class=\"mud-input-control mud-input-control-boolean-input\"><div class=\"mud-input-control-input-container\"><label class=\"mud-checkbox mud-input-content-placement-end\"><span class=\"mud-button-root mud-icon-button mud-default-text hover:mud-default-hover mud-checkbox-dense mud-ripple mud-ripple-checkbox mud-checkbox-")
            .Append(isChecked ? "true" : "false")
            .Append("\"><input tabindex=\"").Append(disabled ? "-1" : "0")
            .Append("\" aria-label=\"").Append(WebUtility.HtmlEncode(ariaLabel))
            .Append("\" type=\"checkbox\" class=\"mud-checkbox-input\" data-row-select=\"").Append(WebUtility.HtmlEncode(rowId)).Append('"')
            .Append(isChecked ? " checked" : "")
            .Append(disabled ? " disabled" : "")
            .Append('>')
            .Append(isChecked ? RowCheckedIcon : RowUncheckedIcon)
            .Append("</span></label></div></div></td>");
    }

    /// <summary>What <see cref="Time"/> renders, in a cell, as text: the same spans, classes and hover title.</summary>
    public static void AppendTime(StringBuilder html, ViewerTimeZone zone, DateTime? at, string never = "never")
    {
        if (at is { } value)
        {
            html.Append("<td><span class=\"relative-time\" title=\"").Append(WebUtility.HtmlEncode(zone.Describe(value))).Append("\">")
                .Append(WebUtility.HtmlEncode(RelativeTime.Describe(value))).Append("<span class=\"absolute-time\">")
                .Append(WebUtility.HtmlEncode(zone.Format(value))).Append("</span></span></td>");
        }
        else
        {
            html.Append("<td><span class=\"mud-text-secondary\">").Append(WebUtility.HtmlEncode(never)).Append("</span></td>");
        }
    }

    // One builder per thread for a row's cells: a render is synchronous, so nothing else uses it meanwhile. A new pair
    // of builders for every row was about 25 × 2 KB of garbage a page turn.
    [ThreadStatic] private static StringBuilder? rowBuilder;

    /// <summary>An empty builder for one row's cells; hand it back through <see cref="ToMarkup"/>.</summary>
    public static StringBuilder RowBuilder()
    {
        var html = rowBuilder ?? new StringBuilder(2048);
        rowBuilder = null;
        return html.Clear();
    }

    /// <summary>The cells as one markup frame; the builder goes back for the next row (unless a huge row grew it).</summary>
    public static MarkupString ToMarkup(StringBuilder html)
    {
        var markup = new MarkupString(html.ToString());
        if (html.Capacity <= 16 * 1024)
        {
            rowBuilder = html.Clear();
        }

        return markup;
    }

    private static void OpenCell(StringBuilder html, string? cellClass) =>
        html.Append(cellClass is null ? "<td>" : $"<td class=\"{WebUtility.HtmlEncode(cellClass)}\">");

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

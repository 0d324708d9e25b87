using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// A filter's choice as the browser's own <c>select</c>, with its <c>label</c>, drawn like a dense outlined MudSelect.
/// A MudSelect is about a dozen components (input control, input, adornment icon, popover, list, and one MudSelectItem
/// per choice rendered even while it is closed), and each component costs a circuit about 5 KB; the users grid's five
/// filter selects were about 60 of its components (docs/performance.md). The native element also brings the keyboard
/// for free: Tab to it, arrows or the first letter to choose, Alt+Down or Space to open the list.
/// </summary>
public static class FilterSelect
{
    /// <summary>The last markup built for a list of choices, with the choice it marked selected.</summary>
    private sealed record Built(string? Selected, MarkupString Markup);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, Built> LastBuilt = new();

    /// <summary>
    /// The choices as one markup frame: their texts are HTML-encoded here, so a site's name is only ever text. Every
    /// render of a grid page asked for its five selects' options again (6 % of a users-grid page turn's allocation):
    /// the markup is now kept with the list it was built from and built again only when the selection changes. So a
    /// list of choices must not be changed in place once shown: a page gives a new list (the grids do).
    /// </summary>
    public static MarkupString Options(IReadOnlyCollection<(string Value, string Text)> choices, string? selected)
    {
        if (LastBuilt.TryGetValue(choices, out var last) && last.Selected == selected)
        {
            return last.Markup;
        }

        var markup = Build(choices, selected);
        LastBuilt.AddOrUpdate(choices, new Built(selected, markup));
        return markup;
    }

    private static MarkupString Build(IEnumerable<(string Value, string Text)> choices, string? selected)
    {
        var html = new StringBuilder();
        foreach (var (value, text) in choices)
        {
            html.Append("<option value=\"").Append(WebUtility.HtmlEncode(value)).Append('"');
            if (value == (selected ?? ""))
            {
                // The selectedness comes with the options: they are replaced, not diffed, when the choice changes.
                html.Append(" selected");
            }

            html.Append('>').Append(WebUtility.HtmlEncode(text)).Append("</option>");
        }

        return new MarkupString(html.ToString());
    }

    private static string ArrowAndBorder(string label) =>
        """<div class="mud-input-adornment mud-input-adornment-end" aria-hidden="true"><svg class="mud-icon-root mud-icon-default mud-svg-icon mud-icon-size-medium mud-input-adornment-icon" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img"><path d="M0 0h24v24H0z" fill="none"/><path d="M7 10l5 5 5-5z"/></svg></div>"""
        + OutlinedBorder(label);

    /// <summary>MudBlazor's outlined border with the notch for the label, as its outlined inputs render it.</summary>
    internal static string OutlinedBorder(string label) =>
        $"""<fieldset class="mud-input-outlined-border" aria-hidden="true"><legend>{WebUtility.HtmlEncode(label)}</legend></fieldset>""";

    /// <summary>
    /// The floating label of a dense outlined MudBlazor input, tied to its field by <paramref name="id"/>. The caller
    /// opens a region around it: its sequence numbers start at 0 (a sequence passed in is what ASP0006 warns about).
    /// </summary>
    internal static void FloatingLabel(RenderTreeBuilder builder, string id, string label)
    {
        builder.OpenElement(0, "label");
        builder.AddAttribute(1, "class", "mud-input-label mud-input-label-animated mud-input-label-outlined mud-input-label-margin-dense mud-input-label-inputcontrol");
        builder.AddAttribute(2, "for", id);
        builder.AddContent(3, label);
        builder.CloseElement();
    }

    /// <summary>
    /// A labelled select; <paramref name="changed"/> gets the chosen value ("" for the first, "any", choice).
    /// <paramref name="id"/> ties the label to the select, so it must be unique on the page.
    /// </summary>
    public static RenderFragment Render(object receiver, string id, string label, MarkupString options, Action<string> changed, string style, bool disabled = false) =>
        Render(receiver, id, label, options, EventCallback.Factory.Create<ChangeEventArgs>(receiver, e => changed(e.Value as string ?? "")), style, disabled);

    /// <summary>As above, for a change handler that awaits (its failures reach the error boundary).</summary>
    public static RenderFragment Render(object receiver, string id, string label, MarkupString options, Func<string, Task> changed, string style, bool disabled = false) =>
        Render(receiver, id, label, options, EventCallback.Factory.Create<ChangeEventArgs>(receiver, e => changed(e.Value as string ?? "")), style, disabled);

    private static RenderFragment Render(object receiver, string id, string label, MarkupString options, EventCallback<ChangeEventArgs> onChange, string style, bool disabled) => builder =>
    {
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", disabled ? "mud-input-control mud-input-control-margin-dense mud-input-outlined-with-label filter-select mud-disabled" : "mud-input-control mud-input-control-margin-dense mud-input-outlined-with-label filter-select");
        builder.AddAttribute(2, "style", style);
        builder.OpenElement(3, "div");
        builder.AddAttribute(4, "class", "mud-input-control-input-container");
        builder.OpenElement(5, "div");
        builder.AddAttribute(6, "class", disabled ? "mud-input mud-input-outlined mud-input-outlined-with-label mud-input-adorned-end mud-input-margin-dense mud-shrink mud-typography-subtitle1 mud-input-sizing-fixed mud-disabled" : "mud-input mud-input-outlined mud-input-outlined-with-label mud-input-adorned-end mud-input-margin-dense mud-shrink mud-typography-subtitle1 mud-input-sizing-fixed");
        builder.OpenElement(7, "select");
        builder.AddAttribute(8, "id", id);
        builder.AddAttribute(9, "class", "mud-input-slot mud-input-root mud-input-root-outlined mud-input-root-adorned-end mud-input-root-margin-dense");
        builder.AddAttribute(10, "onchange", onChange);
        builder.AddAttribute(11, "disabled", disabled);
        builder.AddContent(12, options);
        builder.CloseElement();
        // MudSelect's arrow and its outlined border with the notch for the label, as MudSelect renders them.
        builder.AddMarkupContent(13, ArrowAndBorder(label));
        builder.CloseElement();
        builder.OpenRegion(14);
        FloatingLabel(builder, id, label);
        builder.CloseRegion();
        builder.CloseElement();
        builder.CloseElement();
    };
}

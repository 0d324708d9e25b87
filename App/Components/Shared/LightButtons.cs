using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// MudBlazor's text and icon buttons as markup for the controls every grid shows many of (sort headers, the pager):
/// a MudButton with an icon is two or three components, each costing a circuit about 5 KB (docs/performance.md).
/// They are real <c>button</c> elements with the same accessible names, so the keyboard and screen readers see no
/// difference. They take no part in the <c>ParentDisabled</c> cascade: use them only for controls that change the URL,
/// never data, which stay usable inside a read-only view-as.
/// </summary>
public static class LightButtons
{
    private const string SvgOpen = """<svg class="mud-icon-root mud-svg-icon mud-icon-size-{0}" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">""";

    /// <summary>A small text MudButton with an optional end icon (a MudBlazor icon constant).</summary>
    public static RenderFragment Text(object receiver, string text, string ariaLabel, string? endIcon, Action onClick, string? extraClass = null) => builder =>
    {
        builder.OpenElement(0, "button");
        builder.AddAttribute(1, "type", "button");
        builder.AddAttribute(2, "class", $"mud-button-root mud-button mud-button-text mud-button-text-default mud-button-text-size-small mud-ripple {extraClass}");
        builder.AddAttribute(3, "aria-label", ariaLabel);
        builder.AddAttribute(4, "onclick", EventCallback.Factory.Create<MouseEventArgs>(receiver, onClick));
        builder.OpenElement(5, "span");
        builder.AddAttribute(6, "class", "mud-button-label");
        builder.AddContent(7, text);
        if (endIcon is not null)
        {
            builder.AddMarkupContent(8, $"""<span class="mud-button-icon-end mud-button-icon-size-small">{string.Format(SvgOpen, "small")}{endIcon}</svg></span>""");
        }

        builder.CloseElement();
        builder.CloseElement();
    };

    /// <summary>
    /// A MudIconButton with an Href: a link while enabled, a disabled button otherwise (as MudBlazor renders it). A
    /// link is followed by the browser's own navigation, which Blazor's router hears as one message, where a button's
    /// click is a browser event, a NavigateTo call sent back to the browser and its reply before the same navigation.
    /// </summary>
    public static RenderFragment IconLink(string icon, string ariaLabel, string? href) => builder =>
    {
        builder.OpenElement(0, href is null ? "button" : "a");
        builder.AddAttribute(1, "class", href is null ? "mud-button-root mud-icon-button mud-disabled" : "mud-button-root mud-icon-button mud-default-text hover:mud-default-hover mud-ripple mud-ripple-icon");
        builder.AddAttribute(2, "aria-label", ariaLabel);
        builder.AddAttribute(3, "href", href);
        builder.AddAttribute(4, "type", href is null ? "button" : null);
        builder.AddAttribute(5, "disabled", href is null);
        builder.AddMarkupContent(6, $"""<span class="mud-icon-button-label">{string.Format(SvgOpen, "medium")}{icon}</svg></span>""");
        builder.CloseElement();
    };

    /// <summary>MudButton's variants at the medium size, with the default colour unless the variant names another.</summary>
    public const string Filled = "mud-button-filled mud-button-filled-primary mud-button-filled-size-medium";
    public const string Outlined = "mud-button-outlined mud-button-outlined-default mud-button-outlined-size-medium";
    public const string TextVariant = "mud-button-text mud-button-text-default mud-button-text-size-medium";

    /// <summary>
    /// A MudButton with a start icon (a MudBlazor icon constant), as a link when <paramref name="href"/> is given and
    /// it is enabled, else as a button. A page's standing buttons (the users grid's invite, migration, clear and export)
    /// were a MudButton and a MudIcon each for the circuit's whole life. Unlike the buttons above, this one takes a
    /// <paramref name="disabled"/> from the page, so that a page passes its ParentDisabled (read-only view-as) on.
    /// </summary>
    public static RenderFragment WithStartIcon(object receiver, string variant, string text, string icon, bool disabled, string? href = null, Func<Task>? onClick = null, string? extraClass = null) => builder =>
    {
        // A disabled MudButton with an Href renders a disabled button, not a link: nothing to follow in a view-as.
        bool link = href is not null && !disabled;
        builder.OpenElement(0, link ? "a" : "button");
        builder.AddAttribute(1, "class", extraClass is null ? $"mud-button-root mud-button {variant} mud-ripple" : $"mud-button-root mud-button {variant} mud-ripple {extraClass}");
        builder.AddAttribute(2, "type", "button");
        builder.AddAttribute(3, "href", link ? href : null);
        builder.AddAttribute(4, "disabled", disabled);
        if (onClick is not null)
        {
            builder.AddAttribute(5, "onclick", EventCallback.Factory.Create<MouseEventArgs>(receiver, onClick));
        }

        builder.OpenElement(6, "span");
        builder.AddAttribute(7, "class", "mud-button-label");
        builder.AddMarkupContent(8, $"""<span class="mud-button-icon-start mud-button-icon-size-medium">{string.Format(SvgOpen, "medium")}{icon}</svg></span>""");
        builder.AddContent(9, text);
        builder.CloseElement();
        builder.CloseElement();
    };
}

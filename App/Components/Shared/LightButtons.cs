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

    /// <summary>A MudIconButton of the default colour.</summary>
    public static RenderFragment Icon(object receiver, string icon, string ariaLabel, bool disabled, Action onClick) => builder =>
    {
        builder.OpenElement(0, "button");
        builder.AddAttribute(1, "type", "button");
        builder.AddAttribute(2, "class", disabled ? "mud-button-root mud-icon-button mud-disabled" : "mud-button-root mud-icon-button mud-default-text hover:mud-default-hover mud-ripple mud-ripple-icon");
        builder.AddAttribute(3, "aria-label", ariaLabel);
        builder.AddAttribute(4, "disabled", disabled);
        builder.AddAttribute(5, "onclick", EventCallback.Factory.Create<MouseEventArgs>(receiver, onClick));
        builder.AddMarkupContent(6, $"""<span class="mud-icon-button-label">{string.Format(SvgOpen, "medium")}{icon}</svg></span>""");
        builder.CloseElement();
    };
}

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.RenderTree;
using MudBlazor;

// The render tree's frames (BL0006): reading what MudThemeProvider renders, once per theme and mode.
#pragma warning disable BL0006

namespace AdminPortal.App.Components.Layout;

/// <summary>
/// MudThemeProvider, with its style sheet built once per theme and mode and shared by every circuit. MudThemeProvider
/// builds the theme's CSS variables (about 12,000 characters, a 24 KB string) anew for each circuit and keeps it in the
/// circuit's render tree for the circuit's life: a gcdump of 20 users-grid circuits found one such string per circuit
/// (docs/performance.md, "Twelfth round"). This renders the same markup, from one string per theme and mode; everything
/// else (dark mode, the system preference, its JS) is MudThemeProvider's own. The theme must not be changed after its
/// first use (the portal's is <see cref="PortalTheme.Theme"/>, built once).
/// </summary>
public sealed class SharedThemeProvider : MudThemeProvider
{
    private static readonly ConditionalWeakTable<MudTheme, ConcurrentDictionary<(bool Dark, bool DefaultScrollbar), string?>> Sheets = new();

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        var sheets = Sheets.GetValue(GetTheme(), _ => new());
        string? markup = sheets.GetOrAdd((IsDarkMode, DefaultScrollbar), _ => MarkupOf(base.BuildRenderTree));
        if (markup is null)
        {
            // A MudBlazor whose theme provider renders more than markup: render it as it is, unshared.
            base.BuildRenderTree(builder);
            return;
        }

        builder.AddMarkupContent(0, markup);
    }

    /// <summary>What <paramref name="render"/> renders, as one HTML string; null unless it is all markup and text.</summary>
    internal static string? MarkupOf(Action<RenderTreeBuilder> render)
    {
        using var scratch = new RenderTreeBuilder();
        render(scratch);
        var frames = scratch.GetFrames();
        var html = new StringBuilder();
        for (int i = 0; i < frames.Count; i++)
        {
            var frame = frames.Array[i];
            switch (frame.FrameType)
            {
                case RenderTreeFrameType.Markup:
                    html.Append(frame.MarkupContent);
                    break;
                case RenderTreeFrameType.Text:
                    html.Append(System.Net.WebUtility.HtmlEncode(frame.TextContent));
                    break;
                default:
                    return null;
            }
        }

        return html.ToString();
    }
}

using AdminPortal.App.Components.Layout;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using MudBlazor;
using MudBlazor.Services;

#pragma warning disable BL0006 // the render tree's frames, read by RenderedFrames

namespace AdminPortal.Tests.Components;

/// <summary>
/// The theme's style sheet is built once per theme and mode and shared: every circuit used to keep its own 24 KB copy
/// (docs/performance.md, "Twelfth round"). What the browser gets must be MudThemeProvider's markup, unchanged.
/// </summary>
public sealed class SharedThemeProviderTests : BunitContext
{
    public SharedThemeProviderTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private IRenderedComponent<T> RenderTheme<T>(bool dark) where T : MudThemeProvider =>
        Render<T>(p => p.Add(t => t.Theme, PortalTheme.Theme).Add(t => t.IsDarkMode, dark));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Markup_IsMudThemeProvidersOwn(bool dark)
    {
        string mud = RenderTheme<MudThemeProvider>(dark).Markup;
        string shared = RenderTheme<SharedThemeProvider>(dark).Markup;

        Assert.Equal(mud, shared);
        Assert.Contains($"--mud-native-html-color-scheme: {(dark ? "dark" : "light")};", shared);
        Assert.Contains("--mud-palette-primary:", shared);
    }

    [Fact]
    public void TwoCircuits_HoldOneString_AndTheModeSwitchesIt()
    {
        var first = RenderTheme<SharedThemeProvider>(dark: false);
        var second = RenderTheme<SharedThemeProvider>(dark: false);

        string Sheet(IRenderedComponent<SharedThemeProvider> provider)
        {
            var frames = RenderedFrames.Of(Renderer, provider.ComponentId);
            return Assert.Single(frames.Array.Take(frames.Count), f => f.FrameType == RenderTreeFrameType.Markup).MarkupContent;
        }

        Assert.Same(Sheet(first), Sheet(second));

        second.Render(p => p.Add(t => t.IsDarkMode, true));
        Assert.NotSame(Sheet(first), Sheet(second));
        Assert.Contains("--mud-native-html-color-scheme: dark;", second.Markup);
        Assert.Contains("--mud-native-html-color-scheme: light;", first.Markup);
    }

    [Fact]
    public void MarkupOf_ARenderWithAnElement_IsNull_SoTheProviderRendersUnshared()
    {
        Assert.Null(SharedThemeProvider.MarkupOf(builder =>
        {
            builder.AddMarkupContent(0, "<style>a{}</style>");
            builder.OpenElement(1, "div");
            builder.CloseElement();
        }));
        // Text is encoded as the renderer would: a hostile string stays text.
        Assert.Equal("<style>a{}</style>&lt;/style&gt;&lt;script&gt;", SharedThemeProvider.MarkupOf(builder =>
        {
            builder.AddMarkupContent(0, "<style>a{}</style>");
            builder.AddContent(1, "</style><script>");
        }));
    }
}

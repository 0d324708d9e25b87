using MudBlazor;

namespace AdminPortal.App.Components.Layout;

/// <summary>
/// The portal's colours. Every pair meets WCAG AA (4.5:1 for text, 3:1 for the focus ring) in both modes: MudBlazor's
/// defaults do not (white on its Warning orange is 2.1:1), and the accessibility tests (AccessibilityBrowserTests) check.
/// In light mode the colours are dark enough to carry white text and to read as text on white; in dark mode they are
/// light enough to read on the dark surfaces and carry near-black text.
/// </summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#2f5d8a",
            AppbarBackground = "#2f5d8a",
            Secondary = "#00695c",
            Tertiary = "#6a3d9a",
            Info = "#1565c0",
            Success = "#2e7d32",
            Warning = "#9a4d00",
            Error = "#c62828",
            TextSecondary = "#595959",
            DrawerIcon = "#595959",
            ActionDefault = "#595959",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab8e6",
            PrimaryContrastText = "#0d1b2a",
            Secondary = "#5cc4b8",
            SecondaryContrastText = "#0d1b2a",
            Tertiary = "#c3a6e8",
            TertiaryContrastText = "#0d1b2a",
            Info = "#74b9f5",
            InfoContrastText = "#0d1b2a",
            Success = "#7fcf84",
            SuccessContrastText = "#0d1b2a",
            Warning = "#ffb74d",
            WarningContrastText = "#0d1b2a",
            Error = "#ff8a80",
            ErrorContrastText = "#0d1b2a",
            TextPrimary = "rgba(255,255,255,0.87)",
            TextSecondary = "rgba(255,255,255,0.74)",
            DrawerText = "rgba(255,255,255,0.87)",
            DrawerIcon = "rgba(255,255,255,0.74)",
            ActionDefault = "rgba(255,255,255,0.74)",
            AppbarText = "rgba(255,255,255,0.87)",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "240px" },
    };
}

using MudBlazor;

namespace AdminPortal.App.Components.Layout;

public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#2f5d8a", AppbarBackground = "#2f5d8a", Secondary = "#00897b" },
        PaletteDark = new PaletteDark { Primary = "#7fb0e0", Secondary = "#4db6ac" },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "240px" },
    };
}

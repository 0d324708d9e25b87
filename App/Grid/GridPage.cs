namespace AdminPortal.App.Grid;

/// <summary>One page of a keyset-paged grid: its rows, the capped total of the filter, and the cursors either side.</summary>
public sealed record GridPage<TRow>(List<TRow> Rows, CappedCount Total, PageCursor? First, PageCursor? Last, bool HasPrevious, bool HasNext);

public static class GridPage
{
    public const int DefaultSize = 25;

    /// <summary>The largest page any grid, export or bulk preview asks for: a URL cannot ask for more.</summary>
    public const int MaxSize = 200;
}

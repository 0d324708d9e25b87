using Microsoft.AspNetCore.Components;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// A row checkbox's change, heard once on the grid's table body instead of once per row. The rows' checkboxes are
/// markup (<see cref="GridCells.AppendCheckBox"/>), so a whole row is about three render-tree frames instead of about
/// twenty-five: a users-grid page fits the builders' 512-frame arrays (docs/performance.md, "Tenth round"). The
/// browser sends the checkbox's <c>data-row-select</c> id and its new state (wwwroot/AdminPortal.lib.module.js).
/// </summary>
/// <remarks>The id is whatever the browser says: a page accepts it only for a row it has on screen.</remarks>
public sealed class RowSelectEventArgs : EventArgs
{
    public string? Id { get; set; }

    public bool Checked { get; set; }

    /// <summary>
    /// The row this change is about, if the page may take it: the id of a row it has on screen (not another tenant's
    /// row, not a made-up or oversized id), and nothing at all in a read-only view-as (<paramref name="readOnly"/>, the
    /// page's ParentDisabled); null otherwise.
    /// </summary>
    public string? AcceptedId<TRow>(IEnumerable<TRow>? rowsOnScreen, Func<TRow, string> rowId, bool readOnly) =>
        !readOnly && Id is { } id && rowsOnScreen?.Any(row => rowId(row) == id) == true ? id : null;
}

/// <summary>Declares <c>@onrowselect</c> to Razor.</summary>
[EventHandler("onrowselect", typeof(RowSelectEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
public static class EventHandlers
{
}

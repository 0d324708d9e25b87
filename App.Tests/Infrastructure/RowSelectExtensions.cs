using AdminPortal.App.Components.Shared;
using AngleSharp.Dom;
using Bunit;

namespace AdminPortal.Tests.Infrastructure;

public static class RowSelectExtensions
{
    /// <summary>What the browser sends when a grid's markup row checkbox changes (AdminPortal.lib.module.js): the
    /// event bubbles from the box to the table body's one <c>@onrowselect</c>.</summary>
    public static Task CheckRowAsync(this IElement box, bool on) =>
        box.TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = box.GetAttribute("data-row-select"), Checked = on });
}

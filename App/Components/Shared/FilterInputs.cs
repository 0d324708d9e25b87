using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// A grid's search box as the browser's own labelled <c>input</c>, drawn like a dense outlined MudTextField with a
/// search adornment and a clear button. A MudTextField is 8 components (text field, input, adornment icon, clear
/// button and their icons), kept by every circuit for its whole life (docs/performance.md, "Ninth round").
/// The page owns one instance: it keeps what was typed and not yet committed, and the debounce.
/// </summary>
/// <remarks>
/// Typing does not re-render the page: the input's handler has this object as its receiver, which is not an
/// <see cref="IHandleEvent"/>, so Blazor calls it without a render (a keystroke on a MudTextField re-rendered only the
/// text field; on the page it would re-render the whole grid). Blazor still records the typed text in the page's
/// render tree (the event's field value), so the next render diffs against what the browser shows.
/// </remarks>
public sealed class DebouncedSearch : IDisposable
{
    private readonly TimeSpan delay;
    private CancellationTokenSource? waiting;
    private string? sent;

    public DebouncedSearch(TimeSpan delay) => this.delay = delay;

    /// <summary>Typed and not yet committed: shown instead of the committed value, so a render never undoes typing.</summary>
    public string? Typed { get; private set; }

    /// <summary>Forgets what was typed and not committed (the filters were cleared another way).</summary>
    public void Cancel()
    {
        waiting?.Cancel();
        waiting?.Dispose();
        waiting = null;
        Typed = null;
    }

    public void Dispose() => Cancel();

    /// <summary>
    /// The search box. <paramref name="commit"/> gets the text (null when cleared) 300 ms after the last keystroke, or
    /// at once on Enter, on leaving the field and on the clear button; <paramref name="invoke"/> is the page's
    /// InvokeAsync, since the debounce ends off the renderer's thread. <paramref name="page"/> re-renders after a
    /// clear, so that the box empties even when the committed value did not change. <paramref name="fail"/> is the
    /// page's DispatchExceptionAsync: nobody awaits the debounce, so a failing commit goes to the error boundary
    /// instead of vanishing with the discarded task.
    /// </summary>
    public RenderFragment Render(IHandleEvent page, string id, string label, string? committed, int maxLength, string style,
        Action<string?> commit, Func<Func<Task>, Task> invoke, Func<Exception, Task> fail) => builder =>
    {
        string? shown = Typed ?? committed;
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", "mud-input-control mud-input-control-margin-dense mud-input-outlined-with-label mud-input-input-control mud-input-sizing-fixed");
        builder.OpenElement(2, "div");
        builder.AddAttribute(3, "class", "mud-input-control-input-container");
        builder.OpenElement(4, "div");
        // Always shrunk, as MudTextField does with a start adornment: the label sits on the border.
        builder.AddAttribute(5, "class", "mud-input mud-input-outlined mud-input-outlined-with-label mud-input-adorned-start mud-input-margin-dense mud-shrink mud-typography-subtitle1 mud-input-sizing-fixed");
        builder.AddAttribute(6, "style", style);
        builder.AddMarkupContent(7, SearchAdornment);
        builder.OpenElement(8, "input");
        builder.AddAttribute(9, "id", id);
        builder.AddAttribute(10, "class", "mud-input-slot mud-input-root mud-input-root-outlined mud-input-root-adorned-start mud-input-root-margin-dense");
        builder.AddAttribute(11, "type", "text");
        builder.AddAttribute(12, "inputmode", "text");
        builder.AddAttribute(13, "maxlength", maxLength);
        builder.AddAttribute(14, "value", shown);
        builder.AddAttribute(15, "oninput", EventCallback.Factory.Create<ChangeEventArgs>(this, e => Typing(Cut(e.Value as string, maxLength), commit, invoke, fail)));
        // Enter or leaving the field commits at once, as MudTextField's debounce did on blur.
        builder.AddAttribute(16, "onchange", EventCallback.Factory.Create<ChangeEventArgs>(this, e => Now(Cut(e.Value as string, maxLength), committed, commit)));
        builder.CloseElement();
        if (!string.IsNullOrEmpty(shown))
        {
            // MudTextField's clear button: out of the Tab order, as MudBlazor has it (Escape-free: select and delete
            // works from the keyboard).
            builder.OpenElement(17, "button");
            builder.AddAttribute(18, "type", "button");
            builder.AddAttribute(19, "class", "mud-button-root mud-icon-button mud-ripple mud-ripple-icon mud-icon-button-size-small mud-input-clear-button mud-icon-button-edge-margin-end mud-no-activator");
            builder.AddAttribute(20, "aria-label", "Clear");
            builder.AddAttribute(21, "tabindex", "-1");
            builder.AddAttribute(22, "onclick", EventCallback.Factory.Create<MouseEventArgs>(page, () =>
            {
                Cancel();
                sent = null;
                commit(null);
            }));
            builder.AddMarkupContent(23, ClearIcon);
            builder.CloseElement();
        }

        builder.AddMarkupContent(24, FilterSelect.OutlinedBorder(label));
        builder.CloseElement();
        builder.OpenRegion(25);
        FilterSelect.FloatingLabel(builder, id, label);
        builder.CloseRegion();
        builder.CloseElement();
        builder.CloseElement();
    };

    // maxlength is the browser's; a tampered client can send more, and the URL parser would reset it with a notice.
    private static string Cut(string? text, int maxLength) => text is null ? "" : text.Length > maxLength ? text[..maxLength] : text;

    private void Typing(string text, Action<string?> commit, Func<Func<Task>, Task> invoke, Func<Exception, Task> fail)
    {
        waiting?.Cancel();
        waiting?.Dispose();
        var mine = waiting = new CancellationTokenSource();
        Typed = text;
        _ = CommitLaterAsync(text, mine.Token, commit, invoke, fail);
    }

    private async Task CommitLaterAsync(string text, CancellationToken token, Action<string?> commit, Func<Func<Task>, Task> invoke, Func<Exception, Task> fail)
    {
        try
        {
            await Task.Delay(delay, token);
            await invoke(() =>
            {
                if (!token.IsCancellationRequested)
                {
                    Typed = null;
                    sent = text;
                    commit(text);
                }

                return Task.CompletedTask;
            });
        }
        catch (OperationCanceledException)
        {
            // A later keystroke, a commit or the end of the circuit took over.
        }
        catch (ObjectDisposedException)
        {
            // The circuit ended while waiting.
        }
        catch (Exception exception)
        {
            await fail(exception);
        }
    }

    private void Now(string text, string? committed, Action<string?> commit)
    {
        bool pending = waiting is not null;
        waiting?.Cancel();
        waiting?.Dispose();
        waiting = null;
        Typed = null;
        if (pending || (text != (committed ?? "") && text != sent))
        {
            sent = text;
            commit(text);
        }
    }

    // MudBlazor's search icon and clear icon (Icons.Material.Filled.Search, .Clear), as MudTextField renders them.
    private static readonly string SearchAdornment =
        $"""<div class="mud-input-adornment mud-input-adornment-start" aria-hidden="true"><svg class="mud-icon-root mud-icon-default mud-svg-icon mud-icon-size-medium mud-input-adornment-icon" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{MudBlazor.Icons.Material.Filled.Search}</svg></div>""";

    private static readonly string ClearIcon =
        $"""<span class="mud-icon-button-label"><svg class="mud-icon-root mud-svg-icon mud-icon-size-small" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{MudBlazor.Icons.Material.Filled.Clear}</svg></span>""";
}

/// <summary>
/// A whole-number filter as the browser's own labelled <c>input</c> with MudNumericField's look, spinner buttons and
/// arrow keys (role spinbutton), instead of a MudNumericField (8 components per circuit). Text that is not a number
/// gets a message under the field and changes nothing; a number outside the range is brought into it.
/// </summary>
public sealed class NumberFilterInput
{
    /// <summary>The message under the field after text that is not a whole number; null when there is none.</summary>
    public string? Error { get; private set; }

    // What was typed when the message appeared: kept in the field, so the person sees what to correct.
    private string? invalidText;

    /// <summary>
    /// Reads what was typed: null for an empty field, the number brought into [min, max] (a run of digits too long for
    /// an int counts as above max), or false when it is not a whole number.
    /// </summary>
    public static bool TryRead(string? text, int min, int max, out int? value)
    {
        value = null;
        string trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0)
        {
            return true;
        }

        if (int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
        {
            value = Math.Clamp(number, min, max);
            return true;
        }

        string digits = trimmed.TrimStart('+', '-');
        if (digits.Length > 0 && digits.All(char.IsAsciiDigit))
        {
            value = trimmed.StartsWith('-') ? min : max;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The field. <paramref name="page"/> receives the events (a change re-renders it, to show the number as clamped
    /// or the message); <paramref name="commit"/> gets the new value, null for an empty field.
    /// </summary>
    public RenderFragment Render(IHandleEvent page, string id, string label, int? committed, int min, int max, string style, string extraClass,
        Action<int?> commit) => builder =>
    {
        string errorId = id + "-error";
        bool shrink = committed is not null || Error is not null;
        builder.OpenElement(0, "div");
        builder.AddAttribute(1, "class", "mud-input-control mud-input-control-margin-dense mud-input-outlined-with-label mud-input-input-control mud-input-number-control mud-input-showspin " + extraClass + (Error is null ? "" : " mud-input-error"));
        builder.OpenElement(2, "div");
        builder.AddAttribute(3, "class", "mud-input-control-input-container");
        builder.OpenElement(4, "div");
        builder.AddAttribute(5, "class", (shrink ? "mud-input mud-input-outlined mud-input-outlined-with-label mud-input-margin-dense mud-shrink mud-typography-subtitle1 mud-input-sizing-fixed" : "mud-input mud-input-outlined mud-input-outlined-with-label mud-input-margin-dense mud-typography-subtitle1 mud-input-sizing-fixed") + (Error is null ? "" : " mud-input-error"));
        builder.AddAttribute(6, "style", style);
        builder.OpenElement(7, "input");
        builder.AddAttribute(8, "id", id);
        builder.AddAttribute(9, "class", "mud-input-slot mud-input-root mud-input-root-outlined mud-input-root-margin-dense");
        builder.AddAttribute(10, "type", "text");
        builder.AddAttribute(11, "inputmode", "numeric");
        builder.AddAttribute(12, "role", "spinbutton");
        builder.AddAttribute(13, "aria-valuenow", committed?.ToString(CultureInfo.InvariantCulture));
        builder.AddAttribute(14, "aria-valuemin", min.ToString(CultureInfo.InvariantCulture));
        builder.AddAttribute(15, "aria-valuemax", max.ToString(CultureInfo.InvariantCulture));
        builder.AddAttribute(16, "aria-invalid", Error is null ? "false" : "true");
        builder.AddAttribute(17, "aria-describedby", Error is null ? null : errorId);
        // A generous bound: anything longer is not a number of days, and the message says so.
        builder.AddAttribute(18, "maxlength", "12");
        builder.AddAttribute(19, "value", invalidText ?? committed?.ToString(CultureInfo.InvariantCulture));
        builder.AddAttribute(20, "onchange", EventCallback.Factory.Create<ChangeEventArgs>(page, e => Changed(e.Value as string, committed, min, max, commit)));
        // MudNumericField's arrow keys; other keys are the browser's.
        builder.AddAttribute(21, "onkeydown", EventCallback.Factory.Create<KeyboardEventArgs>(page, e =>
        {
            if (e.Key is "ArrowUp" or "ArrowDown")
            {
                Step(committed, e.Key == "ArrowUp" ? 1 : -1, min, max, commit);
            }
        }));
        builder.CloseElement();
        builder.AddMarkupContent(22, FilterSelect.OutlinedBorder(label));
        builder.OpenElement(23, "div");
        builder.AddAttribute(24, "class", "mud-input-numeric-spin");
        builder.OpenRegion(25);
        SpinButton(builder, page, "Increment", IncrementIcon, () => Step(committed, 1, min, max, commit));
        builder.CloseRegion();
        builder.OpenRegion(26);
        SpinButton(builder, page, "Decrement", DecrementIcon, () => Step(committed, -1, min, max, commit));
        builder.CloseRegion();
        builder.CloseElement();
        builder.CloseElement();
        builder.OpenRegion(27);
        FilterSelect.FloatingLabel(builder, id, label);
        builder.CloseRegion();
        builder.CloseElement();
        if (Error is not null)
        {
            // MudBlazor's helper text in its error colour, next to the field (DESIGN.md rule 8).
            builder.OpenElement(31, "div");
            builder.AddAttribute(32, "class", "mud-input-helper-text mud-input-error");
            builder.AddAttribute(33, "id", errorId);
            builder.AddAttribute(34, "data-testid", id + "-error");
            builder.AddContent(35, Error);
            builder.CloseElement();
        }

        builder.CloseElement();
    };

    /// <summary>One spinner button; the caller opens a region around it (its sequence numbers start at 0).</summary>
    private static void SpinButton(RenderTreeBuilder builder, IHandleEvent page, string name, string icon, Action step)
    {
        builder.OpenElement(0, "button");
        builder.AddAttribute(1, "type", "button");
        builder.AddAttribute(2, "class", "mud-button-root mud-button mud-button-text mud-button-text-default mud-button-text-size-medium mud-ripple");
        // Out of the Tab order, as MudNumericField's: the arrow keys do the same from the field.
        builder.AddAttribute(3, "tabindex", "-1");
        builder.AddAttribute(4, "aria-label", name);
        builder.AddAttribute(5, "onclick", EventCallback.Factory.Create<MouseEventArgs>(page, step));
        // The focus stays in the field, as with MudNumericField.
        builder.AddEventPreventDefaultAttribute(6, "onmousedown", true);
        builder.AddMarkupContent(7, icon);
        builder.CloseElement();
    }

    private void Changed(string? text, int? committed, int min, int max, Action<int?> commit)
    {
        if (!TryRead(text, min, max, out int? value))
        {
            Error = $"Enter a whole number from {min:N0} to {max:N0}, or leave it empty.";
            invalidText = text;
            return;
        }

        Error = null;
        invalidText = null;
        if (value != committed)
        {
            commit(value);
        }
    }

    private void Step(int? committed, int by, int min, int max, Action<int?> commit)
    {
        Error = null;
        invalidText = null;
        int next = committed is { } now ? Math.Clamp(now + by, min, max) : min;
        if (next != committed)
        {
            commit(next);
        }
    }

    // MudNumericField's spinner icons (KeyboardArrowUp / KeyboardArrowDown), small, as it renders them.
    private static readonly string IncrementIcon =
        $"""<span class="mud-button-label"><svg class="mud-icon-root mud-svg-icon mud-icon-size-small" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{MudBlazor.Icons.Material.Filled.KeyboardArrowUp}</svg></span>""";

    private static readonly string DecrementIcon =
        $"""<span class="mud-button-label"><svg class="mud-icon-root mud-svg-icon mud-icon-size-small" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{MudBlazor.Icons.Material.Filled.KeyboardArrowDown}</svg></span>""";
}

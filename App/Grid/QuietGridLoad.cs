namespace AdminPortal.App.Grid;

/// <summary>
/// A grid page's load, rendered once per page turn. ComponentBase renders a page when its OnParametersSetAsync first
/// yields and again when it ends: where the data call is truly asynchronous (PostgreSQL) that was two renders, diffs
/// and WebSocket messages a turn, the first showing the old rows under the new URL state. With this, the page keeps
/// the rows it has on screen and does not render (<see cref="ShouldRender"/> is false) until the load ends; the
/// spinner (<see cref="Loading"/>) shows only if the load is still running after <see cref="IndicatorDelay"/>. A newer
/// load supersedes an older one: the older one's rows, error and spinner state are dropped. Every failure becomes the
/// page's error message (<see cref="Error"/>), so a failed turn leaves the old rows and a usable page, never a lost
/// circuit.
/// </summary>
/// <remarks>
/// The page owns one, makes it the answer of its ShouldRender, shows <see cref="Loading"/> as a spinner next to its
/// rows and <see cref="Error"/> as an alert, and disposes it with itself. Used on the circuit's thread only.
/// </remarks>
/// <param name="what">What the grid lists, for the message and the log: "users", "posts", "audit log".</param>
/// <param name="clock">The indicator's timer (tests move a manual clock).</param>
/// <param name="invokeAsync">The page's InvokeAsync: the timer fires on another thread.</param>
/// <param name="stateHasChanged">The page's StateHasChanged, for the spinner after the delay.</param>
public sealed class QuietGridLoad(string what, TimeProvider clock, Func<Action, Task> invokeAsync, Action stateHasChanged, ILogger logger) : IDisposable
{
    /// <summary>How long a page turn may take before its spinner appears next to the rows still shown.</summary>
    public static readonly TimeSpan IndicatorDelay = TimeSpan.FromMilliseconds(200);

    private ITimer? indicatorTimer;
    private int version;
    private bool quiet;

    /// <summary>True while the newest load runs: the page's spinner, once the page renders.</summary>
    public bool Loading { get; private set; }

    /// <summary>The page's ShouldRender: false while a load runs with the old rows kept on screen.</summary>
    public bool ShouldRender => !quiet;

    /// <summary>The page's error message when its newest load failed; null otherwise.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Runs one load: <paramref name="load"/> reads, and <paramref name="show"/> puts its result on the page's fields
    /// if no newer load has started meanwhile. With <paramref name="keepOnScreen"/> (the page has rows to show: not
    /// the first load, whose progress bar shows at once) the page stays as it is until the load ends.
    /// </summary>
    public async Task RunAsync<T>(bool keepOnScreen, Func<Task<T>> load, Action<T> show)
    {
        int mine = ++version;
        Loading = true;
        quiet = keepOnScreen;
        try
        {
            Error = null;
            var loading = load();
            if (quiet && !loading.IsCompleted)
            {
                // Only a load that is really waiting needs the spinner's timer. On SQLite the call completes where it
                // was made; arming and disarming a timer there cost every turn a wake-up of the runtime's timer
                // thread, and another of a pool thread when the disarmed timer's native tick came due.
                indicatorTimer ??= clock.CreateTimer(_ => invokeAsync(ShowIndicator), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                indicatorTimer.Change(IndicatorDelay, Timeout.InfiniteTimeSpan);
            }

            var result = await loading;
            if (mine == version)
            {
                show(result);
            }
        }
        // Nothing here passes a token, so a cancellation is a failure like any other (a timeout's shape), not the page
        // going away: it used to escape, and the page kept its spinner or its old rows without a word.
        catch (Exception exception)
        {
            logger.LogError(exception, "Loading the {What} failed.", what);
            if (mine == version)
            {
                Error = $"The {what} could not be loaded. The error has been logged.";
            }
        }
        finally
        {
            // An older load that ends late leaves the newer one's spinner alone.
            if (mine == version)
            {
                Loading = false;
                quiet = false;
                indicatorTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void ShowIndicator()
    {
        if (Loading && quiet)
        {
            quiet = false;
            stateHasChanged();
        }
    }

    public void Dispose() => indicatorTimer?.Dispose();
}

using AdminPortal.App.Grid;
using AdminPortal.Tests.Features.Reports;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// The spinner's timer of a page turn (QuietGridLoad) alone: a load that completes where it is called (SQLite's) arms
/// no timer; one that waits (PostgreSQL's) does, and shows the spinner after the delay. The grid pages' own turns, with
/// a held call, are in GridPageTurnTests.
/// </summary>
public class QuietGridLoadTests
{
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private int renders;

    private QuietGridLoad NewLoad() => new("users", clock, action => { action(); return Task.CompletedTask; }, () => renders++, NullLogger.Instance);

    [Fact]
    public async Task LoadCompletingWhereCalled_ArmsNoTimer_AndShowsItsResult()
    {
        using var load = NewLoad();
        string? shown = null;

        for (int turn = 0; turn < 3; turn++)
        {
            await load.RunAsync(keepOnScreen: true, () => Task.FromResult($"page {turn}"), page => shown = page);
        }

        Assert.Equal("page 2", shown);
        Assert.Equal(0, clock.ActiveTimers);
        Assert.False(load.Loading);
        Assert.True(load.ShouldRender);
        Assert.Null(load.Error);
    }

    [Fact]
    public async Task LoadThatWaits_ArmsTheTimer_SpinnerAfterTheDelay_ThenTheResult()
    {
        using var load = NewLoad();
        var call = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? shown = null;

        var turn = load.RunAsync(keepOnScreen: true, () => call.Task, page => shown = page);
        Assert.Equal(1, clock.ActiveTimers);
        Assert.False(load.ShouldRender);
        clock.Advance(QuietGridLoad.IndicatorDelay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, renders);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, renders);
        Assert.True(load.ShouldRender);
        Assert.True(load.Loading);

        call.SetResult("<script>alert(1)</script>");
        await turn;
        Assert.Equal("<script>alert(1)</script>", shown);
        Assert.False(load.Loading);
    }

    [Fact]
    public async Task LoadFailingWhereCalled_IsTheErrorMessage_NoTimer()
    {
        using var load = NewLoad();
        string? shown = "old rows";

        await load.RunAsync<string>(keepOnScreen: true, () => throw new InvalidOperationException("database gone"), page => shown = page);

        Assert.Equal("old rows", shown);
        Assert.Equal("The users could not be loaded. The error has been logged.", load.Error);
        Assert.Equal(0, clock.ActiveTimers);
        Assert.True(load.ShouldRender);
    }
}

namespace AdminPortal.Tests.Features.Reports;

/// <summary>A clock that moves only when told to, with timers that fire when it passes their due time.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly List<ManualTimer> timers = [];
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public int ActiveTimers
    {
        get { lock (timers) { return timers.Count(t => !t.Disposed); } }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (timers) { timers.Add(timer); }
        return timer;
    }

    /// <summary>Moves the clock on, firing every timer due on the way (each as often as its period fits).</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target = now + by;
        while (true)
        {
            ManualTimer? next;
            lock (timers) { next = timers.Where(t => !t.Disposed && t.Due is { } due && due <= target).MinBy(t => t.Due); }
            if (next is null)
            {
                break;
            }

            now = next.Due!.Value;
            next.Fire();
        }

        now = target;
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan period;
        public DateTimeOffset? Due { get; private set; }
        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            this.period = period;
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.now + dueTime;
            return !Disposed;
        }

        public void Fire()
        {
            Due = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : Due + period;
            callback(state);
        }

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

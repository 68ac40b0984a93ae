namespace Walsim.Tests.Live;

/// <summary>
/// A simulated clock that jumps: every timer fires as soon as it is created, after the clock has been moved forward
/// by its due time. Code that waits with <c>Task.Delay(d, time, ct)</c> therefore runs at full speed while seeing the
/// times it asked for, and no test sleeps. <see cref="Waits"/> records each wait.
/// </summary>
internal sealed class JumpingTime : TimeProvider
{
    private readonly object _lock = new();
    private DateTimeOffset _now;
    private long _ticks;

    public JumpingTime(DateTimeOffset start) => _now = start;

    public List<TimeSpan> Waits { get; } = [];

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() { lock (_lock) return _ticks; }

    /// <summary>Moves the clock without a timer (time spent in a query).</summary>
    public void Advance(TimeSpan by) { lock (_lock) { _now += by; _ticks += by.Ticks; } }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_lock) Waits.Add(dueTime);
            Advance(dueTime);
            // Queued, not inline: Task.Delay stores the timer after CreateTimer returns.
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }
        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Walsim.Analyzer.Comparison;

/// <summary>Runs one scenario on one version, streaming to an observer (the engine, or the engine behind a CLI guard).</summary>
public delegate SimulationResult RunVersion(Scenario scenario, PgVersion version, ISimulationObserver observer);

/// <summary>A checkpoint with the log events (invalidations, terminations, disk full) logged since the previous one.
/// <see cref="Checkpoint"/> is null for the events after the last checkpoint of a run.</summary>
internal sealed record CheckpointStep(CheckpointRecord? Checkpoint, IReadOnlyList<LogEvent> Events);

/// <summary>The first pair of steps whose decisions differ, and the first checkpoint whose timing differs before it.</summary>
internal sealed record FirstDifference(CheckpointStep From, CheckpointStep To, CheckpointRecord? TimingFrom, CheckpointRecord? TimingTo);

/// <summary>
/// Runs two versions side by side and compares them checkpoint by checkpoint as they run, each run on its own
/// thread feeding a small bounded queue: memory stays bounded however long the scenario, and nothing is collected
/// once the first difference is found (the runs still finish, for their summaries).
/// </summary>
internal static class LockstepComparison
{
    private const int QueueCapacity = 64;

    public static (SimulationResult From, SimulationResult To, FirstDifference? First) Run(
        RunVersion run, Scenario fromScenario, PgVersion from, Scenario toScenario, PgVersion to)
    {
        var stop = new StopFlag();
        using var a = new StreamingObserver(stop);
        using var b = new StreamingObserver(stop);
        var ta = Task.Run(() => { try { return run(fromScenario, from, a); } finally { a.Complete(); } });
        var tb = Task.Run(() => { try { return run(toScenario, to, b); } finally { b.Complete(); } });

        FirstDifference? first = null;
        CheckpointRecord? timingA = null, timingB = null;
        try
        {
            while (true)
            {
                var hasA = a.TryTake(out var sa);
                var hasB = b.TryTake(out var sb);
                if (!hasA && !hasB) break;
                if (hasA && hasB && sa!.Checkpoint is { } ca && sb!.Checkpoint is { } cb && timingA is null && TimingDiffers(ca, cb))
                    (timingA, timingB) = (ca, cb);
                if (!hasA || !hasB || Differs(sa!, sb!))
                {
                    first = new FirstDifference(sa ?? new CheckpointStep(null, []), sb ?? new CheckpointStep(null, []), timingA, timingB);
                    break;
                }
            }
        }
        finally
        {
            stop.Set();
            a.Drain();
            b.Drain();
        }
        try
        {
            Task.WaitAll(ta, tb);
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return (ta.Result, tb.Result, first);
    }

    /// <summary>The retention decisions of a checkpoint and the log events around it.</summary>
    internal static bool Differs(CheckpointStep a, CheckpointStep b)
    {
        if (a.Checkpoint is null != b.Checkpoint is null) return true;
        if (a.Checkpoint is { } x && b.Checkpoint is { } y
            && (x.Keep != y.Keep || x.KeepBeforeInvalidation != y.KeepBeforeInvalidation || x.Added != y.Added
                || x.Removed != y.Removed || x.Recycled != y.Recycled || x.FilesAfter != y.FilesAfter
                || !x.InvalidatedSlots.SequenceEqual(y.InvalidatedSlots)))
            return true;
        return !a.Events.Select(e => (e.Kind, e.Slot)).SequenceEqual(b.Events.Select(e => (e.Kind, e.Slot)));
    }

    internal static bool TimingDiffers(CheckpointRecord x, CheckpointRecord y) =>
        x.Start != y.Start || x.End != y.End || x.Cause != y.Cause || x.Skipped != y.Skipped;

    private sealed class StopFlag
    {
        private volatile bool _set;
        public bool IsSet => _set;
        public void Set() => _set = true;
    }

    /// <summary>Hands checkpoints (with the events before them) to the comparing thread; drops them once stopped.</summary>
    private sealed class StreamingObserver(StopFlag stop) : ISimulationObserver, IDisposable
    {
        private readonly BlockingCollection<CheckpointStep> _queue = new(QueueCapacity);
        private List<LogEvent> _events = [];

        public void OnCheckpoint(CheckpointRecord checkpoint)
        {
            if (stop.IsSet) return;
            _queue.Add(new CheckpointStep(checkpoint, _events));
            _events = [];
        }

        public void OnLogEvent(LogEvent logEvent)
        {
            if (!stop.IsSet) _events.Add(logEvent);
        }

        public void Complete()
        {
            if (!stop.IsSet && _events.Count > 0) _queue.Add(new CheckpointStep(null, _events));
            _queue.CompleteAdding();
        }

        public bool TryTake(out CheckpointStep? step)
        {
            foreach (var s in _queue.GetConsumingEnumerable())
            {
                step = s;
                return true;
            }
            step = null;
            return false;
        }

        public void Drain()
        {
            foreach (var _ in _queue.GetConsumingEnumerable()) { }
        }

        public void Dispose() => _queue.Dispose();
    }
}

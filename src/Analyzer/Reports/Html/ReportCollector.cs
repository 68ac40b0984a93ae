namespace Walsim.Analyzer.Reports.Html;

/// <summary>A checkpoint as the charts mark it: when it ended and what it did to pg_wal and the slots.</summary>
public sealed record CheckpointMark(long EndMicroseconds, int Number, string Cause, bool Skipped, int Added, int Removed, int Recycled, IReadOnlyList<string> Invalidated);

/// <summary>What one version's run contributes to a report: its result and the bounded detail streamed from it.</summary>
public sealed record VersionReport(
    SimulationResult Result,
    IReadOnlyList<string> SlotNames,
    IReadOnlyList<ChartPoint> Points,
    long RowsSeen,
    long BucketMicroseconds,
    IReadOnlyList<CheckpointMark> Checkpoints,
    int CheckpointsSeen,
    IReadOnlyList<LogEvent> Events,
    int EventsSeen)
{
    /// <summary>In a topology, the node this run is (each node is one series of the charts); null otherwise.</summary>
    public string? Node { get; init; }

    /// <summary>How columns and legends name it: the version, and the node in a topology ("17.10 b").</summary>
    public string Label => Node is null ? Result.Policy.Version.ToString() : $"{Result.Policy.Version} {Node}";
}

/// <summary>
/// Collects, while a run streams, what the HTML report of one version needs, in bounded memory: a downsampled
/// timeline (<see cref="TimelineDownsampler"/>), at most <see cref="MaxCheckpoints"/> checkpoint markers (when there
/// are more, every other one is dropped, repeatedly, but a checkpoint that invalidated a slot is always kept) and the
/// first <see cref="MaxEvents"/> log events.
/// </summary>
public sealed class ReportCollector : ISimulationObserver
{
    public const int MaxCheckpoints = 4_000;
    public const int MaxEvents = 1_000;

    private readonly TimelineDownsampler _timeline;
    private readonly List<CheckpointMark> _checkpoints = [];
    private readonly List<LogEvent> _events = [];
    private int _checkpointStride = 1;
    private int _checkpointsSeen;
    private int _eventsSeen;

    public ReportCollector(Scenario scenario, PgVersion version, int maxBuckets = 2_500)
    {
        Version = version;
        _timeline = new TimelineDownsampler(TimelineCsvWriter.SlotNames(scenario), maxBuckets);
    }

    public PgVersion Version { get; }

    /// <summary>The pg_wal-by-reason chart is drawn from the rows' breakdowns (simulate's report; a what-if page,
    /// which compares versions, leaves it out).</summary>
    public bool WantsWalBreakdown { get; init; } = true;

    public void OnTimelineRow(TimelineRow row) => _timeline.Add(row);

    public void OnCheckpoint(CheckpointRecord c)
    {
        _checkpointsSeen++;
        if (c.InvalidatedSlots.Count == 0 && _checkpointsSeen % _checkpointStride != 0) return;
        _checkpoints.Add(new CheckpointMark(c.End.Microseconds, c.Number, c.Cause.ToString().ToLowerInvariant(), c.Skipped,
            c.Added, c.Removed, c.Recycled, c.InvalidatedSlots));
        if (_checkpoints.Count <= MaxCheckpoints) return;
        _checkpointStride *= 2;
        _checkpoints.RemoveAll(m => m.Invalidated.Count == 0 && m.Number % _checkpointStride != 0);
    }

    public void OnLogEvent(LogEvent e)
    {
        _eventsSeen++;
        if (_events.Count < MaxEvents) _events.Add(e);
    }

    public VersionReport Finish(SimulationResult result) => new(
        result, _timeline.SlotNames, _timeline.Points(), _timeline.RowsSeen, _timeline.BucketMicroseconds,
        [.. _checkpoints], _checkpointsSeen, [.. _events], _eventsSeen);
}

/// <summary>Passes every streamed item to several observers (the CSV files and the HTML report of one run).</summary>
public sealed class TeeObserver(params ISimulationObserver[] observers) : ISimulationObserver
{
    public bool WantsWalBreakdown => observers.Any(o => o.WantsWalBreakdown);

    public void OnTimelineRow(TimelineRow row)
    {
        foreach (var o in observers) o.OnTimelineRow(row);
    }

    public void OnCheckpoint(CheckpointRecord checkpoint)
    {
        foreach (var o in observers) o.OnCheckpoint(checkpoint);
    }

    public void OnLogEvent(LogEvent logEvent)
    {
        foreach (var o in observers) o.OnLogEvent(logEvent);
    }
}


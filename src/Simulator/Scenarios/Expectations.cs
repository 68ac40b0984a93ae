namespace Walsim.Simulator.Scenarios;

/// <summary>
/// What a scenario expects, on the versions <see cref="Versions"/> selects. <see cref="Text"/> is the
/// expectation as written, shown by <c>walsim check</c>.
/// </summary>
public abstract record Expectation
{
    public VersionRange Versions { get; init; } = VersionRange.All;
    /// <summary>In a topology, the node it is about; null = the primary.</summary>
    public string? Node { get; init; }
    public string Text { get; init; } = "";
    public SourceLocation Location { get; init; } = SourceLocation.None;
}

/// <summary>When something happens: never, before/after a time, or between two times.</summary>
public sealed record TimeBound(SimTime? NotBefore, SimTime? NotAfter, bool Never)
{
    public static readonly TimeBound NeverHappens = new(null, null, true);
    public bool Matches(SimTime? when) =>
        Never ? when is null : when is { } t && (NotBefore is null || t >= NotBefore) && (NotAfter is null || t <= NotAfter);
    public override string ToString() =>
        Never ? "never" :
        NotBefore is { } a && NotAfter is { } b ? $"between {a} and {b}" :
        NotBefore is { } a2 ? $"at or after {a2}" :
        NotAfter is { } b2 ? $"at or before {b2}" : "at some time";
}

/// <summary>A numeric range, inclusive; either end may be open.</summary>
public sealed record NumberBound(double? Min, double? Max)
{
    public bool Matches(double v) => (Min is null || v >= Min) && (Max is null || v <= Max);
}

/// <summary>Events that happen once: a slot's first <c>extended</c>/<c>unreserved</c>, its loss, a full disk, read-only.</summary>
public enum Milestone { SlotExtended, SlotUnreserved, SlotLost, DiskFull, ReadOnly, SlotSyncReady }

/// <summary>The milestone happens within <see cref="When"/> (e.g. slot cdc lost between 6h and 7h).</summary>
public sealed record MilestoneExpectation(Milestone Milestone, string? Slot, TimeBound When) : Expectation;

/// <summary>Quantities over the whole run.</summary>
public enum RunMetric { PeakPgWalBytes, PeakPgWalFiles, Checkpoints, SkippedCheckpoints, Invalidations, FilesRemoved, FilesRecycled, FilesAdded }

public sealed record RunMetricExpectation(RunMetric Metric, NumberBound Bound) : Expectation;

/// <summary>Where a point-in-time expectation looks: after step N, or at a time.</summary>
public readonly record struct ProbePoint(int? Step, SimTime? At)
{
    public override string ToString() => Step is { } s ? $"step {s}" : $"t={At}";
}

/// <summary>Values visible at an instant.</summary>
public enum PointMetric
{
    /// <summary>The slot's <c>wal_status</c> (text; <c>null</c> for a never-reserved slot, <c>dropped</c> for none).</summary>
    WalStatus,
    SafeWalSizeBytes, RestartLsn, RetainedBytes, FilesInPgWal, PgWalBytes, KeepSegment,
    /// <summary>Stats of the last checkpoint completed at or before the probe (its step).</summary>
    LastCheckpointRemoved, LastCheckpointRecycled, LastCheckpointAdded, InvalidationReason, Active,
}

/// <summary>A value at a point: either an exact text (EqualsText) or a numeric range.</summary>
public sealed record PointExpectation(ProbePoint Point, PointMetric Metric, string? Slot, string? EqualsText, NumberBound? Bound) : Expectation;

/// <summary>What a failover gives a logical slot's consumer (docs/design/failover.md §3.6); null checks nothing.</summary>
/// <param name="Number">Which failover (1 = the first).</param>
/// <param name="Slot">The logical slot.</param>
/// <param name="OnNewPrimary"><c>exists</c>, <c>temporary-dropped</c>, <c>invalidated</c> or <c>missing</c>.</param>
/// <param name="Missed">Bytes of WAL the consumer would never get.</param>
/// <param name="ReceivedTwice">Bytes it would get again.</param>
/// <param name="Phantom">Bytes it applied that the new primary never had.</param>
public sealed record FailoverExpectation(int Number, string Slot, string? OnNewPrimary, NumberBound? Missed, NumberBound? ReceivedTwice, NumberBound? Phantom) : Expectation;

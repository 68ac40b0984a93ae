using System.Globalization;

namespace Walsim.Analyzer.History;

/// <summary>
/// One checkpoint's write phase as two readings of one run bound it. It started at its <c>checkpoint_time</c> (a
/// <c>time_t</c> in pg_control: whole seconds, so up to a second later) and ended — its record written, pg_control
/// updated, the retention decisions taken — after the reading before (which still showed the previous redo_lsn) and
/// by the first reading that shows its redo_lsn.
/// </summary>
/// <param name="Lower">The shortest it can have been: zero when it may have started after the reading before.</param>
/// <param name="Upper">The longest: from its start to the reading that shows it.</param>
public readonly record struct WritePhaseBounds(TimeSpan Lower, TimeSpan Upper)
{
    /// <param name="before">The reading before, which still showed the previous checkpoint.</param>
    /// <param name="after">The first reading that shows it.</param>
    /// <param name="started">Its <c>checkpoint_time</c>.</param>
    public static WritePhaseBounds Between(DateTimeOffset before, DateTimeOffset after, DateTimeOffset started)
    {
        // A whole second may stand for any instant of it; a time with a fraction (a simulation's) is exact.
        var latestStart = started.Ticks % TimeSpan.TicksPerSecond == 0 ? started.AddSeconds(1) : started;
        var upper = after > started ? after - started : TimeSpan.Zero;
        var lower = before > latestStart ? before - latestStart : TimeSpan.Zero;
        return new WritePhaseBounds(lower < upper ? lower : upper, upper);
    }

    /// <summary>The middle of the bounds.</summary>
    public TimeSpan Estimate => (Lower + Upper) / 2;

    /// <summary>It was still writing at the reading before; otherwise it was shorter than the readings can tell.</summary>
    public bool Resolved => Lower > TimeSpan.Zero;
}

/// <summary>
/// How long the last checkpoints of a history took from start to retention decision, and so which
/// <see cref="CheckpointWrite"/> a forecast from it assumes: a server with few dirty buffers ends a checkpoint at once
/// (its WAL-requested checkpoints come every few seconds and decide at once), a busy one spreads it.
/// </summary>
/// <param name="Measured">Checkpoints measured (the last <see cref="Kept"/> at most).</param>
/// <param name="Resolved">Of those, how many were still writing at the reading before the one that showed them.</param>
/// <param name="Median">The median of their middle estimates; null when none was measured.</param>
/// <param name="Resolution">The median spacing of the two readings around each: the samples' resolution.</param>
public sealed record CheckpointWritePhases(int Measured, int Resolved, TimeSpan? Median, TimeSpan? Resolution)
{
    /// <summary>Fewer measured checkpoints than this say too little: the forecast keeps the engine's spread phase.</summary>
    public const int FewestToMeasure = 3;

    /// <summary>How many of the latest checkpoints are kept (the recent cadence is the one carried forward).</summary>
    public const int Kept = 100;

    public static readonly CheckpointWritePhases None = new(0, 0, null, null);

    /// <summary>The median of <paramref name="phases"/>, each with the spacing of its two readings.</summary>
    public static CheckpointWritePhases Of(IReadOnlyCollection<(WritePhaseBounds Bounds, TimeSpan Spacing)> phases)
    {
        if (phases.Count == 0) return None;
        static TimeSpan Mid(IEnumerable<TimeSpan> xs) { var l = xs.Order().ToList(); return l[(l.Count - 1) / 2]; }
        return new CheckpointWritePhases(phases.Count, phases.Count(p => p.Bounds.Resolved),
            Mid(phases.Select(p => p.Bounds.Estimate)), Mid(phases.Select(p => p.Spacing)));
    }

    /// <summary>
    /// The write phase a forecast assumes: the engine's spread phase when there are fewer than
    /// <see cref="FewestToMeasure"/> checkpoints; instant when at most half of them were still writing at the reading
    /// before (the median phase is below the samples' resolution); otherwise the median, fixed.
    /// </summary>
    public CheckpointWrite ForForecast =>
        Measured < FewestToMeasure || Median is not { } median ? CheckpointWrite.Spread
        : 2 * Resolved <= Measured ? CheckpointWrite.Instant
        : CheckpointWrite.Fixed(new SimDuration(median.Ticks / 10));

    /// <summary>
    /// With an instant phase, how long it may in fact have lasted: the samples' resolution. Below it the readings
    /// cannot tell 0 from a whole interval, and a loss decided at a checkpoint's end is that much later; a forecast
    /// draws each run's phase from zero to this (a real 15 with WAL-requested checkpoints every 5 s and 1 s samples
    /// lost its slot 0.5-1.3 s after the instant-phase forecast's p90).
    /// </summary>
    public TimeSpan? UnresolvedUpTo => ForForecast.Kind == CheckpointWriteKind.Instant ? Resolution : null;

    /// <summary>The write phase assumed, and why, in a few words.</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        static string S(TimeSpan t) => t.TotalSeconds >= 120 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:0.#} min")
            : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#} s");
        var write = ForForecast;
        return write.Kind switch
        {
            CheckpointWriteKind.Spread => string.Create(ci,
                $"spread (checkpoint_completion_target × checkpoint_timeout or × CheckPointSegments of WAL): {Measured} checkpoint(s) measured, fewer than {FewestToMeasure}"),
            CheckpointWriteKind.Instant => string.Create(ci,
                $"instant: {Measured - Resolved} of the last {Measured} checkpoints started and ended between two samples ({S(Resolution!.Value)} apart), below their resolution; each run draws it from 0 to {S(Resolution!.Value)}"),
            _ => string.Create(ci,
                $"{S(Median!.Value)} (fixed: the median of the last {Measured}, from checkpoint_time to the first sample showing the redo, ±{S(Resolution!.Value / 2)})"),
        };
    }
}

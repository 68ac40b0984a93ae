using System.Globalization;

namespace Walsim.Simulator.Engine;

/// <summary>
/// What one run of a scenario on one version will cost, worked out from the scenario alone before anything runs:
/// the WAL it writes, the segments the engine finishes one by one, the checkpoints, the timeline rows (and so the
/// size of the report files). Kept in doubles: a run-away scenario (<c>duration: 100000d</c> at <c>100TB/s</c>) is
/// exactly what must be measured without overflowing. Upper bounds where the exact figure depends on the run (a
/// daily cycle counts at its peak; noise is mean-preserving and counts at its mean).
/// </summary>
public sealed record RunEstimate(double WalBytes, double Segments, double Checkpoints, double TimelineRows, int Nodes)
{
    /// <summary>About what one timeline CSV row takes on disk (the 019 scenario's rows average 130 bytes).</summary>
    public const double BytesPerTimelineRow = 140;

    /// <summary>The WAL address space ends here (<c>FFFFFFFF/FFFFFFFF</c>).</summary>
    public static readonly double LastLsn = ulong.MaxValue;

    /// <summary>The report files' size for one version: every node's timeline rows.</summary>
    public double ReportBytes => TimelineRows * BytesPerTimelineRow;

    /// <summary>Where the insert position would end: the start plus all the WAL written.</summary>
    public double EndLsn(Scenario scenario) =>
        (double)(scenario.Start.InsertLsn ?? scenario.SegmentSize.StartOf(new SegmentNumber(1))).Value + WalBytes;

    /// <summary>The largest estimate over the scenario's versions (their settings differ: checkpoint_timeout, max_wal_size).</summary>
    public static RunEstimate Of(Scenario scenario)
    {
        RunEstimate? most = null;
        foreach (var v in scenario.Versions)
        {
            var e = Of(scenario, v);
            if (most is null || e.Work > most.Work) most = e;
        }
        return most ?? Of(scenario, SupportedVersions.Majors[^1].Newest);
    }

    /// <summary>The estimate on <paramref name="version"/>.</summary>
    public static RunEstimate Of(Scenario scenario, PgVersion version)
    {
        var policy = RetentionPolicy.For(version);
        var seg = scenario.SegmentSize;
        var written = scenario.Settings.Concat(scenario.VersionSettings.Where(v => v.Versions.Contains(version)).SelectMany(v => v.Settings));
        ServerSettings settings;
        try { settings = ServerSettings.Create(policy, seg, written); }
        catch (SettingException) { settings = ServerSettings.Create(policy, seg, []); } // the loader reports bad settings itself

        var seconds = scenario.Duration.TotalSeconds;
        var wal = WorkloadBytes(scenario.Workload, seconds) + EventBytes(scenario, seg);
        var segments = wal / seg.Bytes;
        // Timed checkpoints, or one per CheckPointSegments of WAL, whichever comes more often (upper bound: both).
        var checkpoints = seconds / Math.Max(1, settings.CheckpointTimeout.TotalSeconds)
                          + segments / Math.Max(1, settings.CheckPointSegments)
                          + scenario.Events.Count(e => e is RequestCheckpoint);
        var nodes = Math.Max(1, scenario.Nodes.Count);
        var samples = scenario.SampleInterval > SimDuration.Zero ? seconds / scenario.SampleInterval.TotalSeconds : 0;
        // A row per sample, per checkpoint and per step, on every node.
        var rows = nodes * (samples + checkpoints + scenario.StepCount + 2);
        return new RunEstimate(wal, segments, checkpoints, rows, nodes);
    }

    /// <summary>One figure to compare versions by: the engine's work grows with each of these.</summary>
    private double Work => Segments + Checkpoints + TimelineRows;

    /// <summary>The limits this run goes past, as sentences naming what drives each, or none.</summary>
    public IReadOnlyList<string> Exceeds(RunLimits limits)
    {
        var over = new List<string>();
        if (TimelineRows > limits.TimelineRows)
            over.Add($"{Count(TimelineRows)} timeline rows per version (about {Bytes(ReportBytes)} of CSV; the limit is {Count(limits.TimelineRows)}; shorten duration or raise sample_interval)");
        if (Segments > limits.Segments)
            over.Add($"{Count(Segments)} WAL segments written ({Bytes(WalBytes)} of WAL; the limit is {Count(limits.Segments)}; lower the workload's rate or shorten duration)");
        if (Checkpoints > limits.Checkpoints)
            over.Add($"{Count(Checkpoints)} checkpoints (the limit is {Count(limits.Checkpoints)}; shorten duration or raise checkpoint_timeout/max_wal_size)");
        return over;
    }

    internal static double WorkloadBytes(Workload workload, double seconds)
    {
        double Overlap(SimTime from, SimTime until) =>
            Math.Max(0, Math.Min(seconds, Seconds(until)) - Math.Max(0, Seconds(from)));
        var total = 0.0;
        foreach (var c in workload.Components)
        {
            total += c switch
            {
                ConstantRate k => k.BytesPerSecond * Overlap(k.From, k.Until),
                Burst b => b.BytesPerSecond * Math.Max(0, Math.Min(seconds, Seconds(b.At) + b.Duration.TotalSeconds) - Math.Max(0, Seconds(b.At))),
                DailyCycle d => d.MeanBytesPerSecond * (1 + Math.Abs(d.Amplitude)) * seconds,
                PiecewiseRate p => Piecewise(p, seconds),
                _ => 0,
            };
        }
        foreach (var w in workload.PeriodicWrites)
        {
            var span = Overlap(w.From, w.Until);
            if (w.Every > SimDuration.Zero) total += w.Bytes.Bytes * Math.Floor(span / w.Every.TotalSeconds + 1);
        }
        return total;
    }

    private static double Piecewise(PiecewiseRate p, double seconds)
    {
        var total = 0.0;
        for (var i = 0; i < p.Steps.Count; i++)
        {
            var from = Math.Max(0, Seconds(p.Steps[i].At));
            var until = i + 1 < p.Steps.Count ? Math.Min(seconds, Seconds(p.Steps[i + 1].At)) : seconds;
            if (until > from) total += p.Steps[i].BytesPerSecond * (until - from);
        }
        return total;
    }

    private static double EventBytes(Scenario scenario, WalSegmentSize seg)
    {
        var total = 0.0;
        foreach (var e in scenario.Events)
        {
            total += e switch
            {
                WriteWal w => w.Bytes.Bytes,
                WriteSegments s => (double)s.Segments * seg.Bytes,
                SwitchWal => seg.Bytes,
                _ => 0,
            };
        }
        return total;
    }

    // SimTime.Never and other far-off ends count as "until the end".
    private static double Seconds(SimTime t) => t.Microseconds / 1e6;

    private static string Count(double n) => n switch
    {
        >= 1e9 => Invariant($"{n / 1e9:0.#} billion"),
        >= 1e6 => Invariant($"{n / 1e6:0.#} million"),
        _ => Invariant($"{n:#,0}"),
    };

    /// <summary>Bytes for a message, in the units PostgreSQL settings use (1024-based).</summary>
    public static string Bytes(double b) => b switch
    {
        >= 1L << 60 => Invariant($"{b / (1L << 60):0.#}EB"),
        >= 1L << 50 => Invariant($"{b / (1L << 50):0.#}PB"),
        >= 1L << 40 => Invariant($"{b / (1L << 40):0.#}TB"),
        >= 1L << 30 => Invariant($"{b / (1L << 30):0.#}GB"),
        >= 1L << 20 => Invariant($"{b / (1L << 20):0.#}MB"),
        _ => Invariant($"{b:0}B"),
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// How much one run may do before walsim refuses it unless told to go on (<c>--force</c>): generous for every real
/// question (a year at 10-second samples is 3.2 million rows, about 450MB of CSV; a year at 6MB/s in 1MB segments is
/// 190 million segments, about half a minute), small enough that a typo (<c>sample_interval: 1us</c>,
/// <c>duration: 100000d</c>, <c>constant: 100TB/s</c>) is refused before it writes gigabytes or runs for hours.
/// </summary>
public sealed record RunLimits(double TimelineRows, double Segments, double Checkpoints)
{
    public static readonly RunLimits Default = new(TimelineRows: 5_000_000, Segments: 200_000_000, Checkpoints: 5_000_000);
}

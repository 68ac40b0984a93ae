using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// One WAL position derived from a log: the redo pointer of a checkpoint, at that checkpoint's start (the redo
/// pointer is the insert position when the checkpoint starts). <c>Observation.At</c> is on a clock whose zero is
/// <c>Origin</c>, the first checkpoint's start. <c>Absolute</c>: the position is a real LSN (16+ "redo lsn=", or a
/// restartpoint's "recovery restart point at"); otherwise it is the sum of the logged distances since the first
/// checkpoint, counted from 0/0 at the redo pointer before it (right differences, arbitrary origin; each step floored
/// to the kB, so it drifts below the real position by less than 1 kB per checkpoint).
/// </summary>
public sealed record LogWalPosition(WalObservation Observation, DateTimeOffset Origin, LogCheckpoint Checkpoint, bool Absolute);

/// <summary>
/// The distance-estimate replay of one checkpoint: the range of <c>estimate</c> values (kB, as logged) that
/// <c>UpdateCheckPointDistanceEstimate</c> allows given everything logged before, and whether the logged value is in
/// it. <c>PredictedLowKb</c>/<c>PredictedHighKb</c> are null when the model cannot know the estimate yet (the log
/// starts mid-life and no checkpoint has yet jumped the estimate up to its distance, or the checkpoint before is
/// missing from the log); such a checkpoint is not a check (<c>Checked</c> false) and seeds the next one.
/// </summary>
public sealed record EstimateCheck(LogCheckpoint Checkpoint, long? PredictedLowKb, long? PredictedHighKb)
{
    public bool Checked => PredictedLowKb is not null;
    public bool Agrees => !Checked || (Checkpoint.Stats.EstimateKb >= PredictedLowKb && Checkpoint.Stats.EstimateKb <= PredictedHighKb);
}

/// <summary>
/// The plausibility of one checkpoint's file counts. <c>MaxRecycled</c>: the most files <c>RemoveOldXlogFiles</c>
/// could have recycled (free names in [segno(endptr), <c>XLOGfileslop</c>]); null when the settings are unknown.
/// <c>Basis</c> says how it was bounded: <c>redo</c> (the redo and checkpoint LSNs are logged, 16+ or a
/// restartpoint) or <c>span</c> (12–15: only the span above the redo segment is known, so the bound is one or two
/// segments looser). <c>AddedOk</c>: <c>PreallocXlogFiles</c> adds at most one segment, none at a shutdown
/// checkpoint.
/// </summary>
/// <c>Assumed</c>: the settings the bound used that nobody gave and the log had not reloaded by then (PostgreSQL's
/// defaults stood in for them): a count past it may say the server's settings differ, not that the model is wrong.
public sealed record RecycleCheck(LogCheckpoint Checkpoint, long? MaxRecycled, string Basis, bool AddedOk)
{
    public IReadOnlyList<string> Assumed { get; init; } = [];

    public bool RecycledOk => MaxRecycled is not { } max || Checkpoint.Stats.Recycled <= max;
    public bool Plausible => RecycledOk && AddedOk;
}

/// <summary>
/// The pg_wal file count after a checkpoint, relative to before the first one in the log: <c>NetChange</c> is the sum
/// of <c>added − removed</c> (recycling renames, it does not change the count). The real count is the unknown count
/// before the first checkpoint, plus <c>NetChange</c>, plus the segments the server created as WAL was written
/// between checkpoints (<c>XLogFileInit</c> for a segment no recycled or pre-allocated file covered), which are not
/// logged: <c>NetChange</c> is exact where recycling supplies every new segment (a steady state), a lower bound
/// otherwise.
/// </summary>
public sealed record FileCountPoint(DateTimeOffset At, LogCheckpoint Checkpoint, long NetChange);

/// <summary>
/// What walsim derives from a server log, as pure functions over <see cref="CheckpointLog.ReadEvents(TextReader, string, LogFormat?, LogLinePrefix?, LogReadOptions?)"/>:
/// WAL positions for <see cref="WorkloadFit"/>, a replay of the checkpointer's distance estimate, a plausibility
/// check of the recycle/remove split, the pg_wal file-count trajectory, and the settings a log's reloads changed.
/// All stream: each keeps only the previous checkpoint.
/// </summary>
public static class CheckpointLogAnalysis
{
    /// <summary>
    /// The WAL position at each checkpoint start (see <see cref="LogWalPosition"/>). A restart (a server start, crash
    /// restart or shutdown logged between two checkpoints; a shutdown checkpoint itself), a switch between
    /// checkpoints and restartpoints, a clock that goes backwards, an interval longer than
    /// <paramref name="maxInterval"/> (when given), or, where both redo LSNs are logged, a distance that does not
    /// match them (a checkpoint missing from the log) makes the next observation <c>AfterGap</c>: the WAL written
    /// over that interval is never turned into a rate. Idle skipped checkpoints log nothing and are not gaps: the
    /// next distance covers them.
    /// </summary>
    public static IEnumerable<LogWalPosition> WalPositions(IEnumerable<ServerLogEvent> events, SimDuration? maxInterval = null)
    {
        DateTimeOffset? origin = null;
        LogCheckpoint? prev = null;
        var position = Lsn.Invalid;
        var pendingGap = false;
        foreach (var e in events)
        {
            if (e is ServerLifecycle) { pendingGap = true; continue; }
            if (e is not LogCheckpoint c) continue;
            origin ??= c.Start;
            var gap = prev is not null && (pendingGap || c.AfterServerStart || prev.IsLifecycle
                || prev.IsRestartpoint != c.IsRestartpoint || c.Start < prev.Start
                || (maxInterval is { } max && c.Start - prev.Start > TimeSpan.FromTicks(max.Microseconds * 10))
                || !DistanceMatchesRedo(prev, c));
            pendingGap = false;
            var absolute = c.RedoLsn is not null;
            position = c.RedoLsn ?? position + c.Distance;
            if (prev is not null && c.Start < prev.Start)
            {
                // The clock went back: the series must not; this one is dropped and the next interval is a gap.
                prev = c;
                pendingGap = true;
                continue;
            }
            var at = new SimTime((c.Start - origin.Value).Ticks / 10);
            yield return new LogWalPosition(new WalObservation(at, position, gap), origin.Value, c, absolute);
            prev = c;
        }
    }

    /// <summary>The observations of <see cref="WalPositions"/>, ready for <see cref="WorkloadFit"/>.</summary>
    public static IReadOnlyList<WalObservation> WalObservations(IEnumerable<ServerLogEvent> events, SimDuration? maxInterval = null) =>
        [.. WalPositions(events, maxInterval).Select(p => p.Observation)];

    /// <summary>
    /// Replays <c>UpdateCheckPointDistanceEstimate</c> (<see cref="Retention.UpdateCheckPointDistanceEstimate"/>) over
    /// the logged distances and compares each checkpoint's logged estimate with it. The estimate and each distance are
    /// logged floored to the kB, so the model carries an interval: before a checkpoint it is what the previous logged
    /// estimate allows (narrowed by everything before it); the update is monotone in both the estimate and the
    /// distance, so the interval after it is exactly the update of its ends. After a distance larger than the
    /// estimate (it jumps up to the distance) and on 16+ (distances exact from the redo LSNs) the interval is one kB
    /// wide or a single value. The estimate is 0 when the checkpointer starts: a server start logged between two
    /// checkpoints resets it. A log that starts mid-life seeds the model from the first logged estimate.
    /// </summary>
    public static IEnumerable<EstimateCheck> CheckEstimates(IEnumerable<ServerLogEvent> events)
    {
        var tracker = new EstimateTracker();
        foreach (var c in events.OfType<LogCheckpoint>())
            yield return tracker.Next(c);
    }

    /// <summary>
    /// Checks each checkpoint's WAL file counts against what <c>RemoveOldXlogFiles</c> and <c>PreallocXlogFiles</c>
    /// can do, with <paramref name="settings"/> (min_wal_size, max_wal_size, checkpoint_completion_target,
    /// wal_recycle, the segment size) updated by the log's reloads. What the log alone decides: at most one file is
    /// added, none at a shutdown checkpoint; and no more files are recycled than there are names between the segment
    /// of the checkpoint's end and <c>XLOGfileslop</c>'s limit (computed from the redo pointer and the estimate after
    /// this checkpoint, both from the log). What it cannot decide without a pg_wal listing: whether a removed file
    /// could have been recycled instead (that depends on which future segments already exist), which files were
    /// removable at all (that depends on the slots' and <c>wal_keep_size</c>'s horizon at the checkpoint), and the
    /// archiver's hold on <c>.ready</c> files. Null settings leave <c>MaxRecycled</c> unknown.
    /// </summary>
    /// <param name="events">The log's events in order.</param>
    /// <param name="settings">The settings in force when the log starts; null: unknown (no bound on recycling).</param>
    /// <param name="assumed">Of <see cref="UnloggedSettings"/>, those in <paramref name="settings"/> that nobody gave
    /// (PostgreSQL's defaults); a reload in the log makes one known from then on.</param>
    public static IEnumerable<RecycleCheck> CheckRecycling(IEnumerable<ServerLogEvent> events, ServerSettings? settings, IReadOnlyCollection<string>? assumed = null)
    {
        var tracker = new EstimateTracker();
        var unknown = new List<string>(assumed ?? []);
        foreach (var e in events)
        {
            if (e is SettingChanged changed && settings is not null)
            {
                settings = ApplySetting(settings, changed);
                unknown.Remove(changed.Name);
                continue;
            }
            if (e is not LogCheckpoint c) continue;
            tracker.Next(c);
            // PreallocXlogFiles creates at most the one segment after the end; a shutdown checkpoint skips it
            // (restartpoints, even at shutdown, do not).
            var shutdown = !c.IsRestartpoint && c.Flags.Contains("shutdown", StringComparison.Ordinal);
            var addedOk = c.Stats.Added <= (shutdown ? 0 : 1);
            if (settings is null)
            {
                yield return new RecycleCheck(c, null, "no settings", addedOk);
                continue;
            }
            // 16+: PreallocXlogFiles adds a segment only when the checkpoint record ends in the last quarter of its
            // segment (segoff(recptr - 1) >= 0.75 * SEG). The record (120 bytes reserved) plus a page header it may
            // cross ends at most 160 bytes after its start, the logged lsn.
            if (!c.IsRestartpoint && c.Stats.CheckpointLsn is { } start && c.Stats.Added > 0)
            {
                var offset = (long)(start.Value % (ulong)settings.SegmentSize.Bytes);
                if (offset + MaxCheckpointRecordSpan < (long)(0.75 * settings.SegmentSize.Bytes)) addedOk = false;
            }
            IReadOnlyList<string> assumedNow = [.. unknown];
            if (!settings.WalRecycle)
            {
                yield return new RecycleCheck(c, 0, "wal_recycle = off", addedOk) { Assumed = assumedNow };
                continue;
            }
            // The estimate XLOGfileslop used is this checkpoint's, already updated: at most the logged kB + 1023 bytes.
            var estimate = tracker.HighBytesAfter;
            yield return (c.RedoLsn is { } redo
                ? new RecycleCheck(c, MaxRecycledFromRedo(settings, redo, c.Stats.CheckpointLsn ?? redo, estimate), "redo", addedOk)
                : new RecycleCheck(c, MaxRecycledFromSpan(settings, estimate), "span", addedOk)) with { Assumed = assumedNow };
        }
    }

    /// <summary>The settings <see cref="CheckRecycling"/>'s bounds depend on most that a log does not say (it logs
    /// min_wal_size and max_wal_size only when a reload changes them) and servers rarely leave at PostgreSQL's
    /// defaults: XLOGfileslop's limits are min_wal_size and max_wal_size in segments.</summary>
    public static readonly IReadOnlyList<string> UnloggedSettings = ["wal_segment_size", "min_wal_size", "max_wal_size"];

    // The checkpoint record: 114 bytes, 120 with MAXALIGN (retention-model.md §3.5), plus at most a 40-byte long page header crossed.
    private const long MaxCheckpointRecordSpan = 160;

    /// <summary>The pg_wal file count trajectory up to a constant (see <see cref="FileCountPoint"/>).</summary>
    public static IEnumerable<FileCountPoint> FileTrajectory(IEnumerable<ServerLogEvent> events)
    {
        var net = 0L;
        foreach (var c in events.OfType<LogCheckpoint>())
        {
            net += c.Stats.Added - c.Stats.Removed;
            yield return new FileCountPoint(c.Complete, c, net);
        }
    }

    /// <summary>
    /// <paramref name="settings"/> with every reload in the log applied in order (<c>parameter "x" changed to "y"</c>),
    /// as they stand at the end of the log. Parameters walsim does not model, and values a reload cannot change
    /// (restart-only), are skipped: the server logs them too but ignores them until a restart.
    /// </summary>
    public static ServerSettings SettingsAtEnd(IEnumerable<ServerLogEvent> events, ServerSettings settings)
    {
        foreach (var changed in events.OfType<SettingChanged>()) settings = ApplySetting(settings, changed);
        return settings;
    }

    private static ServerSettings ApplySetting(ServerSettings settings, SettingChanged changed)
    {
        try
        {
            return settings.With([KeyValuePair.Create(changed.Name, changed.Value)]);
        }
        catch (SettingException)
        {
            return settings;
        }
    }

    // Redo known (16+ checkpoints, restartpoints): XLOGfileslop exactly as the engine computes it, with the largest
    // estimate the log allows; recycled names start at segno(endptr) >= segno(checkpoint record start).
    private static long MaxRecycledFromRedo(ServerSettings settings, Lsn redo, Lsn checkpointLsn, double estimate)
    {
        var recycleSegNo = Retention.XLogFileSlop(settings, redo, estimate).Value;
        var endSeg = settings.SegmentSize.SegmentOf(Lsn.Max(redo, checkpointLsn)).Value;
        return recycleSegNo >= endSeg ? (long)(recycleSegNo - endSeg + 1) : 0;
    }

    // Redo unknown (12–15 checkpoints): XLOGfileslop's limit lies at most ceil((SEG - 1 + distance) / SEG) segments
    // above the redo segment (the redo can sit anywhere in its segment), clamped to [min_wal_size, max_wal_size] in
    // segments minus one; segno(endptr) >= segno(redo).
    private static long MaxRecycledFromSpan(ServerSettings settings, double estimate)
    {
        var seg = (double)settings.SegmentSize.Bytes;
        var distance = (1.0 + settings.CheckpointCompletionTarget) * estimate * 1.10;
        var span = (long)Math.Ceiling((seg - 1 + distance) / seg);
        var minSpan = (long)settings.SegmentSize.MegabytesToSegments(settings.MinWalSizeMb) - 1;
        var maxSpan = (long)settings.SegmentSize.MegabytesToSegments(settings.MaxWalSizeMb) - 1;
        span = Math.Min(Math.Max(span, minSpan), maxSpan);
        return span + 1;
    }

    internal static bool DistanceMatchesRedo(LogCheckpoint prev, LogCheckpoint c) =>
        prev.RedoLsn is not { } a || c.RedoLsn is not { } b || (b >= a && (b - a).Bytes / 1024 == c.Stats.DistanceKb);

    /// <summary>
    /// The interval of <c>CheckPointDistanceEstimate</c> (bytes, a double in the checkpointer) consistent with the log
    /// so far. Unknown (high = ∞) until the first logged estimate seeds it.
    /// </summary>
    private sealed class EstimateTracker
    {
        private double _low;
        private double _high = double.PositiveInfinity;
        private LogCheckpoint? _prev;

        public double HighBytesAfter => _high;

        public EstimateCheck Next(LogCheckpoint c)
        {
            var logged = c.Stats.EstimateKb;
            var loggedLow = logged * 1024.0;
            var loggedHigh = Math.BitDecrement((logged + 1) * 1024.0);
            // The checkpointer starts with estimate 0 (a server start); a checkpoint missing from the log (its redo
            // does not follow from the previous one) leaves the estimate unknown.
            if (c.AfterServerStart) (_low, _high) = (0, 0);
            if (_prev is not null && !DistanceMatchesRedo(_prev, c)) (_low, _high) = (0, double.PositiveInfinity);
            // nbytes: exact from the two redo LSNs when both are logged (16+), else the logged kB plus 0..1023 bytes.
            double nLow, nHigh;
            if (_prev?.RedoLsn is { } a && c.RedoLsn is { } b && DistanceMatchesRedo(_prev, c))
            {
                var n = (double)(b - a).Bytes;
                (nLow, nHigh) = (n, n);
            }
            else
            {
                (nLow, nHigh) = (c.Stats.DistanceKb * 1024.0, c.Stats.DistanceKb * 1024.0 + 1023);
            }
            var predLow = Retention.UpdateCheckPointDistanceEstimate(_low, (long)nLow);
            var predHigh = double.IsPositiveInfinity(_high) ? double.PositiveInfinity : Retention.UpdateCheckPointDistanceEstimate(_high, (long)nHigh);
            var check = double.IsPositiveInfinity(predHigh)
                ? new EstimateCheck(c, null, null)
                : new EstimateCheck(c, (long)(predLow / 1024.0), (long)(predHigh / 1024.0));
            // Narrow to what was logged; on a disagreement start again from the logged value alone.
            (_low, _high) = check.Agrees
                ? (Math.Max(predLow, loggedLow), Math.Min(predHigh, loggedHigh))
                : (loggedLow, loggedHigh);
            _prev = c;
            return check;
        }
    }
}

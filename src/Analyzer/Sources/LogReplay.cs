using System.Globalization;
using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.Sources;

/// <summary>What a replay of a server log found: the checkpointer's decisions a log lets walsim check.</summary>
public sealed record LogReplaySummary(
    string File,
    ModelledVersion? Version,
    int Checkpoints,
    int Restartpoints,
    int Restarts,
    DateTimeOffset? From,
    DateTimeOffset? To,
    ByteCount Written,
    TimeSpan Covered,
    long Added, long Removed, long Recycled, long NetFiles,
    int Invalidations,
    int EstimatesChecked, int EstimatesAgree,
    int RecyclingChecked, int RecyclingAgree,
    IReadOnlyList<string> Disagreements,
    IReadOnlyDictionary<string, string> Reloads)
{
    public bool Agrees => EstimatesChecked == EstimatesAgree && RecyclingChecked == RecyclingAgree;

    /// <summary>What the reader inferred or assumed (a collector's times, a syslog year, a newest-first log, the files
    /// of a set, restarts the log does not show).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Each slot lost, as the log says it (logged with or without log_checkpoints).</summary>
    public IReadOnlyList<SlotLost> Losses { get; init; } = [];

    /// <summary>"requested WAL segment … has already been removed" errors: consumers that asked for WAL already gone.</summary>
    public IReadOnlyList<WalSegmentRemoved> RemovedSegmentErrors { get; init; } = [];

    /// <summary>Of <see cref="Restarts"/>, those inferred (no start line: a shutdown checkpoint or a new checkpointer).</summary>
    public int InferredRestarts { get; init; }

    /// <summary>Intervals the log does not cover whole (checkpoints missing between two it shows): each says why,
    /// and is not compared.</summary>
    public IReadOnlyList<string> Gaps { get; init; } = [];

    /// <summary>The settings the file-count checks used that nobody gave (PostgreSQL's defaults), with their values.</summary>
    public IReadOnlyList<string> AssumedSettings { get; init; } = [];

    /// <summary>Checkpoints whose file counts the settings assumed do not allow: not judged (the server's settings
    /// likely differ), each saying which were assumed.</summary>
    public IReadOnlyList<string> Unjudged { get; init; } = [];
}

/// <summary>
/// <c>walsim replay</c> for a server log written with <c>log_checkpoints</c>: no slot positions or pg_wal listing, so
/// the decisions compared are those the log itself determines — each checkpoint's distance estimate
/// (<c>UpdateCheckPointDistanceEstimate</c>) and the plausibility of its added/recycled counts (<c>PreallocXlogFiles</c>,
/// <c>XLOGfileslop</c>) — with the WAL volume, checkpoints, restarts and invalidations it records.
/// </summary>
public static class LogReplay
{
    /// <param name="path">The log.</param>
    /// <param name="version">The version, when the log has no "starting PostgreSQL" line.</param>
    /// <param name="segmentSize">wal_segment_size (the log does not say it); null: not given — inferred from a 16+ log's
    /// checkpoints where they show it (<see cref="SegmentSizeInference"/>), else PostgreSQL's default assumed.</param>
    /// <param name="settings">Settings in force at the start of the log (postgresql.conf values); reloads in the log
    /// are applied on top.</param>
    /// <param name="format">The log's format as its content shows it; null = judged by <see cref="CheckpointLog"/>.</param>
    /// <param name="prefix">The log's log_line_prefix, when given (stderr only); null = detected.</param>
    public static LogReplaySummary Run(string path, PgVersion? version, WalSegmentSize? segmentSize, IReadOnlyDictionary<string, string> settings,
        LogFormat? format = null, LogLinePrefix? prefix = null)
    {
        IEnumerable<ServerLogEvent> Events() => CheckpointLog.ReadEvents(path, format, prefix);
        var reported = version;
        // "starting PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64…": any minor; a newer one is modelled as the newest known.
        if (reported is null && Events().OfType<ServerLifecycle>().Select(l => l.Version).FirstOrDefault(x => x is not null) is { } text
            && PgVersion.TryParseReported(text, out var parsed))
            reported = parsed;
        ModelledVersion? v = reported is { } r ? SupportedVersions.Model(r) : null;
        // Not given: a 16+ log's redo pointers and retired-file counts may tell it, read in the pass below.
        var sizes = segmentSize is null ? new SegmentSizeInference() : null;

        int checkpoints = 0, restartpoints = 0, restarts = 0, inferred = 0, invalidations = 0;
        var notes = new List<string>();
        var losses = new List<SlotLost>();
        var removedErrors = new List<WalSegmentRemoved>();
        long added = 0, removed = 0, recycled = 0, writtenKb = 0;
        DateTimeOffset? from = null, to = null;
        var covered = TimeSpan.Zero;
        var reloads = new Dictionary<string, string>(StringComparer.Ordinal);
        LogCheckpoint? prev = null;
        foreach (var e in Events())
        {
            switch (e)
            {
                case ServerLifecycle { Kind: LifecycleKind.Starting or LifecycleKind.Reinitializing } l:
                    restarts++;
                    if (l.Inferred) inferred++;
                    prev = null;
                    break;
                case LogNote n: notes.Add(n.Text); break;
                case SlotLost l: losses.Add(l); break;
                case WalSegmentRemoved w: removedErrors.Add(w); break;
                case SettingChanged s: reloads[s.Name] = s.Value; break;
                case LogCheckpoint c:
                    if (c.IsRestartpoint) restartpoints++; else checkpoints++;
                    from ??= c.Start;
                    to = c.Complete;
                    added += c.Stats.Added; removed += c.Stats.Removed; recycled += c.Stats.Recycled;
                    invalidations += c.Invalidations.Count;
                    if (prev is not null && !c.AfterServerStart && c.Start > prev.Start) { writtenKb += c.Stats.DistanceKb; covered += c.Start - prev.Start; }
                    prev = c;
                    sizes?.Add(c);
                    break;
            }
        }
        if (sizes?.Result() is { } inferredSize)
        {
            segmentSize = inferredSize.Size;
            notes.Insert(0, inferredSize.Describe());
        }
        ServerSettings? server = v is { } known ? ServerSettings.Create(RetentionPolicy.For(known.Model), segmentSize ?? WalSegmentSize.Default, settings) : null;
        // What nobody gave: PostgreSQL's defaults stand in, and a count they do not allow is not held against the model.
        var assumed = CheckpointLogAnalysis.UnloggedSettings
            .Where(name => name == "wal_segment_size" ? segmentSize is null : !settings.ContainsKey(name)).ToList();
        if (checkpoints + restartpoints == 0 && losses.Count + removedErrors.Count == 0)
            throw new LogFileException(path, 0, 0, "", "no \"checkpoint complete\" lines: is log_checkpoints on, and lc_messages English (C)?");
        var timeout = server is { } st ? TimeSpan.FromTicks(st.CheckpointTimeout.Microseconds * 10) : TimeSpan.FromMinutes(5);

        var disagreements = new List<string>();
        var ci = CultureInfo.InvariantCulture;
        int eChecked = 0, eAgree = 0;
        var gaps = new List<string>();
        LogCheckpoint? before = null;
        foreach (var check in CheckpointLogAnalysis.CheckEstimates(Events()))
        {
            var c = check.Checkpoint;
            var last = before;
            before = c;
            if (last is not null && !c.AfterServerStart && Gap(last, c, timeout) is { } why)
            {
                // Checkpoints missing between two the log shows: the estimate moved unseen; no comparison.
                if (!check.Checked || !check.Agrees) gaps.Add(string.Create(ci, $"{Path.GetFileName(c.File)}:{c.Line}: {why}; not compared"));
                if (!check.Agrees) continue;
            }
            if (!check.Checked) continue;
            eChecked++;
            if (check.Agrees) eAgree++;
            else disagreements.Add(string.Create(ci,
                $"{check.Checkpoint.File}:{check.Checkpoint.Line}: estimate={check.Checkpoint.Stats.EstimateKb} kB, the model allows {check.PredictedLowKb}..{check.PredictedHighKb} kB (UpdateCheckPointDistanceEstimate)"));
        }
        int rChecked = 0, rAgree = 0;
        var unjudged = new List<string>();
        foreach (var check in CheckpointLogAnalysis.CheckRecycling(Events(), server, assumed))
        {
            var counts = string.Create(ci,
                $"{check.Checkpoint.File}:{check.Checkpoint.Line}: {check.Checkpoint.Stats.Added} added, {check.Checkpoint.Stats.Recycled} recycled; at most 1 added{(check.MaxRecycled is { } m ? $" and {m} recycled ({check.Basis})" : "")}");
            if (check.Plausible) { rChecked++; rAgree++; }
            else if (check.Assumed.Count > 0) unjudged.Add(counts);
            else { rChecked++; disagreements.Add(counts); }
        }
        var assumedValues = server is null ? [] : assumed.Select(name => $"{name} {SettingText(server, name)}").ToList();
        return new LogReplaySummary(path, v, checkpoints, restartpoints, restarts, from, to, ByteCount.FromKilobytes(writtenKb), covered,
            added, removed, recycled, added - removed, invalidations, eChecked, eAgree, rChecked, rAgree, disagreements, reloads)
        {
            Notes = notes, Losses = losses, RemovedSegmentErrors = removedErrors, InferredRestarts = inferred, Gaps = gaps,
            AssumedSettings = assumedValues, Unjudged = unjudged,
        };
    }

    private static string SettingText(ServerSettings s, string name) => name switch
    {
        "wal_segment_size" => s.SegmentSize.ToString(),
        "min_wal_size" => ByteCount.FromMegabytes(s.MinWalSizeMb).ToString(),
        "max_wal_size" => ByteCount.FromMegabytes(s.MaxWalSizeMb).ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not one of CheckpointLogAnalysis.UnloggedSettings"),
    };

    /// <summary>
    /// Why the log may miss checkpoints between <paramref name="prev"/> and <paramref name="c"/>, or null: on 16+ the
    /// redo pointers do not chain (a checkpoint's distance is from the redo before it); otherwise the two are in
    /// different files of a set, or further apart than 1.5 × checkpoint_timeout while WAL was written (a timed
    /// checkpoint would have run in between; one skipped for idleness writes no WAL and leaves the estimate alone).
    /// </summary>
    private static string? Gap(LogCheckpoint prev, LogCheckpoint c, TimeSpan timeout)
    {
        var ci = CultureInfo.InvariantCulture;
        if (!CheckpointLogAnalysis.DistanceMatchesRedo(prev, c))
            return string.Create(ci, $"the redo pointer {c.RedoLsn} does not follow from {prev.RedoLsn} by distance={c.Stats.DistanceKb} kB: checkpoints are missing from the log before it");
        if (!string.Equals(prev.File, c.File, StringComparison.Ordinal))
            return $"the first checkpoint of {Path.GetFileName(c.File)} after {Path.GetFileName(prev.File)}: checkpoints may be missing between the files";
        if (c.Start - prev.Start > timeout * 1.5 && c.Stats.DistanceKb > 0)
            return string.Create(ci, $"{ReplayReport.Duration(c.Start - prev.Start)} after the checkpoint before, more than 1.5 × checkpoint_timeout ({ReplayReport.Duration(timeout)}): checkpoints are missing from the log");
        return null;
    }

    public static void Write(TextWriter w, LogReplaySummary r)
    {
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(ci,
            $"Replay of {r.File} (a server log with log_checkpoints): PostgreSQL {(r.Version?.ToString() ?? "version unknown (no \"starting PostgreSQL\" line; give --pg)")}"));
        if (r.From is { } f && r.To is { } t)
            w.WriteLine(string.Create(ci, $"  {r.Checkpoints} checkpoint(s), {r.Restartpoints} restartpoint(s), {r.Restarts} server start(s){(r.InferredRestarts > 0 ? $" ({r.InferredRestarts} inferred)" : "")}, from {ReplayReport.Time(f)} to {ReplayReport.Time(t)}"));
        else
            w.WriteLine("  no checkpoint lines (log_checkpoints = off): the slot losses below are always logged; no checkpoint decision can be checked");
        foreach (var n in r.Notes) w.WriteLine($"  note: {n}");
        if (r.AssumedSettings.Count > 0)
            w.WriteLine($"  settings assumed (PostgreSQL's defaults: a log does not say them; give the server's with --wal-segment-size and --set NAME=VALUE): {string.Join(", ", r.AssumedSettings)}");
        w.WriteLine();
        w.WriteLine("What the log shows");
        var rate = r.Covered > TimeSpan.Zero ? r.Written.Bytes / r.Covered.TotalSeconds : 0;
        w.WriteLine(string.Create(ci, $"  WAL between checkpoint starts: {r.Written} in {ReplayReport.Duration(r.Covered)}: mean {ReplayReport.Rate(rate)}"));
        w.WriteLine(string.Create(ci, $"  pg_wal files: {r.Added} added, {r.Removed} removed, {r.Recycled} recycled: net {r.NetFiles:+0;-0;0} (plus segments created as WAL was written, which are not logged)"));
        w.WriteLine(string.Create(ci, $"  slot invalidations: {Math.Max(r.Invalidations, r.Losses.Count)}"));
        foreach (var l in r.Losses)
            w.WriteLine(string.Create(ci,
                $"    {l.Slot} lost at {ReplayReport.Time(l.At)} ({Path.GetFileName(l.File)}:{l.Line}): restart_lsn {l.RestartLsn?.ToString() ?? "not logged"}, {(l.ExceedsBy is { } b ? $"{b} bytes over the limit" : "bytes over the limit not logged before 16")}{(l.Terminated.Count > 0 ? $"; terminated process {string.Join(", ", l.Terminated)}" : "")}"));
        if (r.RemovedSegmentErrors.Count > 0)
            w.WriteLine(string.Create(ci,
                $"  \"requested WAL segment … has already been removed\": {r.RemovedSegmentErrors.Count}, first {r.RemovedSegmentErrors[0].Segment} at {ReplayReport.Time(r.RemovedSegmentErrors[0].At)} ({Path.GetFileName(r.RemovedSegmentErrors[0].File)}:{r.RemovedSegmentErrors[0].Line}): {(r.RemovedSegmentErrors[0].Upstream ? "this standby asked its upstream for WAL the upstream had already removed" : "a consumer asked for WAL already removed")}"));
        if (r.Reloads.Count > 0) w.WriteLine("  reloads changed: " + string.Join(", ", r.Reloads.Select(kv => $"{kv.Key}={kv.Value}")));
        w.WriteLine();
        w.WriteLine("Model vs server (what a log can decide; slot positions and the pg_wal listing need walsim sample)");
        w.WriteLine(string.Create(ci, $"  distance estimate: {r.EstimatesAgree}/{r.EstimatesChecked} agree"));
        w.WriteLine(string.Create(ci, $"  files added/recycled within PreallocXlogFiles/XLOGfileslop: {r.RecyclingAgree}/{r.RecyclingChecked}"));
        foreach (var d in r.Disagreements.Take(20)) w.WriteLine($"    DISAGREE {d}");
        if (r.Unjudged.Count > 0)
        {
            w.WriteLine(string.Create(ci, $"  not judged: {r.Unjudged.Count} checkpoint(s) added or recycled more files than the settings assumed allow — the server's are not PostgreSQL's defaults; give them to check these"));
            foreach (var u in r.Unjudged.Take(5)) w.WriteLine($"    NOT JUDGED {u}");
            if (r.Unjudged.Count > 5) w.WriteLine(string.Create(ci, $"    … {r.Unjudged.Count - 5} more"));
        }
        foreach (var g in r.Gaps.Take(20)) w.WriteLine($"    GAP {g}");
        if (r.Gaps.Count > 20) w.WriteLine(string.Create(ci, $"    … {r.Gaps.Count - 20} more gaps"));
        w.WriteLine(string.Create(ci, $"Total: {r.EstimatesAgree + r.RecyclingAgree}/{r.EstimatesChecked + r.RecyclingChecked} decisions agree"));
    }
}

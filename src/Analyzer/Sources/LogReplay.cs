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
    /// <param name="segmentSize">wal_segment_size (the log does not say it).</param>
    /// <param name="settings">Settings in force at the start of the log (postgresql.conf values); reloads in the log
    /// are applied on top.</param>
    /// <param name="format">The log's format as its content shows it; null = judged by <see cref="CheckpointLog"/>.</param>
    public static LogReplaySummary Run(string path, PgVersion? version, WalSegmentSize segmentSize, IReadOnlyDictionary<string, string> settings,
        LogFormat? format = null)
    {
        IEnumerable<ServerLogEvent> Events() => CheckpointLog.ReadEvents(path, format);
        var reported = version;
        // "starting PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64…": any minor; a newer one is modelled as the newest known.
        if (reported is null && Events().OfType<ServerLifecycle>().Select(l => l.Version).FirstOrDefault(x => x is not null) is { } text
            && PgVersion.TryParseReported(text, out var parsed))
            reported = parsed;
        ModelledVersion? v = reported is { } r ? SupportedVersions.Model(r) : null;
        ServerSettings? server = v is { } known ? ServerSettings.Create(RetentionPolicy.For(known.Model), segmentSize, settings) : null;

        int checkpoints = 0, restartpoints = 0, restarts = 0, invalidations = 0;
        long added = 0, removed = 0, recycled = 0, writtenKb = 0;
        DateTimeOffset? from = null, to = null;
        var covered = TimeSpan.Zero;
        var reloads = new Dictionary<string, string>(StringComparer.Ordinal);
        LogCheckpoint? prev = null;
        foreach (var e in Events())
        {
            switch (e)
            {
                case ServerLifecycle { Kind: LifecycleKind.Starting or LifecycleKind.Reinitializing }: restarts++; prev = null; break;
                case SettingChanged s: reloads[s.Name] = s.Value; break;
                case LogCheckpoint c:
                    if (c.IsRestartpoint) restartpoints++; else checkpoints++;
                    from ??= c.Start;
                    to = c.Complete;
                    added += c.Stats.Added; removed += c.Stats.Removed; recycled += c.Stats.Recycled;
                    invalidations += c.Invalidations.Count;
                    if (prev is not null && !c.AfterServerStart && c.Start > prev.Start) { writtenKb += c.Stats.DistanceKb; covered += c.Start - prev.Start; }
                    prev = c;
                    break;
            }
        }
        if (checkpoints + restartpoints == 0)
            throw new LogFileException(path, 0, 0, "", "no \"checkpoint complete\" lines: is log_checkpoints on, and lc_messages English (C)?");

        var disagreements = new List<string>();
        var ci = CultureInfo.InvariantCulture;
        int eChecked = 0, eAgree = 0;
        foreach (var check in CheckpointLogAnalysis.CheckEstimates(Events()))
        {
            if (!check.Checked) continue;
            eChecked++;
            if (check.Agrees) eAgree++;
            else disagreements.Add(string.Create(ci,
                $"{check.Checkpoint.File}:{check.Checkpoint.Line}: estimate={check.Checkpoint.Stats.EstimateKb} kB, the model allows {check.PredictedLowKb}..{check.PredictedHighKb} kB (UpdateCheckPointDistanceEstimate)"));
        }
        int rChecked = 0, rAgree = 0;
        foreach (var check in CheckpointLogAnalysis.CheckRecycling(Events(), server))
        {
            rChecked++;
            if (check.Plausible) rAgree++;
            else disagreements.Add(string.Create(ci,
                $"{check.Checkpoint.File}:{check.Checkpoint.Line}: {check.Checkpoint.Stats.Added} added, {check.Checkpoint.Stats.Recycled} recycled; at most 1 added{(check.MaxRecycled is { } m ? $" and {m} recycled ({check.Basis})" : "")}"));
        }
        return new LogReplaySummary(path, v, checkpoints, restartpoints, restarts, from, to, ByteCount.FromKilobytes(writtenKb), covered,
            added, removed, recycled, added - removed, invalidations, eChecked, eAgree, rChecked, rAgree, disagreements, reloads);
    }

    public static void Write(TextWriter w, LogReplaySummary r)
    {
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(ci,
            $"Replay of {r.File} (a server log with log_checkpoints): PostgreSQL {(r.Version?.ToString() ?? "version unknown (no \"starting PostgreSQL\" line; give --pg)")}"));
        if (r.From is { } f && r.To is { } t)
            w.WriteLine(string.Create(ci, $"  {r.Checkpoints} checkpoint(s), {r.Restartpoints} restartpoint(s), {r.Restarts} server start(s), from {ReplayReport.Time(f)} to {ReplayReport.Time(t)}"));
        w.WriteLine();
        w.WriteLine("What the log shows");
        var rate = r.Covered > TimeSpan.Zero ? r.Written.Bytes / r.Covered.TotalSeconds : 0;
        w.WriteLine(string.Create(ci, $"  WAL between checkpoint starts: {r.Written} in {ReplayReport.Duration(r.Covered)}: mean {ReplayReport.Rate(rate)}"));
        w.WriteLine(string.Create(ci, $"  pg_wal files: {r.Added} added, {r.Removed} removed, {r.Recycled} recycled: net {r.NetFiles:+0;-0;0} (plus segments created as WAL was written, which are not logged)"));
        w.WriteLine(string.Create(ci, $"  slot invalidations: {r.Invalidations}"));
        if (r.Reloads.Count > 0) w.WriteLine("  reloads changed: " + string.Join(", ", r.Reloads.Select(kv => $"{kv.Key}={kv.Value}")));
        w.WriteLine();
        w.WriteLine("Model vs server (what a log can decide; slot positions and the pg_wal listing need walsim sample)");
        w.WriteLine(string.Create(ci, $"  distance estimate: {r.EstimatesAgree}/{r.EstimatesChecked} agree"));
        w.WriteLine(string.Create(ci, $"  files added/recycled within PreallocXlogFiles/XLOGfileslop: {r.RecyclingAgree}/{r.RecyclingChecked}"));
        foreach (var d in r.Disagreements.Take(20)) w.WriteLine($"    DISAGREE {d}");
        w.WriteLine(string.Create(ci, $"Total: {r.EstimatesAgree + r.RecyclingAgree}/{r.EstimatesChecked + r.RecyclingChecked} decisions agree"));
    }
}

using System.Globalization;
using CsvHelper;
using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Validation;

namespace Walsim.Analyzer.Live;

/// <summary>Renders a replay: what the samples show, then the model against the server.</summary>
public static class ReplayReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The human-readable report; <paramref name="listCheckpoints"/> lists every checkpoint, not only those that disagree.</summary>
    public static void WriteText(TextWriter w, string file, ReplaySummary r, bool listCheckpoints)
    {
        var span = r.To - r.From;
        // Within one day the date is said once, in the header line.
        var sameDay = r.From.UtcDateTime.Date == r.To.UtcDateTime.Date;
        string T(DateTimeOffset t) => sameDay ? t.UtcDateTime.ToString("HH:mm:ss", Inv) : Time(t);
        w.WriteLine(string.Create(Inv,
            $"Replay of {file}: PostgreSQL {r.Version}, {r.SegmentSize} segments, system {r.SystemIdentifier}"));
        w.WriteLine(string.Create(Inv,
            $"  {r.Samples:N0} samples ({r.Rows:N0} rows) from {Time(r.From)} to {(sameDay ? T(r.To) + " UTC" : Time(r.To))} ({Duration(span)}), {r.Gaps} gap(s)"));
        var st = r.Settings;
        w.WriteLine(string.Create(Inv,
            $"  settings at the end: max_wal_size={st.MaxWalSizeMb}MB min_wal_size={st.MinWalSizeMb}MB {(st.Policy.KeepKnob == Simulator.Versions.WalKeepKnob.WalKeepSegments ? $"wal_keep_segments={st.WalKeepSegments}" : $"wal_keep_size={st.WalKeepSizeMb}MB")} max_slot_wal_keep_size={(st.MaxSlotWalKeepSizeMb < 0 ? "-1" : st.MaxSlotWalKeepSizeMb + "MB")} checkpoint_timeout={st.CheckpointTimeout} checkpoint_completion_target={st.CheckpointCompletionTarget}"));
        w.WriteLine();

        w.WriteLine("What the samples show");
        var wal = r.Wal;
        w.WriteLine(string.Create(Inv,
            $"  WAL written: {wal.Written} in {Duration(wal.Covered)}: mean {Rate(wal.MeanBytesPerSecond)}, median ~{Rate(wal.MedianBytesPerSecond)}, p95 ~{Rate(wal.P95BytesPerSecond)}, peak {Rate(wal.PeakBytesPerSecond)} (between samples)"));
        w.WriteLine(string.Create(Inv, $"  pg_wal: at most {r.PeakFiles:N0} files ({new ByteCount(r.PeakFiles * r.SegmentSize.Bytes)}), at {T(r.PeakFilesAt)}"));
        var c = r.Checkpoints;
        w.WriteLine(string.Create(Inv,
            $"  checkpoints: {c.Observed} seen{(c.MeanInterval is { } mi ? $", one every {Duration(mi)} on average" : "")}; {c.ByWalVolume} of them {(c.ByWalVolume == 1 ? "was" : "were")} {st.CheckPointSegments} segments or more after the previous (CheckPointSegments: requested by WAL volume)"));
        if (r.Slots.Count == 0) w.WriteLine("  slots: none");
        else
        {
            w.WriteLine("  slots:");
            var width = Math.Max(4, r.Slots.Max(s => s.Name.Length));
            w.WriteLine($"    {"name".PadRight(width)}  {"type",-8}  {"connected",9}  {"max behind",10}  {"longest stall",-26}  wal_status");
            foreach (var s in r.Slots)
            {
                var stall = s.LongestStall > TimeSpan.Zero
                    ? $"{Duration(s.LongestStall)} from {T(s.LongestStallFrom!.Value)}{(s.StalledAtEnd ? " (still)" : "")}"
                    : "-";
                w.WriteLine(string.Create(Inv,
                    $"    {s.Name.PadRight(width)}  {Formats.Kind(s.Kind),-8}  {s.ActiveFraction * 100,8:0}%  {s.MaxBehind,10}  {stall,-26}  {Statuses(s, T)}"));
            }
        }
        w.WriteLine();

        w.WriteLine("Model vs server");
        var ckptFields = r.Fields.Where(f => f.Field is "files" or "oldest_file" or "invalidated").ToList();
        var agreeing = r.CheckpointLines.Count(l => l.Agrees);
        w.WriteLine(string.Create(Inv,
            $"  checkpoints: {c.Observed} replayed, {agreeing + (r.CheckpointLinesDropped > 0 ? "+" : "")} agree on files in pg_wal, the oldest file and slots invalidated{(c.Observed > 0 ? "" : " (none seen: sample for longer than checkpoint_timeout)")}"));
        foreach (var l in r.CheckpointLines.Where(l => listCheckpoints || !l.Agrees))
            w.WriteLine(string.Create(Inv,
                $"    {(l.Agrees ? "ok  " : "DIFF")} #{l.Number,-4} {T(l.Started)} redo {l.Redo,-12} distance {l.Distance,9}{(l.ByWalVolume ? " (wal)" : "      ")}  files {l.Files,5}  invalidated {l.Invalidated}{(l.Agrees ? "" : "  " + l.Difference)}"));
        var slotFields = r.Fields.Where(f => f.Field is "wal_status" or "safe_wal_size").ToList();
        if (slotFields.Count > 0)
            w.WriteLine("  slot readings: " + string.Join(", ", slotFields.Select(f => string.Create(Inv, $"{f.Field} {f.Agreed:N0}/{f.Decisions:N0}"))) + " agree");
        else if (!r.Settings.Policy.ReportsWalStatus)
            w.WriteLine($"  slot readings: PostgreSQL {r.Version.Major} has no wal_status/safe_wal_size to compare");
        foreach (var d in r.Disagreements.Take(20))
        {
            w.WriteLine(string.Create(Inv, $"    DISAGREE sample {d.Sample} {T(d.Time)} {d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}"));
            w.WriteLine($"             inputs: {d.Inputs}");
        }
        var more = r.Disagreements.Count - 20 + r.DisagreementsDropped;
        if (more > 0) w.WriteLine(string.Create(Inv, $"    ... {more:N0} more disagreement(s): see --csv"));
        foreach (var n in r.Notes) w.WriteLine($"  note: {n}");
        w.WriteLine(string.Create(Inv, $"Total: {r.Agreed:N0}/{r.Decisions:N0} decisions agree"));
    }

    /// <summary>A CSV writer for every decision, fed as the replay makes them (the replay streams; so does this).</summary>
    public sealed class DecisionCsv : IDisposable
    {
        private readonly CsvWriter _csv;

        public DecisionCsv(TextWriter w)
        {
            _csv = TimelineCsvWriter.NewCsv(w);
            foreach (var h in new[] { "sample", "server_time" }.Concat(Decision.CsvColumns))
                _csv.WriteField(h);
            _csv.EndRecord();
        }

        public void Write(Decision d)
        {
            _csv.WriteField(d.Sample.ToString(Inv));
            _csv.WriteField(SampleCsv.Time(d.Time));
            d.WriteCsvFields(_csv);
            _csv.EndRecord();
        }

        public void Dispose() => _csv.Dispose();
    }

    private static string Statuses(SlotBehaviour s, Func<DateTimeOffset, string> Time)
    {
        if (s.LastStatus is null) return "-";
        var parts = new List<string>();
        if (s.FirstExtended is { } e) parts.Add($"extended {Time(e)}");
        if (s.FirstUnreserved is { } u) parts.Add($"unreserved {Time(u)}");
        if (s.FirstLost is { } l) parts.Add($"lost {Time(l)}");
        return parts.Count == 0 ? $"{s.LastStatus.Value.ToSql()} throughout" : $"{string.Join(", ", parts)}; at the end {s.LastStatus.Value.ToSql()}";
    }

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", Inv);

    internal static string Duration(TimeSpan d) =>
        d.TotalDays >= 2 ? string.Create(Inv, $"{d.TotalDays:0.#} d")
        : d.TotalHours >= 2 ? string.Create(Inv, $"{d.TotalHours:0.#} h")
        : d.TotalMinutes >= 2 ? string.Create(Inv, $"{d.TotalMinutes:0.#} min")
        : string.Create(Inv, $"{d.TotalSeconds:0.#} s");

    internal static string Rate(double bytesPerSecond) => $"{new ByteCount((long)Math.Round(bytesPerSecond))}/s";
}

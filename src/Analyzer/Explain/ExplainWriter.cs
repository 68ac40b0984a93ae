using System.Globalization;
using System.Text.Json;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Explain;

/// <summary>The text of <c>walsim explain</c>'s formats: a table, Markdown and JSON, from one list of lines.</summary>
public static class ExplainWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteTable(TextWriter w, IReadOnlyList<ExplainReport> reports)
    {
        var first = true;
        foreach (var r in reports)
        {
            if (!first) w.WriteLine();
            first = false;
            w.WriteLine(Title(r));
            w.WriteLine(Summary(r));
            w.WriteLine();
            var rows = Rows(r);
            var widths = new int[5];
            foreach (var row in rows.Prepend(Header))
                for (var i = 0; i < 4; i++) widths[i] = Math.Max(widths[i], row[i].Length);
            foreach (var row in rows.Prepend(Header))
                w.WriteLine($"  {row[0].PadRight(widths[0])}  {row[1].PadRight(widths[1])}  {row[2].PadLeft(widths[2])}  {row[3].PadLeft(widths[3])}  {row[4]}".TrimEnd());
            w.WriteLine();
            foreach (var line in Details(r)) w.WriteLine(line);
        }
    }

    public static void WriteMarkdown(TextWriter w, IReadOnlyList<ExplainReport> reports)
    {
        var first = true;
        foreach (var r in reports)
        {
            if (!first) w.WriteLine();
            first = false;
            w.WriteLine($"## {Title(r)}");
            w.WriteLine();
            w.WriteLine(Summary(r));
            w.WriteLine();
            w.WriteLine("| reason | slot | files | bytes | why |");
            w.WriteLine("|---|---|--:|--:|---|");
            foreach (var row in Rows(r))
                w.WriteLine($"| {Cell(row[0])} | {Cell(row[1])} | {row[2]} | {row[3]} | {Cell(row[4])} |");
            w.WriteLine();
            foreach (var line in Details(r)) w.WriteLine(line.Length == 0 ? "" : line.StartsWith("  ", StringComparison.Ordinal) ? $"- {line.Trim()}" : line);
        }
    }

    public static void WriteJson(TextWriter w, IReadOnlyList<ExplainReport> reports)
    {
        var doc = reports.Select(r =>
        {
            var b = r.Breakdown;
            var seg = r.SegmentSize;
            return new
            {
                source = r.Source,
                node = r.Node,
                when = r.When,
                version = r.Version.ToString(),
                segment_size_bytes = seg.Bytes,
                insert_lsn = r.State.Insert.ToString(),
                redo_lsn = r.State.Redo.ToString(),
                files = b.FileCount,
                bytes = b.Bytes.Bytes,
                redo_segment = seg.FileName(b.RedoSegment),
                insert_segment = seg.FileName(b.InsertSegment),
                keep_segment = seg.FileName(b.KeepNow),
                reasons = b.Totals.Select(t => new { reason = t.Label, slot = t.Slot, files = t.Files, bytes = t.Bytes.Bytes }),
                slots = b.Slots.Select(s => new
                {
                    name = s.Name,
                    restart_lsn = s.RestartLsn.ToString(),
                    wal_status = s.WalStatus?.ToSql(),
                    files = s.Files,
                    bytes = s.Bytes.Bytes,
                    retained_bytes = s.Retained.Bytes,
                    over_cap_by_bytes = s.OverCapBy?.Bytes,
                }),
                recycled_ahead = new
                {
                    limit_segment = seg.FileName(b.Recycle.Limit),
                    min_segment = seg.FileName(b.Recycle.MinSegNo),
                    max_segment = seg.FileName(b.Recycle.MaxSegNo),
                    bound = Bound(b.Recycle.Bound),
                    estimate_bytes = b.Recycle.Estimate is { } e ? (long?)Math.Round(e) : null,
                    allowed_ahead = b.Recycle.AllowedAhead,
                },
                next_checkpoint = b.Next is { } n ? new
                {
                    redo_lsn = n.Redo.ToString(),
                    keep_segment = seg.FileName(n.Keep),
                    removed = n.Removed,
                    recycled = n.Recycled,
                    added = n.Added,
                    files_after = n.FilesAfter,
                    estimate_assumed = n.EstimateAssumed,
                    going = n.Going.Select(t => new { reason = t.Label, slot = t.Slot, files = t.Files, bytes = t.Bytes.Bytes }),
                    invalidated = n.Invalidated.Select(i => new { slot = i.Name, restart_lsn = i.RestartLsn.ToString(), cause = i.Cause == InvalidationCause.IdleTimeout ? "idle_timeout" : "wal_removed", exceeds_by_bytes = i.ExceedsBy.Bytes }),
                } : null,
                segments = b.Files.Select(f => new { name = f.WalFile.Name, bytes = f.WalFile.Size.Bytes, reason = f.Reason.Label(), slot = f.Slot, past_cap = f.PastCap ? true : (bool?)null }),
                notes = r.Notes.Concat(b.Notes),
            };
        });
        w.Write(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        w.WriteLine();
    }

    private static readonly string[] Header = ["reason", "slot", "files", "bytes", "why"];

    private static string Title(ExplainReport r) => $"walsim explain: {r.Node} of {r.Source}, {r.When} (PostgreSQL {r.Version})";

    private static string Summary(ExplainReport r)
    {
        var b = r.Breakdown;
        var seg = r.SegmentSize;
        return string.Create(Inv, $"pg_wal: {b.FileCount} file(s), {b.Bytes} ({seg} segments); insert {r.State.Insert} in {seg.FileName(b.InsertSegment)}, last checkpoint's redo {r.State.Redo} in {seg.FileName(b.RedoSegment)}");
    }

    /// <summary>One row per reason (and slot), then the total; a reason with no file is shown with 0.</summary>
    private static List<string[]> Rows(ExplainReport r)
    {
        var b = r.Breakdown;
        var rows = new List<string[]>();
        foreach (var reason in Enum.GetValues<WalHoldReason>())
        {
            var totals = b.Totals.Where(t => t.Reason == reason).ToList();
            if (reason == WalHoldReason.Slot)
            {
                // Oldest slot first, as they stack.
                foreach (var s in b.Slots.Where(s => s.Files > 0))
                    rows.Add(Row(reason, s.Name, s.Files, s.Bytes, Why(r, reason, s.Name)));
                continue;
            }
            if (reason == WalHoldReason.NotReplayed && !r.State.InRecovery) continue;
            var files = totals.Sum(t => t.Files);
            var bytes = new ByteCount(totals.Sum(t => t.Bytes.Bytes));
            if (files == 0 && reason is WalHoldReason.Other) continue;
            rows.Add(Row(reason, "", files, bytes, files == 0 ? "" : Why(r, reason, null)));
        }
        rows.Add(Row(null, "", b.FileCount, b.Bytes, "= pg_wal"));
        return rows;
    }

    private static string[] Row(WalHoldReason? reason, string slot, long files, ByteCount bytes, string why) =>
        [reason?.Label() ?? "total", slot, files.ToString(Inv), bytes.ToString(), why];

    private static string Why(ExplainReport r, WalHoldReason reason, string? slot)
    {
        var b = r.Breakdown;
        var s = r.State.Settings;
        var seg = r.SegmentSize;
        switch (reason)
        {
            case WalHoldReason.Redo:
                return $"crash recovery replays from the redo segment {b.RedoSegment} to the insert segment {b.InsertSegment}";
            case WalHoldReason.NotReplayed:
                return $"received up to {r.State.Insert}, replayed to {r.State.ReplayLsn}";
            case WalHoldReason.WalKeep:
                return s.Policy.KeepKnob == WalKeepKnob.WalKeepSegments
                    ? string.Create(Inv, $"wal_keep_segments = {s.WalKeepSegments}: segments from {b.WalKeepFloor}")
                    : string.Create(Inv, $"wal_keep_size = {s.WalKeepSizeMb}MB: segments from {b.WalKeepFloor}");
            case WalHoldReason.Slot:
                var hold = b.Slots.First(h => h.Name == slot);
                var index = b.Slots.ToList().FindIndex(h => h.Name == slot);
                var role = index == 0 ? "the minimum" : index == 1 ? "next behind the minimum" : $"{Ordinal(index + 1)} oldest";
                var past = b.Files.Count(f => f.Slot == slot && f.PastCap);
                var cap = hold.OverCapBy is { } over
                    ? string.Create(Inv, $"; past max_slot_wal_keep_size = {s.MaxSlotWalKeepSizeMb}MB by {over.Bytes} bytes ({past} file(s) below the cap's limit): the next checkpoint invalidates it")
                    : "";
                var status = hold.WalStatus is { } ws && ws != WalStatus.Null ? $", {ws.ToSql()}" : "";
                return $"restart_lsn {hold.RestartLsn} ({role}{status}){cap}";
            case WalHoldReason.Archiver:
                return $"not archived yet (.ready): archiving is done through {(r.State.ArchivedThrough.Value == ulong.MaxValue ? "every file" : seg.FileName(r.State.ArchivedThrough))}";
            case WalHoldReason.RecycledAhead:
                return RecycleWhy(r);
            case WalHoldReason.Removable:
                return $"nothing holds them (below KeepLogSeg's segment {b.KeepNow}): no checkpoint has run since they were released";
            default:
                return $"KeepLogSeg keeps from segment {b.KeepNow}, for a reason walsim cannot name";
        }
    }

    private static string RecycleWhy(ExplainReport r)
    {
        var c = r.Breakdown.Recycle;
        var s = r.State.Settings;
        var names = string.Create(Inv, $"recycled into free names up to segment {c.Limit} ({c.AllowedAhead} past the insert segment)");
        return c.Bound switch
        {
            RecycleBound.MinWalSize => string.Create(Inv, $"{names}: XLOGfileslop's floor, min_wal_size = {s.MinWalSizeMb}MB from the redo segment"),
            RecycleBound.MaxWalSize => string.Create(Inv, $"{names}: XLOGfileslop's ceiling, max_wal_size = {s.MaxWalSizeMb}MB from the redo segment"),
            RecycleBound.Estimate => string.Create(Inv, $"{names}: XLOGfileslop, redo + (1 + checkpoint_completion_target) × 1.1 × estimate {new ByteCount((long)Math.Round(c.Estimate!.Value))}"),
            _ => string.Create(Inv, $"recycled ahead; the estimate is unknown: XLOGfileslop allows from segment {c.MinSegNo} (min_wal_size) to {c.MaxSegNo} (max_wal_size)"),
        };
    }

    private static IEnumerable<string> Details(ExplainReport r)
    {
        var b = r.Breakdown;
        var seg = r.SegmentSize;
        if (b.MinimumSlot is { } min)
            yield return string.Create(Inv, $"Oldest slot: {min.Name} (restart_lsn {min.RestartLsn}, {min.Retained} behind the insert position){(b.NextSlot is { } nx ? $"; next behind it: {nx.Name} (restart_lsn {nx.RestartLsn}, {nx.Retained})" : "")}.");
        if (b.Next is { } n)
        {
            yield return string.Create(Inv, $"{(r.State.InRecovery ? "Next restartpoint (at the replay position" : "Next checkpoint (if it started now")}, redo {n.Redo}): keeps from segment {n.Keep} ({seg.FileName(n.Keep)}); removes {n.Removed}, recycles {n.Recycled}, adds {n.Added} file(s); {n.FilesAfter} after.");
            foreach (var g in n.Going)
                yield return string.Create(Inv, $"  takes {g.Files} file(s), {g.Bytes}, now held as {g.Label}{(g.Slot is null ? "" : $" ({g.Slot})")}");
            foreach (var i in n.Invalidated)
                yield return i.Cause == InvalidationCause.IdleTimeout
                    ? $"  invalidates slot {i.Name}: idle for {i.IdleFor}"
                    : string.Create(Inv, $"  invalidates slot {i.Name}: restart_lsn {i.RestartLsn} exceeds the limit by {i.ExceedsBy.Bytes} bytes");
        }
        var notes = r.Notes.Concat(b.Notes).ToList();
        if (notes.Count > 0)
        {
            yield return "Notes:";
            foreach (var note in notes) yield return $"  {note}";
        }
    }

    private static string Bound(RecycleBound b) => b switch
    {
        RecycleBound.Estimate => "estimate",
        RecycleBound.MinWalSize => "min_wal_size",
        RecycleBound.MaxWalSize => "max_wal_size",
        _ => "unknown",
    };

    private static string Ordinal(int n) => n switch { 3 => "3rd", _ => string.Create(Inv, $"{n}th") };

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}

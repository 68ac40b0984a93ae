using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Walsim.Analyzer.Reports;

/// <summary>Renders the per-version run summaries of one scenario: a console table, CSV or JSON.</summary>
public static class SummaryWriter
{
    /// <summary>A readable block for one version (what <c>walsim simulate</c> prints by default).</summary>
    public static void WriteTable(TextWriter w, SimulationResult r)
    {
        var p = r.Policy;
        w.WriteLine($"PostgreSQL {p.Version} (behaviour band {p.Band})");
        if (r.Node is null)
        {
            WriteServer(w, r, "  ", "checkpoints", "insert LSN");
            return;
        }
        // A topology: the primary, then each standby, each indented under its node line.
        if (r.RejoinedAt is { } rejoinedAt)
            WriteNode(w, r, $"primary, then a standby again from {rejoinedAt.Display()}", "ckpts/restart", "received LSN");
        else
            WriteNode(w, r, "primary", "checkpoints", "insert LSN");
        foreach (var sb in r.Standbys)
        {
            // Both lives of a promoted standby: restartpoints until the failover, checkpoints after.
            if (sb.PromotedAt is { } promotedAt)
                WriteNode(w, sb, $"standby, then the primary from {promotedAt.Display()}", "restart/ckpts", "insert LSN");
            else
                WriteNode(w, sb, "standby", "restartpoints", "received LSN");
            if (sb.PeakRetainedBySyncedSlots.Bytes > 0)
                w.WriteLine($"    synced slots  made a restartpoint keep up to {sb.PeakRetainedBySyncedSlots} more pg_wal");
        }
        foreach (var f in r.Failovers)
        {
            w.WriteLine($"  {(f.Planned ? "switchover" : "failover")} at {f.At.Display()} to {f.To}: the new primary starts at {f.SwitchPoint}");
            foreach (var slot in f.Slots)
                w.WriteLine($"    slot {slot.Slot}: {slot.OnNewPrimary} on {f.To}; consumer at {slot.ConsumerPosition}, resumes at {slot.ResumeAt}: " +
                            $"missed {slot.Missed}, received twice {slot.ReceivedTwice}, phantom {slot.Phantom}");
            if (f.StaleOnOldPrimary.Count > 0)
                w.WriteLine($"    {r.Node} keeps {string.Join(", ", f.StaleOnOldPrimary.Select(x => $"{x.Slot} (restart_lsn {x.RestartLsn})"))}: stale failover slots. " +
                            "Rejoining as a standby with sync_replication_slots = on, 17+'s worker stops on them (\"same name slot ... already exists on the standby\") until they are dropped, and they pin its WAL meanwhile.");
        }
    }

    /// <summary>One node of a topology: its line with its role, then its server indented under it.</summary>
    private static void WriteNode(TextWriter w, SimulationResult node, string role, string checkpointWord, string lsnWord)
    {
        w.WriteLine($"  node {node.Node} ({role})");
        WriteServer(w, node, "    ", checkpointWord, lsnWord);
    }

    private static void WriteServer(TextWriter w, SimulationResult r, string indent, string checkpointWord, string lsnWord)
    {
        var p = r.Policy;
        var s = r.Summary;
        // Events may change settings later (a reload); these are the values the run starts with.
        w.WriteLine($"{indent}settings      (at start) {string.Join(' ', KeySettings.For(r.Scenario, p).Select(kv => $"{kv.Key}={kv.Value}"))}");
        foreach (var slot in r.Slots)
        {
            // 12 has no wal_status, so "never extended" would be misleading there.
            var status = p.ReportsWalStatus
                ? $"extended {Formats.Human(slot.FirstExtended)}, unreserved {Formats.Human(slot.FirstUnreserved)}, "
                : "(no wal_status before 13), ";
            var cause = slot.Cause == InvalidationCause.None ? "" : $" ({Formats.Invalidation(slot.Cause)})";
            var synced = slot.Synced ? $", synced copy: sync-ready {Formats.Human(slot.FirstSyncReady)}" : "";
            w.WriteLine($"{indent}slot {slot.Name} ({Formats.Kind(slot.Kind)}{synced}): {status}lost {Formats.Human(slot.Lost)}{cause}; peak retained {slot.PeakRetained}");
        }
        w.WriteLine($"{indent}peak pg_wal   {s.PeakPgWalFiles.ToString(CultureInfo.InvariantCulture)} files, {s.PeakPgWalBytes} at {s.PeakAt.Display()}");
        w.WriteLine($"{indent}disk full     {Formats.Human(s.DiskFull)}; read-only {Formats.Human(s.ReadOnly)}");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{indent}{checkpointWord,-13} {s.Checkpoints} done, {s.SkippedCheckpoints} skipped; WAL files {s.FilesAdded} added, {s.FilesRemoved} removed, {s.FilesRecycled} recycled"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{indent}end           {s.End.Display()}, {lsnWord} {s.FinalInsertLsn}, {s.Invalidations} slot invalidation(s)"));
    }

    /// <summary>
    /// One CSV row per version. <c>settings</c> holds the key settings as <c>name=value</c> pairs separated by
    /// spaces (the set differs between 12 and 13+); each slot adds <c>slotname.*</c> columns.
    /// </summary>
    public static void WriteCsv(TextWriter w, IReadOnlyList<SimulationResult> results)
    {
        var slots = results.SelectMany(r => r.Slots.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToList();
        using var csv = TimelineCsvWriter.NewCsv(w);
        // The columns are the JSON report's fields (RunJson), so the two cannot drift apart; every run and every
        // slot has the same fields, so the first of each names them.
        string[] head = ["scenario", "version", "band", "settings", .. results.Take(1).SelectMany(r => RunJson.SummaryFields(r.Summary)).Select(f => f.Name)];
        string[] slotHead = [.. results.SelectMany(r => r.Slots).Take(1).SelectMany(s => RunJson.SlotFields(s)).Select(f => f.Name)];
        foreach (var h in head) csv.WriteField(h);
        foreach (var name in slots)
            foreach (var h in slotHead) csv.WriteField($"{name}.{h}");
        csv.EndRecord();

        foreach (var r in results)
        {
            csv.WriteField(r.Scenario.Name);
            csv.WriteField(r.Policy.Version.ToString());
            csv.WriteField(r.Policy.Band);
            csv.WriteField(string.Join(' ', KeySettings.For(r.Scenario, r.Policy).Select(kv => $"{kv.Key}={kv.Value}")));
            foreach (var (_, value) in RunJson.SummaryFields(r.Summary)) csv.WriteField(value.Cell);
            foreach (var name in slots)
            {
                var slot = r.Slots.FirstOrDefault(x => x.Name == name);
                foreach (var cell in slot is null ? slotHead.Select(_ => "") : RunJson.SlotFields(slot).Select(f => f.Value.Cell))
                    csv.WriteField(cell);
            }
            csv.EndRecord();
        }
    }

    /// <summary>A JSON document <c>{ scenario, versions: [...] }</c>; times in seconds, null for never.</summary>
    public static void WriteJson(TextWriter w, string scenario, IReadOnlyList<SimulationResult> results)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            j.WriteStartObject();
            j.WriteString("scenario", scenario);
            j.WriteStartArray("versions");
            foreach (var r in results)
            {
                var s = r.Summary;
                j.WriteStartObject();
                j.WriteString("version", r.Policy.Version.ToString());
                j.WriteString("band", r.Policy.Band);
                j.WriteStartObject("settings");
                foreach (var (k, v) in KeySettings.For(r.Scenario, r.Policy)) j.WriteString(k, v);
                j.WriteEndObject();
                RunJson.WriteSummary(j, s);
                RunJson.WriteSlots(j, r.Slots);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        w.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

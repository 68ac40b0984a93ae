using System.Globalization;
using System.Text.Json;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Comparison;

/// <summary>One topology scenario run with every standby using one slot synchronization mechanism.</summary>
public sealed record SyncRun(SlotSyncMechanism Mechanism, SimulationResult? Result, string? NotApplicable);

/// <summary>
/// <c>walsim whatif &lt;topology&gt; --sync none,native,pg_failover_slots,patroni</c>: the same workload, standbys and
/// failover under each mechanism (docs/design/failover.md §3.7), side by side: what the new primary has of each
/// logical slot and what its consumer misses or receives twice, when copies became ready, and each standby's pg_wal.
/// </summary>
public static class SyncComparison
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs <paramref name="scenario"/> on <paramref name="version"/> once per mechanism; native on a
    /// version before 17 is reported as not applicable rather than run.</summary>
    public static IReadOnlyList<SyncRun> Run(Scenario scenario, PgVersion version, IReadOnlyList<SlotSyncMechanism> mechanisms,
        Func<Scenario, PgVersion, SimulationResult>? run = null)
    {
        if (scenario.Nodes.Count == 0) throw new ArgumentException($"{scenario.Name} has no nodes: --sync compares how standbys keep slots, so the scenario needs a topology (nodes:)");
        run ??= (s, v) => Simulation.Run(s, v);
        var policy = RetentionPolicy.For(version);
        return mechanisms.Select(m =>
        {
            if (m == SlotSyncMechanism.Native && !policy.SyncsFailoverSlots)
                return new SyncRun(m, null, $"needs 17+ ({version})");
            // Each mechanism copies the slots it knows: failover slots (native), permanent ones (Patroni), every
            // logical one (pg_failover_slots); a slot the scenario made for one is made for all.
            var slots = scenario.Slots.Select(s => s.Kind == SlotKind.Logical ? s with { Failover = true, Permanent = true } : s).ToList();
            var nodes = scenario.Nodes.Select(n => n.Role == NodeRole.Standby
                ? n with { SlotSync = m, SlotSyncOptions = n.SlotSync == m ? n.SlotSyncOptions : SlotSyncOptions.DefaultFor(m) }
                : n).ToList();
            return new SyncRun(m, run(scenario with { Slots = slots, Nodes = nodes, Versions = [version] }, version), null);
        }).ToList();
    }

    public static string Name(SlotSyncMechanism m) => m switch
    {
        SlotSyncMechanism.Native => "native (17+)",
        SlotSyncMechanism.PgFailoverSlots => "pg_failover_slots",
        SlotSyncMechanism.Patroni => "patroni",
        _ => "none",
    };

    private static List<(string Label, string[] Cells)> Rows(IReadOnlyList<SyncRun> runs)
    {
        var rows = new List<(string, string[])>();
        var any = runs.FirstOrDefault(r => r.Result is not null)?.Result;
        if (any is null) return rows;
        string Cell(SyncRun r, Func<SimulationResult, string> f) => r.Result is { } res ? f(res) : $"n/a: {r.NotApplicable}";
        var failover = any.Failovers.FirstOrDefault();
        foreach (var slot in failover?.Slots.Select(s => s.Slot) ?? [])
        {
            SlotFailover? Of(SimulationResult res) => res.Failovers.FirstOrDefault()?.Slots.FirstOrDefault(s => s.Slot == slot);
            rows.Add(($"slot {slot} on {failover!.To}", runs.Select(r => Cell(r, res => Of(res)?.OnNewPrimary ?? "-")).ToArray()));
            rows.Add(($"  missed", runs.Select(r => Cell(r, res => Of(res)?.Missed.ToString() ?? "-")).ToArray()));
            rows.Add(($"  received twice", runs.Select(r => Cell(r, res => Of(res)?.ReceivedTwice.ToString() ?? "-")).ToArray()));
            rows.Add(($"  phantom", runs.Select(r => Cell(r, res => Of(res)?.Phantom.ToString() ?? "-")).ToArray()));
            foreach (var node in any.Standbys.Select(s => s.Node!))
                rows.Add(($"  ready on {node}", runs.Select(r => Cell(r, res => res.ForNode(node)?.Slots.FirstOrDefault(s => s.Name == slot)?.FirstSyncReady?.Display() ?? "never")).ToArray()));
        }
        foreach (var node in any.Standbys.Select(s => s.Node!))
            rows.Add(($"{node} peak pg_wal", runs.Select(r => Cell(r, res => res.ForNode(node) is { } n ? $"{n.Summary.PeakPgWalBytes} ({n.Summary.PeakPgWalFiles} files)" : "-")).ToArray()));
        return rows;
    }

    /// <summary>The side-by-side table.</summary>
    public static void WriteTable(TextWriter w, Scenario scenario, PgVersion version, IReadOnlyList<SyncRun> runs)
    {
        var f = runs.FirstOrDefault(r => r.Result is not null)?.Result?.Failovers.FirstOrDefault();
        w.WriteLine($"What if: {scenario.Name} on PostgreSQL {version}, standbys keeping slots with each mechanism" +
                    (f is null ? " (the scenario has no failover: only copies and pg_wal compare)" : $"; {(f.Planned ? "switchover" : "failover")} to {f.To} at {f.At.Display()}"));
        w.WriteLine();
        var rows = Rows(runs);
        var headers = runs.Select(r => Name(r.Mechanism)).ToArray();
        var labelWidth = Math.Max(14, rows.Count == 0 ? 0 : rows.Max(x => x.Label.Length)) + 2;
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(x => x.Cells[i].Length)) + 2).ToArray();
        w.WriteLine(("  " + "".PadRight(labelWidth) + string.Concat(headers.Select((h, i) => h.PadRight(widths[i])))).TrimEnd());
        foreach (var (label, cells) in rows)
            w.WriteLine(("  " + label.PadRight(labelWidth) + string.Concat(cells.Select((c, i) => c.PadRight(widths[i])))).TrimEnd());
        w.WriteLine();
        w.WriteLine("Native sync is validated on real PostgreSQL 17/18 where the harness covers it; Patroni 3.0.2 and pg_failover_slots 1.2.1 on real PostgreSQL 15 (switchover and crash failover, one slot; walsim validate --ha; docs/design/failover.md §4.4).");
    }

    /// <summary>The same as Markdown.</summary>
    public static void WriteMarkdown(TextWriter w, Scenario scenario, PgVersion version, IReadOnlyList<SyncRun> runs)
    {
        w.WriteLine($"### What if: {scenario.Name} on PostgreSQL {version}, by slot synchronization mechanism");
        w.WriteLine();
        w.WriteLine("| | " + string.Join(" | ", runs.Select(r => Name(r.Mechanism))) + " |");
        w.WriteLine("|---|" + string.Concat(runs.Select(_ => "---|")));
        foreach (var (label, cells) in Rows(runs)) w.WriteLine($"| {label.Trim()} | {string.Join(" | ", cells)} |");
    }

    /// <summary>Every number, as JSON (bytes and seconds).</summary>
    public static void WriteJson(TextWriter w, Scenario scenario, PgVersion version, IReadOnlyList<SyncRun> runs)
    {
        var doc = new
        {
            scenario = scenario.Name,
            version = version.ToString(),
            mechanisms = runs.Select(r => new
            {
                mechanism = r.Mechanism.ToString().ToLowerInvariant(),
                not_applicable = r.NotApplicable,
                failovers = r.Result?.Failovers.Select(f => new
                {
                    at_s = (f.At - Simulator.Units.SimTime.Zero).TotalSeconds,
                    to = f.To,
                    planned = f.Planned,
                    switch_point = f.SwitchPoint.ToString(),
                    slots = f.Slots.Select(s => new
                    {
                        slot = s.Slot, on_new_primary = s.OnNewPrimary, consumer = s.ConsumerPosition.ToString(), copy = s.CopyConfirmed?.ToString(),
                        resume = s.ResumeAt.ToString(), missed_bytes = s.Missed.Bytes, received_twice_bytes = s.ReceivedTwice.Bytes, phantom_bytes = s.Phantom.Bytes,
                    }),
                }),
                standbys = r.Result?.Standbys.Select(s => new
                {
                    node = s.Node,
                    peak_pg_wal_bytes = s.Summary.PeakPgWalBytes.Bytes,
                    copies = s.Slots.Where(x => x.Synced).Select(x => new { slot = x.Name, ready_s = x.FirstSyncReady is { } t ? (t - Simulator.Units.SimTime.Zero).TotalSeconds : (double?)null }),
                }),
            }),
        };
        w.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}

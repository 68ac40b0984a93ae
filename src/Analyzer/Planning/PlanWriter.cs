using System.Globalization;
using System.Text.Json;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>Renders a <see cref="PlanResult"/> as a console table, Markdown (short enough for a pull-request comment),
/// tidy CSV (one row per slot × cap × outage) or JSON.</summary>
public static class PlanWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What <c>walsim plan</c> prints by default.</summary>
    public static void WriteTable(TextWriter w, PlanSource source, PlanResult plan)
    {
        foreach (var line in Header(source, plan)) w.WriteLine(line);
        foreach (var slot in plan.Slots)
        {
            w.WriteLine();
            w.WriteLine($"slot {slot.Slot} ({slot.Kind.ToString().ToLowerInvariant()})");
            WriteAligned(w, "  ", CapRows(plan, slot));
            w.WriteLine();
            w.WriteLine("  P(slot lost), % of runs, by outage (rows) and max_slot_wal_keep_size (columns):");
            WriteAligned(w, "  ", Matrix(slot, c => c.PSlotLost));
            if (slot.Caps.Any(c => c.Cells.Any(x => x.DiskFull + x.ReadOnly > 0)))
            {
                w.WriteLine();
                w.WriteLine($"  P(disk full{(plan.Options.Disk?.ReadOnlyAtFraction is null ? "" : " or read-only")}), % of runs:");
                WriteAligned(w, "  ", Matrix(slot, c => c.PDiskFull + c.PReadOnly));
            }
            w.WriteLine();
            w.WriteLine($"  recommendation: {slot.Recommendation.Reason}");
        }
        w.WriteLine();
        w.WriteLine($"{plan.EngineRuns} engine runs, {Days(plan.SimulatedTime)} simulated; the same seed gives the same plan.");
    }

    /// <summary>The same numbers, as Markdown.</summary>
    public static void WriteMarkdown(TextWriter w, PlanSource source, PlanResult plan)
    {
        var head = Header(source, plan);
        w.WriteLine($"### walsim plan: {Escape(plan.Slots.Count == 1 ? plan.Slots[0].Slot : source.Scenario.Name)} on PostgreSQL {plan.Options.Version}");
        w.WriteLine();
        foreach (var line in head.Skip(1)) w.WriteLine($"- {Escape(line.Trim())}");
        foreach (var slot in plan.Slots)
        {
            w.WriteLine();
            w.WriteLine($"#### slot `{slot.Slot}` ({slot.Kind.ToString().ToLowerInvariant()})");
            w.WriteLine();
            w.WriteLine($"**Recommendation:** {Escape(slot.Recommendation.Reason)}");
            w.WriteLine();
            MarkdownTable(w, CapRows(plan, slot));
            w.WriteLine();
            w.WriteLine("P(slot lost), % of runs, by outage and max_slot_wal_keep_size:");
            w.WriteLine();
            MarkdownTable(w, Matrix(slot, c => c.PSlotLost));
            if (slot.Caps.Any(c => c.Cells.Any(x => x.DiskFull + x.ReadOnly > 0)))
            {
                w.WriteLine();
                w.WriteLine("P(disk full or read-only), % of runs:");
                w.WriteLine();
                MarkdownTable(w, Matrix(slot, c => c.PDiskFull + c.PReadOnly));
            }
        }
    }

    /// <summary>One row per slot × cap × outage: <c>slot,cap_mb,outage_s,runs,slot_lost,disk_full,read_only,p_slot_lost,p_disk_full,p_read_only</c>
    /// (cap_mb −1 = unlimited; counts are runs).</summary>
    public static void WriteCsv(TextWriter w, PlanResult plan)
    {
        w.WriteLine("slot,cap_mb,outage_s,runs,slot_lost,disk_full,read_only,p_slot_lost,p_disk_full,p_read_only");
        foreach (var slot in plan.Slots)
            foreach (var cap in slot.Caps)
                foreach (var c in cap.Cells)
                    w.WriteLine(string.Create(Inv,
                        $"{Csv(slot.Slot)},{cap.Cap.Megabytes},{c.Outage.TotalSeconds:0.######},{c.Runs},{c.SlotLost},{c.DiskFull},{c.ReadOnly},{c.PSlotLost:0.####},{c.PDiskFull:0.####},{c.PReadOnly:0.####}"));
    }

    /// <summary>Everything, as JSON (durations in seconds, sizes in bytes, caps in MB with −1 = unlimited).</summary>
    public static void WriteJson(TextWriter w, PlanSource source, PlanResult plan)
    {
        var o = plan.Options;
        var doc = new
        {
            scenario = source.Scenario.Name,
            file = source.Path,
            from_samples = source.IsSamples,
            version = o.Version.ToString(),
            workload = source.Describe,
            random_workload = plan.RandomWorkload,
            disk = o.Disk is { } d ? new { size_bytes = d.Size.Bytes, other_bytes = d.OtherUsage.Bytes, read_only_at = d.ReadOnlyAtFraction } : null,
            runs = o.Runs,
            seed = o.Seed,
            window_s = new[] { (o.WindowStart - Simulator.Units.SimTime.Zero).TotalSeconds, (o.WindowEnd - Simulator.Units.SimTime.Zero).TotalSeconds },
            warmup_s = o.Warmup?.TotalSeconds,
            target_outage_s = o.TargetOutage.TotalSeconds,
            risk = o.Risk,
            margin = o.Margin,
            outages_s = o.Outages.Select(x => x.TotalSeconds).ToArray(),
            caps_mb = o.Caps.Select(c => c.Megabytes).ToArray(),
            engine_runs = plan.EngineRuns,
            simulated_s = plan.SimulatedTime.TotalSeconds,
            slots = plan.Slots.Select(s => new
            {
                name = s.Slot,
                kind = s.Kind.ToString().ToLowerInvariant(),
                caps = s.Caps.Select(c => new
                {
                    cap_mb = c.Cap.Megabytes,
                    cap = c.Cap.ToString(),
                    survives_s = new
                    {
                        at_risk = Seconds(c.Survivable.Quantile(o.Risk)),
                        p50 = Seconds(c.Survivable.P50),
                        min = Seconds(c.Survivable.Quantile(0)),
                    },
                    first_to_give_out = c.FirstToGiveOut.ToDictionary(kv => Snake(kv.Key), kv => kv.Value),
                    peak_pg_wal_bytes = c.PeakPgWal.Bytes,
                    cells = c.Cells.Select(x => new
                    {
                        outage_s = x.Outage.TotalSeconds,
                        slot_lost = x.SlotLost,
                        disk_full = x.DiskFull,
                        read_only = x.ReadOnly,
                        p_slot_lost = x.PSlotLost,
                        p_disk_full = x.PDiskFull,
                        p_read_only = x.PReadOnly,
                    }),
                }),
                recommendation = new
                {
                    cap_mb = s.Recommendation.Cap?.Megabytes,
                    cap = s.Recommendation.Cap?.ToString(),
                    risk = s.Recommendation.Risk,
                    volume_bytes = s.Recommendation.Volume?.Bytes,
                    volume = s.Recommendation.Volume?.ToString(),
                    peak_pg_wal_bytes = s.Recommendation.PeakPgWal?.Bytes,
                    disk_enough = s.Recommendation.DiskEnough,
                    reason = s.Recommendation.Reason,
                },
            }),
        };
        w.Write(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        w.WriteLine();
    }

    internal static IReadOnlyList<string> Header(PlanSource source, PlanResult plan)
    {
        var o = plan.Options;
        var lines = new List<string>
        {
            $"Plan: {source.Scenario.Name}{(source.Path.Length > 0 ? $" ({source.Path})" : "")} on PostgreSQL {o.Version}",
            $"  workload   {string.Join("; ", source.Describe)}",
            "  volume     " + (o.Disk is { } d
                ? $"{d.Size}" + (d.OtherUsage.Bytes > 0 ? $", {d.OtherUsage} of it not WAL" : "") + (d.ReadOnlyAtFraction is { } f ? string.Create(Inv, $", read-only at {f:0.#%}") : "")
                : "not given: the plan says how big it must be"),
            $"  runs       {o.Runs} per cap (seed {o.Seed}); each outage starts at a random time in {o.WindowStart.Display()}..{o.WindowEnd.Display()}" +
            (o.Warmup is { } w ? $" ({w.Display()} of workload simulated before it)" : "") +
            "; the consumer stops, the other consumers keep up",
            $"  judged     outages {string.Join(", ", o.Outages.Select(Span))}; the recommendation is for {Span(o.TargetOutage)} at a risk of {CapacityPlanner.Percent(o.Risk)}",
        };
        if (!Simulator.Versions.RetentionPolicy.For(o.Version).CapsSlotRetention) lines.Add($"  note       PostgreSQL {o.Version.Major} has no max_slot_wal_keep_size: only the volume limits a slot");
        return lines;
    }

    private static List<string[]> CapRows(PlanResult plan, SlotPlan slot)
    {
        var risk = plan.Options.Risk;
        var beyond = $"> {Span(plan.Options.Outages[^1])}";
        var rows = new List<string[]>
        {
            new[] { "max_slot_wal_keep_size", $"survives ({CapacityPlanner.Percent(1 - risk)} of runs)", "median", "first to give out if never back", "peak pg_wal" },
        };
        foreach (var c in slot.Caps)
        {
            string S(SimDuration? d) => d is { } v ? (v > plan.Options.Outages[^1] ? beyond : Span(v)) : beyond;
            var first = string.Join(", ", c.FirstToGiveOut.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value)
                .Select(kv => $"{Words(kv.Key)} {kv.Value}"));
            rows.Add([c.Cap.ToString(), S(c.Survivable.Quantile(risk)), S(c.Survivable.P50), first, c.PeakPgWal.ToString()]);
        }
        return rows;
    }

    private static List<string[]> Matrix(SlotPlan slot, Func<PlanCell, double> p)
    {
        var rows = new List<string[]> { new[] { "outage" }.Concat(slot.Caps.Select(c => c.Cap.ToString())).ToArray() };
        for (var k = 0; k < slot.Caps[0].Cells.Count; k++)
            rows.Add(new[] { Span(slot.Caps[0].Cells[k].Outage) }.Concat(slot.Caps.Select(c => Pct(p(c.Cells[k])))).ToArray());
        return rows;
    }

    /// <summary>A probability in whole percent, with "&lt;1" and "&gt;99" so that rare is not shown as never or always.</summary>
    internal static string Pct(double p) => p switch
    {
        0 => "0",
        < 0.01 => "<1",
        >= 1 => "100",
        > 0.99 => ">99",
        _ => Math.Round(p * 100).ToString(Inv),
    };

    /// <summary>An outage length as a plan shows it: minutes under a day, hours and minutes beyond (1h30m, 2d06h).</summary>
    internal static string Span(SimDuration d)
    {
        if (d.IsInfinite) return "never";
        var minutes = (long)Math.Round(d.TotalSeconds / 60);
        if (d < SimDuration.FromMinutes(1)) return string.Create(Inv, $"{Math.Round(d.TotalSeconds)}s");
        long days = minutes / 1440, h = minutes / 60 % 24, m = minutes % 60;
        var mm = m > 0 ? m.ToString("00", Inv) + "m" : "";
        return days > 0 ? days.ToString(Inv) + "d" + h.ToString("00", Inv) + "h" + mm
            : h > 0 ? h.ToString(Inv) + "h" + mm
            : m.ToString(Inv) + "m";
    }

    internal static string Words(PlanOutcome o) => o switch
    {
        PlanOutcome.SlotLost => "slot lost",
        PlanOutcome.DiskFull => "disk full",
        PlanOutcome.ReadOnly => "read-only",
        _ => "nothing",
    };

    private static string Snake(PlanOutcome o) => o switch
    {
        PlanOutcome.SlotLost => "slot_lost",
        PlanOutcome.DiskFull => "disk_full",
        PlanOutcome.ReadOnly => "read_only",
        _ => "nothing",
    };

    private static string Days(SimDuration d) => string.Create(Inv, $"{d.TotalSeconds / 86400:0} days");

    private static double? Seconds(SimDuration? d) => d is { IsInfinite: false } v ? v.TotalSeconds : null;

    private static void WriteAligned(TextWriter w, string indent, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length) + 2).ToArray();
        foreach (var r in rows) w.WriteLine((indent + string.Concat(r.Select((c, i) => c.PadRight(widths[i])))).TrimEnd());
    }

    private static void MarkdownTable(TextWriter w, List<string[]> rows)
    {
        w.WriteLine("| " + string.Join(" | ", rows[0].Select(Escape)) + " |");
        w.WriteLine("|" + string.Concat(rows[0].Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var r in rows.Skip(1)) w.WriteLine("| " + string.Join(" | ", r.Select(Escape)) + " |");
    }

    private static string Escape(string s) => s.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

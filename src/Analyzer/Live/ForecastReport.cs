using System.Globalization;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>Renders forecasts: the fit, where each slot stands, then per what-if the time to each status.</summary>
public static class ForecastReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteHeader(TextWriter w, string file, ForecastInput input, WorkloadFit fit, ForecastOptions o, WorkloadHistory? history = null)
    {
        w.WriteLine(string.Create(Inv,
            $"Forecast from {file}: PostgreSQL {input.Version}, {input.SegmentSize} segments, from the last sample ({ReplayReport.Time(input.Last.ServerTime)}) for {ReplayReport.Duration(o.Horizon.ToTimeSpan())}"));
        w.WriteLine(string.Create(Inv,
            $"  {o.Runs} runs of the fitted workload (seed {o.Seed}), and one at the fitted median rate{(o.Disk is { } d ? $"; pg_wal volume {d.Size}{(d.ReadOnlyAtFraction is { } f ? $", read-only at {f:P0}" : "")}" : "")}"));
        w.WriteLine(history is null
            ? string.Create(Inv, $"Workload fit from {input.Samples:N0} samples:")
            : string.Create(Inv, $"Workload fit from {history.File} ({history.Kind}, {history.Observations.Count:N0} positions from {ReplayReport.Time(history.Origin)}):"));
        foreach (var line in fit.Report.Describe()) w.WriteLine("  " + line);
        w.WriteLine(Checkpoints(input));
        w.WriteLine(string.Create(Inv, $"Now: pg_wal {input.Last.PgWalFiles} files ({input.Last.PgWalBytes}); {Slots(input)}"));
    }

    /// <summary>The checkpoints the samples show and the write phase the forecast assumes from them.</summary>
    internal static string Checkpoints(ForecastInput input)
    {
        var c = input.Checkpoints;
        var seen = c.Observed == 0 ? "none seen"
            : string.Create(Inv, $"{c.Observed} seen{(c.MeanInterval is { } i ? $", one every {ReplayReport.Duration(i)}" : "")}, {c.ByWalVolume} of them CheckPointSegments or more after the previous (requested by WAL volume)");
        return $"Checkpoints: {seen}; write phase {input.WritePhases.Describe()}";
    }

    /// <summary>Each slot at the last sample and its consumer, as the forecast carries it forward.</summary>
    internal static string Slots(ForecastInput input) =>
        input.Slots.Count == 0 ? "no slots" : string.Join("; ", input.Slots.Select(s => Describe(s, input.First.ServerTime)));

    private static string Describe(SlotAtEnd s, DateTimeOffset firstSample) =>
        $"{s.Name} ({(s.Kind == Simulator.Scenarios.SlotKind.Logical ? "logical" : "physical")}, {s.WalStatus?.ToSql() ?? "no wal_status"}) " + s.Consumer switch
        {
            ConsumerState.KeepsUp when s.StopProbability > 0 => string.Create(CultureInfo.InvariantCulture,
                $"keeps up, {s.TypicalLag} behind, but paused for {ReplayReport.Duration(s.PausedFor)}: does not come back in {s.StopProbability:P0} of the runs ({s.EarlierPauses.Count} of its {s.PausesSeen} earlier pauses lasted as long)"),
            ConsumerState.KeepsUp => $"keeps up, {s.TypicalLag} behind",
            ConsumerState.Stalled when s.NeverMoved && s.StalledSince == firstSample =>
                $"stalled since before the first sample ({ReplayReport.Time(s.StalledSince!.Value)}): inactive, never moved",
            ConsumerState.Stalled when s.NeverMoved =>
                $"stalled since it appeared ({ReplayReport.Time(s.StalledSince!.Value)}): inactive, never moved",
            ConsumerState.Stalled => $"stalled since {ReplayReport.Time(s.StalledSince!.Value)}",
            _ => "already lost",
        };

    public static void WriteResult(TextWriter w, ForecastResult r, ForecastOptions o)
    {
        w.WriteLine();
        w.WriteLine(r.WhatIf == WhatIf.CurrentTrend ? "Under the current trend" : $"What if: {r.WhatIf.Text}");
        var width = Math.Max(11, r.Slots.Select(s => s.Name.Length + 5).DefaultIfEmpty(0).Max());
        if (o.Disk is { } dk) width = Math.Max(width, $"disk {dk.Size}".Length);
        w.WriteLine($"  {"".PadRight(width + 11)} {"p10",10} {"p50",10} {"p90",10} {"runs",6}  {"median-rate run",16}");
        foreach (var s in r.Slots)
        {
            var label = $"slot {s.Name}";
            Row(w, width, label, "extended", s.Extended, s.TypicalRun?.FirstExtended);
            Row(w, width, "", "unreserved", s.Unreserved, s.TypicalRun?.FirstUnreserved);
            Row(w, width, "", "lost", s.Lost, s.TypicalRun?.Lost);
        }
        foreach (var name in r.AlreadyLost) w.WriteLine($"  slot {name}: already lost");
        if (o.Disk is { } disk)
        {
            Row(w, width, $"disk {disk.Size}", "full", r.DiskFull, r.TypicalRun.DiskFull);
            if (disk.ReadOnlyAtFraction is not null) Row(w, width, "", "read-only", r.ReadOnly, r.TypicalRun.ReadOnly);
        }
        var peaks = r.PeakPgWalBytes;
        if (peaks.Count > 0)
            w.WriteLine(string.Create(Inv,
                $"  {"pg_wal peak".PadRight(width + 11)} {peaks[EmpiricalQuantile.Type1Index(peaks.Count, 0.1)],10} {peaks[EmpiricalQuantile.Type1Index(peaks.Count, 0.5)],10} {peaks[EmpiricalQuantile.Type1Index(peaks.Count, 0.9)],10} {peaks.Count,6}  {r.TypicalRun.PeakPgWalBytes,16}"));
    }

    public static void WriteFooter(TextWriter w) =>
        w.WriteLine("""

            p10/p50/p90: the time from now by which 10 %, 50 %, 90 % of the runs reached the status ("-": fewer runs than
            that reached it within the horizon); runs: how many did. A slot's p10 is the pessimistic figure: one run in ten
            loses it sooner.
            """);

    private static void Row(TextWriter w, int width, string label, string what, OutcomeSummary s, SimTime? typical)
    {
        static string D(SimDuration? d) => d is { } v ? ReplayReport.Duration(v.ToTimeSpan()) : "-";
        var seen = s.Runs - s.Never;
        w.WriteLine(string.Create(Inv,
            $"  {label.PadRight(width)} {what,-10} {D(s.Quantile(0.1)),10} {D(s.P50),10} {D(s.P90),10} {seen,6}  {(typical is { IsNever: false } t ? ReplayReport.Duration((t - SimTime.Zero).ToTimeSpan()) : "never"),16}"));
    }
}

/// <summary>Renders a backtest: the forecast from the first part of a trace against what the rest showed.</summary>
public static class BacktestReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter w, string file, BacktestResult b, int runs, int seed)
    {
        static string D(SimDuration? d) => d is { } v ? ReplayReport.Duration(v.ToTimeSpan()) : "never";
        w.WriteLine(string.Create(Inv,
            $"Backtest of {file}: PostgreSQL {b.Input.Version}; forecast from the first {ReplayReport.Duration(b.Split - b.From)} (to {ReplayReport.Time(b.Split)}), compared with the next {ReplayReport.Duration(b.To - b.Split)}"));
        w.WriteLine(string.Create(Inv, $"  walsim: {runs} runs of the workload fitted to the first part (seed {seed}); predict_linear: the line through the last {ReplayReport.Duration(b.LinearWindow.ToTimeSpan())} before the split"));
        foreach (var line in b.Fit.Report.Describe()) w.WriteLine("    " + line);
        w.WriteLine("  " + ForecastReport.Checkpoints(b.Input));
        w.WriteLine(string.Create(Inv, $"  At the split: pg_wal {b.Input.Last.PgWalFiles} files ({b.Input.Last.PgWalBytes}); {ForecastReport.Slots(b.Input)}"));
        var s = b.Size;
        w.WriteLine();
        w.WriteLine($"  {"pg_wal size",-34} {"actual",12} {"walsim (median)",16} {"predict_linear",16}");
        w.WriteLine(string.Create(Inv, $"  {$"mean absolute error ({s.Points} samples)",-34} {"",12} {s.WalsimMae,16} {s.LinearMae,16}"));
        w.WriteLine(string.Create(Inv, $"  {"largest error",-34} {"",12} {s.WalsimMaxError,16} {s.LinearMaxError,16}"));
        w.WriteLine(string.Create(Inv, $"  {"at the end",-34} {s.ActualAtEnd,12} {s.WalsimAtEnd,16} {s.LinearAtEnd,16}"));
        w.WriteLine(string.Create(Inv, $"  {"peak",-34} {s.ActualPeak,12} {s.WalsimPeakP50,16} {"-",16}"));
        w.WriteLine();
        w.WriteLine($"  {"slot",-16} {"event",-11} {"actual",10} {"walsim p50",11} {"p10..p90",20} {"predict_linear",15}");
        foreach (var slot in b.Slots)
        {
            var f = slot.Walsim;
            string Range(OutcomeSummary o) => $"{D(o.Quantile(0.1))}..{D(o.P90)}";
            w.WriteLine($"  {slot.Name,-16} {"unreserved",-11} {D(slot.ActualUnreserved),10} {D(f.Unreserved.P50),11} {Range(f.Unreserved),20} {"",15}");
            w.WriteLine($"  {"",-16} {"lost",-11} {D(slot.ActualLost),10} {D(f.Lost.P50),11} {Range(f.Lost),20} {(slot.HasSafeWalSize ? D(slot.LinearLost) : "n/a"),15}");
        }
        var scored = b.Slots.Where(x => x.Score is not null).ToList();
        if (scored.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"  {"loss scored (s)",-16} {"actual",8} {"p10",8} {"p50",8} {"p90",8} {"in p10-p90",10} {"width",8} {"pinball p10/p50/p90 (mean)",32} {"linear",8} {"pinball",8}");
            foreach (var slot in scored)
            {
                var c = slot.Score!;
                var name = slot.Name + (slot.StoppedAtSplit ? " *" : "");
                w.WriteLine(string.Create(Inv,
                    $"  {name,-16} {c.Actual,8:0} {c.P10,8:0} {c.P50,8:0} {c.P90,8:0} {(c.Covered ? "yes" : "no"),10} {c.Width,8:0} {string.Create(Inv, $"{c.PinballP10:0.0}/{c.PinballP50:0.0}/{c.PinballP90:0.0} ({c.Pinball3:0.0})"),32} {c.Linear,8:0} {c.LinearPinball,8:0.0}"));
            }
            w.WriteLine("  * the consumer had already stopped for good at the split (its slot never moved after it).");
        }
        w.WriteLine("""

              actual and walsim: "never" = not within the rest of the trace. predict_linear for a slot: when the line through
              its safe_wal_size reaches 0 (what an alert on predict_linear(pg_replication_slots_safe_wal_size_bytes[window], t)
              < 0 would say), even beyond the trace; "never" = the line does not fall.
            """);
    }
}

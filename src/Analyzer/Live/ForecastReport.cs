using System.Globalization;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Analyzer.Live;

/// <summary>Renders forecasts: the fit, where each slot stands, then per what-if the time to each status.</summary>
public static class ForecastReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteHeader(TextWriter w, string file, ForecastInput input, WorkloadFit fit, ForecastOptions o)
    {
        w.WriteLine(string.Create(Inv,
            $"Forecast from {file}: PostgreSQL {input.Version}, {input.SegmentSize} segments, from the last sample ({ReplayReport.Time(input.Last.ServerTime)}) for {ReplayReport.Duration(o.Horizon.ToTimeSpan())}"));
        w.WriteLine(string.Create(Inv,
            $"  {o.Runs} runs of the fitted workload (seed {o.Seed}), and one at the fitted median rate{(o.Disk is { } d ? $"; pg_wal volume {d.Size}{(d.ReadOnlyAtFraction is { } f ? $", read-only at {f:P0}" : "")}" : "")}"));
        w.WriteLine(string.Create(Inv, $"Workload fit from {input.Samples:N0} samples:"));
        foreach (var line in fit.Report.Describe()) w.WriteLine("  " + line);
        var slots = input.Slots.Count == 0 ? "no slots" : string.Join("; ", input.Slots.Select(Describe));
        w.WriteLine(string.Create(Inv, $"Now: pg_wal {input.Last.PgWalFiles} files ({input.Last.PgWalBytes}); {slots}"));
    }

    private static string Describe(SlotAtEnd s) =>
        $"{s.Name} ({(s.Kind == Simulator.Scenarios.SlotKind.Logical ? "logical" : "physical")}, {s.WalStatus?.ToSql() ?? "no wal_status"}) " + s.Consumer switch
        {
            ConsumerState.KeepsUp => $"keeps up, {s.TypicalLag} behind",
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

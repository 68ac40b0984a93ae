using Walsim.Analyzer.Comparison;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// <c>walsim whatif</c>'s charts as images: the simulate charts (<see cref="SimulateCharts"/>) with every version of
/// the comparison overlaid — the source, the targets and any fixed minor — labelled as the HTML report labels them
/// (<c>12.22 (from)</c>, <c>13.23 (fixed minor)</c>). The report must have been run with chart data
/// (<see cref="WhatIfAnalysis.Run"/> with <c>charts: true</c>).
/// </summary>
public static class WhatIfCharts
{
    /// <summary>Every chart: pg_wal, then one per slot.</summary>
    /// <exception cref="ArgumentException">The report has no chart data.</exception>
    public static IReadOnlyList<Chart> For(WhatIfReport report) => TimelineCharts.All(Runs(report), Prefix(report));

    /// <summary>The pg_wal chart as a PNG (<see cref="For"/> has every chart).</summary>
    public static byte[] Png(WhatIfReport report, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        TimelineCharts.PgWal(Runs(report), Prefix(report)).Png(width, height);

    /// <summary>The pg_wal chart as SVG (<see cref="For"/> has every chart).</summary>
    public static string Svg(WhatIfReport report, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        TimelineCharts.PgWal(Runs(report), Prefix(report)).Svg(width, height);

    private static string Prefix(WhatIfReport r) => $"what-if {r.Scenario}";

    private static List<ChartRun> Runs(WhatIfReport r)
    {
        if (r.Charts.Count != r.Runs.Count)
            throw new ArgumentException($"the what-if has {r.Runs.Count} runs but chart data for {r.Charts.Count}: run WhatIfAnalysis.Run with charts: true", nameof(r));
        // As report.js's label(): the version the settings are written for, and fixed minors, are marked.
        return r.Charts.Select((v, i) => new ChartRun(v, r.Runs[i].Role switch
        {
            RunRole.Source => $"{v.Label} (from)",
            RunRole.FixedMinor => $"{v.Label} (fixed minor)",
            _ => v.Label,
        })).ToList();
    }
}

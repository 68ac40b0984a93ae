using Walsim.Analyzer.Reports.Html;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// <c>walsim simulate</c>'s charts as images, from what the HTML report draws from (one <see cref="VersionReport"/>
/// per version, collected by <see cref="ReportCollector"/> while the runs stream): <c>pg_wal</c> over time per version
/// against the disk, the read-only threshold and <c>max_slot_wal_keep_size</c>, with slot losses marked; then each
/// slot's retained WAL over time with its <c>wal_status</c> per version.
/// </summary>
public static class SimulateCharts
{
    /// <summary>Every chart of the report, pg_wal first, then one per slot in the order the runs name them.</summary>
    public static IReadOnlyList<Chart> For(IReadOnlyList<VersionReport> versions) =>
        TimelineCharts.All(Runs(versions), Prefix(versions));

    /// <summary>The pg_wal chart as a PNG (<see cref="For"/> has every chart).</summary>
    public static byte[] Png(IReadOnlyList<VersionReport> versions, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        TimelineCharts.PgWal(Runs(versions), Prefix(versions)).Png(width, height);

    /// <summary>The pg_wal chart as SVG (<see cref="For"/> has every chart).</summary>
    public static string Svg(IReadOnlyList<VersionReport> versions, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        TimelineCharts.PgWal(Runs(versions), Prefix(versions)).Svg(width, height);

    private static List<ChartRun> Runs(IReadOnlyList<VersionReport> versions) => versions.Select(v => new ChartRun(v, v.Label)).ToList();

    private static string Prefix(IReadOnlyList<VersionReport> versions) =>
        versions.Count > 0 ? versions[0].Result.Scenario.Name : "walsim";
}

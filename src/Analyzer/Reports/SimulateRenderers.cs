using Walsim.Analyzer.Reports.Charts;
using Walsim.Analyzer.Reports.Html;

namespace Walsim.Analyzer.Reports;

/// <summary>What <c>walsim simulate</c> reports: a scenario's run on each version.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Results">Each version's run, in order.</param>
/// <param name="Charts">What the page draws for each run (a downsampled timeline, checkpoints, log events), collected
/// while the runs streamed; empty unless a page or chart images were asked for.</param>
public sealed record SimulateReport(Scenario Scenario, IReadOnlyList<SimulationResult> Results, IReadOnlyList<VersionReport> Charts);

/// <summary>
/// The formats of <c>walsim simulate</c>'s report: the summary on stdout (<see cref="SummaryWriter"/>), the HTML
/// page with its numbers beside it (<see cref="HtmlReport"/>) and the charts as images (<c>--png</c>, <c>--svg</c>). The per-version timeline and events CSV files are
/// streamed while the engine runs (<see cref="CsvReportObserver"/>), not rendered from the report.
/// </summary>
public static class SimulateRenderers
{
    /// <summary>The view for people: a block per version (<c>walsim simulate</c> prints each as its run finishes).</summary>
    public static readonly TextRenderer<SimulateReport> Table = new("table", "txt", (w, r) =>
    {
        foreach (var result in r.Results) SummaryWriter.WriteTable(w, result);
    }, "a table");

    public static readonly TextRenderer<SimulateReport> Csv = new("csv", "csv", (w, r) => SummaryWriter.WriteCsv(w, r.Results), "CSV (a row per version)");

    public static readonly TextRenderer<SimulateReport> Json = new("json", "json", (w, r) => SummaryWriter.WriteJson(w, r.Scenario.Name, r.Results), "JSON");

    public static readonly TextRenderer<SimulateReport> Html = new("html", "html", (w, r) => HtmlReport.Write(w, r.Scenario, r.Charts), stdout: false);

    /// <summary>The page's numbers (<see cref="ReportJson"/>), written beside it as <c>report.json</c>.</summary>
    public static readonly BinaryRenderer<SimulateReport> Data = new("data", "json", (s, r) => s.Write(ReportJson.ToUtf8(r.Scenario, r.Charts, indented: true)));

    /// <summary>The charts as images: pg_wal, then one per slot, every version overlaid (<see cref="SimulateCharts"/>, from <see cref="SimulateReport.Charts"/>).</summary>
    public static readonly ChartRenderer<SimulateReport> Png = new(ChartRenderer.Png, r => SimulateCharts.For(r.Charts));

    public static readonly ChartRenderer<SimulateReport> Svg = new(ChartRenderer.Svg, r => SimulateCharts.For(r.Charts));

    public static readonly RendererRegistry<SimulateReport> Registry = new("report", [Table, Csv, Json, Html, Data, Png, Svg], page: [Html.Name, Data.Name]);
}

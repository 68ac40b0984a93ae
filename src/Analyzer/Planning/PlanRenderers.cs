using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Charts;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>What <c>walsim plan</c> reports: the plan and what it was made from.</summary>
public sealed record PlanReport(PlanSource Source, PlanResult Plan);

/// <summary>
/// The formats of <c>walsim plan</c>: what <c>--format</c> prints, what <c>--out DIR</c> writes (plan.md with its
/// charts as PNG, plan.csv, plan.json, complete or not at all), the page <c>--html</c> writes and the images
/// <c>--png</c> and <c>--svg</c> write.
/// </summary>
public static class PlanRenderers
{
    public static readonly TextRenderer<PlanReport> Table = new("table", "txt", (w, r) => PlanWriter.WriteTable(w, r.Source, r.Plan), "a table");

    public static readonly TextRenderer<PlanReport> Markdown = new("markdown", "md", (w, r) => PlanWriter.WriteMarkdown(w, r.Source, r.Plan), "Markdown (a pull-request comment)");

    public static readonly TextRenderer<PlanReport> Csv = new("csv", "csv", (w, r) => PlanWriter.WriteCsv(w, r.Plan), "CSV (one row per slot, cap and outage)");

    public static readonly TextRenderer<PlanReport> Json = new("json", "json", (w, r) => PlanWriter.WriteJson(w, r.Source, r.Plan), "JSON");

    public static readonly TextRenderer<PlanReport> Html = new("html", "html", (w, r) => PlanHtmlReport.Write(w, r.Source, r.Plan), stdout: false);

    /// <summary>The charts as images: per slot, the longest outage survived against the cap and the P(slot lost) heatmap (<see cref="PlanCharts"/>).</summary>
    public static readonly ChartRenderer<PlanReport> Png = new(ChartRenderer.Png, r => PlanCharts.For(r.Plan));

    public static readonly ChartRenderer<PlanReport> Svg = new(ChartRenderer.Svg, r => PlanCharts.For(r.Plan));

    /// <summary>plan.md as <c>--out</c> writes it: the Markdown, then the PNG charts written beside it.</summary>
    public static readonly TextRenderer<PlanReport> MarkdownWithCharts = new("markdown-with-charts", "md", (w, r) =>
    {
        PlanWriter.WriteMarkdown(w, r.Source, r.Plan);
        ChartRenderer.WriteMarkdownImages(w, BaseName, Png.Charts(r));
    }, stdout: false);

    private const string BaseName = "plan";

    public static readonly RendererRegistry<PlanReport> Registry = new(BaseName, [Table, Markdown, Csv, Json, Html, MarkdownWithCharts, Png, Svg],
        outFiles: [MarkdownWithCharts.Name, Csv.Name, Json.Name, Png.Name], page: [Html.Name]);
}

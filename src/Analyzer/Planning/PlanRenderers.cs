using Walsim.Analyzer.Reports;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>What <c>walsim plan</c> reports: the plan and what it was made from.</summary>
public sealed record PlanReport(PlanSource Source, PlanResult Plan);

/// <summary>
/// The formats of <c>walsim plan</c>: what <c>--format</c> prints, what <c>--out DIR</c> writes (plan.md, plan.csv,
/// plan.json, complete or not at all) and the page <c>--html</c> writes.
/// </summary>
public static class PlanRenderers
{
    public static readonly TextRenderer<PlanReport> Table = new("table", "txt", (w, r) => PlanWriter.WriteTable(w, r.Source, r.Plan), "a table");

    public static readonly TextRenderer<PlanReport> Markdown = new("markdown", "md", (w, r) => PlanWriter.WriteMarkdown(w, r.Source, r.Plan), "Markdown (a pull-request comment)");

    public static readonly TextRenderer<PlanReport> Csv = new("csv", "csv", (w, r) => PlanWriter.WriteCsv(w, r.Plan), "CSV (one row per slot, cap and outage)");

    public static readonly TextRenderer<PlanReport> Json = new("json", "json", (w, r) => PlanWriter.WriteJson(w, r.Source, r.Plan), "JSON");

    public static readonly TextRenderer<PlanReport> Html = new("html", "html", (w, r) => PlanHtmlReport.Write(w, r.Source, r.Plan), stdout: false);

    public static readonly RendererRegistry<PlanReport> Registry =
        new("plan", [Table, Markdown, Csv, Json, Html], outFiles: [Markdown.Name, Csv.Name, Json.Name], page: [Html.Name]);
}

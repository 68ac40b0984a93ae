using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Charts;

namespace Walsim.Analyzer.Comparison;

/// <summary><c>walsim whatif --sync</c>'s report: one version, a run per slot synchronization mechanism.</summary>
public sealed record SyncReport(Scenario Scenario, PgVersion Version, IReadOnlyList<SyncRun> Runs);

/// <summary>
/// The formats of <c>walsim whatif</c>: what <c>--format</c> prints, what <c>--out DIR</c> writes (whatif.md with
/// its charts as PNG, whatif.json, whatif.csv, complete or not at all), the page <c>--html</c> writes and the images
/// <c>--png</c> and <c>--svg</c> write. The table, the Markdown and the
/// page lay out the same rows; the JSON and CSV hold the exact numbers.
/// </summary>
public static class WhatIfRenderers
{
    public static readonly TextRenderer<WhatIfReport> Table = new("table", "txt", WhatIfWriter.WriteTable, "a table");

    public static readonly TextRenderer<WhatIfReport> Markdown = new("markdown", "md", WhatIfWriter.WriteMarkdown, "Markdown (short enough for a pull-request comment)");

    public static readonly TextRenderer<WhatIfReport> Json = new("json", "json", WhatIfWriter.WriteJson, "JSON");

    /// <summary>whatif.csv: files only, as before <c>--format</c> had a registry (the help lists the same choices).</summary>
    public static readonly TextRenderer<WhatIfReport> Csv = new("csv", "csv", WhatIfWriter.WriteCsv, stdout: false);

    public static readonly TextRenderer<WhatIfReport> Html = new("html", "html", WhatIfHtml.Write, stdout: false);

    /// <summary>The charts as images: pg_wal, then one per slot, every run overlaid (<see cref="WhatIfCharts"/>; the
    /// report must carry chart data).</summary>
    public static readonly ChartRenderer<WhatIfReport> Png = new(ChartRenderer.Png, WhatIfCharts.For);

    public static readonly ChartRenderer<WhatIfReport> Svg = new(ChartRenderer.Svg, WhatIfCharts.For);

    /// <summary>whatif.md as <c>--out</c> writes it: the Markdown, then the PNG charts written beside it.</summary>
    public static readonly TextRenderer<WhatIfReport> MarkdownWithCharts = new("markdown-with-charts", "md", (w, r) =>
    {
        WhatIfWriter.WriteMarkdown(w, r);
        ChartRenderer.WriteMarkdownImages(w, BaseName, Png.Charts(r));
    }, stdout: false);

    private const string BaseName = "whatif";

    public static readonly RendererRegistry<WhatIfReport> Registry = new(BaseName, [Table, Markdown, Json, Csv, Html, MarkdownWithCharts, Png, Svg],
        outFiles: [MarkdownWithCharts.Name, Json.Name, Csv.Name, Png.Name], page: [Html.Name]);

    /// <summary><c>--sync</c>: the same <c>--format</c> names (a test keeps them in step with <see cref="Registry"/>).</summary>
    public static readonly RendererRegistry<SyncReport> Sync = new("sync",
    [
        new TextRenderer<SyncReport>("table", "txt", (w, r) => SyncComparison.WriteTable(w, r.Scenario, r.Version, r.Runs), "a table"),
        new TextRenderer<SyncReport>("markdown", "md", (w, r) => SyncComparison.WriteMarkdown(w, r.Scenario, r.Version, r.Runs), "Markdown"),
        new TextRenderer<SyncReport>("json", "json", (w, r) => SyncComparison.WriteJson(w, r.Scenario, r.Version, r.Runs), "JSON"),
    ]);
}

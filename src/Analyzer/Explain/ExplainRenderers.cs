using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Explain;

/// <summary>The formats of <c>walsim explain</c> (one report per node): what <c>--format</c> prints and what
/// <c>--out DIR</c> writes (explain.md, explain.json).</summary>
public static class ExplainRenderers
{
    public static readonly TextRenderer<IReadOnlyList<ExplainReport>> Table = new("table", "txt", ExplainWriter.WriteTable, "a table");

    public static readonly TextRenderer<IReadOnlyList<ExplainReport>> Markdown = new("markdown", "md", ExplainWriter.WriteMarkdown, "Markdown (a pull-request comment)");

    public static readonly TextRenderer<IReadOnlyList<ExplainReport>> Json = new("json", "json", ExplainWriter.WriteJson, "JSON (every file with its reason)");

    public static readonly RendererRegistry<IReadOnlyList<ExplainReport>> Registry = new("explain", [Table, Markdown, Json],
        outFiles: [Markdown.Name, Json.Name]);
}

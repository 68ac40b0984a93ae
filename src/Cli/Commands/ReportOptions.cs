namespace Walsim.Cli.Commands;

/// <summary>
/// Where a report goes, as whatif and plan take it: <c>--format</c> (stdout, one of the report's printable renderers),
/// <c>--out DIR</c> (every file of the report), <c>--html [FILE]</c>, and its charts as images
/// (<see cref="ChartOptions"/>; <c>--out</c> writes them anyway, shown in the Markdown). Built from the report's
/// <see cref="RendererRegistry{TReport}"/>, so that the formats offered and the files named are the registry's.
/// </summary>
internal sealed class ReportOptions
{
    private ReportOptions(Option<string> format, Option<string> outDir, Option<string> html, ChartOptions charts) =>
        (Format, OutDir, Html, Charts) = (format, outDir, html, charts);

    public Option<string> Format { get; }
    public Option<string> OutDir { get; }
    public Option<string> Html { get; }
    public ChartOptions Charts { get; }

    /// <summary>The options in the order the help lists them.</summary>
    public IEnumerable<Option> All => [Format, OutDir, Html, Charts.Png, Charts.Svg, Charts.Size];

    /// <param name="registry">The report's renderers: <c>--format</c>'s choices, the Markdown file the charts are shown in.</param>
    /// <param name="printed">What <c>--format</c> prints, for the help: "the plan".</param>
    /// <param name="outDir">What <c>--out</c> writes, for the help.</param>
    /// <param name="html">What the HTML page shows and its default file, for the help.</param>
    /// <param name="charts">The charts' files and where they go, for the help (see <see cref="ChartOptions.Create"/>).</param>
    public static ReportOptions Create<TReport>(RendererRegistry<TReport> registry, string printed, string outDir, string html, string charts) =>
        new(CliOptions.Format(registry, $"How {printed} is printed on stdout: {registry.DescribePrintable()}."),
            CliOptions.OutDir(outDir),
            CliOptions.HtmlPage(html),
            ChartOptions.Create(charts, $" --out writes them anyway, shown in {registry.BaseName}.md."));

    /// <summary><c>--html</c>'s file: "" for <c>--html</c> alone (the report's default file), null without it.</summary>
    public string? HtmlPath(ParseResult r) => r.GetResult(Html) is null ? null : r.GetValue(Html) ?? "";
}

using System.Text;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>What the chart formats of every report share: their names and how their files are named and linked.</summary>
public static class ChartRenderer
{
    public const string Png = "png";
    public const string Svg = "svg";

    /// <summary>
    /// A chart's file beside the report's other files: <c>BASE.CHART.EXTENSION</c> (whatif.pg-wal.png,
    /// plan.survival-1-cdc.svg). A report's chart names are unique and file-safe (<see cref="Chart.Name"/>).
    /// </summary>
    public static string FileName(string baseName, Chart chart, string extension) => $"{baseName}.{chart.FileName(extension)}";

    /// <summary>
    /// The charts as Markdown images, each in its own paragraph, linking the files written beside the Markdown
    /// (<c>![what-if …: pg_wal over time](whatif.pg-wal.png)</c>): how <c>--out</c>'s Markdown shows them.
    /// </summary>
    public static void WriteMarkdownImages(TextWriter w, string baseName, IReadOnlyList<Chart> charts, string extension = Png)
    {
        foreach (var chart in charts)
        {
            w.WriteLine();
            w.WriteLine($"![{AltText(chart.Title)}]({FileName(baseName, chart, extension)})");
        }
    }

    /// <summary>A title as an image's alt text: plain text, whatever the scenario or slot is called (no markup, no link).</summary>
    private static string AltText(string title)
    {
        var s = new StringBuilder(title.Length);
        for (var i = 0; i < title.Length; i++)
        {
            var c = title[i];
            // An underscore within a word (pg_wal) cannot start emphasis: it stays readable as written.
            var inWord = c == '_' && i > 0 && i < title.Length - 1 && char.IsLetterOrDigit(title[i - 1]) && char.IsLetterOrDigit(title[i + 1]);
            if (c is '\\' or '[' or ']' or '*' or '`' or '<' or '>' or '&' or '!' || (c == '_' && !inWord)) s.Append('\\');
            s.Append(char.IsControl(c) ? ' ' : c);
        }
        return s.ToString();
    }
}

/// <summary>
/// A report's charts as images (<see cref="ChartRenderer.Png"/> or <see cref="ChartRenderer.Svg"/>), one file per
/// chart — the report's registry names them <c>BASE.CHART.EXTENSION</c> (<see cref="RendererRegistry{TReport}.Files(TReport, string?, string?, string, ChartOutput?)"/>).
/// Files only. Drawn at <see cref="Size"/>; SVG is deterministic (<see cref="ChartStyle"/>), PNG is pixels.
/// </summary>
/// <typeparam name="TReport">The report the charts are drawn from.</typeparam>
public sealed class ChartRenderer<TReport> : IRenderer<TReport>
{
    private readonly Func<TReport, IReadOnlyList<Chart>> _charts;

    /// <param name="format"><see cref="ChartRenderer.Png"/> or <see cref="ChartRenderer.Svg"/>: the format's name and extension.</param>
    /// <param name="charts">The report's charts, in the order they are written and linked (<c>WhatIfCharts.For</c> …).</param>
    /// <param name="size">The images' size; null = <see cref="ChartSize.Default"/>.</param>
    public ChartRenderer(string format, Func<TReport, IReadOnlyList<Chart>> charts, ChartSize? size = null)
    {
        if (format is not (ChartRenderer.Png or ChartRenderer.Svg)) throw new ArgumentException($"a chart is drawn as png or svg, not {format}", nameof(format));
        Name = format;
        _charts = charts;
        Size = size ?? ChartSize.Default;
    }

    public string Name { get; }
    public string Extension => Name;
    public bool Stdout => false;
    public ChartSize Size { get; }

    /// <summary>The same format at another size (<c>--chart-size</c>).</summary>
    public ChartRenderer<TReport> WithSize(ChartSize size) => size == Size ? this : new(Name, _charts, size);

    public IReadOnlyList<Chart> Charts(TReport report) => _charts(report);

    /// <summary>One renderer per chart of <paramref name="report"/>, each drawing that chart alone, with the chart's name.</summary>
    public IReadOnlyList<(Chart Chart, IRenderer<TReport> Renderer)> PerChart(TReport report) =>
        [.. Charts(report).Select((c, i) => (c, (IRenderer<TReport>)new OneChart(this, i, c.Name)))];

    /// <summary>The report as a single image: its first chart (pg_wal; a plan's first survival chart). <see cref="PerChart"/> has them all.</summary>
    public void Render(TReport report, Stream output) => Draw(Charts(report)[0], output);

    private void Draw(Chart chart, Stream output)
    {
        if (Name == ChartRenderer.Png)
        {
            output.Write(chart.Png(Size.Width, Size.Height));
            return;
        }
        using var writer = AtomicFile.NewTextWriter(output);
        writer.Write(chart.Svg(Size.Width, Size.Height));
    }

    /// <summary>Chart <paramref name="index"/> of the report it is given, which must be the one it was made for.</summary>
    private sealed class OneChart(ChartRenderer<TReport> format, int index, string name) : IRenderer<TReport>
    {
        public string Name => format.Name;
        public string Extension => format.Extension;
        public bool Stdout => false;

        public void Render(TReport report, Stream output)
        {
            var charts = format.Charts(report);
            if (index >= charts.Count || charts[index].Name != name)
                throw new ArgumentException($"the report has no chart {name} at {index + 1}: render each report's own charts", nameof(report));
            format.Draw(charts[index], output);
        }
    }
}

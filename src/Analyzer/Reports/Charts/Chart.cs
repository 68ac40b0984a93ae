using ScottPlot;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// One chart of a report, ready to draw at any size: a PNG for a pull request or a ticket, or SVG text. Each call
/// builds the plot afresh from the report's numbers, so a chart is a pure function of its input and the size asked
/// for (the same input gives byte-identical SVG; see <see cref="ChartStyle"/> for the font that makes it so).
/// </summary>
public sealed class Chart
{
    private readonly Func<int, int, Plot> _build;

    internal Chart(string name, string title, Func<int, int, Plot> build)
    {
        Name = name;
        Title = title;
        _build = build;
    }

    /// <summary>
    /// A short file-name stem, unique within one report and safe on every file system: <c>pg-wal</c>,
    /// <c>slot-1-rep1</c>, <c>survival-1-standby1</c>, <c>p-slot-lost-1-standby1</c>.
    /// </summary>
    public string Name { get; }

    /// <summary>The chart's title as drawn on it (and usable as an image's alt text).</summary>
    public string Title { get; }

    /// <summary>The file name for this chart with <paramref name="extension"/> (<c>png</c> or <c>svg</c>), e.g. <c>pg-wal.png</c>.</summary>
    public string FileName(string extension) => $"{Name}.{extension.TrimStart('.')}";

    /// <summary>The chart as a PNG of exactly <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public byte[] Png(int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        ChartStyle.Png(_build(CheckSize(width, height), height), width, height);

    /// <summary>The chart as a standalone SVG document of <paramref name="width"/> × <paramref name="height"/>.</summary>
    public string Svg(int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        ChartStyle.Svg(_build(CheckSize(width, height), height), width, height);

    public override string ToString() => $"{Name}: {Title}";

    private static int CheckSize(int width, int height)
    {
        // Below this the axes, title and legend leave no room for data.
        ArgumentOutOfRangeException.ThrowIfLessThan(width, ChartStyle.MinWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, ChartStyle.MinHeight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, ChartStyle.MaxSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, ChartStyle.MaxSide);
        return width;
    }
}

using System.Globalization;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>A chart image's size in pixels, as <c>--chart-size</c> takes it: <c>1000x500</c>.</summary>
public readonly record struct ChartSize(int Width, int Height)
{
    public static readonly ChartSize Default = new(ChartStyle.DefaultWidth, ChartStyle.DefaultHeight);

    /// <summary>What a size must be: the smallest the axes, title and legend leave room for data in, the largest sensible.</summary>
    public static string Range => $"from {ChartStyle.MinWidth}x{ChartStyle.MinHeight} to {ChartStyle.MaxSide}x{ChartStyle.MaxSide}";

    /// <summary>Parses <c>WIDTHxHEIGHT</c> (<c>1000x500</c>, also with <c>X</c> or <c>×</c>), each within <see cref="Range"/>.</summary>
    public static bool TryParse(string text, out ChartSize size)
    {
        size = default;
        var parts = text.Trim().Split(['x', 'X', '×']);
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || w < ChartStyle.MinWidth || h < ChartStyle.MinHeight || w > ChartStyle.MaxSide || h > ChartStyle.MaxSide)
            return false;
        size = new ChartSize(w, h);
        return true;
    }

    public override string ToString() => $"{Width.ToString(CultureInfo.InvariantCulture)}x{Height.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The chart images a command writes besides its reports (<c>--png</c>, <c>--svg</c>), one file per chart, and their
/// size (<c>--chart-size</c>). <see cref="RendererRegistry{TReport}.Files(TReport, string?, string?, string, ChartOutput?)"/> adds them to the set written atomically.
/// </summary>
/// <param name="Formats">Format names of the report's registry: <c>png</c>, <c>svg</c>.</param>
/// <param name="Size">Every image's size, those <c>--out</c> writes too.</param>
public sealed record ChartOutput(IReadOnlyList<string> Formats, ChartSize Size)
{
    public static readonly ChartOutput None = new([], ChartSize.Default);

    public static ChartOutput Of(bool png, bool svg, ChartSize size) =>
        new([.. png ? new[] { ChartRenderer.Png } : [], .. svg ? new[] { ChartRenderer.Svg } : []], size);

    /// <summary>Whether any image is asked for: the report must then carry its chart data.</summary>
    public bool Any => Formats.Count > 0;
}

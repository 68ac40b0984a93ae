using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// What every chart shares: the font, the colours (those of the HTML report, report.js), sizes, and how a plot
/// becomes PNG bytes or SVG text.
/// <para>
/// Determinism: ScottPlot measures text with the typeface it is given and writes each glyph's position into the SVG,
/// so the SVG is byte-identical only if every machine measures with the same font file. Fonts found by family name
/// depend on what is installed (with fonts-dejavu-extra, "DejaVu Sans" may resolve to a condensed or light face), so
/// the one face used is loaded from its file, DejaVu Sans Book from Debian's fonts-dejavu-core. Tick labels are
/// formatted here with the invariant culture, never by ScottPlot.
/// </para>
/// </summary>
public static partial class ChartStyle
{
    public const int DefaultWidth = 1000;
    public const int DefaultHeight = 500;
    public const int MinWidth = 320;
    public const int MinHeight = 200;
    public const int MaxSide = 8000;

    /// <summary>The family name charts register their font under; the SVG names it in <c>font-family</c>.</summary>
    public const string FontFamily = "DejaVu Sans";

    /// <summary>Where Debian's (and Ubuntu's) fonts-dejavu-core puts the face, then Fedora's dejavu-sans-fonts.</summary>
    public static readonly IReadOnlyList<string> FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    ];

    internal static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // report.js's palette, status colours and limit lines, so a chart pasted beside the HTML report reads the same.
    internal static readonly Color[] Palette =
        new[] { "#1f6fb4", "#7b3fa0", "#15917f", "#a0522d", "#c2185b", "#6b8e23", "#555555" }.Select(Color.FromHex).ToArray();

    internal static readonly Color Reserved = Color.FromHex("#66bb6a");
    internal static readonly Color Extended = Color.FromHex("#f2c12e");
    internal static readonly Color Unreserved = Color.FromHex("#f28c28");
    internal static readonly Color Lost = Color.FromHex("#d32f2f");
    internal static readonly Color NoStatus = Color.FromHex("#e4e4e4");
    internal static readonly Color Disk = Color.FromHex("#000000");
    internal static readonly Color ReadOnly = Color.FromHex("#8d6e63");
    internal static readonly Color Cap = Color.FromHex("#9c27b0");
    internal static readonly Color Failover = Color.FromHex("#333333");
    internal static readonly Color Text = Color.FromHex("#222222");
    internal static readonly Color Muted = Color.FromHex("#666666");

    internal const float TitleSize = 16;
    internal const float LabelSize = 13;
    internal const float TickSize = 12;
    internal const float NoteSize = 11;

    // Versions that decide alike draw the same line: every series after the first is dashed, so a line drawn over
    // another still shows both colours (as in report.js).
    private static readonly LinePattern[] Dashes =
    [
        LinePattern.Solid,
        new([10, 5], 0, "dash"),
        new([4, 4], 0, "short dash"),
        new([14, 4, 3, 4], 0, "dash dot"),
    ];

    internal static Color ColorOf(int i) => Palette[i % Palette.Length];

    internal static LinePattern DashOf(int i) => i == 0 ? Dashes[0] : Dashes[1 + (i - 1) % (Dashes.Length - 1)];

    internal static readonly LinePattern DashedLine = new([8, 4], 0, "limit dash");
    internal static readonly LinePattern DottedLine = new([2, 3], 0, "limit dot");
    internal static readonly LinePattern MarkerLine = new([4, 3], 0, "marker dash");

    private static readonly Lock FontLock = new();
    private static string? _fontFile;

    /// <summary>The font file in use; registers it with ScottPlot on first use.</summary>
    /// <exception cref="InvalidOperationException">No DejaVu Sans file is installed.</exception>
    public static string FontFile
    {
        get
        {
            lock (FontLock)
            {
                if (_fontFile is not null) return _fontFile;
                var file = FontFiles.FirstOrDefault(File.Exists)
                    ?? throw new InvalidOperationException(
                        $"charts need the DejaVu Sans font, looked for at {string.Join(" and ", FontFiles)} " +
                        "(Debian and Ubuntu: apt-get install fonts-dejavu-core)");
                Fonts.AddFontFile(FontFamily, file, bold: false, italic: false);
                _fontFile = file;
                return file;
            }
        }
    }

    /// <summary>A white plot with the chart font everywhere, a title and axis labels.</summary>
    internal static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        _ = FontFile;
        var plot = new Plot();
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Axes.Title.Label.Text = title;
        plot.Axes.Title.Label.FontSize = TitleSize;
        plot.Axes.Title.Label.Bold = false;
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.Axes.Left.Label.Text = yLabel;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = LabelSize;
            axis.Label.Bold = false;
            axis.Label.ForeColor = Text;
            axis.TickLabelStyle.FontSize = TickSize;
            axis.TickLabelStyle.ForeColor = Text;
        }
        plot.Grid.MajorLineColor = Color.FromHex("#000000").WithAlpha(0.08);
        return plot;
    }

    /// <summary>The legend as a band under the chart, so it never hides a line.</summary>
    internal static void LegendBelow(Plot plot)
    {
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = NoteSize + 1;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.ShadowOffset = new PixelOffset(0, 0);
        plot.Legend.SetBestFontOnEachRender = false;
    }

    /// <summary>A label in data coordinates, in the chart font.</summary>
    internal static ScottPlot.Plottables.Text Label(Plot plot, string text, double x, double y, Color color, Alignment alignment,
        float offsetX = 0, float offsetY = 0, float size = NoteSize, bool background = true)
    {
        var t = plot.Add.Text(text, x, y);
        t.LabelStyle.ForeColor = color;
        t.LabelStyle.FontSize = size;
        t.Alignment = alignment;
        t.OffsetX = offsetX;
        t.OffsetY = offsetY;
        // Readable over grid lines and series.
        if (background) t.LabelStyle.BackgroundColor = Colors.White.WithAlpha(0.8);
        return t;
    }

    /// <summary>
    /// Held while a plot is laid out or drawn: ScottPlot keeps process-wide state (its font cache and resolvers, the SVG
    /// writer's clip-path counter), and charts are drawn in milliseconds, so one at a time costs nothing.
    /// </summary>
    private static readonly Lock RenderLock = new();

    /// <summary>Lays the plot out at this size without drawing it: where the data area falls (to size things in pixels).</summary>
    internal static PixelRect Layout(Plot plot, int width, int height)
    {
        lock (RenderLock)
        {
            ApplyFont(plot);
            plot.RenderInMemory(width, height);
            return plot.LastRender.DataRect;
        }
    }

    /// <summary>Every label of the plot in the chart font, set last so that nothing added later keeps ScottPlot's default.</summary>
    private static void ApplyFont(Plot plot)
    {
        plot.Font.Set(FontFamily);
        plot.Legend.FontName = FontFamily;
        foreach (var t in plot.GetPlottables<ScottPlot.Plottables.Text>()) t.LabelStyle.FontName = FontFamily;
        foreach (var item in plot.Legend.ManualItems) item.LabelStyle.FontName = FontFamily;
    }

    internal static byte[] Png(Plot plot, int width, int height)
    {
        lock (RenderLock)
        {
            ApplyFont(plot);
            return plot.GetImageBytes(width, height, ImageFormat.Png);
        }
    }

    internal static string Svg(Plot plot, int width, int height)
    {
        string svg;
        lock (RenderLock)
        {
            ApplyFont(plot);
            svg = plot.GetSvgXml(width, height).ReplaceLineEndings("\n").TrimEnd('\n') + "\n";
        }
        // SKSvgCanvas names clip paths from a process-wide counter (cl_4, then cl_1d in the next chart drawn):
        // renumber them in document order, so the text depends only on the chart.
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return ClipId().Replace(svg, m =>
        {
            if (!ids.TryGetValue(m.Value, out var id)) ids[m.Value] = id = "cl_" + (ids.Count + 1).ToString(Inv);
            return id;
        });
    }

    // Only in id="…" and url(#…): a slot named cl_1 in a <text> stays as it is (quotes there are escaped).
    [GeneratedRegex(@"(?<=id=""|url\(#)cl_[0-9a-f]+(?=["")])")]
    private static partial Regex ClipId();
}

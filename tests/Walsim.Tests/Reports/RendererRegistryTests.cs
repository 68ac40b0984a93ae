using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Charts;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary>The registry the commands read their formats from, and the files it hands to <see cref="AtomicFile"/>.</summary>
public sealed class RendererRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-registry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TextRenderer<string> Table = new("table", "txt", (w, s) => w.WriteLine($"| {s} |"), "a table");
    private static readonly TextRenderer<string> Markdown = new("markdown", "md", (w, s) => w.WriteLine($"**{s}** — ünïcode"), "Markdown (a comment)");
    private static readonly TextRenderer<string> Json = new("json", "json", (w, s) => w.WriteLine($"{{\"s\": \"{s}\"}}"), "JSON");
    private static readonly TextRenderer<string> Html = new("html", "html", (w, s) => w.Write($"<p>{s}</p>"), stdout: false);
    private static readonly BinaryRenderer<string> Png = new("png", "png", (o, s) => o.Write([0x89, (byte)'P', (byte)'N', (byte)'G', (byte)s.Length]));

    private static RendererRegistry<string> Registry() =>
        new("report", [Table, Markdown, Json, Html, Png], outFiles: ["markdown", "json", "png"], page: ["html"]);

    [Fact]
    public void Stdout_offers_the_text_formats_in_order_the_first_by_default_and_names_them_for_the_help()
    {
        var registry = Registry();
        Assert.Equal(["table", "markdown", "json"], registry.StdoutNames);
        Assert.Same(Table, registry.Default);
        Assert.Equal("a table, Markdown (a comment) or JSON", registry.DescribePrintable());
        Assert.Null(registry.FindPrintable("png"));
        Assert.Throws<ArgumentException>(() => registry.GetPrintable("html"));
    }

    [Fact]
    public void A_format_named_twice_or_bytes_on_stdout_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RendererRegistry<string>("r", [Table, Table]));
        Assert.Throws<ArgumentException>(() => new RendererRegistry<string>("r", [Table], outFiles: ["csv"]));
        var bytesOnStdout = new StdoutBytes();
        Assert.Throws<ArgumentException>(() => new RendererRegistry<string>("r", [bytesOnStdout]));
    }

    [Fact]
    public void Out_writes_base_dot_extension_and_the_page_goes_where_asked_or_beside_them()
    {
        var registry = Registry();
        var outDir = Path.Combine(_dir, "out");
        Assert.Equal([Path.Combine(outDir, "report.md"), Path.Combine(outDir, "report.json"), Path.Combine(outDir, "report.png")],
            registry.Files(outDir, null, "elsewhere").Select(f => f.Path));
        Assert.Equal(Path.Combine(outDir, "report.html"), registry.Files(outDir, "", "elsewhere").Last().Path);
        Assert.Equal([Path.Combine("elsewhere", "report.html")], registry.Files(null, "", "elsewhere").Select(f => f.Path));
        Assert.Equal(["page.htm"], registry.Files(null, "page.htm", "elsewhere").Select(f => f.Path));
    }

    [Fact]
    public void Text_and_bytes_are_written_together_as_utf8_without_a_byte_order_mark()
    {
        var registry = Registry();
        var written = AtomicFile.WriteAll("x|y", registry.Files(_dir, "", _dir));

        Assert.Equal(["report.md", "report.json", "report.png", "report.html"], written.Select(Path.GetFileName));
        Assert.Equal("**x|y** — ünïcode\n"u8.ToArray(), File.ReadAllBytes(Path.Combine(_dir, "report.md")));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 3 }, File.ReadAllBytes(Path.Combine(_dir, "report.png")));
        var stdout = new StringWriter { NewLine = "\n" };
        registry.GetPrintable("markdown").Render("x|y", stdout);
        Assert.Equal("**x|y** — ünïcode\n", stdout.ToString());
    }

    [Fact]
    public void A_renderer_that_fails_leaves_every_file_of_the_set_as_it_was()
    {
        File.WriteAllText(Path.Combine(_dir, "report.md"), "old");
        var failing = new BinaryRenderer<string>("png", "png", (o, _) => { o.WriteByte(1); throw new InvalidOperationException("no font"); });
        var registry = new RendererRegistry<string>("report", [Markdown, Json, failing], outFiles: ["markdown", "json", "png"]);

        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteAll("new", registry.Files(_dir, null, _dir)));
        Assert.Equal("old", File.ReadAllText(Path.Combine(_dir, "report.md")));
        Assert.Equal(["report.md"], Directory.GetFiles(_dir).Select(Path.GetFileName)); // no report.json, no temporary file
    }

    /// <summary>A report of one chart per word ("a b": charts a and b), each an empty plot with its title.</summary>
    private static IReadOnlyList<Chart> Words(string report) =>
        [.. report.Split(' ').Select(w => new Chart(w, $"chart {w}", (_, _) => w == "broken" ? throw new InvalidOperationException("no font") : ChartStyle.NewPlot($"chart {w}", "x", "y")))];

    private static readonly ChartRenderer<string> ChartPng = new(ChartRenderer.Png, Words);
    private static readonly ChartRenderer<string> ChartSvg = new(ChartRenderer.Svg, Words);

    private static RendererRegistry<string> WithCharts() =>
        new("report", [Markdown, Json, Html, ChartPng, ChartSvg], outFiles: ["markdown", "png", "json"], page: ["html"]);

    [Fact]
    public void Charts_are_a_file_each_named_base_chart_extension_after_the_reports_and_the_page()
    {
        var registry = WithCharts();
        var (outDir, pageDir) = (Path.Combine(_dir, "out"), Path.Combine(_dir, "page"));
        string In(string dir, params string[] names) => string.Join(" ", names.Select(n => Path.Combine(dir, n)));
        string Listed(IEnumerable<(string Path, IRenderer<string> Renderer)> files) => string.Join(" ", files.Select(f => f.Path));

        // --out: the reports, the page, then the charts --out writes, then those asked for (png is not written twice).
        Assert.Equal(In(outDir, "report.md", "report.json", "report.html", "report.a.png", "report.b.png", "report.a.svg", "report.b.svg"),
            Listed(registry.Files("a b", outDir, "", pageDir, ChartOutput.Of(png: true, svg: true, ChartSize.Default))));
        // Without --out: only the charts asked for, beside the page.
        Assert.Equal(In(pageDir, "report.a.svg", "report.b.svg"), Listed(registry.Files("a b", null, null, pageDir, ChartOutput.Of(png: false, svg: true, ChartSize.Default))));
        Assert.Empty(registry.Files("a b", null, null, pageDir));
        // The report is needed to know the charts: the listing without one refuses.
        Assert.Throws<InvalidOperationException>(() => registry.Files(outDir, null, pageDir).ToList());
    }

    [Fact]
    public void Charts_are_drawn_at_the_size_asked_each_alone_and_the_first_is_the_report_as_one_image()
    {
        var registry = WithCharts();
        var size = new ChartSize(400, 300);
        var files = registry.Files("a b", null, null, _dir, ChartOutput.Of(png: false, svg: true, size)).ToList();
        var svgs = files.Select(f =>
        {
            using var output = new MemoryStream();
            f.Renderer.Render("a b", output);
            return System.Text.Encoding.UTF8.GetString(output.ToArray());
        }).ToList();
        Assert.Contains("width=\"400\" height=\"300\"", svgs[0]);
        Assert.Equal(Words("a b")[0].Svg(400, 300), svgs[0]);
        Assert.Equal(Words("a b")[1].Svg(400, 300), svgs[1]);
        // A chart's renderer draws the chart it was listed for, not another report's.
        Assert.Throws<ArgumentException>(() => files[1].Renderer.Render("a c", new MemoryStream()));
        using var first = new MemoryStream();
        ChartSvg.Render("a b", first);
        Assert.Equal(Words("a b")[0].Svg(), System.Text.Encoding.UTF8.GetString(first.ToArray()));
        Assert.Equal("1000x500", ChartSvg.Size.ToString());
    }

    [Fact]
    public void A_chart_that_cannot_be_drawn_leaves_every_file_of_the_set_as_it_was()
    {
        File.WriteAllText(Path.Combine(_dir, "report.md"), "old");
        var registry = WithCharts();

        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteAll("a broken", registry.Files("a broken", _dir, null, _dir)));
        Assert.Equal("old", File.ReadAllText(Path.Combine(_dir, "report.md")));
        Assert.Equal(["report.md"], Directory.GetFiles(_dir).Select(Path.GetFileName)); // no report.json, report.a.png or temporary file
    }

    [Theory]
    [InlineData("1000x500", 1000, 500)]
    [InlineData("320X200", 320, 200)]
    [InlineData(" 8000×8000 ", 8000, 8000)]
    public void A_chart_size_reads_as_width_x_height(string text, int width, int height)
    {
        Assert.True(ChartSize.TryParse(text, out var size));
        Assert.Equal(new ChartSize(width, height), size);
    }

    [Theory]
    [InlineData("319x200")]
    [InlineData("320x199")]
    [InlineData("8001x500")]
    [InlineData("1000x500x2")]
    [InlineData("+1000x500")]
    [InlineData("")]
    public void A_chart_size_too_small_too_large_or_malformed_is_refused(string text) => Assert.False(ChartSize.TryParse(text, out _));

    /// <summary>Claims stdout but is not text: no registry takes it.</summary>
    private sealed class StdoutBytes : IRenderer<string>
    {
        public string Name => "bytes";
        public string Extension => "bin";
        public bool Stdout => true;
        public void Render(string report, Stream output) => output.WriteByte(0);
    }
}

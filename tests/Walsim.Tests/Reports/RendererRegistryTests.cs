using Walsim.Analyzer.Reports;
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

    /// <summary>Claims stdout but is not text: no registry takes it.</summary>
    private sealed class StdoutBytes : IRenderer<string>
    {
        public string Name => "bytes";
        public string Extension => "bin";
        public bool Stdout => true;
        public void Render(string report, Stream output) => output.WriteByte(0);
    }
}

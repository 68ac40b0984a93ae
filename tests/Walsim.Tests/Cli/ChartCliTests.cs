using System.Text.RegularExpressions;
using System.Xml.Linq;
using Walsim.Cli;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Reports.Charts;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>
/// The charts as the CLI writes them: <c>--png</c>, <c>--svg</c> and <c>--chart-size</c> on simulate and whatif
/// (plan's are checked in <c>PlanCliTests</c>), the images <c>whatif --out</c> writes and links from whatif.md.
/// </summary>
public sealed class ChartCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-charts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliRun Walsim(params string[] args) => CliRun.Invoke(Stalled, args);

    /// <summary>A file to name on the command line; its content is <see cref="Stalled"/>.</summary>
    private string Scenario => File.Exists(Path.Combine(_dir, "s.yaml")) ? Path.Combine(_dir, "s.yaml") : WriteScenario();

    private string WriteScenario()
    {
        File.WriteAllText(Path.Combine(_dir, "s.yaml"), "");
        return Path.Combine(_dir, "s.yaml");
    }

    /// <summary>rep1's standby stops after a minute; 13.3 (max_slot_wal_keep_size=8MB) loses it, 12 keeps its WAL.</summary>
    private static Scenario Stalled(string file) => new()
    {
        Name = "chart-cli",
        SourceFile = file,
        Versions = [PgVersion.Parse("12"), PgVersion.Parse("13.3")],
        SegmentSize = WalSegmentSize.FromMegabytes(1),
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "4MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "30s" },
        VersionSettings = [new VersionedSettings(ReportFixtures.Range("13+"), new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "8MB" })],
        Workload = new Workload([new ConstantRate(64 * 1024, SimTime.Zero, SimTime.Never)]),
        Slots = [new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(60), SimTime.Never)] } }],
        Duration = SimDuration.FromMinutes(30),
        SampleInterval = SimDuration.FromMinutes(1),
    };

    private static string[] Names(string dir, string pattern) =>
        [.. Directory.GetFiles(dir, pattern).Select(Path.GetFileName).Order(StringComparer.Ordinal).OfType<string>()];

    [Fact]
    public void Simulate_png_and_svg_write_each_chart_at_the_size_asked_beside_the_csvs_and_name_them()
    {
        var outDir = Path.Combine(_dir, "out");
        var run = Walsim("simulate", Scenario, "--out", outDir, "--png", "--svg", "--chart-size", "800x400");

        Assert.True(run.Code == 0, run.Err);
        Assert.Equal(["report.pg-wal.png", "report.slot-1-rep1.png"], Names(outDir, "*.png"));
        Assert.Equal(["report.pg-wal.svg", "report.slot-1-rep1.svg"], Names(outDir, "*.svg"));
        Assert.Empty(Names(outDir, "*.htm*")); // charts without the page
        foreach (var png in Names(outDir, "*.png")) PngAssert.HasSizeAndInk(File.ReadAllBytes(Path.Combine(outDir, png!)), 800, 400, png!);
        var svg = XDocument.Load(Path.Combine(outDir, "report.pg-wal.svg")).Root!;
        Assert.Equal(("800", "400"), (svg.Attribute("width")!.Value, svg.Attribute("height")!.Value));
        Assert.Contains($"charts        {Path.Combine(outDir, "report.pg-wal.png")}, {Path.Combine(outDir, "report.slot-1-rep1.png")}, " +
                        $"{Path.Combine(outDir, "report.pg-wal.svg")}, {Path.Combine(outDir, "report.slot-1-rep1.svg")}\n", run.Out);
    }

    [Fact]
    public void Simulate_png_with_html_writes_the_page_and_the_default_size_charts_and_json_stdout_stays_a_document()
    {
        var outDir = Path.Combine(_dir, "out");
        var run = Walsim("simulate", Scenario, "--out", outDir, "--html", "--png", "--format", "json");

        Assert.True(run.Code == 0, run.Err);
        Assert.Equal(["report.html", "report.json", "report.pg-wal.png", "report.slot-1-rep1.png"], Names(outDir, "report.*"));
        PngAssert.HasSizeAndInk(File.ReadAllBytes(Path.Combine(outDir, "report.pg-wal.png")), 1000, 500, "pg-wal");
        using var json = System.Text.Json.JsonDocument.Parse(run.Out); // no file list mixed into the JSON
        Assert.Equal(2, json.RootElement.GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public void Whatif_out_writes_the_charts_and_its_markdown_shows_each_of_them()
    {
        var outDir = Path.Combine(_dir, "upgrade");
        var run = Walsim("whatif", Scenario, "--from", "12", "--to", "15", "--out", outDir, "--svg", "--chart-size", "700x350");

        Assert.True(run.Code == 0, run.Err);
        Assert.Equal(["whatif.pg-wal.png", "whatif.slot-1-rep1.png"], Names(outDir, "*.png"));
        Assert.Equal(["whatif.pg-wal.svg", "whatif.slot-1-rep1.svg"], Names(outDir, "*.svg"));
        foreach (var png in Names(outDir, "*.png")) PngAssert.HasSizeAndInk(File.ReadAllBytes(Path.Combine(outDir, png!)), 700, 350, png!);

        var markdown = File.ReadAllText(Path.Combine(outDir, "whatif.md"));
        var images = Regex.Matches(markdown, @"!\[([^\]]*)\]\(([^)]*)\)").Select(m => (Alt: m.Groups[1].Value, File: m.Groups[2].Value)).ToList();
        Assert.Equal([("what-if chart-cli: pg_wal over time", "whatif.pg-wal.png"), ("what-if chart-cli: slot rep1, retained WAL", "whatif.slot-1-rep1.png")], images);
        Assert.StartsWith("### walsim what-if", markdown);
        // --format markdown on stdout is the comment alone: the images exist only beside a file.
        var stdout = Walsim("whatif", Scenario, "--from", "12", "--to", "15", "--format", "markdown");
        Assert.DoesNotContain("![", stdout.Out);
        Assert.Equal(stdout.Out, markdown[..stdout.Out.Length]);
    }

    [Theory]
    [InlineData("1000")]
    [InlineData("100x500")]
    [InlineData("1000x50")]
    [InlineData("9000x500")]
    [InlineData("wide")]
    public void A_chart_size_outside_what_a_chart_can_be_drawn_in_is_a_usage_error(string size)
    {
        var run = Walsim("simulate", Scenario, "--png", "--chart-size", size);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains($"--chart-size: expected WIDTHxHEIGHT in pixels, from 320x200 to 8000x8000, like 1000x500, got \"{size}\"", run.Err);
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Xml.Linq;
using Walsim.Analyzer.Reports.Charts;

namespace Walsim.Tests.Reports.Charts;

/// <summary>
/// The PNG and SVG charts: golden SVG per chart (deterministic, in any culture), PNGs of the size asked for with
/// something drawn on them, and the small pieces (tick labels, heatmap colours, file names).
/// </summary>
public sealed class ChartTests
{
    private const int GoldenWidth = 800;
    private const int GoldenHeight = 420;


    public static TheoryData<string> ChartIds() => [.. ChartFixtures.All().Select(x => x.Id)];

    [Fact]
    public void Every_report_has_its_charts_with_unique_file_safe_names()
    {
        var ids = ChartFixtures.All().Select(x => x.Id).ToList();
        Assert.Equal(
            [
                "simulate/pg-wal", "simulate/slot-1-rep1", "simulate/slot-2-__script__img_src_x_onerror_alert_1__",
                "whatif/pg-wal", "whatif/slot-1-rep1", "whatif/slot-2-__script__img_src_x_onerror_alert_1__",
                "plan/survival-1-standby1", "plan/p-slot-lost-1-standby1",
            ], ids);
        Assert.All(ChartFixtures.All(), x => Assert.Matches("^[a-z0-9_-]+$", x.Chart.Name.ToLowerInvariant()));
    }

    [Theory]
    [MemberData(nameof(ChartIds))]
    public void Svg_matches_its_golden_file(string id)
    {
        var svg = ChartFixtures.Get(id).Svg(GoldenWidth, GoldenHeight);
        Golden.Verify(svg, "Chart." + id.Replace('/', '.'));
    }

    [Theory]
    [MemberData(nameof(ChartIds))]
    public void Svg_is_the_same_on_every_call_and_in_every_culture_and_well_formed_with_names_as_text(string id)
    {
        var chart = ChartFixtures.Get(id);
        var first = chart.Svg(GoldenWidth, GoldenHeight);
        var culture = CultureInfo.CurrentCulture;
        try
        {
            // Commas as decimal separators would change numbers in the SVG if any were formatted by culture.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal(first, ChartFixtures.Get(id).Svg(GoldenWidth, GoldenHeight));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        var doc = XDocument.Parse(first);
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", doc.Root!.Name);
        Assert.Equal(GoldenWidth.ToString(CultureInfo.InvariantCulture), doc.Root.Attribute("width")!.Value);
        Assert.Equal(GoldenHeight.ToString(CultureInfo.InvariantCulture), doc.Root.Attribute("height")!.Value);
        // A hostile slot or scenario name is text, never markup.
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "img" or "b" or "foreignObject");
        // The chart font, and only it.
        var fonts = doc.Descendants().Select(e => e.Attribute("font-family")?.Value).OfType<string>().Distinct().ToList();
        Assert.Equal([ChartStyle.FontFamily], fonts);
        // Text comes out glyph by glyph; the title is all there.
        var text = string.Concat(doc.Descendants(svg + "text").Select(t => t.Value));
        Assert.Contains(chart.Title.Replace(" ", ""), text.Replace(" ", ""));
    }

    [Fact]
    public void The_pg_wal_chart_dots_each_versions_peak_in_its_colour()
    {
        // ScottPlot fills a marker drawn right after a dashed line with that dash, which the SVG writer drops: the
        // peaks are added first (TimelineCharts.PgWal), and this checks that every dot is in the SVG.
        foreach (var (svg, runs) in new[] { (SimulateCharts.Svg(ChartFixtures.Simulate), ChartFixtures.Simulate.Count), (WhatIfCharts.Svg(ChartFixtures.WhatIf), ChartFixtures.WhatIf.Runs.Count) })
        {
            var dots = XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "ellipse").Select(e => e.Attribute("fill")?.Value).ToList();
            Assert.Equal(runs, dots.Count);
            Assert.Equal(runs, dots.Distinct().Count());
        }
    }

    public static TheoryData<string, int, int> PngCases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var id in ChartFixtures.All().Select(x => x.Id))
        {
            data.Add(id, 640, 360);
            data.Add(id, 1200, 700);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PngCases))]
    public void Png_has_the_size_asked_for_and_is_not_blank(string id, int width, int height)
    {
        var png = ChartFixtures.Get(id).Png(width, height);
        PngAssert.HasSizeAndInk(png, width, height, id);

        var dir = Path.Combine(RepoPaths.Root, "reports", "chart-test");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, $"{id.Replace('/', '.')}-{width}x{height}.png"), png);
    }

    [Fact]
    public void A_size_too_small_to_draw_in_is_refused()
    {
        var chart = PlanCharts.Survival(ChartFixtures.Plan(), 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.Png(100, 300));
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.Svg(400, 50));
    }

    [Fact]
    public void The_convenience_functions_draw_the_first_chart_of_each_report()
    {
        Assert.Equal(SimulateCharts.For(ChartFixtures.Simulate)[0].Svg(), SimulateCharts.Svg(ChartFixtures.Simulate));
        Assert.Equal(WhatIfCharts.For(ChartFixtures.WhatIf)[0].Svg(), WhatIfCharts.Svg(ChartFixtures.WhatIf));
        Assert.Equal(PlanCharts.For(ChartFixtures.Plan())[0].Svg(), PlanCharts.Svg(ChartFixtures.Plan()));
        Assert.Equal(ChartStyle.DefaultWidth, BinaryPrimitives.ReadInt32BigEndian(SimulateCharts.Png(ChartFixtures.Simulate).AsSpan(16, 4)));
    }

    [Fact]
    public void Degenerate_inputs_still_draw_a_chart()
    {
        // No version at all: an empty pg_wal chart with its axes and title.
        var empty = Assert.Single(SimulateCharts.For([]));
        Assert.NotEmpty(XDocument.Parse(empty.Svg()).Descendants());
        // A plan whose only candidate is unlimited (PostgreSQL 12): the survival chart says there is nothing to chart.
        var plan = ChartFixtures.Plan();
        var unlimitedOnly = plan with { Slots = [plan.Slots[0] with { Caps = [plan.Slots[0].Caps[^1]], Recommendation = plan.Slots[0].Recommendation with { Cap = null } }] };
        var text = string.Concat(XDocument.Parse(PlanCharts.Svg(unlimitedOnly)).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
        Assert.Contains("Nofinitecapwasjudged", text.Replace(" ", ""));
        Assert.NotEmpty(PlanCharts.SlotLostHeatmap(unlimitedOnly, 0).Png(400, 300));
        Assert.Throws<ArgumentException>(() => PlanCharts.Png(plan with { Slots = [] }));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(0.5, "0.5s")]
    [InlineData(45, "45s")]
    [InlineData(90, "1m30s")]
    [InlineData(3600, "1h")]
    [InlineData(5400, "1h30m")]
    [InlineData(86400, "1d")]
    [InlineData(129600, "1d12h")]
    [InlineData(90061, "1d1h")]
    public void Durations_read_as_people_write_them(double seconds, string expected)
    {
        Assert.Equal(expected, ChartAxes.Duration(seconds));
    }

    [Theory]
    [InlineData(0, 0xD0, 0xF1, 0xD0)]   // hsl(120,55%,88%)
    [InlineData(0.5, 0xF3, 0xB0, 0x6D)] // hsl(30,85%,69%)
    [InlineData(1, 0xF0, 0x42, 0x42)]   // hsl(0,85%,60%)
    public void Heatmap_colours_are_those_of_the_html_report(double p, int r, int g, int b)
    {
        var c = PlanCharts.HeatColor(p);
        Assert.Equal((r, g, b), (c.R, c.G, c.B));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary>The HTML report without a browser: encoding, the embedded data, bounded downsampling, atomic files.</summary>
public sealed class HtmlReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Render(Scenario scenario, IReadOnlyList<VersionReport> versions)
    {
        var w = new StringWriter();
        HtmlReport.Write(w, scenario, versions);
        return w.ToString();
    }

    internal static string EmbeddedJson(string html)
    {
        const string open = "<script type=\"application/json\" id=\"walsim-data\">";
        var start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        return html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void User_strings_are_encoded_so_a_slot_name_cannot_close_the_script_or_add_markup()
    {
        var scenario = HtmlFixtures.Stalled();
        var html = Render(scenario, HtmlFixtures.Run(scenario));

        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        // Exactly the report's own three script elements: data, uPlot, the page script.
        Assert.Equal(3, html.Split("</script>").Length - 1);
        Assert.Contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);

        var data = JsonNode.Parse(EmbeddedJson(html))!;
        Assert.Equal(scenario.Name, (string?)data["scenario"]);
        Assert.Equal(HtmlFixtures.HostileSlot, (string?)data["versions"]![0]!["slots"]![1]!["name"]);
    }

    [Fact]
    public void Report_json_beside_the_page_holds_the_embedded_numbers_and_no_temporary_file_is_left()
    {
        var scenario = HtmlFixtures.Stalled();
        var versions = HtmlFixtures.Run(scenario);
        var htmlPath = Path.Combine(_dir, "out", "report.html");

        var jsonPath = HtmlReport.WriteFiles(htmlPath, scenario, versions);

        Assert.Equal(Path.Combine(_dir, "out", "report.json"), jsonPath);
        Assert.Equal(["report.html", "report.json"], Directory.GetFiles(Path.Combine(_dir, "out")).Select(Path.GetFileName).Order());
        var embedded = JsonNode.Parse(EmbeddedJson(File.ReadAllText(htmlPath)));
        var beside = JsonNode.Parse(File.ReadAllText(jsonPath));
        Assert.True(JsonNode.DeepEquals(embedded, beside));

        // The summary is the engine's, exactly: 15 loses rep1, 12 keeps its WAL until the server turns read-only.
        var v15 = beside!["versions"]![1]!;
        Assert.Equal("15.18", (string?)v15["version"]);
        Assert.Equal(versions[1].Result.Summary.PeakPgWalBytes.Bytes, (long)v15["summary"]!["peak_pg_wal_bytes"]!);
        Assert.NotNull(v15["slots"]![0]!["lost_s"]);
        Assert.Equal(16 * ByteCount.MiB, (long)v15["limits"]!["max_slot_wal_keep_size_bytes"]!);
        Assert.Null(beside["versions"]![0]!["limits"]!["max_slot_wal_keep_size_bytes"]);
        Assert.NotNull(beside["versions"]![0]!["summary"]!["read_only_s"]);
    }

    [Fact]
    public void Report_inlines_uplot_and_its_license_version_so_it_needs_no_network()
    {
        var scenario = HtmlFixtures.Stalled();
        var html = Render(scenario, HtmlFixtures.Run(scenario));

        Assert.Contains($"uPlot (v{HtmlReport.UPlotVersion})", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.Contains("MIT", HtmlReport.Resource("LICENSE"), StringComparison.Ordinal);
    }

    private static TimelineRow Row(long second, long pgWalBytes, long retained, WalStatus status) => new(
        SimTime.FromSeconds(second), RowReason.Sample, null, Lsn.Invalid, Lsn.Invalid, new SegmentNumber(1), pgWalBytes / ByteCount.MiB,
        new ByteCount(pgWalBytes), new SegmentNumber(1), new SegmentNumber(1), new SegmentNumber(0),
        [new SlotView("s", SlotKind.Physical, Lsn.Invalid, Lsn.Invalid, true, status, null, new ByteCount(retained), InvalidationCause.None, null)]);

    [Fact]
    public void Downsampling_a_long_timeline_stays_within_budget_and_keeps_peaks_troughs_and_the_worst_status()
    {
        var sampler = new TimelineDownsampler(["s"], maxBuckets: 500);
        const int rows = 200_000;
        for (var i = 0; i < rows; i++)
        {
            // A sawtooth of 16..32MB with one 1-second spike, one dip and one second of 'lost' status somewhere inside.
            var bytes = i == 123_457 ? 999 * ByteCount.MiB : (16 + i % 17) * ByteCount.MiB;
            var retained = i == 77_777 ? 0 : 4 * ByteCount.MiB + i % 1000;
            var status = i == 150_001 ? WalStatus.Lost : WalStatus.Reserved;
            sampler.Add(Row(i, bytes, retained, status));
        }

        var points = sampler.Points();
        Assert.True(sampler.Downsampled);
        Assert.Equal(rows, sampler.RowsSeen);
        Assert.InRange(points.Count, 500, 500 * 5 + 1); // (2 + 3 × slots) rows per bucket at most
        Assert.Equal(999 * ByteCount.MiB, points.Max(p => p.PgWalBytes));
        Assert.Equal(16 * ByteCount.MiB, points.Min(p => p.PgWalBytes));
        Assert.Equal(0, points.Min(p => p.Retained[0]));
        Assert.Contains(points, p => p.Status[0] == WalStatus.Lost && p.AtMicroseconds == 150_001_000_000);
        Assert.Equal(rows - 1, points[^1].AtMicroseconds / 1_000_000); // the end is always kept
        Assert.True(points.Zip(points.Skip(1)).All(p => p.First.AtMicroseconds <= p.Second.AtMicroseconds));
    }

    [Fact]
    public void A_short_timeline_is_kept_whole()
    {
        var sampler = new TimelineDownsampler(["s"], maxBuckets: 500);
        for (var i = 0; i < 300; i++) sampler.Add(Row(i, i * ByteCount.MiB, i, WalStatus.Reserved));

        Assert.False(sampler.Downsampled);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => i * ByteCount.MiB), sampler.Points().Select(p => p.PgWalBytes));
    }

    [Fact]
    public void The_pg_wal_by_reason_series_add_up_to_pg_wal_at_every_point_and_name_the_stalled_slot()
    {
        // Stalled: rep1 stops at 2 min. On 12 it holds WAL to the end; on 15 the 16MB cap invalidates it, and from then
        // on no file is the slot's. Each version has its stacked chart.
        var scenario = HtmlFixtures.Stalled();
        var html = Render(scenario, HtmlFixtures.Run(scenario));
        Assert.Contains("id=\"chart-reasons-0\" data-chart=\"reasons\" data-version=\"0\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-reasons-1\" data-chart=\"reasons\" data-version=\"1\"", html, StringComparison.Ordinal);
        var versions = JsonNode.Parse(EmbeddedJson(html))!["versions"]!.AsArray();
        var rep1Peak = new List<long>();
        foreach (var v in versions)
        {
            var timeline = v!["timeline"]!;
            var total = timeline["pg_wal_bytes"]!.AsArray().Select(b => (long)b!).ToList();
            var parts = timeline["breakdown"]!.AsArray();
            for (var k = 0; k < total.Count; k++)
                Assert.Equal(total[k], parts.Sum(p => (long)p!["bytes"]![k]!));
            Assert.Contains(parts, p => (string)p!["reason"]! == "redo");
            var rep1 = parts.Single(p => (string?)p!["slot"] == "rep1")!["bytes"]!.AsArray().Select(b => (long)b!).ToList();
            rep1Peak.Add(rep1.Max());
            if ((string)v["version"]! == "12.22") Assert.True(rep1[^1] > 0);
            else Assert.Equal(0, rep1[^1]);
        }
        // 12 lets rep1 hold WAL until the disk turns read-only; 15 lets it go at the cap.
        Assert.True(rep1Peak[0] > rep1Peak[1] && rep1Peak[1] > 0, string.Join(", ", rep1Peak));
    }

    [Fact]
    public void Checkpoint_markers_are_thinned_to_the_cap_but_invalidating_ones_stay()
    {
        var scenario = HtmlFixtures.Stalled();
        var collector = new ReportCollector(scenario, scenario.Versions[1]);
        for (var n = 1; n <= 3 * ReportCollector.MaxCheckpoints; n++)
            collector.OnCheckpoint(new CheckpointRecord(n, CheckpointCause.Time, SimTime.FromSeconds(n), SimTime.FromSeconds(n), false,
                Lsn.Invalid, Lsn.Invalid, Lsn.Invalid, new SegmentNumber(1), new SegmentNumber(1), new SegmentNumber(1), 0, 0, 0, 1, 0, 0,
                n == 9_999 ? ["rep1"] : [], null));

        var report = collector.Finish(Simulator.Engine.Simulation.Run(scenario, scenario.Versions[1]));
        Assert.Equal(3 * ReportCollector.MaxCheckpoints, report.CheckpointsSeen);
        Assert.InRange(report.Checkpoints.Count, 1, ReportCollector.MaxCheckpoints);
        Assert.Contains(report.Checkpoints, c => c.Number == 9_999);
    }
}

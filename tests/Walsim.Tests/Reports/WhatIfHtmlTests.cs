using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Walsim.Analyzer.Comparison;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary><c>walsim whatif --html</c> without a browser: what the page holds, encoded; its data, the same as whatif.json.</summary>
public sealed partial class WhatIfHtmlTests
{
    private static readonly Lazy<(WhatIfReport Report, string Html)> Page = new(() =>
    {
        var report = HtmlFixtures.WhatIf();
        var w = new StringWriter();
        WhatIfHtml.Write(w, report);
        return (report, w.ToString());
    });

    [Fact]
    public void Every_user_string_is_encoded_so_no_name_can_close_the_script_or_add_markup()
    {
        var html = Page.Value.Html;

        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Equal(3, html.Split("</script>").Length - 1); // data, uPlot, the page script
        Assert.Contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("walsim what-if: <span id=\"scenario-name\">html-stalled &lt;b&gt;&amp;&quot;&#x27;</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_data_hold_whatif_json_and_each_runs_chart_data_with_its_role_and_translated_limits()
    {
        var (report, html) = Page.Value;
        var data = JsonNode.Parse(HtmlReportTests.EmbeddedJson(html))!;
        var json = new StringWriter();
        WhatIfWriter.WriteJson(json, report);

        Assert.Equal("whatif", (string?)data["report"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json.ToString()), data["whatif"]));
        var versions = data["versions"]!.AsArray();
        Assert.Equal(["12.22", "13.3", "15.18", "13.23"], versions.Select(v => (string)v!["version"]!));
        Assert.Equal(["source", "target", "target", "fixed_minor"], versions.Select(v => (string)v!["role"]!));
        // 12 has no cap; 13+ run with the scenario's max_slot_wal_keep_size=16MB.
        Assert.Equal([null, 16L * ByteCount.MiB, 16L * ByteCount.MiB, 16L * ByteCount.MiB],
            versions.Select(v => (long?)v!["limits"]!["max_slot_wal_keep_size_bytes"]));
        Assert.All(versions, v => Assert.True(v!["timeline"]!["t"]!.AsArray().Count > 10));
    }

    [Fact]
    public void The_page_has_the_table_the_charts_each_comparison_the_minor_warning_and_the_settings()
    {
        var (report, html) = Page.Value;

        // The side-by-side table: a column per run, headed as the console table heads it.
        Assert.Contains("<th class=\"role-source\">12.22 (from)</th><th class=\"role-target\">13.3</th><th class=\"role-target\">15.18</th>" +
                        "<th class=\"role-fixed-minor\">13.23 (fixed minor)</th>", html, StringComparison.Ordinal);
        var lost = Cells(html).Where(c => c.Key == "lost_s" && c.Slot == "rep1").ToList();
        Assert.Equal(["12.22", "13.3", "15.18", "13.23"], lost.Select(c => c.Version));
        Assert.Equal("never", lost[0].Text);
        foreach (var (cell, run) in lost.Zip(report.Runs))
            Assert.Equal(run.Slots[0].Lost?.Display() ?? "never", cell.Text);

        // pg_wal and one chart per slot, overlaid.
        Assert.Equal(["pg_wal", "slot", "slot"], ChartElement().Matches(html).Select(m => m.Groups[1].Value));
        // Per target: the divergence, its differing decisions, the settings moved; then 13.3's warning.
        Assert.Equal(["12.22 → 13.3", "12.22 → 15.18"], ComparisonHeading().Matches(html).Select(m => m.Groups[1].Value));
        Assert.Contains("<h3>Settings moved to 15.18</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<li>max_slot_wal_keep_size=16MB (given for this version by the scenario)</li>", html, StringComparison.Ordinal);
        Assert.Contains("<table class=\"differences\">", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"warning\" data-version=\"13.3\">", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Settings at start</h2>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_run_without_charts_is_refused()
    {
        var report = Page.Value.Report with { Charts = [] };
        var e = Assert.Throws<ArgumentException>(() => WhatIfHtml.Write(new StringWriter(), report));
        Assert.Contains("charts: true", e.Message);
    }

    internal sealed record Cell(string Key, string Version, string? Slot, string Value, string Text);

    internal static IEnumerable<Cell> Cells(string html) => CellElement().Matches(html).Select(m => new Cell(
        m.Groups["key"].Value, m.Groups["version"].Value, m.Groups["slot"].Success ? System.Net.WebUtility.HtmlDecode(m.Groups["slot"].Value) : null,
        m.Groups["value"].Value, System.Net.WebUtility.HtmlDecode(m.Groups["text"].Value)));

    [GeneratedRegex("<td data-key=\"(?<key>[^\"]*)\" data-version=\"(?<version>[^\"]*)\"(?: data-slot=\"(?<slot>[^\"]*)\")? data-value=\"(?<value>[^\"]*)\">(?<text>[^<]*)</td>")]
    private static partial Regex CellElement();

    [GeneratedRegex("<div class=\"chart\" id=\"[^\"]*\" data-chart=\"([^\"]*)\"")]
    private static partial Regex ChartElement();

    [GeneratedRegex("<div class=\"comparison\" [^>]*>\\n<h2>([^<]*)</h2>")]
    private static partial Regex ComparisonHeading();
}

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary>
/// A test that opens a report in headless Chromium (Debian's <c>chromium</c>, driven by Playwright with its
/// executable path, so nothing is downloaded). Skipped on a machine without it; under CI=true it runs and a missing
/// browser is a failure, so CI cannot pass by skipping it (.ci/run installs it).
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !File.Exists(BrowserTests.Chromium))
            Skip = $"{BrowserTests.Chromium} is missing (apt-get install chromium, or set WALSIM_CHROMIUM); with CI=true this test fails instead";
    }
}

/// <summary>The HTML report as a person sees it: loaded from disk in a real browser, charts drawn, numbers right.</summary>
public sealed class BrowserTests
{
    public static string Chromium => Environment.GetEnvironmentVariable("WALSIM_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private static string RepoRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private sealed record Cell(string Key, string Version, string? Slot, string Value, string Text);

    [BrowserFact]
    public async Task Report_opens_from_disk_with_no_errors_draws_every_chart_and_shows_the_numbers_of_report_json()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (or set WALSIM_CHROMIUM)");
        var scenario = HtmlFixtures.Stalled();
        var dir = Path.Combine(RepoRoot, "reports", "browser-test");
        var htmlPath = Path.Combine(dir, "report.html");
        var json = JsonNode.Parse(File.ReadAllText(HtmlReport.WriteFiles(htmlPath, scenario, HtmlFixtures.Run(scenario))))!;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"], // CI runs as root, where Chromium's sandbox refuses to start
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.Dialog += async (_, d) => { problems.Add($"dialog: {d.Message}"); await d.DismissAsync(); };
        page.Request += (_, r) => { if (!r.Url.StartsWith("file:", StringComparison.Ordinal)) problems.Add($"network request: {r.Url}"); };

        await page.GotoAsync(new Uri(htmlPath).AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-walsim-ready='true']", new PageWaitForSelectorOptions { Timeout = 30_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "report.png"), FullPage = true });

        Assert.Empty(problems);
        Assert.Null(await page.GetAttributeAsync("body", "data-walsim-error"));
        // The hostile slot name is text, not markup.
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(1, await page.GetByText($"slot {HtmlFixtures.HostileSlot}: retained WAL", new PageGetByTextOptions { Exact = true }).CountAsync());

        // Each chart drew: flagged by the page, a canvas of non-zero size, and ink on it.
        var charts = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('#charts .chart')].map(c => {
              const canvas = c.querySelector('canvas');
              const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
              let ink = 0;
              for (let i = 3; i < px.length; i += 4) if (px[i] > 0) ink++;
              return { chart: c.dataset.chart, drawn: c.dataset.drawn || '', width: canvas.width, height: canvas.height, ink };
            }))
            """));
        Assert.Equal(3, charts!.AsArray().Count); // pg_wal, rep1, the hostile slot
        foreach (var c in charts.AsArray())
        {
            Assert.Equal("true", (string?)c!["drawn"]);
            Assert.True((int)c["width"]! > 300 && (int)c["height"]! > 200, c.ToJsonString());
            Assert.True((int)c["ink"]! > 5_000, $"chart drew almost nothing: {c.ToJsonString()}");
        }

        // The numbers in the page (the tables and the figures the script writes) are report.json's.
        var cells = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('[data-key], [data-js-key]')].map(e => ({
              key: e.dataset.key || ('js:' + e.dataset.jsKey), version: e.dataset.version, slot: e.dataset.slot ?? null,
              value: e.dataset.value, text: e.textContent })))
            """))!.AsArray().Select(n => new Cell((string)n!["key"]!, (string)n["version"]!, (string?)n["slot"], (string)n["value"]!, (string)n["text"]!)).ToList();
        foreach (var v in json["versions"]!.AsArray())
        {
            var version = (string)v!["version"]!;
            var peak = (long)v["summary"]!["peak_pg_wal_bytes"]!;
            var table = cells.Single(c => c.Key == "peak_pg_wal_bytes" && c.Version == version);
            Assert.Equal(peak.ToString(CultureInfo.InvariantCulture), table.Value);
            Assert.Equal(ByteCount.Format(peak), table.Text);
            var figure = cells.Single(c => c.Key == "js:peak_pg_wal_bytes" && c.Version == version);
            Assert.Equal(peak.ToString(CultureInfo.InvariantCulture), figure.Value);
            Assert.Equal($"peak pg_wal {ByteCount.Format(peak)}", figure.Text);
            Assert.Equal(Seconds(v["summary"]!["disk_full_s"]), cells.Single(c => c.Key == "disk_full_s" && c.Version == version).Value);
            Assert.Equal(Seconds(v["summary"]!["read_only_s"]), cells.Single(c => c.Key == "read_only_s" && c.Version == version).Value);

            foreach (var slot in v["slots"]!.AsArray())
            {
                var name = (string)slot!["name"]!;
                var lost = Seconds(slot["lost_s"]);
                var lostText = lost.Length == 0 ? "never" : new SimTime((long)(decimal.Parse(lost, CultureInfo.InvariantCulture) * 1_000_000m)).Display();
                var lostCell = cells.Single(c => c.Key == "lost_s" && c.Version == version && c.Slot == name);
                Assert.Equal(lost, lostCell.Value);
                Assert.Equal(lostText, lostCell.Text);
                var lostFigure = cells.Single(c => c.Key == "js:lost_s" && c.Version == version && c.Slot == name);
                Assert.Equal(lost, lostFigure.Value);
                Assert.Equal($"{name} lost {lostText}", lostFigure.Text);
            }
        }
        // The scenario is the one that matters: 15 loses rep1, 12 keeps its WAL until the server turns read-only.
        Assert.NotEqual("", cells.Single(c => c.Key == "lost_s" && c.Version == "15.18" && c.Slot == "rep1").Value);
        Assert.NotEqual("", cells.Single(c => c.Key == "read_only_s" && c.Version == "12.22").Value);

        // The page's own formatting of times and sizes (legends, markers, figures) is the C# one.
        await AssertScriptFormatsLikeCSharp(page);
    }

    // Worked values of UnitsAndPolicyTests: rounding, carries, halves, signs, exact microseconds in the JSON.
    private static readonly long[] TimeCases =
    [
        10_470_399_657, 20_297_599_288, 570_500_000, 570_499_999, 62_996_705, 60_000_000, 59_999_600, 59_999_400,
        7_199_500_000, 183_605_700_000, 26_000_000, 1_500_000, 250_000, 1_234_567, 500, 400, 0, -400, -1_500_000, -10_470_399_657,
    ];

    private static readonly long[] ByteCases = [0, 512, 1536, 16L << 20, -8L << 20, 1L << 30, 1536L << 20, 1L << 40, 113_246_208, 70_368_744_177_664];

    internal static async Task AssertScriptFormatsLikeCSharp(IPage page)
    {
        var seconds = TimeCases.Select(us => ((decimal)us / 1_000_000m).ToString(CultureInfo.InvariantCulture));
        var times = await page.EvaluateAsync<string[]>($"() => [{string.Join(",", seconds)}].map(s => window.walsimFormat.time(s))");
        Assert.Equal(TimeCases.Select(us => new SimTime(us).Display()), times);
        var bytes = await page.EvaluateAsync<string[]>($"() => [{string.Join(",", ByteCases)}].map(b => window.walsimFormat.bytes(b))");
        Assert.Equal(ByteCases.Select(ByteCount.Format), bytes);
        Assert.Equal("never", await page.EvaluateAsync<string>("() => window.walsimFormat.time(null)"));
    }

    private static string Seconds(JsonNode? n) => n is null ? "" : ((decimal)n).ToString(CultureInfo.InvariantCulture);
}

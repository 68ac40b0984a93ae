using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Walsim.Analyzer.Comparison;
using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
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


    private sealed record Cell(string Key, string Version, string? Slot, string Value, string Text);

    [BrowserFact]
    public async Task Report_opens_from_disk_with_no_errors_draws_every_chart_and_shows_the_numbers_of_report_json()
    {
        var scenario = HtmlFixtures.Stalled();
        var dir = Path.Combine(RepoPaths.Root, "reports", "browser-test");
        var htmlPath = Path.Combine(dir, "report.html");
        var json = JsonNode.Parse(File.ReadAllText(HtmlReport.WriteFiles(htmlPath, scenario, HtmlFixtures.Run(scenario))))!;

        await using var browser = await Browser.Launch();
        var page = await browser.Open(htmlPath);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "report.png"), FullPage = true });

        Assert.Empty(browser.Problems);
        Assert.Null(await page.GetAttributeAsync("body", "data-walsim-error"));
        // The hostile slot name is text, not markup.
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(1, await page.GetByText($"slot {HtmlFixtures.HostileSlot}: retained WAL", new PageGetByTextOptions { Exact = true }).CountAsync());
        await AssertEveryChartDrew(page, 5); // pg_wal, pg_wal by reason on 12 and on 15, rep1, the hostile slot

        // The numbers in the page (the tables and the figures the script writes) are report.json's.
        var cells = await Cells(page);
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

    [BrowserFact]
    public async Task Whatif_report_opens_from_disk_with_no_errors_draws_every_chart_and_shows_the_numbers_of_whatif_json()
    {
        // 12 -> 13.3, 15 with the fixed minor 13.23, hostile names: every kind of run and string the page can have.
        await using var browser = await Browser.Launch();
        var (page, json) = await OpenWhatIf(browser, HtmlFixtures.WhatIf(), "whatif");
        var runs = json["runs"]!.AsArray();

        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(1, await page.GetByText($"slot {HtmlFixtures.HostileSlot}: retained WAL", new PageGetByTextOptions { Exact = true }).CountAsync());
        await AssertEveryChartDrew(page, 3); // pg_wal, rep1, the hostile slot
        // Legends name each run as the table heads it.
        var legend = await page.Locator("#chart-pg-wal .u-legend .u-label").AllTextContentsAsync();
        Assert.Equal(["time", "pg_wal 12.22 (from)", "pg_wal 13.3", "pg_wal 15.18", "pg_wal 13.23 (fixed minor)"], legend);
        // 13.3's stale horizon is warned about, with the effect whatif.json states.
        var warning = json["minor_warnings"]!.AsArray().Single()!;
        Assert.Equal($"Effect here: {(string)warning["effect"]!}.", await page.Locator(".warning[data-version='13.3'] .effect").TextContentAsync());
        Assert.Equal(4, runs.Count);
    }

    [BrowserFact]
    public async Task Whatif_report_of_the_bundled_upgrade_shows_the_cap_saving_the_disk_and_is_the_readme_screenshot()
    {
        // The README's example: a standby down for 6 hours at 5MB/s; 12 fills the 100GB volume at 7h41m07s, 15 and 17
        // lose the slot at 5h43m30s (max_slot_wal_keep_size=64GB). The screenshot is docs/images/whatif-standby-stalled-past-cap.png.
        var scenario = Analyzer.Scenarios.ScenarioLoader.Load(Path.Combine(RepoPaths.Root, "scenarios", "standby-stalled-past-cap.yaml"));
        var report = WhatIfAnalysis.Run(scenario, PgVersion.Parse("12"), [PgVersion.Parse("15"), PgVersion.Parse("17")], charts: true);
        await using var browser = await Browser.Launch();
        var (page, _) = await OpenWhatIf(browser, report, "whatif-standby-stalled-past-cap", screenshotHeight: 1750);

        await AssertEveryChartDrew(page, 2); // pg_wal, standby1
        var cells = await Cells(page);
        Assert.Equal(["7h41m07s", "never", "never"], cells.Where(c => c.Key == "disk_full_s").Select(c => c.Text));
        Assert.Equal(["never", "5h43m30s", "5h43m30s"], cells.Where(c => c.Key == "lost_s" && c.Slot == "standby1").Select(c => c.Text));
        Assert.Equal(["n/a (12)", "2h54m30s", "2h54m30s"], cells.Where(c => c.Key == "extended_s" && c.Slot == "standby1").Select(c => c.Text));
    }

    /// <summary>
    /// Writes the page and whatif.json under reports/browser-test, opens the page, takes a screenshot (NAME.png; the
    /// top <paramref name="screenshotHeight"/> pixels when given, else the whole page) and checks what every what-if
    /// page must: no console errors, page errors, dialogs or network requests, and each number of the side-by-side
    /// table, the figures and the first divergences equal to whatif.json.
    /// </summary>
    private static async Task<(IPage Page, JsonNode Json)> OpenWhatIf(Browser browser, WhatIfReport report, string name, int? screenshotHeight = null)
    {
        var dir = Path.Combine(RepoPaths.Root, "reports", "browser-test");
        var (htmlPath, jsonPath) = (Path.Combine(dir, $"{name}.html"), Path.Combine(dir, $"{name}.json"));
        AtomicFile.WriteAll([(htmlPath, w => WhatIfHtml.Write(w, report)), (jsonPath, w => WhatIfWriter.WriteJson(w, report))]);
        var json = JsonNode.Parse(File.ReadAllText(jsonPath))!;

        var page = await browser.Open(htmlPath, width: 1140);
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(dir, $"{name}.png"),
            FullPage = true,
            Clip = screenshotHeight is { } h ? new Clip { X = 0, Y = 0, Width = 1140, Height = h } : null,
        });
        Assert.Empty(browser.Problems);
        Assert.Null(await page.GetAttributeAsync("body", "data-walsim-error"));

        var cells = await Cells(page);
        foreach (var run in json["runs"]!.AsArray())
        {
            var version = (string)run!["version"]!;
            string Text(string key, string? slot = null) => cells.Single(c => c.Key == key && c.Version == version && c.Slot == slot).Text;
            string Value(string key, string? slot = null) => cells.Single(c => c.Key == key && c.Version == version && c.Slot == slot).Value;

            var peak = (long)run["peak_pg_wal_bytes"]!;
            Assert.Equal(peak.ToString(CultureInfo.InvariantCulture), Value("peak_pg_wal_bytes"));
            Assert.Equal($"{(long)run["peak_pg_wal_files"]!} files, {ByteCount.Format(peak)}", Text("peak_pg_wal_bytes"));
            Assert.Equal($"peak pg_wal {ByteCount.Format(peak)}", cells.Single(c => c.Key == "js:peak_pg_wal_bytes" && c.Version == version).Text);
            foreach (var key in new[] { "peak_at_s", "disk_full_s", "read_only_s" })
            {
                Assert.Equal(Seconds(run[key]), Value(key));
                Assert.Equal(Display(run[key]), Text(key));
            }
            foreach (var key in new[] { "checkpoints", "invalidations" })
                Assert.Equal(((long)run[key]!).ToString(CultureInfo.InvariantCulture), Text(key));

            var walStatus = report.Run(PgVersion.Parse(version)).ReportsWalStatus;
            foreach (var slot in run["slots"]!.AsArray())
            {
                var slotName = (string)slot!["name"]!;
                foreach (var key in new[] { "extended_s", "unreserved_s", "lost_s" })
                {
                    Assert.Equal(Seconds(slot[key]), Value(key, slotName));
                    Assert.Equal(walStatus || key == "lost_s" ? Display(slot[key]) : "n/a (12)", Text(key, slotName));
                }
                Assert.Equal($"{slotName} lost {Display(slot["lost_s"])}", cells.Single(c => c.Key == "js:lost_s" && c.Version == version && c.Slot == slotName).Text);
            }
        }
        // Each target's first divergence, as whatif.json explains it.
        var explanations = await page.Locator(".comparison .explanation").AllTextContentsAsync();
        Assert.Equal(json["comparisons"]!.AsArray().Select(c => (string?)c!["first_divergence"]?["explanation"] ?? "none: every checkpoint takes the same decisions"), explanations);
        await AssertScriptFormatsLikeCSharp(page);
        return (page, json);
    }

    /// <summary>Each chart (<paramref name="selector"/>) drew: flagged by the page, a canvas of non-zero size, and ink on it.</summary>
    internal static async Task AssertEveryChartDrew(IPage page, int expected, string selector = "#charts .chart")
    {
        var charts = JsonNode.Parse(await page.EvaluateAsync<string>("""
            selector => JSON.stringify([...document.querySelectorAll(selector)].map(c => {
              const canvas = c.querySelector('canvas');
              const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
              let ink = 0;
              for (let i = 3; i < px.length; i += 4) if (px[i] > 0) ink++;
              return { chart: c.dataset.chart, drawn: c.dataset.drawn || '', width: canvas.width, height: canvas.height, ink };
            }))
            """, selector))!.AsArray();
        Assert.Equal(expected, charts.Count);
        foreach (var c in charts)
        {
            Assert.Equal("true", (string?)c!["drawn"]);
            Assert.True((int)c["width"]! > 300 && (int)c["height"]! > 200, c.ToJsonString());
            Assert.True((int)c["ink"]! > 5_000, $"chart drew almost nothing: {c.ToJsonString()}");
        }
    }

    /// <summary>Every element that shows a JSON field: table cells (<c>data-key</c>) and the script's figures (<c>js:</c>).</summary>
    private static async Task<List<Cell>> Cells(IPage page) =>
        JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('[data-key], [data-js-key]')].map(e => ({
              key: e.dataset.key || ('js:' + e.dataset.jsKey), version: e.dataset.version, slot: e.dataset.slot ?? null,
              value: e.dataset.value, text: e.textContent })))
            """))!.AsArray().Select(n => new Cell((string)n!["key"]!, (string)n["version"]!, (string?)n["slot"], (string)n["value"]!, (string)n["text"]!)).ToList();

    private static string Seconds(JsonNode? n) => n is null ? "" : ((decimal)n).ToString(CultureInfo.InvariantCulture);

    private static string Display(JsonNode? n) => n is null ? "never" : new SimTime((long)((decimal)n * 1_000_000m)).Display();

    /// <summary>
    /// Debian's chromium driven by Playwright: opened pages record console errors and warnings, page errors, dialogs
    /// and any request that is not to a local file in <see cref="Problems"/>. For every report's browser test.
    /// </summary>
    internal sealed class Browser : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private Browser(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

        public List<string> Problems { get; } = [];

        public static async Task<Browser> Launch()
        {
            Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (or set WALSIM_CHROMIUM)");
            var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu"], // CI runs as root, where Chromium's sandbox refuses to start
            });
            return new Browser(playwright, browser);
        }

        /// <summary>Opens a report from disk and waits until its script says every chart drew.</summary>
        public async Task<IPage> Open(string htmlPath, int width = 1200)
        {
            var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
            page.Console += (_, m) => { if (m.Type is "error" or "warning") Problems.Add($"console {m.Type}: {m.Text}"); };
            page.PageError += (_, e) => Problems.Add($"page error: {e}");
            page.Dialog += async (_, d) => { Problems.Add($"dialog: {d.Message}"); await d.DismissAsync(); };
            page.Request += (_, r) => { if (!r.Url.StartsWith("file:", StringComparison.Ordinal)) Problems.Add($"network request: {r.Url}"); };
            await page.GotoAsync(new Uri(htmlPath).AbsoluteUri);
            await page.WaitForSelectorAsync("body[data-walsim-ready='true']", new PageWaitForSelectorOptions { Timeout = 30_000 });
            return page;
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}

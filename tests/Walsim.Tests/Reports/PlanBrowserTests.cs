using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Walsim.Analyzer.Planning;
using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Planning;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary>The plan report as a person sees it: loaded from disk in headless Chromium, chart drawn, heatmaps right.</summary>
public sealed class PlanBrowserTests
{

    private const string HostileSlot = "</script><img src=x onerror=alert(1)>";

    /// <summary>Two consumers on a noisy 5MB/s primary, 100GB volume; the plan covers both, one with a hostile name.</summary>
    private static (PlanSource Source, PlanResult Plan) Plan()
    {
        var scenario = new Scenario
        {
            Name = "plan-browser",
            Description = "A <b>standby</b> & a CDC slot",
            Versions = [PgVersion.Parse("16")],
            Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "4GB", ["wal_level"] = "logical" },
            Workload = new Workload([new DailyCycle(5 * 1048576, 0.5, 14, SimDuration.FromMinutes(15))])
            {
                Noise = new RateNoise(0.3, SimDuration.FromHours(1), SimDuration.FromMinutes(5)),
            },
            Slots =
            [
                new SlotSpec { Name = "standby1", Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(1) } },
                new SlotSpec { Name = HostileSlot, Kind = SlotKind.Logical, Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(5) } },
            ],
            Disk = new DiskSpec(ByteCount.FromMegabytes(100 * 1024), ByteCount.Zero, null),
            Duration = SimDuration.FromDays(3),
        };
        var source = PlanSource.FromScenario(scenario, null);
        var options = new PlanOptions
        {
            Version = source.Version,
            Caps = [.. new[] { 4, 16, 32, 64, 96 }.Select(gb => SlotCap.Of(ByteCount.FromMegabytes(gb * 1024L))), SlotCap.Unlimited],
            Outages = [.. new[] { 0.5, 1, 2, 4, 6, 8 }.Select(SimDuration.FromHours)],
            Runs = 12,
            Seed = 5,
            Disk = scenario.Disk,
            WindowStart = SimTime.Zero + SimDuration.FromHours(3),
            WindowEnd = SimTime.Zero + SimDuration.FromHours(48),
            Warmup = SimDuration.FromHours(3),
            Target = SimDuration.FromHours(2),
            Parallelism = 2,
        };
        return (source, CapacityPlanner.Run(scenario, source.Workload, options));
    }

    [BrowserFact]
    public async Task Plan_report_opens_from_disk_with_no_errors_draws_its_charts_and_its_heatmaps_are_plan_json()
    {
        var (source, plan) = Plan();
        var dir = Path.Combine(RepoPaths.Root, "reports", "browser-test");
        var htmlPath = Path.Combine(dir, "plan.html");
        AtomicFile.Write(htmlPath, w => PlanHtmlReport.Write(w, source, plan));
        var json = new StringWriter();
        PlanWriter.WriteJson(json, source, plan);
        var doc = JsonNode.Parse(json.ToString())!;

        await using var browser = await BrowserTests.Browser.Launch();
        var page = await browser.Open(htmlPath);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "plan.png"), FullPage = true });

        Assert.Empty(browser.Problems);
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(0, await page.Locator("b").CountAsync());
        Assert.Equal(1, await page.GetByText($"slot {HostileSlot} (logical)", new PageGetByTextOptions { Exact = true }).CountAsync());

        // One survival chart per slot, drawn with ink.
        await BrowserTests.AssertEveryChartDrew(page, 2, "[data-chart='survival']");

        // Every heatmap cell of P(slot lost) is the JSON's probability, shown as the rounded percentage.
        var cells = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll("section.slot")].map(s =>
              [...s.querySelectorAll("table[data-heatmap='slot-lost'] td")].map(td => ({ cap: td.dataset.capMb, outage: td.dataset.outageS, p: td.dataset.p, text: td.textContent }))))
            """))!.AsArray();
        var slots = doc["slots"]!.AsArray();
        Assert.Equal(slots.Count, cells.Count);
        var seen = 0;
        for (var s = 0; s < slots.Count; s++)
            foreach (var cap in slots[s]!["caps"]!.AsArray())
                foreach (var cell in cap!["cells"]!.AsArray())
                {
                    var capMb = ((long)cap["cap_mb"]!).ToString(CultureInfo.InvariantCulture);
                    var outage = ((double)cell!["outage_s"]!).ToString(CultureInfo.InvariantCulture);
                    var shown = cells[s]!.AsArray().Single(c => (string)c!["cap"]! == capMb && (string)c["outage"]! == outage)!;
                    var p = (double)cell["p_slot_lost"]!;
                    Assert.Equal(p, double.Parse((string)shown["p"]!, CultureInfo.InvariantCulture), 4);
                    Assert.Equal(PlanWriter.Pct(p), (string)shown["text"]!);
                    seen++;
                }
        Assert.Equal(2 * 6 * 6, seen);
        // The recommendation shown is the JSON's.
        var shownCaps = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('p.recommendation')].map(p => p.dataset.capMb)");
        Assert.Equal(slots.Select(s => s!["recommendation"]!["cap_mb"] is { } mb ? ((long)mb).ToString(CultureInfo.InvariantCulture) : ""), shownCaps);
        // The plan is not trivial: some cell is certain loss, some certain survival.
        Assert.Contains(slots[0]!["caps"]!.AsArray().SelectMany(c => c!["cells"]!.AsArray()), c => (double)c!["p_slot_lost"]! == 1);
        Assert.Contains(slots[0]!["caps"]!.AsArray().SelectMany(c => c!["cells"]!.AsArray()), c => (double)c!["p_slot_lost"]! == 0);
    }
}

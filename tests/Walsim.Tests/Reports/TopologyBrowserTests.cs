using System.Text.Json.Nodes;
using Walsim.Cli;
using Xunit;

namespace Walsim.Tests.Reports;

/// <summary>A topology's HTML report: every node a series, the standby's copy of a slot beside the primary's, the failover marked.</summary>
public sealed class TopologyBrowserTests
{

    [BrowserFact]
    public async Task A_topology_report_draws_each_nodes_pg_wal_and_slot_copies_with_the_failover_marked()
    {
        var dir = Path.Combine(RepoPaths.Root, "reports", "browser-test", "topology");
        var html = Path.Combine(dir, "report.html");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = new WalsimCommands(stdout, stderr).Invoke(
            ["simulate", Path.Combine(RepoPaths.Root, "scenarios", "standby-copy-invalidated-before-primary.yaml"), "--pg", "17", "--out", dir, "--html", html]);
        Assert.True(code == 0, stderr.ToString());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        var versions = json["versions"]!.AsArray();
        Assert.Equal(["17.10 a", "17.10 b"], versions.Select(v => (string)v!["label"]!));
        Assert.Equal(9000, (double)versions[0]!["failover_s"]!);
        // b's copy of cdc was lost at a restartpoint (1h59m15s) while a's slot was not.
        Assert.Null(versions[0]!["slots"]!.AsArray().Single(s => (string)s!["name"]! == "cdc")!["lost_s"]);
        Assert.NotNull(versions[1]!["slots"]!.AsArray().Single(s => (string)s!["name"]! == "cdc")!["lost_s"]);

        await using var browser = await BrowserTests.Browser.Launch();
        var page = await browser.Open(html);
        Assert.Empty(browser.Problems);
        // pg_wal, cdc and sb1: each chart drew both nodes' series; the primary a's pg_wal by reason (a standby's rows
        // carry no breakdown).
        await BrowserTests.AssertEveryChartDrew(page, 4);
        Assert.Equal(1, await page.Locator("#chart-reasons-0[data-drawn='true']").CountAsync());
        var headers = await page.Locator("#summary thead th").AllTextContentsAsync();
        Assert.Equal(["", "17.10 a", "17.10 b"], headers);
    }
}

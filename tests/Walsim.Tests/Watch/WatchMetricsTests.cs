using System.Diagnostics;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Watch;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Tests.Live;
using Xunit;

namespace Walsim.Tests.Watch;

public sealed class WatchMetricsTests
{
    private static Watcher NewWatcher(TimeSpan history) => new(
        new WatchOptions("monitor@db1:5432/postgres", history, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1),
            new ForecastOptions(SimDuration.FromHours(1), 10, 1, null), new WorkloadFitOptions()),
        TimeProvider.System);

    [Fact]
    public void Each_slot_is_exported_with_its_lag_and_wal_status_as_a_state_set_and_the_quoted_name_escaped()
    {
        var w = NewWatcher(TimeSpan.FromHours(1));
        w.Write(LiveFixtures.Sample(1, 0, LiveFixtures.Physical, LiveFixtures.Logical));
        var text = WatchMetrics.Render(w.Snapshot());

        Assert.Contains("walsim_samples_total 1\n", text);
        Assert.Contains("walsim_slot_active{slot=\"rep1\"} 0\n", text);
        Assert.Contains("walsim_slot_active{slot=\"cdc, \\\"quoted\\\"\"} 1\n", text);
        Assert.Contains("# TYPE walsim_model_disagreements_total counter\n", text);
        // Every sample line is NAME{labels} VALUE: nothing else leaks into the exposition.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
            Assert.Matches(@"^walsim_[a-z_]+(\{.*\})? [-+0-9.eE]+(Inf)?$", line);
        Assert.DoesNotContain("db1", text);
    }

    [Fact]
    public void The_ring_keeps_only_the_history_asked_for_one_sample_every_10_s_for_a_minute_keeps_7()
    {
        var w = NewWatcher(TimeSpan.FromMinutes(1));
        for (var i = 1; i <= 30; i++) w.Write(LiveFixtures.Sample(i, 10 * (i - 1), LiveFixtures.Physical));
        var s = w.Snapshot();
        Assert.Equal(30, s.Samples);
        Assert.Equal(7, s.HistorySamples); // 0, 10 ... 60 s back from the newest
    }

    [Fact]
    public void A_slot_predicted_lost_in_50_minutes_at_p10_is_critical_with_a_1h_threshold_and_ok_with_30min()
    {
        var lost = new OutcomeSummary(Enumerable.Repeat<SimDuration?>(SimDuration.FromMinutes(50), 10));
        var never = new OutcomeSummary(Enumerable.Repeat<SimDuration?>(null, 10));
        var slot = new SlotForecast("cdc", SlotKind.Logical, ConsumerState.Stalled, WalStatus.Extended, never, never, lost, null);
        var result = new ForecastResult(WhatIf.CurrentTrend, [slot], never, never, [], null!, []);

        var critical = SlotCheck.Judge(result, SimDuration.FromHours(48), TimeSpan.Zero, TimeSpan.FromHours(6), TimeSpan.FromHours(1), disk: false);
        Assert.Equal(CheckState.Critical, critical.State);
        Assert.Equal("WALSIM SLOTS CRITICAL: slot cdc lost in 50min (p10) | 'cdc_lost_p10'=3000s;21600;3600;0", critical.Line);

        var ok = SlotCheck.Judge(result, SimDuration.FromHours(48), TimeSpan.Zero, TimeSpan.FromMinutes(40), TimeSpan.FromMinutes(30), disk: false);
        Assert.Equal(CheckState.Ok, ok.State);
    }
}

/// <summary>Skipped where promtool is not installed, unless CI=true (then its absence fails).</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !File.Exists("/usr/bin/promtool")) Skip = "promtool is not installed (apt-get install prometheus); with CI=true this test fails instead";
    }
}

public sealed class PromtoolRulesTests
{
    [PromtoolFact]
    public void The_shipped_alert_rules_pass_their_promtool_unit_tests()
    {
        Assert.True(File.Exists("/usr/bin/promtool"), "promtool is missing: apt-get install prometheus (.ci/run does)");
        var info = new ProcessStartInfo("/usr/bin/promtool", ["test", "rules", "walsim-rules.test.yml"])
        {
            WorkingDirectory = RepoPaths.Of("deploy", "prometheus"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
    }
}

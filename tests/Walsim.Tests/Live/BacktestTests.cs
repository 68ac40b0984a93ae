using Walsim.Analyzer.Live;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// The backtest on the two recorded traces (scenarios/traces): forecast from the first half, compare with the second.
/// In both, the cdc consumer had stopped before the split and the slot is lost after it. walsim must do better than
/// predict_linear on pg_wal's size, and the real loss must fall inside its p10..p90.
/// </summary>
public sealed class BacktestTests
{
    private static string Trace(string name) =>
        RepoPaths.Of("scenarios", "traces", name, "samples.csv");

    private static BacktestResult Run(string name)
    {
        var path = Trace(name);
        var settings = SampleFile.ReadSettings(SampleFile.SettingsPath(path)).ToList();
        // The traces compress a day into 10 minutes; 20 s buckets.
        var fit = new WorkloadFitOptions { CyclePeriod = SimDuration.FromMinutes(10), Bucket = SimDuration.FromSeconds(20) };
        return Backtest.Run(path, () => SampleFrames.Group(SampleFile.Read(path)), settings, default, fit, runs: 200, seed: 1, parallelism: 2);
    }

    [Theory]
    [InlineData("diurnal-pg15")]
    [InlineData("steady-batch-pg13")]
    public void On_a_recorded_trace_walsim_forecasts_the_slot_loss_and_pg_wal_better_than_predict_linear(string trace)
    {
        var b = Run(trace);
        var cdc = b.Slots.Single(s => s.Name == "cdc");
        Assert.NotNull(cdc.ActualLost);
        var actual = cdc.ActualLost!.Value;
        var p10 = cdc.Walsim.Lost.Quantile(0.1);
        var p90 = cdc.Walsim.Lost.P90;
        Assert.True(p10 is { } lo && lo <= actual && (p90 is null || actual <= p90.Value),
            $"actual {actual} outside walsim's {p10}..{p90}");
        // predict_linear over the half before the split sees a slow decline of safe_wal_size and says "much later".
        Assert.True(cdc.LinearLost is null || cdc.LinearLost.Value > actual, $"predict_linear {cdc.LinearLost}");
        Assert.True(b.Size.WalsimMae < b.Size.LinearMae, $"walsim MAE {b.Size.WalsimMae}, predict_linear {b.Size.LinearMae}");
        var standby = b.Slots.Single(s => s.Name == "standby1");
        Assert.Null(standby.ActualLost);
        Assert.Equal(standby.Walsim.Lost.Runs, standby.Walsim.Lost.Never);
    }

    [Fact]
    public void The_diurnal_trace_shows_its_ten_minute_cycle_to_the_fit()
    {
        var b = Run("diurnal-pg15");
        Assert.True(b.Fit.Report.Cycle.Accepted, b.Fit.Report.Cycle.Reason);
        Assert.Equal(SimDuration.FromMinutes(10), b.Fit.Report.Cycle.Period);
    }
}

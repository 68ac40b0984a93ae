using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using static Walsim.Tests.Forecasting.SyntheticWal;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="WorkloadFit.SamplePath"/>: seeded and reproducible, at the bucket resolution, and statistically the
/// fitted model (level, spread, cycle), so Monte Carlo over the engine is <c>Simulation.Run</c> over these paths.
/// </summary>
public class SamplePathTests
{
    private static readonly SimDuration FiveMin = SimDuration.FromMinutes(5);
    private const double MiB = ByteCount.MiB;
    private static readonly SimTime Now = SimTime.FromSeconds(7 * 86400);

    private static readonly Lazy<WorkloadFit> Cyclic = new(() => WorkloadFit.Fit(FromBucketRates(
        LogModelRates(7 * 288, FiveMin, new Random(202), Math.Log(4 * MiB), 0.2, phi: 0.6, amp: 0.5, peakHour: 14),
        FiveMin, SimDuration.FromMinutes(1))));

    private static readonly Lazy<WorkloadFit> Flat = new(() => WorkloadFit.Fit(FromBucketRates(
        LogModelRates(7 * 288, FiveMin, new Random(101), Math.Log(2 * MiB), 0.3), FiveMin, SimDuration.FromMinutes(1))));

    private static RateStep[] Steps(Workload w) => ((PiecewiseRate)Assert.Single(w.Components)).Steps.ToArray();

    [Fact]
    public void The_same_seed_gives_the_same_path()
    {
        var a = Steps(Cyclic.Value.SamplePath(new Random(42), Now, SimDuration.FromDays(30)));
        var b = Steps(Cyclic.Value.SamplePath(new Random(42), Now, SimDuration.FromDays(30)));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Different_seeds_give_different_paths()
    {
        var a = Steps(Cyclic.Value.SamplePath(new Random(1), Now, SimDuration.FromDays(1)));
        var b = Steps(Cyclic.Value.SamplePath(new Random(2), Now, SimDuration.FromDays(1)));
        Assert.True(a.Zip(b).Count(p => p.First.BytesPerSecond != p.Second.BytesPerSecond) > a.Length * 9 / 10);
    }

    [Fact]
    public void A_path_is_one_rate_per_bucket_over_the_horizon_on_the_engines_clock()
    {
        var steps = Steps(Cyclic.Value.SamplePath(new Random(3), Now, SimDuration.FromDays(30)));
        Assert.Equal(30 * 288, steps.Length);  // 8,640 doubles, not an object per second
        for (var k = 0; k < steps.Length; k++) Assert.Equal(new SimTime(k * FiveMin.Microseconds), steps[k].At);
        Assert.All(steps, s => Assert.InRange(s.BytesPerSecond, 0, WorkloadFit.MaxBytesPerSecond));

        // 61 minutes round up to 13 buckets; hourly steps average 12 buckets and keep the WAL volume.
        Assert.Equal(13, Steps(Cyclic.Value.SamplePath(new Random(3), Now, SimDuration.FromMinutes(61))).Length);
        var hourly = Steps(Cyclic.Value.SamplePath(new Random(3), Now, SimDuration.FromDays(30), bucketsPerStep: 12));
        Assert.Equal(720, hourly.Length);
        Assert.Equal(steps.Sum(s => s.BytesPerSecond), hourly.Sum(s => s.BytesPerSecond) * 12, steps.Sum(s => s.BytesPerSecond) * 1e-12);
    }

    [Fact]
    public void A_rate_factor_scales_the_same_path()
    {
        var one = Steps(Flat.Value.SamplePath(new Random(5), Now, SimDuration.FromDays(1)));
        var two = Steps(Flat.Value.SamplePath(new Random(5), Now, SimDuration.FromDays(1), rateFactor: 2));
        Assert.All(one.Zip(two), p => Assert.Equal(2 * p.First.BytesPerSecond, p.Second.BytesPerSecond, 1e-6));
    }

    [Fact]
    public void Paths_have_the_fitted_level_spread_and_autocorrelation()
    {
        // 100 days of one path: 28,800 buckets of AR(1) noise around the fitted level. With phi ≈ 0.07 the SE of the
        // mean log-rate is ~0.3/sqrt(28800) = 0.002, plus the coefficient draw (SE 0.007): tolerance 0.04.
        var fit = Flat.Value;
        var rates = new double[100 * 288];
        fit.SampleRates(new Random(6), Now, rates);
        var logs = rates.Select(r => Math.Log(r)).ToArray();
        var mean = logs.Average();
        var sd = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (logs.Length - 1));
        Assert.Equal(fit.Report.Rates.LogMean, mean, 0.04);
        Assert.Equal(fit.Report.Noise.StdDev, sd, 0.02);
        var lag1 = Enumerable.Range(1, logs.Length - 1).Sum(i => (logs[i] - mean) * (logs[i - 1] - mean)) / logs.Sum(x => (x - mean) * (x - mean));
        Assert.Equal(fit.Report.Noise.Ar1, lag1, 0.03);  // SE 1/sqrt(28800) = 0.006
    }

    [Fact]
    public void Paths_follow_the_fitted_daily_cycle()
    {
        // Mean log-rate by hour of day over 60 days: the hour with the highest mean is the fitted peak hour (14:00)
        // give or take one hour (the curve is flat near its top: 0.5·(1 − cos 15°) = 0.017 between neighbours).
        var rates = new double[60 * 288];
        Cyclic.Value.SampleRates(new Random(7), Now, rates);
        var byHour = new double[24];
        for (var k = 0; k < rates.Length; k++) byHour[k / 12 % 24] += Math.Log(rates[k]);
        var peak = Array.IndexOf(byHour, byHour.Max()) + 0.5;
        Assert.Equal(Cyclic.Value.Report.Cycle.PeakHour, peak, 1.0);
    }

    [Fact]
    public void Monte_carlo_over_the_engine_is_reproducible_and_independent_of_threads()
    {
        // A slot whose consumer stops at 6 h and never returns, capped at 2GB: each path loses it at its own time.
        var scenario = new Scenario
        {
            Name = "mc",
            Versions = [PgVersion.Parse("15")],
            Duration = SimDuration.FromDays(1),
            SampleInterval = SimDuration.Zero,
            Settings = new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "2GB" },
            Slots = [new SlotSpec { Name = "cdc", Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(6 * 3600), SimTime.Never)] } }],
        };
        var fit = Flat.Value;
        SimDuration? LostAfter(int run, Random rng)
        {
            var result = Simulation.Run(scenario with { Workload = fit.SamplePath(rng, Now, scenario.Duration) }, PgVersion.Parse("15"));
            return result.Slots[0].Lost is { } lost ? lost - SimTime.Zero : null;
        }
        var serial = MonteCarlo.Run(8, 2026, LostAfter);
        var parallel = MonteCarlo.Run(8, 2026, LostAfter, maxParallelism: 2);
        Assert.Equal(serial, parallel);
        Assert.All(serial, s => Assert.NotNull(s));
        Assert.True(serial.Distinct().Count() > 4, "paths differ, so losses happen at different times");
        var summary = new OutcomeSummary(serial);
        Assert.Equal(0, summary.NeverFraction);
        Assert.True(summary.P50 <= summary.P90);
    }
}

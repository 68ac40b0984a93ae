using Walsim.Analyzer.Planning;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Planning;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Planning;

/// <summary>The values a plan sweeps (<see cref="PlanGrid"/>) and the random workload paths it runs (<see cref="WorkloadPaths"/>).</summary>
public class PlanGridAndPathTests
{
    [Fact]
    public void A_range_of_outages_is_cut_on_a_log_scale_and_snapped_to_minutes_quarter_hours_and_hours()
    {
        Assert.True(PlanGrid.TryParseOutages("30min..48h", 10, out var outages, out var error), error);
        // 30 min × 96^(k/9): 49.8m, 1h22.8m, 2h17.6m, 3h48.5m, 6h19.6m, 10h30.5m, 17h27m, 28h59m → snapped to whole
        // minutes under an hour, quarter hours under 12 hours, hours beyond; the ends as written.
        Assert.Equal(["30m", "50m", "1h30m", "2h15m", "3h45m", "6h15m", "10h30m", "17h", "1d05h", "2d00h"], outages.Select(PlanWriter.Span));
    }

    [Fact]
    public void A_range_of_caps_is_snapped_to_powers_of_two_and_one_and_a_half_times_them_in_megabytes()
    {
        Assert.True(PlanGrid.TryParseCaps("1GB..250GB", 10, out var caps, out var error), error);
        Assert.Equal(["1GB", "2GB", "3GB", "6GB", "12GB", "24GB", "48GB", "64GB", "128GB", "250GB"], caps.Select(c => c.ToString()));
        Assert.True(PlanGrid.TryParseCaps("64GB, 16GB,-1,unlimited", 10, out var list, out error), error);
        Assert.Equal(["16GB", "64GB", "unlimited"], list.Select(c => c.ToString()));
        Assert.Equal("-1", SlotCap.Unlimited.SettingValue);
        Assert.Equal("65536MB", list[1].SettingValue);
    }

    private static Workload Daily(RateNoise? noise) =>
        new([new DailyCycle(4 * 1048576, 0.5, 14, SimDuration.FromMinutes(15))]) { Noise = noise };

    /// <summary>The integral of a piecewise rate over [0, end).</summary>
    private static double Bytes(Workload w, SimDuration end)
    {
        var steps = ((PiecewiseRate)w.Components.Single()).Steps;
        double sum = 0;
        for (var i = 0; i < steps.Count; i++)
        {
            var until = i + 1 < steps.Count ? steps[i + 1].At : SimTime.Zero + end;
            sum += steps[i].BytesPerSecond * (until - steps[i].At).TotalSeconds;
        }
        return sum;
    }

    [Fact]
    public void Without_noise_a_stretch_of_the_workload_is_the_declared_rate_moved_to_time_0_in_its_daily_phase()
    {
        // From 14:00 the daily cycle is at its peak: 4MB/s × 1.5 at the first step (sampled mid-step: 14:07:30).
        var w = WorkloadPaths.Window(Daily(null), SimTime.Zero + SimDuration.FromHours(14), SimDuration.FromHours(24), new Random(1));
        var steps = ((PiecewiseRate)w.Components.Single()).Steps;
        Assert.Equal(SimTime.Zero, steps[0].At);
        Assert.Equal(4 * 1048576 * (1 + 0.5 * Math.Cos(2 * Math.PI * (14.125 - 14) / 24)), steps[0].BytesPerSecond, 1e-6);
        // One step per 15-minute resolution step, except around 02:00, the trough, where the steps either side
        // (sampled at 01:52:30 and 02:07:30) have the same rate and are one step.
        Assert.Equal(95, steps.Count);
        // A whole day holds the daily mean exactly (cos sums to 0 over the 96 steps).
        Assert.Equal(4 * 1048576 * 86400.0, Bytes(w, SimDuration.FromHours(24)), 1);
    }

    [Fact]
    public void Noise_keeps_the_mean_rate_and_has_the_declared_coefficient_of_variation_and_correlation()
    {
        var noise = new RateNoise(0.3, SimDuration.FromHours(1), SimDuration.FromMinutes(5));
        var constant = new Workload([new ConstantRate(1048576, SimTime.Zero, SimTime.Never)]) { Noise = noise };
        var factors = new List<double>();
        for (var seed = 0; seed < 40; seed++)
        {
            var w = WorkloadPaths.Window(constant, SimTime.Zero, SimDuration.FromDays(5), new Random(seed));
            factors.AddRange(((PiecewiseRate)w.Components.Single()).Steps.Select(s => s.BytesPerSecond / 1048576));
        }
        var mean = factors.Average();
        var sd = Math.Sqrt(factors.Sum(f => (f - mean) * (f - mean)) / (factors.Count - 1));
        Assert.InRange(mean, 0.98, 1.02);          // mean-preserving: exp(u − σ²/2)
        Assert.InRange(sd / mean, 0.27, 0.33);     // cv 30 %
        // Lag-1 autocorrelation of ln(factor) = φ = exp(−5min / 1h) = 0.920.
        var logs = factors.Select(f => Math.Log(f)).ToArray();
        var lm = logs.Average();
        double num = 0, den = 0;
        for (var i = 1; i < logs.Length; i++) { num += (logs[i] - lm) * (logs[i - 1] - lm); den += (logs[i] - lm) * (logs[i] - lm); }
        Assert.InRange(num / den, 0.89, 0.95);
    }

    [Fact]
    public void The_same_generator_state_gives_the_same_path()
    {
        var noise = new RateNoise(0.5, SimDuration.FromMinutes(30), SimDuration.FromMinutes(5));
        var a = WorkloadPaths.Window(Daily(noise), SimTime.Zero + SimDuration.FromHours(3), SimDuration.FromDays(2), new Random(9));
        var b = WorkloadPaths.Window(Daily(noise), SimTime.Zero + SimDuration.FromHours(3), SimDuration.FromDays(2), new Random(9));
        Assert.Equal(((PiecewiseRate)a.Components.Single()).Steps, ((PiecewiseRate)b.Components.Single()).Steps);
    }

    [Fact]
    public void A_periodic_write_keeps_its_phase_when_the_stretch_starts_later()
    {
        // Every 5 min from 0: seen from 12 min, the next is at 15 min, i.e. 3 min into the stretch.
        var w = new Workload([]) { PeriodicWrites = [new PeriodicWrite("hb", SimDuration.FromMinutes(5), new ByteCount(256), SimTime.Zero, SimTime.Never)] };
        var moved = WorkloadPaths.Window(w, SimTime.Zero + SimDuration.FromMinutes(12), SimDuration.FromHours(1), new Random(1));
        Assert.Equal(SimTime.Zero + SimDuration.FromMinutes(3), moved.PeriodicWrites.Single().From);
    }

    [Theory]
    [InlineData("- noise: {cv: 30%, correlation: 1h}", null)]
    [InlineData("- noise: {cv: 30%}\n  - noise: {cv: 10%}", "two noise: entries")]
    [InlineData("- noise: {cv: lots}", "coefficient of variation")]
    [InlineData("- noise: {cv: 30%, correlation: -1h}", "duration")]
    [InlineData("- noise: {cv: 30%, bucket: 0s}", "bucket")]
    [InlineData("- noise: {cv: 30%, jitter: 1}", "jitter")]
    public void A_scenario_declares_noise_once_in_its_workload_and_a_bad_one_names_the_line(string yaml, string? error)
    {
        var text = "name: n\nversions: [15]\nworkload:\n  - constant: 1MB/s\n  " + yaml + "\n";
        if (error is null)
        {
            var s = ScenarioLoader.Parse(text, "n.yaml");
            Assert.Equal(new RateNoise(0.3, SimDuration.FromHours(1), SimDuration.FromMinutes(5)), s.Workload.Noise);
            return;
        }
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(text, "n.yaml"));
        Assert.Contains("n.yaml:", e.Message);
        Assert.Contains(error, e.Message);
    }
}

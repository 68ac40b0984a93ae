using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="MonteCarlo"/> seeding and <see cref="OutcomeSummary"/> quantiles: Hyndman–Fan type 1 on exact small
/// samples, and against the closed-form quantiles of an exponential distribution.
/// </summary>
public class MonteCarloTests
{
    [Fact]
    public void Run_seeds_are_fixed_distinct_and_non_negative()
    {
        // Pinned: changing the derivation would silently change every forecast.
        Assert.Equal(MonteCarlo.RunSeed(42, 0), MonteCarlo.RunSeed(42, 0));
        var seeds = Enumerable.Range(0, 1000).Select(i => MonteCarlo.RunSeed(42, i)).ToList();
        Assert.Equal(1000, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.True(s >= 0));
        Assert.NotEqual(MonteCarlo.RunSeed(42, 0), MonteCarlo.RunSeed(43, 0));
        Assert.Equal(PinnedSeed0, MonteCarlo.RunSeed(42, 0));
    }

    private const int PinnedSeed0 = 1_051_451_323; // SplitMix64 of (42 << 32 | 0), low 31 bits, computed independently

    [Fact]
    public void Results_come_back_in_run_order_whatever_the_parallelism()
    {
        var serial = MonteCarlo.Run(200, 7, (i, rng) => (i, rng.Next()));
        var parallel = MonteCarlo.Run(200, 7, (i, rng) => (i, rng.Next()), maxParallelism: 2);
        Assert.Equal(serial, parallel);
        Assert.Equal(Enumerable.Range(0, 200), serial.Select(r => r.i));
        Assert.Equal(new Random(MonteCarlo.RunSeed(7, 13)).Next(), serial[13].Item2);
    }

    [Theory]
    [InlineData(0.0, 1)]   // k = max(1, ⌈0⌉)
    [InlineData(0.05, 1)]  // ⌈0.5⌉ = 1
    [InlineData(0.1, 1)]   // ⌈1⌉ = 1
    [InlineData(0.11, 2)]
    [InlineData(0.5, 5)]   // ⌈5⌉ = 5: the lower median, no averaging
    [InlineData(0.9, 9)]   // ⌈9⌉ = 9 (0.9 × 10 is 9.000000000000002 in doubles; rounded to 1e-9 first)
    [InlineData(0.91, 10)]
    [InlineData(1.0, 10)]
    public void Quantiles_are_type_1_inverse_empirical_cdf(double p, int expectedMinutes)
    {
        var summary = new OutcomeSummary(Enumerable.Range(1, 10).Reverse().Select(m => (SimDuration?)SimDuration.FromMinutes(m)));
        Assert.Equal(SimDuration.FromMinutes(expectedMinutes), summary.Quantile(p));
    }

    [Fact]
    public void Runs_that_never_see_the_event_count_as_beyond_the_horizon()
    {
        // 7 of 10 runs lose the slot at 1..7 h; 3 never do. p50 = 5th = 5 h; p70 = 7th = 7 h; p90 = 9th = never.
        var outcomes = Enumerable.Range(1, 7).Select(h => (SimDuration?)SimDuration.FromHours(h)).Concat([null, null, SimDuration.Infinite]);
        var s = new OutcomeSummary(outcomes);
        Assert.Equal(10, s.Runs);
        Assert.Equal(3, s.Never);
        Assert.Equal(0.3, s.NeverFraction, 1e-12);
        Assert.Equal(SimDuration.FromHours(5), s.P50);
        Assert.Equal(SimDuration.FromHours(7), s.Quantile(0.7));
        Assert.Null(s.P90);
        Assert.Null(new OutcomeSummary([]).P50);
    }

    [Fact]
    public void Quantiles_of_exponential_times_match_the_closed_form()
    {
        // Exponential with mean 10 h: Q(p) = −10 h · ln(1 − p). The SE of an empirical p-quantile is
        // sqrt(p(1−p)/n) / f(Q(p)) with f(Q(p)) = (1 − p)/10 h: 0.1 h at p50 and 0.3 h at p90 for n = 10,000.
        // Tolerance: 4 SE.
        const double meanHours = 10;
        var times = MonteCarlo.Run(10_000, 99, (_, rng) => (SimDuration?)SimDuration.FromHours(-meanHours * Math.Log(1 - rng.NextDouble())));
        var s = new OutcomeSummary(times);
        foreach (var p in new[] { 0.5, 0.9 })
        {
            var expected = -meanHours * Math.Log(1 - p);
            var se = Math.Sqrt(p * (1 - p) / 10_000) / ((1 - p) / meanHours);
            Assert.Equal(expected, s.Quantile(p)!.Value.TotalHours, 4 * se);
        }
    }

    [Fact]
    public void Empirical_quantile_of_a_sorted_span_uses_the_same_rule()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(2, EmpiricalQuantile.Type1(sorted, 0.5));
        Assert.Equal(3, EmpiricalQuantile.Type1(sorted, 0.51));
        Assert.Equal(4, EmpiricalQuantile.Type1(sorted, 0.9));
    }
}

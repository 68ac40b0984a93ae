using Walsim.Simulator.Forecasting;
using Xunit;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="LevelShifts"/>: levels are kept for a rate that steps between levels, and given up for one AR(1) where
/// the rate only drifts (a cycle seen too briefly to fit), by BIC on the same log-rates.
/// </summary>
public class LevelShiftTests
{
    // Log-normal noise of sd 0.05 around each bucket's rate, seeded.
    private static double[] Noisy(Func<int, double> rate, int n, int seed)
    {
        var g = new Gaussian(new Random(seed));
        var rates = new double[n];
        for (var k = 0; k < n; k++) rates[k] = rate(k) * Math.Exp(0.05 * g.Next());
        return rates;
    }

    [Fact]
    public void A_load_that_steps_between_levels_keeps_its_levels()
    {
        // 80, 150, 50, 130 kB/s for 12 buckets each (regime-pg15's first steps): at each step the AR(1) is off by
        // ln(150/80) = 0.63 and more, the levels only by the noise (RSS/n ≈ 0.0025): levels win by far.
        double[] steps = [80e3, 150e3, 50e3, 130e3];
        var rates = Noisy(k => steps[k / 12], 48, 1);
        var cuts = LevelShifts.Find(rates);
        Assert.Equal([12, 24, 36], cuts);
        Assert.True(LevelShifts.BeatAr1(rates, cuts));
    }

    [Fact]
    public void A_smooth_cycle_seen_for_one_period_is_one_AR1_not_levels()
    {
        // 90 ± 40 kB/s over one 48-bucket period (several-pg13's sine, seen once): binary segmentation cuts it into
        // levels, but the AR(1)'s one-step innovations are the noise plus the small bucket-to-bucket change of the
        // sine (2π·0.45/48 ≈ 0.06 at most), in 3 parameters against the levels' 2m + 2.
        var rates = Noisy(k => 90e3 + 40e3 * Math.Sin(2 * Math.PI * k / 48), 48, 2);
        var cuts = LevelShifts.Find(rates);
        Assert.NotEmpty(cuts);
        Assert.False(LevelShifts.BeatAr1(rates, cuts));
    }

    [Fact]
    public void Levels_of_a_load_that_steps_beat_the_same_rates_shuffled()
    {
        // The 80/150/50/130 kB/s steps: levels remove nearly all of the log-rates' squared error (the steps' ln 3 range
        // against noise of sd 0.05); in a random order the same rates have no levels to find.
        double[] steps = [80e3, 150e3, 50e3, 130e3];
        var rates = Noisy(k => steps[k / 12], 48, 1);
        Assert.True(LevelShifts.BeatShuffles(rates, LevelShifts.Find(rates)));
    }

    [Fact]
    public void Bunched_bursts_of_a_batch_load_in_random_order_beat_the_shuffles_about_one_time_in_twenty()
    {
        // 48 buckets, each a 0.5-1.5 MB/s batch with probability 0.3, else about 2 kB/s: no levels, but binary
        // segmentation cuts wherever bursts bunch. Against 19 shuffles the levels found win with probability 1/20
        // (the permutation test at 5 %): of 60 such histories, a handful at most (3 expected).
        var kept = 0;
        for (var seed = 1; seed <= 60; seed++)
        {
            var rng = new Random(seed);
            var rates = new double[48];
            for (var k = 0; k < 48; k++) rates[k] = rng.NextDouble() < 0.3 ? 1e6 * (0.5 + rng.NextDouble()) : 2e3 * (0.9 + 0.2 * rng.NextDouble());
            var cuts = LevelShifts.Find(rates);
            if (cuts.Count > 0 && LevelShifts.BeatShuffles(rates, cuts)) kept++;
        }
        Assert.InRange(kept, 0, 8);
    }

    [Fact]
    public void BIC_weighs_the_fit_against_the_parameters()
    {
        // n = 48: 48·ln 0.0100 + 3·ln 48 = −209.4; 48·ln 0.0160 + 10·ln 48 = −159.8.
        Assert.Equal(-209.4, LevelShifts.Bic(48, 0.0100, 3), 1);
        Assert.Equal(-159.8, LevelShifts.Bic(48, 0.0160, 10), 1);
    }
}

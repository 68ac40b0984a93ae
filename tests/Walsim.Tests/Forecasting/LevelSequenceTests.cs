using Walsim.Simulator.Forecasting;
using Xunit;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="LevelSequence"/>: the future of a load that steps between levels as a renewal process of the history's
/// own levels — the current level ends when a level of its age ends, the next one is another level.
/// </summary>
public class LevelSequenceTests
{
    [Fact]
    public void A_level_as_old_as_the_levels_used_to_last_ends_at_once()
    {
        // regime-pg15 at 35 %: 44 buckets of 12 s, shifts at 15 and 30 (80, 150, then 50 kB/s for three minutes each).
        // The one level seen begin and end lasted 15 buckets; the current one has lasted 14: it ends after one more,
        // in every run — not after a geometric 14.7 buckets (the mean of 15, 15 and 14), which kept the slow level
        // three more minutes on average and forecast the loss 81 s late.
        var levels = LevelSequence.Of(44, [15, 30]);
        Assert.Equal(14, levels.Age);
        var rng = new Random(1);
        for (var i = 0; i < 100; i++) Assert.Equal(1, levels.RemainingOfCurrent(rng));
    }

    [Fact]
    public void The_current_level_lasts_the_residual_life_of_the_completed_levels_longer_than_its_age()
    {
        // Levels [0,5) [5,15) [15,35) [35,65) [65,77): completed ones lasted 10, 20 and 30 buckets; the current one
        // has lasted 12. Levels of 10 had ended by that age, so it lasts 20 or 30 in all: 8 or 18 more, even odds.
        var levels = LevelSequence.Of(77, [5, 15, 35, 65]);
        Assert.Equal(12, levels.Age);
        var rng = new Random(2);
        var draws = Enumerable.Range(0, 10_000).Select(_ => levels.RemainingOfCurrent(rng)).ToList();
        Assert.All(draws, d => Assert.Contains(d, new[] { 8, 18 }));
        Assert.InRange(draws.Count(d => d == 8) / 10_000.0, 0.47, 0.53);
        // A following level lasts 10, 20 or 30, a third each.
        var next = Enumerable.Range(0, 9_000).Select(_ => levels.Duration(rng)).ToList();
        Assert.All(next, d => Assert.Contains(d, new[] { 10, 20, 30 }));
        Assert.All(new[] { 10, 20, 30 }, d => Assert.InRange(next.Count(x => x == d) / 9_000.0, 0.30, 0.37));
    }

    [Fact]
    public void A_level_older_than_every_completed_one_ends_memorylessly_with_the_mean_level_length()
    {
        // Levels [0,10) [10,20) [20,48): the completed one lasted 10, the current one 28 already. The history says
        // nothing of when such a level ends: 1 + a geometric count with the mean length of the three, (10+10+28)/3 = 16.
        var levels = LevelSequence.Of(48, [10, 20]);
        var rng = new Random(3);
        var draws = Enumerable.Range(0, 20_000).Select(_ => levels.RemainingOfCurrent(rng)).ToList();
        Assert.All(draws, d => Assert.True(d >= 1));
        Assert.InRange(draws.Average(), 15.3, 16.7);
        Assert.Contains(draws, d => d > 40);
    }

    [Fact]
    public void The_next_level_is_another_one_recent_levels_likelier()
    {
        // 48 buckets, levels ending at 12, 24, 36 and 48: the weight halves every 12 buckets (a quarter of the history)
        // back from the end, 1/8, 1/4, 1/2 and 1. After the current level (the last) ends: 1/7, 2/7 and 4/7; never
        // itself. After the second ends: 1/8, 1/2 and 1 over 13/8 — 1/13, 4/13 and 8/13.
        var levels = LevelSequence.Of(48, [12, 24, 36]);
        var rng = new Random(4);
        var afterCurrent = Enumerable.Range(0, 70_000).Select(_ => levels.Next(rng, 3)).ToList();
        Assert.DoesNotContain(3, afterCurrent);
        Assert.InRange(afterCurrent.Count(l => l == 0) / 70_000.0, 1 / 7.0 - 0.01, 1 / 7.0 + 0.01);
        Assert.InRange(afterCurrent.Count(l => l == 1) / 70_000.0, 2 / 7.0 - 0.01, 2 / 7.0 + 0.01);
        Assert.InRange(afterCurrent.Count(l => l == 2) / 70_000.0, 4 / 7.0 - 0.01, 4 / 7.0 + 0.01);
        var afterSecond = Enumerable.Range(0, 65_000).Select(_ => levels.Next(rng, 1)).ToList();
        Assert.DoesNotContain(1, afterSecond);
        Assert.InRange(afterSecond.Count(l => l == 0) / 65_000.0, 1 / 13.0 - 0.01, 1 / 13.0 + 0.01);
        Assert.InRange(afterSecond.Count(l => l == 3) / 65_000.0, 8 / 13.0 - 0.01, 8 / 13.0 + 0.01);
    }

    [Fact]
    public void A_resampled_stepping_load_leaves_its_current_level_when_that_level_has_run_its_course()
    {
        // 80, 150 and 50 kB/s for 15, 15 and 14 buckets: the next bucket is still 50 kB/s, then 15 buckets of 80 or
        // of 150 — not more of the 50 the history ended on.
        double[] steps = [80e3, 150e3, 50e3];
        var rates = Enumerable.Range(0, 44).Select(k => steps[Math.Min(2, k / 15)]).ToArray();
        var resampled = ResampledRates.Of(rates, [15, 30]);
        var rng = new Random(5);
        var path = new double[16];
        for (var run = 0; run < 200; run++)
        {
            resampled.Sample(rng, path, 1);
            Assert.Equal(50e3, path[0]);
            Assert.Contains(path[1], new[] { 80e3, 150e3 });
            Assert.All(path[1..], r => Assert.Equal(path[1], r));
        }
    }
}

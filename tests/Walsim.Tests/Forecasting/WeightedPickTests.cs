using Walsim.Simulator.Forecasting;
using Xunit;

namespace Walsim.Tests.Forecasting;

/// <summary><see cref="WeightedPick"/>: one item by weight, from the running totals of the weights.</summary>
public class WeightedPickTests
{
    [Theory]
    // Weights 1, 2 and 3 as running totals 1, 3, 6: item 0 holds [0, 1), item 1 [1, 3), item 2 [3, 6).
    [InlineData(0.0, 0)]
    [InlineData(0.999, 0)]
    [InlineData(1.0, 1)]
    [InlineData(2.999, 1)]
    [InlineData(3.0, 2)]
    [InlineData(5.999, 2)]
    // Rounding can put u at the total: still the last item, never past the end.
    [InlineData(6.0, 2)]
    public void An_item_holds_its_share_of_the_total_from_the_running_total_before_it(double u, int item) =>
        Assert.Equal(item, WeightedPick.At([1.0, 3.0, 6.0], u));

    [Fact]
    public void Items_are_drawn_in_proportion_to_their_weights()
    {
        double[] cumulative = [1.0, 3.0, 6.0];
        var rng = new Random(3);
        var counts = new int[3];
        for (var i = 0; i < 60_000; i++) counts[WeightedPick.Draw(rng, cumulative)]++;
        // 1/6, 2/6 and 3/6 of 60,000: 10,000, 20,000 and 30,000 (binomial sd about 90–120).
        Assert.InRange(counts[0], 9_600, 10_400);
        Assert.InRange(counts[1], 19_500, 20_500);
        Assert.InRange(counts[2], 29_500, 30_500);
    }
}

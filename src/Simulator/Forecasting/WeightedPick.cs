namespace Walsim.Simulator.Forecasting;

/// <summary>
/// A draw by weight from the running totals of the weights: item i holds [cumulative[i − 1], cumulative[i]) of
/// [0, total). One binary search, so the period a forecast path draws, the level a resampled path moves to and the
/// stretch of history it starts from are picked the same way.
/// </summary>
internal static class WeightedPick
{
    /// <summary>
    /// The item whose share holds <paramref name="u"/>: the first running total above it, the last item when rounding
    /// puts <paramref name="u"/> at the total (or beyond).
    /// </summary>
    public static int At(ReadOnlySpan<double> cumulative, double u)
    {
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>One item drawn with probability its weight over the total.</summary>
    public static int Draw(Random rng, ReadOnlySpan<double> cumulative) => At(cumulative, rng.NextDouble() * cumulative[^1]);
}

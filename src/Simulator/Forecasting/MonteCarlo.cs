namespace Walsim.Simulator.Forecasting;

/// <summary>
/// Seeded Monte Carlo: N runs, run i with its own <see cref="Random"/> seeded by <see cref="RunSeed"/>(master, i), so
/// any run can be replayed alone and the results do not depend on how many threads ran them.
/// </summary>
public static class MonteCarlo
{
    /// <summary>
    /// The seed of run <paramref name="run"/>: the SplitMix64 finaliser of (master &lt;&lt; 32 | run), low 31 bits.
    /// Fixed forever: changing it changes every published forecast.
    /// </summary>
    public static int RunSeed(int masterSeed, int run)
    {
        var z = ((ulong)(uint)masterSeed << 32) | (uint)run;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i, rng) for i = 0..<paramref name="runs"/>−1, rng = new Random(RunSeed(master, i)),
    /// on up to <paramref name="maxParallelism"/> threads; returns the results in run order (the same for any
    /// parallelism, provided <paramref name="body"/> shares no mutable state).
    /// </summary>
    public static T[] Run<T>(int runs, int masterSeed, Func<int, Random, T> body, int maxParallelism = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(runs);
        ArgumentNullException.ThrowIfNull(body);
        var results = new T[runs];
        if (maxParallelism <= 1)
        {
            for (var i = 0; i < runs; i++) results[i] = body(i, new Random(RunSeed(masterSeed, i)));
        }
        else
        {
            try
            {
                Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism },
                    i => results[i] = body(i, new Random(RunSeed(masterSeed, i))));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // The runs share their input, so a bad input fails every thread alike: throw what one run threw, as
                // the sequential loop does, for the caller to report (not an AggregateException it does not expect).
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
            }
        }
        return results;
    }
}

/// <summary>
/// The distribution of a time-to-event over Monte Carlo runs, where a run may never see the event within its
/// horizon (null). Quantiles are Hyndman–Fan type 1 — the inverse of the empirical CDF, no interpolation:
/// Q(p) = x₍ₖ₎ with k = ⌈p·n⌉ (k = 1 for p = 0), over all n runs sorted with "never" as +∞. So Q(p) is a time some
/// run actually produced, and it is null ("not within the horizon") when fewer than p·n runs saw the event.
/// </summary>
public sealed class OutcomeSummary
{
    private readonly long[] _sorted; // microseconds; long.MaxValue = never

    /// <summary>Summarises one outcome per run.</summary>
    public OutcomeSummary(IEnumerable<SimDuration?> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        _sorted = outcomes.Select(o => o is { } d && !d.IsInfinite ? d.Microseconds : long.MaxValue).ToArray();
        Array.Sort(_sorted);
        Never = _sorted.Count(v => v == long.MaxValue);
    }

    /// <summary>Number of runs.</summary>
    public int Runs => _sorted.Length;

    /// <summary>Runs in which the event never happened within the horizon.</summary>
    public int Never { get; }

    /// <summary><see cref="Never"/> / <see cref="Runs"/> (0 when there are no runs).</summary>
    public double NeverFraction => Runs == 0 ? 0 : (double)Never / Runs;

    /// <summary>Median (type 1).</summary>
    public SimDuration? P50 => Quantile(0.5);

    /// <summary>90th percentile (type 1): 90 % of runs saw the event by then.</summary>
    public SimDuration? P90 => Quantile(0.9);

    /// <summary>Type-1 empirical quantile; null when it falls among the "never" runs or there are no runs.</summary>
    public SimDuration? Quantile(double p)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 1]");
        if (Runs == 0) return null;
        var v = _sorted[EmpiricalQuantile.Type1Index(Runs, p)];
        return v == long.MaxValue ? null : new SimDuration(v);
    }
}

/// <summary>Empirical quantiles, defined exactly.</summary>
public static class EmpiricalQuantile
{
    /// <summary>
    /// Zero-based index of the Hyndman–Fan type-1 quantile in a sorted sample of <paramref name="n"/>:
    /// k = ⌈p·n⌉ (one-based, at least 1), so index k−1. p·n is rounded to 1e-9 first so that 0.9 × 10 is 9, not 9.000000000000002.
    /// </summary>
    public static int Type1Index(int n, double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var np = Math.Round(p * n, 9);
        var k = (int)Math.Ceiling(np);
        return Math.Clamp(k, 1, n) - 1;
    }

    /// <summary>Type-1 quantile of an already sorted sample.</summary>
    public static double Type1(ReadOnlySpan<double> sorted, double p) => sorted[Type1Index(sorted.Length, p)];
}

using System.Globalization;

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// How the fitted workload was checked against the history it was fitted to, and which model the forecast uses.
/// </summary>
/// <param name="Resampled">The forecast resamples the history (<see cref="ResampledRates"/>) instead of drawing from
/// the log-normal AR(1) model.</param>
/// <param name="Window">The window the check compares WAL volumes over, in buckets.</param>
/// <param name="MedianRatio">The log-normal model's median WAL volume over the window, over the history's.</param>
/// <param name="P90Ratio">The same for the 90th percentile.</param>
/// <param name="LevelShifts">Where the history's level changed (bucket indexes from the first measured bucket).</param>
/// <param name="Reason">Why this model, in words.</param>
public sealed record ModelCheck(bool Resampled, int Window, double MedianRatio, double P90Ratio, IReadOnlyList<int> LevelShifts, string Reason)
{
    /// <summary>The log-normal model passes when its window volumes' median and p90 are within this factor of the history's.</summary>
    public const double Tolerance = 2;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{(!Resampled ? "log-normal AR(1)" : LevelShifts.Count > 0 ? "resampled history (its levels in turn)" : "resampled history (blocks from any stretch)")}: {Reason}; log-normal's {Window}-bucket WAL volume vs the history's: median x{MedianRatio:0.##}, p90 x{P90Ratio:0.##}");
}

/// <summary>
/// An empirical model of the WAL rate for loads the log-normal cannot describe — batches (a quiet rate with bursts
/// hundreds of times above it: a compound process of arrivals and sizes) and loads that step between levels. A future
/// path is the history's own bucket rates. Without level shifts: blocks of consecutive buckets from one stretch of the
/// history a third of its length, every stretch as likely, so that bursts keep their sizes and frequency and the paths'
/// mean rates spread as the history's stretches did (no level shift beat the shuffled rates: the load is taken as
/// stationary, and the whole history is the best sample of it: weighting recent stretches made a batch history's busy
/// last third its future — scripts/batch-oracle.py, docs/forecast-quality.md "The best forecast a batch history
/// allows"). With level
/// shifts, a sequence of levels (<see cref="LevelSequence"/>): the current level for the rest of a level's duration
/// given how long it has already lasted, then other levels of the history, recent ones likelier, each for a duration
/// the history's levels had. Pure: randomness only from the <see cref="Random"/> passed in.
/// </summary>
internal sealed class ResampledRates
{
    private readonly double[] _rates;
    private readonly int _block;
    private readonly LevelSequence? _levels;

    private ResampledRates(double[] rates, int block, LevelSequence? levels)
    {
        _rates = rates;
        _block = block;
        _levels = levels;
        var starts = rates.Length - block + 1;
        double sum = 0;
        for (var s = 0; s < starts; s++)
        {
            double blockRate = 0;
            for (var j = 0; j < block; j++) blockRate += rates[s + j];
            sum += blockRate / block;
        }
        TypicalRate = starts > 0 ? sum / starts : 0;
    }

    /// <summary>The mean rate over the stretches a path is drawn from: what the volume of a long path comes to (the
    /// "typical" run's rate).</summary>
    public double TypicalRate { get; }

    /// <param name="rates">The measured bucket rates in time order.</param>
    /// <param name="levelShifts">Indexes where a new level began (<see cref="LevelShifts.Find"/>).</param>
    public static ResampledRates Of(double[] rates, IReadOnlyList<int> levelShifts)
    {
        var n = rates.Length;
        int block;
        LevelSequence? levels = null;
        if (levelShifts.Count > 0)
        {
            // Blocks (for the typical rate) as long as the history's levels lasted, so a block is a level, not a blend.
            levels = LevelSequence.Of(n, levelShifts);
            var lengths = levels.Levels.Select(l => l.End - l.Start).Order().ToList();
            block = Math.Max(1, lengths[(lengths.Count - 1) / 2]);
        }
        else
        {
            // Blocks as long as the rates stay correlated: (1 + ρ) / (1 − ρ) buckets for a lag-1 autocorrelation ρ.
            var rho = Math.Clamp(Lag1(rates), 0, 0.95);
            block = (int)Math.Clamp(Math.Round((1 + rho) / (1 - rho)), 1, Math.Max(1, n / 4));
        }
        block = Math.Min(block, n);
        return new ResampledRates(rates, block, levels);
    }

    /// <summary>Fills <paramref name="output"/> with one random future, every rate times <paramref name="factor"/>.</summary>
    public void Sample(Random rng, Span<double> output, double factor)
    {
        var k = 0;
        if (_levels is { } levels)
        {
            // Each level's buckets drawn from that level's own, for as long as the sequence says.
            var level = levels.Levels.Count - 1;
            var stay = levels.RemainingOfCurrent(rng);
            while (true)
            {
                var (start, end) = levels.Levels[level];
                for (var j = 0; j < stay && k < output.Length; j++, k++) output[k] = Cap(factor * _rates[start + rng.Next(end - start)]);
                if (k >= output.Length) return;
                level = levels.Next(rng, level);
                stay = levels.Duration(rng);
            }
        }
        // The path resembles one stretch of the history a third of its length (any of them), so that the future's mean
        // rate varies between paths as much as the history's did between such stretches.
        var era = Math.Max(_block, _rates.Length / 3);
        var from = rng.Next(_rates.Length - era + 1);
        var starts = era - _block + 1;
        while (k < output.Length)
        {
            var s = from + rng.Next(starts);
            for (var j = 0; j < _block && k < output.Length; j++, k++) output[k] = Cap(factor * _rates[s + j]);
        }
    }

    private static double Cap(double rate) => Math.Min(WorkloadFit.MaxBytesPerSecond, rate);

    private static double Lag1(double[] x)
    {
        if (x.Length < 3) return 0;
        var mean = x.Average();
        double num = 0, den = 0;
        for (var i = 0; i < x.Length; i++)
        {
            den += (x[i] - mean) * (x[i] - mean);
            if (i > 0) num += (x[i] - mean) * (x[i - 1] - mean);
        }
        return den > 0 ? num / den : 0;
    }
}

/// <summary>
/// Level shifts of a rate series: binary segmentation of the log-rates, a split kept when it lowers the squared error
/// by more than a BIC-like penalty (2 σ² ln n, σ from the median absolute first difference, which a shift barely
/// moves), the levels on each side at least a third apart (×1.4) and each side at least <c>max(4, n/16)</c> buckets.
/// </summary>
public static class LevelShifts
{
    /// <summary>At most this many shifts are looked for.</summary>
    public const int Max = 8;

    /// <summary>
    /// Whether levels between <paramref name="cuts"/> describe the log-rates better than one AR(1) around a constant
    /// (what the log-normal model fits), by BIC on the same values: n·ln(RSS/n) + parameters·ln n, the AR(1) with its
    /// one-step innovations and 3 parameters (mean, φ, σ), the levels with their squared deviations and 2m + 2 (m + 1
    /// means, m cut positions, σ). A load that steps leaves the AR(1) large innovations at every step and the levels
    /// small ones; a slow drift or a cycle seen too briefly to be fitted as one is what the AR(1)'s persistence
    /// describes, in fewer parameters. E.g. n = 48, RSS/n of 0.0100 for the AR(1) and 0.0160 for four shifts: BIC
    /// 48·ln 0.0100 + 3·ln 48 = −209.4 against 48·ln 0.0160 + 10·ln 48 = −159.8 — no shifts.
    /// </summary>
    public static bool BeatAr1(IReadOnlyList<double> rates, IReadOnlyList<int> cuts)
    {
        var n = rates.Count;
        if (n < 3 || cuts.Count == 0) return cuts.Count > 0;
        var y = LogRates(rates);
        var mean = y.Average();
        double num = 0, den = 0;
        for (var i = 0; i < n; i++)
        {
            den += (y[i] - mean) * (y[i] - mean);
            if (i > 0) num += (y[i] - mean) * (y[i - 1] - mean);
        }
        var phi = den > 0 ? Math.Clamp(num / den, -0.999, 0.999) : 0;
        double rssAr = 0;
        for (var i = 1; i < n; i++) { var e = (y[i] - mean) - phi * (y[i - 1] - mean); rssAr += e * e; }
        rssAr = Math.Max(rssAr / (n - 1), 1e-12);
        return LevelsBic(rates, cuts) < Bic(n, rssAr, 3);
    }

    /// <summary>
    /// Whether the levels between <paramref name="cuts"/> explain more of the log-rates than levels found in the same
    /// rates in a random order do (which have no levels, only the same values): the squared error they remove beats
    /// that of every one of 19 seeded shuffles (a permutation test at 5 %).
    /// </summary>
    public static bool BeatShuffles(IReadOnlyList<double> rates, IReadOnlyList<int> cuts)
    {
        if (cuts.Count == 0) return false;
        var gain = Gain(rates, cuts);
        var rng = new Random(19);
        var shuffled = rates.ToArray();
        for (var i = 0; i < 19; i++)
        {
            rng.Shuffle(shuffled);
            if (Gain(shuffled, Find(shuffled)) >= gain) return false;
        }
        return true;
    }

    private static double Gain(IReadOnlyList<double> rates, IReadOnlyList<int> cuts)
    {
        var y = LogRates(rates);
        var mean = y.Average();
        var whole = y.Sum(v => (v - mean) * (v - mean));
        return whole - LevelsRss(y, cuts);
    }

    /// <summary>Log-rates, a bucket without WAL taken at the smallest positive rate (at least 1 B/s): a level of
    /// zeros is then one level, not a pole.</summary>
    private static double[] LogRates(IReadOnlyList<double> rates)
    {
        var floor = Math.Max(1.0, rates.Where(r => r > 0).DefaultIfEmpty(1).Min());
        return rates.Select(r => Math.Log(Math.Max(r, floor))).ToArray();
    }

    /// <summary>The squared deviations of <paramref name="y"/> from its mean between consecutive <paramref name="cuts"/>.</summary>
    private static double LevelsRss(double[] y, IReadOnlyList<int> cuts)
    {
        var bounds = new List<int> { 0 };
        bounds.AddRange(cuts);
        bounds.Add(y.Length);
        double rss = 0;
        for (var b = 0; b + 1 < bounds.Count; b++)
        {
            var m = 0.0;
            for (var i = bounds[b]; i < bounds[b + 1]; i++) m += y[i];
            m /= bounds[b + 1] - bounds[b];
            for (var i = bounds[b]; i < bounds[b + 1]; i++) rss += (y[i] - m) * (y[i] - m);
        }
        return rss;
    }

    /// <summary>The BIC of levels between <paramref name="cuts"/> with independent noise around each, on the log-rates:
    /// n·ln(RSS/n) + (2m + 2)·ln n.</summary>
    public static double LevelsBic(IReadOnlyList<double> rates, IReadOnlyList<int> cuts)
    {
        var n = rates.Count;
        var y = LogRates(rates);
        return Bic(n, Math.Max(LevelsRss(y, cuts) / n, 1e-12), 2 * cuts.Count + 2);
    }

    /// <summary>n·ln(RSS/n) + k·ln n, with <paramref name="meanSquare"/> = RSS/n.</summary>
    public static double Bic(int n, double meanSquare, int parameters) => n * Math.Log(meanSquare) + parameters * Math.Log(n);

    /// <summary>The indexes where a new level begins, ascending (empty: one level).</summary>
    public static IReadOnlyList<int> Find(IReadOnlyList<double> rates)
    {
        var n = rates.Count;
        var minLen = Math.Max(4, n / 16);
        if (n < 2 * minLen) return [];
        var y = LogRates(rates);
        var diffs = new double[n - 1];
        for (var i = 1; i < n; i++) diffs[i - 1] = Math.Abs(y[i] - y[i - 1]);
        Array.Sort(diffs);
        var sigma = diffs[(diffs.Length - 1) / 2] / 0.6745 / Math.Sqrt(2);
        if (sigma < 1e-6) sigma = 1e-6;
        var penalty = 2 * sigma * sigma * Math.Log(n);

        var prefix = new double[n + 1];
        var prefix2 = new double[n + 1];
        for (var i = 0; i < n; i++) { prefix[i + 1] = prefix[i] + y[i]; prefix2[i + 1] = prefix2[i] + y[i] * y[i]; }
        double Sse(int a, int b) { var m = b - a; var s = prefix[b] - prefix[a]; return prefix2[b] - prefix2[a] - s * s / m; }
        double Mean(int a, int b) => (prefix[b] - prefix[a]) / (b - a);

        var cuts = new List<int>();
        var segments = new List<(int A, int B)> { (0, n) };
        while (cuts.Count < Max)
        {
            double best = 0;
            int bestCut = -1, bestSeg = -1;
            for (var si = 0; si < segments.Count; si++)
            {
                var (a, b) = segments[si];
                var whole = Sse(a, b);
                for (var c = a + minLen; c <= b - minLen; c++)
                {
                    if (Math.Abs(Mean(a, c) - Mean(c, b)) < Math.Log(1.4)) continue;
                    var gain = whole - Sse(a, c) - Sse(c, b);
                    if (gain > best) { best = gain; bestCut = c; bestSeg = si; }
                }
            }
            if (bestCut < 0 || best <= penalty) break;
            var (sa, sb) = segments[bestSeg];
            segments[bestSeg] = (sa, bestCut);
            segments.Insert(bestSeg + 1, (bestCut, sb));
            cuts.Add(bestCut);
        }
        cuts.Sort();
        return cuts;
    }
}

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// The p-value of the cycle search's best F under its null — the trend with AR(1) errors — by a parametric bootstrap
/// (a Monte Carlo test: Davison &amp; Hinkley 1997, §4.2; stopped early as Besag &amp; Clifford 1991).
/// <para>
/// The statistic is the largest F of a one-harmonic cycle over the whole-bucket periods from 4 buckets to the history,
/// each model with its own φ, as the search fits them. F(2, n − 4) with a Bonferroni correction does not describe it
/// under a strong AR(1): a drift passes for part of a long sine, more often the closer φ is to 1. F is unchanged by
/// scaling the log-rates and by adding a trend, so under the null its distribution depends on the data only through
/// φ; the series are drawn at the trend fit's φ with its small-sample bias removed. That bias is what let the drift
/// through: with an intercept and a trend the least-squares φ of n values falls short by about (2 + 4φ)/n (Shaman &amp;
/// Stine 1988; (1 + 3φ)/n with a mean only, Kendall 1954 / Marriott &amp; Pope 1954, the correction REDFIT makes for
/// the same red-noise null, Schulz &amp; Mudelsee 2002), so over 48 buckets φ = 0.9 is estimated at 0.76 on average
/// (2,000 seeds; 0.41 for 0.5, 0.59 for 0.7 — corrected 0.87, 0.49, 0.69), and a null drawn at 0.76 wanders far less.
/// </para>
/// Deterministic: the generator is seeded from the log-rates themselves.
/// </summary>
internal static class CycleSearchNull
{
    /// <summary>Series drawn at most: at α = 0.01 a p-value ≤ α allows 9 of 999 to reach the observed F. With 199 (1 of
    /// them) the Monte Carlo noise alone lost 2 of 100 sines seen 1.33 times.</summary>
    public const int Replicates = 999;

    /// <summary>φ of n values regressed on an intercept and a trend with its bias removed: E[φ̂] ≈ φ − (2 + 4φ)/n
    /// inverted, φ = (nφ̂ + 2)/(n − 4), kept within ±0.98 as <see cref="Regression.Ar1"/> keeps φ̂.</summary>
    public static double BiasCorrectedPhi(double phiHat, int n) => Math.Clamp((n * phiHat + 2) / (n - 4), -0.98, 0.98);

    /// <summary>
    /// The Monte Carlo p-value of the largest F over the periods 4 … <paramref name="maxPeriod"/> buckets of
    /// <paramref name="y"/> (the busy log-rates, at bucket indices <paramref name="index"/>), against AR(1) series at
    /// <paramref name="phi"/>; drawing stops once the p-value cannot fall to <paramref name="alpha"/>.
    /// </summary>
    public static double PValue(double[] y, int[] index, bool[] runStart, int maxPeriod, double phi, double alpha)
    {
        var n = y.Length;
        var designs = new List<Moments>();
        for (var m = 4; m <= maxPeriod; m++) designs.Add(new Moments(Design(index, m), runStart));
        var trend = new Moments(Design(index, 0), runStart);
        var mean = y.Average();
        var observed = MaxF(y.Select(v => v - mean).ToArray(), trend, designs, runStart);
        if (double.IsNaN(observed)) return double.NaN;

        ulong seed = 14695981039346656037UL;
        foreach (var v in y) seed = (seed ^ (ulong)BitConverter.DoubleToInt64Bits(v)) * 1099511628211UL;
        var normal = new Gaussian(new Random((int)(seed ^ (seed >> 32))));
        var allowed = (int)Math.Floor(alpha * (Replicates + 1) + 1e-9) - 1; // exceedances a p-value ≤ α allows
        var exceed = 0;
        var u = new double[n];
        var stationary = 1 / Math.Sqrt(1 - phi * phi);
        for (var b = 1; b <= Replicates; b++)
        {
            for (var i = 0; i < n; i++) u[i] = runStart[i] ? stationary * normal.Next() : phi * u[i - 1] + normal.Next();
            if (MaxF(u, trend, designs, runStart) >= observed && ++exceed > allowed)
                return (double)exceed / b; // Besag–Clifford: above α already, the rest cannot bring it back
        }
        return (1.0 + exceed) / (Replicates + 1);
    }

    /// <summary>The transformed RSS <see cref="Regression.Fit"/> reaches on the same rows, by the cross products.</summary>
    internal static double Rss(double[,] x, double[] y, bool[] runStart)
    {
        var design = new Moments(x, runStart);
        Span<double> sums = stackalloc double[5 * x.GetLength(1)];
        design.Sums(y, runStart, 0, sums);
        return design.FitRss(sums, new YMoments(y, runStart));
    }

    private static double MaxF(double[] y, Moments trend, List<Moments> designs, bool[] runStart)
    {
        var n = y.Length;
        var ys = new YMoments(y, runStart);
        // The intercept's and the trend's sums are every design's first two columns': summed once.
        Span<double> trendSums = stackalloc double[5 * 2], sums = stackalloc double[5 * 4];
        trend.Sums(y, runStart, 0, trendSums);
        var rss0 = trend.FitRss(trendSums, ys);
        var best = double.NaN;
        foreach (var x in designs)
        {
            for (var s = 0; s < 5; s++) (sums[4 * s], sums[4 * s + 1]) = (trendSums[2 * s], trendSums[2 * s + 1]);
            x.Sums(y, runStart, 2, sums);
            var rss1 = x.FitRss(sums, ys);
            if (double.IsNaN(rss1)) continue;
            // A cycle that leaves nothing (a noiseless sine) is as significant as it gets, as PartialF has it.
            var f = rss1 <= 1e-12 * rss0 ? double.PositiveInfinity : Math.Max(0, rss0 - rss1) / 2 / (rss1 / (n - 4));
            if (!(f <= best)) best = f;
        }
        return best;
    }

    // Intercept, trend and (period > 0) one harmonic, by bucket index: the same column spaces as the search's
    // designs (which use times in days and a phase from midnight), scaled near 1.
    private static double[,] Design(int[] index, int period)
    {
        var n = index.Length;
        var x = new double[n, period > 0 ? 4 : 2];
        double mid = (index[0] + index[^1]) / 2.0, half = Math.Max(1, (index[^1] - index[0]) / 2.0);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] = 1;
            x[i, 1] = (index[i] - mid) / half;
            if (period == 0) continue;
            x[i, 2] = Math.Cos(2 * Math.PI * index[i] / period);
            x[i, 3] = Math.Sin(2 * Math.PI * index[i] / period);
        }
        return x;
    }

    /// <summary>The sums of y the Prais–Winsten normal equations need at any φ: over run starts Σy², and over the other
    /// rows Σyᵢ², Σyᵢyᵢ₋₁, Σyᵢ₋₁².</summary>
    private readonly struct YMoments
    {
        public readonly double Start, Y0, Y1, Y2;

        public YMoments(double[] y, bool[] runStart)
        {
            for (var i = 0; i < y.Length; i++)
            {
                if (runStart[i]) { Start += y[i] * y[i]; continue; }
                Y0 += y[i] * y[i];
                Y1 += y[i] * y[i - 1];
                Y2 += y[i - 1] * y[i - 1];
            }
        }
    }

    /// <summary>
    /// A design's cross products, so that <see cref="Regression.Fit"/> — Prais–Winsten rows (a run's first scaled by
    /// √(1 − φ²), the others minus φ × the row before), φ from the raw residuals by Cochrane–Orcutt until it settles —
    /// costs O(n·p) per series and O(p³) per iteration: X̃ᵀX̃ = (1 − φ²)·Aₛ + A₀ − φ(A₁ + A₁ᵀ) + φ²A₂, with Aₛ over run
    /// starts and A₀ = Σxᵢxᵢᵀ, A₁ = Σxᵢxᵢ₋₁ᵀ, A₂ = Σxᵢ₋₁xᵢ₋₁ᵀ over the other rows; X̃ᵀỹ and the residuals' lag sums alike.
    /// </summary>
    private sealed class Moments
    {
        private readonly double[,] _x;
        private readonly int _p;
        private readonly double[] _as, _a0, _a1, _a2; // p × p, row-major

        public Moments(double[,] x, bool[] runStart)
        {
            _x = x;
            _p = x.GetLength(1);
            int n = x.GetLength(0), p = _p;
            (_as, _a0, _a1, _a2) = (new double[p * p], new double[p * p], new double[p * p], new double[p * p]);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < p; j++)
                    for (var k = 0; k < p; k++)
                    {
                        if (runStart[i]) { _as[j * p + k] += x[i, j] * x[i, k]; continue; }
                        _a0[j * p + k] += x[i, j] * x[i, k];
                        _a1[j * p + k] += x[i, j] * x[i - 1, k];
                        _a2[j * p + k] += x[i - 1, j] * x[i - 1, k];
                    }
        }

        /// <summary>Σ over run starts xᵢyᵢ, then over the other rows xᵢyᵢ, xᵢyᵢ₋₁, xᵢ₋₁yᵢ, xᵢ₋₁yᵢ₋₁: five blocks of p in
        /// <paramref name="sums"/>, columns from <paramref name="fromColumn"/> on (the others left as they are).</summary>
        public void Sums(double[] y, bool[] runStart, int fromColumn, Span<double> sums)
        {
            int n = y.Length, p = _p;
            for (var j = fromColumn; j < p; j++)
            {
                double cs = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
                for (var i = 0; i < n; i++)
                {
                    if (runStart[i]) { cs += _x[i, j] * y[i]; continue; }
                    c0 += _x[i, j] * y[i];
                    c1 += _x[i, j] * y[i - 1];
                    c2 += _x[i - 1, j] * y[i];
                    c3 += _x[i - 1, j] * y[i - 1];
                }
                (sums[j], sums[p + j], sums[2 * p + j], sums[3 * p + j], sums[4 * p + j]) = (cs, c0, c1, c2, c3);
            }
        }

        public double FitRss(ReadOnlySpan<double> sums, in YMoments ym)
        {
            var p = _p;
            ReadOnlySpan<double> cs = sums[..p], c0 = sums.Slice(p, p), c1 = sums.Slice(2 * p, p), c2 = sums.Slice(3 * p, p), c3 = sums.Slice(4 * p, p);
            Span<double> a = stackalloc double[p * p], c = stackalloc double[p], beta = stackalloc double[p];
            double phi = 0, rss = 0;
            for (var iter = 0; iter <= 20; iter++)
            {
                var s2 = 1 - phi * phi;
                for (var j = 0; j < p; j++)
                {
                    c[j] = s2 * cs[j] + c0[j] - phi * (c1[j] + c2[j]) + phi * phi * c3[j];
                    for (var k = 0; k <= j; k++)
                        a[j * p + k] = s2 * _as[j * p + k] + _a0[j * p + k] - phi * (_a1[j * p + k] + _a1[k * p + j]) + phi * phi * _a2[j * p + k];
                }
                var yy = s2 * ym.Start + ym.Y0 - 2 * phi * ym.Y1 + phi * phi * ym.Y2;
                if (!CholeskySolve(a, c, beta, p)) return double.NaN;
                rss = yy;
                for (var j = 0; j < p; j++) rss -= beta[j] * c[j];
                rss = Math.Max(rss, 0);
                if (iter == 20) break;
                // Raw residuals e = y − Xβ over consecutive pairs: Σeᵢeᵢ₋₁ and Σeᵢ₋₁² from the same sums.
                double num = ym.Y1, den = ym.Y2;
                for (var j = 0; j < p; j++)
                {
                    num -= beta[j] * (c1[j] + c2[j]);
                    den -= 2 * beta[j] * c3[j];
                    for (var k = 0; k < p; k++)
                    {
                        num += beta[j] * _a1[j * p + k] * beta[k];
                        den += beta[j] * _a2[j * p + k] * beta[k];
                    }
                }
                var next = den > 0 ? Math.Clamp(num / den, -0.98, 0.98) : 0;
                if (Math.Abs(next - phi) < 1e-6) break;
                phi = next;
            }
            return rss;
        }
    }

    // Solves A β = c for symmetric positive definite A (lower triangle filled), in place.
    private static bool CholeskySolve(Span<double> a, Span<double> c, Span<double> beta, int p)
    {
        for (var j = 0; j < p; j++)
        {
            var d = a[j * p + j];
            for (var k = 0; k < j; k++) d -= a[j * p + k] * a[j * p + k];
            if (d <= 1e-12 * Math.Max(1, a[j * p + j])) return false;
            d = Math.Sqrt(d);
            a[j * p + j] = d;
            for (var i = j + 1; i < p; i++)
            {
                var s = a[i * p + j];
                for (var k = 0; k < j; k++) s -= a[i * p + k] * a[j * p + k];
                a[i * p + j] = s / d;
            }
        }
        for (var i = 0; i < p; i++)
        {
            var s = c[i];
            for (var k = 0; k < i; k++) s -= a[i * p + k] * beta[k];
            beta[i] = s / a[i * p + i];
        }
        for (var i = p - 1; i >= 0; i--)
        {
            var s = beta[i];
            for (var k = i + 1; k < p; k++) s -= a[k * p + i] * beta[k];
            beta[i] = s / a[i * p + i];
        }
        return true;
    }
}

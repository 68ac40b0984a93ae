using MathNet.Numerics.LinearAlgebra;

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// Least squares with AR(1) errors over runs of consecutive observations: Prais–Winsten feasible GLS (the first row
/// of each run scaled by √(1−φ²), every other row minus φ × the row before), φ re-estimated from the raw residuals
/// until it settles (Cochrane–Orcutt iteration). Tests made on the transformed rows are approximately valid under
/// autocorrelated noise, where plain OLS would call almost any wiggle significant.
/// </summary>
internal static class Regression
{
    internal sealed record Result(Vector<double> Beta, Matrix<double> Covariance, double Rss, int N, int P, double Phi, Vector<double> RawResiduals)
    {
        /// <summary>Estimated innovation variance (transformed residual variance).</summary>
        public double S2 => N > P ? Rss / (N - P) : 0;

        /// <summary>ln |X̃ᵀX̃| of the whitened design (the linearised one of a nonlinear fit): how sharply the data pin
        /// the coefficients down, the factor a likelihood integrated over them carries.</summary>
        public double LogDetInformation { get; init; }
    }

    /// <summary>Fits y = Xβ + u with AR(1) u; <paramref name="fixedPhi"/> skips the φ iteration (for nested F-tests).</summary>
    public static Result Fit(Matrix<double> x, Vector<double> y, bool[] runStart, double? fixedPhi = null)
    {
        var phi = fixedPhi ?? 0;
        Result r = Once(x, y, runStart, phi);
        if (fixedPhi is null)
        {
            for (var iter = 0; iter < 20; iter++)
            {
                var next = Ar1(r.RawResiduals, runStart);
                if (Math.Abs(next - phi) < 1e-6) break;
                phi = next;
                r = Once(x, y, runStart, phi);
            }
        }
        return r;
    }

    /// <summary>
    /// Fits y = Σⱼ₍ⱼ&lt;c₎ βⱼxⱼ + ln(1 + β_c x_c + β_c₊₁ x_c₊₁) + u with AR(1) u (<paramref name="cycleColumn"/> = c, the cos
    /// and sin columns of one harmonic, the last two): on y = ln rate, a cycle that is a sine of the rate itself,
    /// (1 + a cos θ + b sin θ) times the level, with the noise still multiplicative — the load a script or a diurnal
    /// user count adds, which one harmonic of the log-rate bends. Gauss–Newton from the log-harmonic fit (ln(1 + z) ≈ z),
    /// each step the GLS fit of the residuals on the Jacobian with φ re-estimated, the amplitude kept below 1 (the rate
    /// stays positive). The covariance is the last linearised step's, the residuals the model's own.
    /// </summary>
    public static Result FitCycleOfRate(Matrix<double> x, Vector<double> y, bool[] runStart, int cycleColumn, double? fixedPhi = null)
    {
        int n = x.RowCount, p = x.ColumnCount, c = cycleColumn;
        if (p != c + 2) throw new ArgumentException("the cycle's cos and sin must be the last two columns", nameof(cycleColumn));
        var beta = Fit(x, y, runStart, fixedPhi).Beta.ToArray();
        var amplitude = Math.Sqrt(beta[c] * beta[c] + beta[c + 1] * beta[c + 1]);
        if (amplitude > 0.9) { beta[c] *= 0.9 / amplitude; beta[c + 1] *= 0.9 / amplitude; }
        var j = Matrix<double>.Build.Dense(n, p);
        var e = Vector<double>.Build.Dense(n);
        void Linearise()
        {
            for (var i = 0; i < n; i++)
            {
                var g = 1 + beta[c] * x[i, c] + beta[c + 1] * x[i, c + 1];
                var f = Math.Log(g);
                for (var k = 0; k < c; k++) { f += beta[k] * x[i, k]; j[i, k] = x[i, k]; }
                j[i, c] = x[i, c] / g;
                j[i, c + 1] = x[i, c + 1] / g;
                e[i] = y[i] - f;
            }
        }
        // φ is re-estimated from the model's residuals at every step (Cochrane–Orcutt and Gauss–Newton together).
        Linearise();
        var phi = fixedPhi ?? Ar1(e, runStart);
        var step = Once(j, e, runStart, phi);
        for (var iter = 0; iter < 100; iter++)
        {
            var d = step.Beta;
            var t = 1.0;
            while (t > 1e-6 && Math.Sqrt(Math.Pow(beta[c] + t * d[c], 2) + Math.Pow(beta[c + 1] + t * d[c + 1], 2)) >= 0.999) t /= 2;
            for (var k = 0; k < p; k++) beta[k] += t * d[k];
            Linearise();
            var next = fixedPhi ?? Ar1(e, runStart);
            var settled = d.AbsoluteMaximum() * t < 1e-9 && Math.Abs(next - phi) < 1e-6;
            phi = next;
            step = Once(j, e, runStart, phi);
            if (settled) break;
        }
        return step with { Beta = Vector<double>.Build.DenseOfArray(beta), RawResiduals = e };
    }

    private static Result Once(Matrix<double> x, Vector<double> y, bool[] runStart, double phi)
    {
        var (xt, yt) = Transform(x, y, runStart, phi);
        var qr = xt.QR();
        var beta = qr.Solve(yt);
        var resid = yt - xt * beta;
        var rss = resid.DotProduct(resid);
        var n = x.RowCount;
        var p = x.ColumnCount;
        var s2 = n > p ? rss / (n - p) : 0;
        var cov = xt.TransposeThisAndMultiply(xt).Inverse() * s2;
        double logDet = 0;
        for (var i = 0; i < p; i++) logDet += 2 * Math.Log(Math.Abs(qr.R[i, i]));
        return new Result(beta, cov, rss, n, p, phi, y - x * beta) { LogDetInformation = logDet };
    }

    public static (Matrix<double> X, Vector<double> Y) Transform(Matrix<double> x, Vector<double> y, bool[] runStart, double phi)
    {
        if (phi == 0) return (x, y);
        var xt = x.Clone();
        var yt = y.Clone();
        var scale = Math.Sqrt(1 - phi * phi);
        for (var i = 0; i < x.RowCount; i++)
        {
            if (runStart[i])
            {
                yt[i] = scale * y[i];
                for (var j = 0; j < x.ColumnCount; j++) xt[i, j] = scale * x[i, j];
            }
            else
            {
                yt[i] = y[i] - phi * y[i - 1];
                for (var j = 0; j < x.ColumnCount; j++) xt[i, j] = x[i, j] - phi * x[i - 1, j];
            }
        }
        return (xt, yt);
    }

    /// <summary>Lag-1 autocorrelation over consecutive pairs (Σ eₖeₖ₋₁ / Σ eₖ₋₁²), clamped to ±0.98.</summary>
    public static double Ar1(Vector<double> e, bool[] runStart)
    {
        double num = 0, den = 0;
        for (var i = 1; i < e.Count; i++)
        {
            if (runStart[i]) continue;
            num += e[i] * e[i - 1];
            den += e[i - 1] * e[i - 1];
        }
        return den > 0 ? Math.Clamp(num / den, -0.98, 0.98) : 0;
    }

    /// <summary>Ordinary R² and adjusted R² of y on X (X includes the intercept).</summary>
    public static (double R2, double AdjR2) RSquared(Matrix<double> x, Vector<double> y)
    {
        var beta = x.QR().Solve(y);
        var e = y - x * beta;
        var mean = y.Average();
        var tss = y.Sum(v => (v - mean) * (v - mean));
        if (tss <= 0) return (0, 0);
        var r2 = 1 - e.DotProduct(e) / tss;
        int n = y.Count, p = x.ColumnCount;
        return (r2, n > p ? 1 - (1 - r2) * (n - 1) / (n - p) : r2);
    }
}

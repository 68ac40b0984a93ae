using System.Globalization;

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// What <see cref="WorkloadFit.Fit"/> found and what it is worth: how much data, which components were accepted
/// (and why not), and the fit statistics. Plain data; <see cref="Describe"/> gives printable lines.
/// </summary>
/// <param name="BucketWidth">The rate bucket.</param>
/// <param name="From">Start of the first measured bucket.</param>
/// <param name="Until">End of the last measured bucket.</param>
/// <param name="Buckets">Buckets in [From, Until).</param>
/// <param name="MeasuredBuckets">Buckets covered enough by observed (non-gap) intervals to have a rate.</param>
/// <param name="IdleBuckets">Measured buckets below the idle threshold.</param>
/// <param name="Rates">The distribution of the measured rates (point mass at 0 + log-normal).</param>
/// <param name="Cycle">The daily (or <see cref="WorkloadFitOptions.CyclePeriod"/>) cycle verdict.</param>
/// <param name="Trend">The trend verdict.</param>
/// <param name="Noise">What is left: AR(1) noise of the log-rate.</param>
/// <param name="ModelRSquared">Share of the log-rate variance explained by the accepted trend and cycle (0 if none).</param>
/// <param name="Notes">Plain-language limits of the fit ("need ≥ 2 days ... have 7h").</param>
public sealed record FitReport(
    SimDuration BucketWidth,
    SimTime From,
    SimTime Until,
    int Buckets,
    int MeasuredBuckets,
    int IdleBuckets,
    RateDistribution Rates,
    CycleVerdict Cycle,
    TrendVerdict Trend,
    NoiseModel Noise,
    double ModelRSquared,
    IReadOnlyList<string> Notes)
{
    /// <summary>Time covered by the buckets, gaps included.</summary>
    public SimDuration Span => Until - From;

    /// <summary>The report as lines of text (invariant culture), for a console.</summary>
    public IReadOnlyList<string> Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(ci, $"data        {Span.Display()} in {BucketWidth.Display()} buckets: {MeasuredBuckets}/{Buckets} measured, {IdleBuckets} idle"),
            string.Create(ci, $"rate        median {ByteCount.Format((long)Rates.MedianBytesPerSecond)}/s, mean {ByteCount.Format((long)Rates.MeanBytesPerSecond)}/s; log-normal mu={Rates.LogMean:0.###} sigma={Rates.LogStdDev:0.###} (KS D={Rates.KolmogorovSmirnov:0.###}, QQ R2={Rates.QqRSquared:0.###}); idle {Rates.IdleFraction:P1}"),
            Cycle.Accepted
                ? string.Create(ci, $"cycle       {Cycle.Period.Display()} period, peak {(Cycle.Period == SimDuration.FromDays(1) ? string.Create(ci, $"at {Cycle.PeakHour:0.0}h") : $"{SimDuration.FromSeconds(Math.Round(Cycle.PeakOffset.TotalSeconds)).Display()} into each period")}, peak/trough x{Cycle.PeakToTroughRatio:0.##} (F={Cycle.FStatistic:0.#}, p={Cycle.PValue:0.####})")
                : "cycle       none: " + Cycle.Reason,
            Trend.Accepted
                ? string.Create(ci, $"trend       {Trend.GrowthPerDay:+0.##%;-0.##%}/day (log slope {Trend.LogSlopePerDay:0.####} ± {Trend.StandardError:0.####}/day, p={Trend.PValue:0.####})")
                : "trend       none: " + Trend.Reason,
            string.Create(ci, $"noise       AR(1) phi={Noise.Ar1:0.###}, log sd={Noise.StdDev:0.###} (innovations {Noise.InnovationStdDev:0.###}); model R2={ModelRSquared:0.###}"),
        };
        if (Check is { } check) lines.Add("model       " + check.Describe());
        lines.AddRange(Notes.Select(n => "note        " + n));
        return lines;
    }

    /// <summary>How the model was checked against the history, and whether the forecast resamples the history instead
    /// (null when there were too few buckets to check).</summary>
    public ModelCheck? Check { get; init; }
}

/// <summary>
/// The rate of a bucket: idle (below the threshold) with probability <paramref name="IdleFraction"/>, otherwise
/// log-normal with <paramref name="LogMean"/> and <paramref name="LogStdDev"/> (of ln bytes/s; sample sd, n−1).
/// Goodness of fit of the log-normal: the Kolmogorov–Smirnov distance of the log-rates to the fitted normal
/// (parameters estimated, so compare with Lilliefors' 0.886/√n at 5 % or 1.031/√n at 1 %, not with KS tables) and the R² of the normal QQ line.
/// </summary>
public sealed record RateDistribution(
    int Count,
    double IdleFraction,
    double LogMean,
    double LogStdDev,
    double MedianBytesPerSecond,
    double MeanBytesPerSecond,
    double KolmogorovSmirnov,
    double QqRSquared);

/// <summary>
/// A cycle of the log-rate: Σₖ aₖ cos(2πk·h/P) + bₖ sin(2πk·h/P), h the time since midnight. Accepted when the
/// span covers <see cref="WorkloadFitOptions.MinCyclePeriods"/> periods and the partial F-test of the harmonic terms
/// (on AR(1)-prewhitened data) has p below <see cref="WorkloadFitOptions.SignificanceLevel"/>.
/// </summary>
/// <param name="Tested">Whether the F-test was run (enough span and buckets).</param>
/// <param name="Accepted">Whether the cycle is part of the model.</param>
/// <param name="Period">The period looked for.</param>
/// <param name="Harmonics">Harmonics of the period in the test (1 = the period only).</param>
/// <param name="LogAmplitude">Half the peak-to-trough range of the fitted log cycle (for one harmonic, √(a²+b²)).</param>
/// <param name="PeakToTroughRatio">exp(2 × <paramref name="LogAmplitude"/>): how many times busier the peak is.</param>
/// <param name="PeakOffset">Time of the peak after midnight (within the period).</param>
/// <param name="FStatistic">Partial F of the harmonic terms (NaN when not tested).</param>
/// <param name="PValue">Its p-value (NaN when not tested).</param>
/// <param name="AdjustedRSquaredGain">Adjusted R² with the cycle minus without (ordinary least squares, informative only).</param>
/// <param name="Reason">Why accepted or not, in words.</param>
public sealed record CycleVerdict(
    bool Tested,
    bool Accepted,
    SimDuration Period,
    int Harmonics,
    double LogAmplitude,
    double PeakToTroughRatio,
    SimDuration PeakOffset,
    double FStatistic,
    double PValue,
    double AdjustedRSquaredGain,
    string Reason)
{
    /// <summary><see cref="PeakOffset"/> in hours.</summary>
    public double PeakHour => PeakOffset.TotalHours;
}

/// <summary>
/// A linear trend of the log-rate (so a constant growth factor per day), fitted with the cycle when one is accepted.
/// Accepted when the slope's t-test (AR(1)-prewhitened) has p below <see cref="WorkloadFitOptions.SignificanceLevel"/>.
/// </summary>
public sealed record TrendVerdict(
    bool Tested,
    bool Accepted,
    double LogSlopePerDay,
    double StandardError,
    double TStatistic,
    double PValue,
    string Reason)
{
    /// <summary>exp(slope) − 1: the fractional change of the rate per day (0.05 = +5 %/day).</summary>
    public double GrowthPerDay => Math.Exp(LogSlopePerDay) - 1;
}

/// <summary>
/// Residual log-rate noise uₖ = φ uₖ₋₁ + eₖ, eₖ ~ N(0, <paramref name="InnovationStdDev"/>²), marginal sd
/// <paramref name="StdDev"/>. φ is the lag-1 autocorrelation over pairs of consecutive measured busy buckets.
/// </summary>
/// <param name="Ar1">φ, the lag-1 autocorrelation of the residual log-rate.</param>
/// <param name="InnovationStdDev">sd of eₖ.</param>
/// <param name="StdDev">Marginal sd of uₖ: <paramref name="InnovationStdDev"/> / √(1−φ²).</param>
/// <param name="ResidualKolmogorovSmirnov">KS distance of the standardised residuals to N(0,1): how normal the noise is.</param>
public sealed record NoiseModel(double Ar1, double InnovationStdDev, double StdDev, double ResidualKolmogorovSmirnov);

namespace Walsim.Simulator.Scenarios;

/// <summary>The WAL insertion workload: the sum of its components' rates, plus periodic writes.</summary>
public sealed record Workload(IReadOnlyList<RateComponent> Components)
{
    public IReadOnlyList<PeriodicWrite> PeriodicWrites { get; init; } = [];

    /// <summary>How the rate varies around the declared one, for Monte Carlo (<c>walsim plan</c>); null = not at all.
    /// A single run (<c>simulate</c>, <c>check</c>) always uses the declared rate.</summary>
    public RateNoise? Noise { get; init; }
}

/// <summary>
/// Random variation of the write rate around the declared one: over each <paramref name="Bucket"/> the rate is the
/// declared rate × exp(uₖ − σ²/2), uₖ a stationary Gaussian AR(1) with φ = exp(−bucket / <paramref name="Correlation"/>)
/// and σ² = ln(1 + cv²). So the factor is log-normal with mean 1 (the declared rate stays the mean: noise adds no WAL
/// on average) and coefficient of variation <paramref name="CoefficientOfVariation"/>, and busy stretches last about
/// as long as <paramref name="Correlation"/>. The same family <see cref="Forecasting.WorkloadFit"/> fits to samples.
/// </summary>
public sealed record RateNoise(double CoefficientOfVariation, SimDuration Correlation, SimDuration Bucket)
{
    /// <summary>σ of ln(factor).</summary>
    public double Sigma => Math.Sqrt(Math.Log(1 + CoefficientOfVariation * CoefficientOfVariation));

    /// <summary>AR(1) coefficient between consecutive buckets.</summary>
    public double Phi => Correlation <= SimDuration.Zero ? 0 : Math.Exp(-(double)Bucket.Microseconds / Correlation.Microseconds);
}

/// <summary>One source of WAL, in LSN bytes per second (what <c>pg_current_wal_lsn()</c> deltas measure).</summary>
public abstract record RateComponent;

/// <summary>A constant rate from <paramref name="From"/> until <paramref name="Until"/>.</summary>
public sealed record ConstantRate(double BytesPerSecond, SimTime From, SimTime Until) : RateComponent;

/// <summary>A rate that holds from each breakpoint until the next (the last holds to the end).</summary>
public sealed record PiecewiseRate(IReadOnlyList<RateStep> Steps) : RateComponent;

public readonly record struct RateStep(SimTime At, double BytesPerSecond);

/// <summary>
/// A daily cycle <c>mean × (1 + amplitude × cos(2π (h − peakHour) / 24))</c>, held constant over each
/// <paramref name="Resolution"/> step (sampled at the step's middle) so insert positions stay exact.
/// </summary>
public sealed record DailyCycle(double MeanBytesPerSecond, double Amplitude, double PeakHour, SimDuration Resolution) : RateComponent;

/// <summary>An extra rate for a while (a batch job, a bulk load).</summary>
public sealed record Burst(SimTime At, SimDuration Duration, double BytesPerSecond) : RateComponent;

/// <summary>A small write repeated every <paramref name="Every"/> (a heartbeat, or a managed service's system write).</summary>
public sealed record PeriodicWrite(string Name, SimDuration Every, ByteCount Bytes, SimTime From, SimTime Until);

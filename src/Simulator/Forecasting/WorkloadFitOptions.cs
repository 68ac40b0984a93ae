namespace Walsim.Simulator.Forecasting;

/// <summary>Knobs of <see cref="WorkloadFit.Fit"/>. Every default is stated where it is defined.</summary>
public sealed record WorkloadFitOptions
{
    /// <summary>Width of a rate bucket; null = <see cref="WorkloadFit.DefaultBucket"/> of the observation spacing
    /// (5 min, or 4 × the median spacing when that is longer).</summary>
    public SimDuration? Bucket { get; init; }

    /// <summary>Period of the cycle looked for; default 24 h. Tests and short recordings may use a compressed period.</summary>
    public SimDuration CyclePeriod { get; init; } = SimDuration.FromDays(1);

    /// <summary>No period was given (<c>--period</c>): when the history is too short for two <see cref="CyclePeriod"/>s,
    /// look for the cycle's period in the data instead (<see cref="WorkloadFit.DetectCyclePeriod"/>). Default false.</summary>
    public bool DetectPeriod { get; init; }

    /// <summary>Harmonics of <see cref="CyclePeriod"/> in the cycle: 1 = 24 h only, 2 = 24 h + 12 h. Default 1.</summary>
    public int Harmonics { get; init; } = 1;

    /// <summary>The cycle is a sine of the rate, not of its log: ln rate = level + trend + ln(1 + a cos θ + b sin θ) + AR(1)
    /// noise (one harmonic; <see cref="Regression.FitCycleOfRate"/>). Chosen by the period search where it describes the
    /// log-rates best (<see cref="WorkloadFit.DetectCyclePeriod"/>). Default false.</summary>
    public bool CycleOfRate { get; init; }

    /// <summary>A cycle is only looked for when the measured span covers at least this many periods. Default 2.</summary>
    public double MinCyclePeriods { get; init; } = 2;

    /// <summary>Significance level of the cycle's F-test and the trend's t-test. Default 0.01.</summary>
    public double SignificanceLevel { get; init; } = 0.01;

    /// <summary>The sample-clock instant that is midnight, so peak hours are hours of the day. Default <see cref="SimTime.Zero"/>.</summary>
    public SimTime MidnightAt { get; init; } = SimTime.Zero;

    /// <summary>A bucket whose rate is below this is idle (a point mass at 0, outside the log-normal). Default 1 byte/s.</summary>
    public double IdleBelowBytesPerSecond { get; init; } = 1.0;

    /// <summary>A bucket is measured only when observed intervals cover at least this fraction of it. Default 0.5.</summary>
    public double MinBucketCoverage { get; init; } = 0.5;

    /// <summary>An interval longer than this many buckets between two readings is treated as a gap even when not
    /// marked (its average rate says nothing about the buckets inside it). Default 2.</summary>
    public double MaxIntervalBuckets { get; init; } = 2;

    /// <summary>Fewer measured non-idle buckets than this: only the level and spread are fitted. Default 12.</summary>
    public int MinBuckets { get; init; } = 12;
}

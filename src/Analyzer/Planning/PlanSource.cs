using System.Globalization;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>
/// What a plan starts from: a scenario (its settings, slots and declared workload, noise included) or a sample
/// file (the cluster as last sampled, the workload fitted to the samples as <c>walsim forecast</c> fits it).
/// </summary>
/// <param name="Path">The file given.</param>
/// <param name="Scenario">Settings, slots, start state and volume.</param>
/// <param name="Workload">How each run's rate is drawn.</param>
/// <param name="Version">The version the plan is for.</param>
/// <param name="IsSamples">Whether it came from samples.</param>
/// <param name="Describe">The workload in words, for the report.</param>
/// <param name="MeanRate">The workload's mean write rate in bytes/s (sizes the default candidate caps).</param>
public sealed record PlanSource(string Path, Scenario Scenario, IWorkloadModel Workload, PgVersion Version, bool IsSamples,
    IReadOnlyList<string> Describe, double MeanRate)
{
    /// <summary>For samples, outages start at a random time in the next week (every hour of every weekday).</summary>
    public static readonly SimDuration SampleWindow = SimDuration.FromDays(7);

    /// <summary>The warm-up before each outage for scenarios: six hours of checkpoints settle pg_wal's recycled files.</summary>
    public static readonly SimDuration DefaultWarmup = SimDuration.FromHours(6);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A scenario; the version is <paramref name="version"/> or the newest the scenario names.</summary>
    public static PlanSource FromScenario(Scenario scenario, PgVersion? version)
    {
        var v = version ?? scenario.Versions.Max();
        var words = new List<string> { $"the scenario's workload ({Components(scenario.Workload)})" };
        words.Add(scenario.Workload.Noise is { } n
            ? string.Create(Inv, $"varying {n.CoefficientOfVariation:0.#%} (coefficient of variation) per {n.Bucket.Display()}, busy and quiet stretches lasting about {n.Correlation.Display()}")
            : "no declared noise: runs differ only in when the outage starts (add - noise: {cv: 30%, correlation: 1h} to the workload for variation)");
        // The declared rate over the scenario's span (noise keeps the mean).
        var mean = Simulator.Engine.WorkloadPaths.MeanRate(scenario.Workload, scenario.Duration > SimDuration.Zero ? scenario.Duration : SimDuration.FromDays(1));
        return new PlanSource(scenario.SourceFile, scenario, new DeclaredWorkload(scenario.Workload), v, false, words, mean);
    }

    /// <summary>A sample file: the cluster as last sampled, the workload fitted to the samples.</summary>
    public static PlanSource FromSamples(string path, ForecastInput input, WorkloadFit fit, DiskSpec? disk)
    {
        var scenario = Forecaster.StartingScenario(input, new ForecastOptions(SampleWindow, 1, 1, disk), WhatIf.CurrentTrend) with
        {
            Name = System.IO.Path.GetFileNameWithoutExtension(path),
            SourceFile = path,
        };
        var words = new List<string> { $"fitted to {path} ({input.Observations.Count} readings)" };
        words.AddRange(fit.Report.Describe());
        var first = input.Observations[0];
        var last = input.Observations[^1];
        var mean = last.At > first.At ? (last.Position.Value - (double)first.Position.Value) / (last.At - first.At).TotalSeconds : 0;
        return new PlanSource(path, scenario, new FittedWorkload(fit, input.Now), input.Version, true, words, mean);
    }

    private static string Components(Workload w)
    {
        var parts = w.Components.Select(c => c switch
        {
            ConstantRate k => $"{Rate(k.BytesPerSecond)}" + (k.From > SimTime.Zero || !k.Until.IsNever ? $" from {k.From.Display()} until {k.Until.Display()}" : ""),
            DailyCycle d => string.Create(Inv, $"daily {Rate(d.MeanBytesPerSecond)} ±{d.Amplitude:0.#%} peaking at {d.PeakHour:0.#}h"),
            Burst b => $"a burst of {Rate(b.BytesPerSecond)} at {b.At.Display()} for {b.Duration.Display()}",
            PiecewiseRate p => $"{p.Steps.Count} rate steps",
            _ => c.GetType().Name,
        }).ToList();
        parts.AddRange(w.PeriodicWrites.Select(p => p.Name));
        return parts.Count == 0 ? "no writes" : string.Join(", ", parts);
    }

    private static string Rate(double bytesPerSecond) => new ByteCount((long)Math.Round(bytesPerSecond)) + "/s";
}

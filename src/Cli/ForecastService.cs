namespace Walsim.Cli;

/// <param name="SamplesPath">A sample file written by <c>walsim sample</c> (settings sidecar beside it): a history that
/// shows the cluster as it stands, which a forecast starts from.</param>
/// <param name="Horizon">How far ahead.</param>
/// <param name="WhatIfs">Alternatives to the current trend, each forecast on its own.</param>
/// <param name="Disk">The pg_wal volume's size, if given.</param>
/// <param name="ReadOnlyAt">A managed service's read-only threshold, as a fraction of the disk.</param>
/// <param name="Runs">Monte Carlo runs.</param>
/// <param name="Seed">Master seed.</param>
/// <param name="Until">Forecast from this point of the file instead of its end.</param>
/// <param name="Period">The cycle to look for (a day, unless the trace is compressed).</param>
/// <param name="Bucket">The fit's rate bucket; null = 5 minutes or 4 sample spacings.</param>
public sealed record ForecastRequest(string SamplesPath, SimDuration Horizon, IReadOnlyList<WhatIf> WhatIfs, ByteCount? Disk, double? ReadOnlyAt,
    int Runs, int Seed, ReplayLimit Until, SimDuration Period, SimDuration? Bucket)
{
    /// <summary>Fit the workload to this history instead (a longer sample file, or a server log with log_checkpoints).</summary>
    public string? WorkloadFrom { get; init; }

    /// <summary>No <c>--period</c> given: look for the cycle's period in the history when it is too short for two days.</summary>
    public bool DetectPeriod { get; init; }

    /// <summary>Forecast from the first part of the file (up to <see cref="Until"/>, default half-way) and compare with the rest.</summary>
    public bool Backtest { get; init; }

    /// <summary>For a Prometheus URL as <see cref="SamplesPath"/>: which cluster and stretch (<c>--prometheus</c> and its options).</summary>
    public PrometheusQuery? Prometheus { get; init; }

    /// <summary>For a server log given to <see cref="WorkloadFrom"/>: its format (<c>--log-format</c>).</summary>
    public Walsim.Analyzer.Sources.LogFormat? LogFormat { get; init; }

    /// <summary>For a server log given to <see cref="WorkloadFrom"/>: its log_line_prefix (<c>--log-line-prefix</c>).</summary>
    public Walsim.Analyzer.Sources.LogLinePrefix? LogLinePrefix { get; init; }
}

/// <summary><c>walsim forecast</c>: fits the workload to the samples and runs seeded Monte Carlo futures through the model.</summary>
public sealed class ForecastService(TextWriter stdout, TextWriter stderr)
{
    public ExitCode Run(ForecastRequest request) =>
        Failures.WithHistory(stderr, request.SamplesPath, HistoryUse.Forecast, HistoryOptions.Default with { Prometheus = request.Prometheus }, ExitCode.UsageError, samples =>
        {
            var settingRows = samples.Settings;
            var fitOptions = new WorkloadFitOptions { CyclePeriod = request.Period, Bucket = request.Bucket, DetectPeriod = request.DetectPeriod };
            // A Prometheus URL given to --workload-from is read with the --prometheus options (the one history opener).
            var workloadOptions = HistoryOptions.Default with { LogFormat = request.LogFormat, LogLinePrefix = request.LogLinePrefix, Prometheus = request.Prometheus };
            var workloadFrom = request.WorkloadFrom is { } from ? HistorySources.Open(from, HistoryUse.WorkloadFit, workloadOptions) : null;
            if (workloadFrom?.Version is { } other && samples.Version is { } own && other.Major != own.Major)
                stderr.WriteLine($"walsim: warning: --workload-from {workloadFrom.Name} is from PostgreSQL {other}, the samples from {own}: the workload is fitted across a major upgrade, which may change the WAL it writes");
            if (request.Backtest)
            {
                samples.Require(HistoryUse.Backtest);
                // The slots lost after the split, as every history given shows them: a server log's invalidation lines
                // date a loss to the millisecond, where samples only bracket it.
                var losses = samples.SlotLosses().Concat(workloadFrom?.SlotLosses() ?? []).ToList();
                var result = Backtest.Run(samples.Name, samples.Frames, settingRows,
                    request.Until, fitOptions, request.Runs, request.Seed, Environment.ProcessorCount, losses: losses);
                ForecastRenderers.Backtest.Default.Render(new BacktestOutcome(request.SamplesPath, result, request.Runs, request.Seed), stdout);
                return ExitCode.Ok;
            }
            var input = ForecastInput.Read(samples, request.Until);
            var history = workloadFrom is null ? null : WorkloadHistory.Read(workloadFrom);
            var observations = history?.Observations ?? input.Observations;
            var fit = WorkloadFitException.Fit(history?.File ?? request.SamplesPath, observations,
                fitOptions with { Bucket = fitOptions.Bucket ?? WorkloadFit.BucketFromData(observations) });
            var fitNow = history?.Clock(input.Last.ServerTime);
            var disk = request.Disk is { } size ? new DiskSpec(size, ByteCount.Zero, request.ReadOnlyAt) : null;
            var options = new ForecastOptions(request.Horizon, request.Runs, request.Seed, disk, Environment.ProcessorCount);
            foreach (var name in request.WhatIfs.SelectMany(w => w.StopSlots.Keys))
                if (input.Slots.All(s => s.Name != name))
                {
                    stderr.WriteLine($"walsim: --what-if: there is no slot \"{name}\" in the last sample (slots: {string.Join(", ", input.Slots.Select(s => s.Name))})");
                    return ExitCode.UsageError;
                }
            // Each forecast runs as it is printed: the header and the first ones show while the others run.
            var results = new[] { WhatIf.CurrentTrend }.Concat(request.WhatIfs).Select(whatIf => Forecaster.Run(input, fit, options, whatIf, fitNow));
            ForecastRenderers.Forecast.Default.Render(new ForecastOutcome(request.SamplesPath, input, fit, options, history, results), stdout);
            return ExitCode.Ok;
        });
}

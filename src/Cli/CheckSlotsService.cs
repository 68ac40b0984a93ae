using Walsim.Analyzer.Watch;

namespace Walsim.Cli;

/// <param name="Source">A sample file or a server log; null = a live server (<see cref="Connection"/> or the libpq environment).</param>
/// <param name="Connection">How to connect to a live server.</param>
/// <param name="Warning">WARNING when a slot's loss (or a full disk) is predicted this near at p10.</param>
/// <param name="Critical">CRITICAL when this near.</param>
/// <param name="Forecast">Horizon, runs, seed, disk.</param>
/// <param name="Fit">The fit's bucket and cycle.</param>
/// <param name="LiveFor">How long to sample a live server before forecasting.</param>
/// <param name="LiveInterval">Its sampling interval.</param>
public sealed record CheckSlotsRequest(string? Source, string? Connection, TimeSpan Warning, TimeSpan Critical, ForecastOptions Forecast,
    WorkloadFitOptions Fit, TimeSpan LiveFor, TimeSpan LiveInterval);

/// <summary><c>walsim check-slots</c>: one run, one status line with perfdata, exit 0/1/2/3 (OK, WARNING, CRITICAL, UNKNOWN).</summary>
public sealed class CheckSlotsService(TextWriter stdout, TextWriter stderr, TimeProvider time, Func<string, string?>? environment = null)
{
    public async Task<int> RunAsync(CheckSlotsRequest r, CancellationToken ct)
    {
        var verdict = await JudgeAsync(r, ct);
        stdout.WriteLine(verdict.Line);
        return (int)verdict.State;
    }

    private async Task<CheckVerdict> JudgeAsync(CheckSlotsRequest r, CancellationToken ct)
    {
        if (r.Source is { } path)
        {
            try
            {
                var history = HistorySources.Open(path, HistoryUse.WorkloadFit, HistoryOptions.Default);
                if (!history.CanServe(HistoryUse.Forecast)) return SlotCheck.FromLosses(history.SlotLosses().ToList(), history.Name);
                var input = ForecastInput.Read(history);
                var fit = WorkloadFitException.Fit(path, input.Observations, r.Fit);
                var result = Forecaster.Run(input, fit, r.Forecast with { Parallelism = Environment.ProcessorCount }, WhatIf.CurrentTrend);
                // A file's forecast starts at its last sample: its times count from there, not from now.
                return SlotCheck.Judge(result, r.Forecast.Horizon, TimeSpan.Zero, r.Warning, r.Critical, r.Forecast.Disk is not null);
            }
            catch (Exception e) when (e is HistorySourceException or SampleFileException or WorkloadFitException or SettingException or ArgumentException or IOException)
            {
                return SlotCheck.Unknown(e.Message);
            }
        }

        LiveConnection connection;
        try
        {
            connection = LiveConnection.Create(r.Connection, environment);
        }
        catch (ArgumentException e)
        {
            return SlotCheck.Unknown(LiveConnection.ScrubConnectionString(e.Message));
        }
        try
        {
            var options = new WatchOptions(connection.Describe(), r.LiveFor + r.LiveInterval, r.LiveInterval, TimeSpan.MaxValue, r.Forecast, r.Fit);
            var watcher = new Watcher(options, time, note: m => stderr.WriteLine(connection.Scrub(m)));
            await using var source = new NpgsqlSampleSource(connection);
            var sampler = new Sampler(source, watcher, new SamplerOptions(r.LiveInterval, r.LiveFor), time, new ProgressLine(stderr, false), connection.Scrub)
            {
                ServerName = connection.Describe(),
            };
            var run = await sampler.RunAsync(ct);
            if (run.Samples < 2) return SlotCheck.Unknown($"{connection.Describe()}: too few samples to forecast ({run.Samples})");
            if (watcher.ForecastNow() is not { } f)
                return SlotCheck.Unknown($"{connection.Describe()}: no forecast from {run.Samples} samples (sample for longer with --live-for, or give a smaller --bucket)");
            return SlotCheck.Judge(f.Result, f.Horizon, time.GetUtcNow() - f.AsOf, r.Warning, r.Critical, r.Forecast.Disk is not null);
        }
        catch (Exception e) when (e is LiveServerException or Npgsql.NpgsqlException or IOException)
        {
            return SlotCheck.Unknown($"{connection.Describe()}: {connection.Scrub(e.Message)}");
        }
    }
}

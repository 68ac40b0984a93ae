using System.Net;
using Walsim.Analyzer.Watch;

namespace Walsim.Cli;

/// <param name="Connection">How to connect (as <c>walsim sample</c> takes it); null = the libpq environment.</param>
/// <param name="Interval">Time between samples.</param>
/// <param name="History">The rolling history kept for the forecast.</param>
/// <param name="ForecastEvery">How often to refit and re-forecast.</param>
/// <param name="Forecast">Horizon, runs, seed, disk.</param>
/// <param name="Fit">The fit's bucket and cycle period.</param>
/// <param name="ListenHost">Address of the /metrics endpoint.</param>
/// <param name="ListenPort">Its port.</param>
public sealed record WatchRequest(string? Connection, TimeSpan Interval, TimeSpan History, TimeSpan ForecastEvery, ForecastOptions Forecast,
    WorkloadFitOptions Fit, string ListenHost, int ListenPort)
{
    /// <summary>Also append every sample to this sample file (created if missing; a previous run's history in it is
    /// loaded, so a restarted watcher forecasts at once).</summary>
    public string? AppendPath { get; init; }

    /// <summary>How long to wait for a server that is not up yet.</summary>
    public TimeSpan Wait { get; init; }

    /// <summary>Stop after this long (tests, CI); null = until Ctrl-C or SIGTERM.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Take one sample, forecast if the history allows, print the metrics and exit.</summary>
    public bool Once { get; init; }

    /// <summary>Settings the model is told instead of the server's (tests of the disagreement counter).</summary>
    public IReadOnlyDictionary<string, string> ModelSettingOverrides { get; init; } = new Dictionary<string, string>();
}

/// <summary><c>walsim watch</c>: samples a server for good, judges its checkpoints, forecasts, and serves /metrics.</summary>
public sealed class WatchService(TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, TimeProvider time,
    Func<string, string?>? environment = null)
{
    /// <summary>Called once the endpoint listens (tests learn the watcher and the URL from it).</summary>
    public Action<Watcher, MetricsEndpoint>? Started { get; init; }

    public async Task<ExitCode> RunAsync(WatchRequest request, CancellationToken ct)
    {
        LiveConnection connection;
        try
        {
            connection = LiveConnection.Create(request.Connection, environment);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"walsim: {LiveConnection.ScrubConnectionString(e.Message)}");
            return ExitCode.UsageError;
        }
        var progress = new ProgressLine(stderr, stderrIsTerminal && !request.Once);
        void Note(string m)
        {
            progress.Message(connection.Scrub(m));
        }
        try
        {
            IReadOnlyList<SampleFrame> preload = [];
            IReadOnlyList<SettingSample> preloadSettings = [];
            if (request.AppendPath is { } path && File.Exists(path) && new FileInfo(path).Length > 0)
            {
                var history = HistorySources.Open(path, HistoryUse.Forecast, HistoryOptions.Default);
                preloadSettings = history.Settings;
                var frames = new Queue<SampleFrame>();
                foreach (var f in history.Frames())
                {
                    frames.Enqueue(f);
                    while (frames.Peek().Server.LocalTime < f.Server.LocalTime - request.History) frames.Dequeue();
                }
                preload = frames.ToList();
            }
            using var writer = request.AppendPath is { } p2 ? SampleFileWriter.Open(p2, append: true, m => Note($"walsim: {m}")) : null;
            var options = new WatchOptions(connection.Describe(), request.History, request.Interval, request.ForecastEvery, request.Forecast, request.Fit)
            {
                ModelSettingOverrides = request.ModelSettingOverrides,
            };
            var watcher = new Watcher(options, time, writer, Note);
            if (preload.Count > 0) watcher.Preload(preload, preloadSettings);
            await using var source = new NpgsqlSampleSource(connection);
            var sampler = new Sampler(source, watcher, new SamplerOptions(request.Interval, request.Once ? TimeSpan.Zero : request.Duration) { WaitForServer = request.Wait },
                time, progress, connection.Scrub) { ServerName = connection.Describe() };

            if (request.Once)
            {
                var once = await sampler.RunAsync(ct);
                if (once.Samples == 0) return ExitCode.ServerUnavailable;
                watcher.ForecastNow();
                stdout.Write(WatchMetrics.Render(watcher.Snapshot()));
                return ExitCode.Ok;
            }

            await using var endpoint = new MetricsEndpoint(request.ListenHost, request.ListenPort, () => WatchMetrics.Render(watcher.Snapshot()));
            try
            {
                endpoint.Start();
            }
            catch (HttpListenerException e)
            {
                stderr.WriteLine($"walsim: cannot listen on {request.ListenHost}:{request.ListenPort}: {e.Message} (another process has the port? choose another with --listen)");
                return ExitCode.UsageError;
            }
            var every = request.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            stdout.WriteLine($"Watching {connection.Describe()} every {every}s; metrics at {endpoint.Url}{(writer is not null ? $"; samples appended to {writer.Path}" : "")}{(preload.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" (history: {preload.Count} sample(s) loaded from it)") : "")}");
            Started?.Invoke(watcher, endpoint);
            var result = await sampler.RunAsync(ct);
            if (watcher.PendingForecast is { } pending) await pending;
            var connections = LiveConnections.Losses(result);
            var snapshot = watcher.Snapshot();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PostgreSQL {result.Server.Version} (system {result.Server.SystemIdentifier}): {result.Samples} sample(s) in {result.Elapsed.TotalSeconds:0.#}s{connections}; {snapshot.CheckpointsJudged} checkpoint(s) judged, {snapshot.Disagreements} disagreement(s); {snapshot.Forecasts} forecast(s){(result.Interrupted ? "; interrupted" : "")}"));
            return LiveConnections.Ended(result, connection, stderr);
        }
        catch (Exception e)
        {
            progress.Complete();
            return LiveConnections.Failed(e, connection, stderr);
        }
    }
}

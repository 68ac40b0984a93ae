namespace Walsim.Cli;

/// <param name="SamplesPath">A recorded history: a sample file written by <c>walsim sample</c> (its settings sidecar
/// beside it), or a server log.</param>
/// <param name="Until">Stop replaying there.</param>
/// <param name="CsvPath">Also write every decision to this CSV file.</param>
/// <param name="ListCheckpoints">List every checkpoint, not only those that disagree.</param>
public sealed record ReplayRequest(string SamplesPath, ReplayLimit Until, string? CsvPath, bool ListCheckpoints)
{
    /// <summary>For a server log: the version when the log does not name it.</summary>
    public Walsim.Simulator.Versions.PgVersion? Version { get; init; }
    /// <summary>For a server log: wal_segment_size (a log does not say it); null: not given.</summary>
    public WalSegmentSize? SegmentSize { get; init; }
    /// <summary>For a server log: settings in force when it starts.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>For a server log: its format, when given (<c>--log-format</c>).</summary>
    public Walsim.Analyzer.Sources.LogFormat? LogFormat { get; init; }
    /// <summary>For a server log: its log_line_prefix, when given (<c>--log-line-prefix</c>).</summary>
    public Walsim.Analyzer.Sources.LogLinePrefix? LogLinePrefix { get; init; }
    /// <summary>For a Prometheus URL: which cluster and stretch (<c>--prometheus</c> and its options).</summary>
    public PrometheusQuery? Prometheus { get; init; }
}

/// <summary><c>walsim replay</c>: a real cluster's samples through the retention model, checkpoint by checkpoint.</summary>
public sealed class ReplayService(TextWriter stdout, TextWriter stderr)
{
    public ExitCode Run(ReplayRequest request)
    {
        var options = new HistoryOptions
        {
            Version = request.Version, SegmentSize = request.SegmentSize, Settings = request.Settings,
            LogFormat = request.LogFormat, LogLinePrefix = request.LogLinePrefix, Prometheus = request.Prometheus,
        };
        return Failures.WithHistory(stderr, request.SamplesPath, HistoryUse.Replay, options, ExitCode.InvalidScenario,
            history => history is ServerLogHistory log ? RunLog(log) : RunDecisions(request, history));
    }

    /// <summary>A history that shows the cluster reading by reading: every checkpoint decision and slot reading compared.</summary>
    private ExitCode RunDecisions(ReplayRequest request, IRecordedHistory history)
    {
        history.Require(HistoryUse.ReplayDecisions);
        if (request.CsvPath is not null) OutputPaths.CheckFile("--csv", request.CsvPath, "replay.csv");
        var settingRows = history.Settings; // before the CSV is created: a missing sidecar leaves nothing behind
        using var csvFile = request.CsvPath is null ? null : AtomicFile.Create(request.CsvPath);
        var csv = csvFile is null ? null : new ReplayReport.DecisionCsv(csvFile.Writer); // flushed before the commit below
        var replay = new LiveReplay(history.Name, v => SampledSettings.From(settingRows, v), csv is null ? null : csv.Write, request.Until);
        foreach (var frame in SampleFrames.ReadAhead(history.Frames()))
            if (!replay.Add(frame)) break;
        var summary = replay.Finish();
        csv?.Dispose();
        csvFile?.Commit();
        ReplayRenderers.Samples.Default.Render(new ReplayOutcome(request.SamplesPath, summary, request.ListCheckpoints), stdout);
        if (csvFile is not null) stdout.WriteLine($"decisions: {request.CsvPath}");
        return summary.Agrees ? ExitCode.Ok : ExitCode.ExpectationsFailed;
    }

    /// <summary>A server log: the checks a log allows (estimate, added/recycled), no slot or pg_wal comparison.</summary>
    private ExitCode RunLog(ServerLogHistory log) =>
        Failures.GuardInput(stderr, log.SettingsOrigin, ExitCode.UsageError, () =>
        {
            var summary = Walsim.Analyzer.Sources.LogReplay.Run(log.Name, log.Options.Version, log.Options.SegmentSize, log.Options.Settings, log.Options.LogFormat, log.Options.LogLinePrefix);
            ReplayRenderers.Log.Default.Render(summary, stdout);
            return summary.Agrees ? ExitCode.Ok : ExitCode.ExpectationsFailed;
        });
}

using Walsim.Analyzer.Live;
using Walsim.Analyzer.Reports;

namespace Walsim.Cli;

/// <param name="SamplesPath">A sample file written by <c>walsim sample</c>; its settings sidecar must be beside it.</param>
/// <param name="Until">Stop replaying there.</param>
/// <param name="CsvPath">Also write every decision to this CSV file.</param>
/// <param name="ListCheckpoints">List every checkpoint, not only those that disagree.</param>
public sealed record ReplayRequest(string SamplesPath, ReplayLimit Until, string? CsvPath, bool ListCheckpoints)
{
    /// <summary>For a server log: the version when the log does not name it.</summary>
    public Walsim.Simulator.Versions.PgVersion? Version { get; init; }
    /// <summary>For a server log: wal_segment_size (a log does not say it).</summary>
    public Walsim.Simulator.Units.WalSegmentSize SegmentSize { get; init; } = Walsim.Simulator.Units.WalSegmentSize.Default;
    /// <summary>For a server log: settings in force when it starts.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary><c>walsim replay</c>: a real cluster's samples through the retention model, checkpoint by checkpoint.</summary>
public sealed class ReplayService(TextWriter stdout, TextWriter stderr)
{
    public ExitCode Run(ReplayRequest request)
    {
        if (!IsSampleFile(request.SamplesPath)) return RunLog(request);
        var settingsPath = SampleFile.SettingsPath(request.SamplesPath);
        if (!File.Exists(settingsPath))
        {
            stderr.WriteLine($"walsim: {settingsPath}: no such file: replay needs the settings walsim sample wrote beside {request.SamplesPath}");
            return ExitCode.UsageError;
        }
        return Failures.GuardInput(stderr, settingsPath, ExitCode.InvalidScenario, () =>
        {
            using var csvFile = request.CsvPath is null ? null : AtomicFile.Create(request.CsvPath);
            var csv = csvFile is null ? null : new ReplayReport.DecisionCsv(csvFile.Writer); // flushed before the commit below
            var settingRows = SampleFile.ReadSettings(settingsPath).ToList();
            var replay = new LiveReplay(request.SamplesPath, v => SampledSettings.From(settingRows, v), csv is null ? null : csv.Write, request.Until);
            foreach (var frame in SampleFrames.ReadAhead(SampleFrames.Group(SampleFile.Read(request.SamplesPath))))
                if (!replay.Add(frame)) break;
            var summary = replay.Finish();
            csv?.Dispose();
            csvFile?.Commit();
            ReplayReport.WriteText(stdout, request.SamplesPath, summary, request.ListCheckpoints);
            if (csvFile is not null) stdout.WriteLine($"decisions: {request.CsvPath}");
            return summary.Agrees ? ExitCode.Ok : ExitCode.ExpectationsFailed;
        });
    }

    private static bool IsSampleFile(string path)
    {
        using var r = new StreamReader(path);
        return (r.ReadLine() ?? "").StartsWith("sample,", StringComparison.Ordinal);
    }

    /// <summary>A server log: the checks a log allows (estimate, added/recycled), no slot or pg_wal comparison.</summary>
    private ExitCode RunLog(ReplayRequest request) =>
        Failures.GuardInput(stderr, "--set", ExitCode.UsageError, () =>
        {
            var summary = Walsim.Analyzer.Sources.LogReplay.Run(request.SamplesPath, request.Version, request.SegmentSize, request.Settings);
            Walsim.Analyzer.Sources.LogReplay.Write(stdout, summary);
            return summary.Agrees ? ExitCode.Ok : ExitCode.ExpectationsFailed;
        });
}

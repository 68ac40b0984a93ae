using Walsim.Analyzer.Explain;

namespace Walsim.Cli;

/// <param name="Input">A scenario, a sample file, or else a connection string (null: the libpq environment).</param>
/// <param name="Version">A scenario's version. [default: its newest]</param>
/// <param name="At">When: a duration from the start (a scenario, a sample file) or a UTC time (a sample file); null = a
/// scenario's pg_wal peak, a sample file's last sample.</param>
/// <param name="Estimate">A live server's CheckPointDistanceEstimate, from its log.</param>
/// <param name="Format">The stdout format.</param>
/// <param name="OutDir">Also write explain.md and explain.json here.</param>
public sealed record ExplainRequest(string? Input, PgVersion? Version, string? At, ByteCount? Estimate, string Format, string? OutDir);

/// <summary><c>walsim explain</c>: what holds each file in pg_wal, on a live server, a sample file or a scenario.</summary>
public sealed class ExplainService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario, Func<string, string?>? environment = null)
{
    public async Task<ExitCode> RunAsync(ExplainRequest request, CancellationToken ct)
    {
        if (request.Input is { } path && File.Exists(path))
        {
            if (HistorySources.Recognises(path))
                return Failures.WithHistory(stderr, path, ExplainSources.Use, HistoryOptions.Default, ExitCode.InvalidScenario, history =>
                {
                    if (!TryLimit(request.At, out var limit)) return ExitCode.UsageError;
                    return Write(request, [ExplainSources.FromHistory(history, limit)]);
                });
            return Failures.Guard(stderr, () =>
            {
                var scenario = loadScenario(path);
                var version = request.Version ?? scenario.Versions.Max();
                SimTime? at = null;
                if (request.At is { } text)
                {
                    if (!Walsim.Analyzer.Scenarios.ValueParser.TryParseDuration(text, out var d, out var error))
                    {
                        stderr.WriteLine($"walsim: --at: {error} (a time into the scenario, like 2h)");
                        return ExitCode.UsageError;
                    }
                    at = SimTime.Zero + d;
                }
                var reports = Failures.OnVersion(scenario, version, () => ExplainSources.FromScenarioNodes(scenario, path, version, at));
                return Write(request, reports);
            });
        }
        if (request.At is not null)
        {
            stderr.WriteLine("walsim: --at applies to a scenario or a sample file; a live server is explained now");
            return ExitCode.UsageError;
        }
        if (LiveConnections.Create(request.Input, environment, stderr) is not { } connection) return ExitCode.UsageError;
        try
        {
            var report = await LiveExplain.ReadAsync(connection, request.Estimate, ct);
            return Write(request, [report]);
        }
        catch (LiveServerException e)
        {
            stderr.WriteLine($"walsim: {connection.Scrub(e.Message)}");
            return ExitCode.ServerUnavailable;
        }
        catch (Npgsql.NpgsqlException e)
        {
            stderr.WriteLine($"walsim: {connection.Describe()}: {connection.Scrub(e.Message)}");
            return ExitCode.ServerUnavailable;
        }
    }

    private bool TryLimit(string? at, out ReplayLimit limit)
    {
        limit = default;
        if (at is null) return true;
        if (Walsim.Analyzer.Scenarios.ValueParser.TryParseDuration(at, out var d, out _) && d.Microseconds > 0)
        {
            limit = new ReplayLimit(null, TimeSpan.FromMicroseconds(d.Microseconds));
            return true;
        }
        if (DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            limit = new ReplayLimit(t, null);
            return true;
        }
        stderr.WriteLine($"walsim: --at: expected a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z), got \"{at}\"");
        return false;
    }

    private ExitCode Write(ExplainRequest request, IReadOnlyList<ExplainReport> reports)
    {
        var registry = ExplainRenderers.Registry;
        if (request.OutDir is { } dir) OutputPaths.CheckDirectory("--out", dir);
        registry.GetPrintable(request.Format).Render(reports, stdout);
        var written = AtomicFile.WriteAll(reports, registry.Files(request.OutDir, null, "."));
        if (request.Format == registry.Default.Name)
            foreach (var f in written) stdout.WriteLine($"wrote {f}");
        return ExitCode.Ok;
    }
}

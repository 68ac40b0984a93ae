namespace Walsim.Cli;

/// <param name="Connection">How to connect, in any form <see cref="LiveConnection"/> reads (libpq keyword/value, URI, database name, Npgsql); null = the libpq environment.</param>
/// <param name="Interval">Time between samples.</param>
/// <param name="Duration">How long to sample; null = until Ctrl-C.</param>
/// <param name="OutPath">The sample file; its settings go to the sidecar <c>NAME.settings.csv</c>.</param>
/// <param name="Append">Add to an existing file of the same cluster instead of refusing to overwrite it.</param>
public sealed record SampleRequest(string? Connection, TimeSpan Interval, TimeSpan? Duration, string OutPath, bool Append)
{
    /// <summary>How long to wait for a server that is not up yet (<c>--wait</c>); zero = not at all.</summary>
    public TimeSpan Wait { get; init; }
}

/// <summary><c>walsim sample</c>: records a live server's WAL positions, checkpoints, slots and pg_wal into a CSV file.</summary>
public sealed class SampleService(TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, TimeProvider time,
    Func<string, string?>? environment = null)
{
    public async Task<ExitCode> RunAsync(SampleRequest request, CancellationToken ct)
    {
        if (LiveConnections.Create(request.Connection, environment, stderr) is not { } connection) return ExitCode.UsageError;
        var progress = new ProgressLine(stderr, stderrIsTerminal);
        try
        {
            using var writer = SampleFileWriter.Open(request.OutPath, request.Append, m => progress.Message($"walsim: {m}"));
            await using var source = new NpgsqlSampleSource(connection);
            var sampler = new Sampler(source, writer, new SamplerOptions(request.Interval, request.Duration) { WaitForServer = request.Wait }, time, progress, connection.Scrub)
            {
                ServerName = connection.Describe(),
            };
            var every = request.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            stdout.WriteLine($"Sampling {connection.Describe()} every {every}s {(request.Duration is { } d ? $"for {d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s" : "until Ctrl-C")} into {writer.Path}{(writer.LastSample > 0 ? string.Create(CultureInfo.InvariantCulture, $" (appending after sample {writer.LastSample})") : "")}");
            var result = await sampler.RunAsync(ct);
            var connections = LiveConnections.Losses(result);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PostgreSQL {result.Server.Version} (system {result.Server.SystemIdentifier}): {result.Samples} sample(s), {result.Rows} row(s) in {result.Elapsed.TotalSeconds:0.#}s{connections}{(result.Interrupted ? ", interrupted" : "")}"));
            stdout.WriteLine($"samples: {writer.Path}, settings: {writer.SettingsPath}");
            // The file is fine up to a loss, but a run that ended disconnected did not cover its duration.
            return LiveConnections.Ended(result, connection, stderr, ": no samples after the last loss of the connection");
        }
        catch (Exception e)
        {
            progress.Complete();
            return LiveConnections.Failed(e, connection, stderr);
        }
    }
}

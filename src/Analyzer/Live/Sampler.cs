using System.Globalization;

namespace Walsim.Analyzer.Live;

/// <summary>How often and how long to sample, and how to retry.</summary>
/// <param name="Interval">Time between samples (scheduled on a fixed grid from the start; a late sample moves to
/// the next grid point, never two at once).</param>
/// <param name="Duration">Stop after this long (a sample is taken at the end time if it falls on the grid); null =
/// until cancelled.</param>
public sealed record SamplerOptions(TimeSpan Interval, TimeSpan? Duration)
{
    /// <summary>Wait before the second reconnect attempt (the first is immediate); doubled after each failure.</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between reconnect attempts.</summary>
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait for a server that is not up yet when the run starts (<c>--wait</c>: started by systemd or cron
    /// before PostgreSQL), retrying with the same backoff as a reconnect; zero = the first failure ends the run.
    /// </summary>
    public TimeSpan WaitForServer { get; init; } = TimeSpan.Zero;
}

/// <summary>What a sampling run did.</summary>
/// <param name="Samples">Samples written.</param>
/// <param name="Rows">Rows written (one per slot per sample).</param>
/// <param name="ConnectionsLost">How often the connection was lost during the run.</param>
/// <param name="Reconnects">How often it was re-established (one less than <paramref name="ConnectionsLost"/> when
/// the run ended disconnected).</param>
/// <param name="EndedDisconnected">The duration ended while the server could not be reached: the samples stop at the
/// last loss, which is not a clean run.</param>
/// <param name="Interrupted">Stopped by Ctrl-C or SIGTERM.</param>
/// <param name="Elapsed">How long the run took.</param>
/// <param name="Server">The server last connected to.</param>
public sealed record SamplerResult(long Samples, long Rows, int ConnectionsLost, int Reconnects, bool EndedDisconnected,
    bool Interrupted, TimeSpan Elapsed, ServerIdentity Server);

/// <summary>
/// The sampling loop: connect, then every interval read a sample and append it to the file (flushed to disk before
/// the next), until the duration ends or the token is cancelled (Ctrl-C: what was written stays, exit is clean).
/// A lost connection is not an error: the next sample is marked as a gap and the source is reconnected with
/// exponential backoff; a reconnect that reaches another cluster (another <c>system_identifier</c>) stops the run.
/// All waiting goes through <see cref="TimeProvider"/>, so tests run the loop on a simulated clock.
/// </summary>
public sealed class Sampler(ISampleSource source, ISampleSink writer, SamplerOptions options, TimeProvider time,
    ProgressLine progress, Func<string, string>? scrub = null)
{
    private readonly Func<string, string> _scrub = scrub ?? (s => s);

    /// <summary>The description of the server used in messages (no password).</summary>
    public string ServerName { get; init; } = "the server";

    public async Task<SamplerResult> RunAsync(CancellationToken ct)
    {
        if (options.Interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "the interval must be positive");
        var identity = await FirstConnectAsync(ct);
        // The duration and the sample grid start with the first connection: waiting for the server (--wait) is not
        // part of the --duration asked for.
        var start = time.GetTimestamp();

        var gap = writer.LastSample > 0; // appending: the time since the file's last sample is not covered
        int lost = 0, reconnects = 0;
        var endedDisconnected = false;
        var interrupted = false;
        long tick = 0;
        (Simulator.Units.Lsn Lsn, DateTimeOffset At, uint Timeline)? previous = null;
        try
        {
            while (true)
            {
                var due = options.Interval * tick;
                if (options.Duration is { } d && due > d) break;
                var wait = due - time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct);
                try
                {
                    var sample = await source.ReadAsync(time.GetUtcNow(), ct);
                    var s = sample.Server with { Sample = writer.LastSample + 1, Gap = gap };
                    writer.Write(sample with { Server = s });
                    gap = false;
                    double? rate = null;
                    if (previous is { } p && !s.Gap && p.Timeline == s.TimelineId && s.HeadLsn >= p.Lsn && s.LocalTime > p.At)
                        rate = (s.HeadLsn - p.Lsn).Bytes / (s.LocalTime - p.At).TotalSeconds;
                    previous = (s.HeadLsn, s.LocalTime, s.TimelineId);
                    progress.Show(ProgressLine.Format(writer.Written, time.GetElapsedTime(start), s.HeadLsn, rate));
                }
                catch (Exception e) when (LiveErrors.IsConnectionLoss(e) && !ct.IsCancellationRequested)
                {
                    progress.Message($"walsim: connection to {ServerName} lost ({_scrub(e.Message)}); reconnecting");
                    gap = true;
                    previous = null;
                    lost++;
                    writer.ConnectionLost(time.GetUtcNow());
                    var again = await ReconnectAsync(identity, start, ct);
                    if (again is null) { endedDisconnected = true; break; }
                    reconnects++;
                    writer.Reconnected(time.GetUtcNow());
                    identity = again;
                }
                tick = Math.Max(tick + 1, (long)Math.Ceiling(time.GetElapsedTime(start) / options.Interval));
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested && (e is OperationCanceledException || LiveErrors.IsConnectionLoss(e)))
        {
            interrupted = true;
        }
        progress.Complete();
        return new SamplerResult(writer.Written, writer.RowsWritten, lost, reconnects, endedDisconnected, interrupted, time.GetElapsedTime(start), identity);
    }

    /// <summary>
    /// The first connection: at once, and with <see cref="SamplerOptions.WaitForServer"/> again with backoff until
    /// that time is up (a server still starting refuses connections or answers "the database system is starting up").
    /// A wrong password, a missing privilege or an unsupported version are not waited for.
    /// </summary>
    private async Task<ServerIdentity> FirstConnectAsync(CancellationToken ct)
    {
        var waitStart = time.GetTimestamp();
        var delay = TimeSpan.Zero;
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                var id = await source.ConnectAsync(ct);
                if (attempt > 1) progress.Message($"walsim: {ServerName} is up after {attempt} attempt(s)");
                return id;
            }
            catch (Exception e) when (LiveErrors.IsConnectionLoss(e) && !ct.IsCancellationRequested)
            {
                delay = delay == TimeSpan.Zero ? options.FirstRetry : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetry.Ticks));
                var waited = time.GetElapsedTime(waitStart);
                if (waited + delay > options.WaitForServer)
                {
                    var after = options.WaitForServer > TimeSpan.Zero
                        ? string.Create(CultureInfo.InvariantCulture, $" (waited {waited.TotalSeconds:0.#}s, {attempt} attempt(s))")
                        : "";
                    throw new LiveServerException($"cannot connect to {ServerName}{after}: {_scrub(e.Message)}", e);
                }
                progress.Show($"waiting for {ServerName}: {_scrub(e.Message)}; next attempt in {delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s");
                await Task.Delay(delay, time, ct);
            }
        }
    }

    /// <summary>Reconnects: at once, then after 1 s, 2 s, 4 s … up to <see cref="SamplerOptions.MaxRetry"/>. Null
    /// when the duration ends first.</summary>
    private async Task<ServerIdentity?> ReconnectAsync(ServerIdentity previous, long start, CancellationToken ct)
    {
        var delay = TimeSpan.Zero;
        var attempt = 0;
        while (true)
        {
            if (options.Duration is { } d && time.GetElapsedTime(start) + delay > d) return null;
            if (delay > TimeSpan.Zero)
            {
                progress.Show($"reconnecting to {ServerName} in {delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s (attempt {attempt + 1})");
                await Task.Delay(delay, time, ct);
            }
            attempt++;
            try
            {
                var id = await source.ConnectAsync(ct);
                if (id.SystemIdentifier != previous.SystemIdentifier)
                    throw new LiveServerException(string.Create(CultureInfo.InvariantCulture,
                        $"after reconnecting, {ServerName} is a different cluster (system_identifier {id.SystemIdentifier}, was {previous.SystemIdentifier}); stopped, the samples taken so far are kept"));
                progress.Message(id.Version == previous.Version
                    ? $"walsim: reconnected to {ServerName} after {attempt} attempt(s)"
                    : $"walsim: reconnected to {ServerName} after {attempt} attempt(s); it now runs PostgreSQL {id.Version} (was {previous.Version})");
                return id;
            }
            catch (Exception e) when (LiveErrors.IsConnectionLoss(e) && !ct.IsCancellationRequested)
            {
                delay = delay == TimeSpan.Zero ? options.FirstRetry : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetry.Ticks));
            }
        }
    }
}

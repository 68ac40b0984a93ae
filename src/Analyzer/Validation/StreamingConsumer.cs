using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.TestDecoding;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// A slot's streaming consumer (<c>consumer: {confirm_every: …}</c>) on a real server, as a standby's walreceiver
/// behaves: a replication connection streams from the slot's restart_lsn, counts what it receives, and reports
/// everything received as flushed every <c>confirm_every</c> (wal_receiver_status_interval; 0 = after every
/// message). The walsender applies a report with PhysicalConfirmReceivedLocation, which moves restart_lsn and
/// recomputes the global minimum. Physical slots only.
/// </summary>
internal sealed class StreamingConsumer : SlotStream
{
    private StreamingConsumer(PhysicalReplicationConnection connection, CancellationTokenSource stop, Task receive)
        : base(connection, stop, receive) { }

    public static async Task<StreamingConsumer> StartAsync(string connectionString, NpgsqlConnection observer, string slot, Lsn from,
        SimDuration confirmEvery, CancellationToken ct)
    {
        var continuous = confirmEvery.Microseconds <= 0;
        var rc = new PhysicalReplicationConnection(connectionString)
        {
            // Npgsql's own timer sends the status update (write, flush and apply positions) at this interval.
            WalReceiverStatusInterval = continuous ? Timeout.InfiniteTimeSpan : confirmEvery.ToTimeSpan(),
        };
        await rc.Open(ct);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // From restart_lsn itself (not its segment's start, as a walreceiver would): a flush report below
        // restart_lsn would move a physical slot backwards (PhysicalConfirmReceivedLocation takes any change).
        var stream = rc.StartReplication(new PhysicalReplicationSlot(slot), new NpgsqlTypes.NpgsqlLogSequenceNumber(from.Value), stop.Token);
        var receive = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            try
            {
                await foreach (var message in stream)
                {
                    long length = 0;
                    int read;
                    while ((read = await message.Data.ReadAsync(buffer, stop.Token)) > 0) length += read;
                    // Received = flushed = applied: the end of what this message carried.
                    rc.SetReplicationStatus(new NpgsqlTypes.NpgsqlLogSequenceNumber((ulong)message.WalStart + (ulong)length));
                    if (continuous) await rc.SendStatusUpdate(stop.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (NpgsqlException) { }
            catch (IOException) { }
        }, CancellationToken.None);
        return await ActiveAsync(new StreamingConsumer(rc, stop, receive), observer, slot, "stream from", ct);
    }
}

/// <summary>
/// A logical slot's streaming consumer (<c>consumer: {confirm_every: …}</c> on a logical slot), as pg_recvlogical
/// behaves: a replication connection decodes the slot with test_decoding from its confirmed_flush_lsn, and every
/// <c>confirm_every</c> (0 = continuously) reports as flushed everything received so far — the end of the decoded
/// changes and the WAL end the walsender's keepalives carry (13+: WalSndWaitForWal sends one whenever the reported
/// flush is behind what it has decoded; 12.22: the ping for a reply), so an idle consumer still confirms the end of
/// WAL. The walsender applies a report
/// with LogicalConfirmReceivedLocation: confirmed_flush moves, a pending restart/xmin candidate valid by then is
/// applied, and the global minimum is recomputed only if catalog_xmin moved (retention-model.md §12.2).
/// </summary>
internal sealed class LogicalStreamingConsumer : SlotStream
{
    private LogicalStreamingConsumer(LogicalReplicationConnection connection, CancellationTokenSource stop, Task receive, Task feedback)
        : base(connection, stop, receive, feedback) { }

    public static async Task<LogicalStreamingConsumer> StartAsync(string connectionString, NpgsqlConnection observer, string slot,
        SimDuration confirmEvery, CancellationToken ct)
    {
        // Our own timer reports (Npgsql's would only send what SetReplicationStatus last set, never a keepalive's end).
        // wal_sender_timeout 2s (settable per connection since 12): 12.22's walsender sends an idle consumer no keepalive
        // after decoding records that produce no output (a checkpoint's), except the ping for a reply at half of
        // wal_sender_timeout; 13+ send one as soon as they wait for more WAL. The ping carries the end of WAL.
        var options = new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c wal_sender_timeout=2s" };
        var rc = new LogicalReplicationConnection(options.ConnectionString) { WalReceiverStatusInterval = Timeout.InfiniteTimeSpan };
        await rc.Open(ct);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // No start position: the walsender starts at the slot's confirmed_flush (CreateDecodingContext).
        var stream = rc.StartReplication(new TestDecodingReplicationSlot(slot), stop.Token);
        var receive = Task.Run(async () =>
        {
            try { await foreach (var _ in stream) { } }
            catch (OperationCanceledException) { }
            catch (NpgsqlException) { }
            catch (IOException) { }
        }, CancellationToken.None);
        var every = confirmEvery.Microseconds <= 0 ? TimeSpan.FromMilliseconds(5) : confirmEvery.ToTimeSpan();
        var feedback = Task.Run(async () =>
        {
            var reported = new NpgsqlTypes.NpgsqlLogSequenceNumber(0);
            try
            {
                while (!stop.IsCancellationRequested && !receive.IsCompleted)
                {
                    await Task.Delay(every, stop.Token);
                    var received = rc.LastReceivedLsn;
                    if (received <= reported) continue;
                    rc.SetReplicationStatus(received);
                    await rc.SendStatusUpdate(stop.Token);
                    reported = received;
                }
            }
            catch (OperationCanceledException) { }
            catch (NpgsqlException) { }
            catch (IOException) { }
            catch (InvalidOperationException) { }
        }, CancellationToken.None);
        return await ActiveAsync(new LogicalStreamingConsumer(rc, stop, receive, feedback), observer, slot, "decode", ct);
    }
}

/// <summary>A slot's streaming consumer on a real server, physical or logical: its replication connection, the task
/// that receives (and reports), and any other background task of it, all stopped and awaited together.</summary>
internal abstract class SlotStream : IAsyncDisposable
{
    private readonly ReplicationConnection _connection;
    private readonly CancellationTokenSource _stop;
    private readonly Task _receive;
    private readonly Task[] _others;

    protected SlotStream(ReplicationConnection connection, CancellationTokenSource stop, Task receive, params Task[] others)
    {
        _connection = connection;
        _stop = stop;
        _receive = receive;
        _others = others;
    }

    /// <summary>The stream ended without being stopped: the server terminated the walsender (an invalidation).</summary>
    public bool Ended => _receive.IsCompleted;

    /// <summary><paramref name="consumer"/> once the server shows the slot active; refused (and closed) when the
    /// stream ended before that.</summary>
    protected static async Task<T> ActiveAsync<T>(T consumer, NpgsqlConnection observer, string slot, string verb, CancellationToken ct)
        where T : SlotStream
    {
        await StepDriver.WaitForActiveAsync(observer, slot, true, ct);
        if (!consumer.Ended) return consumer;
        await consumer.DisposeAsync();
        throw new ValidationEnvironmentException($"start_consumer: the server refused to {verb} slot \"{slot}\"");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var task in _others.Append(_receive))
        {
            try { await task; }
            catch (Exception) { /* the stream's end is not an error here */ }
        }
        try { await _connection.DisposeAsync(); }
        catch (NpgsqlException) { }
        catch (IOException) { }
        catch (OperationCanceledException) { }
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}

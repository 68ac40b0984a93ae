using Npgsql;
using Npgsql.Replication;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// A slot's streaming consumer (<c>consumer: {confirm_every: …}</c>) on a real server, as a standby's walreceiver
/// behaves: a replication connection streams from the slot's restart_lsn, counts what it receives, and reports
/// everything received as flushed every <c>confirm_every</c> (wal_receiver_status_interval; 0 = after every
/// message). The walsender applies a report with PhysicalConfirmReceivedLocation, which moves restart_lsn and
/// recomputes the global minimum. Physical slots only.
/// </summary>
internal sealed class StreamingConsumer : IAsyncDisposable
{
    private readonly PhysicalReplicationConnection _connection;
    private readonly CancellationTokenSource _stop;
    private readonly Task _receive;

    private StreamingConsumer(PhysicalReplicationConnection connection, CancellationTokenSource stop, Task receive)
    {
        _connection = connection;
        _stop = stop;
        _receive = receive;
    }

    /// <summary>The stream ended without being stopped: the server terminated the walsender (an invalidation).</summary>
    public bool Ended => _receive.IsCompleted;

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
        var consumer = new StreamingConsumer(rc, stop, receive);
        await StepDriver.WaitForActiveAsync(observer, slot, true, ct);
        if (receive.IsCompleted)
        {
            await consumer.DisposeAsync();
            throw new ValidationEnvironmentException($"start_consumer: the server refused to stream from slot \"{slot}\"");
        }
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _receive; }
        catch (Exception) { /* the stream's end is not an error here */ }
        try { await _connection.DisposeAsync(); }
        catch (NpgsqlException) { }
        catch (IOException) { }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}

using System.Data;
using System.Globalization;
using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Explain;

/// <summary>
/// Reads a live server's retention state for <c>walsim explain</c>, read-only, with <c>pg_monitor</c> (the connection
/// rules of <c>walsim sample</c>: <see cref="NpgsqlSampleSource"/> identifies the server): every segment file in
/// <c>pg_wal</c> (<c>pg_ls_waldir()</c>), the <c>.ready</c> files (<c>pg_ls_archive_statusdir()</c>, 12+),
/// <c>pg_control_checkpoint()</c>, the slots and the retention settings, in one REPEATABLE READ transaction.
/// </summary>
public static class LiveExplain
{
    /// <param name="connection">Where to connect.</param>
    /// <param name="estimate">CheckPointDistanceEstimate from the log's <c>estimate=… kB</c>, which no view shows.</param>
    /// <param name="ct">Cancels.</param>
    public static async Task<ExplainReport> ReadAsync(LiveConnection connection, ByteCount? estimate, CancellationToken ct)
    {
        await using var source = new NpgsqlSampleSource(connection);
        var id = await source.ConnectAsync(ct); // checks the version and the privilege as sample does
        await using var conn = new NpgsqlConnection(connection.Builder.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var ro = new NpgsqlCommand("SET default_transaction_read_only = on", conn)) await ro.ExecuteNonQueryAsync(ct);
        var catalog = LiveCatalog.For(id.Version);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    SELECT pg_is_in_recovery(),
                      CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END,
                      pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, c.redo_lsn::text
                    FROM pg_control_checkpoint() c
                    """),
                new NpgsqlBatchCommand($"SELECT name, size FROM pg_ls_waldir() WHERE {LiveCatalog.WalSegmentFileFilter} ORDER BY name"),
                new NpgsqlBatchCommand("SELECT name FROM pg_ls_archive_statusdir() WHERE name ~ '^[0-9A-F]{24}[.]ready$' ORDER BY name"),
                new NpgsqlBatchCommand(catalog.SlotQuery()),
                new NpgsqlBatchCommand(LiveCatalog.SettingsQuery) { Parameters = { new NpgsqlParameter("names", LiveCatalog.RetentionSettings.ToArray()) } },
            },
        };
        var seg = id.SegmentSize;
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var inRecovery = r.GetBoolean(0);
        var insert = LsnAt(r, 1);
        var receive = LsnAt(r, 2);
        var replay = LsnAt(r, 3);
        var redo = LsnAt(r, 4);

        await r.NextResultAsync(ct);
        var files = new List<WalFile>();
        while (await r.ReadAsync(ct))
            if (seg.TryParseFileName(r.GetString(0), out var n)) files.Add(new WalFile(n, r.GetString(0), new ByteCount(r.GetInt64(1))));

        await r.NextResultAsync(ct);
        SegmentNumber? oldestReady = null;
        while (await r.ReadAsync(ct))
            if (seg.TryParseFileName(r.GetString(0).AsSpan(0, 24), out var n) && (oldestReady is null || n < oldestReady)) oldestReady = n;

        await r.NextResultAsync(ct);
        var slots = new List<ExplainSlot>();
        while (await r.ReadAsync(ct))
        {
            var restart = LsnAt(r, 7);
            WalStatus? status = r.IsDBNull(9) ? null : r.GetString(9) switch
            {
                "reserved" => WalStatus.Reserved,
                "extended" => WalStatus.Extended,
                "unreserved" => WalStatus.Unreserved,
                "lost" => WalStatus.Lost,
                _ => null,
            };
            slots.Add(ExplainSources.Slot(new SlotSample(r.GetString(0), default, null, null, false, r.GetBoolean(5), null, restart, Lsn.Invalid,
                status, null, null, null, null, null, null, null)));
        }

        await r.NextResultAsync(ct);
        var rows = new List<SettingSample>();
        while (await r.ReadAsync(ct))
            rows.Add(new SettingSample(0, DateTimeOffset.UnixEpoch, r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
        await r.DisposeAsync();
        await tx.CommitAsync(ct);

        var settings = ServerSettings.Create(RetentionPolicy.For(id.Version), seg, SampledSettings.From(rows, id.Version).ChangesThrough(0));
        var notes = new List<string>();
        if (estimate is null)
            notes.Add("no view shows CheckPointDistanceEstimate: give --estimate with the last \"estimate=… kB\" of log_checkpoints for the recycling forecast");
        var archived = settings.ArchiveMode == ArchiveMode.Off || oldestReady is null ? new SegmentNumber(ulong.MaxValue) : oldestReady.Value - 1;
        var state = new WalState
        {
            Settings = settings,
            Files = files,
            Insert = inRecovery ? (receive.IsValid ? receive : replay) : insert,
            Redo = redo,
            Estimate = estimate?.Bytes,
            Slots = slots,
            ArchivedThrough = archived,
            LastRemoved = files.Count > 0 ? files.Min(f => f.Segment) - 1 : default,
            ReplayLsn = inRecovery ? replay : Lsn.Invalid,
            InRecovery = inRecovery,
        };
        return ExplainReport.Of(connection.Describe(), inRecovery ? "standby" : "primary", "now", id.Version, state, notes);
    }

    private static Lsn LsnAt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? Lsn.Invalid : Lsn.Parse(r.GetString(i));

}

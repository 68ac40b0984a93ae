using System.Globalization;
using Npgsql;
using Walsim.Simulator.Units;

namespace Walsim.Analyzer.Validation;

/// <summary>One row of <c>pg_replication_slots</c> (wal_status and safe_wal_size are null on 12).</summary>
public sealed record ObservedSlot(string Name, string Type, Lsn RestartLsn, bool Active, string? WalStatus, long? SafeWalSize);

/// <summary>What the server showed at one moment: positions, pg_control, slots and pg_wal.</summary>
public sealed record ServerSnapshot(
    Lsn InsertLsn,
    Lsn WriteLsn,
    Lsn CheckpointLsn,
    Lsn RedoLsn,
    IReadOnlyList<ObservedSlot> Slots,
    SegmentNumber OldestFile,
    SegmentNumber NewestFile,
    int Files,
    long PgWalBytes,
    bool FilesContiguous)
{
    public ObservedSlot? Slot(string name) => Slots.FirstOrDefault(s => s.Name == name);

    /// <summary>Reads a snapshot; the slot columns and the write position come from one statement so that
    /// safe_wal_size (computed by the server from its write position) can be recomputed exactly.</summary>
    public static async Task<ServerSnapshot> ReadAsync(NpgsqlConnection c, int major, WalSegmentSize seg, CancellationToken ct)
    {
        Lsn insert, write, ckpt, redo;
        await using (var cmd = new NpgsqlCommand(
            "SELECT pg_current_wal_insert_lsn()::text, pg_current_wal_lsn()::text, checkpoint_lsn::text, redo_lsn::text FROM pg_control_checkpoint()", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            insert = Lsn.Parse(r.GetString(0));
            write = Lsn.Parse(r.GetString(1));
            ckpt = Lsn.Parse(r.GetString(2));
            redo = Lsn.Parse(r.GetString(3));
        }

        var slots = new List<ObservedSlot>();
        var columns = major >= 13 ? "wal_status, safe_wal_size" : "NULL::text, NULL::bigint";
        await using (var cmd = new NpgsqlCommand(
            $"SELECT pg_current_wal_lsn()::text, slot_name::text, slot_type, restart_lsn::text, active, {columns} FROM pg_replication_slots ORDER BY slot_name", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                write = Lsn.Parse(r.GetString(0));
                slots.Add(new ObservedSlot(r.GetString(1), r.GetString(2), r.IsDBNull(3) ? Lsn.Invalid : Lsn.Parse(r.GetString(3)),
                    r.GetBoolean(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt64(6)));
            }
        }

        var segments = new List<ulong>();
        long bytes = 0;
        await using (var cmd = new NpgsqlCommand($"SELECT name, size FROM pg_ls_waldir() WHERE {Live.LiveCatalog.WalSegmentFileFilter} ORDER BY name", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                segments.Add(SegmentOfFileName(r.GetString(0), seg));
                bytes += r.GetInt64(1);
            }
        }
        var oldest = segments.Count > 0 ? segments[0] : 0;
        var newest = segments.Count > 0 ? segments[^1] : 0;
        var contiguous = segments.Count == 0 || newest - oldest + 1 == (ulong)segments.Count;
        return new ServerSnapshot(insert, write, ckpt, redo, slots, new SegmentNumber(oldest), new SegmentNumber(newest),
            segments.Count, bytes, contiguous);
    }

    /// <summary>XLogFromFileName of a name pg_ls_waldir() returned through the segment-file filter.</summary>
    public static ulong SegmentOfFileName(string name, WalSegmentSize seg) =>
        seg.TryParseFileName(name, out var s) ? s.Value : throw new FormatException($"not a WAL segment file name: {name}");
}

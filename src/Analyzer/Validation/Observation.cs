using System.Globalization;
using Npgsql;

namespace Walsim.Analyzer.Validation;

/// <summary>One row of <c>pg_replication_slots</c> (wal_status and safe_wal_size are null on 12; confirmed_flush_lsn
/// and catalog_xmin only for logical slots, where a step decodes).</summary>
/// <summary><see cref="IdleSeconds"/>: now − inactive_since (17+; null while active or before 17), what 18's
/// idle_replication_slot_timeout compares.</summary>
public sealed record ObservedSlot(string Name, string Type, Lsn RestartLsn, bool Active, string? WalStatus, long? SafeWalSize,
    Lsn ConfirmedFlush = default, string? CatalogXmin = null, double? IdleSeconds = null);

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

    /// <summary>The server's clock when the slots were read (clock_timestamp()); null if not read.</summary>
    public DateTimeOffset? Clock { get; init; }

    /// <summary>Reads a snapshot; the slot columns and the write position come from one statement so that
    /// safe_wal_size (computed by the server from its write position) can be recomputed exactly.</summary>
    public static async Task<ServerSnapshot> ReadAsync(NpgsqlConnection c, int major, WalSegmentSize seg, CancellationToken ct)
    {
        var (insert, write, ckpt, redo) = await ControlPositions.ReadAsync(c, "pg_current_wal_insert_lsn()", "pg_current_wal_lsn()", ct);

        var slots = new List<ObservedSlot>();
        DateTimeOffset? clock = null;
        var columns = major >= 13 ? "wal_status, safe_wal_size" : "NULL::text, NULL::bigint";
        var idle = major >= 17 ? "extract(epoch from clock_timestamp() - inactive_since)::float8" : "NULL::float8";
        await using (var cmd = new NpgsqlCommand(
            $"SELECT pg_current_wal_lsn()::text, slot_name::text, slot_type, restart_lsn::text, active, {columns}, confirmed_flush_lsn::text, catalog_xmin::text, {idle}, extract(epoch from clock_timestamp())::float8 FROM pg_replication_slots ORDER BY slot_name", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                write = Lsn.Parse(r.GetString(0));
                clock = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(r.GetDouble(10) * 1000));
                slots.Add(new ObservedSlot(r.GetString(1), r.GetString(2), r.IsDBNull(3) ? Lsn.Invalid : Lsn.Parse(r.GetString(3)),
                    r.GetBoolean(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                    r.IsDBNull(7) ? Lsn.Invalid : Lsn.Parse(r.GetString(7)), r.IsDBNull(8) ? null : r.GetString(8),
                    r.IsDBNull(9) ? null : r.GetDouble(9)));
            }
        }

        var files = await WalFiles.ReadAsync(c, seg, ct);
        return new ServerSnapshot(insert, write, ckpt, redo, slots, files.Oldest, files.Newest, files.Count, files.Bytes, files.Contiguous) { Clock = clock };
    }

    /// <summary>XLogFromFileName of a name pg_ls_waldir() returned through the segment-file filter.</summary>
    public static ulong SegmentOfFileName(string name, WalSegmentSize seg) =>
        seg.TryParseFileName(name, out var s) ? s.Value : throw new FormatException($"not a WAL segment file name: {name}");
}

/// <summary>Two WAL positions of a server read in the same statement as its pg_control's last checkpoint and redo.</summary>
internal static class ControlPositions
{
    /// <summary>The positions <paramref name="first"/> and <paramref name="second"/> (SQL such as
    /// <c>pg_current_wal_lsn()</c>; NULL reads as <see cref="Lsn.Invalid"/>), checkpoint_lsn and redo_lsn.</summary>
    public static async Task<(Lsn First, Lsn Second, Lsn CheckpointLsn, Lsn RedoLsn)> ReadAsync(NpgsqlConnection c, string first, string second, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {first}::text, {second}::text, checkpoint_lsn::text, redo_lsn::text FROM pg_control_checkpoint()", c);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (Optional(r, 0), Optional(r, 1), Lsn.Parse(r.GetString(2)), Lsn.Parse(r.GetString(3)));
    }

    private static Lsn Optional(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? Lsn.Invalid : Lsn.Parse(r.GetString(i));
}

/// <summary>The WAL segment files in pg_wal as <c>pg_ls_waldir()</c> lists them (history, backup and partial files left out).</summary>
public sealed record WalFiles(SegmentNumber Oldest, SegmentNumber Newest, int Count, long Bytes, bool Contiguous)
{
    public static async Task<WalFiles> ReadAsync(NpgsqlConnection c, WalSegmentSize seg, CancellationToken ct)
    {
        var segments = new List<ulong>();
        long bytes = 0;
        await using (var cmd = new NpgsqlCommand($"SELECT name, size FROM pg_ls_waldir() WHERE {Live.LiveCatalog.WalSegmentFileFilter} ORDER BY name", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                segments.Add(ServerSnapshot.SegmentOfFileName(r.GetString(0), seg));
                bytes += r.GetInt64(1);
            }
        }
        var oldest = segments.Count > 0 ? segments[0] : 0;
        var newest = segments.Count > 0 ? segments[^1] : 0;
        var contiguous = segments.Count == 0 || newest - oldest + 1 == (ulong)segments.Count;
        return new WalFiles(new SegmentNumber(oldest), new SegmentNumber(newest), segments.Count, bytes, contiguous);
    }
}

/// <summary>
/// What a standby showed at one moment: what it has received and replayed, its pg_control (the last restartpoint's
/// redo, or the base backup's checkpoint before the first), its own slots and its pg_wal.
/// </summary>
public sealed record StandbySnapshot(
    Lsn Received,
    Lsn Replayed,
    Lsn CheckpointLsn,
    Lsn RedoLsn,
    IReadOnlyList<ObservedSlot> Slots,
    WalFiles Files)
{
    /// <summary>The restartpoint's <c>endptr</c> had it run at this moment: max(received, replayed).</summary>
    public Lsn EndPtr => Lsn.Max(Received, Replayed);

    public ObservedSlot? Slot(string name) => Slots.FirstOrDefault(s => s.Name == name);

    public static async Task<StandbySnapshot> ReadAsync(NpgsqlConnection c, int major, WalSegmentSize seg, CancellationToken ct)
    {
        // Both NULL (read as invalid) on a standby that has not received or replayed anything yet.
        var (received, replayed, ckpt, redo) = await ControlPositions.ReadAsync(c, "pg_last_wal_receive_lsn()", "pg_last_wal_replay_lsn()", ct);

        var slots = new List<ObservedSlot>();
        var columns = major >= 13 ? "wal_status, safe_wal_size" : "NULL::text, NULL::bigint";
        await using (var cmd = new NpgsqlCommand(
            $"SELECT slot_name::text, slot_type, restart_lsn::text, active, {columns} FROM pg_replication_slots ORDER BY slot_name", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
                slots.Add(new ObservedSlot(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? Lsn.Invalid : Lsn.Parse(r.GetString(2)),
                    r.GetBoolean(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetInt64(5)));
        }
        return new StandbySnapshot(received, replayed, ckpt, redo, slots, await WalFiles.ReadAsync(c, seg, ct));
    }
}

/// <summary>
/// One logical slot as <c>pg_replication_slots</c> shows it, with what slot synchronization (17+) adds: a copy on a
/// standby is <c>synced</c>; it is <c>temporary</c> (and <c>confirmed_flush_lsn</c> NULL) until it is sync-ready, and
/// usable after a promotion only once persistent (<c>synced AND NOT temporary AND invalidation_reason IS NULL</c>).
/// </summary>
public sealed record ObservedLogicalSlot(
    string Name,
    bool Temporary,
    bool Synced,
    bool Failover,
    bool Active,
    Lsn RestartLsn,
    Lsn ConfirmedFlush,
    uint? CatalogXmin,
    string? InvalidationReason)
{
    /// <summary>The logical slots of the server behind <paramref name="c"/>, by name (12–16: not synced, no failover).</summary>
    public static async Task<IReadOnlyList<ObservedLogicalSlot>> ReadAllAsync(NpgsqlConnection c, int major, CancellationToken ct)
    {
        var columns = major >= 17 ? "synced, failover, invalidation_reason" : "false, false, NULL::text";
        var slots = new List<ObservedLogicalSlot>();
        await using var cmd = new NpgsqlCommand(
            $"SELECT slot_name::text, temporary, {columns}, active, restart_lsn::text, confirmed_flush_lsn::text, catalog_xmin::text " +
            "FROM pg_replication_slots WHERE slot_type = 'logical' ORDER BY slot_name", c);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            slots.Add(new ObservedLogicalSlot(
                Name: r.GetString(0),
                Temporary: r.GetBoolean(1),
                Synced: r.GetBoolean(2),
                Failover: r.GetBoolean(3),
                Active: r.GetBoolean(5),
                RestartLsn: r.IsDBNull(6) ? Lsn.Invalid : Lsn.Parse(r.GetString(6)),
                ConfirmedFlush: r.IsDBNull(7) ? Lsn.Invalid : Lsn.Parse(r.GetString(7)),
                CatalogXmin: r.IsDBNull(8) ? null : uint.Parse(r.GetString(8), CultureInfo.InvariantCulture),
                InvalidationReason: r.IsDBNull(4) ? null : r.GetString(4)));
        return slots;
    }
}

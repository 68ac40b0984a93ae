using System.Globalization;
using System.Text;

namespace Walsim.Analyzer.Live;

/// <summary>
/// The sample file format (docs/cli.md, "walsim sample"): one header line, then one line per slot per sample (a
/// sample without slots has one line with empty slot cells). UTF-8, LF, RFC 4180 quoting, invariant culture, an
/// empty cell for NULL or "not on this version", times as UTC <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, LSNs <c>X/X</c>,
/// byte amounts in bytes. Writer and reader share the column list below.
/// </summary>
public static class SampleCsv
{
    /// <summary>
    /// The sample file's columns, in the order they are written: for each its name, how the row's value is written
    /// in its cell and how it is read back. The header (<see cref="Columns"/>), the writer (<see cref="AppendRow"/>)
    /// and the reader (<see cref="SampleFile"/>) all follow this table, so a column is added or changed here once.
    /// The server-wide columns come first (every row of a sample repeats them), then those of one slot.
    /// </summary>
    internal static readonly SampleColumn<ServerSample>[] ServerColumns =
    [
        new("sample", (b, in s) => Long(b, s.Sample), (r, i, ref s) => s.Sample = r.Long(i)),
        new("gap", (b, in s) => Bool(b, s.Gap), (r, i, ref s) => s.Gap = r.Bool(i)),
        new("local_time", (b, in s) => Time(b, s.LocalTime), (r, i, ref s) => s.LocalTime = r.Time(i)),
        new("server_time", (b, in s) => Time(b, s.ServerTime), (r, i, ref s) => s.ServerTime = r.Time(i)),
        new("system_identifier", (b, in s) => b.Append(s.SystemIdentifier.ToString(Inv)), (r, i, ref s) => s.SystemIdentifier = r.ULong(i)),
        new("server_version", (b, in s) => b.Append(s.Version.ToString()), (r, i, ref s) => s.Version = r.Version(i)),
        new("wal_segment_size_bytes", (b, in s) => Long(b, s.SegmentSize.Bytes), (r, i, ref s) => s.SegmentSize = r.SegmentSize(i)),
        new("in_recovery", (b, in s) => Bool(b, s.InRecovery), (r, i, ref s) => s.InRecovery = r.Bool(i)),
        new("timeline_id", (b, in s) => b.Append(s.TimelineId.ToString(Inv)), (r, i, ref s) => s.TimelineId = (uint)r.ULong(i, uint.MaxValue)),
        new("write_lsn", (b, in s) => Lsn(b, s.WriteLsn), (r, i, ref s) => s.WriteLsn = r.Lsn(i)),
        new("insert_lsn", (b, in s) => Lsn(b, s.InsertLsn), (r, i, ref s) => s.InsertLsn = r.Lsn(i)),
        new("receive_lsn", (b, in s) => Lsn(b, s.ReceiveLsn), (r, i, ref s) => s.ReceiveLsn = r.Lsn(i)),
        new("replay_lsn", (b, in s) => Lsn(b, s.ReplayLsn), (r, i, ref s) => s.ReplayLsn = r.Lsn(i)),
        new("checkpoint_lsn", (b, in s) => Lsn(b, s.CheckpointLsn), (r, i, ref s) => s.CheckpointLsn = r.Lsn(i)),
        new("redo_lsn", (b, in s) => Lsn(b, s.RedoLsn), (r, i, ref s) => s.RedoLsn = r.Lsn(i)),
        new("checkpoint_time", (b, in s) => Time(b, s.CheckpointTime), (r, i, ref s) => s.CheckpointTime = r.Time(i)),
        new("pg_wal_files", (b, in s) => Long(b, s.PgWalFiles), (r, i, ref s) => s.PgWalFiles = r.Long(i)),
        new("pg_wal_bytes", (b, in s) => Long(b, s.PgWalBytes.Bytes), (r, i, ref s) => s.PgWalBytes = new ByteCount(r.Long(i))),
        new("oldest_wal_file", (b, in s) => Text(b, s.OldestWalFile), (r, i, ref s) => s.OldestWalFile = r.WalFileName(i)),
        new("newest_wal_file", (b, in s) => Text(b, s.NewestWalFile), (r, i, ref s) => s.NewestWalFile = r.WalFileName(i)),
        new("archived_count", (b, in s) => Long(b, s.ArchivedCount), (r, i, ref s) => s.ArchivedCount = r.Long(i)),
        new("last_archived_wal", (b, in s) => Text(b, s.LastArchivedWal), (r, i, ref s) => s.LastArchivedWal = r.Text(i)),
        new("archive_failed_count", (b, in s) => Long(b, s.ArchiveFailedCount), (r, i, ref s) => s.ArchiveFailedCount = r.Long(i)),
        new("last_failed_wal", (b, in s) => Text(b, s.LastFailedWal), (r, i, ref s) => s.LastFailedWal = r.Text(i)),
        new("stat_wal_bytes", (b, in s) => b.Append(s.StatWalBytes?.Bytes.ToString(Inv)),
            (r, i, ref s) => s.StatWalBytes = r.OptionalLong(i) is { } wb ? new ByteCount(wb) : null),
    ];

    /// <summary>The slot columns, after <see cref="ServerColumns"/>; all empty in the one row of a sample without
    /// slots. The first, <c>slot_name</c>, tells which.</summary>
    internal static readonly SampleColumn<SlotSample>[] SlotColumns =
    [
        new("slot_name", (b, in t) => Text(b, t.Name), (r, i, ref t) => t.Name = r.Repeated(i)!),
        new("slot_type", (b, in t) => b.Append(t.Kind == SlotKind.Logical ? "logical" : "physical"), (r, i, ref t) => t.Kind = r.Kind(i)),
        new("plugin", (b, in t) => Text(b, t.Plugin), (r, i, ref t) => t.Plugin = r.Repeated(i)),
        new("database", (b, in t) => Text(b, t.Database), (r, i, ref t) => t.Database = r.Repeated(i)),
        new("temporary", (b, in t) => Bool(b, t.Temporary), (r, i, ref t) => t.Temporary = r.Bool(i)),
        new("active", (b, in t) => Bool(b, t.Active), (r, i, ref t) => t.Active = r.Bool(i)),
        new("active_pid", (b, in t) => b.Append(t.ActivePid?.ToString(Inv)),
            (r, i, ref t) => t.ActivePid = r.OptionalLong(i, int.MaxValue) is { } pid ? (int)pid : null),
        new("restart_lsn", (b, in t) => Lsn(b, t.RestartLsn), (r, i, ref t) => t.RestartLsn = r.Lsn(i)),
        new("confirmed_flush_lsn", (b, in t) => Lsn(b, t.ConfirmedFlushLsn), (r, i, ref t) => t.ConfirmedFlushLsn = r.Lsn(i)),
        new("wal_status", (b, in t) => b.Append(t.WalStatus is { } w ? w.ToSql() : ""), (r, i, ref t) => t.WalStatus = r.WalStatus(i)),
        new("safe_wal_size_bytes", (b, in t) => b.Append(t.SafeWalSize?.Bytes.ToString(Inv)),
            (r, i, ref t) => t.SafeWalSize = r.OptionalLong(i, long.MaxValue, allowNegative: true) is { } safe ? new ByteCount(safe) : null),
        new("two_phase", (b, in t) => Bool(b, t.TwoPhase), (r, i, ref t) => t.TwoPhase = r.OptionalBool(i)),
        new("conflicting", (b, in t) => Bool(b, t.Conflicting), (r, i, ref t) => t.Conflicting = r.OptionalBool(i)),
        new("invalidation_reason", (b, in t) => Text(b, t.InvalidationReason), (r, i, ref t) => t.InvalidationReason = r.Repeated(i)),
        new("inactive_since", (b, in t) => b.Append(t.InactiveSince is { } since ? Time(since) : ""),
            (r, i, ref t) => t.InactiveSince = r.IsEmpty(i) ? null : r.Time(i)),
        new("failover", (b, in t) => Bool(b, t.Failover), (r, i, ref t) => t.Failover = r.OptionalBool(i)),
        new("synced", (b, in t) => Bool(b, t.Synced), (r, i, ref t) => t.Synced = r.OptionalBool(i)),
        // LogicalConfirmReceivedLocation recomputes the global slot minimum only when it moves catalog_xmin: replay
        // reads from it when a logical slot's move reached the minimum (LiveReplay.TrackMinimumRecompute).
        new("catalog_xmin", (b, in t) => b.Append(t.CatalogXmin?.ToString(Inv)),
            (r, i, ref t) => t.CatalogXmin = r.OptionalLong(i, uint.MaxValue) is { } xid ? (uint)xid : null, optional: true),
    ];

    /// <summary>The column names, in the order they are written. The reader finds them by name.</summary>
    public static readonly IReadOnlyList<string> Columns = [.. ServerColumns.Select(c => c.Name), .. SlotColumns.Select(c => c.Name)];

    /// <summary>The columns added after the format was first released (at the end): a file without them reads them as
    /// empty cells, and <c>--append</c> to such a file keeps its layout (<see cref="FirstHeader"/>).</summary>
    public static readonly IReadOnlySet<string> OptionalColumns = SlotColumns.Where(c => c.Optional).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The columns of the settings sidecar <c>NAME.settings.csv</c>.</summary>
    public static readonly IReadOnlyList<string> SettingsColumns = ["sample", "local_time", "name", "value", "unit"];

    /// <summary>The header line (without the line feed).</summary>
    public static string Header { get; } = string.Join(',', Columns);

    /// <summary>The header of files written before <see cref="OptionalColumns"/> were added.</summary>
    public static string FirstHeader { get; } = string.Join(',', Columns.Where(c => !OptionalColumns.Contains(c)));

    /// <summary>The settings sidecar's header line.</summary>
    public static string SettingsHeader { get; } = string.Join(',', SettingsColumns);

    internal const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Appends one line (with its LF) for <paramref name="server"/> and <paramref name="slot"/>: the cells of
    /// <see cref="ServerColumns"/>, then those of <see cref="SlotColumns"/> (empty without a slot) — without the
    /// <see cref="OptionalColumns"/> when <paramref name="firstLayout"/> (appending to a file of that layout).</summary>
    public static void AppendRow(StringBuilder b, in ServerSample server, in SlotSample? slot, bool firstLayout = false)
    {
        for (var k = 0; k < ServerColumns.Length; k++)
        {
            if (k > 0) b.Append(',');
            ServerColumns[k].Write(b, server);
        }
        foreach (var column in SlotColumns)
        {
            if (firstLayout && column.Optional) continue;
            b.Append(',');
            if (slot is { } t) column.Write(b, t);
        }
        b.Append('\n');
    }

    /// <summary>Appends one settings sidecar line (with its LF).</summary>
    public static void AppendSetting(StringBuilder b, in SettingSample s)
    {
        b.Append(s.Sample.ToString(Inv)).Append(',').Append(Time(s.LocalTime)).Append(',');
        Text(b, s.Name).Append(',');
        Text(b, s.Value).Append(',');
        Text(b, s.Unit).Append('\n');
    }

    /// <summary>A UTC time with microseconds: <c>2025-01-31T12:00:00.000000Z</c>.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString(TimeFormat, Inv);

    private static void Time(StringBuilder b, DateTimeOffset t) => b.Append(Time(t));

    private static void Long(StringBuilder b, long v) => b.Append(v.ToString(Inv));

    private static void Lsn(StringBuilder b, Lsn lsn)
    {
        if (lsn.IsValid) b.Append(lsn.ToString());
    }

    private static void Bool(StringBuilder b, bool v) => b.Append(v ? "true" : "false");

    private static void Bool(StringBuilder b, bool? v)
    {
        if (v is { } value) Bool(b, value);
    }

    /// <summary>RFC 4180: quoted only when needed (a comma, a quote or a line break), quotes doubled.</summary>
    private static StringBuilder Text(StringBuilder b, string? text)
    {
        if (string.IsNullOrEmpty(text)) return b;
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0) return b.Append(text);
        return b.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}

/// <summary>One column of the sample file (<see cref="SampleCsv.ServerColumns"/>, <see cref="SampleCsv.SlotColumns"/>):
/// its name, and how the value of the <typeparamref name="TPart"/> part of a row is written in its cell and read back.</summary>
internal sealed class SampleColumn<TPart>(string name, SampleColumn<TPart>.Writer write, SampleColumn<TPart>.Reader read, bool optional = false)
    where TPart : struct
{
    /// <summary>Appends the cell's text (nothing for an empty cell), without its separator.</summary>
    public delegate void Writer(StringBuilder b, in TPart part);

    /// <summary>Parses cell <c>cell</c> of the current record into <c>part</c>; a cell that does not parse throws.</summary>
    public delegate void Reader(SampleFile.Cells r, int cell, ref TPart part);

    public string Name { get; } = name;

    public Writer Write { get; } = write;

    public Reader Read { get; } = read;

    /// <summary>Added after the format's first release: a file may lack it (<see cref="SampleCsv.OptionalColumns"/>).</summary>
    public bool Optional { get; } = optional;
}

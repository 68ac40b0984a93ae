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
    /// <summary>The columns, in the order they are written. The reader finds them by name.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "sample", "gap", "local_time", "server_time", "system_identifier", "server_version", "wal_segment_size_bytes",
        "in_recovery", "timeline_id", "write_lsn", "insert_lsn", "receive_lsn", "replay_lsn",
        "checkpoint_lsn", "redo_lsn", "checkpoint_time",
        "pg_wal_files", "pg_wal_bytes", "oldest_wal_file", "newest_wal_file",
        "archived_count", "last_archived_wal", "archive_failed_count", "last_failed_wal", "stat_wal_bytes",
        "slot_name", "slot_type", "plugin", "database", "temporary", "active", "active_pid",
        "restart_lsn", "confirmed_flush_lsn", "wal_status", "safe_wal_size_bytes",
        "two_phase", "conflicting", "invalidation_reason", "inactive_since", "failover", "synced",
    ];

    /// <summary>The columns of the settings sidecar <c>NAME.settings.csv</c>.</summary>
    public static readonly IReadOnlyList<string> SettingsColumns = ["sample", "local_time", "name", "value", "unit"];

    /// <summary>The header line (without the line feed).</summary>
    public static string Header { get; } = string.Join(',', Columns);

    /// <summary>The settings sidecar's header line.</summary>
    public static string SettingsHeader { get; } = string.Join(',', SettingsColumns);

    internal const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Appends one line (with its LF) for <paramref name="server"/> and <paramref name="slot"/>.</summary>
    public static void AppendRow(StringBuilder b, in ServerSample server, in SlotSample? slot)
    {
        var s = server;
        b.Append(s.Sample.ToString(Inv)).Append(',')
            .Append(Bool(s.Gap)).Append(',')
            .Append(Time(s.LocalTime)).Append(',')
            .Append(Time(s.ServerTime)).Append(',')
            .Append(s.SystemIdentifier.ToString(Inv)).Append(',')
            .Append(s.Version.ToString()).Append(',')
            .Append(s.SegmentSize.Bytes.ToString(Inv)).Append(',')
            .Append(Bool(s.InRecovery)).Append(',')
            .Append(s.TimelineId.ToString(Inv)).Append(',')
            .Append(LsnText(s.WriteLsn)).Append(',')
            .Append(LsnText(s.InsertLsn)).Append(',')
            .Append(LsnText(s.ReceiveLsn)).Append(',')
            .Append(LsnText(s.ReplayLsn)).Append(',')
            .Append(LsnText(s.CheckpointLsn)).Append(',')
            .Append(LsnText(s.RedoLsn)).Append(',')
            .Append(Time(s.CheckpointTime)).Append(',')
            .Append(s.PgWalFiles.ToString(Inv)).Append(',')
            .Append(s.PgWalBytes.Bytes.ToString(Inv)).Append(',');
        Text(b, s.OldestWalFile).Append(',');
        Text(b, s.NewestWalFile).Append(',');
        b.Append(s.ArchivedCount.ToString(Inv)).Append(',');
        Text(b, s.LastArchivedWal).Append(',');
        b.Append(s.ArchiveFailedCount.ToString(Inv)).Append(',');
        Text(b, s.LastFailedWal).Append(',');
        b.Append(s.StatWalBytes?.Bytes.ToString(Inv)).Append(',');
        if (slot is { } t)
        {
            Text(b, t.Name).Append(',');
            b.Append(t.Kind == SlotKind.Logical ? "logical" : "physical").Append(',');
            Text(b, t.Plugin).Append(',');
            Text(b, t.Database).Append(',');
            b.Append(Bool(t.Temporary)).Append(',')
                .Append(Bool(t.Active)).Append(',')
                .Append(t.ActivePid?.ToString(Inv)).Append(',')
                .Append(LsnText(t.RestartLsn)).Append(',')
                .Append(LsnText(t.ConfirmedFlushLsn)).Append(',')
                .Append(t.WalStatus is { } w ? w.ToSql() : "").Append(',')
                .Append(t.SafeWalSize?.Bytes.ToString(Inv)).Append(',')
                .Append(Bool(t.TwoPhase)).Append(',')
                .Append(Bool(t.Conflicting)).Append(',');
            Text(b, t.InvalidationReason).Append(',');
            b.Append(t.InactiveSince is { } since ? Time(since) : "").Append(',')
                .Append(Bool(t.Failover)).Append(',')
                .Append(Bool(t.Synced));
        }
        else
        {
            b.Append(',', Columns.Count - 1 - Columns.IndexOf("slot_name"));
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

    private static string LsnText(Lsn lsn) => lsn.IsValid ? lsn.ToString() : "";

    private static string Bool(bool b) => b ? "true" : "false";

    private static string Bool(bool? b) => b is { } v ? Bool(v) : "";

    private static int IndexOf(this IReadOnlyList<string> list, string name)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == name) return i;
        return -1;
    }

    /// <summary>RFC 4180: quoted only when needed (a comma, a quote or a line break), quotes doubled.</summary>
    private static StringBuilder Text(StringBuilder b, string? text)
    {
        if (string.IsNullOrEmpty(text)) return b;
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0) return b.Append(text);
        return b.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}

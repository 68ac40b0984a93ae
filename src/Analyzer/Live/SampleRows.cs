namespace Walsim.Analyzer.Live;

/// <summary>
/// The server-wide part of one sample: when it was taken, which cluster, the WAL positions, the last checkpoint,
/// <c>pg_wal</c>, the archiver and <c>pg_stat_wal</c>. An LSN the server reported as NULL (or that does not apply,
/// e.g. <see cref="WriteLsn"/> on a standby) is <see cref="Lsn.Invalid"/>; a value the version does not have is null.
/// Settable, so the sample file reader fills one column at a time from <see cref="SampleCsv.ServerColumns"/>.
/// </summary>
/// <param name="Sample">Sequence number of the sample in its file, from 1; every row of one sample shares it.</param>
/// <param name="Gap">True on the first sample after a reconnect or of an appended run: the time since the previous
/// sample is not covered.</param>
/// <param name="LocalTime">The sampler's clock (UTC) when the sample was taken.</param>
/// <param name="ServerTime">The server's <c>now()</c> (UTC): start of the sample's transaction.</param>
/// <param name="SystemIdentifier"><c>pg_control_system().system_identifier</c>: kept by physical standbys and
/// failover, different for another cluster.</param>
/// <param name="Version">From <c>server_version_num</c>.</param>
/// <param name="SegmentSize"><c>wal_segment_size</c>.</param>
/// <param name="InRecovery"><c>pg_is_in_recovery()</c>: a standby.</param>
/// <param name="TimelineId"><c>pg_control_checkpoint().timeline_id</c> (changes at a promotion).</param>
/// <param name="WriteLsn"><c>pg_current_wal_lsn()</c> (primary).</param>
/// <param name="InsertLsn"><c>pg_current_wal_insert_lsn()</c> (primary).</param>
/// <param name="ReceiveLsn"><c>pg_last_wal_receive_lsn()</c> (standby).</param>
/// <param name="ReplayLsn"><c>pg_last_wal_replay_lsn()</c> (standby).</param>
/// <param name="CheckpointLsn"><c>pg_control_checkpoint().checkpoint_lsn</c>.</param>
/// <param name="RedoLsn"><c>pg_control_checkpoint().redo_lsn</c>: a new value means a checkpoint (or restartpoint) completed.</param>
/// <param name="CheckpointTime"><c>pg_control_checkpoint().checkpoint_time</c>.</param>
/// <param name="PgWalFiles">WAL segment files in <c>pg_wal</c> (names of 24 hex digits; no .history, .backup, .partial).</param>
/// <param name="PgWalBytes">Their total size.</param>
/// <param name="OldestWalFile">The smallest of those names, null when there is none.</param>
/// <param name="NewestWalFile">The largest of those names.</param>
/// <param name="ArchivedCount"><c>pg_stat_archiver.archived_count</c>.</param>
/// <param name="LastArchivedWal"><c>pg_stat_archiver.last_archived_wal</c>.</param>
/// <param name="ArchiveFailedCount"><c>pg_stat_archiver.failed_count</c>.</param>
/// <param name="LastFailedWal"><c>pg_stat_archiver.last_failed_wal</c>.</param>
/// <param name="StatWalBytes"><c>pg_stat_wal.wal_bytes</c> (14+): WAL generated since the statistics were reset.</param>
public record struct ServerSample(
    long Sample,
    bool Gap,
    DateTimeOffset LocalTime,
    DateTimeOffset ServerTime,
    ulong SystemIdentifier,
    PgVersion Version,
    WalSegmentSize SegmentSize,
    bool InRecovery,
    uint TimelineId,
    Lsn WriteLsn,
    Lsn InsertLsn,
    Lsn ReceiveLsn,
    Lsn ReplayLsn,
    Lsn CheckpointLsn,
    Lsn RedoLsn,
    DateTimeOffset CheckpointTime,
    long PgWalFiles,
    ByteCount PgWalBytes,
    string? OldestWalFile,
    string? NewestWalFile,
    long ArchivedCount,
    string? LastArchivedWal,
    long ArchiveFailedCount,
    string? LastFailedWal,
    ByteCount? StatWalBytes)
{
    /// <summary>The newest WAL position this server knows: the insert LSN on a primary, the received (else
    /// replayed) LSN on a standby.</summary>
    public readonly Lsn HeadLsn => InsertLsn.IsValid ? InsertLsn : WriteLsn.IsValid ? WriteLsn : ReceiveLsn.IsValid ? ReceiveLsn : ReplayLsn;
}

/// <summary>
/// One row of <c>pg_replication_slots</c>. A column the server's version does not have is null
/// (<see cref="WalStatus"/>/<see cref="SafeWalSize"/> before 13, <see cref="TwoPhase"/> before 14,
/// <see cref="Conflicting"/> before 16, <see cref="InvalidationReason"/>/<see cref="InactiveSince"/>/
/// <see cref="Failover"/>/<see cref="Synced"/> before 17); a NULL LSN is <see cref="Lsn.Invalid"/>. Settable, so the
/// sample file reader fills one column at a time from <see cref="SampleCsv.SlotColumns"/>. <see cref="CatalogXmin"/>
/// is null also where nobody sampled it (files of walsim before it was sampled, Prometheus, server logs).
/// </summary>
public record struct SlotSample(
    string Name,
    SlotKind Kind,
    string? Plugin,
    string? Database,
    bool Temporary,
    bool Active,
    int? ActivePid,
    Lsn RestartLsn,
    Lsn ConfirmedFlushLsn,
    WalStatus? WalStatus,
    ByteCount? SafeWalSize,
    bool? TwoPhase,
    bool? Conflicting,
    string? InvalidationReason,
    DateTimeOffset? InactiveSince,
    bool? Failover,
    bool? Synced,
    uint? CatalogXmin = null);

/// <summary>One line of a sample file: the sample's server part and one of its slots (null when the sample found
/// no slot: such a sample still has exactly one row).</summary>
public readonly record struct SampleRow(ServerSample Server, SlotSample? Slot);

/// <summary>One line of the settings sidecar: a setting's value as <c>pg_settings</c> shows it (setting and unit)
/// at the first sample of a run and whenever it changed.</summary>
public readonly record struct SettingSample(long Sample, DateTimeOffset LocalTime, string Name, string Value, string? Unit);

/// <summary>A retention-relevant setting as <c>pg_settings</c> shows it: <c>setting</c> and <c>unit</c> (e.g. 1024, MB).</summary>
public readonly record struct ServerSetting(string Name, string Value, string? Unit);

/// <summary>Everything one sampling round read from the server, before it is numbered and written.</summary>
public sealed record LiveSample(ServerSample Server, IReadOnlyList<SlotSample> Slots, IReadOnlyList<ServerSetting> Settings);

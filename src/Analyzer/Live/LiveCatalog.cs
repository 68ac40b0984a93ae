namespace Walsim.Analyzer.Live;

/// <summary>
/// Which catalog columns and views a server version has, so the sampler selects only those (a NULL of the right
/// type stands in for the others). Retention capabilities come from the <see cref="RetentionPolicy"/>; the
/// monitoring-only columns that policy has no reason to know are decided here, in this one place.
/// </summary>
public sealed class LiveCatalog
{
    private LiveCatalog(RetentionPolicy policy)
    {
        Policy = policy;
        var major = policy.Version.Major;
        HasTwoPhase = major >= 14;        // pg_replication_slots.two_phase: PG14 (logical decoding of prepared xacts)
        HasPgStatWal = major >= 14;       // pg_stat_wal: PG14
        HasConflicting = major >= 16;     // pg_replication_slots.conflicting: PG16 (logical decoding on standbys)
        HasFailoverSlots = major >= 17;   // pg_replication_slots.failover / synced: PG17 slot synchronization
    }

    /// <summary>The version's retention policy.</summary>
    public RetentionPolicy Policy { get; }

    /// <summary><c>wal_status</c> and <c>safe_wal_size</c> (13+).</summary>
    public bool HasWalStatus => Policy.ReportsWalStatus;

    /// <summary><c>invalidation_reason</c> and <c>inactive_since</c> (17+).</summary>
    public bool HasInactiveSince => Policy.ReportsInactiveSince;

    /// <summary><c>two_phase</c> (14+).</summary>
    public bool HasTwoPhase { get; }

    /// <summary><c>conflicting</c> (16+).</summary>
    public bool HasConflicting { get; }

    /// <summary><c>failover</c> and <c>synced</c> (17+).</summary>
    public bool HasFailoverSlots { get; }

    /// <summary>The <c>pg_stat_wal</c> view (14+).</summary>
    public bool HasPgStatWal { get; }

    /// <summary>The catalog of <paramref name="version"/>, a version <see cref="Supports"/> accepts.</summary>
    public static LiveCatalog For(PgVersion version) => new(RetentionPolicy.For(version));

    /// <summary>The majors the sampler samples and a sample file may name: those of <see cref="SupportedVersions"/>,
    /// any minor (a server may run one newer than the newest walsim was checked against).</summary>
    public static bool Supports(int major) => SupportedVersions.IsSupported(major);

    /// <summary>The settings recorded in the sidecar; those a version lacks are simply not returned by <c>pg_settings</c>.</summary>
    public static readonly IReadOnlyList<string> RetentionSettings =
    [
        "wal_segment_size", "wal_level", "max_wal_size", "min_wal_size", "wal_keep_size", "wal_keep_segments",
        "max_slot_wal_keep_size", "checkpoint_timeout", "checkpoint_completion_target", "archive_mode", "archive_timeout",
        "wal_recycle", "wal_init_zero", "idle_replication_slot_timeout", "max_replication_slots", "max_wal_senders",
        "wal_sender_timeout", "hot_standby_feedback", "sync_replication_slots", "synchronized_standby_slots",
        "summarize_wal", "wal_summary_keep_time", "log_checkpoints", "full_page_writes", "wal_compression",
    ];

    /// <summary>WAL segment files only: 24 hex digits (no <c>.history</c>, <c>.backup</c>, <c>.partial</c>).</summary>
    public const string WalSegmentFileFilter = "name ~ '^[0-9A-F]{24}$'";

    /// <summary>One statement for the server-wide part of a sample. On a standby <c>pg_current_wal_lsn()</c> raises an
    /// error, so it is only evaluated (CASE is lazy for volatile functions) on a primary.</summary>
    public string ServerQuery() => $"""
        SELECT now(), pg_is_in_recovery(),
          CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
          CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END,
          pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
          c.checkpoint_lsn::text, c.redo_lsn::text, c.timeline_id::bigint, c.checkpoint_time,
          a.archived_count, a.last_archived_wal, a.failed_count, a.last_failed_wal,
          {(HasPgStatWal ? "(SELECT wal_bytes::bigint FROM pg_stat_wal)" : "NULL::bigint")},
          w.files, w.bytes, w.oldest, w.newest
        FROM pg_control_checkpoint() c, pg_stat_archiver a,
          (SELECT count(*) AS files, coalesce(sum(size), 0)::bigint AS bytes, min(name) AS oldest, max(name) AS newest
           FROM pg_ls_waldir() WHERE {WalSegmentFileFilter}) w
        """;

    /// <summary>Every row of <c>pg_replication_slots</c>, the columns this version lacks as typed NULLs.</summary>
    public string SlotQuery() => $"""
        SELECT slot_name::text, slot_type, plugin::text, database::text, temporary, active, active_pid,
          restart_lsn::text, confirmed_flush_lsn::text,
          {Column(HasWalStatus, "wal_status", "text")}, {Column(HasWalStatus, "safe_wal_size", "bigint")},
          {Column(HasTwoPhase, "two_phase", "boolean")}, {Column(HasConflicting, "conflicting", "boolean")},
          {Column(HasInactiveSince, "invalidation_reason", "text")}, {Column(HasInactiveSince, "inactive_since", "timestamptz")},
          {Column(HasFailoverSlots, "failover", "boolean")}, {Column(HasFailoverSlots, "synced", "boolean")},
          catalog_xmin::text
        FROM pg_replication_slots ORDER BY slot_name
        """;

    /// <summary>The retention settings as <c>pg_settings</c> shows them.</summary>
    public const string SettingsQuery = "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(@names) ORDER BY name";

    private static string Column(bool present, string name, string type) => present ? $"{name}::{type}" : $"NULL::{type}";
}

namespace Walsim.Simulator.Versions;

/// <summary>When, inside a checkpoint, the replication-slot minimum used by <c>KeepLogSeg</c> is read (retention-model.md §6.2).</summary>
public enum SlotMinimumSampling
{
    /// <summary>The current global minimum at the end of the checkpoint (12; 13.0–13.21; 14.0–14.18; 15.0–15.13; 16.0–16.9; 17.0–17.5).</summary>
    AtCheckpointEnd,
    /// <summary>The global minimum captured at checkpoint start, before <c>CheckPointGuts</c> (13.22+; 14.19+; 15.14+; 16.10+; 17.6+).</summary>
    AtCheckpointStart,
    /// <summary>PG18: current minimum, each persistent slot contributing <c>min(restart_lsn, last_saved_restart_lsn)</c>.</summary>
    LastSavedRestartLsn,
}

/// <summary>The knob that keeps extra WAL for standbys without slots.</summary>
public enum WalKeepKnob { WalKeepSegments, WalKeepSize }

/// <summary>
/// Everything that differs between PostgreSQL releases for WAL retention, asked of one object instead of
/// <c>version &gt;= 13</c> at call sites. One subclass per behaviour band (12; 13.0–13.3; 13.4+; 14; 15; 16; 17; 18);
/// minor-release change points inside a band are decided in the band's members. Chosen by <see cref="For"/>.
/// The defaults here are PostgreSQL 12's behaviour, and each major's band derives from the previous one and states
/// only what that release changed, so a band reads as its release notes (13.0–13.3 is 13.4+ without 13.4's fixes).
/// Sources: retention-model.md §2 and the functions named on each member.
/// </summary>
public abstract class RetentionPolicy
{
    protected RetentionPolicy(PgVersion version) => Version = version;

    public PgVersion Version { get; }

    /// <summary>Short name of the behaviour band, e.g. "13.0-13.3".</summary>
    public abstract string Band { get; }

    /// <summary><c>wal_keep_segments</c> (12) or <c>wal_keep_size</c> (13+).</summary>
    public virtual WalKeepKnob KeepKnob => WalKeepKnob.WalKeepSegments;

    /// <summary><c>max_slot_wal_keep_size</c> exists and slots can be invalidated (13+).</summary>
    public virtual bool CapsSlotRetention => false;

    /// <summary><c>pg_replication_slots.wal_status</c> / <c>safe_wal_size</c> exist (13+).</summary>
    public virtual bool ReportsWalStatus => false;

    /// <summary><c>InvalidateObsoleteReplicationSlots</c> returns whether it invalidated, and the checkpoint
    /// recomputes the slot minimum and re-runs <c>KeepLogSeg</c> (13.4+, commit 866237a6fa).</summary>
    public virtual bool RecomputesHorizonAfterInvalidation => false;

    /// <summary><c>KeepLogSeg</c> ignores a slot minimum at or beyond <c>recptr</c> (13.11+, 14.8+, 15.3+, 16+).</summary>
    public virtual bool KeepLogSegUnderflowGuard => false;

    /// <summary>When the slot minimum used for removal is read (retention-model.md §6.2).</summary>
    public virtual SlotMinimumSampling SlotMinimumSampling => SlotMinimumSampling.AtCheckpointEnd;

    /// <summary>After terminating a slot's walsender, the slot is re-read before invalidating it (retention-model.md §7.3).</summary>
    public virtual bool RechecksSlotAfterTerminating => false;

    /// <summary><c>ReplicationSlotsComputeRequiredLSN</c> skips invalidated slots explicitly (16+), so a
    /// physical standby reconnecting to an invalidated slot does not make it hold WAL again (retention-model.md §6.1, TV-22).</summary>
    public virtual bool MinimumSkipsInvalidatedSlots => false;

    /// <summary><c>pg_replication_slots.inactive_since</c> and <c>invalidation_reason</c> (17+).</summary>
    public virtual bool ReportsInactiveSince => false;

    /// <summary><c>idle_replication_slot_timeout</c> (18).</summary>
    public virtual bool HasIdleReplicationSlotTimeout => false;

    /// <summary>An online checkpoint inserts an <c>XLOG_CHECKPOINT_REDO</c> record and redo = its start (17+).</summary>
    public virtual bool WritesCheckpointRedoRecord => false;

    /// <summary>
    /// A standby recycles and pre-allocates segments at restartpoints only while its walreceiver streams
    /// (<c>InstallXLogFileSegmentActive</c>); restoring from the archive it deletes instead (13.21+, 14.18+, 15+;
    /// docs/design/failover.md §2.2). Before that a standby always recycled.
    /// </summary>
    public virtual bool RecyclesOnlyWhileStreaming => false;

    /// <summary>Logical slots can be synchronized to standbys (<c>sync_replication_slots</c>, <c>failover</c> slots; 17+).</summary>
    public virtual bool SyncsFailoverSlots => false;

    /// <summary>
    /// <c>ReplicationSlotReserveWal</c> on a server in recovery reserves a logical slot at the replay position
    /// (<c>GetXLogReplayRecPtr</c>; 16+, commit 0fdab27ad6 "Allow logical decoding on standbys"); before 16 anything
    /// reserved in recovery got <c>GetRedoRecPtr()</c>, the last restartpoint's redo. What a copy made by
    /// pg_failover_slots on a standby starts from (docs/design/failover.md §1.4).
    /// </summary>
    public virtual bool LogicalSlotOnStandbyReservesAtReplay => false;

    /// <summary>
    /// <c>reserve_wal_for_local_slot</c>: a new synced copy reserves at the remote restart_lsn but not before the
    /// standby's redo or slot minimum (17.8+, 18.2+); before, at the remote restart_lsn unless that segment was
    /// already removed (then the next segment's start). docs/design/failover.md TV-F2.
    /// </summary>
    public virtual bool SyncedSlotReservesAtRedo => false;

    /// <summary>Default <c>checkpoint_completion_target</c>: 0.5 until 13, 0.9 from 14 (guc.c).</summary>
    public virtual double DefaultCheckpointCompletionTarget => 0.5;

    /// <summary>Default <c>log_checkpoints</c>: on from 15.</summary>
    public virtual bool DefaultLogCheckpoints => false;

    /// <summary>
    /// <c>ReplicationSlotInvalidationCause</c> (16+, commit 15f8203a59): a slot records why it was invalidated, and
    /// <c>ReportSlotInvalidation</c> logs "invalidating obsolete replication slot" with the cause in a DETAIL; 13–15
    /// keep only <c>invalidated_at</c> and log one line naming <c>max_slot_wal_keep_size</c>.
    /// </summary>
    public virtual bool NamesInvalidationCause => false;

    /// <summary>The LOG line (and DETAIL, 16+) written when a slot is invalidated for removed WAL (retention-model.md §7.1).</summary>
    public virtual string InvalidationMessage(string slot, Units.Lsn restartLsn, Units.Lsn oldestLsn) => NamesInvalidationCause
        ? $"invalidating obsolete replication slot \"{slot}\"; DETAIL: The slot's restart_lsn {restartLsn} exceeds the limit by {(oldestLsn - restartLsn).Bytes} bytes."
        : $"invalidating slot \"{slot}\" because its restart_lsn {restartLsn} exceeds max_slot_wal_keep_size";

    /// <summary>The LOG line (and DETAIL) written when 18 invalidates a slot idle past <c>idle_replication_slot_timeout</c>;
    /// both durations in whole seconds, truncated.</summary>
    public virtual string IdleTimeoutMessage(string slot, Units.SimDuration idle, Units.SimDuration timeout) =>
        $"invalidating obsolete replication slot \"{slot}\"; DETAIL: The slot's idle time of {(long)idle.TotalSeconds}s exceeds the configured \"idle_replication_slot_timeout\" duration of {(long)timeout.TotalSeconds}s.";

    /// <summary>The LOG line written when the slot's owner is terminated so it can be invalidated (retention-model.md §7.1);
    /// 12 invalidates nothing, so this is 13.4's wording.</summary>
    public virtual string TerminationMessage(int pid, string slot) =>
        $"terminating process {pid} to release replication slot \"{slot}\"";

    /// <summary>
    /// A configuration parameter's name (or an enum value) as this version's messages print it: bare until 16, in
    /// double quotes from 17 (17's slot.c and logical.c: <c>logical decoding requires "wal_level" &gt;= "logical"</c>).
    /// </summary>
    public virtual string ParameterInMessage(string name) => name;

    /// <summary>
    /// pg_wal as <c>initdb --wal-segsize=1</c> leaves it (the step scenarios' <c>start: initdb</c>): the redo of its
    /// shutdown checkpoint and how many segment files it left above the insert segment (recycled ahead by the
    /// checkpoints initdb's own WAL asked for, under the default min_wal_size of 80MB); none below it. Measured on
    /// 12.22, 13.23, 14.23, 15.18, 16.14, 17.10 and 18.4 (pg_controldata, pg_ls_waldir()); initdb's WAL differs per major
    /// as the catalogs do.
    /// </summary>
    public virtual InitdbWal Initdb => new(new Lsn(0x7430E0), 6);

    public override string ToString() => $"PostgreSQL {Version} ({Band})";

    /// <summary>The one place a version is turned into behaviour: its band in <see cref="SupportedVersions"/>.</summary>
    public static RetentionPolicy For(PgVersion v) =>
        SupportedVersions.Find(v.Major) is { } major
            ? major.BandOf(v.Minor).Create(v)
            : throw new ArgumentOutOfRangeException(nameof(v), v, $"walsim models PostgreSQL {SupportedVersions.Range}");
}

/// <summary>pg_wal after initdb with 1 MB segments: the shutdown checkpoint's redo (= its location) and the files above
/// the insert segment (<see cref="RetentionPolicy.Initdb"/>).</summary>
public sealed record InitdbWal(Lsn Redo, int FilesAhead);

/// <summary>PG12: <c>wal_keep_segments</c>; slots hold WAL without limit; nothing is ever invalidated (the defaults).</summary>
public class Pg12Policy(PgVersion v) : RetentionPolicy(v)
{
    public override string Band => "12";
}

/// <summary>
/// 13.4–13.23: <c>wal_keep_size</c>, <c>max_slot_wal_keep_size</c> and <c>wal_status</c>; the horizon recomputed after
/// invalidation; the walsender terminated and the slot re-read before invalidating it; underflow guard 13.11+;
/// standbys recycle only while streaming 13.21+; start-of-checkpoint slot minimum 13.22+.
/// </summary>
public class Pg13Policy(PgVersion v) : Pg12Policy(v)
{
    public override string Band => "13.4+";
    public override InitdbWal Initdb => new(new Lsn(0x6C49B0), 5);
    public override WalKeepKnob KeepKnob => WalKeepKnob.WalKeepSize;
    public override bool CapsSlotRetention => true;
    public override bool ReportsWalStatus => true;
    public override bool RecomputesHorizonAfterInvalidation => true;
    public override bool RechecksSlotAfterTerminating => true;
    public override bool KeepLogSegUnderflowGuard => Version.Minor >= 11;
    public override SlotMinimumSampling SlotMinimumSampling =>
        Version.Minor >= 22 ? SlotMinimumSampling.AtCheckpointStart : SlotMinimumSampling.AtCheckpointEnd;
    public override bool RecyclesOnlyWhileStreaming => Version.Minor >= 21;
}

/// <summary>
/// 13.0–13.3: the first <c>max_slot_wal_keep_size</c>, before 13.4's fixes. <c>InvalidateObsoleteReplicationSlots</c>
/// is void: no recompute of the slot minimum and no second <c>KeepLogSeg</c>, so the stale minimum keeps capping
/// removal (release note 13.4: "If all slots were invalidated, the horizon would not move again"); no re-check after
/// terminating, and the older termination wording. (13.4+'s later minor fixes do not reach these minors.)
/// </summary>
public sealed class Pg13EarlyPolicy(PgVersion v) : Pg13Policy(v)
{
    public override string Band => "13.0-13.3";
    public override bool RecomputesHorizonAfterInvalidation => false;
    public override bool RechecksSlotAfterTerminating => false;

    public override string TerminationMessage(int pid, string slot) =>
        $"terminating process {pid} because replication slot \"{slot}\" is too far behind";
}

/// <summary>14.x: <c>checkpoint_completion_target</c> default 0.9; underflow guard 14.8+; recycles only while streaming 14.18+; start sampling 14.19+.</summary>
public class Pg14Policy(PgVersion v) : Pg13Policy(v)
{
    public override string Band => "14";
    public override InitdbWal Initdb => new(new Lsn(0x7EFE78), 6);
    public override double DefaultCheckpointCompletionTarget => 0.9;
    public override bool KeepLogSegUnderflowGuard => Version.Minor >= 8;
    public override SlotMinimumSampling SlotMinimumSampling =>
        Version.Minor >= 19 ? SlotMinimumSampling.AtCheckpointStart : SlotMinimumSampling.AtCheckpointEnd;
    public override bool RecyclesOnlyWhileStreaming => Version.Minor >= 18;
}

/// <summary>15.x: <c>log_checkpoints</c> on by default; recycles only while streaming; underflow guard 15.3+; start sampling 15.14+.</summary>
public class Pg15Policy(PgVersion v) : Pg14Policy(v)
{
    public override string Band => "15";
    public override InitdbWal Initdb => new(new Lsn(0x5F4AB0), 4);
    public override bool DefaultLogCheckpoints => true;
    public override bool RecyclesOnlyWhileStreaming => true;
    public override bool KeepLogSegUnderflowGuard => Version.Minor >= 3;
    public override SlotMinimumSampling SlotMinimumSampling =>
        Version.Minor >= 14 ? SlotMinimumSampling.AtCheckpointStart : SlotMinimumSampling.AtCheckpointEnd;
}

/// <summary>
/// 16.x: invalidation cause enum, new log wording; the slot minimum skips invalidated slots; logical slots on a
/// standby reserve at replay; underflow guard; no re-check after terminating in 16.3–16.10; start sampling 16.10+.
/// </summary>
public class Pg16Policy(PgVersion v) : Pg15Policy(v)
{
    public override string Band => "16";
    public override InitdbWal Initdb => new(new Lsn(0x5DDE40), 4);
    public override bool NamesInvalidationCause => true;
    public override bool MinimumSkipsInvalidatedSlots => true;
    public override bool LogicalSlotOnStandbyReservesAtReplay => true;
    public override bool KeepLogSegUnderflowGuard => true;
    public override SlotMinimumSampling SlotMinimumSampling =>
        Version.Minor >= 10 ? SlotMinimumSampling.AtCheckpointStart : SlotMinimumSampling.AtCheckpointEnd;
    public override bool RechecksSlotAfterTerminating => Version.Minor <= 2 || Version.Minor >= 11;
}

/// <summary>17.x: <c>XLOG_CHECKPOINT_REDO</c>, <c>inactive_since</c>/<c>invalidation_reason</c>, failover slots, quoted parameter names; no re-check 17.0–17.6; start sampling 17.6+.</summary>
public class Pg17Policy(PgVersion v) : Pg16Policy(v)
{
    public override string Band => "17";
    public override InitdbWal Initdb => new(new Lsn(0x5D8A08), 4);
    public override SlotMinimumSampling SlotMinimumSampling =>
        Version.Minor >= 6 ? SlotMinimumSampling.AtCheckpointStart : SlotMinimumSampling.AtCheckpointEnd;
    public override bool RechecksSlotAfterTerminating => Version.Minor >= 7;
    public override bool ReportsInactiveSince => true;
    public override bool WritesCheckpointRedoRecord => true;
    public override bool SyncsFailoverSlots => true;
    public override bool SyncedSlotReservesAtRedo => Version.Minor >= 8;
    public override string ParameterInMessage(string name) => $"\"{name}\"";
}

/// <summary>18.x: <c>last_saved_restart_lsn</c> in the slot minimum; <c>idle_replication_slot_timeout</c>; no re-check in 18.0.</summary>
public sealed class Pg18Policy(PgVersion v) : Pg17Policy(v)
{
    public override string Band => "18";
    public override InitdbWal Initdb => new(new Lsn(0x84B2B8), 7);
    public override SlotMinimumSampling SlotMinimumSampling => SlotMinimumSampling.LastSavedRestartLsn;
    public override bool RechecksSlotAfterTerminating => Version.Minor >= 1;
    public override bool HasIdleReplicationSlotTimeout => true;
    public override bool SyncedSlotReservesAtRedo => Version.Minor >= 2;
}

namespace Walsim.Analyzer.Sources;

/// <summary>
/// Something a server log tells walsim, at the time the log line carries. <see cref="File"/> and <see cref="Line"/>
/// locate the line (1-based; for csvlog the record's first line) so a finding can be checked by hand.
/// </summary>
public abstract record ServerLogEvent(string File, int Line, DateTimeOffset At);

/// <summary>
/// One completed checkpoint or restartpoint as <c>log_checkpoints</c> reported it. <c>Start</c> is the "checkpoint
/// starting" line's time or, when that line is not in the log, <c>Complete</c> minus the logged <c>total=</c>
/// (<c>StartLogged</c> false). <c>Flags</c> are LogCheckpointStart's (<c>wal</c>, <c>time</c>, <c>immediate force
/// wait</c>, <c>shutdown immediate</c>, <c>end-of-recovery</c> …), empty without a start line. <c>RedoLsn</c> comes
/// from "redo lsn=" (16+) or, for a restartpoint, from the "recovery restart point at" line that follows (12–18);
/// null for a 12–15 checkpoint. <c>AfterServerStart</c>: a server start or crash restart was logged since the
/// previous checkpoint, so the checkpointer's distance estimate started again from 0.
/// </summary>
public sealed record LogCheckpoint(
    string File,
    int Line,
    DateTimeOffset Start,
    bool StartLogged,
    DateTimeOffset Complete,
    string Flags,
    CheckpointStats Stats,
    Lsn? RedoLsn,
    IReadOnlyList<LoggedInvalidation> Invalidations,
    IReadOnlyList<LoggedTermination> Terminations,
    bool AfterServerStart) : ServerLogEvent(File, Line, Complete)
{
    public bool IsRestartpoint => Stats.IsRestartpoint;
    public CheckpointCause Cause => CheckpointMessages.CauseOf(Flags);

    /// <summary>A shutdown or end-of-recovery checkpoint (the server's life cycle, not the workload).</summary>
    public bool IsLifecycle => CheckpointMessages.IsLifecycle(Flags);

    /// <summary><c>distance</c>: WAL from the previous checkpoint's redo pointer to this one's, floored to kB.</summary>
    public ByteCount Distance => ByteCount.FromKilobytes(Stats.DistanceKb);

    /// <summary><c>estimate</c>: <c>CheckPointDistanceEstimate</c> after this checkpoint, floored to kB.</summary>
    public ByteCount Estimate => ByteCount.FromKilobytes(Stats.EstimateKb);
}

/// <summary>A server start, crash restart, or stop line (see <see cref="LifecycleKind"/>); <c>Version</c> is what
/// "starting PostgreSQL 15.18" names (<c>15.18</c>), null on other lines.</summary>
public sealed record ServerLifecycle(string File, int Line, DateTimeOffset At, LifecycleKind Kind, string? Version)
    : ServerLogEvent(File, Line, At)
{
    /// <summary>Not logged but inferred: a shutdown checkpoint, or a checkpoint from another checkpointer process than
    /// the one before, means the server started again in between (a log grepped for checkpoints, or rotated).</summary>
    public bool Inferred { get; init; }
}

/// <summary><c>parameter "name" changed to "value"</c>: a reload that changed a setting (postgresql.conf units).</summary>
public sealed record SettingChanged(string File, int Line, DateTimeOffset At, string Name, string Value)
    : ServerLogEvent(File, Line, At);

/// <summary>
/// A slot the server invalidated, as logged whether or not <c>log_checkpoints</c> is on (<c>InvalidatePossiblyObsoleteSlot</c>,
/// slot.c): 13–15 "invalidating slot "s" because its restart_lsn X/X exceeds max_slot_wal_keep_size"; 16+ "invalidating
/// obsolete replication slot "s"" with a DETAIL "The slot's restart_lsn X/X exceeds the limit by N bytes."
/// <c>ExceedsBy</c> is that N (16+; null before, where the limit is not logged). <c>Terminated</c>: the processes
/// "terminating process N to release replication slot" named for it first.
/// </summary>
public sealed record SlotLost(string File, int Line, DateTimeOffset At, string Slot, Walsim.Simulator.Units.Lsn? RestartLsn, long? ExceedsBy,
    IReadOnlyList<int> Terminated) : ServerLogEvent(File, Line, At);

/// <summary>"requested WAL segment 000000010000000000000003 has already been removed" (ERROR, xlog.c
/// <c>CheckXLogRemoved</c>): a walsender (or a backend reading WAL) asked for a segment already removed — its consumer
/// has lost WAL it needed.</summary>
public sealed record WalSegmentRemoved(string File, int Line, DateTimeOffset At, string Segment, int? Pid) : ServerLogEvent(File, Line, At)
{
    /// <summary>Logged by a standby's walreceiver ("could not receive data from WAL stream: ERROR:  requested WAL
    /// segment … has already been removed"): this server needed the segment, and its upstream had removed it.</summary>
    public bool Upstream { get; init; }
}

/// <summary>Something walsim inferred or assumed while reading, said once: a collector's times taken for want of the
/// server's, a syslog year assumed, a newest-first log read backwards, the files of a set and their order, a restart
/// inferred from a new checkpointer.</summary>
public sealed record LogNote(string File, int Line, DateTimeOffset At, string Text) : ServerLogEvent(File, Line, At);

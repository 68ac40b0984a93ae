namespace Walsim.Simulator.Results;

/// <summary><c>pg_replication_slots.wal_status</c> (13+), plus <see cref="Null"/> for a slot whose restart_lsn was never set.</summary>
public enum WalStatus { Null, Reserved, Extended, Unreserved, Lost }

public static class WalStatusText
{
    public static string ToSql(this WalStatus s) => s switch
    {
        WalStatus.Reserved => "reserved",
        WalStatus.Extended => "extended",
        WalStatus.Unreserved => "unreserved",
        WalStatus.Lost => "lost",
        _ => "null",
    };
}

/// <summary>Why a slot was invalidated (PG17 <c>invalidation_reason</c> spelling).</summary>
public enum InvalidationCause { None, WalRemoved, IdleTimeout }

/// <summary>One slot as <c>pg_replication_slots</c> would show it at an instant. A value: rows hold them inline.</summary>
public readonly record struct SlotView(
    string Name,
    SlotKind Kind,
    Lsn RestartLsn,
    Lsn ConfirmedFlushLsn,
    bool Active,
    WalStatus WalStatus,
    ByteCount? SafeWalSize,
    ByteCount RetainedBytes,
    InvalidationCause Invalidation,
    SimTime? InactiveSince);

/// <summary>Why a timeline row was written.</summary>
public enum RowReason { Sample, CheckpointEnd, Step, Probe, StatusChange, End }

/// <summary>
/// The server's retention state at one instant. <see cref="Slots"/> is only valid during
/// <see cref="ISimulationObserver.OnTimelineRow"/>: the engine reuses its storage for the next row, so a one-year run
/// does not allocate a slot list per row. An observer that keeps rows keeps <see cref="Detach"/>ed copies.
/// </summary>
public sealed record TimelineRow(
    SimTime At,
    RowReason Reason,
    int? Step,
    Lsn InsertLsn,
    Lsn RedoLsn,
    SegmentNumber KeepSegment,
    long FilesInPgWal,
    ByteCount PgWalBytes,
    SegmentNumber OldestFile,
    SegmentNumber NewestFile,
    SegmentNumber LastRemovedSegment,
    IReadOnlyList<SlotView> Slots)
{
    /// <summary>pg_wal by reason at this instant (<see cref="Engine.WalBreakdown.TotalsOfRun"/>): set only for an
    /// observer that asks (<see cref="ISimulationObserver.WantsWalBreakdown"/>); a value the observer may keep.</summary>
    public IReadOnlyList<Engine.WalReasonTotal>? Breakdown { get; init; }

    /// <summary>This row with its own copy of the slot list, safe to keep after the callback returns.</summary>
    public TimelineRow Detach() => this with { Slots = [.. Slots] };

    /// <summary>The slot named <paramref name="name"/>, or null when it does not exist at this instant.</summary>
    public SlotView? Slot(string name)
    {
        foreach (var s in Slots) if (s.Name == name) return s;
        return null;
    }
}

/// <summary>What kind of checkpoint, as <c>log_checkpoints</c> prints it after "checkpoint starting:".</summary>
public enum CheckpointCause { Time, Wal, Immediate }

/// <summary>One checkpoint, with what <c>log_checkpoints</c> would print and the retention decisions behind it.</summary>
public sealed record CheckpointRecord(
    int Number,
    CheckpointCause Cause,
    SimTime Start,
    SimTime End,
    bool Skipped,
    Lsn Redo,
    Lsn CheckpointLsn,
    Lsn RecPtr,
    // KeepBeforeInvalidation: the first KeepLogSeg result; Keep: the final one (oldest segment kept, files <= Keep-1 were candidates).
    SegmentNumber KeepBeforeInvalidation,
    SegmentNumber Keep,
    SegmentNumber RecycleSegNo,
    int Added,
    int Removed,
    int Recycled,
    long FilesAfter,
    long DistanceKb,
    long EstimateKb,
    IReadOnlyList<string> InvalidatedSlots,
    int? Step)
{
    /// <summary>A standby's <c>CreateRestartPoint</c> (its redo and checkpoint LSN are the replayed primary
    /// checkpoint's; <see cref="RecPtr"/> is its endptr, max(received, replayed)).</summary>
    public bool Restartpoint { get; init; }

    /// <summary>The "checkpoint complete" (or "restartpoint complete") line's WAL part, as the server logs it.</summary>
    public string LogLine => Skipped
        ? "checkpoint skipped because system is idle"
        : $"{(Restartpoint ? "restartpoint" : "checkpoint")} complete: {Added} WAL file(s) added, {Removed} removed, {Recycled} recycled; distance={DistanceKb} kB, estimate={EstimateKb} kB; lsn={CheckpointLsn}, redo lsn={Redo}";
}

/// <summary>A server log event the model predicts (invalidations, terminations, disk full, read-only).</summary>
public sealed record LogEvent(SimTime At, string Kind, string? Slot, string Message);

/// <summary>Per-slot milestones over the run.</summary>
public sealed record SlotSummary(
    string Name,
    SlotKind Kind,
    SimTime? FirstExtended,
    SimTime? FirstUnreserved,
    SimTime? Lost,
    InvalidationCause Cause,
    ByteCount PeakRetained)
{
    /// <summary>A synced copy on a standby (17+): when it first became persistent ("sync-ready"), if it did.</summary>
    public SimTime? FirstSyncReady { get; init; }
    /// <summary>A synced copy on a standby: created by the slot sync worker (<c>synced = true</c>). Its
    /// <see cref="Lost"/> is the first time a copy of that name was invalidated on the standby, even if the worker
    /// re-created it since.</summary>
    public bool Synced { get; init; }
}

/// <summary>What the new primary has of one logical slot at a failover, and what its consumer would get
/// (docs/design/failover.md §3.6). S: the consumer's position; P: the new primary's switch point; R: where it resumes.</summary>
/// <param name="Slot">The logical slot.</param>
/// <param name="OnNewPrimary"><c>exists</c> (a persistent synced copy), <c>temporary-dropped</c>, <c>invalidated</c> or <c>missing</c>.</param>
/// <param name="ConsumerPosition">S: what the consumer had applied (the primary's WAL at the failover, less its lag).</param>
/// <param name="CopyConfirmed">C: the copy's confirmed_flush on the new primary, when a usable copy exists.</param>
/// <param name="ResumeAt">R: where decoding resumes (the consumer's request or the copy's position, whichever is later;
/// a re-created slot starts at the switch point).</param>
/// <param name="Phantom">WAL the consumer applied that the new primary never had: max(0, S − P).</param>
/// <param name="ReceivedTwice">WAL sent again: max(0, min(S, P) − R).</param>
/// <param name="Missed">WAL never sent: max(0, R − min(S, P)) (a copy ahead of the consumer, or a slot re-created later).</param>
public sealed record SlotFailover(string Slot, string OnNewPrimary, Lsn ConsumerPosition, Lsn? CopyConfirmed, Lsn ResumeAt,
    ByteCount Phantom, ByteCount ReceivedTwice, ByteCount Missed)
{
    /// <summary>The usable copy's restart_lsn at promotion: the new primary keeps its WAL from there (P − this).</summary>
    public Lsn? CopyRestart { get; init; }
}

/// <summary>A failover (or switchover) to <paramref name="To"/> at <paramref name="At"/>, with the new primary's switch point.</summary>
public sealed record FailoverOutcome(SimTime At, string To, bool Planned, Lsn SwitchPoint, IReadOnlyList<SlotFailover> Slots)
{
    /// <summary>
    /// After a switchover the old primary keeps its slots (a clean shutdown; nothing rewinds it): its failover slots
    /// are stale copies. Rejoining as a standby with <c>sync_replication_slots = on</c>, PostgreSQL 17's worker stops
    /// on them ("same name slot … already exists on the standby") until they are dropped, and they pin its WAL from
    /// their restart_lsn (docs/design/failover.md §1.8, TV-F8). After a crash failover the old primary diverged and
    /// <c>pg_rewind</c> removes its slots: none.
    /// </summary>
    public IReadOnlyList<(string Slot, Lsn RestartLsn)> StaleOnOldPrimary { get; init; } = [];
}

/// <summary>The whole-run outcome for one version, small enough to keep in memory for any duration.</summary>
public sealed record RunSummary(
    SimTime End,
    ByteCount PeakPgWalBytes,
    long PeakPgWalFiles,
    SimTime PeakAt,
    SimTime? DiskFull,
    SimTime? ReadOnly,
    int Checkpoints,
    int SkippedCheckpoints,
    int Invalidations,
    long FilesAdded,
    long FilesRemoved,
    long FilesRecycled,
    Lsn FinalInsertLsn);

/// <summary>The result of simulating one scenario on one version.</summary>
public sealed record SimulationResult(
    Scenario Scenario,
    RetentionPolicy Policy,
    RunSummary Summary,
    IReadOnlyList<SlotSummary> Slots,
    // Probes: snapshots at steps and expectation probe times (a few rows, not the timeline).
    IReadOnlyList<TimelineRow> Probes,
    // CheckpointsByStep: the checkpoint completed at each step, when one did.
    IReadOnlyDictionary<int, CheckpointRecord> CheckpointsByStep)
{
    /// <summary>A topology run: the primary's node name (null for a one-server scenario).</summary>
    public string? Node { get; init; }

    /// <summary>A topology run: each standby's own result (its Summary counts restartpoints as checkpoints and
    /// skipped restartpoint attempts as skipped checkpoints), in the scenario's node order.</summary>
    public IReadOnlyList<SimulationResult> Standbys { get; init; } = [];

    /// <summary>A standby: the most pg_wal its synchronized copies of slots made a restartpoint keep beyond what its
    /// own slots and settings needed (docs/design/failover.md §3.6 retained_by_copies).</summary>
    public ByteCount PeakRetainedBySyncedSlots { get; init; }

    /// <summary>A standby promoted by the scenario's failover: when (its results then cover both lives).</summary>
    public SimTime? PromotedAt { get; init; }

    /// <summary>An old primary that rejoined as a standby after the switchover: when (its results cover both lives).</summary>
    public SimTime? RejoinedAt { get; init; }

    /// <summary>A topology run: its failover (one: the old primary stops there; the promoted standby runs on).</summary>
    public IReadOnlyList<FailoverOutcome> Failovers { get; init; } = [];

    /// <summary>The result of node <paramref name="name"/>: this one when it is the primary (or null/empty for a
    /// one-server run), else the standby's; null if there is no such node.</summary>
    public SimulationResult? ForNode(string? name) =>
        string.IsNullOrEmpty(name) || name == Node ? this : Standbys.FirstOrDefault(s => s.Node == name);
}

/// <summary>
/// Receives the streamed detail of a run (timeline rows, checkpoints, log events) so that memory does not grow
/// with simulated time. The Analyzer writes them to files; tests collect them.
/// </summary>
public interface ISimulationObserver
{
    /// <summary>Whether the primary's rows should carry <see cref="TimelineRow.Breakdown"/> (it costs a little per row).</summary>
    bool WantsWalBreakdown => false;

    void OnTimelineRow(TimelineRow row) { }
    void OnCheckpoint(CheckpointRecord checkpoint) { }
    void OnLogEvent(LogEvent logEvent) { }
}

/// <summary>Keeps everything in memory (tests, small runs).</summary>
public sealed class CollectingObserver : ISimulationObserver
{
    public List<TimelineRow> Timeline { get; } = [];
    public List<CheckpointRecord> Checkpoints { get; } = [];
    public List<LogEvent> Events { get; } = [];
    public void OnTimelineRow(TimelineRow row) => Timeline.Add(row.Detach());
    public void OnCheckpoint(CheckpointRecord checkpoint) => Checkpoints.Add(checkpoint);
    public void OnLogEvent(LogEvent logEvent) => Events.Add(logEvent);
}

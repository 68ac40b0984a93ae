namespace Walsim.Simulator.Engine;

/// <summary>
/// A replication slot as a checkpoint's <c>InvalidateObsoleteReplicationSlots</c> (slot.c) and the recompute after it
/// (<c>ReplicationSlotsComputeRequiredLSN</c>) see it. Slot names are unique within one checkpoint's inputs.
/// </summary>
/// <param name="Name">The slot's name.</param>
/// <param name="RestartLsn"><c>restart_lsn</c> of a slot the checkpoint may invalidate; <see cref="Lsn.Invalid"/> for
/// one it leaves alone (no WAL reserved, or already invalidated).</param>
/// <param name="RequiredLsn">What the slot adds to the recomputed minimum: its restart_lsn (18: the lower of it and
/// <c>last_saved_restart_lsn</c>); <see cref="Lsn.Invalid"/> for nothing (16+ skip invalidated slots).</param>
/// <param name="Active">A walsender has acquired it (<c>active_pid != 0</c>): terminated before it is invalidated.</param>
/// <param name="IdleFor">now − <c>inactive_since</c> (17+) for a released slot; null while in use or untracked.</param>
public readonly record struct CheckpointSlot(string Name, Lsn RestartLsn, Lsn RequiredLsn, bool Active = false, SimDuration? IdleFor = null)
{
    /// <summary>A slot whose restart_lsn both may be invalidated and counts in the minimum (every version but 18's
    /// saved position, and every observed slot).</summary>
    public static CheckpointSlot Holding(string name, Lsn restartLsn, bool active = false) => new(name, restartLsn, restartLsn, active);
}

/// <summary>
/// The slots a checkpoint reads, one at a time, in the order <c>InvalidateObsoleteReplicationSlots</c> walks them:
/// <see cref="CheckpointInputs.Slots"/>, or the engine's own slot state read in place (a hundred slots copied at each
/// of a hundred thousand checkpoints a year would cost a tenth of the run).
/// </summary>
public interface ICheckpointSlots
{
    int Count { get; }

    /// <summary>The <see cref="CheckpointSlot.RestartLsn"/> of one slot: all the scan for lost WAL reads of most slots.</summary>
    Lsn RestartLsn(int index);

    /// <summary>The whole slot: read for those the scan picks, for idle timeouts, and for the recompute after.</summary>
    CheckpointSlot this[int index] { get; }
}

/// <summary>
/// A node's WAL state as its next checkpoint or restartpoint reads it, apart from that decision's own positions and
/// the slots: what the decisions before it left, and pg_wal. Every caller of <see cref="CheckpointDecision"/> and
/// <see cref="RestartpointDecision"/> builds its inputs from one (the engine's primary and standby from their own
/// state, the replays of a real server in <c>walsim validate</c> and <c>walsim replay</c> and <c>walsim explain</c>
/// from what was sampled) and carries it to the next decision with <see cref="After"/>.
/// </summary>
/// <param name="ControlRedo"><c>ControlFile->checkPointCopy.redo</c>, the decision's <c>PriorRedoPtr</c>;
/// <see cref="Lsn.Invalid"/> when none (then the distance is 0 and the estimate is not updated).</param>
/// <param name="Estimate"><c>CheckPointDistanceEstimate</c> (the checkpointer's; 0 when the postmaster starts).</param>
/// <param name="LastRemoved"><c>XLogCtl->lastRemovedSegNo</c> (0 when the server starts, raised by <c>RemoveOldXlogFiles</c>).</param>
/// <param name="Files">The segment files in pg_wal (for a checkpoint, those written up to recptr included; for a
/// restartpoint, those before the files the walreceiver created up to endptr are added).</param>
public readonly record struct NodeWalState(Lsn ControlRedo, double Estimate, SegmentNumber LastRemoved, WalDirectory Files)
{
    /// <summary>The state the next decision reads after one at <paramref name="redo"/> decided <paramref name="outcome"/>.</summary>
    public NodeWalState After(Lsn redo, in CheckpointOutcome outcome) => new(redo, outcome.Estimate, outcome.LastRemoved, outcome.After);
}

/// <summary>
/// What the retention half of <c>CreateCheckPoint</c> (xlog.c) reads, as values, so that the engine, the replay of a
/// real server's observations (<c>walsim validate</c>, <c>walsim replay</c>), restartpoints and tests all feed the same
/// function (<see cref="CheckpointDecision.Decide"/>). A value, built at each of a hundred thousand checkpoints a year.
/// </summary>
/// <param name="Node">pg_control's redo, the distance estimate, <c>lastRemovedSegNo</c> and pg_wal's files when
/// <c>RemoveOldXlogFiles</c> runs.</param>
/// <param name="Redo"><c>RedoRecPtr</c>: this checkpoint's redo pointer.</param>
/// <param name="RecPtr"><c>recptr</c>: the end of the checkpoint record (a restartpoint's <c>endptr</c>), which
/// <c>KeepLogSeg</c>, <c>RemoveOldXlogFiles</c> and <c>PreallocXlogFiles</c> measure from.</param>
public readonly record struct CheckpointInputs(NodeWalState Node, Lsn Redo, Lsn RecPtr)
{
    /// <summary>The slots <c>InvalidateObsoleteReplicationSlots</c> looks at, in the order it walks them.</summary>
    public ReadOnlyMemory<CheckpointSlot> Slots { get; init; }

    /// <summary>The slot minimum <c>KeepLogSeg</c> uses (<c>XLogGetReplicationSlotMinimumLSN</c>), read when the
    /// version reads it (<see cref="Versions.RetentionPolicy.SlotMinimumSampling"/>: at the end, at the start, or from
    /// the saved restart_lsn on 18) — the caller knows when that was; null = the minimum of the slots' required LSNs.</summary>
    public Lsn? KeepSlotMinimum { get; init; }

    /// <summary>The newest segment archiving no longer needs (<c>XLogArchiveCheckDone</c>); the default holds nothing back.</summary>
    public SegmentNumber ArchivedThrough { get; init; } = new(ulong.MaxValue);

    /// <summary><c>XLogCtl->InstallXLogFileSegmentActive</c>: false on a standby restoring from the archive (13.21+,
    /// 14.18+, 15+), which then neither recycles nor pre-allocates segments.</summary>
    public bool InstallSegmentsActive { get; init; } = true;
}

/// <summary>A slot a checkpoint invalidated, with what the server logs about it.</summary>
/// <param name="Name">The slot's name.</param>
/// <param name="RestartLsn">Its restart_lsn when invalidated (what <c>invalidated_at</c> showed on 13–15).</param>
/// <param name="Cause"><c>RS_INVAL_WAL_REMOVED</c>, or <c>RS_INVAL_IDLE_TIMEOUT</c> (18).</param>
/// <param name="ExceedsBy">16+ DETAIL "The slot's restart_lsn X exceeds the limit by N bytes": the oldest LSN kept
/// (start of the keep segment) − restart_lsn; zero for an idle timeout.</param>
/// <param name="Terminated">The slot was active: its walsender was terminated first ("terminating process …").</param>
/// <param name="IdleFor">For an idle timeout (18): how long the slot had been inactive.</param>
public readonly record struct CheckpointInvalidation(string Name, Lsn RestartLsn, InvalidationCause Cause, ByteCount ExceedsBy,
    bool Terminated, SimDuration IdleFor = default)
{
    /// <summary>The first LSN the checkpoint kept, which the invalidation message is measured against.</summary>
    public Lsn OldestKept => RestartLsn + ExceedsBy;
}

/// <summary>What one checkpoint decided, field by field as <c>log_checkpoints</c> and pg_wal show it.</summary>
public readonly record struct CheckpointOutcome(
    long DistanceBytes,
    double Estimate,
    SegmentNumber KeepBeforeInvalidation,
    SegmentNumber Keep,
    IReadOnlyList<CheckpointInvalidation> Invalidated,
    SegmentNumber RecycleSegNo,
    int Removed,
    int Recycled,
    int Added,
    WalDirectory After,
    SegmentNumber LastRemoved)
{
    /// <summary><c>LogCheckpointEnd</c>'s <c>distance=%d kB</c>: <c>(int) (PrevCheckPointDistance / 1024.0)</c>.</summary>
    public long DistanceKb => (long)(DistanceBytes / 1024.0);

    /// <summary><c>estimate=%d kB</c>: <c>(int) (CheckPointDistanceEstimate / 1024.0)</c>.</summary>
    public long EstimateKb => (long)(Estimate / 1024.0);
}

/// <summary>
/// The retention half of <c>CreateCheckPoint</c> (xlog.c, 12–18) as one pure function: <c>UpdateCheckPointDistanceEstimate</c>;
/// <c>KeepLogSeg</c> from the redo segment; <c>InvalidateObsoleteReplicationSlots</c> (slot.c, 13+) for every slot
/// before the start of that segment; on 13.4+, if it invalidated any, the slot minimum recomputed and <c>KeepLogSeg</c>
/// again (13.0–13.3 keep the stale horizon); <c>XLOGfileslop</c>; <c>RemoveOldXlogFiles(_logSegNo − 1)</c>;
/// <c>PreallocXlogFiles</c>. The engine's checkpoints, its standby's restartpoints (<see cref="RestartpointDecision"/>),
/// <c>walsim validate</c> and <c>walsim replay</c> all call it, so a disagreement with a real server is fixed here.
/// </summary>
public static class CheckpointDecision
{
    /// <summary>
    /// The smallest checkpoint record: XLogRecord (24) + short data header (2) + CheckPoint (88). Where only the record's
    /// start (<c>checkpoint_lsn</c>) is observed, start + 114 lies in the segment of its end (recptr) unless the record
    /// (114–130 bytes) straddles a segment boundary by less than 16 bytes.
    /// </summary>
    public const long MinCheckpointRecordBytes = 114;

    /// <summary>The <c>XLOG_CHECKPOINT_REDO</c> record an online checkpoint writes at its redo on 17+ (MAXALIGNed);
    /// its running_xacts follows it.</summary>
    public const long RedoRecordBytes = 32;

    /// <summary>recptr as far as an observer can tell it from <c>checkpoint_lsn</c> (see <see cref="MinCheckpointRecordBytes"/>).</summary>
    public static Lsn RecPtrAfter(Lsn checkpointLsn) => checkpointLsn + new ByteCount(MinCheckpointRecordBytes);

    private static readonly CheckpointInvalidation[] None = [];

    /// <summary>The checkpoint's decision from <paramref name="inputs"/>.</summary>
    public static CheckpointOutcome Decide(ServerSettings settings, in CheckpointInputs inputs) =>
        Decide(settings, inputs, new SlotSpan(inputs.Slots.Span));

    /// <summary>As above, with the slots read from <paramref name="slots"/> instead of <see cref="CheckpointInputs.Slots"/>.</summary>
    public static CheckpointOutcome Decide<TSlots>(ServerSettings settings, in CheckpointInputs inputs, TSlots slots)
        where TSlots : ICheckpointSlots, allows ref struct
    {
        var policy = settings.Policy;
        var seg = settings.SegmentSize;
        var recptr = inputs.RecPtr;

        // "if (PriorRedoPtr != InvalidXLogRecPtr) UpdateCheckPointDistanceEstimate(RedoRecPtr - PriorRedoPtr)".
        var node = inputs.Node;
        var distance = node.ControlRedo.IsValid ? (inputs.Redo - node.ControlRedo).Bytes : 0;
        var estimate = node.ControlRedo.IsValid ? Retention.UpdateCheckPointDistanceEstimate(node.Estimate, distance) : node.Estimate;

        // "XLByteToSeg(RedoRecPtr, _logSegNo); KeepLogSeg(recptr, &_logSegNo); if (InvalidateObsoleteReplicationSlots(
        // …, _logSegNo, …)) { XLByteToSeg(RedoRecPtr, _logSegNo); KeepLogSeg(recptr, &_logSegNo); }".
        var redoSeg = seg.SegmentOf(inputs.Redo);
        var first = Retention.KeepLogSeg(settings, recptr, inputs.KeepSlotMinimum ?? RequiredMinimum(slots, None), redoSeg);
        var keep = first;
        IReadOnlyList<CheckpointInvalidation> invalidated = None;
        if (policy.CapsSlotRetention)
        {
            invalidated = InvalidateObsoleteReplicationSlots(settings, slots, seg.StartOf(first));
            // 13.0–13.3: void InvalidateObsoleteReplicationSlots, no second KeepLogSeg (fixed by 866237a6fa in 13.4).
            if (invalidated.Count > 0 && policy.RecomputesHorizonAfterInvalidation)
                keep = Retention.KeepLogSeg(settings, recptr, RequiredMinimum(slots, invalidated), redoSeg);
        }

        // "_logSegNo--; RemoveOldXlogFiles(_logSegNo, RedoRecPtr, recptr, …); PreallocXlogFiles(recptr, …)".
        var recycleSegNo = Retention.XLogFileSlop(settings, inputs.Redo, estimate);
        var cutoff = keep.Value > 0 ? keep - 1 : keep;
        var install = inputs.InstallSegmentsActive;
        var removal = Retention.RemoveOldXlogFiles(node.Files, cutoff, recycleSegNo, recptr, inputs.ArchivedThrough,
            settings.WalRecycle && install, node.LastRemoved, seg);
        var after = removal.After;
        var added = install ? Retention.PreallocXlogFiles(ref after, recptr, seg) : 0;
        return new CheckpointOutcome(distance, estimate, first, keep, invalidated, recycleSegNo,
            removal.Removed, removal.Recycled, added, after, removal.LastRemoved);
    }

    /// <summary>
    /// <c>InvalidateObsoleteReplicationSlots</c> → <c>InvalidatePossiblyObsoleteSlot</c> for each slot: one whose
    /// restart_lsn is before <paramref name="oldest"/> (the start of the keep segment) loses its WAL; on 18 a released
    /// slot idle for <c>idle_replication_slot_timeout</c> or longer times out. An active slot's walsender is
    /// terminated first; in this model no time passes before the re-check, so every version invalidates it.
    /// </summary>
    private static IReadOnlyList<CheckpointInvalidation> InvalidateObsoleteReplicationSlots<TSlots>(ServerSettings settings, TSlots slots, Lsn oldest)
        where TSlots : ICheckpointSlots, allows ref struct
    {
        List<CheckpointInvalidation>? list = null;
        // Asked once, not per slot at every checkpoint.
        var idleTimeout = settings.Policy.HasIdleReplicationSlotTimeout && settings.IdleReplicationSlotTimeout > SimDuration.Zero;
        var timeoutSeconds = (long)settings.IdleReplicationSlotTimeout.TotalSeconds;
        for (var i = 0; i < slots.Count; i++)
        {
            var restart = slots.RestartLsn(i);
            if (!restart.IsValid) continue;
            if (restart < oldest)
            {
                var s = slots[i];
                (list ??= []).Add(new CheckpointInvalidation(s.Name, restart, InvalidationCause.WalRemoved, oldest - restart, s.Active));
            }
            else if (idleTimeout)
            {
                // TimestampDifferenceExceedsSeconds(inactive_since, now, idle_replication_slot_timeout_secs), whole seconds.
                var s = slots[i];
                if (!s.Active && s.IdleFor is { } idle && (long)Math.Floor(idle.TotalSeconds) >= timeoutSeconds)
                    (list ??= []).Add(new CheckpointInvalidation(s.Name, restart, InvalidationCause.IdleTimeout, ByteCount.Zero, false, idle));
            }
        }
        return list is null ? None : list;
    }

    /// <summary><c>ReplicationSlotsComputeRequiredLSN</c> over <paramref name="slots"/> without those just invalidated
    /// (which <see cref="InvalidateObsoleteReplicationSlots"/> listed in slot order).</summary>
    private static Lsn RequiredMinimum<TSlots>(TSlots slots, IReadOnlyList<CheckpointInvalidation> invalidated)
        where TSlots : ICheckpointSlots, allows ref struct
    {
        var min = Lsn.Invalid;
        var next = 0;
        for (var i = 0; i < slots.Count; i++)
        {
            var s = slots[i];
            if (next < invalidated.Count && string.Equals(invalidated[next].Name, s.Name, StringComparison.Ordinal)) { next++; continue; }
            var r = s.RequiredLsn;
            if (r.IsValid && (!min.IsValid || r < min)) min = r;
        }
        return min;
    }

    private readonly ref struct SlotSpan(ReadOnlySpan<CheckpointSlot> slots) : ICheckpointSlots
    {
        private readonly ReadOnlySpan<CheckpointSlot> _slots = slots;
        public int Count => _slots.Length;
        public Lsn RestartLsn(int index) => _slots[index].RestartLsn;
        public CheckpointSlot this[int index] => _slots[index];
    }

    /// <summary>The lowest valid LSN of <paramref name="restartLsns"/>, or <see cref="Lsn.Invalid"/> when none is: the
    /// reduction of <c>ReplicationSlotsComputeRequiredLSN</c> (no slot holding WAL → no slot minimum).</summary>
    public static Lsn MinRestart(IEnumerable<Lsn> restartLsns)
    {
        var min = Lsn.Invalid;
        foreach (var r in restartLsns)
            if (r.IsValid && (!min.IsValid || r < min)) min = r;
        return min;
    }
}

namespace Walsim.Simulator.Engine;

/// <summary>A replication slot on the standby as a restartpoint sees it: its name and the WAL it holds.</summary>
public readonly record struct RestartpointSlot(string Name, Lsn RestartLsn);

/// <summary>
/// What <c>CreateRestartPoint</c> (xlog.c) reads when it runs: every input of its decision, as values, so that an
/// engine, a replay of observations from a real standby, and a test can all feed it (docs/design/failover.md §2.2).
/// </summary>
/// <param name="Node">What the restartpoints before this one left: pg_control's redo (the last restartpoint's, or the
/// base backup's checkpoint's on a standby that has made none), the standby checkpointer's distance estimate (0 after
/// a server start; restartpoint distances feed it), <c>lastRemovedSegNo</c>, and the segment files in the standby's
/// pg_wal before the restartpoint (the files the walreceiver created for WAL received up to <c>endptr</c> are added to them).</param>
/// <param name="ReplayedCheckpointRedo"><c>XLogCtl->lastCheckPoint.redo</c>: the redo of the newest primary checkpoint
/// record the startup process has replayed (<c>RecoveryRestartPoint</c>); <see cref="Lsn.Invalid"/> when none was.</param>
/// <param name="Received"><c>GetWalRcvFlushRecPtr()</c>: what the walreceiver has written and flushed
/// (<c>pg_last_wal_receive_lsn()</c>); <see cref="Lsn.Invalid"/> when no walreceiver ever ran.</param>
/// <param name="Replayed"><c>GetXLogReplayRecPtr()</c>: the end of the last record replayed (<c>pg_last_wal_replay_lsn()</c>).</param>
public sealed record RestartpointInputs(NodeWalState Node, Lsn ReplayedCheckpointRedo, Lsn Received, Lsn Replayed)
{
    /// <summary>The standby's own slots that still hold WAL (not invalidated, restart_lsn valid) when the slot minimum
    /// is read (<c>XLogGetReplicationSlotMinimumLSN</c>: at restartpoint start from 13.22/14.19/15.14/16.10/17.6, at
    /// the end before that; the caller samples them at the point its version reads them).</summary>
    public IReadOnlyList<RestartpointSlot> Slots { get; init; } = [];

    /// <summary><c>XLogCtl->InstallXLogFileSegmentActive</c>: the walreceiver is streaming (not restoring from the
    /// archive). 13.21+/14.18+/15+ neither recycle nor preallocate without it.</summary>
    public bool Streaming { get; init; } = true;

    /// <summary>The slot minimum KeepLogSeg uses when it was read before the end (the restartpoint's start on
    /// 13.22+/14.19+/15.14+/16.10+/17.6+, the saved restart_lsn on 18); null = the minimum of <see cref="Slots"/>.</summary>
    public Lsn? KeepSlotMinimum { get; init; }
}

/// <summary>A slot the restartpoint invalidated, with what the 16+ DETAIL line says: "The slot's restart_lsn X exceeds
/// the limit by N bytes" (N = the oldest LSN kept − restart_lsn).</summary>
public readonly record struct RestartpointInvalidation(string Name, Lsn RestartLsn, long ExceedsBy);

/// <summary>What one performed restartpoint decided: a checkpoint's decision (<see cref="Checkpoint"/>, field by
/// field as <c>log_checkpoints</c> and pg_wal show it) at the replayed redo and <c>endptr</c>.</summary>
public sealed record RestartpointOutcome(Lsn Redo, Lsn EndPtr, CheckpointOutcome Checkpoint, IReadOnlyList<RestartpointInvalidation> Invalidated);

/// <summary>
/// <c>CreateRestartPoint</c> (xlog.c, the same shape in every branch 12–18) as a pure function of what it reads:
/// skipped unless a primary checkpoint newer than the last restartpoint has been replayed; otherwise the distance
/// estimate from the replayed redo, then exactly a checkpoint's retention pipeline (<see cref="CheckpointDecision"/>:
/// <c>KeepLogSeg</c>, <c>InvalidateObsoleteReplicationSlots</c> and its recompute, <c>XLOGfileslop</c>,
/// <c>RemoveOldXlogFiles</c>, <c>PreallocXlogFiles</c>) with <c>endptr = max(received, replayed)</c> for recptr.
/// The engine's standby and the real-server validation both call it, so a disagreement with a real server points at
/// one function.
/// </summary>
public static class RestartpointDecision
{
    /// <summary>
    /// "skipping restartpoint, already performed at %X/%X": no checkpoint record replayed since the last restartpoint
    /// (<c>XLogRecPtrIsInvalid(lastCheckPointRecPtr) || lastCheckPoint.redo &lt;= ControlFile->checkPointCopy.redo</c>).
    /// The checkpointer then tries again 15 s later (<c>last_checkpoint_time = now - CheckPointTimeout + 15</c>),
    /// whatever requested the skipped one.
    /// </summary>
    public static bool Skips(Lsn replayedCheckpointRedo, Lsn priorRedo) =>
        !replayedCheckpointRedo.IsValid || replayedCheckpointRedo <= priorRedo;

    /// <summary><c>endptr = (receivePtr &lt; replayPtr) ? replayPtr : receivePtr</c>: the received WAL counts for
    /// <c>wal_keep_size</c> and <c>max_slot_wal_keep_size</c> even before it is replayed.</summary>
    public static Lsn EndPtr(Lsn received, Lsn replayed) => Lsn.Max(received, replayed);

    /// <summary>The restartpoint's decision, or null when it is skipped (<see cref="Skips"/>).</summary>
    public static RestartpointOutcome? Decide(ServerSettings settings, RestartpointInputs inputs)
    {
        if (Skips(inputs.ReplayedCheckpointRedo, inputs.Node.ControlRedo)) return null;
        var seg = settings.SegmentSize;
        var redo = inputs.ReplayedCheckpointRedo;
        var endptr = EndPtr(inputs.Received, inputs.Replayed);
        var slots = new CheckpointSlot[inputs.Slots.Count];
        for (var i = 0; i < slots.Length; i++) slots[i] = CheckpointSlot.Holding(inputs.Slots[i].Name, inputs.Slots[i].RestartLsn);

        // From here a restartpoint is a checkpoint with endptr for recptr: the same estimate (restartpoint distances
        // feed the one XLOGfileslop reads), KeepLogSeg, invalidation, RemoveOldXlogFiles and PreallocXlogFiles.
        // The walreceiver has created the files through the last byte it received, endptr - 1: at a segment boundary
        // (received exactly through a WAL switch) the file endptr names does not exist yet, and a recycled file is
        // installed under that name before PreallocXlogFiles would create it.
        var node = inputs.Node with { Files = inputs.Node.Files.Through(seg.PrevSegmentOf(endptr)) };
        var o = CheckpointDecision.Decide(settings, new CheckpointInputs(node, redo, endptr)
        {
            Slots = slots,
            KeepSlotMinimum = inputs.KeepSlotMinimum,
            InstallSegmentsActive = inputs.Streaming || !settings.Policy.RecyclesOnlyWhileStreaming,
        });
        var invalidated = o.Invalidated.Count == 0 ? [] : new RestartpointInvalidation[o.Invalidated.Count];
        for (var i = 0; i < invalidated.Length; i++)
            invalidated[i] = new RestartpointInvalidation(o.Invalidated[i].Name, o.Invalidated[i].RestartLsn, o.Invalidated[i].ExceedsBy.Bytes);
        return new RestartpointOutcome(redo, endptr, o, invalidated);
    }
}

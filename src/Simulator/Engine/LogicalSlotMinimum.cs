namespace Walsim.Simulator.Engine;

/// <summary>
/// What a logical slot's confirmation does to the global slot minimum (<c>XLogCtl->replicationSlotMinLSN</c>, the
/// value KeepLogSeg reads), retention-model.md §12.3. One rule for the engine's streaming consumers and validate's
/// model replay: <c>LogicalConfirmReceivedLocation</c> (logical.c, the same in 12–18) calls
/// <c>ReplicationSlotsComputeRequiredLSN</c> only when it moved <c>catalog_xmin</c> (<c>updated_xmin</c>), after
/// applying every candidate valid by then; a move of <c>restart_lsn</c> alone saves the slot but leaves the minimum
/// where the last recompute put it. A running_xacts record decoded at or before <c>confirmed_flush</c> is applied at
/// once, xmin first (<c>LogicalIncreaseXminForSlot</c> confirms, and recomputes, before
/// <c>LogicalIncreaseRestartDecodingForSlot</c> offers the same record's restart point), so that recompute sees the
/// restart_lsn from before the record.
/// </summary>
public static class LogicalSlotMinimum
{
    /// <summary>
    /// The restart_lsn the minimum was recomputed with for this slot when a running_xacts record moved it from
    /// <paramref name="restartBefore"/> to <paramref name="restartAfter"/>, or null when nothing recomputed it.
    /// </summary>
    /// <param name="xminMoved">The record's xmin advanced the slot's <c>catalog_xmin</c>.</param>
    /// <param name="takenAtOnce">The record was decoded at or before the slot's <c>confirmed_flush</c> (12–16: a
    /// checkpoint's running_xacts at the end of WAL a consumer had confirmed); otherwise both candidates waited for a
    /// confirmation past it and were applied together.</param>
    /// <param name="restartBefore">restart_lsn just before the record's restart point was applied.</param>
    /// <param name="restartAfter">restart_lsn once the confirmation has applied the candidates.</param>
    public static Lsn? RecomputedWith(bool xminMoved, bool takenAtOnce, Lsn restartBefore, Lsn restartAfter) =>
        !xminMoved ? null : takenAtOnce ? restartBefore : restartAfter;
}

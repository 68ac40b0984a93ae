namespace Walsim.Simulator.Engine;

/// <summary>
/// The decisions of PostgreSQL 17+'s slot synchronization (<c>slotsync.c</c>; docs/design/failover.md §1.5), as pure
/// functions: the engine's sync worker (<see cref="StandbyServer"/>) runs them, and the real-server tests compare
/// them with what <c>pg_sync_replication_slots()</c> did on 17 and 18.
/// </summary>
public static class NativeSlotSync
{
    /// <summary>
    /// <c>reserve_wal_for_local_slot</c>: where a new copy of a remote slot at <paramref name="remoteRestart"/> reserves
    /// WAL on the standby. 17.8+/18.2+: not before the standby's redo (<c>GetRedoRecPtr()</c>) or its slot minimum,
    /// whichever is older; before: at the remote's restart_lsn unless that segment was removed already (then at the
    /// next segment's start).
    /// </summary>
    public static Lsn Reserve(RetentionPolicy policy, Lsn remoteRestart, Lsn standbyRedo, Lsn standbySlotMinimum,
        SegmentNumber lastRemoved, WalSegmentSize segment)
    {
        if (policy.SyncedSlotReservesAtRedo)
        {
            var floor = standbySlotMinimum.IsValid && standbySlotMinimum < standbyRedo ? standbySlotMinimum : standbyRedo;
            return remoteRestart > floor ? remoteRestart : floor;
        }
        return segment.SegmentOf(remoteRestart) > lastRemoved ? remoteRestart : segment.StartOf(lastRemoved + 1);
    }

    /// <summary>
    /// <c>update_and_persist_local_synced_slot</c>: a temporary copy becomes persistent ("sync-ready") when the
    /// remote's restart_lsn is at or past the copy's and the remote's catalog_xmin is not older than the copy's — which
    /// walsim approximates (U-F1) by: the remote moved after the copy was made, or another persistent copy already
    /// holds the standby's catalog horizon back. Otherwise "could not synchronize replication slot".
    /// </summary>
    public static bool CanPersist(Lsn remoteRestart, Lsn copyRestart, bool remoteMovedSinceCopy, bool horizonHeldByAnotherCopy) =>
        remoteRestart >= copyRestart && (remoteMovedSinceCopy || horizonHeldByAnotherCopy);

    /// <summary>At promotion the worker stops and drops its temporary copies; persistent ones stay (synced = true).</summary>
    public static bool SurvivesPromotion(bool temporary) => !temporary;
}

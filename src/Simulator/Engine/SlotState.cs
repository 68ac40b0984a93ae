namespace Walsim.Simulator.Engine;

/// <summary>A replication slot's shared-memory state (<c>ReplicationSlot</c>) plus its consumer's connection.</summary>
internal sealed class SlotState(SlotSpec spec, int pid)
{
    public SlotSpec Spec { get; } = spec;
    public string Name => Spec.Name;
    public SlotKind Kind => Spec.Kind;
    public int Pid { get; set; } = pid;

    // The consumer's timing in plain numbers: read for every slot at every checkpoint and row.
    public readonly long ConfirmEveryMicros = spec.Consumer.ConfirmEvery.Microseconds;
    public readonly long LagMicros = spec.Consumer.Lag.Microseconds;
    public readonly ulong LagBytes = (ulong)spec.Consumer.LagBytes.Bytes;

    public Lsn RestartLsn;
    public Lsn ConfirmedFlush;
    /// <summary>Logical, streaming: <c>confirmed_flush</c> as the consumer had reported it before the instant
    /// <see cref="ConfirmedBeforeAt"/> (what the walsender compared the records written then with).</summary>
    public Lsn ConfirmedBefore;
    public SimTime ConfirmedBeforeAt = new(-1);
    /// <summary>Logical: what this slot added to the slot minimum before its consumer's report moved it, in the pass of
    /// consumer reports <see cref="FollowPass"/>.</summary>
    public Lsn RequiredBeforeFollow;
    public long FollowPass = -1;
    /// <summary>
    /// Logical: <c>data.catalog_xmin</c>, as the position of the last xid-assigning write it covers (a stand-in for
    /// the xid: it grows exactly when a transaction took an xid), and the snapshot builder's pending candidates
    /// (<c>candidate_xmin_lsn</c>/<c>candidate_catalog_xmin</c>, <c>candidate_restart_valid</c>/<c>candidate_restart_lsn</c>;
    /// <see cref="Lsn.Invalid"/> valid = none). retention-model.md §12.2.
    /// </summary>
    public Lsn CatalogXmin;
    public Lsn PendingXminValid, PendingXmin;
    public Lsn PendingRestartValid, PendingRestart;
    /// <summary>13–15 <c>invalidated_at</c>: the restart_lsn the slot had when invalidated.</summary>
    public Lsn InvalidatedAt;
    public InvalidationCause Invalidated;
    /// <summary>PG18 <c>last_saved_restart_lsn</c>: restart_lsn as of the last write of the slot file.</summary>
    public Lsn LastSavedRestartLsn;

    /// <summary>A consumer is connected (the slot is acquired by a walsender: <c>active_pid != 0</c>).</summary>
    public bool Active;
    /// <summary>Acquired by a <see cref="HoldSlot"/> walsender that never confirms: active, but nothing moves it.</summary>
    public bool Held;
    /// <summary>Set by a stop/start event: overrides the declared outages until the next such event.</summary>
    public bool? ManualConnected;
    /// <summary>When the current connection began; reports happen every ConfirmEvery from here.</summary>
    public SimTime ConnectedSince;
    public SimTime? InactiveSince;
    /// <summary>The consumer report the slot was last moved to, and the engine's slot-input generation then (a cache).</summary>
    public SimTime LastReport = new(-1);
    public int LastInputs = -1;

    // Milestones.
    public SimTime? FirstExtended, FirstUnreserved, Lost;
    public ByteCount PeakRetained;
}

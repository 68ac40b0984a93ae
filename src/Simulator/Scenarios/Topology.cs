namespace Walsim.Simulator.Scenarios;

/// <summary>What a node is at the start of a scenario.</summary>
public enum NodeRole { Primary, Standby }

/// <summary>
/// One PostgreSQL server of a topology scenario. The primary runs the scenario's workload and its slots; a standby
/// streams from its upstream over a <see cref="Link"/>, replays, and runs restartpoints with its own settings,
/// slots and pg_wal volume (docs/design/failover.md §2, §3).
/// </summary>
public sealed record NodeSpec
{
    public required string Name { get; init; }
    public NodeRole Role { get; init; } = NodeRole.Standby;
    /// <summary>The node it streams from (standbys); the primary when not given.</summary>
    public string? Upstream { get; init; }
    /// <summary>The physical slot the standby uses on its upstream (<c>primary_slot_name</c>); null = none (the
    /// upstream then keeps nothing for it).</summary>
    public string? PrimarySlotName { get; init; }
    public LinkSpec Link { get; init; } = LinkSpec.Streaming;
    /// <summary>Settings for this node on top of the scenario's (PostgreSQL text values).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>This node's pg_wal volume; null = unlimited.</summary>
    public DiskSpec? Disk { get; init; }
    /// <summary>Slots created on this node (a standby's: physical slots of cascading standbys or tools).</summary>
    public IReadOnlyList<SlotSpec> Slots { get; init; } = [];
    /// <summary>How this standby keeps copies of the primary's logical slots.</summary>
    public SlotSyncMechanism SlotSync { get; init; } = SlotSyncMechanism.None;
    public SlotSyncOptions SlotSyncOptions { get; init; } = new();
    public SourceLocation Location { get; init; } = SourceLocation.None;
}

/// <summary>How a standby keeps the primary's logical slots for a failover (docs/design/failover.md §1.2–§1.5).</summary>
public enum SlotSyncMechanism
{
    /// <summary>Nothing: the slots exist on the primary only.</summary>
    None,
    /// <summary>PostgreSQL 17+ <c>sync_replication_slots = on</c>: the slot sync worker copies <c>failover</c> slots.</summary>
    Native,
    /// <summary>The <c>pg_failover_slots</c> extension (any 11+): a worker copies every logical slot each
    /// <c>worker_nap_time</c>, all at the restart_lsn of the furthest-behind one.</summary>
    PgFailoverSlots,
    /// <summary>Patroni's permanent slots: each HA loop the leader publishes the slots' confirmed_flush and replicas
    /// copy then advance their copies (model only; readiness is a time, U-F3).</summary>
    Patroni,
}

/// <summary>A mechanism's timing: pg_failover_slots' <c>worker_nap_time</c> (default 60 s), Patroni's <c>loop_wait</c>
/// (default 10 s) and the standby restart Patroni makes to copy a slot (<c>copy_restart</c>, default 5 s).</summary>
public sealed record SlotSyncOptions
{
    public SimDuration Interval { get; init; } = SimDuration.FromSeconds(60);
    public SimDuration CopyRestart { get; init; } = SimDuration.FromSeconds(5);
    /// <summary>Patroni: what happens to a copy the replica's own restartpoint invalidated (<c>lost_copy</c>). Newer
    /// Patroni drops a permanent slot whose wal_status is lost and copies it again (<c>recopy</c>, the default); Patroni
    /// 3.0.x (<c>keep</c>) has no such check and re-copies only when an advance fails with 58P01 (WAL removed), while
    /// advancing an invalidated slot fails with 55000: the copy stays invalidated (docs/design/failover.md §1.3).</summary>
    public bool RecopiesLostCopy { get; init; } = true;
    /// <summary>When the standby's first cycle runs, counted from its start (<c>first_cycle</c>); null = the
    /// mechanism's default: at once for the workers, <see cref="AfterLeader"/> in for Patroni's replica. The phase of a real worker or
    /// HA loop is not a setting of the servers: <c>walsim validate --ha</c> sets it to the one the run showed.</summary>
    public SimDuration? FirstCycle { get; init; }
    /// <summary>Patroni: how long after the leader's loop the replica's runs, and so how old the confirmed_flush it
    /// advances to is (<c>after_leader</c>); null = half a loop (loops of independent phase). A replica that watches
    /// the DCS leader key (Patroni's etcd <c>watch</c>) wakes when the leader's loop refreshes it: some 10 ms.</summary>
    public SimDuration? AfterLeader { get; init; }

    /// <summary>The mechanism's defaults: Patroni loops every 10 s, pg_failover_slots naps 60 s.</summary>
    public static SlotSyncOptions DefaultFor(SlotSyncMechanism m) =>
        new() { Interval = m == SlotSyncMechanism.Patroni ? SimDuration.FromSeconds(10) : SimDuration.FromSeconds(60) };
}

/// <summary>The mechanisms by the names scenarios and the command line use.</summary>
public static class SlotSyncNames
{
    public static readonly IReadOnlyList<string> All = ["none", "native", "pg_failover_slots", "patroni"];

    /// <summary>The mechanism called <paramref name="name"/>; null for an unknown name.</summary>
    public static SlotSyncMechanism? Parse(string name) => name switch
    {
        "none" => SlotSyncMechanism.None,
        "native" => SlotSyncMechanism.Native,
        "pg_failover_slots" => SlotSyncMechanism.PgFailoverSlots,
        "patroni" => SlotSyncMechanism.Patroni,
        _ => null,
    };
}

/// <summary>
/// How a standby receives WAL: what its upstream wrote <see cref="Lag"/> ago (the walsender sends up to the
/// upstream's flush position), replayed <see cref="ReplayLag"/> after it was received; during an outage nothing
/// arrives, and when it ends the standby catches up at once (the model's granularity: a catch-up at disk speed).
/// </summary>
public sealed record LinkSpec(SimDuration Lag, SimDuration ReplayLag, IReadOnlyList<Outage> Outages)
{
    public static readonly LinkSpec Streaming = new(SimDuration.Zero, SimDuration.Zero, []);

    /// <summary>How often the walreceiver reports its flush position (<c>wal_receiver_status_interval</c>): the
    /// standby's physical slot on the upstream moves at these reports.</summary>
    public SimDuration StatusInterval { get; init; } = SimDuration.FromSeconds(10);
}

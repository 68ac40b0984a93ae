namespace Walsim.Simulator.Scenarios;

public enum SlotKind { Physical, Logical }

/// <summary>A replication slot the scenario creates, and who consumes it.</summary>
public sealed record SlotSpec
{
    public required string Name { get; init; }
    public SlotKind Kind { get; init; } = SlotKind.Physical;
    public SimTime CreatedAt { get; init; } = SimTime.Zero;
    /// <summary>Physical slots: reserve WAL at creation (<c>immediately_reserve</c>); otherwise restart_lsn stays NULL until the consumer first reports.</summary>
    public bool Reserve { get; init; } = true;
    public ConsumerSpec Consumer { get; init; } = ConsumerSpec.None;
    /// <summary>A slot that already exists (forecasts from samples): its restart_lsn when the scenario starts, instead
    /// of reserving WAL at creation. Logical slots also take it as their confirmed position unless
    /// <see cref="ConfirmedFlushLsn"/> says otherwise.</summary>
    public Lsn? RestartLsn { get; init; }
    public Lsn? ConfirmedFlushLsn { get; init; }
    /// <summary>A slot that already exists and nobody uses (forecasts from samples): how long it has been inactive at
    /// the start — the sampled <c>inactive_since</c> — so that <c>idle_replication_slot_timeout</c> (18) counts from
    /// when it really went idle, not from the start (<c>ReplicationSlotRelease</c> sets it; retention-model.md §7.5).</summary>
    public SimDuration? InactiveFor { get; init; }
    /// <summary>A logical slot created with <c>failover = true</c> (17+): standbys with slot synchronization keep a copy.</summary>
    public bool Failover { get; init; }
    /// <summary>A Patroni permanent slot (<c>slots:</c> in the DCS configuration): copied to replicas by Patroni.</summary>
    public bool Permanent { get; init; }
    public SourceLocation Location { get; init; } = SourceLocation.None;
}

/// <summary>Where a logical consumer asks to resume after a failover: at its own position (a Debezium offset, a
/// subscription's origin: <c>START_REPLICATION … origin_lsn</c>), or wherever the slot is (<c>0/0</c>: the slot's
/// confirmed_flush).</summary>
public enum ResumeFrom { Origin, Slot }

/// <summary>
/// How a slot's consumer (a standby's walreceiver, a CDC connector, a subscriber) moves the slot. Reports happen
/// every <see cref="ConfirmEvery"/> (0 = continuously) and confirm the insert position of <see cref="Lag"/> ago
/// (less <see cref="LagBytes"/>). During an outage the consumer is disconnected and the slot freezes.
/// </summary>
public sealed record ConsumerSpec
{
    /// <summary>No consumer ever connects: the slot only moves through explicit advance events.</summary>
    public static readonly ConsumerSpec None = new() { Connected = false };

    public bool Connected { get; init; } = true;
    public SimDuration Lag { get; init; } = SimDuration.Zero;
    public ByteCount LagBytes { get; init; } = ByteCount.Zero;
    public SimDuration ConfirmEvery { get; init; } = SimDuration.FromSeconds(10);
    public IReadOnlyList<Outage> Outages { get; init; } = [];
    /// <summary>After a failover, where a logical consumer asks to resume.</summary>
    public ResumeFrom Resume { get; init; } = ResumeFrom.Origin;
    /// <summary>After a failover, how long until the consumer reconnects to the new primary; a slot it must re-create
    /// then starts at the new primary's position at that moment, and the WAL written in between is missed.</summary>
    public SimDuration ReconnectAfter { get; init; } = SimDuration.Zero;
}

/// <summary>The consumer is disconnected from <see cref="From"/> until <see cref="Until"/> (<see cref="SimTime.Never"/> = never returns).</summary>
public readonly record struct Outage(SimTime From, SimTime Until);

/// <summary>How the archiver keeps up: archived segments are those finished <see cref="Lag"/> ago, except during failures.</summary>
public sealed record ArchiverSpec(SimDuration Lag, IReadOnlyList<Outage> Failures)
{
    public static readonly ArchiverSpec KeepsUp = new(SimDuration.Zero, []);
}

namespace Walsim.Simulator.Scenarios;

/// <summary>Something that happens at a moment: a step of a TAP-style list or a timed event.</summary>
public abstract record ScenarioEvent
{
    public SimTime At { get; init; }
    /// <summary>The step number when the event is part of a step list (1-based), else null.</summary>
    public int? Step { get; init; }
    public SourceLocation Location { get; init; } = SourceLocation.None;
}

/// <summary>Insert <see cref="Bytes"/> of WAL at once (e.g. <c>pg_logical_emit_message</c> or a bulk insert).
/// <see cref="Dirty"/>: the WAL of a table write, which leaves dirty shared buffers for the next checkpoint to write
/// (its write phase then takes time: <see cref="CheckpointWrite.WithDirtyBuffers"/>).</summary>
public sealed record WriteWal(ByteCount Bytes, bool Dirty = false) : ScenarioEvent;

/// <summary>Insert WAL up to the start of the next segment plus <see cref="Segments"/> − 1 whole segments (TAP's <c>advance_wal</c>).</summary>
public sealed record WriteSegments(int Segments) : ScenarioEvent;

/// <summary><c>SELECT pg_switch_wal()</c>: an important record, then the rest of the segment is skipped.</summary>
public sealed record SwitchWal : ScenarioEvent;

/// <summary>The <c>CHECKPOINT</c> command (IMMEDIATE | FORCE | WAIT).</summary>
public sealed record RequestCheckpoint : ScenarioEvent;

/// <summary>Edit postgresql.conf and reload (<c>pg_reload_conf()</c>). Applies to versions the range selects.</summary>
public sealed record ChangeSettings(IReadOnlyDictionary<string, string> Settings, VersionRange Versions) : ScenarioEvent;

public sealed record CreateSlot(SlotSpec Slot) : ScenarioEvent;

public sealed record DropSlot(string Slot) : ScenarioEvent;

/// <summary><c>pg_replication_slot_advance(slot, target)</c>; null target = the current insert position.</summary>
public sealed record AdvanceSlot(string Slot, Lsn? Target, AdvanceVia Via = AdvanceVia.Function, string? ExpectError = null, MarkOffset? ToMark = null) : ScenarioEvent;

/// <summary>
/// A position relative to a <see cref="MarkPosition"/> step (<c>to: before+16kB</c>): the insert position the mark remembered
/// plus <see cref="Bytes"/> (negative: before it). The engine and a real server each resolve it against their own
/// mark, so a step list can say "where the burst began" without knowing either server's LSNs.
/// </summary>
public readonly record struct MarkOffset(string Mark, long Bytes)
{
    public Lsn Resolve(Lsn marked) => marked + new ByteCount(Bytes);

    public override string ToString() => Bytes == 0 ? Mark : Bytes > 0 ? $"{Mark}+{new ByteCount(Bytes)}" : $"{Mark}-{new ByteCount(-Bytes)}";
}

/// <summary>Remembers the current insert position (<c>pg_current_wal_insert_lsn()</c>) under <see cref="Name"/>.</summary>
public sealed record MarkPosition(string Name) : ScenarioEvent;

/// <summary>
/// Real time passes between two steps (<c>sleep: 16s</c>): nothing is written by the session, but the server's own
/// processes go on — timed checkpoints, the bgwriter's running_xacts every 15 s after important WAL
/// (LOG_SNAPSHOT_INTERVAL_MS), 18's idle_replication_slot_timeout. The step happens at the end of its sleep.
/// </summary>
public sealed record Sleep(SimDuration Duration) : ScenarioEvent;

/// <summary>
/// How a slot is moved: <see cref="Function"/> is <c>pg_replication_slot_advance()</c>, which refuses (SQLSTATE 55000) a
/// slot that has never reserved WAL or was invalidated; <see cref="Walsender"/> is a standby streaming from the slot
/// and reporting a flush position (<c>PhysicalConfirmReceivedLocation</c>), which also gives a never-reserved
/// physical slot its first restart_lsn.
/// </summary>
public enum AdvanceVia { Function, Walsender }

/// <summary>
/// <c>pg_logical_slot_get_changes(slot, upto, NULL)</c> (<see cref="Peek"/> false) or <c>pg_logical_slot_peek_changes</c>
/// (true) on a logical slot: decodes from restart_lsn to <see cref="Target"/> (null = the end of WAL). Consuming
/// confirms that position; peeking confirms nothing, yet a restart point the decoder reaches at or before the slot's
/// confirmed_flush is taken all the same. Unlike <see cref="AdvanceSlot"/>, the global slot minimum is recomputed only
/// when the slot's catalog_xmin moves too (retention-model.md §12.2).
/// </summary>
public sealed record ConsumeSlot(string Slot, Lsn? Target, bool Peek, MarkOffset? ToMark = null) : ScenarioEvent;

/// <summary>The slot's consumer disconnects (a standby stopped, a connector down).</summary>
public sealed record StopConsumer(string Slot) : ScenarioEvent;

/// <summary>The slot's consumer reconnects and resumes its normal behaviour.</summary>
public sealed record StartConsumer(string Slot) : ScenarioEvent;

/// <summary>
/// A walsender acquires the slot and streams from it but its client never confirms anything (a stuck CDC
/// connector, a standby that cannot write): the slot is <c>active</c> and its restart_lsn frozen. The invalidating
/// checkpoint terminates that walsender first (13+). For slots without a consumer (<c>consumer: none</c>).
/// </summary>
public sealed record HoldSlot(string Slot) : ScenarioEvent;

/// <summary>The client of a <see cref="HoldSlot"/> disconnects: the slot becomes inactive.</summary>
public sealed record ReleaseSlot(string Slot) : ScenarioEvent;

/// <summary>A session opens a transaction and takes an xid (a step's <see cref="LongTransaction"/>): logical slots
/// cannot move their restart_lsn past the running_xacts logged before it until it ends (retention-model.md §12.2).
/// <see cref="Write"/>: the transaction's first statement writes this much WAL (an INSERT), which takes its xid and
/// moves the insert position; zero = a pin only (the harness's first record is a few dozen bytes).</summary>
public sealed record BeginTransaction(string Name, ByteCount Write = default) : ScenarioEvent;

/// <summary>The transaction <see cref="BeginTransaction"/> opened commits.</summary>
public sealed record EndTransaction(string Name) : ScenarioEvent;

/// <summary>A marker step that changes nothing (a place to attach expectations).</summary>
public sealed record Observe : ScenarioEvent;

/// <summary>
/// The primary is lost (<see cref="Planned"/> false: a crash, WAL it wrote that <see cref="To"/> had not received
/// is gone) or shut down for a switchover (true: its last WAL reaches the standby), and standby <see cref="To"/> is
/// promoted. walsim reports, for each logical slot with a consumer, what the new primary has and what the consumer
/// would miss or receive twice; the old primary stops and the promoted standby runs on as the primary.
/// </summary>
public sealed record Failover(string To, bool Planned) : ScenarioEvent;

/// <summary>
/// After a switchover, the old primary <see cref="Node"/> starts again as a standby of <see cref="Upstream"/> (the
/// promoted one). It keeps its pg_wal and its slots — its failover slots are now stale copies that pin its WAL until
/// its own cap invalidates them — and with <see cref="SlotSync"/> native, PostgreSQL 17's worker stops on them
/// ("same name slot … already exists on the standby") every 10 s. After a crash failover the old primary is rewound
/// first (pg_rewind removes its slots and replaces its diverged WAL): it rejoins with its pg_wal but no slots.
/// </summary>
public sealed record Rejoin(string Node, string Upstream, SlotSyncMechanism SlotSync) : ScenarioEvent;

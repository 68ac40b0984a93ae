using System.Globalization;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>What a slot synchronization message on a 17+ standby says (<c>logical/slotsync.c</c>).</summary>
public enum SlotSyncMessageKind
{
    /// <summary>"slot sync worker started" (LOG, <c>ReplSlotSyncWorkerMain</c>).</summary>
    WorkerStarted,
    /// <summary>"newly created replication slot "x" is sync-ready now" (LOG): a temporary copy was persisted.</summary>
    SyncReady,
    /// <summary>"could not synchronize replication slot "x"": LOG for a temporary copy, DEBUG1 for a persistent one; the
    /// DETAIL names the remote slot's and the copy's positions (the remote is behind the copy) or the LSN from which
    /// no consistent snapshot was found.</summary>
    CouldNotSynchronize,
    /// <summary>"dropped replication slot "x" of database with OID n" (LOG, <c>drop_local_obsolete_slots</c>).</summary>
    Dropped,
    /// <summary>"exiting from slot synchronization because same name slot "x" already exists on the standby" (ERROR):
    /// a slot the standby did not synchronize has the remote's name (a demoted primary's own failover slot).</summary>
    SameNameSlotExists,
    /// <summary>"skipping slot synchronization because the received slot sync LSN … for slot "x" is ahead of the
    /// standby position …" (LOG in the worker, ERROR from <c>pg_sync_replication_slots()</c>).</summary>
    AheadOfStandby,
}

/// <summary>
/// One slot synchronization message, with the positions its DETAIL names when it names them: "the remote slot needs
/// WAL at LSN R and catalog xmin r, but the standby has LSN L and catalog xmin l" (17.0+ wording).
/// </summary>
public sealed record LoggedSlotSync(SlotSyncMessageKind Kind, string? Slot, string Text)
{
    public Lsn? RemoteRestartLsn { get; init; }
    public uint? RemoteCatalogXmin { get; init; }
    public Lsn? LocalRestartLsn { get; init; }
    public uint? LocalCatalogXmin { get; init; }
}

/// <summary>
/// The grammar of the replication messages walsim reads besides checkpoints (<see cref="CheckpointMessages"/>): slot
/// synchronization on a 17+ standby (<c>logical/slotsync.c</c>, REL_17_STABLE and REL_18_STABLE, identical wording)
/// and promotion (<c>xlogrecovery.c</c>/<c>xlog.c</c> 12–18). English only, like every message walsim reads.
/// </summary>
public static partial class ReplicationMessages
{
    [GeneratedRegex(@"^newly created replication slot ""(?<slot>[^""]+)"" is sync-ready now")]
    private static partial Regex SyncReadyPattern();

    [GeneratedRegex(@"^could not synchronize replication slot ""(?<slot>[^""]+)""")]
    private static partial Regex CouldNotSynchronizePattern();

    [GeneratedRegex(@"^dropped replication slot ""(?<slot>[^""]+)"" of database with OID \d+")]
    private static partial Regex DroppedPattern();

    [GeneratedRegex(@"^exiting from slot synchronization because same name slot ""(?<slot>[^""]+)"" already exists on the standby")]
    private static partial Regex SameNamePattern();

    [GeneratedRegex(@"^skipping slot synchronization because the received slot sync LSN [0-9A-F]+/[0-9A-F]+ for slot ""(?<slot>[^""]+)"" is ahead of the standby position")]
    private static partial Regex AheadPattern();

    // update_local_synced_slot's DETAIL (17.0–18): the remote slot is behind the copy (restart_lsn or catalog_xmin).
    [GeneratedRegex(@"remote slot needs WAL at LSN (?<rl>[0-9A-F]+/[0-9A-F]+) and catalog xmin (?<rx>\d+), but the standby has LSN (?<ll>[0-9A-F]+/[0-9A-F]+) and catalog xmin (?<lx>\d+)")]
    private static partial Regex PrecedesDetailPattern();

    // update_and_persist_local_synced_slot's DETAIL: no consistent snapshot from the copy's restart_lsn.
    [GeneratedRegex(@"could not build a consistent snapshot to decode WALs at LSN (?<ll>[0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex NoSnapshotDetailPattern();

    [GeneratedRegex(@"^selected new timeline ID: (?<tli>\d+)")]
    private static partial Regex NewTimelinePattern();

    /// <summary>A slot synchronization message (any level); null for anything else. <paramref name="detailFollows"/>:
    /// the positions come in the DETAIL line, joined with <see cref="WithDetail"/>.</summary>
    public static LoggedSlotSync? ParseSlotSync(string message, out bool detailFollows)
    {
        detailFollows = false;
        if (message.StartsWith("slot sync worker started", StringComparison.Ordinal))
            return new LoggedSlotSync(SlotSyncMessageKind.WorkerStarted, null, message);
        if (SyncReadyPattern().Match(message) is { Success: true } ready)
            return new LoggedSlotSync(SlotSyncMessageKind.SyncReady, ready.Groups["slot"].Value, message);
        if (CouldNotSynchronizePattern().Match(message) is { Success: true } could)
        {
            detailFollows = true;
            return new LoggedSlotSync(SlotSyncMessageKind.CouldNotSynchronize, could.Groups["slot"].Value, message);
        }
        if (DroppedPattern().Match(message) is { Success: true } dropped)
            return new LoggedSlotSync(SlotSyncMessageKind.Dropped, dropped.Groups["slot"].Value, message);
        if (SameNamePattern().Match(message) is { Success: true } same)
            return new LoggedSlotSync(SlotSyncMessageKind.SameNameSlotExists, same.Groups["slot"].Value, message);
        if (AheadPattern().Match(message) is { Success: true } ahead)
            return new LoggedSlotSync(SlotSyncMessageKind.AheadOfStandby, ahead.Groups["slot"].Value, message);
        return null;
    }

    /// <summary>"could not synchronize" joined with its DETAIL: the remote's and the copy's positions.</summary>
    public static LoggedSlotSync WithDetail(LoggedSlotSync message, string detail)
    {
        var joined = message with { Text = message.Text + " DETAIL: " + detail };
        if (PrecedesDetailPattern().Match(detail) is { Success: true } p)
            return joined with
            {
                RemoteRestartLsn = Lsn.Parse(p.Groups["rl"].Value),
                RemoteCatalogXmin = uint.Parse(p.Groups["rx"].Value, CultureInfo.InvariantCulture),
                LocalRestartLsn = Lsn.Parse(p.Groups["ll"].Value),
                LocalCatalogXmin = uint.Parse(p.Groups["lx"].Value, CultureInfo.InvariantCulture),
            };
        if (NoSnapshotDetailPattern().Match(detail) is { Success: true } n)
            return joined with { LocalRestartLsn = Lsn.Parse(n.Groups["ll"].Value) };
        return joined;
    }

    /// <summary>"received promote request" (LOG, <c>CheckForStandbyTrigger</c>): <c>pg_ctl promote</c> or <c>pg_promote()</c>.</summary>
    public static bool IsPromoteRequest(string message) =>
        message.StartsWith("received promote request", StringComparison.Ordinal);

    /// <summary>"selected new timeline ID: 2" (LOG, end of recovery) → 2.</summary>
    public static int? ParseNewTimeline(string message) =>
        NewTimelinePattern().Match(message) is { Success: true } m ? int.Parse(m.Groups["tli"].Value, CultureInfo.InvariantCulture) : null;
}

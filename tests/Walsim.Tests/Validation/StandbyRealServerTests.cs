using Npgsql;
using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Units;
using Xunit.Abstractions;

namespace Walsim.Tests.Validation;

/// <summary>
/// Standbys on real servers (docs/design/failover.md §2, §4): a throwaway primary and a streaming standby
/// (<see cref="ReplicaSet"/>, 1 MiB segments) driven step by step (<see cref="StandbyDriver"/>); every restartpoint
/// the standby logs, performed or skipped, is replayed through <see cref="RestartpointDecision"/> and must agree.
/// The counts asserted here are the worked vectors the engine's standby must reproduce; they are the same on every
/// version listed (segment numbers relative to the base backup's redo segment B, which initdb's WAL puts at 6–9).
/// </summary>
public class StandbyRealServerTests(ITestOutputHelper output)
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static PostgresInstall Install(int major) =>
        PostgresInstall.Find(major, PostgresInstall.DefaultRoot())
        ?? throw new Xunit.Sdk.XunitException($"PostgreSQL {major} binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");

    /// <summary>Every decision agreed, every restartpoint was pinned by the observations, and the table is in the output.</summary>
    private void AssertAgrees(StandbyDriver d, int restartpoints)
    {
        var run = d.Result("standby");
        var table = new StringWriter();
        ValidationReport.WriteTable(table, run);
        output.WriteLine(table.ToString());
        Assert.All(run.Decisions, x => Assert.True(x.Agrees, $"step {x.Step} {x.Subject} {x.Field}: model {x.Predicted}, server {x.Observed}; {x.Inputs}"));
        Assert.Equal((restartpoints, 0), (d.RestartpointsCompared, d.RestartpointsUnobserved));
    }

    /// <summary><paramref name="segments"/> segments, a CHECKPOINT on the primary, and the standby has replayed it: a
    /// newer checkpoint for the standby to restart from.</summary>
    private static async Task ReplayedPrimaryCheckpointAsync(StandbyDriver d, int segments)
    {
        if (segments > 0) await d.WriteSegmentsAsync(segments, Ct);
        await d.PrimaryAsync("CHECKPOINT", Ct);
        await d.WaitForReplayAsync(Ct);
    }

    /// <summary>
    /// CHECKPOINT on the standby once a newer primary checkpoint has been replayed: a restartpoint from that
    /// checkpoint's redo. Usually the CHECKPOINT performs it. But the segments replayed before asked the checkpointer
    /// for restartpoints of their own (XLogCheckpointNeeded), and each is skipped only when the checkpointer gets to
    /// it; on a loaded machine one can still be pending when the checkpoint record is replayed, and the checkpointer
    /// then performs it from that record first — the CHECKPOINT is skipped, "already performed at" the same redo.
    /// Either way the standby restarted from the newest checkpoint, with the same outcome (CreateRestartPoint does not
    /// look at who asked); the driver compares whichever restartpoint the log shows.
    /// </summary>
    private async Task RestartsFromNewestAsync(StandbyDriver d, ReplicaSet set)
    {
        var redo = await PrimaryRedoAsync(d);
        if (!await d.StandbyCheckpointAsync(Ct))
        {
            output.WriteLine($"restartpoint from {redo}: performed by the checkpointer before the CHECKPOINT asked");
            Assert.Equal(redo, set.Standby.Log.SkippedRestartpoints[^1].PerformedAt);
        }
        Assert.Equal(redo, d.Standby.RedoLsn);
        Assert.Equal((Lsn?)redo, LastRestartpoint(set).RedoLsn);
    }

    /// <summary>17+: a logical slot with failover = true (the fifth argument), decoded by test_decoding.</summary>
    private static Task CreateFailoverSlotAsync(StandbyDriver d, string name) =>
        d.PrimaryAsync($"SELECT pg_create_logical_replication_slot('{name}', 'test_decoding', false, false, true)", Ct);

    /// <summary>
    /// The slot's consumer reads everything: decoding passes a running_xacts logged after the last transaction, so
    /// confirmed_flush, restart_lsn and catalog_xmin all move. pg_log_standby_snapshot() does not flush its record and
    /// decoding stops at the flush position; the switch flushes it without assigning an xid (which would make the
    /// standby's horizon newer again).
    /// </summary>
    private static async Task ConsumeAsync(StandbyDriver d, string slot)
    {
        await d.PrimaryAsync("SELECT pg_log_standby_snapshot()", Ct);
        await d.PrimaryAsync("SELECT pg_switch_wal()", Ct);
        await d.PrimaryAsync($"SELECT count(*) FROM pg_logical_slot_get_changes('{slot}', NULL, NULL)", Ct);
    }

    private static readonly KeyValuePair<string, string>[] Logical = [new("wal_level", "logical")];

    private static LoggedCheckpoint LastRestartpoint(ReplicaSet set) => set.Standby.Log.Restartpoints[^1];

    private static (int Added, int Removed, int Recycled) Counts(LoggedCheckpoint c) => (c.Added, c.Removed, c.Recycled);

    // ------------------------------------------------------------------------------------------------------------
    // (a) When a standby restarts, and what it removes.
    //
    // Standby: min_wal_size=2MB, max_wal_size=4MB (CheckPointSegments 2: its replay asks for a restartpoint at every
    // segment or two, and each is skipped, no newer checkpoint having been replayed), wal_keep_size=3MB (12:
    // wal_keep_segments=3). Primary: checkpoints only when told. Worked vector, identical on 12.22 … 18.4:
    //   CHECKPOINT right after the base backup             skipped ("already performed at" the backup's redo)
    //   4 segments, primary CHECKPOINT (redo in B+5)       restartpoint 1: distance 5120 kB, estimate 5120 kB;
    //                                                      keep B+2 (wal_keep) → B, B+1 go; recycleSegNo clamped to
    //                                                      redo + max_wal_size − 1 = B+8, free names B+6..B+8:
    //                                                      0 added, 0 removed, 2 recycled; files B+2..B+7 (6)
    //   CHECKPOINT again                                   skipped ("already performed at" that redo)
    //   6 segments, primary CHECKPOINT (redo in B+11)      restartpoint 2: 6144 kB / 6144 kB; keep B+8: 6 files
    //                                                      go, free names B+12..B+14: 3 recycled, 3 removed; 7 files
    //   primary CHECKPOINT (redo in B+11 again), replay    restartpoint 3: endptr = the received position, 5
    //   paused, 5 segments received but not replayed       segments past the replayed one: wal_keep counts from
    //                                                      it, so keep = the redo segment B+11 and B+8..B+10 go —
    //                                                      counted from the replay position it would be B+8 and
    //                                                      nothing would go; recycled names would start above the
    //                                                      received segment, past recycleSegNo: 3 removed, 0
    //                                                      recycled; distance 0 kB (176 bytes), estimate 5529 kB
    //   replay resumed, primary CHECKPOINT (B+16)          restartpoint 4: 5119 kB, 5488 kB; 2 recycled; 6 files
    // ------------------------------------------------------------------------------------------------------------

    [RealServerTheory(12, 13, 14, 15, 16, 17, 18)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task A_standby_restarts_only_from_a_newer_replayed_primary_checkpoint_and_removes_what_the_model_predicts_from_max_of_received_and_replayed(int major)
    {
        KeyValuePair<string, string>[] standby =
        [
            new("min_wal_size", "2MB"), new("max_wal_size", "4MB"),
            major == 12 ? new("wal_keep_segments", "3") : new("wal_keep_size", "3MB"),
        ];
        await using var set = await ReplicaSet.StartAsync(Install(major), Seg, [], standby, keep: false, Ct);
        await using var d = await StandbyDriver.StartAsync(set, Seg, [], Ct);
        var backupRedo = d.Standby.RedoLsn;

        Assert.False(await d.StandbyCheckpointAsync(Ct));
        Assert.Equal(backupRedo, set.Standby.Log.SkippedRestartpoints[^1].PerformedAt);

        await ReplayedPrimaryCheckpointAsync(d, 4);
        await RestartsFromNewestAsync(d, set);
        Assert.Equal(((0, 0, 2), 5120L, 5120L), (Counts(LastRestartpoint(set)), LastRestartpoint(set).DistanceKb, LastRestartpoint(set).EstimateKb));
        Assert.Equal(6, d.Standby.Files.Count);
        var first = d.Standby.RedoLsn;
        Assert.Equal(Seg.SegmentOf(backupRedo) + 5, Seg.SegmentOf(first));

        Assert.False(await d.StandbyCheckpointAsync(Ct));
        Assert.Equal(first, set.Standby.Log.SkippedRestartpoints[^1].PerformedAt);

        await ReplayedPrimaryCheckpointAsync(d, 6);
        await RestartsFromNewestAsync(d, set);
        Assert.Equal((0, 3, 3), Counts(LastRestartpoint(set)));
        Assert.Equal(7, d.Standby.Files.Count);

        // A checkpoint replayed, then replay paused while five more segments arrive: endptr = the received position.
        await ReplayedPrimaryCheckpointAsync(d, 0);
        await d.PauseReplayAsync(Ct);
        await d.WriteSegmentsAsync(5, Ct);
        await d.WriteRecordAsync(Ct);
        await d.WaitForReceiveAsync(Ct);
        var paused = d.Standby;
        Assert.Equal(5UL, Seg.SegmentOf(paused.Received).Value - Seg.SegmentOf(paused.Replayed).Value);
        await RestartsFromNewestAsync(d, set);
        Assert.Equal((0, 3, 0), Counts(LastRestartpoint(set)));
        var redo = d.Standby.RedoLsn;
        Assert.Equal(Seg.SegmentOf(redo), d.Standby.Files.Oldest);
        // The same restartpoint counted from the replay position alone would have kept three more files.
        var fromReplay = RestartpointDecision.Decide(d.StandbySettings, new RestartpointInputs(
            new NodeWalState(paused.RedoLsn, 0, default, new WalDirectory(paused.Files.Oldest, paused.Files.Newest)), redo, Lsn.Invalid, paused.Replayed))!;
        Assert.Equal(Seg.SegmentOf(redo) - 3, fromReplay.Checkpoint.Keep);

        await d.ResumeReplayAsync(Ct);
        await ReplayedPrimaryCheckpointAsync(d, 0);
        await RestartsFromNewestAsync(d, set);
        Assert.Equal((0, 0, 2), Counts(LastRestartpoint(set)));

        AssertAgrees(d, restartpoints: 4);
    }

    // ------------------------------------------------------------------------------------------------------------
    // (b) The standby's own max_slot_wal_keep_size, at its restartpoints.
    //
    // Standby: min_wal_size=2MB, max_wal_size=4MB, max_slot_wal_keep_size=2MB; a physical slot created there with
    // immediately_reserve gets the standby's RedoRecPtr, the backup's redo (B). Worked vector, 13.23 … 18.4:
    // 4 segments and a primary CHECKPOINT (redo in B+5, endptr in B+5); until the standby restarts the slot stays —
    // wal_status 'reserved', safe_wal_size (B + 2 + 1) MiB − 0 (the standby's write position is 0, D-8). The
    // restartpoint: KeepLogSeg 5 > 2 → keep B+3 → the slot is invalidated, exceeding the limit by 3 MiB − 40 =
    // 3,145,688 bytes (16+ DETAIL); recompute → keep B+5: B..B+4 go, free names B+6..B+8: 2 removed, 3 recycled,
    // files B+5..B+8. Nothing happens to the primary's slot for this standby (TV-F1's "primary's cdc stays valid").
    // ------------------------------------------------------------------------------------------------------------

    [RealServerTheory(13, 14, 15, 16, 17, 18)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task A_slot_on_the_standby_past_its_max_slot_wal_keep_size_is_invalidated_at_the_standby_restartpoint_and_the_primary_slot_stays_reserved(int major)
    {
        KeyValuePair<string, string>[] standby = [new("min_wal_size", "2MB"), new("max_wal_size", "4MB"), new("max_slot_wal_keep_size", "2MB")];
        await using var set = await ReplicaSet.StartAsync(Install(major), Seg, [], standby, keep: false, Ct);
        await using var d = await StandbyDriver.StartAsync(set, Seg, [], Ct);
        var backupRedo = d.Standby.RedoLsn;

        await d.StandbyAsync("SELECT pg_create_physical_replication_slot('cascade', true)", Ct);
        Assert.Equal(backupRedo, d.Standby.Slot("cascade")!.RestartLsn);
        await ReplayedPrimaryCheckpointAsync(d, 4);

        var behind = d.Standby.Slot("cascade")!;
        Assert.Equal(("reserved", (long?)((long)(Seg.SegmentOf(backupRedo).Value + 3) * Seg.Bytes)), (behind.WalStatus, behind.SafeWalSize));

        await RestartsFromNewestAsync(d, set);
        var rp = LastRestartpoint(set);
        var invalidation = Assert.Single(rp.Invalidations);
        Assert.Equal(("cascade", (Lsn?)backupRedo), (invalidation.Slot, invalidation.RestartLsn));
        if (major >= 16) Assert.Equal((long?)(3 * ByteCount.MiB - Seg.OffsetOf(backupRedo)), invalidation.ExceedsBy);
        Assert.Equal((0, 2, 3), Counts(rp));
        Assert.Equal(4, d.Standby.Files.Count);
        Assert.Equal("lost", d.Standby.Slot("cascade")!.WalStatus);

        var primary = await ServerSnapshot.ReadAsync(d.PrimarySession, major, Seg, Ct);
        Assert.Equal("reserved", primary.Slot(ReplicaSet.SlotName)!.WalStatus);
        set.Primary.ReadLog();
        Assert.DoesNotContain(set.Primary.Log.Lines, l => l.Contains("invalidating", StringComparison.Ordinal));

        AssertAgrees(d, restartpoints: 1);
    }

    // ------------------------------------------------------------------------------------------------------------
    // The checkpointer's retry after a skipped restartpoint (CheckpointerMain: "last_checkpoint_time = now -
    // CheckPointTimeout + 15"), whatever requested it: a CHECKPOINT on the standby right after the base backup is
    // skipped; a primary checkpoint replayed a moment later is not restarted from until the retry, 15 s after the
    // skip, as a timed restartpoint (TV-F9's "attempts at 300, 315, 330 … s", with checkpoint_timeout = 1d here).
    // ------------------------------------------------------------------------------------------------------------

    [RealServerTheory(12, 18)]
    [InlineData(12)]
    [InlineData(18)]
    public async Task A_skipped_restartpoint_is_retried_15_s_later_as_a_timed_one_that_restarts_from_the_checkpoint_replayed_meanwhile(int major)
    {
        await using var set = await ReplicaSet.StartAsync(Install(major), Seg, [], [], keep: false, Ct);
        await using var d = await StandbyDriver.StartAsync(set, Seg, [], Ct);

        Assert.False(await d.StandbyCheckpointAsync(Ct));
        await d.WriteRecordAsync(Ct);
        await ReplayedPrimaryCheckpointAsync(d, 0);
        var replayed = await PrimaryRedoAsync(d);
        Assert.True(d.Standby.RedoLsn < replayed, "nothing restarted from the replayed checkpoint before the retry");

        Assert.True(await d.WaitForRestartpointAsync(TimeSpan.FromSeconds(60), Ct), "no restartpoint within 60 s of the skip");
        var rp = LastRestartpoint(set);
        Assert.Equal(("time", (Lsn?)replayed), (rp.Flags, rp.RedoLsn));
        var sinceSkip = rp.StartedAt!.Value - set.Standby.Log.SkippedRestartpoints[^1].At!.Value;
        // Whole seconds (time(NULL)) on both sides, plus the checkpointer's wake-up on a loaded machine.
        Assert.InRange(sinceSkip.TotalSeconds, 14.0, 20.0);

        AssertAgrees(d, restartpoints: 1);
    }

    private static async Task<Lsn> PrimaryRedoAsync(StandbyDriver d)
    {
        await using var cmd = new NpgsqlCommand("SELECT redo_lsn::text FROM pg_control_checkpoint()", d.PrimarySession);
        return Lsn.Parse((string)(await cmd.ExecuteScalarAsync(Ct))!);
    }

    // ------------------------------------------------------------------------------------------------------------
    // (c) PostgreSQL 17+ slot synchronization and promotion (TV-F2, TV-F4), with pg_sync_replication_slots() on a
    // standby whose worker is off (sync_replication_slots = off), then the worker.
    //
    // 1. Two failover slots, cdc and idle (restart R, catalog_xmin X); CREATE TABLE on the primary assigns X, so
    //    the standby's oldest safe decoding xid becomes X+1; a primary CHECKPOINT and a standby restartpoint move
    //    the standby's redo D past R.
    // 2. pg_sync_replication_slots(): each copy is created temporary, reserved at max(R, min(D, no local slot)) = D
    //    (reserve_wal_for_local_slot, 17.8+/18.2+: TV-F2's "re-created at the standby's redo") with catalog_xmin
    //    X+1, so the remote precedes it: "could not synchronize replication slot", remote "needs WAL at LSN R and
    //    catalog xmin X", standby "has LSN D and catalog xmin X+1"; the call drops both at its end
    //    (ReplicationSlotCleanup(true), D-5): no slot on the standby.
    //    Observed: 17.10 R = 0/700028, X = 738, D = 0/717598; 18.4 R = 0/A00028, X = 752, D = 0/A18FA0.
    // 3. cdc consumed on the primary (pg_logical_slot_get_changes) past a running_xacts logged after the
    //    transaction: restart R' > D, catalog_xmin X+1. The next call persists its copy ("newly created replication
    //    slot "cdc" is sync-ready now"): synced, not temporary, confirmed_flush and catalog_xmin the remote's, and
    //    restart_lsn 176 bytes *ahead* of the remote's (advanced by decoding on the standby, D-2/U-F2).
    //    Observed (restart / confirmed_flush / catalog_xmin): 17.10 remote 0/7175B8 / 0/800000 / 739, copy 0/717668 /
    //    0/800000 / 739; 18.4 remote 0/A18FC0 / 0/B00000 / 753, copy 0/A19070 / 0/B00000 / 753.
    //    idle is refused again: a new copy's catalog_xmin is the standby's oldest safe xid, X+1 — held there by
    //    cdc's persistent copy — and idle's consumer never moved it (TV-F2's "idle … never became ready").
    // 4. The worker switched on keeps a temporary copy of idle (synced, temporary, confirmed_flush NULL).
    // 5. pg_ctl promote: "received promote request", "selected new timeline ID: 2"; cdc stays with its positions,
    //    synced = true (17 keeps the flag after promotion), not temporary; idle is gone: the worker drops its
    //    temporary copies when promotion stops it (TV-F4: a copy that was not sync-ready is missing).
    // ------------------------------------------------------------------------------------------------------------

    [RealServerTheory(17, 18)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task A_synced_failover_slot_is_temporary_until_the_primary_slot_is_consumed_past_it_and_only_persistent_copies_survive_promotion(int major)
    {
        var install = Install(major);
        var policy = Walsim.Simulator.Versions.RetentionPolicy.For(install.Version);
        await using var set = await ReplicaSet.StartAsync(install, Seg, Logical, [], keep: false, Ct);
        await using var d = await StandbyDriver.StartAsync(set, Seg, Logical, Ct);
        async Task<ObservedLogicalSlot?> Primary(string name) =>
            (await ObservedLogicalSlot.ReadAllAsync(d.PrimarySession, major, Ct)).FirstOrDefault(s => s.Name == name);
        Task<IReadOnlyList<ObservedLogicalSlot>> Standby() => ObservedLogicalSlot.ReadAllAsync(d.StandbySession, major, Ct);
        IEnumerable<LoggedSlotSync> SyncMessagesSince(int seen, string slot) => set.Standby.Log.SlotSync.Skip(seen).Where(m => m.Slot == slot);

        // 1.
        await CreateFailoverSlotAsync(d, "cdc");
        await CreateFailoverSlotAsync(d, "idle");
        await d.PrimaryAsync("CREATE TABLE t (x int)", Ct);
        await ReplayedPrimaryCheckpointAsync(d, 0);
        await RestartsFromNewestAsync(d, set);
        var remote = (await Primary("cdc"))!;
        Assert.True(remote.Failover && remote.CatalogXmin is not null);
        var standbyRedo = d.Standby.RedoLsn;
        Assert.True(standbyRedo > remote.RestartLsn);

        // 2.
        var seen = set.Standby.Log.SlotSync.Count;
        await d.StandbyAsync("SELECT pg_sync_replication_slots()", Ct);
        var refused = Assert.Single(SyncMessagesSince(seen, "cdc"));
        output.WriteLine(refused.Text);
        Assert.Equal(SlotSyncMessageKind.CouldNotSynchronize, refused.Kind);
        Assert.Equal((remote.RestartLsn, remote.CatalogXmin), (refused.RemoteRestartLsn!.Value, refused.RemoteCatalogXmin));
        Assert.Equal((standbyRedo, remote.CatalogXmin + 1), (refused.LocalRestartLsn!.Value, refused.LocalCatalogXmin));
        // The engine's rules decide the same: the copy reserves at the standby's redo (no local slot; nothing removed
        // matters on 17.8+/18.2+), and it cannot be persisted — the remote is behind it and has not moved since.
        Assert.Equal(refused.LocalRestartLsn!.Value, NativeSlotSync.Reserve(policy, remote.RestartLsn, standbyRedo, Lsn.Invalid, new SegmentNumber(0), Seg));
        Assert.False(NativeSlotSync.CanPersist(remote.RestartLsn, refused.LocalRestartLsn!.Value, remoteMovedSinceCopy: false, horizonHeldByAnotherCopy: false));
        Assert.Equal(SlotSyncMessageKind.CouldNotSynchronize, Assert.Single(SyncMessagesSince(seen, "idle")).Kind);
        Assert.Empty(await Standby());

        // 3.
        await ConsumeAsync(d, "cdc");
        var consumed = (await Primary("cdc"))!;
        Assert.True(consumed.RestartLsn > standbyRedo);
        Assert.Equal(refused.LocalCatalogXmin, consumed.CatalogXmin);
        await d.WaitForReceiveAsync(Ct);
        seen = set.Standby.Log.SlotSync.Count;
        await d.StandbyAsync("SELECT pg_sync_replication_slots()", Ct);
        Assert.Equal(SlotSyncMessageKind.SyncReady, Assert.Single(SyncMessagesSince(seen, "cdc")).Kind);
        Assert.Equal(SlotSyncMessageKind.CouldNotSynchronize, Assert.Single(SyncMessagesSince(seen, "idle")).Kind);
        var copy = Assert.Single(await Standby());
        output.WriteLine($"remote {consumed}; copy {copy}");
        Assert.Equal(("cdc", true, false), (copy.Name, copy.Synced, copy.Temporary));
        Assert.Equal((consumed.ConfirmedFlush, consumed.CatalogXmin), (copy.ConfirmedFlush, copy.CatalogXmin));
        Assert.True(copy.RestartLsn >= consumed.RestartLsn, "a copy is never behind the remote it was persisted from");
        // The engine: cdc's remote moved past the copy's reservation → persisted; idle's did not move and is behind →
        // refused, even with cdc's copy now holding the horizon (its restart_lsn is still before the reservation).
        Assert.True(NativeSlotSync.CanPersist(consumed.RestartLsn, standbyRedo, remoteMovedSinceCopy: true, horizonHeldByAnotherCopy: false));
        var idleRemote = (await Primary("idle"))!;
        Assert.False(NativeSlotSync.CanPersist(idleRemote.RestartLsn, standbyRedo, remoteMovedSinceCopy: false, horizonHeldByAnotherCopy: true));

        // 4.
        await d.StandbyAsync("ALTER SYSTEM SET sync_replication_slots = on", Ct);
        await d.StandbyAsync("SELECT pg_reload_conf()", Ct);
        var idle = await PollAsync(async () => (await Standby()).FirstOrDefault(s => s.Name == "idle"), TimeSpan.FromSeconds(60));
        Assert.Equal((true, true, Lsn.Invalid), (idle.Synced, idle.Temporary, idle.ConfirmedFlush));
        var beforePromotion = (await Standby()).Single(s => s.Name == "cdc");
        Assert.Equal(copy with { Active = false }, beforePromotion with { Active = false });

        // 5.
        await set.Standby.PromoteAsync(Ct);
        set.Standby.ReadLog();
        Assert.Equal((true, (int?)2), (set.Standby.Log.PromoteRequested, set.Standby.Log.NewTimeline));
        foreach (var line in set.Standby.Log.Lines.Where(l => l.Contains("synchroniz", StringComparison.Ordinal) || l.Contains("sync-ready", StringComparison.Ordinal)
            || l.Contains("promote", StringComparison.Ordinal) || l.Contains("timeline ID", StringComparison.Ordinal)))
            output.WriteLine(line);
        // Active aside (the worker holds a copy while it syncs it), the persistent copy is as it was.
        var survivor = Assert.Single(await Standby());
        Assert.Equal(copy with { Active = false }, survivor with { Active = false });
        // The engine's promotion rule: the persistent copy survives, the temporary one does not.
        Assert.True(NativeSlotSync.SurvivesPromotion(temporary: survivor.Temporary));
        Assert.False(NativeSlotSync.SurvivesPromotion(temporary: idle.Temporary));

        AssertAgrees(d, restartpoints: 1);
    }

    // ------------------------------------------------------------------------------------------------------------
    // A new copy's catalog_xmin is the standby's oldest safe decoding xid (GetOldestSafeDecodingTransactionId), which
    // the standby's other slots hold back, and a new slot on the primary takes the primary's likewise. cdc consumed
    // and synced (both at catalog_xmin Y); late created (Y: cdc holds the primary's horizon there), a transaction
    // after it, never consumed: its first pg_sync_replication_slots() persists it, cdc's copy holding the standby's
    // horizon at Y too. So readiness compares the remote's catalog_xmin with the oldest catalog_xmin among the
    // standby's slots (and its next xid): docs/design/failover.md §3.3's proxy ("r moved after c was created, or r was created after c's
    // catalog horizon", U-F1) says not ready here unless that horizon is taken as the standby's oldest slot
    // catalog_xmin rather than the time the copy was made. Observed: 17.10 Y = 739, 18.4 Y = 753.
    // ------------------------------------------------------------------------------------------------------------

    [RealServerTheory(17, 18)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task A_failover_slot_never_consumed_is_sync_ready_at_once_when_a_persistent_copy_holds_the_standbys_catalog_xmin_at_its_own(int major)
    {
        await using var set = await ReplicaSet.StartAsync(Install(major), Seg, Logical, [], keep: false, Ct);
        await using var d = await StandbyDriver.StartAsync(set, Seg, Logical, Ct);
        async Task<ObservedLogicalSlot> On(NpgsqlConnection c, string name) =>
            (await ObservedLogicalSlot.ReadAllAsync(c, major, Ct)).Single(s => s.Name == name);

        await CreateFailoverSlotAsync(d, "cdc");
        await d.PrimaryAsync("CREATE TABLE t (x int)", Ct);
        await ConsumeAsync(d, "cdc");
        await d.WaitForReceiveAsync(Ct);
        await d.StandbyAsync("SELECT pg_sync_replication_slots()", Ct);
        var cdc = await On(d.StandbySession, "cdc");
        Assert.Equal((true, false), (cdc.Synced, cdc.Temporary));

        await CreateFailoverSlotAsync(d, "late");
        await d.PrimaryAsync("INSERT INTO t VALUES (1)", Ct);
        var remote = await On(d.PrimarySession, "late");
        Assert.Equal(cdc.CatalogXmin, remote.CatalogXmin);
        await d.WaitForReplayAsync(Ct);
        var seen = set.Standby.Log.SlotSync.Count;
        await d.StandbyAsync("SELECT pg_sync_replication_slots()", Ct);
        Assert.Contains(set.Standby.Log.SlotSync.Skip(seen), m => m is { Kind: SlotSyncMessageKind.SyncReady, Slot: "late" });
        var late = await On(d.StandbySession, "late");
        output.WriteLine($"cdc copy {cdc}; late remote {remote}; late copy {late}");
        Assert.Equal((true, false, remote.ConfirmedFlush, remote.CatalogXmin), (late.Synced, late.Temporary, late.ConfirmedFlush, late.CatalogXmin));

        AssertAgrees(d, restartpoints: 0);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> read, TimeSpan patience) where T : class
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (await read() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"not seen within {patience.TotalSeconds:0} s");
            await Task.Delay(100, Ct);
        }
    }
}

using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Cli;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// The replay's decisions on hand-built samples of a PG15 primary with 16MB segments and default sizes
/// (max_wal_size=1GB, min_wal_size=80MB), so every number can be worked by hand.
/// </summary>
public sealed class LiveReplayTests
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.Default;
    private const ulong M16 = 0x1000000;

    private static string File(ulong seg) => Seg.FileName(new SegmentNumber(seg));

    /// <summary>A sample: redo at the start of <paramref name="redoSeg"/> (+0x28), pg_wal holding [oldest..newest].</summary>
    private static SampleFrame Frame(long n, ulong redoSeg, ulong writeLsn, ulong oldest, ulong newest, long? files = null,
        bool gap = false, PgVersion? version = null, params SlotSample[] slots) =>
        new(LiveFixtures.Server(n, n * 10.0, gap: gap) with
        {
            Version = version ?? new PgVersion(15, 18),
            RedoLsn = new Lsn(redoSeg * M16 + 0x28),
            CheckpointLsn = new Lsn(redoSeg * M16 + 0x60),
            CheckpointTime = LiveFixtures.T0.AddSeconds(n * 10.0 - 1),
            WriteLsn = new Lsn(writeLsn),
            InsertLsn = new Lsn(writeLsn + 8),
            OldestWalFile = File(oldest),
            NewestWalFile = File(newest),
            PgWalFiles = files ?? (long)(newest - oldest + 1),
            PgWalBytes = new ByteCount((files ?? (long)(newest - oldest + 1)) * (long)M16),
        }, slots);

    private static SlotSample Slot(string name, ulong restart, WalStatus status, long? safe, bool active = false) =>
        LiveFixtures.Physical with { Name = name, RestartLsn = new Lsn(restart), WalStatus = status, SafeWalSize = safe is { } s ? new ByteCount(s) : null, Active = active };

    private static (ReplaySummary Summary, List<Decision> Decisions) Replay(IEnumerable<SettingSample> settings, params SampleFrame[] frames)
    {
        var decisions = new List<Decision>();
        var settingRows = settings.ToList();
        var replay = new LiveReplay("samples.csv", v => SampledSettings.From(settingRows, v), decisions.Add);
        foreach (var f in frames) replay.Add(f);
        return (replay.Finish(), decisions);
    }

    private static SettingSample Setting(string name, string value, string? unit, long sample = 1) =>
        new(sample, LiveFixtures.T0, name, value, unit);

    // Worked: checkpoint with redo 0/3000028 after one at 0/2000028 (distance 16MB, the first seen: estimate = 16MB).
    // No slot: KeepLogSeg keeps from the redo segment 3, so segments 1 and 2 go. XLOGfileslop: redo + 1.9 × 16MB × 1.1
    // ends in segment 5 → ceil = 6, raised to min_wal_size's floor 3 + 80/16 − 1 = 7: names 4..7 are free, so both are
    // recycled (to 4 and 5): pg_wal holds 3, 4, 5.
    [Fact]
    public void A_checkpoint_recycles_the_segments_before_the_redo_segment_up_to_the_min_wal_size_floor()
    {
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x3000100, oldest: 1, newest: 3),
            Frame(2, redoSeg: 3, writeLsn: 0x3000200, oldest: 3, newest: 5));
        Assert.True(r.Agrees, string.Join("\n", d.Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed}")));
        Assert.Equal(["oldest_file", "files", "invalidated"], d.Select(x => x.Field));
        Assert.Equal(File(3), d[0].Predicted);
        Assert.Equal("3", d[1].Predicted);
        Assert.Equal(1, r.Checkpoints.Observed);
        Assert.Equal(16 * ByteCount.MiB, r.CheckpointLines.Single().Distance.Bytes);
    }

    [Fact]
    public void A_disagreement_is_reported_once_and_the_next_checkpoint_is_judged_from_the_servers_state()
    {
        // The server kept segment 2 (say an archive_command that the sidecar did not show): the model says 3 files
        // from 3. Next checkpoint (redo segment 4) starts from what the server showed: removes 2 and 3.
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x3000100, oldest: 1, newest: 3),
            Frame(2, redoSeg: 3, writeLsn: 0x3000200, oldest: 2, newest: 5),
            Frame(3, redoSeg: 3, writeLsn: 0x3000300, oldest: 2, newest: 5),
            Frame(4, redoSeg: 4, writeLsn: 0x4000100, oldest: 4, newest: 7));
        var wrong = d.Where(x => !x.Agrees).ToList();
        Assert.Equal(["oldest_file", "files"], wrong.Select(x => x.Field));
        Assert.All(wrong, x => Assert.Equal(1, x.Checkpoint));
        Assert.Contains("(seen at sample 3", wrong[0].Inputs); // judged again on the next sample before being reported
        Assert.True(r.CheckpointLines[1].Agrees, r.CheckpointLines[1].Difference);
        Assert.Equal(2, r.Checkpoints.Observed);
    }

    [Fact]
    public void A_sample_taken_between_pg_control_and_the_file_removal_is_judged_on_the_next_sample()
    {
        // CreateCheckPoint updates pg_control before RemoveOldXlogFiles: sample 2 sees the new redo and the old files.
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x3000100, oldest: 1, newest: 3),
            Frame(2, redoSeg: 3, writeLsn: 0x3000200, oldest: 1, newest: 3),
            Frame(3, redoSeg: 3, writeLsn: 0x3000300, oldest: 3, newest: 5));
        Assert.True(r.Agrees, string.Join("\n", d.Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed}")));
        Assert.All(d, x => Assert.Equal(3, x.Sample));
    }

    // pg_control_checkpoint() is read a moment before pg_ls_waldir() in the same statement: sample 2 shows the old
    // redo and pg_wal halfway through the checkpoint's removal (segment 1 already recycled to 4, which the listing,
    // taken during the rename, missed: 2..3). The checkpoint started from sample 1's pg_wal (1..3): the worked
    // numbers above, judged on sample 3. From 2..3 the model would say 2 files (3, 4).
    [Fact]
    public void A_listing_taken_while_a_checkpoint_removes_files_is_not_taken_for_the_state_before_it()
    {
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x3000100, oldest: 1, newest: 3),
            Frame(2, redoSeg: 2, writeLsn: 0x3000180, oldest: 2, newest: 3),
            Frame(3, redoSeg: 3, writeLsn: 0x3000200, oldest: 3, newest: 5));
        Assert.True(r.Agrees, string.Join("\n", d.Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Contains("files_before=000000010000000000000001..000000010000000000000003", d.First(x => x.Field == "files").Inputs);
    }

    // The opposite order: a checkpoint judged on the sample that first showed its redo, pg_wal listed before its
    // RemoveOldXlogFiles (1..5, inside the model's range: a logical slot moved from segment 1 to 3 with no certain
    // recompute of the global minimum, so KeepLogSeg kept from 1 or from 3). Sample 4 shows its removal finishing
    // (1 and 2 recycled as 6 and 7: 3..7) under the same redo. The next checkpoint (redo segment 6) starts from 3..7,
    // not from 1..5: from 1..5 (and segment 6 written since) the low side would keep 1..6, 6 files; the server kept 5.
    // Seen on a real 13.23 by validate's replay of step-mark-sleep-logical.
    [Fact]
    public void A_removal_seen_after_its_checkpoint_was_judged_starts_pg_wal_again_for_the_next_checkpoint()
    {
        SlotSample Cdc(ulong restart) => LiveFixtures.Logical with
        {
            Name = "cdc", RestartLsn = new Lsn(restart), ConfirmedFlushLsn = new Lsn(restart), WalStatus = WalStatus.Reserved,
            SafeWalSize = null, InvalidationReason = null, Active = false, InactiveSince = null,
        };
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x5000100, oldest: 1, newest: 5, slots: Cdc(0x1000100)),
            Frame(2, redoSeg: 2, writeLsn: 0x5000200, oldest: 1, newest: 5, slots: Cdc(0x3000100)),
            Frame(3, redoSeg: 5, writeLsn: 0x5000300, oldest: 1, newest: 5, slots: Cdc(0x3000100)),
            Frame(4, redoSeg: 5, writeLsn: 0x5000400, oldest: 3, newest: 7, slots: Cdc(0x3000100)),
            Frame(5, redoSeg: 5, writeLsn: 0x6000100, oldest: 3, newest: 7, slots: Cdc(0x3000100)),
            Frame(6, redoSeg: 6, writeLsn: 0x6000200, oldest: 3, newest: 7, slots: Cdc(0x3000100)));
        Assert.True(r.Agrees, string.Join("\n", d.Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Equal(2, r.Checkpoints.Observed);
        Assert.Equal(3, d.First(x => x.Field == "files").Sample);
        Assert.Contains("files_before=000000010000000000000003..000000010000000000000007", d.Last(x => x.Field == "files").Inputs);
        Assert.Equal("5", d.Last(x => x.Field == "files").Predicted);
    }

    // LogicalConfirmReceivedLocation recomputes the global minimum only when it moved catalog_xmin (updated_xmin), so a
    // logical slot can move from segment 1 to 3 and leave the minimum at 1. Sampled catalog_xmin says when it did: cdc
    // moved to 0/3000100 by sample 2 with catalog_xmin still 750; by sample 3 catalog_xmin is 751 — a recompute after
    // sample 2, when cdc was already at 0/3000100. The checkpoint first seen in sample 4 (redo 0/5000028, started after
    // sample 3 was read at 0/4F00300) then keeps from segment 3 for certain; with catalog_xmin unchanged (or not
    // sampled, as in files before it was) the minimum may still be segment 1 and KeepLogSeg's keep is 1..3.
    [Theory]
    [InlineData(750u, 751u, "keep=3 ")]
    [InlineData(750u, 750u, "keep=1..3 ")]
    [InlineData(null, null, "keep=1..3 ")]
    public void A_logical_slots_catalog_xmin_moving_tells_that_the_global_minimum_was_recomputed(uint? before, uint? after, string keep)
    {
        SlotSample Cdc(ulong restart, uint? xmin) => LiveFixtures.Logical with
        {
            Name = "cdc", RestartLsn = new Lsn(restart), ConfirmedFlushLsn = new Lsn(restart), WalStatus = WalStatus.Reserved,
            SafeWalSize = null, InvalidationReason = null, Active = false, InactiveSince = null, CatalogXmin = xmin,
        };
        var (r, d) = Replay([],
            Frame(1, redoSeg: 2, writeLsn: 0x4F00100, oldest: 1, newest: 4, slots: Cdc(0x1000100, before)),
            Frame(2, redoSeg: 2, writeLsn: 0x4F00200, oldest: 1, newest: 4, slots: Cdc(0x3000100, before)),
            Frame(3, redoSeg: 2, writeLsn: 0x4F00300, oldest: 1, newest: 4, slots: Cdc(0x3000100, after)),
            Frame(4, redoSeg: 5, writeLsn: 0x5000400, oldest: 3, newest: 7, slots: Cdc(0x3000100, after)),
            Frame(5, redoSeg: 5, writeLsn: 0x5000500, oldest: 3, newest: 7, slots: Cdc(0x3000100, after)));
        Assert.True(r.Agrees, string.Join("\n", d.Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        var files = d.First(x => x.Field == "files");
        Assert.True(files.Inputs.Contains(keep, StringComparison.Ordinal), $"{files.Sample}: {files.Inputs}");
    }

    // Worked (retention-model.md §9): max_slot_wal_keep_size = 64MB = 4 segments. A slot at 0/1000000 (segment 1), write position
    // 0/4800000 (segment 4): KeepLogSeg(currpos) = 4 − 4 = 0 → the slot's segment 1 is kept: extended? no —
    // reserved needs segment ≥ currSeg − (max_wal_size 64 segs + 1) → 1 ≥ 1: reserved. safe_wal_size =
    // (1 + 4 + 1) × 16MB − 0x4800000 = 0x6000000 − 0x4800000 = 24MB = 25165824.
    [Fact]
    public void Safe_wal_size_agrees_when_the_server_read_it_between_this_sample_and_the_next()
    {
        SettingSample[] cap = [Setting("max_slot_wal_keep_size", "64", "MB")];
        // The slot rows were read 0x1000 bytes after the write position: safe is 0x1000 less than at write_lsn.
        var (r, d) = Replay(cap,
            Frame(1, 1, 0x4800000, 1, 5, slots: Slot("rep1", 0x1000000, WalStatus.Reserved, 25165824 - 0x1000)),
            Frame(2, 1, 0x4810000, 1, 5, slots: Slot("rep1", 0x1000000, WalStatus.Reserved, 25165824 - 0x10000)));
        var safe = d.Where(x => x.Field == "safe_wal_size").ToList();
        Assert.Equal("25100288..25165824", safe[0].Predicted);
        Assert.True(safe[0].Agrees);
        Assert.True(r.Agrees);

        // A value outside the window is a disagreement: 1 byte more than at this sample's own write position.
        var (r2, d2) = Replay(cap, Frame(1, 1, 0x4800000, 1, 5, slots: Slot("rep1", 0x1000000, WalStatus.Reserved, 25165825)));
        Assert.False(r2.Agrees);
        Assert.Equal("25165824", d2.Single(x => x.Field == "safe_wal_size").Predicted);
    }

    [Fact]
    public void A_stalled_slot_past_the_cap_is_predicted_invalidated_at_the_checkpoint_that_removes_its_segment()
    {
        // Cap 64MB (4 segments). Checkpoint at redo segment 9, record in segment 9: KeepLogSeg caps the slot (segment
        // 1) at 9 − 4 = 5 → slot before 0/5000000 is invalidated; 13.4+ recomputes without it: keep from 9, so
        // segments 1..8 go: recycled into 10..13 (XLOGfileslop's floor 9 + 80/16 − 1), the other 4 removed.
        SettingSample[] cap = [Setting("max_slot_wal_keep_size", "64", "MB")];
        var (r, d) = Replay(cap,
            // safe_wal_size = (1 + 4 + 1) × 16MB − 0x9000100: negative, past the cap.
            Frame(1, 8, 0x9000100, 1, 9, slots: Slot("cdc", 0x1000000, WalStatus.Unreserved, -0x3000100)),
            Frame(2, 9, 0x9000200, 9, 13, slots: Slot("cdc", 0x1000000, WalStatus.Lost, null)));
        var inv = d.Single(x => x.Field == "invalidated");
        Assert.Equal(("cdc", "cdc"), (inv.Predicted, inv.Observed));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Equal(LiveFixtures.T0.AddSeconds(20).AddTicks(1234560), r.Slots.Single().FirstLost);
    }

    // A streaming logical consumer caught up on an idle 15.18 (retention-model.md §12.2): cdc active, restart_lsn
    // 0/1000000 (segment 1), confirmed_flush 0/9000028 = the end of WAL = the next CHECKPOINT's redo, where it logs its
    // running_xacts. Cap 64MB (4 segments): KeepLogSeg keeps from 9 − 4 = 5. If the checkpoint checks the slot first,
    // cdc (0/1000000 < 0/5000000) is invalidated and the horizon recomputed to 9: 1..8 go, pg_wal 9..13 (5 files). If
    // the walsender takes that running_xacts first (LogicalIncreaseRestartDecodingForSlot, restart_lsn 0/9000028), cdc
    // survives and keep stays 5: 1..4 are recycled into 10..13, pg_wal 5..13 (9 files). A sample showing cdc alive at
    // 0/9000028 after the checkpoint is the second outcome (seen on a real 13.23 under walsim validate), not a disagreement.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_logical_slot_whose_walsender_took_the_checkpoints_running_xacts_first_survives_it(bool walsenderFirst)
    {
        SettingSample[] cap = [Setting("max_slot_wal_keep_size", "64", "MB")];
        static SlotSample Cdc(ulong restart, WalStatus status, long? safe) => new("cdc", Walsim.Simulator.Scenarios.SlotKind.Logical, "test_decoding", "postgres", false,
            true, 4242, new Lsn(restart), new Lsn(0x9000028), status, safe is { } b ? new ByteCount(b) : null, false, false, null, null, null, null);
        var after = walsenderFirst
            // safe_wal_size = (9 + 4 + 1) × 16MB − 0x9000200
            ? Frame(2, 9, 0x9000200, 5, 13, slots: Cdc(0x9000028, WalStatus.Reserved, 0xE000000 - 0x9000200))
            : Frame(2, 9, 0x9000200, 9, 13, slots: Cdc(0, WalStatus.Lost, null));
        var (r, d) = Replay(cap,
            // safe_wal_size = (1 + 4 + 1) × 16MB − 0x9000028
            Frame(1, 8, 0x9000028, 1, 9, slots: Cdc(0x1000000, WalStatus.Unreserved, 0x6000000 - 0x9000028)),
            after);

        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        var inv = d.Single(x => x.Field == "invalidated");
        Assert.Equal(walsenderFirst ? ("-", "-") : ("cdc", "cdc"), (inv.Predicted, inv.Observed));
        Assert.Equal(walsenderFirst, inv.Inputs.Contains("decoded its running_xacts first (cdc)", StringComparison.Ordinal));
    }

    // The slot rows are read after pg_control in each sample: sample 2 still shows the old redo, but cdc already
    // invalidated (restart_lsn NULL). The checkpoint that did it shows in sample 3; it is judged with cdc at the
    // restart_lsn it last had, and the invalidation is the one the model predicts there.
    [Fact]
    public void A_slot_seen_lost_before_its_checkpoint_is_seen_is_counted_to_that_checkpoint()
    {
        SettingSample[] cap = [Setting("max_slot_wal_keep_size", "64", "MB")];
        var lostEarly = Slot("cdc", 0, WalStatus.Lost, null);
        var (r, d) = Replay(cap,
            Frame(1, 8, 0x9000100, 1, 9, slots: Slot("cdc", 0x1000000, WalStatus.Unreserved, -0x3000100)),
            Frame(2, 8, 0x9000180, 1, 9, slots: lostEarly),
            Frame(3, 9, 0x9000200, 9, 13, slots: lostEarly));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        var inv = d.Single(x => x.Field == "invalidated");
        Assert.Equal(("cdc", "cdc", 3L), (inv.Predicted, inv.Observed, inv.Sample));
        Assert.Equal("cdc", r.CheckpointLines.Single().Invalidated);
    }

    // Issue 15 item 5: ALTER SYSTEM SET max_slot_wal_keep_size = '32MB' + pg_reload_conf() between samples 1 and 2;
    // the sidecar records 4MB at sample 1 and 32MB at sample 2. Slot at 0/1000000 (segment 1), write position
    // 0/3000100 (segment 3), lastRemovedSegNo 0 (pg_wal from segment 1). With 4MB (MBtoSegs = 0 segments of 16MB):
    // KeepLogSeg(currpos) = 3 − 0 = 3 > 1, segment 1 still there → 'unreserved', safe_wal_size = (1 + 0 + 1) × 16MB −
    // 0x3000100 = −16777472. With 32MB (2 segments): 3 − 1 = 2, not > 2 → keeps segment 1 → 'reserved', safe_wal_size =
    // (1 + 2 + 1) × 16MB − 0x3000100 = 16776960. Sample 1 is judged with the 4MB it saw, sample 2 with 32MB.
    [Fact]
    public void A_reloaded_setting_applies_from_the_first_sample_that_saw_it_not_to_the_sample_before()
    {
        SettingSample[] settings = [Setting("max_slot_wal_keep_size", "4", "MB"), Setting("max_slot_wal_keep_size", "32", "MB", sample: 2)];
        var (r, d) = Replay(settings,
            Frame(1, 2, 0x3000100, 1, 3, slots: Slot("rep1", 0x1000000, WalStatus.Unreserved, -0x1000100)),
            Frame(2, 2, 0x3000100, 1, 3, slots: Slot("rep1", 0x1000000, WalStatus.Reserved, 0x1000000 - 0x100)));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Equal([("unreserved", 1L), ("reserved", 2L)], d.Where(x => x.Field == "wal_status").Select(x => (x.Predicted, x.Sample)));
        Assert.Equal(["-16777472", "16776960"], d.Where(x => x.Field == "safe_wal_size").Select(x => x.Predicted));
    }

    // The same reload taken by the sampling backend between a sample's slot statement and its pg_settings statement
    // (PostgresMain handles a pending SIGHUP before each message): sample 2 records 32MB, yet its slot row was computed
    // under 4MB ('unreserved', −16777472). Seen on a real 15.18 by validate's replay of 019 (safe_wal_size NULL under
    // -1, 7339600 under the 6MB the same sample read). Either value agrees on that first sample; sample 3 is held to
    // 32MB alone, and sample 1 (before the change) to 4MB alone, as above.
    [Fact]
    public void The_first_sample_that_read_a_reload_may_show_slot_columns_under_either_value()
    {
        SettingSample[] settings = [Setting("max_slot_wal_keep_size", "4", "MB"), Setting("max_slot_wal_keep_size", "32", "MB", sample: 2)];
        var unreserved = Slot("rep1", 0x1000000, WalStatus.Unreserved, -0x1000100);
        var (r, d) = Replay(settings,
            Frame(1, 2, 0x3000100, 1, 3, slots: unreserved),
            Frame(2, 2, 0x3000100, 1, 3, slots: unreserved),
            Frame(3, 2, 0x3000100, 1, 3, slots: unreserved));
        var wrong = d.Where(x => !x.Agrees).Select(x => (x.Sample, x.Field, x.Predicted)).ToList();
        Assert.Equal([(3L, "wal_status", "reserved"), (3L, "safe_wal_size", "16776960")], wrong);
        Assert.Contains("settings before the reload", d.Single(x => x.Sample == 2 && x.Field == "wal_status").Inputs);
        Assert.Equal(("unreserved", true), (d.Single(x => x.Sample == 2 && x.Field == "wal_status").Predicted, r.Fields.Single(f => f.Field == "wal_status").Agreed == 2));
    }

    private static readonly PgVersion Pg18 = new(18, 4);

    /// <summary>Slot rep1 on 18, released at <paramref name="inactiveSince"/> seconds after T0 (it never moves: segment 1).</summary>
    private static SlotSample Idle(double inactiveSince, WalStatus status, string? reason = null) =>
        Slot("rep1", 0x1000000, status, null) with { InactiveSince = LiveFixtures.T0.AddSeconds(inactiveSince), InvalidationReason = reason };

    // Issue 20 item 4, PostgreSQL 18 (slot.c DetermineSlotInvalidationCause, RS_INVAL_IDLE_TIMEOUT; called from
    // CreateCheckPoint after CheckPointGuts and UpdateControlFile, REL_18_STABLE): idle_replication_slot_timeout = 240s,
    // rep1 released at T0 − 225 s. The checkpoint whose redo moves from segment 2 to 3 started long before (its
    // checkpoint_time T0 − 50 s: idle 175 s, under the timeout) and ended between sample 1 (T0 + 10.12 s: idle 235.1 s)
    // and sample 2 (idle 245.1 s): only its end can time the slot out, and the window contains 240 s, so both outcomes
    // are possible; the server shows it lost (idle_timeout). Without the slot the recomputed horizon is the redo
    // segment 3: segments 1 and 2 recycled to 4 and 5 (the worked numbers above); with it, nothing goes.
    [Fact]
    public void An_idle_timeout_is_checked_at_the_end_of_a_spread_checkpoint_and_the_lost_slot_stops_holding_wal()
    {
        SettingSample[] timeout = [Setting("idle_replication_slot_timeout", "240", "s")];
        var (r, d) = Replay(timeout,
            Frame(1, 2, 0x3000100, 1, 3, version: Pg18, slots: Idle(-225, WalStatus.Reserved)),
            Frame(2, 3, 0x3000200, 3, 5, version: Pg18, slots: Idle(-225, WalStatus.Lost, "idle_timeout")) is var f2
                ? f2 with { Server = f2.Server with { CheckpointTime = LiveFixtures.T0.AddSeconds(-50) } } : null!,
            // The next checkpoint (redo segment 4): the lost slot holds nothing; segment 3 is recycled.
            Frame(3, 4, 0x4000200, 4, 6, version: Pg18, slots: Idle(-225, WalStatus.Lost, "idle_timeout")));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        var inv = d.Where(x => x.Field == "invalidated").ToList();
        Assert.Equal(("-..rep1", "rep1"), (inv[0].Predicted, inv[0].Observed));
        Assert.Equal(("-", "-"), (inv[1].Predicted, inv[1].Observed));
        Assert.Equal(["reserved", "lost", "lost"], d.Where(x => x.Field == "wal_status").Select(x => x.Predicted));
        Assert.Equal(($"{File(1)}..{File(3)}", File(3)), d.Where(x => x.Field == "oldest_file").Select(x => (x.Predicted, x.Observed)).First());

        // Idle for 250.1 s already at sample 1: the checkpoint that ended after it certainly timed the slot out, and a
        // server that did not is a disagreement.
        var (r2, d2) = Replay(timeout,
            Frame(1, 2, 0x3000100, 1, 3, version: Pg18, slots: Idle(-240, WalStatus.Reserved)),
            Frame(2, 3, 0x3000200, 1, 5, version: Pg18, slots: Idle(-240, WalStatus.Reserved)));
        Assert.False(r2.Agrees);
        Assert.Equal(("rep1", "-"), d2.Where(x => x.Field == "invalidated").Select(x => (x.Predicted, x.Observed)).Single());
    }

    // 18.4 (slot.c InvalidatePossiblyObsoleteSlot; slotfuncs.c pg_get_replication_slots, REL_18_STABLE): the
    // checkpointer marks an inactive slot invalidated while holding it (active_pid = its own pid) until
    // ReplicationSlotSave has written it, and pg_get_replication_slots shows an invalidated slot whose active_pid is set
    // as unreserved with a NULL safe_wal_size. A sample caught that moment (validate's replay of
    // step-idle-timeout-spread-checkpoint on 18.4: sample 2024 active, idle_timeout, unreserved; sample 2025 lost). The
    // same timed-out slot as above, seen so at sample 2: it is the checkpoint's invalidation, not a slot that is merely
    // unreserved (the model would say reserved: segment 1 is far inside the files kept).
    [Fact]
    public void A_slot_shown_unreserved_while_the_checkpointer_holds_it_to_save_its_invalidation_is_invalidated()
    {
        SettingSample[] timeout = [Setting("idle_replication_slot_timeout", "240", "s")];
        var held = Idle(-225, WalStatus.Unreserved, "idle_timeout") with { Active = true, ActivePid = 17098 };
        var (r, d) = Replay(timeout,
            Frame(1, 2, 0x3000100, 1, 3, version: Pg18, slots: Idle(-225, WalStatus.Reserved)),
            Frame(2, 3, 0x3000200, 1, 5, version: Pg18, slots: held) is var f2
                ? f2 with { Server = f2.Server with { CheckpointTime = LiveFixtures.T0.AddSeconds(-50) } } : null!,
            Frame(3, 3, 0x3000200, 3, 5, version: Pg18, slots: Idle(-225, WalStatus.Lost, "idle_timeout")));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Equal(["reserved", "unreserved", "lost"], d.Where(x => x.Field == "wal_status").Select(x => x.Predicted));
        Assert.Equal(["null", "null"], d.Where(x => x.Field == "safe_wal_size").Skip(1).Select(x => x.Predicted));
        Assert.Equal("rep1", d.First(x => x.Field == "invalidated").Observed);
    }

    // Issue 15 item 6, 18.4 with WAL-requested spread checkpoints: CreateCheckPoint updates pg_control, then
    // InvalidateObsoleteReplicationSlots, then RemoveOldXlogFiles. Sample 2 fell between the last two: redo moved to
    // segment 9, cdc already lost, segments 1..8 still in pg_wal. Sample 3 already shows the next checkpoint (redo 10):
    // the first checkpoint's removal is never seen on its own. Cap 64MB: the worked numbers of the stalled-slot test
    // above (keep 9 → files 9..13). It is the pg_control race again: the files are judged on the next sample, and when
    // that one is past another checkpoint they are not judged (a note says so), while the invalidation is.
    [Fact]
    public void On_18_a_sample_between_the_invalidation_and_the_removal_is_a_race_not_a_disagreement()
    {
        SettingSample[] cap = [Setting("max_slot_wal_keep_size", "64", "MB")];
        var lost = Slot("cdc", 0, WalStatus.Lost, null) with { InvalidationReason = "wal_removed" };
        var (r, d) = Replay(cap,
            Frame(1, 8, 0x9000100, 1, 9, version: Pg18, slots: Slot("cdc", 0x1000000, WalStatus.Unreserved, -0x3000100)),
            Frame(2, 9, 0x9000200, 1, 9, version: Pg18, slots: lost),
            Frame(3, 10, 0xA000200, 10, 14, version: Pg18, slots: lost));
        Assert.True(r.Agrees, string.Join("\n", d.Where(x => !x.Agrees).Select(x => $"{x.Sample} {x.Field}: {x.Predicted} vs {x.Observed} ({x.Inputs})")));
        Assert.Equal(("cdc", "cdc"), d.Where(x => x.Field == "invalidated").Select(x => (x.Predicted, x.Observed)).First());
        Assert.Contains(r.Notes, n => n.Contains("between its invalidations and its file removal", StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_is_compared_across_a_gap_the_horizon_is_taken_from_the_oldest_file_after_it()
    {
        var (r, d) = Replay([],
            Frame(1, 2, 0x3000100, 1, 3),
            Frame(2, 7, 0x8000100, 6, 12, gap: true),
            Frame(3, 7, 0x8000200, 6, 12));
        Assert.Empty(d);
        Assert.Equal(0, r.Checkpoints.Observed);
        Assert.Equal(1, r.Gaps);
        Assert.Equal(0, r.Wal.Intervals - 1); // only 2 → 3 measured
    }

    [Fact]
    public void Samples_of_another_major_in_the_same_file_are_refused_naming_the_file_and_the_sample()
    {
        var replay = new LiveReplay("db1.csv", v => SampledSettings.From([], v));
        replay.Add(Frame(1, 2, 0x3000100, 1, 3));
        var e = Assert.Throws<SampleFileException>(() => replay.Add(Frame(2, 2, 0x3000200, 1, 3, version: new PgVersion(16, 4))));
        Assert.Contains("db1.csv", e.Message);
        Assert.Contains("sample 2: the server changed from PostgreSQL 15.18", e.Message);
    }

    [Fact]
    public void Until_stops_the_replay_a_duration_after_the_first_sample()
    {
        var replay = new LiveReplay("s.csv", v => SampledSettings.From([], v), until: new ReplayLimit(null, TimeSpan.FromSeconds(15)));
        Assert.True(replay.Add(Frame(1, 2, 0x3000100, 1, 3)));
        Assert.True(replay.Add(Frame(2, 2, 0x3000200, 1, 3)));   // 10 s after the first
        Assert.False(replay.Add(Frame(3, 2, 0x3000300, 1, 3)));  // 20 s
        Assert.Equal(2, replay.Finish().Samples);
    }

    [Theory]
    [InlineData("1024", "MB", "1024MB")]
    [InlineData("8", "8kB", "64kB")]            // a unit with a multiplier, as pg_settings shows some block sizes
    [InlineData("-1", "MB", "-1")]              // max_slot_wal_keep_size = -1: no limit, not -1MB
    [InlineData("300", "s", "300s")]
    [InlineData("0.9", null, "0.9")]
    [InlineData("on", null, "on")]
    public void Pg_settings_values_become_the_text_postgresql_accepts(string value, string? unit, string expected) =>
        Assert.Equal(expected, SampledSettings.ToGucText(value, unit));

    [Fact]
    public void Settings_the_model_does_not_know_or_the_version_lacks_are_skipped_and_changes_apply_at_their_sample()
    {
        var s = SampledSettings.From(
        [
            Setting("wal_keep_size", "0", "MB"), Setting("wal_keep_segments", "5", null), Setting("summarize_wal", "off", null),
            Setting("max_slot_wal_keep_size", "1024", "MB", sample: 4),
        ], new PgVersion(15, 18));
        Assert.Equal([new KeyValuePair<string, string>("wal_keep_size", "0MB")], s.ChangesThrough(3));
        Assert.Equal([new KeyValuePair<string, string>("max_slot_wal_keep_size", "1024MB")], s.ChangesThrough(10));
    }
}

/// <summary><c>walsim replay</c> on files: the report, the decision CSV, and errors that name the file, line and column.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-replay-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Walsim(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private string Samples(string name, params (ServerSample, SlotSample?)[] rows)
    {
        var path = Write(name, LiveFixtures.Csv(rows));
        Write(Path.GetFileName(SampleFile.SettingsPath(path)), string.Join(",", SampleCsv.SettingsColumns) + "\n1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n");
        return path;
    }

    [Fact]
    public void Replay_prints_what_the_samples_show_and_writes_every_decision_to_csv()
    {
        var s1 = LiveFixtures.Server(1, 0);
        var s2 = LiveFixtures.Server(2, 10);
        var path = Samples("ok.csv", (s1, null), (s2, null));
        var csv = Path.Combine(_dir, "out", "decisions.csv");
        var (code, output, err) = Walsim("replay", path, "--csv", csv);
        Assert.True(code == 0, err + output);
        Assert.Contains("PostgreSQL 15.18, 16MB segments", output);
        Assert.Contains("2 samples (2 rows)", output);
        Assert.Contains("WAL written: 4kB in 10 s", output);
        Assert.Contains("checkpoints: 0 seen", output);
        Assert.StartsWith("sample,server_time,checkpoint,subject,field,predicted,observed,agrees,inputs\n", System.IO.File.ReadAllText(csv));
    }

    [Fact]
    public void A_sample_file_without_its_settings_sidecar_is_a_usage_error_naming_the_sidecar()
    {
        var path = Write("lonely.csv", LiveFixtures.Csv((LiveFixtures.Server(1), null)));
        var (code, _, err) = Walsim("replay", path);
        Assert.Equal((int)ExitCode.UsageError, code);
        Assert.Contains("lonely.settings.csv: no such file", err);
    }

    [Fact]
    public void An_lsn_that_is_not_x_slash_x_names_the_file_line_and_column()
    {
        var good = LiveFixtures.Csv((LiveFixtures.Server(1), null), (LiveFixtures.Server(2, 10), null));
        var lines = good.Split('\n');
        lines[2] = lines[2].Replace("0/3002148", "3002148");
        var path = Samples("bad.csv");
        System.IO.File.WriteAllText(path, string.Join('\n', lines));
        var (code, _, err) = Walsim("replay", path);
        Assert.Equal((int)ExitCode.InvalidScenario, code);
        Assert.Contains("bad.csv:3", err);
        Assert.Contains("write_lsn", err);
        Assert.Contains("an LSN like 0/16B3748", err);
    }

    [Fact]
    public void A_bad_until_is_refused_before_anything_is_read()
    {
        var (code, _, err) = Walsim("replay", Samples("u.csv", (LiveFixtures.Server(1), null)), "--until", "tomorrow");
        Assert.Equal((int)ExitCode.UsageError, code);
        Assert.Contains("--until: expected a duration from the first sample", err);
    }
}

/// <summary>Reading ahead on another thread changes nothing the caller sees.</summary>
public sealed class ReadAheadTests
{
    private static SampleFrame F(long n) => new(LiveFixtures.Server(n, n), []);

    private static IEnumerable<SampleFrame> Frames(int count, int failAt = -1)
    {
        for (var i = 1; i <= count; i++)
        {
            if (i == failAt) throw new SampleFileException("s.csv", i + 1, "write_lsn", "expected an LSN like 0/16B3748, got \"x\"");
            yield return F(i);
        }
    }

    [Fact]
    public void Frames_come_in_file_order_across_batches()
    {
        var seen = SampleFrames.ReadAhead(Frames(2_000), batchSize: 7).Select(f => f.Server.Sample).ToList();
        Assert.Equal(Enumerable.Range(1, 2_000).Select(i => (long)i), seen);
    }

    [Fact]
    public void A_bad_line_surfaces_after_the_frames_before_it()
    {
        var seen = new List<long>();
        var e = Assert.Throws<SampleFileException>(() =>
        {
            foreach (var f in SampleFrames.ReadAhead(Frames(100, failAt: 42), batchSize: 5)) seen.Add(f.Server.Sample);
        });
        Assert.Equal(41, seen.Count);
        Assert.Equal(43, e.Line);
    }

    [Fact]
    public void Stopping_early_stops_the_reader()
    {
        var produced = 0;
        IEnumerable<SampleFrame> Endless() { for (var i = 1; ; i++) { Interlocked.Increment(ref produced); yield return F(i); } }
        var first = SampleFrames.ReadAhead(Endless(), batchSize: 10, batches: 2).Take(15).ToList();
        Assert.Equal(15, first.Count);
        var after = Volatile.Read(ref produced);
        Thread.Sleep(50);
        Assert.Equal(after, Volatile.Read(ref produced));
        Assert.True(after <= 15 + 10 * 4, $"{after} frames were read ahead");
    }
}

/// <summary>Mixed servers in one sample file are refused at the line where the second one starts.</summary>
public sealed class MixedSampleFileTests
{
    [Fact]
    public void Another_major_version_in_the_same_file_names_the_line_and_column()
    {
        var text = LiveFixtures.Csv((LiveFixtures.Server(1), null), (LiveFixtures.Server(2, 10) with { Version = new Walsim.Simulator.Versions.PgVersion(16, 4) }, null));
        var e = Assert.Throws<SampleFileException>(() => SampleFile.Read(new StringReader(text), "mixed.csv").ToList());
        Assert.Equal("mixed.csv:3: server_version: PostgreSQL 16.4 after 15.18 (line 2): one major version per sample file (an upgrade starts a new file)", e.Message);
    }
}

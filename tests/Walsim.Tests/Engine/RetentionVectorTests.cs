using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// The worked test vectors of docs/design/retention-model.md §14 (TV-01 … TV-18) and the retention-model.md §14.1 rows observed on a live
/// 15.18 server, fed straight into the pure functions of <see cref="Retention"/>. Each test names the PostgreSQL
/// function (and branch) the expectation comes from; the numbers are the spec's.
/// </summary>
public class RetentionVectorTests
{
    internal static ServerSettings Settings(string version, int segmentMb, params (string Name, string Value)[] overrides) =>
        ServerSettings.Create(RetentionPolicy.For(PgVersion.Parse(version)), WalSegmentSize.FromMegabytes(segmentMb),
            overrides.Select(o => KeyValuePair.Create(o.Name, o.Value))); // applied in order: a later value wins

    private static Lsn L(string text) => Lsn.Parse(text);
    private static SegmentNumber S(ulong n) => new(n);
    private static WalDirectory Dir(ulong oldest, ulong newest) => new(S(oldest), S(newest));
    private static readonly SegmentNumber NothingHeldByArchiving = new(ulong.MaxValue);

    /// <summary>
    /// The tail of <c>CreateCheckPoint</c> up to removal (retention-model.md §4 families B and C), by <see cref="CheckpointDecision.Decide"/>:
    /// KeepLogSeg, then InvalidateObsoleteReplicationSlots(keep), then — 13.4+ only — recompute the minimum and
    /// KeepLogSeg again. Returns the first and final keep, the invalidated slots, and the slot minimum the server holds
    /// afterwards, which the next checkpoint starts from (13.0–13.3 never recompute it, so the invalidated slot's
    /// position stays in force).
    /// </summary>
    private static (SegmentNumber First, SegmentNumber Final, string[] Invalidated, Lsn MinAfter) CheckpointKeep(
        ServerSettings s, Lsn recptr, SegmentNumber redoSeg, params (string Name, Lsn Restart)[] slots)
    {
        var min = MinRestart(slots);
        var o = CheckpointDecision.Decide(s, new CheckpointInputs(new NodeWalState(ControlRedo: Lsn.Invalid, Estimate: 0, LastRemoved: default, Files: new WalDirectory(redoSeg, redoSeg)),
            Redo: s.SegmentSize.StartOf(redoSeg), RecPtr: recptr)
        {
            Slots = slots.Select(x => CheckpointSlot.Holding(x.Name, x.Restart)).ToArray(),
        });
        var invalidated = o.Invalidated.Select(i => i.Name).ToArray();
        var minAfter = invalidated.Length > 0 && s.Policy.RecomputesHorizonAfterInvalidation
            ? MinRestart(slots.Where(x => !invalidated.Contains(x.Name)).ToArray())
            : min;
        return (o.KeepBeforeInvalidation, o.Keep, invalidated, minAfter);
    }

    private static Lsn MinRestart((string Name, Lsn Restart)[] slots) =>
        slots.Select(x => x.Restart).Where(r => r.IsValid).DefaultIfEmpty(Lsn.Invalid).Min();

    // ---------------------------------------------------------------------------------------------- TV-01

    // CreateCheckPoint (REL_12, family A) → KeepLogSeg_12 (wal_keep_segments branch), XLOGfileslop, RemoveOldXlogFiles.
    [Fact]
    public void TV01_wal_keep_segments_on_12_keeps_100_and_recycles_2_removes_8()
    {
        var s = Settings("12.22", 16, ("wal_keep_segments", "8"));
        var redo = L("0/6A0000D8");
        var recptr = L("0/6C002F40");

        var estimate = Retention.UpdateCheckPointDistanceEstimate(33_554_432, (redo - L("0/68000028")).Bytes);
        Assert.Equal(33_554_608d, estimate);
        Assert.Equal(32768, (long)(estimate / 1024.0)); // log_checkpoints: distance=32768 kB, estimate=32768 kB

        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, s.SegmentSize.SegmentOf(redo));
        Assert.Equal(S(100), keep);

        var recycleSegNo = Retention.XLogFileSlop(s, redo, estimate);
        Assert.Equal(S(110), recycleSegNo);

        var r = Retention.RemoveOldXlogFiles(Dir(90, 108), keep - 1, recycleSegNo, recptr, NothingHeldByArchiving,
            recycleEnabled: true, lastRemoved: S(0), s.SegmentSize);
        Assert.Equal((8, 2), (r.Removed, r.Recycled));
        Assert.Equal(Dir(100, 110), r.After);
        Assert.Equal(S(99), r.LastRemoved);

        var dir = r.After;
        Assert.Equal(0, Retention.PreallocXlogFiles(ref dir, recptr, s.SegmentSize)); // offset 0x2F3F < 12,582,912
    }

    // ---------------------------------------------------------------------------------------------- TV-02

    // CreateCheckPoint: 13.0–13.3 (family B) skip the second KeepLogSeg; 13.4+ (family C, 866237a6fa) recompute and redo it.
    [Theory]
    [InlineData("13.3", 159, 158, 163)]
    [InlineData("13.4", 159, 164, 165)]
    [InlineData("13.23", 159, 164, 165)]
    [InlineData("14.0", 159, 164, 165)]
    [InlineData("15.18", 159, 164, 165)]
    [InlineData("16.0", 159, 164, 165)]
    [InlineData("17.10", 159, 164, 165)]
    [InlineData("18.4", 159, 164, 165)]
    public void TV02_slot_behind_max_slot_wal_keep_size_is_invalidated_and_only_13_4_plus_recompute_the_cutoff(
        string version, ulong firstKeep, ulong cutoff, ulong nextCutoff)
    {
        var s = Settings(version, 16, ("max_slot_wal_keep_size", "128MB"));
        (string, Lsn)[] slots = [("s1", L("0/90000000")), ("s2", L("0/A6800000"))];

        var ck = CheckpointKeep(s, L("0/A7001000"), S(165), slots);
        Assert.Equal(S(firstKeep), ck.First);
        Assert.Equal(new[] { "s1" }, ck.Invalidated);
        Assert.Equal(S(cutoff), ck.Final - 1);

        // The next checkpoint: s2 unchanged; 13.0–13.3 still hold the stale minimum 0/90000000 (retention-model.md §6.1).
        var next = Retention.KeepLogSeg(s, L("0/AC000200"), ck.MinAfter, S(170));
        Assert.Equal(S(nextCutoff), next - 1);
    }

    // InvalidateObsoleteReplicationSlots LOG line: 13.x–15.x wording vs 16+ "obsolete" + DETAIL (oldestLSN − restart_lsn).
    [Theory]
    [InlineData("13.3", "invalidating slot \"s1\" because its restart_lsn 0/90000000 exceeds max_slot_wal_keep_size")]
    [InlineData("13.4", "invalidating slot \"s1\" because its restart_lsn 0/90000000 exceeds max_slot_wal_keep_size")]
    [InlineData("15.18", "invalidating slot \"s1\" because its restart_lsn 0/90000000 exceeds max_slot_wal_keep_size")]
    [InlineData("16.0", "invalidating obsolete replication slot \"s1\"; DETAIL: The slot's restart_lsn 0/90000000 exceeds the limit by 251658240 bytes.")]
    [InlineData("18.4", "invalidating obsolete replication slot \"s1\"; DETAIL: The slot's restart_lsn 0/90000000 exceeds the limit by 251658240 bytes.")]
    public void TV02_invalidation_message_names_the_slot_and_its_restart_lsn(string version, string expected)
    {
        var policy = RetentionPolicy.For(PgVersion.Parse(version));
        var oldest = WalSegmentSize.FromMegabytes(16).StartOf(S(159)); // 0/9F000000
        Assert.Equal(expected, policy.InvalidationMessage("s1", L("0/90000000"), oldest));
    }

    // ---------------------------------------------------------------------------------------------- TV-03

    // KeepLogSeg (13+): the slot is capped to curr − 4 = 196, then wal_keep_size lowers it to curr − 16 = 184.
    [Theory]
    [InlineData("13.4")]
    [InlineData("14.23")]
    [InlineData("16.14")]
    [InlineData("18.4")]
    public void TV03_wal_keep_size_above_max_slot_wal_keep_size_keeps_184_and_the_slot_is_not_invalidated(string version)
    {
        var s = Settings(version, 16, ("wal_keep_size", "256MB"), ("max_slot_wal_keep_size", "64MB"));
        var slot = L("0/BE123456");

        var keep = Retention.KeepLogSeg(s, L("0/C8000100"), slot, S(198));
        Assert.Equal(S(184), keep);
        Assert.False(slot < s.SegmentSize.StartOf(keep)); // oldestLSN 0/B8000000 ≤ restart_lsn

        // GetWALAvailability / pg_get_replication_slots at write 0/C8400000, lastRemovedSegNo 183.
        Assert.Equal(WalStatus.Reserved, Retention.GetWalAvailability(s, slot, L("0/C8400000"), slot, S(183)));
        Assert.Equal(new ByteCount(113_246_208), Retention.SafeWalSize(s, slot, L("0/C8400000")));
    }

    // ---------------------------------------------------------------------------------------------- TV-04

    // GetWALAvailability: t ≥ oldestSlotSeg, then RESERVED iff t ≥ segno(currpos) − (max_wal_size segs + 1).
    [Theory]
    [InlineData("0/64000000", WalStatus.Extended)]
    [InlineData("0/71000000", WalStatus.Reserved)]
    public void TV04_slot_older_than_max_wal_size_is_extended_newer_is_reserved(string restart, WalStatus expected)
    {
        var s = Settings("15.18", 16, ("max_wal_size", "256MB"));
        var globalMin = L("0/64000000");
        Assert.Equal(expected, Retention.GetWalAvailability(s, L(restart), L("0/82000000"), globalMin, S(0)));
        Assert.Null(Retention.SafeWalSize(s, L(restart), L("0/82000000"))); // max_slot_wal_keep_size = -1
    }

    // ---------------------------------------------------------------------------------------------- TV-05

    // GetWALAvailability: t < oldestSlotSeg (101); UNRESERVED while t ≥ lastRemovedSegNo + 1, else REMOVED ('lost').
    [Theory]
    [InlineData(95, WalStatus.Unreserved)]
    [InlineData(100, WalStatus.Lost)]
    public void TV05_slot_past_max_slot_wal_keep_size_is_unreserved_until_its_segment_is_removed(ulong lastRemoved, WalStatus expected)
    {
        var s = Settings("14.23", 16, ("max_slot_wal_keep_size", "160MB"));
        var slot = L("0/64000100");
        Assert.Equal(expected, Retention.GetWalAvailability(s, slot, L("0/6F800000"), slot, S(lastRemoved)));
        Assert.Equal(new ByteCount(-8_388_608), Retention.SafeWalSize(s, slot, L("0/6F800000")));
    }

    // ---------------------------------------------------------------------------------------------- TV-06

    // KeepLogSeg with max_slot_wal_keep_size = 0: the slot protects nothing beyond the redo segment.
    [Theory]
    [InlineData("13.0")]
    [InlineData("13.3")]
    [InlineData("13.4")]
    [InlineData("15.18")]
    [InlineData("16.0")]
    [InlineData("18.4")]
    public void TV06_max_slot_wal_keep_size_zero_invalidates_a_slot_16_bytes_behind_the_redo_segment(string version)
    {
        var s = Settings(version, 16, ("max_slot_wal_keep_size", "0"));
        var ck = CheckpointKeep(s, L("0/33000400"), S(50), ("s", L("0/31FFFFF0")));
        Assert.Equal(new[] { "s" }, ck.Invalidated);
        Assert.Equal(S(49), ck.Final - 1); // every 13+ minor
        Assert.Equal(16, (s.SegmentSize.StartOf(ck.First) - L("0/31FFFFF0")).Bytes); // "exceeds the limit by 16 bytes"
    }

    // ---------------------------------------------------------------------------------------------- TV-07

    // CalculateCheckpointSegments: max(1, floor(MBtoSegs(max_wal_size) / (1 + checkpoint_completion_target))).
    [Theory]
    [InlineData(1, "64MB", "0.9", 33UL)]
    [InlineData(1, "64MB", "0.5", 42UL)]
    [InlineData(16, "1GB", "0.9", 33UL)]
    [InlineData(16, "1GB", "0.5", 42UL)]
    [InlineData(1, "2MB", "0.9", 1UL)]
    public void TV07_CheckPointSegments_is_max_wal_size_segments_over_one_plus_cct(int segMb, string maxWal, string cct, ulong expected)
    {
        var s = Settings("15.18", segMb, ("max_wal_size", maxWal), ("checkpoint_completion_target", cct));
        Assert.Equal(expected, s.CheckPointSegments);
    }

    // Version defaults: cct 0.5 on 12/13, 0.9 from 14 (guc.c), so 42 vs 33 with the default 1GB / 16 MiB.
    [Theory]
    [InlineData("12.22", 42UL)]
    [InlineData("13.23", 42UL)]
    [InlineData("14.0", 33UL)]
    [InlineData("18.4", 33UL)]
    public void TV07_default_CheckPointSegments_is_42_until_13_and_33_from_14(string version, ulong expected) =>
        Assert.Equal(expected, Settings(version, 16).CheckPointSegments);

    // XLogWrite → XLogCheckpointNeeded: request once the write pointer reaches segstart(segno(redo) + CheckPointSegments).
    [Theory]
    [InlineData("0.9", "0/4B00000")]
    [InlineData("0.5", "0/5400000")]
    public void TV07_wal_volume_checkpoint_is_requested_at_segstart_of_redo_segment_plus_CheckPointSegments(string cct, string expected)
    {
        var s = Settings("15.18", 1, ("max_wal_size", "64MB"), ("checkpoint_completion_target", cct));
        Assert.Equal(L(expected), Retention.CheckpointRequestLsn(s, L("0/2A00100")));
    }

    // ---------------------------------------------------------------------------------------------- TV-08

    // XLOGfileslop: ceil((redo + 1.1·(1+cct)·estimate) / SEG) = 63, clamped to [redo+min−1, redo+max−1]; max wins.
    [Theory]
    [InlineData("80MB", "64MB", 105UL)]
    [InlineData("32MB", "64MB", 73UL)]
    public void TV08_XLOGfileslop_clamps_to_min_wal_size_then_max_wal_size(string minWal, string maxWal, ulong expected)
    {
        var s = Settings("15.18", 1, ("min_wal_size", minWal), ("max_wal_size", maxWal), ("checkpoint_completion_target", "0.9"));
        Assert.Equal(S(expected), Retention.XLogFileSlop(s, L("0/2A00100"), 10_485_760));
    }

    // ---------------------------------------------------------------------------------------------- TV-09

    // UpdateCheckPointDistanceEstimate: jump up to a larger distance, else 0.9·estimate + 0.1·distance.
    [Fact]
    public void TV09_distance_estimate_jumps_up_and_decays_by_ten_percent()
    {
        long[] distances = [48 * ByteCount.MiB, 16 * ByteCount.MiB, 16 * ByteCount.MiB, 64 * ByteCount.MiB];
        double[] estimates = [50_331_648, 46_976_204.8, 43_956_305.92, 67_108_864];
        long[] loggedKb = [49152, 45875, 42926, 65536];
        double e = 0; // fresh checkpointer
        for (var i = 0; i < distances.Length; i++)
        {
            e = Retention.UpdateCheckPointDistanceEstimate(e, distances[i]);
            Assert.Equal(estimates[i], e, 1e-6);
            Assert.Equal(loggedKb[i], (long)(e / 1024.0));
        }
    }

    // ---------------------------------------------------------------------------------------------- TV-10

    // XLOGfileslop capped at redo + max_wal_size − 1; RemoveOldXlogFiles recycles into 1036..1063, deletes the rest.
    [Fact]
    public void TV10_steady_state_settles_at_max_wal_size_64_files_28_recycled_5_removed()
    {
        var s = Settings("14.23", 16);
        var redo = L("3/E8000028");
        var recptr = L("4/5005000");
        var estimate = Retention.UpdateCheckPointDistanceEstimate(0, (redo - L("3/C7000028")).Bytes);
        Assert.Equal(553_648_128d, estimate);

        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, s.SegmentSize.SegmentOf(redo));
        Assert.Equal(S(1000), keep);
        var recycleSegNo = Retention.XLogFileSlop(s, redo, estimate);
        Assert.Equal(S(1063), recycleSegNo); // ceil(1068.97) = 1069 capped to maxSegNo

        var r = Retention.RemoveOldXlogFiles(Dir(967, 1035), keep - 1, recycleSegNo, recptr, NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((5, 28), (r.Removed, r.Recycled));
        Assert.Equal(Dir(1000, 1063), r.After);
        Assert.Equal(64, r.After.Count);
        Assert.Equal(ByteCount.GiB, r.After.Bytes(s.SegmentSize).Bytes);
        var dir = r.After;
        Assert.Equal(0, Retention.PreallocXlogFiles(ref dir, recptr, s.SegmentSize));
    }

    // ---------------------------------------------------------------------------------------------- TV-11

    // XLOGfileslop: max(ceil(504.18) = 505, minSegNo 504); every free name in [500, 505] is taken, so all 20 are deleted.
    [Fact]
    public void TV11_low_traffic_min_wal_size_does_not_create_files_20_removed_6_left()
    {
        var s = Settings("14.23", 16);
        var redo = L("1/F4001000");
        var recptr = L("1/F43F0000");
        var estimate = Retention.UpdateCheckPointDistanceEstimate(0, (redo - L("1/F2000800")).Bytes);
        Assert.Equal(33_556_480d, estimate);
        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, S(500));
        Assert.Equal(S(499), keep - 1);
        var recycleSegNo = Retention.XLogFileSlop(s, redo, estimate);
        Assert.Equal(S(505), recycleSegNo);

        var r = Retention.RemoveOldXlogFiles(Dir(480, 505), keep - 1, recycleSegNo, recptr, NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((20, 0), (r.Removed, r.Recycled));
        Assert.Equal(Dir(500, 505), r.After);
        Assert.Equal(6, r.After.Count);
    }

    // ---------------------------------------------------------------------------------------------- TV-12 (in-order)

    // RemoveOldXlogFiles + XLogArchiveCheckDone. TV-12 holds an isolated .ready segment 97 between .done ones; walsim's
    // WalDirectory is one contiguous run and its archiver is oldest-first, so a hole cannot exist. The in-order
    // equivalent: the archiver has finished through 96, so 97..99 are held (.ready) although they are below the cutoff,
    // 90..96 (7) are removable, 3 of them recycled into the free names 102..104, 4 deleted; lastRemovedSegNo 96.
    [Fact]
    public void TV12_in_order_archive_hold_keeps_97_to_99_and_removes_nothing_above_96()
    {
        var s = Settings("14.23", 16, ("archive_mode", "on"));
        var redo = L("0/64000028");
        var recptr = L("0/65000300");
        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, S(100));
        var recycleSegNo = Retention.XLogFileSlop(s, redo, 16 * ByteCount.MiB);
        Assert.Equal(S(104), recycleSegNo); // max(ceil(102.09) = 103, minSegNo 104)

        var r = Retention.RemoveOldXlogFiles(Dir(90, 101), keep - 1, recycleSegNo, recptr, archivedThrough: S(96), true, S(0), s.SegmentSize);
        Assert.Equal((4, 3), (r.Removed, r.Recycled));
        Assert.Equal(Dir(97, 104), r.After);
        Assert.Equal(S(96), r.LastRemoved);
    }

    // InvalidateObsoleteReplicationSlots ignores archiving: the slot at segment 97 is obsolete (keep 100) while 97 still exists.
    [Fact]
    public void TV12_slot_is_invalidated_although_its_segment_is_still_held_by_the_archiver()
    {
        var s = Settings("14.23", 16, ("archive_mode", "on"), ("max_slot_wal_keep_size", "16MB"));
        var recptr = L("0/65000300");
        var ck = CheckpointKeep(s, recptr, S(100), ("s", L("0/61000000")));
        Assert.Equal(S(100), ck.First);
        Assert.Equal(new[] { "s" }, ck.Invalidated);

        var r = Retention.RemoveOldXlogFiles(Dir(90, 101), ck.Final - 1, S(104), recptr, archivedThrough: S(96), true, S(0), s.SegmentSize);
        Assert.True(r.After.Contains(S(97)));
    }

    // ---------------------------------------------------------------------------------------------- TV-13

    // KeepLogSeg underflow guard (13.11 be40dd63e / 14.8 1370030369 / 15.3 c98b06e2f / 16+): a slot minimum past recptr
    // made curr − segno wrap, skipping the wal_keep_size floor (cutoff 165); guarded versions ignore it (cutoff 163).
    [Theory]
    [InlineData("13.10", 165UL)]
    [InlineData("13.11", 163UL)]
    [InlineData("14.7", 165UL)]
    [InlineData("14.8", 163UL)]
    [InlineData("15.2", 165UL)]
    [InlineData("15.3", 163UL)]
    [InlineData("16.0", 163UL)]
    [InlineData("18.4", 163UL)]
    public void TV13_slot_minimum_beyond_recptr_skips_wal_keep_size_only_before_the_underflow_guard(string version, ulong cutoff)
    {
        var s = Settings(version, 16, ("wal_keep_size", "64MB"));
        var keep = Retention.KeepLogSeg(s, L("0/A8000100"), L("0/AA000000"), S(166));
        Assert.Equal(S(cutoff), keep - 1);
    }

    // ---------------------------------------------------------------------------------------------- TV-14

    // KeepLogSeg_12: min(curr − wal_keep_segments, slot segment) — unlimited, and nothing is ever invalidated in 12.
    [Fact]
    public void TV14_slot_on_12_holds_wal_back_to_its_own_segment_without_limit()
    {
        var s = Settings("12.22", 16, ("wal_keep_segments", "32"));
        var keep = Retention.KeepLogSeg(s, L("0/28000080"), L("0/3000000"), S(38));
        Assert.Equal(S(2), keep - 1);
        Assert.False(s.Policy.CapsSlotRetention);
    }

    // ---------------------------------------------------------------------------------------------- TV-15

    // PreallocXlogFiles: offset(recptr − 1) ≥ (uint32)(0.75·SEG) = 786,432 creates segment prevsegno(recptr) + 1.
    [Theory]
    [InlineData("0/2AC4000", 42UL, 1, 43UL)]
    [InlineData("0/2ABFFFF", 42UL, 0, 42UL)]
    [InlineData("0/2AC4000", 43UL, 0, 43UL)] // already exists
    public void TV15_prealloc_creates_the_next_segment_once_three_quarters_of_the_insert_segment_is_used(
        string recptr, ulong newestBefore, int added, ulong newestAfter)
    {
        var dir = Dir(30, newestBefore);
        Assert.Equal(added, Retention.PreallocXlogFiles(ref dir, L(recptr), WalSegmentSize.FromMegabytes(1)));
        Assert.Equal(Dir(30, newestAfter), dir);
    }

    // ---------------------------------------------------------------------------------------------- TV-17

    // CreateCheckPoint: end-sampling minors read the slot minimum after CheckPointGuts (0/C9000000 → cutoff 199);
    // start-sampling minors (dd3df0b85 & co.) use the value captured at checkpoint start, and PG18 (ca307d5cec) counts
    // min(restart_lsn, last_saved_restart_lsn) — both 0/C1000000 → cutoff 192.
    [Theory]
    [InlineData("12.22", 199UL)]
    [InlineData("13.21", 199UL)]
    [InlineData("13.22", 192UL)]
    [InlineData("14.18", 199UL)]
    [InlineData("14.19", 192UL)]
    [InlineData("15.13", 199UL)]
    [InlineData("15.14", 192UL)]
    [InlineData("16.9", 199UL)]
    [InlineData("16.10", 192UL)]
    [InlineData("17.5", 199UL)]
    [InlineData("17.6", 192UL)]
    [InlineData("18.0", 192UL)]
    public void TV17_slot_minimum_is_sampled_at_checkpoint_start_on_fixed_minors_and_at_end_before(string version, ulong cutoff)
    {
        var s = Settings(version, 16);
        var atStart = L("0/C1000000");
        var atEnd = L("0/C9000000");
        var slotMin = s.Policy.SlotMinimumSampling switch
        {
            SlotMinimumSampling.AtCheckpointEnd => atEnd,
            SlotMinimumSampling.AtCheckpointStart => atStart,
            _ => Lsn.Min(atEnd, atStart), // last_saved_restart_lsn = restart_lsn saved by CheckPointReplicationSlots at start
        };
        Assert.Equal(S(cutoff), Retention.KeepLogSeg(s, L("0/CA000100"), slotMin, S(200)) - 1);
    }

    // ---------------------------------------------------------------------------------------------- TV-18

    // 1 MiB: KeepLogSeg (cap 10, floor 4) → invalidate A → 13.4+ recompute with B → keep 45; XLOGfileslop → minSegNo 125.
    [Theory]
    [InlineData("13.4", 45UL, 17, 67UL)]
    [InlineData("14.23", 45UL, 17, 67UL)]
    [InlineData("16.14", 45UL, 17, 67UL)]
    [InlineData("13.3", 39UL, 11, 61UL)]
    [InlineData("13.0", 39UL, 11, 61UL)]
    public void TV18_invalidate_recompute_and_recycle_up_to_min_wal_size_with_1MiB_segments(
        string version, ulong keep, int recycled, ulong newestAfter)
    {
        var s = Settings(version, 1, ("max_slot_wal_keep_size", "10MB"), ("wal_keep_size", "4MB"), ("checkpoint_completion_target", "0.9"));
        var redo = L("0/2E00050");
        var recptr = L("0/3140000");
        var a = L("0/1E00000");
        var b = L("0/2F80000");

        var ck = CheckpointKeep(s, recptr, S(46), ("A", a), ("B", b));
        Assert.Equal(S(39), ck.First);
        Assert.Equal(new[] { "A" }, ck.Invalidated);
        Assert.Equal(9_437_184, (s.SegmentSize.StartOf(ck.First) - a).Bytes);
        Assert.Equal(S(keep), ck.Final);

        var recycleSegNo = Retention.XLogFileSlop(s, redo, 16 * ByteCount.MiB);
        Assert.Equal(S(125), recycleSegNo); // ceil(79.44) = 80 < minSegNo 46 + 80 − 1

        var r = Retention.RemoveOldXlogFiles(Dir(28, 50), ck.Final - 1, recycleSegNo, recptr, NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((0, recycled), (r.Removed, r.Recycled));
        Assert.Equal(Dir(keep, newestAfter), r.After);
        Assert.Equal(23, r.After.Count);
        Assert.Equal(S(keep - 1), r.LastRemoved);
    }

    // pg_get_replication_slots for B after TV-18 on 13.4+: reserved, safe_wal_size = (47+10+1)·1 MiB − 0x3150000.
    [Fact]
    public void TV18_remaining_slot_is_reserved_with_safe_wal_size_9109504()
    {
        var s = Settings("14.23", 1, ("max_slot_wal_keep_size", "10MB"), ("wal_keep_size", "4MB"), ("checkpoint_completion_target", "0.9"));
        var b = L("0/2F80000");
        Assert.Equal(WalStatus.Reserved, Retention.GetWalAvailability(s, b, L("0/3150000"), b, S(44)));
        Assert.Equal(new ByteCount(9_109_504), Retention.SafeWalSize(s, b, L("0/3150000")));
    }

    // ---------------------------------------------------------------------------------------------- retention-model.md §14.1 (15.18, live)

    private static ServerSettings Live(params (string, string)[] extra) =>
        Settings("15.18", 1, [("min_wal_size", "4MB"), ("max_wal_size", "64MB"), ("checkpoint_completion_target", "0.9"), ("checkpoint_timeout", "1d"), .. extra]);

    // Four manual CHECKPOINTs on a fresh 1 MiB cluster: UpdateCheckPointDistanceEstimate, KeepLogSeg, XLOGfileslop,
    // RemoveOldXlogFiles. The first prior redo was not recorded; any estimate that logs as 5171 kB gives the same counts.
    // recptr is taken a few bytes past each redo (in the redo segment), as for CHECKPOINT on an otherwise idle server.
    [Theory]
    [InlineData(0, "0/B2BC18", 6UL, 11UL, 5, 11UL, 16UL, 5171L)]
    [InlineData(1, "0/1A52E58", 11UL, 26UL, 15, 26UL, 41UL, 15516L)]
    [InlineData(2, "0/1B98080", 26UL, 41UL, 1, 27UL, 42UL, 14094L)]
    [InlineData(3, "0/34D8720", 27UL, 52UL, 25, 52UL, 77UL, 25857L)]
    public void Live_15_18_four_successive_checkpoints_recycle_5_15_1_25_and_remove_nothing(
        int index, string redoText, ulong oldestBefore, ulong newestBefore, int recycled, ulong oldestAfter, ulong newestAfter, long estimateKb)
    {
        string[] redos = ["0/B2BC18", "0/1A52E58", "0/1B98080", "0/34D8720"];
        var s = Live();
        double estimate = 5171 * 1024;
        for (var i = 1; i <= index; i++)
            estimate = Retention.UpdateCheckPointDistanceEstimate(estimate, (L(redos[i]) - L(redos[i - 1])).Bytes);
        Assert.Equal(estimateKb, (long)(estimate / 1024.0));

        var redo = L(redoText);
        var recptr = redo + new ByteCount(0xB0);
        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, s.SegmentSize.SegmentOf(redo));
        var r = Retention.RemoveOldXlogFiles(Dir(oldestBefore, newestBefore), keep - 1, Retention.XLogFileSlop(s, redo, estimate),
            recptr, NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((0, recycled), (r.Removed, r.Recycled));
        Assert.Equal(Dir(oldestAfter, newestAfter), r.After);
    }

    // GetWALAvailability + pg_get_replication_slots for a slot at 0/34D8808 (segment 52), lastRemovedSegNo 51.
    [Theory]
    [InlineData("0/3A46C08", WalStatus.Reserved, 2_855_928L)]
    [InlineData("0/40CA900", WalStatus.Unreserved, -3_975_424L)]
    public void Live_15_18_slot_goes_from_reserved_to_unreserved_with_negative_safe_wal_size(string write, WalStatus status, long safe)
    {
        var s = Live(("max_slot_wal_keep_size", "8MB"), ("wal_keep_size", "2MB"));
        var slot = L("0/34D8808");
        Assert.Equal(status, Retention.GetWalAvailability(s, slot, L(write), slot, S(51)));
        Assert.Equal(new ByteCount(safe), Retention.SafeWalSize(s, slot, L(write)));
    }

    // CHECKPOINT at redo 0/40CA900: keep 56 → s1 invalidated → keep 62 (wal_keep_size floor); 10 recycled, files 62..87.
    [Fact]
    public void Live_15_18_checkpoint_invalidates_s1_then_recycles_10_files()
    {
        var s = Live(("max_slot_wal_keep_size", "8MB"), ("wal_keep_size", "2MB"));
        var redo = L("0/40CA900");
        var recptr = redo + new ByteCount(0xB0);
        var ck = CheckpointKeep(s, recptr, S(64), ("s1", L("0/34D8808")));
        Assert.Equal((S(56), S(62)), (ck.First, ck.Final));
        Assert.Equal(new[] { "s1" }, ck.Invalidated);
        Assert.Equal("invalidating slot \"s1\" because its restart_lsn 0/34D8808 exceeds max_slot_wal_keep_size",
            s.Policy.InvalidationMessage("s1", L("0/34D8808"), s.SegmentSize.StartOf(ck.First)));

        var estimate = Retention.UpdateCheckPointDistanceEstimate(26_478_240, (redo - L("0/34D8720")).Bytes);
        var r = Retention.RemoveOldXlogFiles(Dir(52, 77), ck.Final - 1, Retention.XLogFileSlop(s, redo, estimate), recptr,
            NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((0, 10), (r.Removed, r.Recycled));
        Assert.Equal(Dir(62, 87), r.After);
    }

    // GetWALAvailability with max_wal_size reloaded to 8MB: t = 64 < 90 − 9 → extended; with a 4MB cap → unreserved.
    [Fact]
    public void Live_15_18_slot_is_extended_beyond_max_wal_size_and_unreserved_once_capped()
    {
        var slot = L("0/40CA9E8");
        var write = L("0/5ADAAF0");
        var uncapped = Live(("max_wal_size", "8MB"), ("wal_keep_size", "2MB"));
        Assert.Equal(WalStatus.Extended, Retention.GetWalAvailability(uncapped, slot, write, slot, S(61)));

        var capped = Live(("max_wal_size", "8MB"), ("wal_keep_size", "2MB"), ("max_slot_wal_keep_size", "4MB"));
        Assert.Equal(WalStatus.Unreserved, Retention.GetWalAvailability(capped, slot, write, slot, S(61)));
        Assert.Equal(new ByteCount(-22_915_824), Retention.SafeWalSize(capped, slot, write));
    }

    // XLOGfileslop capped at redo segment 90 + 8 − 1 = 97: of 64..89, 6 recycled into 92..97, 20 removed. (The row's
    // counts imply wal_keep_size was back at 0 by then: with 2MB the cutoff would be 87, not 89.)
    [Fact]
    public void Live_15_18_small_max_wal_size_caps_recycling_20_removed_6_recycled()
    {
        var s = Live(("max_wal_size", "8MB"));
        var redo = L("0/5ADAAF0");
        var recptr = redo + new ByteCount(0xB0);
        var keep = Retention.KeepLogSeg(s, recptr, Lsn.Invalid, S(90));
        var recycleSegNo = Retention.XLogFileSlop(s, redo, 25_083_020.8);
        Assert.Equal(S(97), recycleSegNo);
        var r = Retention.RemoveOldXlogFiles(Dir(64, 91), keep - 1, recycleSegNo, recptr, NothingHeldByArchiving, true, S(0), s.SegmentSize);
        Assert.Equal((20, 6), (r.Removed, r.Recycled));
        Assert.Equal(Dir(90, 97), r.After);
    }

    // wal_recycle=off: RemoveXlogFile unlinks every candidate; PreallocXlogFiles adds 102 (offset 858,616 ≥ 786,432).
    [Fact]
    public void Live_15_18_wal_recycle_off_removes_11_and_preallocates_1()
    {
        var s = Live(("max_wal_size", "8MB"), ("wal_recycle", "off"));
        var insert = L("0/65D19F8");
        var keep = Retention.KeepLogSeg(s, insert, Lsn.Invalid, S(101));
        var r = Retention.RemoveOldXlogFiles(Dir(90, 101), keep - 1, Retention.XLogFileSlop(s, insert, 25_083_020.8), insert,
            NothingHeldByArchiving, s.WalRecycle, S(0), s.SegmentSize);
        Assert.Equal((11, 0), (r.Removed, r.Recycled));
        var dir = r.After;
        Assert.Equal(1, Retention.PreallocXlogFiles(ref dir, insert, s.SegmentSize));
        Assert.Equal(Dir(101, 102), dir);
    }

    // max_wal_size=16MB → CheckPointSegments floor(16/1.9) = 8; redo 0/66C1A18 (102) → "checkpoint starting: wal" at 0/6E00000.
    [Fact]
    public void Live_15_18_wal_checkpoint_starts_when_the_write_pointer_reaches_segment_110()
    {
        var s = Live(("max_wal_size", "16MB"));
        Assert.Equal(8UL, s.CheckPointSegments);
        var at = Retention.CheckpointRequestLsn(s, L("0/66C1A18"));
        Assert.Equal(L("0/6E00000"), at);
        Assert.True(L("0/6DF8C08") < at && L("0/6E04850") >= at); // the two observed write positions straddle it
    }
}

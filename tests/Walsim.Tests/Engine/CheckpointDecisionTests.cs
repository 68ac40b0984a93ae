using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Engine;

/// <summary>
/// <see cref="CheckpointDecision"/>: the retention half of <c>CreateCheckPoint</c> (xlog.c) and
/// <c>InvalidateObsoleteReplicationSlots</c> (slot.c) fed worked numbers, one PostgreSQL rule per test. 16 MB segments
/// throughout: segment n starts at n × 0x1000000 (0/A5000000 is segment 165).
/// </summary>
public class CheckpointDecisionTests
{
    private static Lsn L(string text) => Lsn.Parse(text);
    private static SegmentNumber S(ulong n) => new(n);
    private static WalDirectory Dir(ulong oldest, ulong newest) => new(S(oldest), S(newest));
    private static ServerSettings Settings(string version, params (string Name, string Value)[] overrides) =>
        RetentionVectorTests.Settings(version, 16, overrides);

    // TV-02 (retention-model.md §4 families B, C): redo 0/A5000028 (165), recptr 0/A7001000 (167), s1 at 0/90000000 (144), s2 at
    // 0/A6800000 (166), max_slot_wal_keep_size 128MB = 8 segments, 144..167 in pg_wal.
    private static CheckpointInputs Tv02(params CheckpointSlot[] slots) =>
        new(Node(controlRedo: "0/A3000028", estimate: 0, Dir(0x90, 0xA7)), Redo: L("0/A5000028"), RecPtr: L("0/A7001000")) { Slots = slots };

    /// <summary>A primary before its checkpoint: pg_control's redo, the distance estimate, pg_wal; nothing removed yet.</summary>
    private static NodeWalState Node(string controlRedo, double estimate, WalDirectory files) => new(L(controlRedo), estimate, default, files);

    // KeepLogSeg: 167 − 144 = 23 > 8 → 159; oldestLSN = 0/9F000000; InvalidatePossiblyObsoleteSlot: s1 < it, its
    // walsender is terminated; the 16+ DETAIL "exceeds the limit by" 0/9F000000 − 0/90000000 = 251,658,240 bytes.
    // 13.4+ recompute without s1: KeepLogSeg(166) = min(redo 165, 166) = 165.
    [Fact]
    public void A_slot_past_max_slot_wal_keep_size_is_invalidated_with_the_bytes_it_exceeds_the_limit_by()
    {
        var s = Settings("16.14", ("max_slot_wal_keep_size", "128MB"), ("checkpoint_completion_target", "0.9"));
        var o = CheckpointDecision.Decide(s, Tv02(CheckpointSlot.Holding("s1", L("0/90000000"), active: true),
            CheckpointSlot.Holding("s2", L("0/A6800000"))));

        var inv = Assert.Single(o.Invalidated);
        Assert.Equal(new CheckpointInvalidation("s1", L("0/90000000"), InvalidationCause.WalRemoved, new ByteCount(251_658_240), Terminated: true), inv);
        Assert.Equal(L("0/9F000000"), inv.OldestKept);
        Assert.Equal("invalidating obsolete replication slot \"s1\"; DETAIL: The slot's restart_lsn 0/90000000 exceeds the limit by 251658240 bytes.",
            s.Policy.InvalidationMessage(inv.Name, inv.RestartLsn, inv.OldestKept));
        Assert.Equal((S(159), S(165)), (o.KeepBeforeInvalidation, o.Keep));
        // Distance 0/A5000028 − 0/A3000028 = 32 MiB, the estimate jumps to it (UpdateCheckPointDistanceEstimate).
        Assert.Equal((32768L, 32768L), (o.DistanceKb, o.EstimateKb));
        // XLOGfileslop: ceil((0/A5000028 + 1.9 × 1.1 × 32 MiB) / 16 MiB) = 170. Removable 144..164 (21), free
        // names 168..170: 3 recycled, 18 removed; 165..170 left, lastRemovedSegNo 164.
        Assert.Equal(S(170), o.RecycleSegNo);
        Assert.Equal((18, 3, 0), (o.Removed, o.Recycled, o.Added));
        Assert.Equal((Dir(165, 170), S(164)), (o.After, o.LastRemoved));
    }

    // CreateCheckPoint: 13.0–13.3 call the void InvalidateObsoleteReplicationSlots and remove up to the first
    // KeepLogSeg (159, the invalidated slot's cap); 13.4+ (866237a6fa) recompute and remove up to redo (165).
    [Theory]
    [InlineData("13.3", 159, 12, 3)]
    [InlineData("13.4", 165, 18, 3)]
    [InlineData("15.18", 165, 18, 3)]
    [InlineData("18.4", 165, 18, 3)]
    public void Only_13_4_and_later_recompute_the_horizon_after_invalidating_13_0_to_13_3_keep_the_stale_one(
        string version, ulong keep, int removed, int recycled)
    {
        var s = Settings(version, ("max_slot_wal_keep_size", "128MB"), ("checkpoint_completion_target", "0.9"));
        var o = CheckpointDecision.Decide(s, Tv02(CheckpointSlot.Holding("s1", L("0/90000000")), CheckpointSlot.Holding("s2", L("0/A6800000"))));

        Assert.Equal("s1", Assert.Single(o.Invalidated).Name);
        Assert.Equal((S(159), S(keep)), (o.KeepBeforeInvalidation, o.Keep));
        Assert.Equal((removed, recycled), (o.Removed, o.Recycled));
        Assert.Equal(Dir(keep, 170), o.After);
    }

    // 12 has no max_slot_wal_keep_size: InvalidateObsoleteReplicationSlots does not exist, the slot holds 144.
    [Fact]
    public void On_12_no_slot_is_ever_invalidated_and_the_slot_minimum_holds_every_file()
    {
        var s = Settings("12.22", ("checkpoint_completion_target", "0.9"));
        var o = CheckpointDecision.Decide(s, Tv02(CheckpointSlot.Holding("s1", L("0/90000000"))));
        Assert.Empty(o.Invalidated);
        Assert.Equal((S(0x90), S(0x90)), (o.KeepBeforeInvalidation, o.Keep));
        Assert.Equal((0, 0), (o.Removed, o.Recycled));
    }

    // 18 (ca307d5cec): ReplicationSlotsComputeRequiredLSN counts min(restart_lsn, last_saved_restart_lsn), so after
    // s1 goes the recomputed minimum is s2's saved 0/A2000000 (162), not its current 0/A6800000.
    [Fact]
    public void On_18_the_recompute_after_invalidating_counts_each_slots_last_saved_restart_lsn()
    {
        var s = Settings("18.4", ("max_slot_wal_keep_size", "128MB"), ("checkpoint_completion_target", "0.9"));
        var o = CheckpointDecision.Decide(s, Tv02(CheckpointSlot.Holding("s1", L("0/90000000")),
            new CheckpointSlot("s2", L("0/A6800000"), RequiredLsn: L("0/A2000000"))));
        Assert.Equal((S(159), S(162)), (o.KeepBeforeInvalidation, o.Keep));
    }

    // 18: InvalidatePossiblyObsoleteSlot(RS_INVAL_IDLE_TIMEOUT) for a released slot whose inactive_since is at least
    // idle_replication_slot_timeout (whole seconds) ago. "idle" (3600 s) times out; "recent" (1799.9 s → 1799 s)
    // and the active "busy" do not. No cap: KeepLogSeg keeps idle's 160, then without it recent's 163.
    [Fact]
    public void On_18_a_slot_idle_past_idle_replication_slot_timeout_is_invalidated_at_a_checkpoint()
    {
        var s = Settings("18.4", ("idle_replication_slot_timeout", "30min"));
        CheckpointSlot[] slots =
        [
            new("idle", L("0/A0000000"), L("0/A0000000"), IdleFor: SimDuration.FromSeconds(3600)),
            new("busy", L("0/A4000000"), L("0/A4000000"), Active: true),
            new("recent", L("0/A3000000"), L("0/A3000000"), IdleFor: SimDuration.FromSeconds(1799.9)),
        ];
        var o = CheckpointDecision.Decide(s, Tv02(slots));

        var inv = Assert.Single(o.Invalidated);
        Assert.Equal(new CheckpointInvalidation("idle", L("0/A0000000"), InvalidationCause.IdleTimeout, ByteCount.Zero, false,
            SimDuration.FromSeconds(3600)), inv);
        Assert.Equal((S(160), S(163)), (o.KeepBeforeInvalidation, o.Keep));
        Assert.Equal("invalidating obsolete replication slot \"idle\"; DETAIL: The slot's idle time of 3600s exceeds the configured \"idle_replication_slot_timeout\" duration of 1800s.",
            s.Policy.IdleTimeoutMessage(inv.Name, inv.IdleFor, s.IdleReplicationSlotTimeout));

        // idle_replication_slot_timeout = 0 (the default) disables it.
        Assert.Empty(CheckpointDecision.Decide(Settings("18.4"), Tv02(slots)).Invalidated);
    }

    // TV-01 (REL_12 family A) through the whole pipeline: wal_keep_segments 8 keeps 100; XLOGfileslop
    // ceil((0/6A0000D8 + 1.5 × 1.1 × 33,554,608) / 16 MiB) = 110. Of the 10 removable files 90..99, RemoveOldXlogFiles
    // recycles into the free names 109..110 (2) and deletes the rest (8); wal_recycle=off deletes all 10;
    // min_wal_size=1GB raises the slop to redo + 64 − 1 = 169, so all 10 are recycled.
    [Theory]
    [InlineData("on", "80MB", 8, 2, 110)]
    [InlineData("off", "80MB", 10, 0, 108)]
    [InlineData("on", "1GB", 0, 10, 118)]
    public void RemoveOldXlogFiles_recycles_up_to_XLOGfileslop_and_removes_the_rest(string walRecycle, string minWalSize,
        int removed, int recycled, ulong newest)
    {
        var s = Settings("12.22", ("wal_keep_segments", "8"), ("wal_recycle", walRecycle), ("min_wal_size", minWalSize));
        var o = CheckpointDecision.Decide(s, new CheckpointInputs(Node(controlRedo: "0/68000028", estimate: 33_554_432, Dir(90, 108)), Redo: L("0/6A0000D8"), RecPtr: L("0/6C002F40")));
        Assert.Equal((32768L, 32768L), (o.DistanceKb, o.EstimateKb)); // log_checkpoints: distance=32768 kB, estimate=32768 kB
        Assert.Equal(S(100), o.Keep);
        Assert.Equal((removed, recycled, 0), (o.Removed, o.Recycled, o.Added));
        Assert.Equal((Dir(100, newest), S(99)), (o.After, o.LastRemoved));
    }

    // XLogArchiveCheckDone: files after the last one archived (95) stay and lastRemovedSegNo stops at 95.
    [Fact]
    public void Files_archiving_still_needs_are_kept_and_lastRemovedSegNo_stops_at_the_last_archived()
    {
        var s = Settings("12.22", ("wal_keep_segments", "8"));
        var o = CheckpointDecision.Decide(s, new CheckpointInputs(Node(controlRedo: "0/68000028", estimate: 33_554_432, Dir(90, 108)), Redo: L("0/6A0000D8"), RecPtr: L("0/6C002F40")) { ArchivedThrough = S(95) });
        Assert.Equal((4, 2), (o.Removed, o.Recycled));
        Assert.Equal((Dir(96, 110), S(95)), (o.After, o.LastRemoved));
    }

    // PreallocXlogFiles: recptr 0/6CC00001 is 75 % into segment 108, so 109 is created when it does not exist; a
    // standby restoring from the archive (InstallXLogFileSegmentActive false) neither recycles nor pre-allocates.
    [Theory]
    [InlineData(true, 1, 109)]
    [InlineData(false, 0, 108)]
    public void PreallocXlogFiles_adds_the_next_segment_once_recptr_is_three_quarters_into_its_own(bool installActive, int added, ulong newest)
    {
        var s = Settings("16.14", ("wal_recycle", "off"));
        var o = CheckpointDecision.Decide(s, new CheckpointInputs(Node(controlRedo: "0/68000028", estimate: 0, Dir(90, 108)), Redo: L("0/6A0000D8"), RecPtr: L("0/6CC00001")) { InstallSegmentsActive = installActive });
        Assert.Equal((added, Dir(106, newest)), (o.Added, o.After));
    }

    // "if (PriorRedoPtr != InvalidXLogRecPtr) UpdateCheckPointDistanceEstimate(...)": the first checkpoint after
    // initdb (no prior redo: 0/0, InvalidXLogRecPtr) leaves the estimate alone and logs distance=0.
    [Fact]
    public void Without_a_prior_redo_the_distance_is_zero_and_the_estimate_unchanged()
    {
        var o = CheckpointDecision.Decide(Settings("16.14"), new CheckpointInputs(Node(controlRedo: "0/0", estimate: 1_048_576, Dir(0x6A, 0x6A)), Redo: L("0/6A0000D8"), RecPtr: L("0/6A000200")));
        Assert.Equal((0L, 1_048_576d), (o.DistanceBytes, o.Estimate));
    }

    [Fact]
    public void The_checkpoint_record_end_is_at_least_114_bytes_after_its_start() =>
        Assert.Equal(L("0/6A000172"), CheckpointDecision.RecPtrAfter(L("0/6A000100")));
}

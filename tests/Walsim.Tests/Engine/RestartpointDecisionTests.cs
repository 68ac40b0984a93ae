using Walsim.Simulator.Engine;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Engine;

/// <summary>
/// <see cref="RestartpointDecision"/>: <c>CreateRestartPoint</c> (xlog.c) fed worked numbers — TV-F1 of
/// docs/design/failover.md, and restartpoints observed on real 12.22 … 18.4 standbys by
/// <c>StandbyRealServerTests</c> — one PostgreSQL rule per test.
/// </summary>
public class RestartpointDecisionTests
{
    private static Lsn L(string text) => Lsn.Parse(text);
    private static SegmentNumber S(ulong n) => new(n);
    private static WalDirectory Dir(ulong oldest, ulong newest) => new(S(oldest), S(newest));

    private static RestartpointInputs Inputs(string redo, string prior, string received, string replayed, double estimate,
        WalDirectory files, params (string Name, string RestartLsn)[] slots) =>
        new(new NodeWalState(L(prior), estimate, default, files), L(redo), L(received), L(replayed))
        {
            Slots = slots.Select(s => new RestartpointSlot(s.Name, L(s.RestartLsn))).ToList(),
        };

    // CreateRestartPoint: "if (XLogRecPtrIsInvalid(lastCheckPointRecPtr) || lastCheckPoint.redo <=
    // ControlFile->checkPointCopy.redo) … skipping restartpoint, already performed at".
    [Theory]
    [InlineData("0/600028", "0/600028", true)]   // only the base backup's checkpoint replayed (every standby at start)
    [InlineData("0/600028", "0/B00050", true)]   // cannot happen on a server; the rule says skip
    [InlineData("0/0", "0/600028", true)]        // no checkpoint record replayed at all
    [InlineData("0/B00050", "0/600028", false)]  // a newer primary checkpoint replayed
    public void A_restartpoint_is_skipped_unless_a_primary_checkpoint_newer_than_pg_control_has_been_replayed(string replayed, string control, bool skips)
    {
        Assert.Equal(skips, RestartpointDecision.Skips(L(replayed), L(control)));
        var s = RetentionVectorTests.Settings("16.14", 1);
        var decided = RestartpointDecision.Decide(s, Inputs(replayed, control, "0/B00100", "0/B00100", 0, Dir(6, 11)));
        Assert.Equal(skips, decided is null);
    }

    // TV-F1 (17.10, observed): KeepLogSeg(endptr in 16, copy at 0/717608 in 7): 16 − 7 = 9 > 2 → 14 → the copy is
    // invalidated, "exceeds the limit by" 0/E00000 − 0/717608 = 7,244,280 bytes; recompute without it → keep 16.
    // Distance 0/1000028 − 0/D000D8 = 3,145,552 (3071 kB); estimate 0.9 · 7,340,208 + 0.1 · 3,145,552 = 6,920,742.4
    // (6758 kB). XLOGfileslop: ceil((16,777,256 + 1.9 · 1.1 · 6,920,742.4) / 1 MiB) = 30, clamped to redo +
    // max_wal_size − 1 = 23. Removable 7..15, free names 17..23: 7 recycled, 2 removed; files 16..23.
    [Fact]
    public void TV_F1_a_restartpoint_invalidates_a_standby_slot_past_the_standbys_cap_then_recycles_seven_and_removes_two()
    {
        var s = RetentionVectorTests.Settings("17.10", 1, ("min_wal_size", "2MB"), ("max_wal_size", "8MB"),
            ("checkpoint_completion_target", "0.9"), ("max_slot_wal_keep_size", "2MB"));
        var o = RestartpointDecision.Decide(s, Inputs("0/1000028", "0/D000D8", "0/1000130", "0/1000130", 7_340_208,
            Dir(7, 16), ("cdc", "0/717608")))!;

        Assert.Equal((S(14), S(16)), (o.Checkpoint.KeepBeforeInvalidation, o.Checkpoint.Keep));
        Assert.Equal(new RestartpointInvalidation("cdc", L("0/717608"), 7_244_280), Assert.Single(o.Invalidated));
        Assert.Equal((3_145_552L, 3071L), (o.Checkpoint.DistanceBytes, o.Checkpoint.DistanceKb));
        Assert.Equal((6_920_742.4, 6758L), (Math.Round(o.Checkpoint.Estimate, 1), o.Checkpoint.EstimateKb));
        Assert.Equal(S(23), o.Checkpoint.RecycleSegNo);
        Assert.Equal((0, 2, 7), (o.Checkpoint.Added, o.Checkpoint.Removed, o.Checkpoint.Recycled));
        Assert.Equal(Dir(16, 23), o.Checkpoint.After);
    }

    // 13.0–13.3 (family B) invalidate without recomputing the horizon: the same restartpoint keeps 14 and 15.
    [Fact]
    public void TV_F1_on_13_3_keeps_the_stale_horizon_of_the_invalidated_slot()
    {
        var s = RetentionVectorTests.Settings("13.3", 1, ("min_wal_size", "2MB"), ("max_wal_size", "8MB"),
            ("checkpoint_completion_target", "0.9"), ("max_slot_wal_keep_size", "2MB"));
        var o = RestartpointDecision.Decide(s, Inputs("0/1000028", "0/D000D8", "0/1000130", "0/1000130", 7_340_208,
            Dir(7, 16), ("cdc", "0/717608")))!;
        Assert.Equal((S(14), S(14)), (o.Checkpoint.KeepBeforeInvalidation, o.Checkpoint.Keep));
        Assert.Equal("cdc", Assert.Single(o.Invalidated).Name);
        Assert.Equal((0, 0, 7), (o.Checkpoint.Added, o.Checkpoint.Removed, o.Checkpoint.Recycled));
        Assert.Equal(Dir(14, 23), o.Checkpoint.After);
    }

    // endptr = max(GetWalRcvFlushRecPtr(), GetXLogReplayRecPtr()). Observed on 16.14 (restartpoint 3 of the real-server
    // test, replay paused): redo 0/1100100 (0x11), prior 0/1100050, received 0/16000B8 (0x16), replayed 0/11001B0,
    // estimate 6,291,456, files E..16, wal_keep_size 3MB, max_wal_size 4MB. KeepLogSeg from the received segment:
    // min(0x11, 0x16 − 3) = 0x11 → E, F, 10 go; recycleSegNo clamped to 0x11 + 4 − 1 = 0x14, below the first free
    // name 0x17: 3 removed, 0 recycled, files 11..16 — what the server did. From the replay position alone the keep
    // would be 0x11 − 3 = 0xE and nothing would go.
    [Fact]
    public void Wal_keep_size_on_a_standby_counts_back_from_the_received_position_not_the_replayed_one()
    {
        var s = RetentionVectorTests.Settings("16.14", 1, ("min_wal_size", "2MB"), ("max_wal_size", "4MB"), ("wal_keep_size", "3MB"));
        var o = RestartpointDecision.Decide(s, Inputs("0/1100100", "0/1100050", "0/16000B8", "0/11001B0", 6_291_456, Dir(0xE, 0x16)))!;
        Assert.Equal(L("0/16000B8"), o.EndPtr);
        Assert.Equal(S(0x11), o.Checkpoint.Keep);
        Assert.Equal((0L, 5529L), (o.Checkpoint.DistanceKb, o.Checkpoint.EstimateKb)); // 176 bytes; 0.9 · 6,291,456 + 17.6
        Assert.Equal(S(0x14), o.Checkpoint.RecycleSegNo);
        Assert.Equal((0, 3, 0), (o.Checkpoint.Added, o.Checkpoint.Removed, o.Checkpoint.Recycled));
        Assert.Equal(Dir(0x11, 0x16), o.Checkpoint.After);

        var fromReplay = RestartpointDecision.Decide(s, Inputs("0/1100100", "0/1100050", "0/0", "0/11001B0", 6_291_456, Dir(0xE, 0x16)))!;
        Assert.Equal((S(0xE), 0), (fromReplay.Checkpoint.Keep, fromReplay.Checkpoint.Removed + fromReplay.Checkpoint.Recycled));
    }

    // 12's KeepLogSeg: wal_keep_segments from endptr too (the same restartpoint on a 12.22 standby, wal_keep_segments
    // 3, cct 0.5: 0x16 − 3 = 0x13 > the redo segment, so the redo segment is kept — as observed on 12.22).
    [Fact]
    public void Wal_keep_segments_on_a_12_standby_counts_back_from_the_received_position()
    {
        var s = RetentionVectorTests.Settings("12.22", 1, ("min_wal_size", "2MB"), ("max_wal_size", "4MB"), ("wal_keep_segments", "3"));
        var o = RestartpointDecision.Decide(s, Inputs("0/1100100", "0/1100050", "0/16000B8", "0/11001B0", 6_291_456, Dir(0xE, 0x16)))!;
        Assert.Equal((S(0x11), 0, 3, 0), (o.Checkpoint.Keep, o.Checkpoint.Added, o.Checkpoint.Removed, o.Checkpoint.Recycled));
    }

    // [S] XLogWalRcvWrite opens a segment only for the bytes it writes into it: received exactly through a WAL switch
    // (0/C00000), file 0xC does not exist yet. RemoveXlogFile → InstallXLogFileSegment(endlogSegNo = segno(endptr) = 0xC)
    // installs the first recycled file under that name; PreallocXlogFiles(0/C00000) (previous segment 0xB, offset
    // 0xFFFFF ≥ 75 %) then finds 0xC and adds nothing. With nothing to recycle it creates 0xC: 1 added.
    [Fact]
    public void At_a_segment_boundary_the_file_endptr_names_is_recycled_into_or_else_preallocated()
    {
        var s = RetentionVectorTests.Settings("16.14", 1, ("min_wal_size", "2MB"), ("max_wal_size", "4MB"));
        var recycled = RestartpointDecision.Decide(s, Inputs("0/B00050", "0/600028", "0/C00000", "0/C00000", 0, Dir(6, 0xB)))!;
        Assert.Equal((0, 2, 3), (recycled.Checkpoint.Added, recycled.Checkpoint.Removed, recycled.Checkpoint.Recycled));
        Assert.Equal(Dir(0xB, 0xE), recycled.Checkpoint.After);

        var preallocated = RestartpointDecision.Decide(s, Inputs("0/B00050", "0/A00028", "0/C00000", "0/C00000", 0, Dir(0xB, 0xB)))!;
        Assert.Equal((1, 0, 0), (preallocated.Checkpoint.Added, preallocated.Checkpoint.Removed, preallocated.Checkpoint.Recycled));
        Assert.Equal(Dir(0xB, 0xC), preallocated.Checkpoint.After);
    }

    // InstallXLogFileSegmentActive (13.21+, 14.18+, 15+): a standby that is not streaming (restoring from the archive)
    // deletes instead of recycling and preallocates nothing; 13.20 still recycles and preallocates.
    [Theory]
    [InlineData("13.20", 0, 2, 3)]
    [InlineData("13.21", 0, 5, 0)]
    [InlineData("14.17", 0, 2, 3)]
    [InlineData("14.18", 0, 5, 0)]
    [InlineData("15.0", 0, 5, 0)]
    public void A_standby_that_is_not_streaming_deletes_instead_of_recycling_from_13_21_14_18_and_15(string version, int added, int removed, int recycled)
    {
        var s = RetentionVectorTests.Settings(version, 1, ("min_wal_size", "2MB"), ("max_wal_size", "4MB"));
        var o = RestartpointDecision.Decide(s, Inputs("0/B00050", "0/600028", "0/B00100", "0/B00100", 0, Dir(6, 0xB)) with { Streaming = false })!;
        Assert.Equal((added, removed, recycled), (o.Checkpoint.Added, o.Checkpoint.Removed, o.Checkpoint.Recycled));
    }

    // UpdateCheckPointDistanceEstimate runs only "if (PriorRedoPtr != InvalidXLogRecPtr)": no distance, estimate unchanged.
    [Fact]
    public void Without_a_prior_redo_the_estimate_is_left_as_it_was()
    {
        var s = RetentionVectorTests.Settings("18.4", 1);
        var o = RestartpointDecision.Decide(s, Inputs("0/B00050", "0/0", "0/B00100", "0/B00100", 1_048_576, Dir(6, 0xB)))!;
        Assert.Equal((0L, 1_048_576d), (o.Checkpoint.DistanceBytes, o.Checkpoint.Estimate));
    }
}

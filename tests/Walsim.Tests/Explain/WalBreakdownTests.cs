using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Explain;

/// <summary>
/// <see cref="WalBreakdown.Of"/> with worked numbers, 1 MB segments. pg_wal holds segments 10..40; insert in 30, the
/// last checkpoint's redo in 28; wal_keep_size 5MB; slot a at segment 12, slot b at 20; max_wal_size 32MB,
/// min_wal_size 4MB, estimate 2 MB.
/// </summary>
public sealed class WalBreakdownTests
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);

    private static Lsn At(ulong segment, long offset = 0x100) => Seg.StartOf(new SegmentNumber(segment)) + new ByteCount(offset);

    private static WalState State(string version, long capMb = -1, ulong archivedThrough = ulong.MaxValue)
    {
        var policy = RetentionPolicy.For(PgVersion.Parse(version));
        var keep = policy.KeepKnob == WalKeepKnob.WalKeepSegments ? new KeyValuePair<string, string>("wal_keep_segments", "5") : new("wal_keep_size", "5MB");
        var settings = ServerSettings.Create(policy, Seg, [keep, new("max_wal_size", "32MB"), new("min_wal_size", "4MB"),
            .. policy.CapsSlotRetention ? [new KeyValuePair<string, string>("max_slot_wal_keep_size", $"{capMb}MB".Replace("-1MB", "-1"))] : Array.Empty<KeyValuePair<string, string>>()]);
        return new WalState
        {
            Settings = settings,
            Files = Enumerable.Range(10, 31).Select(s => new WalFile(new SegmentNumber((ulong)s), Seg.FileName(new SegmentNumber((ulong)s)), Seg.Size)).ToList(),
            Insert = At(30),
            Redo = At(28),
            Estimate = 2 * ByteCount.MiB,
            Slots = [new ExplainSlot(CheckpointSlot.Holding("a", At(12))), new ExplainSlot(CheckpointSlot.Holding("b", At(20)))],
            ArchivedThrough = new SegmentNumber(archivedThrough),
            LastRemoved = new SegmentNumber(9),
        };
    }

    private static long Files(WalBreakdown b, WalHoldReason reason, string? slot = null) =>
        b.Totals.Where(t => t.Reason == reason && t.Slot == slot).Sum(t => t.Files);

    [Fact]
    public void Every_file_has_one_reason_redo_then_wal_keep_then_the_slots_stacked_then_recycled_ahead()
    {
        var b = WalBreakdown.Of(State("15.8"));
        // Redo 28..30; KeepLogSeg without slots: 30 − 5 = 25, so wal_keep 25..27; slot a 12..19 (up to b's 20), b 20..24;
        // past the insert segment 31..40 recycled ahead; 10..11 are below every slot: removable.
        Assert.Equal(3, Files(b, WalHoldReason.Redo));
        Assert.Equal(3, Files(b, WalHoldReason.WalKeep));
        Assert.Equal(8, Files(b, WalHoldReason.Slot, "a"));
        Assert.Equal(5, Files(b, WalHoldReason.Slot, "b"));
        Assert.Equal(10, Files(b, WalHoldReason.RecycledAhead));
        Assert.Equal(2, Files(b, WalHoldReason.Removable));
        Assert.Equal(31, b.Totals.Sum(t => t.Files));
        Assert.Equal(31 * ByteCount.MiB, b.Bytes.Bytes);
        Assert.Equal("a", b.MinimumSlot?.Name);
        Assert.Equal("b", b.NextSlot?.Name);
    }

    [Fact]
    public void XLOGfileslop_names_the_estimate_as_what_set_the_recycle_limit()
    {
        var b = WalBreakdown.Of(State("15.8"));
        // ceil((28 MiB + 0x100 + (1 + 0.9) × 1.1 × 2 MiB) / 1 MiB) = ceil(32.18) = 33, inside [28 + 4 − 1, 28 + 32 − 1] = [31, 59].
        Assert.Equal(new SegmentNumber(33), b.Recycle.Limit);
        Assert.Equal(RecycleBound.Estimate, b.Recycle.Bound);
        Assert.Equal(3, b.Recycle.AllowedAhead);
    }

    [Fact]
    public void The_next_checkpoint_removes_what_RemoveOldXlogFiles_would_below_KeepLogSeg()
    {
        var b = WalBreakdown.Of(State("15.8"));
        // KeepLogSeg from a redo in 30 keeps from slot a's 12: 10 and 11 go. Names 31..40 exist, so the free ones for
        // recycling start at 41 and XLOGfileslop (redo 30, estimate max(2 MiB, distance 2 MiB)) stops below them: removed.
        var next = b.Next!;
        Assert.Equal(new SegmentNumber(12), next.Keep);
        Assert.Equal(2, next.Removed + next.Recycled);
        Assert.Equal(2, next.Going.Single(g => g.Reason == WalHoldReason.Removable).Files);
    }

    [Fact]
    public void A_slot_past_max_slot_wal_keep_size_is_invalidated_by_the_next_checkpoint_and_its_files_go()
    {
        var b = WalBreakdown.Of(State("16.4", capMb: 12));
        // 16+: the cap keeps 30 − 12 = 18 onwards; a's 12..17 are past it; b (20) stays.
        Assert.Equal(6, b.Files.Count(f => f.Slot == "a" && f.PastCap));
        var next = b.Next!;
        var inv = Assert.Single(next.Invalidated);
        Assert.Equal("a", inv.Name);
        // "exceeds the limit by": start of segment 18 − restart_lsn (12 MiB + 0x100).
        Assert.Equal(6 * ByteCount.MiB - 0x100, inv.ExceedsBy.Bytes);
        Assert.Equal(new SegmentNumber(20), next.Keep);
    }

    [Fact]
    public void Files_archiving_still_needs_are_waiting_for_the_archiver_not_removable()
    {
        var b = WalBreakdown.Of(State("15.8", archivedThrough: 10));
        Assert.Equal(1, Files(b, WalHoldReason.Archiver)); // 11: below every slot, not archived
        Assert.Equal(1, Files(b, WalHoldReason.Removable)); // 10
        Assert.Equal(1, b.Next!.Removed + b.Next.Recycled);
    }

    [Theory]
    [InlineData("15.8", -1, ulong.MaxValue)]
    [InlineData("15.8", -1, 10UL)]
    [InlineData("15.8", -1, 22UL)]
    [InlineData("16.4", 12, ulong.MaxValue)]
    [InlineData("16.4", 3, 15UL)]
    [InlineData("12.22", -1, 35UL)]
    public void The_totals_of_a_run_of_files_counted_by_stretches_equal_the_file_by_file_ones(string version, long capMb, ulong archivedThrough)
    {
        var state = State(version, capMb, archivedThrough);
        Assert.Equal(WalBreakdown.Of(state).Totals, WalBreakdown.TotalsOfRun(state, new SegmentNumber(10), new SegmentNumber(40)));
    }

    [Fact]
    public void The_totals_of_a_run_equal_the_file_by_file_ones_at_every_row_of_a_run_and_add_up_to_pg_wal()
    {
        // The engine's states along archiver-failure (the archiver, slots, recycling) and step-two-slots, on 12 and 16:
        // a row's breakdown is TotalsOfRun; the explain of the same instant is Of.
        foreach (var (file, version) in new[] { ("archiver-failure.yaml", "16"), ("step-two-slots.yaml", "12"), ("step-two-slots.yaml", "16") })
        {
            var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(RepoPaths.Of("scenarios", file));
            var rows = new BreakdownRows();
            Simulation.Run(scenario, PgVersion.Parse(version), rows);
            Assert.NotEmpty(rows.Rows);
            if (file == "archiver-failure.yaml")
                Assert.Contains(rows.Rows, r => r.Breakdown!.Any(t => t.Reason == WalHoldReason.Archiver && t.Files > 0));
            foreach (var row in rows.Rows)
            {
                var sum = row.Breakdown!.Sum(t => t.Bytes.Bytes);
                Assert.True(sum == row.PgWalBytes.Bytes, $"{file} on {version} at {row.At}: reasons add up to {sum}, pg_wal is {row.PgWalBytes.Bytes}");
            }
            var end = rows.Rows[^1].At;
            foreach (var at in new[] { 0.25, 0.5, 0.75, 1.0 }.Select(f => SimTime.Zero + new SimDuration((long)(f * (end - SimTime.Zero).Microseconds))))
            {
                var state = SimulationState.At(scenario, PgVersion.Parse(version), at).State;
                var files = state.Files;
                Assert.Equal(WalBreakdown.Of(state).Totals, WalBreakdown.TotalsOfRun(state, files[0].Segment, files[^1].Segment));
            }
        }
    }

    private sealed class BreakdownRows : ISimulationObserver
    {
        public List<TimelineRow> Rows { get; } = [];
        public bool WantsWalBreakdown => true;
        public void OnTimelineRow(TimelineRow row) => Rows.Add(row.Detach());
    }

    [Fact]
    public void PostgreSQL_12_keeps_wal_keep_segments_and_every_slot_without_a_cap()
    {
        var b = WalBreakdown.Of(State("12.22"));
        Assert.Equal(3, Files(b, WalHoldReason.WalKeep));
        Assert.Empty(b.Next!.Invalidated);
        Assert.Equal(new SegmentNumber(12), b.Next.Keep);
    }
}

/// <summary><c>walsim explain</c> on a topology: one breakdown per node, the standbys at the primary's instant.</summary>
public sealed class TopologyExplainTests
{
    [Fact]
    public void Each_standby_of_a_topology_is_explained_at_the_same_instant_from_its_last_restartpoint()
    {
        // a streams to b (17, 16MB segments, a long primary checkpoint_timeout): at the primary's pg_wal peak (1h25m)
        // b holds 22 files too, every one from its last restartpoint's redo (the primary checkpoint it replayed) on.
        var path = RepoPaths.Of("scenarios",
            "standby-restartpoint-long-primary-checkpoint-timeout.yaml");
        var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(path);
        var reports = Walsim.Analyzer.Explain.ExplainSources.FromScenarioNodes(scenario, "x.yaml", PgVersion.Parse("17"), null);
        Assert.Equal(["a", "b"], reports.Select(r => r.Node));
        var b = reports[1];
        Assert.True(b.State.InRecovery);
        // The next restartpoint, taken at the replay position: it keeps from b's slot-less KeepLogSeg at that redo.
        var next = b.Breakdown.Next!;
        Assert.Equal(b.State.ReplayLsn, next.Redo);
        Assert.Equal(b.State.Settings.SegmentSize.SegmentOf(b.State.ReplayLsn), next.Keep);
        Assert.Equal(next.Removed + next.Recycled, next.Going.Sum(g => g.Files));
        Assert.Equal(b.State.Files.Count, b.Breakdown.Totals.Sum(t => t.Files));
        Assert.Equal(22, b.Breakdown.FileCount);
        Assert.Equal(22, b.Breakdown.Totals.Single(t => t.Reason == WalHoldReason.Redo).Files);
        Assert.Equal(reports[0].State.Redo, b.State.Redo);
        Assert.True(b.State.ReplayLsn <= b.State.Insert);
    }
}

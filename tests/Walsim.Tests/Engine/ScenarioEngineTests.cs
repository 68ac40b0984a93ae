using System.Text.RegularExpressions;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// Whole scenarios through <see cref="Simulation.Run(Scenario, PgVersion, ISimulationObserver?)"/>: steady, stalled, invalidated, idle, WAL-triggered, archiver
/// failure, disk full, logical slot pinned by a transaction, and the step sequence of PostgreSQL's own TAP test
/// src/test/recovery/t/019_replslot_limit.pl (REL_15_STABLE). Closed forms are used as cross-checks where they exist.
/// </summary>
public class ScenarioEngineTests
{
    private const double MiB = ByteCount.MiB;
    private static readonly WalSegmentSize Seg16 = WalSegmentSize.FromMegabytes(16);

    private static PgVersion V(string text) => PgVersion.Parse(text);
    private static SimTime T(double seconds) => SimTime.FromSeconds(seconds);
    private static Dictionary<string, string> Gucs(params (string Name, string Value)[] g) => g.ToDictionary(x => x.Name, x => x.Value);
    private static Workload Constant(double bytesPerSecond, double fromSeconds = 0, double? untilSeconds = null) =>
        new([new ConstantRate(bytesPerSecond, T(fromSeconds), untilSeconds is { } u ? T(u) : SimTime.Never)]);

    private static (SimulationResult Result, CollectingObserver Observed) Run(Scenario scenario, string version)
    {
        var observer = new CollectingObserver();
        var result = Simulation.Run(scenario, V(version), observer);
        return (result, observer);
    }

    private static Scenario Base(string name) => new()
    {
        Name = name,
        Versions = [V("15")],
        SegmentSize = Seg16,
        Duration = SimDuration.FromHours(6),
    };

    // ------------------------------------------------------------------------------------------------ steady state

    // XLOGfileslop caps recycling at redo + MBtoSegs(max_wal_size) − 1 (TV-10): with WAL-volume checkpoints every
    // CheckPointSegments = 33 segments the estimate is 33 segments, 1.1·1.9·33 ≈ 69 > 63, so each checkpoint leaves
    // [redo, redo + 63] = 64 files (1 GiB) — retention-model.md §8.6: total = recycleSegNo − segno(redo) + 1. The server starts "warm"
    // (pg_wal pre-recycled up to max_wal_size, as after earlier runs at this rate): a cold cluster never has the
    // 34th file to fill the 34th free name and stays one short (see the next test).
    [Fact]
    public void Steady_fast_writes_without_slots_settle_at_max_wal_size_files_after_each_checkpoint()
    {
        var scenario = Base("steady-fast") with
        {
            Workload = Constant(16 * MiB), // one segment per second
            Start = new StartState { FilesAhead = 64 },
            Duration = SimDuration.FromHours(1),
        };
        var (result, obs) = Run(scenario, "15");

        var done = obs.Checkpoints.Where(c => !c.Skipped).ToList();
        Assert.True(done.Count > 50, $"expected many WAL-volume checkpoints, got {done.Count}");
        Assert.All(done, c => Assert.Equal(CheckpointCause.Wal, c.Cause));
        foreach (var c in done)
        {
            Assert.Equal(540_672, c.EstimateKb);                                   // 33 × 16 MiB
            Assert.Equal(Seg16.SegmentOf(c.Redo) + 63, c.RecycleSegNo);            // capped at maxSegNo
            Assert.Equal(64, c.FilesAfter);
            Assert.Equal(33, c.Removed + c.Recycled);
        }
        Assert.Equal(0, result.Summary.Invalidations);
    }

    // The same workload from initdb: every checkpoint frees 33 files but the recycle horizon needs 34 new names the
    // first time and 33 afterwards, so pg_wal stays at 63 files — never above max_wal_size.
    [Fact]
    public void Steady_fast_writes_from_a_cold_start_never_exceed_max_wal_size_files()
    {
        var scenario = Base("steady-fast-cold") with { Workload = Constant(16 * MiB), Duration = SimDuration.FromHours(1) };
        var (_, obs) = Run(scenario, "15");
        foreach (var c in obs.Checkpoints.Where(c => !c.Skipped))
        {
            var span = (long)(c.RecycleSegNo.Value - Seg16.SegmentOf(c.Redo).Value + 1);
            Assert.InRange(c.FilesAfter, span - 1, span);
            Assert.InRange(c.FilesAfter, 5, 64); // ≥ MBtoSegs(min_wal_size), ≤ MBtoSegs(max_wal_size)
        }
    }

    // Time-triggered checkpoints (10 segments per checkpoint_timeout < 33): XLOGfileslop gives
    // ceil((redo + 1.1·1.9·estimate)/SEG) = redo + 21, above minSegNo = redo + 4 and below maxSegNo = redo + 63, so a
    // warm server keeps exactly [redo, redo + 21] = 22 files; a cold one is short of the names it never had files for.
    [Theory]
    [InlineData(30, 0)]
    [InlineData(0, 2)]
    public void Steady_slow_writes_settle_between_min_wal_size_and_max_wal_size_at_the_recycle_horizon(int filesAhead, int shortBy)
    {
        var rate = 10 * 16 * MiB / 300; // 10 segments per 5 min
        var scenario = Base("steady-slow") with
        {
            Workload = Constant(rate),
            Start = new StartState { FilesAhead = filesAhead },
            Duration = SimDuration.FromHours(4),
        };
        var (_, obs) = Run(scenario, "15");

        var done = obs.Checkpoints.Where(c => !c.Skipped).ToList();
        Assert.All(done, c => Assert.Equal(CheckpointCause.Time, c.Cause));
        foreach (var c in done)
        {
            var redoSeg = Seg16.SegmentOf(c.Redo).Value;
            Assert.Equal(redoSeg + 21, c.RecycleSegNo.Value);
            Assert.Equal(22 - shortBy, c.FilesAfter);
            Assert.Equal(10 * 16 * 1024, c.DistanceKb, 16.0);       // 10 segments between redos
        }
    }

    // ------------------------------------------------------------------------------------------------ stalled slot

    private static Scenario StalledStandby(string name) => Base(name) with
    {
        Versions = [V("12"), V("13"), V("15"), V("18")],
        Workload = Constant(2 * MiB),
        VersionSettings = [new VersionedSettings(Range("13+"), Gucs(("max_slot_wal_keep_size", "10GB")))],
        Slots = [new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { Outages = [new Outage(T(3600), SimTime.Never)] } }],
        Duration = SimDuration.FromHours(6),
    };

    private static VersionRange Range(string text)
    {
        Assert.True(VersionRange.TryParse(text, out var r, out var e), e);
        return r;
    }

    // KeepLogSeg (13+): the slot is capped at max_slot_wal_keep_size and InvalidateObsoleteReplicationSlots marks it lost;
    // KeepLogSeg_12 has no cap: the slot holds every segment since it stalled.
    [Theory]
    [InlineData("13.23")]
    [InlineData("15.18")]
    [InlineData("18.4")]
    public void Stalled_physical_slot_is_lost_on_13_plus_once_it_falls_max_slot_wal_keep_size_behind(string version)
    {
        var (result, obs) = Run(StalledStandby("stalled"), version);
        var rep1 = Assert.Single(result.Slots);
        Assert.NotNull(rep1.Lost);
        Assert.Equal(InvalidationCause.WalRemoved, rep1.Cause);

        // Lost at the first checkpoint whose keep passes the slot: 10 GB = 640 segments after it stalled at 1h (2 MiB/s),
        // i.e. not before 1h + 640·16 MiB / 2 MiB/s = 1h + 5120 s, and within one checkpoint cycle after that
        // (its last report before the outage was at most ConfirmEvery = 10 s earlier).
        var earliest = 3600 - 10 + 640 * 16 / 2.0;
        Assert.InRange(rep1.Lost!.Value.TotalSeconds, earliest, earliest + 10 + 300 + 270 + 1);
        Assert.NotNull(rep1.FirstExtended);
        Assert.NotNull(rep1.FirstUnreserved);
        Assert.True(rep1.FirstExtended <= rep1.FirstUnreserved && rep1.FirstUnreserved <= rep1.Lost);

        var inv = Assert.Single(obs.Events, e => e.Kind == "invalidate");
        Assert.Equal("rep1", inv.Slot);

        // After the loss, pg_wal shrinks back to the max_wal_size regime.
        var after = obs.Checkpoints.Where(c => !c.Skipped && c.Start > rep1.Lost!.Value + SimDuration.FromMinutes(30)).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, c => Assert.InRange(c.FilesAfter, 1, 64));
    }

    [Fact]
    public void Stalled_physical_slot_is_never_lost_on_12_and_pg_wal_keeps_growing()
    {
        var (result, obs) = Run(StalledStandby("stalled"), "12.22");
        var rep1 = Assert.Single(result.Slots);
        Assert.Null(rep1.Lost);
        Assert.Equal(InvalidationCause.None, rep1.Cause);
        Assert.DoesNotContain(obs.Events, e => e.Kind == "invalidate");

        // Every checkpoint after the stall keeps the slot's segment, so the file count only grows:
        // roughly everything written since 1h (2 MiB/s).
        var after = obs.Checkpoints.Where(c => !c.Skipped && c.Start > T(3600 + 600)).ToList();
        Assert.True(after.Count > 10);
        for (var i = 1; i < after.Count; i++) Assert.True(after[i].FilesAfter > after[i - 1].FilesAfter);
        var written = (after[^1].RecPtr - Seg16.StartOf(after[0].Keep)).Bytes / Seg16.Bytes;
        Assert.InRange(after[^1].FilesAfter, written, written + 64);
        Assert.True(result.Summary.PeakPgWalFiles >= 5 * 3600 * 2 / 16, $"peak {result.Summary.PeakPgWalFiles}");
    }

    // ------------------------------------------------------------------------------------------------ 13.3 vs 13.4

    // InvalidateObsoleteReplicationSlots in 13.0–13.3 is void and does not call ReplicationSlotsComputeRequiredLSN:
    // after the only slot is invalidated the stale minimum keeps KeepLogSeg at curr − max_slot_wal_keep_size (release
    // note 13.4: "If all slots were invalidated, the horizon would not move again"). 13.4 recomputes and goes back to
    // the max_wal_size regime.
    [Fact]
    public void After_all_slots_are_invalidated_13_3_keeps_pg_wal_at_the_cap_and_13_4_shrinks_it()
    {
        var scenario = Base("stale-minimum") with
        {
            Workload = Constant(16 * MiB),   // one segment per second
            Settings = Gucs(("max_slot_wal_keep_size", "2GB")), // 128 segments
            Slots = [new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { Outages = [new Outage(T(600), SimTime.Never)] } }],
            Duration = SimDuration.FromHours(1),
        };
        var (r133, o133) = Run(scenario, "13.3");
        var (r134, o134) = Run(scenario, "13.4");

        var lost = Assert.Single(r133.Slots).Lost;
        Assert.NotNull(lost);
        Assert.Equal(lost, Assert.Single(r134.Slots).Lost); // identical until the invalidation

        var before133 = o133.Checkpoints.Where(c => c.End < lost!.Value).Select(c => (c.Keep, c.Removed, c.Recycled, c.FilesAfter));
        var before134 = o134.Checkpoints.Where(c => c.End < lost!.Value).Select(c => (c.Keep, c.Removed, c.Recycled, c.FilesAfter));
        Assert.Equal(before134, before133);

        var later133 = o133.Checkpoints.Where(c => !c.Skipped && c.End > lost!.Value).ToList();
        var later134 = o134.Checkpoints.Where(c => !c.Skipped && c.End > lost!.Value).ToList();
        Assert.True(later133.Count >= 5 && later133.Count == later134.Count);
        for (var i = 1; i < later133.Count; i++)
        {
            var keepDistance133 = Seg16.SegmentOf(later133[i].RecPtr).Value - later133[i].Keep.Value;
            Assert.Equal(128UL, keepDistance133);                                   // curr − k with the stale minimum
            Assert.Equal(Seg16.SegmentOf(later134[i].Redo), later134[i].Keep);      // no slot: the redo segment
            Assert.True(later133[i].FilesAfter >= 128, $"13.3 files {later133[i].FilesAfter}");
            Assert.True(later134[i].FilesAfter <= 64, $"13.4 files {later134[i].FilesAfter}");
        }
        // The checkpoint that invalidates: 13.4 re-runs KeepLogSeg and removes more at once.
        var inv133 = o133.Checkpoints.Single(c => c.InvalidatedSlots.Count > 0);
        var inv134 = o134.Checkpoints.Single(c => c.InvalidatedSlots.Count > 0);
        Assert.Equal(inv133.KeepBeforeInvalidation, inv134.KeepBeforeInvalidation);
        Assert.Equal(inv133.KeepBeforeInvalidation, inv133.Keep);
        Assert.True(inv134.Keep > inv133.Keep);
        Assert.True(inv134.Removed + inv134.Recycled > inv133.Removed + inv133.Recycled);
    }

    // ------------------------------------------------------------------------------------------------ idle skip

    // CreateCheckPoint (retention-model.md §3.4): no FORCE and GetLastImportantRecPtr() == ControlFile->checkPoint → skipped entirely.
    [Theory]
    [InlineData("12.22")]
    [InlineData("15.18")]
    [InlineData("18.4")]
    public void Idle_server_skips_every_timed_checkpoint_and_removes_nothing(string version)
    {
        var scenario = Base("idle") with { Duration = SimDuration.FromDays(1) };
        var (result, obs) = Run(scenario, version);

        Assert.Equal(0, result.Summary.Checkpoints);
        Assert.Equal(86400 / 300, result.Summary.SkippedCheckpoints);
        Assert.All(obs.Checkpoints, c => Assert.True(c.Skipped));
        Assert.All(obs.Checkpoints, c => Assert.Equal("checkpoint skipped because system is idle", c.LogLine));
        Assert.Equal((0L, 0L, 0L), (result.Summary.FilesRemoved, result.Summary.FilesRecycled, result.Summary.FilesAdded));
        Assert.All(obs.Checkpoints, c => Assert.Equal(CheckpointCause.Time, c.Cause));
        // Timed attempts start every checkpoint_timeout, measured start to start (retention-model.md §3.3).
        for (var i = 0; i < obs.Checkpoints.Count; i++) Assert.Equal(T(300 * (i + 1)), obs.Checkpoints[i].Start);
    }

    // One burst of writes: the next timed checkpoint runs; later ones are skipped — archive_timeout switches (retention-model.md §10,
    // unimportant) and the bgwriter's running_xacts do not defeat the skip (TV-21).
    [Theory]
    [InlineData("off")]
    [InlineData("on")]
    public void After_one_write_only_the_next_timed_checkpoint_runs_even_with_archive_timeout(string archiveMode)
    {
        var scenario = Base("idle-after-write") with
        {
            Settings = Gucs(("archive_mode", archiveMode), ("archive_timeout", "60s")),
            Events = [new WriteWal(ByteCount.FromMegabytes(40)) { At = T(100) }],
            Duration = SimDuration.FromHours(3),
        };
        var (result, obs) = Run(scenario, "15");
        Assert.Equal(1, result.Summary.Checkpoints);
        var ran = Assert.Single(obs.Checkpoints, c => !c.Skipped);
        Assert.Equal(T(300), ran.Start);
        Assert.All(obs.Checkpoints.Where(c => c.Start > ran.Start), c => Assert.True(c.Skipped));
    }

    // ------------------------------------------------------------------------------------------------ WAL-volume trigger

    // XLogWrite → XLogCheckpointNeeded (TV-07): finishing segment segno(redo) + CheckPointSegments − 1 requests a checkpoint,
    // i.e. when the write pointer reaches segstart(42 + 33) = 0/4B00000 (cct 0.9) or segstart(42 + 42) = 0/5400000 (cct 0.5).
    [Theory]
    [InlineData("15.18", "0.9", "0/4B00000")]
    [InlineData("13.23", "0.5", "0/5400000")]
    [InlineData("18.4", "0.9", "0/4B00000")]
    public void Wal_volume_checkpoint_is_requested_exactly_when_the_write_pointer_reaches_the_trigger_segment(
        string version, string cct, string trigger)
    {
        var start = Lsn.Parse("0/2A00100");
        var at = Lsn.Parse(trigger);
        var scenario = new Scenario
        {
            Name = "wal-trigger",
            Versions = [V(version)],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "64MB"), ("checkpoint_completion_target", cct), ("checkpoint_timeout", "1d")),
            Start = new StartState { InsertLsn = start },
            Events =
            [
                new WriteWal(new ByteCount((at - start).Bytes - 1)) { At = T(1) },  // stops one byte short
                new WriteWal(new ByteCount(1)) { At = T(2) },                      // finishes the segment before the trigger
            ],
            Duration = SimDuration.FromHours(22), // the write phase ends after cct × checkpoint_timeout; no second one
        };
        var (_, obs) = Run(scenario, version);

        var first = Assert.Single(obs.Checkpoints);
        Assert.Equal(CheckpointCause.Wal, first.Cause);
        Assert.Equal(T(2), first.Start);
        Assert.Equal(at + new ByteCount(40), first.Redo); // the redo pointer skips the segment's long page header
    }

    // The same trigger under a constant rate: the request time is (trigger − start) / rate, to the microsecond.
    [Fact]
    public void Wal_volume_checkpoint_under_a_constant_rate_starts_when_the_trigger_position_is_reached()
    {
        var start = Lsn.Parse("0/2A00100");
        var scenario = new Scenario
        {
            Name = "wal-trigger-rate",
            Versions = [V("15")],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "64MB"), ("checkpoint_timeout", "1d")),
            Start = new StartState { InsertLsn = start },
            Workload = Constant(MiB),
            Duration = SimDuration.FromSeconds(80), // long enough for its write phase (0.9 × 33 segments) to end
        };
        var (_, obs) = Run(scenario, "15");
        var first = obs.Checkpoints.First();
        Assert.Equal(CheckpointCause.Wal, first.Cause);
        var expected = (Lsn.Parse("0/4B00000") - start).Bytes / MiB; // 32.999755859375 s
        Assert.Equal(expected, first.Start.TotalSeconds, 1e-6);
    }

    // XLogWrite tests XLogCheckpointNeeded only as it finishes a segment (retention-model.md §3.2). 1 MiB segments, max_wal_size 4MB →
    // CheckPointSegments 2; each checkpoint's write phase lasts 30 s. Start 0/100028 (seg 1, redo there).
    //   1 s  two segments → finishing seg 2 (≥ 1 + 2 − 1) requests A: redo 0/300028, ends at 31 s.
    //   2 s  two more → finishing seg 4 requests again while A runs: queued.
    //   31 s A ends; the queued request finds nothing written since A's record → skipped.
    //   then hours idle, with a timeline row every 5 min: the write position (0/500000+) stays past the request point
    //        segstart(3 + 2) = 0/500000 (a skip does not move RedoRecPtr), yet nobody finishes a segment → no request.
    //   3 h  a small record inside segment 5 finishes nothing → still no request.
    //   4 h  pg_switch_wal finishes segment 5 → request → B runs (the record at 3 h is new important WAL).
    [Fact]
    public void Wal_request_is_made_only_as_a_segment_is_finished_so_an_idle_server_past_the_request_point_asks_once()
    {
        var scenario = new Scenario
        {
            Name = "wal-request-at-segment-end",
            Versions = [V("15")],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "4MB"), ("min_wal_size", "2MB"), ("checkpoint_timeout", "1d")),
            CheckpointWrite = CheckpointWrite.Fixed(SimDuration.FromSeconds(30)),
            Events =
            [
                new WriteSegments(2) { At = T(1) },
                new WriteSegments(2) { At = T(2) },
                new WriteWal(new ByteCount(100)) { At = T(3 * 3600) },
                new SwitchWal { At = T(4 * 3600) },
            ],
            Duration = SimDuration.FromHours(5),
        };
        var (result, obs) = Run(scenario, "15.18");

        Assert.Equal(
            [(CheckpointCause.Wal, T(1), T(31), false), (CheckpointCause.Wal, T(31), T(31), true), (CheckpointCause.Wal, T(4 * 3600), T(4 * 3600 + 30), false)],
            obs.Checkpoints.Select(c => (c.Cause, c.Start, c.End, c.Skipped)));
        Assert.Equal(Lsn.Parse("0/300028"), obs.Checkpoints[0].Redo);
        Assert.Equal((2, 1), (result.Summary.Checkpoints, result.Summary.SkippedCheckpoints));
        Assert.True(obs.Timeline.Count > 50, "the idle hours are sampled, so the engine had many instants to (wrongly) ask at");
    }

    // The same request under checkpoint_write: instant (nothing dirty, as on the servers walsim validate drives):
    // write_segments: 4 from 0/200000 with CheckPointSegments 2 finishes segments 2..5 one by one; finishing seg 3
    // requests a checkpoint (redo 0/400028) that completes before seg 4 is written, so finishing seg 5 requests a
    // second one (redo 0/600028) within the same step — what real 15.18 logged at step 7 of 019_replslot_limit.pl.
    [Theory]
    [InlineData("13.23")]
    [InlineData("15.18")]
    [InlineData("18.4")]
    public void Instant_checkpoints_run_between_the_segments_of_one_write_segments_step(string version)
    {
        var scenario = new Scenario
        {
            Name = "instant-checkpoints",
            Versions = [V(version)],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "4MB"), ("min_wal_size", "2MB"), ("checkpoint_timeout", "1d")),
            CheckpointWrite = CheckpointWrite.Instant,
            Start = new StartState { InsertLsn = Lsn.Parse("0/200000") },
            Events = [new WriteSegments(4) { At = T(1), Step = 1 }],
            Duration = SimDuration.FromSeconds(2),
        };
        var (_, obs) = Run(scenario, version);

        var done = obs.Checkpoints.Where(c => !c.Skipped).ToList();
        Assert.Equal(2, done.Count);
        Assert.All(done, c => Assert.Equal((CheckpointCause.Wal, T(1), T(1)), (c.Cause, c.Start, c.End)));
        // 12-16: redo = the position past the long page header; 17+: the start of the REDO record, at the same place.
        Assert.Equal([Lsn.Parse("0/400028"), Lsn.Parse("0/600028")], done.Select(c => c.Redo));
    }

    // ------------------------------------------------------------------------------------------------ held walsender

    // A walsender that never confirms (hold_slot) keeps the slot active with restart_lsn frozen; the invalidating
    // checkpoint terminates it first (retention-model.md §7.3), then invalidates: 1MB segments, cap 4MB, slot at 0/200028 (seg 2),
    // CHECKPOINT at insert 0/700000 → 7 − 2 = 5 > 4 → keep 3 > seg 2. On 12 nothing is capped and it stays active.
    [Theory]
    [InlineData("12.22", false)]
    [InlineData("13.23", true)]
    [InlineData("16.14", true)]
    [InlineData("18.4", true)]
    public void Held_walsender_is_terminated_before_its_slot_is_invalidated(string version, bool capped)
    {
        var scenario = new Scenario
        {
            Name = "held",
            Versions = [V(version)],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "32MB"), ("min_wal_size", "2MB"), ("checkpoint_timeout", "1d")),
            VersionSettings = [new VersionedSettings(VersionRange.TryParse("13+", out var r, out _) ? r : default, Gucs(("max_slot_wal_keep_size", "4MB")))],
            Start = new StartState { InsertLsn = Lsn.Parse("0/200028") },
            Events =
            [
                new CreateSlot(new SlotSpec { Name = "cdc", Reserve = true }) { At = T(1) },
                new HoldSlot("cdc") { At = T(2), Step = 2 },
                new WriteSegments(5) { At = T(3), Step = 3 },
                new RequestCheckpoint { At = T(4), Step = 4 },
                new ReleaseSlot("cdc") { At = T(5), Step = 5 },
            ],
            SampleInterval = SimDuration.Zero,
            Duration = SimDuration.FromSeconds(6),
        };
        var (result, obs) = Run(scenario, version);

        Assert.True(result.Probes.Single(p => p.Step == 3).Slot("cdc")!.Value.Active, "held: active before the checkpoint");
        Assert.Equal(Lsn.Parse("0/200028"), result.Probes.Single(p => p.Step == 3).Slot("cdc")!.Value.RestartLsn);
        var kinds = obs.Events.Where(e => e.Slot == "cdc").Select(e => e.Kind).ToList();
        Assert.Equal(capped ? ["terminate", "invalidate"] : [], kinds);
        Assert.Equal(!capped, result.Probes.Single(p => p.Step == 4).Slot("cdc")!.Value.Active);
        Assert.False(result.Probes.Single(p => p.Step == 5).Slot("cdc")!.Value.Active);
    }

    // ------------------------------------------------------------------------------------------------ streaming consumer in steps

    // A standby streaming from its physical slot reports its flush position every 200 ms (PhysicalConfirmReceivedLocation
    // moves restart_lsn and recomputes the minimum): by the next step (1 s later) it has confirmed everything written
    // before. stop_consumer freezes the slot; start_consumer resumes the reports. 1MB segments, cap 4MB (13+),
    // start insert 0/200028. Step 2 writes 3 segments (insert seg 5), step 3's CHECKPOINT keeps seg 5 (the slot's);
    // switched off at step 4, 5 more segments (insert seg 10): 10 − 5 = 5 > 4 → 'unreserved'. Back at step 6 the
    // standby catches up to seg 10 ('reserved'), and step 7's CHECKPOINT invalidates nothing. Without the return the
    // same CHECKPOINT invalidates the slot (keep 6 > seg 5; InvalidateObsoleteReplicationSlots).
    [Theory]
    [InlineData("13.23", true)]
    [InlineData("13.23", false)]
    [InlineData("18.4", true)]
    [InlineData("18.4", false)]
    public void Streaming_consumer_back_before_the_checkpoint_saves_its_unreserved_slot(string version, bool comesBack)
    {
        var consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(0.2) };
        ScenarioEvent[] events =
        [
            new CreateSlot(new SlotSpec { Name = "rep1", Consumer = consumer }) { At = T(1), Step = 1 },
            new WriteSegments(3) { At = T(2), Step = 2 },
            new RequestCheckpoint { At = T(3), Step = 3 },
            new StopConsumer("rep1") { At = T(4), Step = 4 },
            new WriteSegments(5) { At = T(5), Step = 5 },
            new StartConsumer("rep1") { At = T(6), Step = 6 },
            new RequestCheckpoint { At = T(7), Step = 7 },
        ];
        var scenario = new Scenario
        {
            Name = "streaming",
            Versions = [V(version)],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("max_wal_size", "32MB"), ("min_wal_size", "2MB"), ("checkpoint_timeout", "1d"), ("max_slot_wal_keep_size", "4MB")),
            Start = new StartState { InsertLsn = Lsn.Parse("0/200028") },
            Events = comesBack ? events : events.Where(e => e is not StartConsumer).ToArray(),
            SampleInterval = SimDuration.Zero,
            Duration = SimDuration.FromSeconds(8),
        };
        var (result, obs) = Run(scenario, version);
        var seg = WalSegmentSize.FromMegabytes(1);
        SlotView Rep1(int step) => result.Probes.Single(p => p.Step == step).Slot("rep1")!.Value;

        Assert.True(Rep1(2).Active);
        Assert.Equal(5UL, seg.SegmentOf(Rep1(3).RestartLsn).Value);           // followed the writes of step 2
        Assert.False(Rep1(5).Active);
        Assert.Equal(5UL, seg.SegmentOf(Rep1(5).RestartLsn).Value);           // frozen while switched off
        Assert.Equal(WalStatus.Unreserved, Rep1(5).WalStatus);
        if (comesBack)
        {
            Assert.True(Rep1(6).Active);
            Assert.Equal(10UL, seg.SegmentOf(Rep1(6).RestartLsn).Value);      // caught up at once
            Assert.Equal(WalStatus.Reserved, Rep1(6).WalStatus);
            Assert.DoesNotContain(obs.Events, e => e.Slot == "rep1" && e.Kind == "invalidate");
        }
        else
        {
            Assert.Equal(["invalidate"], obs.Events.Where(e => e.Slot == "rep1").Select(e => e.Kind));
            Assert.Equal(WalStatus.Lost, Rep1(7).WalStatus);
        }
    }

    // ------------------------------------------------------------------------------------------------ PG18 idle timeout

    // InvalidatePossiblyObsoleteSlot (18, RS_INVAL_IDLE_TIMEOUT) runs only inside non-skipped checkpoints (TV-20/TV-21):
    // the slot is idle for hours, but while the server is idle every timed checkpoint is skipped.
    [Fact]
    public void Idle_replication_slot_timeout_invalidates_an_inactive_slot_only_at_a_non_skipped_checkpoint()
    {
        var scenario = Base("idle-timeout") with
        {
            Versions = [V("18")],
            Settings = Gucs(("idle_replication_slot_timeout", "600")),
            Workload = Constant(MiB, 0, 60),                    // writes only in the first minute
            Slots = [new SlotSpec { Name = "idle", Consumer = ConsumerSpec.None }],
            Events = [new WriteWal(ByteCount.FromMegabytes(1)) { At = T(7000) }],
            Duration = SimDuration.FromHours(3),
        };
        var (result, obs) = Run(scenario, "18.4");

        var slot = Assert.Single(result.Slots);
        Assert.Equal(InvalidationCause.IdleTimeout, slot.Cause);

        // 300 s: runs (WAL from the first minute), ends at 300 + 0.9·300 = 570 s: idle 570 s < 600 → kept.
        var first = obs.Checkpoints.First(c => !c.Skipped);
        Assert.Equal((T(300), T(570)), (first.Start, first.End));
        Assert.Empty(first.InvalidatedSlots);
        // 600 … 6900 s: all skipped as idle, although the slot has been idle far longer than 600 s.
        Assert.All(obs.Checkpoints.Where(c => c.Start >= T(600) && c.Start < T(7000)), c => Assert.True(c.Skipped));
        // 7200 s: the write at 7000 s makes it run; it invalidates at its end, 7470 s.
        var invalidating = Assert.Single(obs.Checkpoints, c => c.InvalidatedSlots.Count > 0);
        Assert.Equal((T(7200), T(7470)), (invalidating.Start, invalidating.End));
        Assert.Equal(T(7470), slot.Lost);

        var message = Assert.Single(obs.Events, e => e.Kind == "invalidate").Message;
        Assert.Contains("idle_replication_slot_timeout", message);
        Assert.Contains("7470s", message);

        // The slot keeps restart_lsn (idle cause) but shows 'lost' and no longer holds WAL.
        var view = obs.Timeline.Last().Slots.Single();
        Assert.True(view.RestartLsn.IsValid);
        Assert.Equal(WalStatus.Lost, view.WalStatus);
        Assert.Equal(Seg16.SegmentOf(invalidating.Redo), invalidating.Keep);
    }

    // ------------------------------------------------------------------------------------------------ streamed rows

    // The engine reuses a row's slot storage for the next row (a year of 100 slots would otherwise allocate a list
    // per row); CollectingObserver keeps detached copies, so each kept row still shows its own instant: a consumer
    // 2 minutes behind at 1 MB/s has restart_lsn = insert_lsn of 120 s earlier, row after row.
    [Fact]
    public void Collected_rows_keep_the_slot_positions_of_their_own_instant()
    {
        var scenario = LaggingConsumer(SlotKind.Physical) with { SampleInterval = SimDuration.FromMinutes(5) };
        var rows = Run(scenario, "15").Observed.Timeline.Where(r => r.Reason == RowReason.Sample && r.At >= T(600)).ToList();
        Assert.True(rows.Count >= 10);
        foreach (var row in rows)
        {
            var restart = row.Slot("s")!.Value.RestartLsn;
            var behind = (row.InsertLsn - restart).Bytes;
            // The last report is at most confirm_every (10 s) old: 120–130 s behind, plus the checkpoint records.
            Assert.InRange(behind, 120 * MiB, 130 * MiB + 4096);
        }
        Assert.Equal(rows.Count, rows.Select(r => r.Slot("s")!.Value.RestartLsn).Distinct().Count());
    }

    // ------------------------------------------------------------------------------------------------ slot sampling (TV-17)

    private static Scenario LaggingConsumer(SlotKind kind) => Base("lagging-" + kind) with
    {
        Settings = Gucs(("wal_level", "logical")),
        Workload = Constant(MiB),
        Slots =
        [
            new SlotSpec
            {
                Name = "s", Kind = kind,
                Consumer = new ConsumerSpec { Lag = SimDuration.FromMinutes(2), ConfirmEvery = SimDuration.FromSeconds(10) },
            },
        ],
        Duration = SimDuration.FromHours(2),
    };

    private static List<(SegmentNumber Redo, SegmentNumber Keep)> Keeps(Scenario scenario, string version) =>
        Run(scenario, version).Observed.Checkpoints.Where(c => !c.Skipped).Select(c => (Seg16.SegmentOf(c.Redo), c.Keep)).ToList();

    // CreateCheckPoint, retention-model.md §6.2: a physical standby 2 minutes behind is before the redo pointer when the checkpoint starts
    // and past it when it ends. 17.0–17.5 read the minimum at the end (keep = redo segment); 17.6+ (2090edc6f) capture it
    // at the start, and PG18 gets the same from last_saved_restart_lsn (physical slots are saved only by checkpoints).
    [Fact]
    public void Physical_slot_minimum_is_taken_at_checkpoint_start_on_17_6_and_18_and_at_the_end_on_17_5()
    {
        var scenario = LaggingConsumer(SlotKind.Physical);
        var end = Keeps(scenario, "17.5");
        var start = Keeps(scenario, "17.6");
        var pg18 = Keeps(scenario, "18.4");

        Assert.True(end.Count > 10);
        Assert.All(end.Skip(1), c => Assert.Equal(c.Redo, c.Keep));
        // Two minutes at 1 MiB/s is 7.5 segments: the slot at checkpoint start is 7 or 8 segments before the redo.
        Assert.All(start.Skip(1), c => Assert.InRange(c.Redo.Value - c.Keep.Value, 7UL, 9UL));
        Assert.Equal(start, pg18);
    }

    // LogicalConfirmReceivedLocation (REL_18_STABLE logical.c): when restart_lsn advances the slot is saved
    // (ReplicationSlotSave → SaveSlotToPath sets last_saved_restart_lsn := restart_lsn), so a logical slot is not held
    // at its checkpoint-start position on 18 (retention-model.md §6.2: "explicit saves (logical advance, invalidation)"). PG18 keeps
    // what the end-sampling 17.5 keeps; 17.6+ (start sampling) keeps more.
    [Fact]
    public void Pg18_logical_slot_saved_on_each_restart_lsn_advance_is_not_held_at_its_checkpoint_start_position()
    {
        var scenario = LaggingConsumer(SlotKind.Logical);
        var end = Keeps(scenario, "17.5");
        var pg18 = Keeps(scenario, "18.4");
        Assert.True(end.Count > 10);
        Assert.Equal(end, pg18);
    }

    // ------------------------------------------------------------------------------------------------ logical slot + long transaction

    // retention-model.md §12.2: restart_lsn = newest decoded running_xacts ≤ confirmed_flush, held back to the snapshot before the first
    // record of the oldest open transaction.
    [Fact]
    public void Logical_slot_pinned_by_a_long_transaction_keeps_restart_lsn_until_the_transaction_ends()
    {
        var scenario = Base("long-tx") with
        {
            Settings = Gucs(("wal_level", "logical")),
            Workload = Constant(MiB),
            Slots = [new SlotSpec { Name = "cdc", Kind = SlotKind.Logical, Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10) } }],
            Transactions = [new LongTransaction("batch", T(1800), T(5400))],
            Duration = SimDuration.FromHours(2),
        };
        var (_, obs) = Run(scenario, "15");
        var rows = obs.Timeline.Where(r => r.Reason == RowReason.Sample).ToList();
        Lsn RestartAt(double s) => rows.Single(r => r.At == T(s)).Slots.Single().RestartLsn;
        Lsn InsertAt(double s) => rows.Single(r => r.At == T(s)).InsertLsn;

        // Before: it follows the consumer.
        Assert.True(RestartAt(1500) > RestartAt(900));
        // During: frozen at or before the position where the transaction began.
        var pinned = RestartAt(2100);
        Assert.True(pinned <= InsertAt(1800));
        Assert.True(pinned > RestartAt(1500));
        foreach (var s in new double[] { 2400, 3000, 3600, 4200, 4800, 5100 }) Assert.Equal(pinned, RestartAt(s));
        // After: it moves again, close behind the insert position.
        Assert.True(RestartAt(5700) > InsertAt(5400));
        Assert.True((InsertAt(6000) - RestartAt(6000)).Bytes < 30 * MiB);
    }

    // ------------------------------------------------------------------------------------------------ archiver failure

    // XLogArchiveCheckDone (retention-model.md §10): a segment without .done is skipped silently by RemoveOldXlogFiles and retried at every
    // later checkpoint; once the archiver recovers the next checkpoint removes the backlog.
    [Fact]
    public void Archiver_failure_holds_segments_and_the_next_checkpoint_after_recovery_removes_them()
    {
        var rate = 16 * MiB / 10; // 30 segments per checkpoint_timeout
        Scenario Make(bool failing) => Base("archiver") with
        {
            Settings = Gucs(("archive_mode", "on")),
            Workload = Constant(rate),
            Archiver = failing ? new ArchiverSpec(SimDuration.Zero, [new Outage(T(3600), T(7200))]) : ArchiverSpec.KeepsUp,
            Duration = SimDuration.FromHours(3),
        };
        var (_, ok) = Run(Make(false), "15");
        var (_, failed) = Run(Make(true), "15");

        var steadyMax = ok.Checkpoints.Where(c => !c.Skipped && c.Start > T(1800)).Max(c => c.FilesAfter);
        Assert.True(steadyMax <= 64);

        // During the failure nothing finished after 1h is removed: files grow by ~360 segments per hour.
        var during = failed.Checkpoints.Where(c => !c.Skipped && c.End > T(3600 + 600) && c.End <= T(7200)).ToList();
        Assert.NotEmpty(during);
        Assert.All(during, c => Assert.Equal(0, c.Removed + c.Recycled));
        for (var i = 1; i < during.Count; i++) Assert.True(during[i].FilesAfter > during[i - 1].FilesAfter);
        var peakDuring = failed.Timeline.Where(r => r.At <= T(7200)).Max(r => r.FilesInPgWal);
        Assert.True(peakDuring >= 3600 / 10 - 1, $"peak {peakDuring}");

        // After recovery: the first checkpoint that completes removes/recycles the backlog, down to the recycle horizon
        // [redo, recycleSegNo] (the backlog supplies a file for every free name, so the span is filled exactly).
        var recovered = failed.Checkpoints.First(c => !c.Skipped && c.End > T(7200));
        Assert.True(recovered.Removed + recovered.Recycled >= 300, $"{recovered.LogLine}");
        Assert.Equal((long)(recovered.RecycleSegNo.Value - Seg16.SegmentOf(recovered.Redo).Value + 1), recovered.FilesAfter);
        Assert.True(recovered.FilesAfter <= 64);
    }

    // ------------------------------------------------------------------------------------------------ disk full

    // Closed form: with a stalled slot on 12 nothing is ever removed, so pg_wal grows by one file per segment written;
    // the volume holds disk/SEG files, so t ≈ (disk/SEG − initial files)·SEG / r. The writer also has to fill the
    // insert segment it starts in, and a checkpoint may pre-allocate the last file up to a quarter segment early
    // (PreallocXlogFiles), so the simulated time lies within one segment's time after the closed form.
    [Theory]
    [InlineData(1.0, 10L)]
    [InlineData(3.0, 20L)]
    [InlineData(5.0, 8L)]
    [InlineData(0.25, 2L)]
    public void Disk_fills_at_the_closed_form_time_when_a_stalled_slot_on_12_prevents_all_removal(double mibPerSecond, long diskGiB)
    {
        var r = mibPerSecond * MiB;
        var disk = new ByteCount(diskGiB * ByteCount.GiB);
        var scenario = Base("disk-full") with
        {
            Versions = [V("12")],
            Workload = Constant(r),
            Slots = [new SlotSpec { Name = "stuck", Consumer = ConsumerSpec.None }],
            Disk = new DiskSpec(disk, ByteCount.Zero, null),
            Duration = SimDuration.FromDays(30),
        };
        var (result, obs) = Run(scenario, "12.22");

        Assert.NotNull(result.Summary.DiskFull);
        Assert.Equal(0, result.Summary.FilesRemoved + result.Summary.FilesRecycled);
        Assert.Contains(obs.Events, e => e.Kind == "disk_full" && e.Message.Contains("No space left on device"));

        const int initialFiles = 1; // after initdb: the insert segment only
        var closed = (disk.Bytes / Seg16.Bytes - initialFiles) * Seg16.Bytes / r;
        var segmentTime = Seg16.Bytes / r;
        var actual = result.Summary.DiskFull!.Value.TotalSeconds;
        Assert.InRange(actual, closed, closed + segmentTime);
    }

    // The volume cannot hold more than disk/SEG segment files: the file that does not fit is never created.
    [Fact]
    public void Peak_pg_wal_never_exceeds_the_volume_size()
    {
        var disk = new ByteCount(2 * ByteCount.GiB);
        var scenario = Base("disk-full-peak") with
        {
            Versions = [V("12")],
            Workload = Constant(MiB),
            Slots = [new SlotSpec { Name = "stuck", Consumer = ConsumerSpec.None }],
            Disk = new DiskSpec(disk, ByteCount.Zero, null),
            Duration = SimDuration.FromDays(1),
        };
        var (result, _) = Run(scenario, "12.22");
        Assert.NotNull(result.Summary.DiskFull);
        Assert.True(result.Summary.PeakPgWalBytes <= disk, $"peak {result.Summary.PeakPgWalBytes} ({result.Summary.PeakPgWalFiles} files) on a {disk} volume");
    }

    // ------------------------------------------------------------------------------------------------ 019_replslot_limit.pl

    /// <summary>
    /// src/test/recovery/t/019_replslot_limit.pl as of REL_15_STABLE, first node, as walsim steps. 1 MiB segments,
    /// min_wal_size 2MB, max_wal_size 4MB; advance_wal(n) = n × (CREATE/DROP TABLE; pg_switch_wal()) = WriteSegments(n);
    /// "standby start; wait_for_catchup; standby stop" = StartConsumer + StopConsumer in one step.
    /// </summary>
    private static Scenario ReplslotLimitTap()
    {
        var events = new List<ScenarioEvent>();
        void Step(int n, params ScenarioEvent[] es)
        {
            foreach (var e in es) events.Add(e with { Step = n, At = T(n) });
            events.Add(new Observe { Step = n, At = T(n) });
        }
        ChangeSettings Set(params (string, string)[] g) => new(Gucs(g), VersionRange.All);
        ScenarioEvent[] CatchUp() => [new StartConsumer("rep1"), new StopConsumer("rep1")];

        Step(1);                                                                   // slot created, never connected
        Step(2, CatchUp());                                                        // 'check the catching-up state'
        Step(3, new WriteSegments(1), new RequestCheckpoint());                    // 'safe if WAL fits in max_wal_size'
        Step(4, new WriteSegments(4), new RequestCheckpoint());                    // 'check that slot is working'
        Step(5, CatchUp());
        Step(6, Set(("max_slot_wal_keep_size", "6MB")));                           // 'max_slot_wal_keep_size is working'
        Step(7, new WriteSegments(2), new RequestCheckpoint());                    // 'safe_wal_size gets close to the current LSN'
        Step(8, CatchUp());
        Step(9, Set(("wal_keep_size", "8MB")), new WriteSegments(6));              // 'wal_keep_size overrides max_slot_wal_keep_size'
        Step(10, Set(("wal_keep_size", "0")));
        Step(11, CatchUp());
        Step(12, new WriteSegments(6));                                            // 'the slot state changes to "extended"'
        Step(13, new RequestCheckpoint());                                         // 'so that the next checkpoint runs too early'
        Step(14, new WriteSegments(1));                                            // 'the slot state changes to "unreserved"'
        Step(15, CatchUp());                                                       // 'required WAL segments are still available'
        Step(16, new RequestCheckpoint());                                         // 'to improve stability of the next steps'
        Step(17, Set(("max_wal_size", "40MB")));                                   // 'Prevent other checkpoints'
        Step(18, new WriteSegments(7));                                            // 'loses the oldest segment by the next checkpoint'
        Step(19, Set(("max_wal_size", "4MB")), new RequestCheckpoint());           // RESET max_wal_size (conf file: 4MB); CHECKPOINT
        Step(20, new CreateSlot(new SlotSpec { Name = "s2", Reserve = true }));   // pg_create_physical_replication_slot('s2', true)
        Step(21, new DropSlot("s2"), new StartConsumer("rep1"));                   // 'replication has been broken'

        return new Scenario
        {
            Name = "019_replslot_limit",
            Versions = [V("15")],
            SegmentSize = WalSegmentSize.FromMegabytes(1),
            Settings = Gucs(("min_wal_size", "2MB"), ("max_wal_size", "4MB"), ("log_checkpoints", "on")),
            Slots =
            [
                new SlotSpec
                {
                    Name = "rep1", Reserve = false,   // pg_create_physical_replication_slot('rep1'): restart_lsn NULL
                    Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.Zero, Outages = [new Outage(SimTime.Zero, SimTime.Never)] },
                },
            ],
            Events = events,
            StepCount = 21,
            Duration = SimDuration.FromSeconds(22),
            SampleInterval = SimDuration.Zero,
        };
    }

    [Theory]
    [InlineData("13.4", "invalidating slot \"rep1\" because its restart_lsn [0-9A-F/]+ exceeds max_slot_wal_keep_size")]
    [InlineData("14.23", "invalidating slot \"rep1\" because its restart_lsn [0-9A-F/]+ exceeds max_slot_wal_keep_size")]
    [InlineData("15.18", "invalidating slot \"rep1\" because its restart_lsn [0-9A-F/]+ exceeds max_slot_wal_keep_size")]
    [InlineData("16.14", "invalidating obsolete replication slot \"rep1\"")]
    [InlineData("17.10", "invalidating obsolete replication slot \"rep1\"")]
    [InlineData("18.4", "invalidating obsolete replication slot \"rep1\"")]
    public void Tap_019_replslot_limit_goes_reserved_extended_unreserved_lost(string version, string messagePattern)
    {
        var (result, obs) = Run(ReplslotLimitTap(), version);
        TimelineRow AtStep(int n) => result.Probes.Last(r => r.Reason == RowReason.Step && r.Step == n);
        SlotView Rep1(int n) => AtStep(n).Slots.Single(s => s.Name == "rep1");

        // 'check the state of non-reserved slot is "unknown"': restart_lsn, wal_status, safe_wal_size all NULL.
        Assert.False(Rep1(1).RestartLsn.IsValid);
        Assert.Equal(WalStatus.Null, Rep1(1).WalStatus);
        Assert.Null(Rep1(1).SafeWalSize);

        // is($result, "reserved|t", ...) ×3: max_slot_wal_keep_size = -1 → safe_wal_size NULL.
        foreach (var n in new[] { 2, 3, 4 })
        {
            Assert.Equal(WalStatus.Reserved, Rep1(n).WalStatus);
            Assert.Null(Rep1(n).SafeWalSize);
        }
        Assert.Equal(WalStatus.Reserved, Rep1(6).WalStatus);
        Assert.Equal(WalStatus.Reserved, Rep1(7).WalStatus);
        Assert.Equal(WalStatus.Extended, Rep1(9).WalStatus);
        Assert.Equal(WalStatus.Extended, Rep1(12).WalStatus);

        // 'the slot state changes to "unreserved"': wal_status, safe_wal_size <= 0.
        Assert.Equal(WalStatus.Unreserved, Rep1(14).WalStatus);
        Assert.True(Rep1(14).SafeWalSize is { } safe && safe.Bytes <= 0, $"safe_wal_size {Rep1(14).SafeWalSize}");

        // The standby could still catch up before the next checkpoint: restart_lsn moves, no invalidation yet.
        Assert.True(Rep1(15).RestartLsn > Rep1(14).RestartLsn);
        Assert.DoesNotContain(obs.Events, e => e.Kind == "invalidate" && e.At < T(19));

        // 'check that slot invalidation has been logged'
        var inv = Assert.Single(obs.Events, e => e.Kind == "invalidate");
        Assert.Equal(T(19), inv.At);
        Assert.Matches(new Regex(messagePattern), inv.Message);
        Assert.Contains(Rep1(15).RestartLsn.ToString(), inv.Message);

        // is($result, "rep1|f|t|lost|", 'check that the slot became inactive and the state "lost" persists')
        var lost = Rep1(19);
        Assert.False(lost.Active);
        Assert.False(lost.RestartLsn.IsValid);
        Assert.Equal(WalStatus.Lost, lost.WalStatus);
        Assert.Null(lost.SafeWalSize);

        // Bug #17103: the invalidated slot must not keep the old-segment horizon back — a new slot reserved at the
        // redo pointer sits in the oldest segment left in pg_wal.
        var s2 = AtStep(20).Slots.Single(s => s.Name == "s2");
        Assert.Equal(WalSegmentSize.FromMegabytes(1).SegmentOf(s2.RestartLsn), AtStep(20).OldestFile);

        // 'check that replication has been broken': the standby cannot use the slot any more.
        Assert.False(Rep1(21).Active);
        Assert.Equal(WalStatus.Lost, Rep1(21).WalStatus);
    }

    // Before 13.4 the stale minimum (bug #17103, fixed by 866237a6fa) leaves the horizon where the lost slot had it:
    // the oldest file is older than the new slot's redo segment.
    [Fact]
    public void Tap_019_on_13_3_the_invalidated_slot_still_holds_back_the_oldest_segment()
    {
        var (result, obs) = Run(ReplslotLimitTap(), "13.3");
        var row = result.Probes.Last(r => r.Reason == RowReason.Step && r.Step == 20);
        var s2 = row.Slots.Single(s => s.Name == "s2");
        Assert.True(row.OldestFile < WalSegmentSize.FromMegabytes(1).SegmentOf(s2.RestartLsn),
            $"oldest {row.OldestFile}, s2 at {s2.RestartLsn}");
        Assert.Matches("invalidating slot \"rep1\" because its restart_lsn [0-9A-F/]+ exceeds max_slot_wal_keep_size",
            Assert.Single(obs.Events, e => e.Kind == "invalidate").Message);
    }
}

using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Engine;

/// <summary>
/// A scenario that starts from a running server (what forecasts from samples do): pg_wal already holds files behind
/// the insert position, the last checkpoint started a while ago, slots exist at their sampled positions.
/// 1 MiB segments; insert at 0/1480000 (segment 0x14 = 20), files from segment 10.
/// </summary>
public sealed class StartStateTests
{
    private static readonly Lsn Insert = Lsn.Parse("0/1480000");

    private static Scenario Running(params SlotSpec[] slots) => new()
    {
        Name = "running",
        Versions = [PgVersion.Parse("15")],
        SegmentSize = WalSegmentSize.FromMegabytes(1),
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "64MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "5min" },
        Start = new StartState { InsertLsn = Insert, OldestFile = new SegmentNumber(10), RedoLsn = Lsn.Parse("0/1300028"), SinceLastCheckpoint = SimDuration.FromMinutes(4) },
        Slots = slots,
        CheckpointWrite = CheckpointWrite.Instant,
        Events = [new WriteWal(new ByteCount(1000)) { At = SimTime.FromSeconds(1) }],
        SampleInterval = SimDuration.Zero,
        Duration = SimDuration.FromMinutes(2),
    };

    private static (SimulationResult Result, CollectingObserver Observed) Run(Scenario s)
    {
        var obs = new CollectingObserver();
        return (Simulation.Run(s, s.Versions[0], obs), obs);
    }

    // The last checkpoint started 4 min before time 0 and checkpoint_timeout is 5 min: the next timed one starts at
    // 1 min. Its redo is in segment 20; no slot, min_wal_size 2MB: segments 10..19 go (XLOGfileslop: redo segment +
    // 2 − 1 = 21 at least, the estimate 0x180000 × 1.9 × 1.1 ≈ 3.1 MB → 0x1780000 → 24: names 21..24 free, so four
    // are recycled and six removed); the ten files the sample showed are really there.
    [Fact]
    public void The_first_timed_checkpoint_comes_checkpoint_timeout_after_the_last_one_and_removes_the_files_already_there()
    {
        var (r, obs) = Run(Running());
        var first = obs.Checkpoints.First();
        Assert.Equal(SimTime.FromSeconds(60), first.Start);
        Assert.Equal(CheckpointCause.Time, first.Cause);
        Assert.Equal(10, first.Removed + first.Recycled);
        // Redo distance from the sampled redo: 0x1480000 + the 1,000 bytes written at 1 s − 0x1300028 = 1,573,824 B.
        Assert.Equal(1536, first.DistanceKb);
        Assert.Equal(11, r.Summary.PeakPgWalFiles); // 10..20 before the checkpoint
    }

    // A slot that already existed at 0/C00000 (segment 12) holds segments 12.. at that checkpoint: only 10 and 11 go.
    [Fact]
    public void An_existing_slot_starts_at_its_sampled_restart_lsn_and_holds_the_wal_behind_it()
    {
        var (r, obs) = Run(Running(new SlotSpec { Name = "cdc", RestartLsn = Lsn.Parse("0/C00000") }));
        var first = obs.Checkpoints.First();
        Assert.Equal(new SegmentNumber(12), first.Keep);
        Assert.Equal(2, first.Removed + first.Recycled);
        Assert.Null(r.Slots.Single().Lost);
    }

    // With a cap of 4MB the same slot (20 − 12 = 8 segments behind) is invalidated at that first checkpoint.
    [Fact]
    public void An_existing_slot_already_past_the_cap_is_invalidated_at_the_first_checkpoint()
    {
        var s = Running(new SlotSpec { Name = "cdc", RestartLsn = Lsn.Parse("0/C00000") });
        s = s with { Settings = new Dictionary<string, string>(s.Settings) { ["max_slot_wal_keep_size"] = "4MB" } };
        var (r, _) = Run(s);
        Assert.Equal(SimTime.FromSeconds(60), r.Slots.Single().Lost);
    }

    // A forecast's checkpoints keep a real checkpointer's timing: it counts checkpoint_timeout in whole seconds of
    // time(NULL) from the previous start, so a timed checkpoint comes a little late (or, across a second boundary,
    // a little early). Lateness 1.4 s then −0.6 s: the first at 60 + 1.4 = 61.4 s, the second 300 − 0.6 s after it
    // = 360.8 s, the third (the list used up) exactly 300 s later, 660.8 s. Every write keeps the server from skipping.
    [Fact]
    public void Timed_checkpoints_start_late_by_the_scenarios_lateness_in_order_then_on_checkpoint_timeout()
    {
        var s = Running() with
        {
            Duration = SimDuration.FromMinutes(12),
            TimedCheckpointLateness = [SimDuration.FromSeconds(1.4), SimDuration.FromSeconds(-0.6)],
            Events = [.. Enumerable.Range(0, 12).Select(m => new WriteWal(new ByteCount(1000)) { At = SimTime.FromSeconds(1 + 60 * m) })],
        };
        var (_, obs) = Run(s);
        Assert.Equal([SimTime.FromSeconds(61.4), SimTime.FromSeconds(360.8), SimTime.FromSeconds(660.8)],
            obs.Checkpoints.Select(c => c.Start).ToArray());
        Assert.All(obs.Checkpoints, c => Assert.Equal(CheckpointCause.Time, c.Cause));
    }
}

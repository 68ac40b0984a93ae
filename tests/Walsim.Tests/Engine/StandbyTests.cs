using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// A standby's restartpoints (<c>CreateRestartPoint</c>, docs/design/failover.md §2), run over the primary's WAL:
/// when they happen, which redo they use, and what they keep, with worked numbers.
/// </summary>
public class StandbyTests
{
    private static readonly SimDuration Min = SimDuration.FromMinutes(1);
    private static SimTime T(double seconds) => SimTime.FromSeconds(seconds);

    /// <summary>
    /// TV-F9's shape: the primary checkpoints every 30 min (timed: it writes 100kB/s, far below max_wal_size), so its
    /// checkpoints start at 30m, 60m, 90m and, spread over 0.9 × 30 min, end (and write their record) at 57m, 87m,
    /// 117m. The standby (2 s behind) tries every 5 min and finds nothing newer to restart from until 57m02s.
    /// </summary>
    private static Scenario RarePrimaryCheckpoints(string standbyMaxWalSize = "1GB") => new()
    {
        Name = "rare-primary-checkpoints",
        Versions = [PgVersion.Parse("17")],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "30min", ["max_wal_size"] = "64GB" },
        Workload = new Workload([new ConstantRate(100 * 1024, SimTime.Zero, SimTime.Never)]),
        Nodes =
        [
            new NodeSpec { Name = "a", Role = NodeRole.Primary },
            new NodeSpec
            {
                Name = "b", Upstream = "a", PrimarySlotName = "sb1", Link = new LinkSpec(SimDuration.FromSeconds(2), SimDuration.Zero, []),
                Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_wal_size"] = standbyMaxWalSize, ["min_wal_size"] = "80MB" },
            },
        ],
        Duration = SimDuration.FromHours(2),
        SampleInterval = SimDuration.Zero,
    };

    private static (SimulationResult Result, CollectingObserver Primary, CollectingObserver Standby) Run(Scenario s, string version = "17")
    {
        var primary = new CollectingObserver();
        var standby = new CollectingObserver();
        var r = Simulation.Run(s, PgVersion.Parse(version), primary, _ => standby);
        return (r, primary, standby);
    }

    [Fact]
    public void A_restartpoint_waits_for_a_newer_replayed_primary_checkpoint_retrying_every_15_seconds()
    {
        var (r, primary, standby) = Run(RarePrimaryCheckpoints());
        var ckpts = primary.Checkpoints.Where(c => !c.Skipped).ToList();
        Assert.Equal([T(1800), T(3600), T(5400)], ckpts.Select(c => c.Start));
        Assert.Equal([T(3420), T(5220), T(7020)], ckpts.Select(c => c.End));

        // Attempts at 5m, 10m, ... find nothing; from 5m on a skipped one is retried every 15 s: 300 + 15k.
        // The first checkpoint's record is replayed at 57m02s; the first retry after it is at 300 + 15 × 209 = 3435 s.
        var rps = standby.Checkpoints;
        Assert.All(rps, c => Assert.True(c.Restartpoint));
        Assert.Equal(T(3435), rps[0].Start);
        Assert.Equal(ckpts[0].Redo, rps[0].Redo);       // the replayed checkpoint's redo, not the standby's own
        // The next: timed 5 min later (62m15s), skipped until the second checkpoint is replayed at 87m02s → 87m15s.
        Assert.Equal(T(5235), rps[1].Start);
        Assert.Equal(ckpts[1].Redo, rps[1].Redo);
        var b = r.ForNode("b")!;
        Assert.Equal(2, b.Summary.Checkpoints); // the third starts at 117m15s and is still writing at 2h
        Assert.Equal("restartpoint complete", rps[0].LogLine[..21]);
    }

    [Fact]
    public void A_standby_keeps_the_WAL_since_the_primarys_last_checkpoint_redo_whatever_its_own_max_wal_size()
    {
        // At 56m the standby has restarted from nothing yet: every segment since 0 is there (56m × 100kB/s = 328MB,
        // 21 segments), though its max_wal_size is 32MB. At 1h05m the restartpoint of 57m15s (ended 61m45s) has
        // removed up to the first checkpoint's redo (30m): segments from 30m's on, plus the recycled ones.
        var small = RarePrimaryCheckpoints("32MB") with
        {
            Expectations =
            [
                new PointExpectation(new ProbePoint(null, T(56 * 60)), PointMetric.FilesInPgWal, null, null, new NumberBound(21, 21)) { Node = "b" },
            ],
        };
        var (r, _, standby) = Run(small);
        var b = r.ForNode("b")!;
        var at56 = b.Probes.Single(p => p.At == T(56 * 60));
        Assert.Equal(21, at56.FilesInPgWal);
        var first = standby.Checkpoints[0];
        Assert.Equal(new WalSegmentSize(16 * 1048576).SegmentOf(first.Redo), first.Keep);
        Assert.True(first.Removed + first.Recycled > 0);
    }

    [Fact]
    public void A_slot_on_the_standby_is_invalidated_by_the_standbys_own_max_slot_wal_keep_size_at_a_restartpoint()
    {
        // TV-F1's shape on the engine: a physical slot on b reserved at 0 and never moved; b's cap 64MB (4 segments of
        // 16MB). The first restartpoint ends with endptr ~ 61m45s × 100kB/s in segment 22: 22 − 1 > 4 → the slot
        // is invalidated there, while the primary's own slots are untouched.
        var s = RarePrimaryCheckpoints() with
        {
            Nodes =
            [
                new NodeSpec { Name = "a", Role = NodeRole.Primary },
                new NodeSpec
                {
                    Name = "b", Upstream = "a", PrimarySlotName = "sb1", Link = new LinkSpec(SimDuration.FromSeconds(2), SimDuration.Zero, []),
                    Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_slot_wal_keep_size"] = "64MB" },
                    Slots = [new SlotSpec { Name = "cascade1", Consumer = ConsumerSpec.None }],
                },
            ],
        };
        var (r, _, standby) = Run(s);
        var b = r.ForNode("b")!;
        var slot = b.Slots.Single();
        Assert.Equal(standby.Checkpoints[0].End, slot.Lost);
        Assert.Equal(["cascade1"], standby.Checkpoints[0].InvalidatedSlots);
        Assert.Null(r.Slots.Single(x => x.Name == "sb1").Lost);
        Assert.Contains(standby.Events, e => e.Kind == "slot_invalidated" && e.Slot == "cascade1");

        // 12 has no cap: the same slot holds everything on b.
        var (r12, _, sb12) = Run(s with
        {
            Nodes = [s.Nodes[0], s.Nodes[1] with { Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min" } }],
        }, "12");
        Assert.Null(r12.ForNode("b")!.Slots.Single().Lost);
        Assert.All(sb12.Checkpoints, c => Assert.Equal(new SegmentNumber(1), c.Keep));
    }

    [Fact]
    public void The_standby_slot_on_the_primary_is_the_walreceivers_and_stops_moving_while_the_link_is_down()
    {
        // Link down from 10m to 40m: sb1 on the primary stays at what b had received at 10m (minus the report
        // interval), so at 39m it retains ~29-30 min of WAL; after the link is back it catches up.
        var s = RarePrimaryCheckpoints() with
        {
            Nodes =
            [
                new NodeSpec { Name = "a", Role = NodeRole.Primary },
                new NodeSpec
                {
                    Name = "b", Upstream = "a", PrimarySlotName = "sb1",
                    Link = new LinkSpec(SimDuration.FromSeconds(2), SimDuration.Zero, [new Outage(T(600), T(2400))]),
                    Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min" },
                },
            ],
            Expectations =
            [
                new PointExpectation(new ProbePoint(null, T(39 * 60)), PointMetric.RetainedBytes, "sb1", null, new NumberBound(0, null)),
                new PointExpectation(new ProbePoint(null, T(45 * 60)), PointMetric.RetainedBytes, "sb1", null, new NumberBound(0, null)),
            ],
        };
        var (r, _, _) = Run(s);
        var at39 = r.Probes.Single(p => p.At == T(39 * 60)).Slot("sb1")!.Value.RetainedBytes.Bytes;
        var at45 = r.Probes.Single(p => p.At == T(45 * 60)).Slot("sb1")!.Value.RetainedBytes.Bytes;
        Assert.InRange(at39, 29 * 60 * 102400L, 30 * 60 * 102400L);
        Assert.InRange(at45, 0, 12 * 102400L); // lag 2 s + a report every 10 s
    }
}

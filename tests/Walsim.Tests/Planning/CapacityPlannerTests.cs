using Walsim.Simulator.Engine;
using Walsim.Simulator.Planning;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Planning;

/// <summary>
/// <see cref="CapacityPlanner"/>: how long a consumer may be away under each max_slot_wal_keep_size. The worked
/// numbers are those of scenarios/standby-stalled-past-cap.yaml (a standby stops at 2h on a primary writing 5MB/s,
/// 16MB segments, checkpoint_timeout=15min with timed checkpoints x:00 → x:13:30, a 100GB volume).
/// </summary>
public class CapacityPlannerTests
{
    private static readonly SimDuration H = SimDuration.FromHours(1);
    private static SimDuration Hm(int h, int m, double s = 0) => SimDuration.FromSeconds(h * 3600 + m * 60 + s);

    private static Scenario StalledStandby(double bytesPerSecond = 5 * 1048576) => new()
    {
        Name = "plan-test",
        Versions = [PgVersion.Parse("15")],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string>
        {
            ["checkpoint_timeout"] = "15min", ["checkpoint_completion_target"] = "0.9", ["max_wal_size"] = "16GB", ["min_wal_size"] = "2GB",
        },
        Workload = new Workload([new ConstantRate(bytesPerSecond, SimTime.Zero, SimTime.Never)]),
        Slots = [new SlotSpec { Name = "standby1", Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(1), ConfirmEvery = SimDuration.FromSeconds(10) } }],
        Duration = SimDuration.FromHours(12),
    };

    /// <summary>One run, the consumer stopping at exactly 2h.</summary>
    private static PlanOptions StopAt2h(string version, params SlotCap[] caps) => new()
    {
        Version = PgVersion.Parse(version),
        Caps = caps,
        Outages = [Hm(3, 0), Hm(3, 30), Hm(4, 0), Hm(5, 0), Hm(6, 0)],
        Runs = 1,
        Disk = new DiskSpec(ByteCount.FromMegabytes(100 * 1024), ByteCount.Zero, null),
        WindowStart = SimTime.Zero + H * 2,
        WindowEnd = SimTime.Zero + H * 2 + new SimDuration(1),
    };

    private static SlotCap Gb(int gb) => SlotCap.Of(ByteCount.FromMegabytes(gb * 1024L));

    [Fact]
    public void A_64GB_cap_loses_the_slot_3h43m30s_into_the_outage_at_the_checkpoint_that_ends_after_it_turned_unreserved()
    {
        // 64GB / 5MB/s = 13,107 s after the last report (1h59m50s confirming 1h59m49s): unreserved at 5h38m16s, the
        // checkpoint started at 5h30m ends at 5h43m30s and invalidates it: 3h43m30s after the stop.
        var plan = CapacityPlanner.Run(StalledStandby(), new DeclaredWorkload(StalledStandby().Workload), StopAt2h("15", Gb(64)));
        var cap = plan.Slots.Single().Caps.Single();
        Assert.Equal(Hm(3, 43, 30), cap.Survivable.P50);
        Assert.Equal([PlanOutcome.Survived, PlanOutcome.Survived, PlanOutcome.SlotLost, PlanOutcome.SlotLost, PlanOutcome.SlotLost],
            cap.Cells.Select(Outcome));
        Assert.Equal(1, cap.FirstToGiveOut[PlanOutcome.SlotLost]);
        Assert.InRange(cap.PeakPgWal.Bytes, 65L * 1024 * 1048576, (long)(66.2 * 1024 * 1048576)); // 4,195 files + 1 pre-allocated
    }

    [Theory]
    // 15.18 reads the slot minimum at checkpoint start: the checkpoint of 7h15m (ends 7h28m30s, before the volume
    // fills at 7h41m09s) still frees pg_wal if the standby is back by 7h15m — 5h15m into the outage.
    [InlineData("15", 5, 15, 0)]
    // 15.13 reads it at checkpoint end: back by 7h28m30s is early enough — 5h28m30s.
    [InlineData("15.13", 5, 28, 30)]
    public void Without_a_cap_an_outage_fills_the_volume_unless_a_checkpoint_that_sees_the_consumer_back_ends_before_it_fills(
        string version, int h, int m, int s)
    {
        var plan = CapacityPlanner.Run(StalledStandby(), new DeclaredWorkload(StalledStandby().Workload), StopAt2h(version, SlotCap.Unlimited));
        var cap = plan.Slots.Single().Caps.Single();
        // 100GB = 6,400 files from the slot's segment: the 6,401st is needed 20,480 s after 1h59m49s = 7h41m09s.
        Assert.Equal(Hm(h, m, s), cap.Survivable.P50);
        Assert.Equal(1, cap.FirstToGiveOut[PlanOutcome.DiskFull]);
        Assert.Equal([PlanOutcome.Survived, PlanOutcome.Survived, PlanOutcome.Survived, PlanOutcome.Survived, PlanOutcome.DiskFull],
            cap.Cells.Select(Outcome));
    }

    private static PlanOutcome Outcome(PlanCell c) =>
        c.SlotLost > 0 ? PlanOutcome.SlotLost : c.DiskFull > 0 ? PlanOutcome.DiskFull : c.ReadOnly > 0 ? PlanOutcome.ReadOnly : PlanOutcome.Survived;

    /// <summary>
    /// The claim the planner stands on: one run where the consumer never returns tells what every outage length
    /// costs. Checked against runs where it does return, on a volume that is really enforced, for the three ways
    /// versions read the slot minimum (13.4: at checkpoint end; 15.18: at start; 18: last saved restart_lsn), caps
    /// below, near and above the volume, a noisy workload and outages drawn at random (so none falls on an instant
    /// where the order of two events would decide), plus lengths 20 s either side of every threshold.
    /// </summary>
    [Theory]
    [InlineData("13.4")]
    [InlineData("15")]
    [InlineData("18")]
    public void One_run_where_the_consumer_never_returns_answers_every_outage_length_as_runs_where_it_returns_do(string version)
    {
        var scenario = StalledStandby(3 * 1048576) with
        {
            Workload = new Workload([new DailyCycle(3 * 1048576, 0.5, 14, SimDuration.FromMinutes(15))])
            {
                Noise = new RateNoise(0.4, SimDuration.FromMinutes(30), SimDuration.FromMinutes(5)),
            },
            Settings = new Dictionary<string, string>
            {
                ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "2GB", ["min_wal_size"] = "256MB",
            },
        };
        var options = new PlanOptions
        {
            Version = PgVersion.Parse(version),
            Caps = [Gb(8), Gb(20), Gb(40), SlotCap.Unlimited],
            Outages = [Hm(6, 0)],
            Runs = 4,
            Seed = 42,
            Disk = new DiskSpec(ByteCount.FromMegabytes(30 * 1024), ByteCount.FromMegabytes(1024), 0.9),
            WindowStart = SimTime.Zero + H,
            WindowEnd = SimTime.Zero + H * 20,
            Warmup = H * 2,
        };
        var policy = RetentionPolicy.For(options.Version);
        var rng = new Random(7);
        var checkedOutcomes = new Dictionary<PlanOutcome, int>();
        for (var i = 0; i < options.Runs; i++)
        {
            var draw = CapacityPlanner.Draw(scenario, options, new DeclaredWorkload(scenario.Workload), i);
            foreach (var cap in options.Caps)
            {
                var run = CapacityPlanner.RunOne(scenario, options, policy, "standby1", cap, draw);
                // Random lengths, and 20 s either side of each threshold the run found (where a wrong rule would show).
                var outages = Enumerable.Range(0, 4).Select(_ => SimDuration.FromSeconds(rng.NextDouble() * 6 * 3600)).ToList();
                foreach (var t in new[] { run.LostAfter, run.DiskSurvivesUpTo, run.ReadOnlySurvivesUpTo })
                    if (t is { } at && at > SimDuration.FromSeconds(20)) outages.AddRange([at - SimDuration.FromSeconds(20), at + SimDuration.FromSeconds(20)]);
                foreach (var outage in outages)
                {
                    var predicted = run.Outcome(outage);
                    var actual = Returning(scenario, options, cap, draw, outage);
                    Assert.True(predicted == actual,
                        $"run {i}, cap {cap}, outage {outage}: one run says {predicted}, the run where the consumer returns says {actual} ({run})");
                    checkedOutcomes[actual] = checkedOutcomes.GetValueOrDefault(actual) + 1;
                }
            }
        }
        // The draw must exercise every outcome, or the comparison proves little.
        Assert.True(checkedOutcomes.GetValueOrDefault(PlanOutcome.Survived) > 0, "no outage survived");
        Assert.True(checkedOutcomes.GetValueOrDefault(PlanOutcome.SlotLost) > 0, "no slot lost");
        Assert.True(checkedOutcomes.GetValueOrDefault(PlanOutcome.ReadOnly) > 0, "never read-only");
    }

    /// <summary>The same run with the consumer back after <paramref name="outage"/> and the volume enforced: what
    /// happened first.</summary>
    private static PlanOutcome Returning(Scenario scenario, PlanOptions options, SlotCap cap, CapacityPlanner.RunDraw draw, SimDuration outage)
    {
        var run = CapacityPlanner.RunScenario(scenario, options, "standby1", cap, draw);
        var stop = SimTime.Zero + (draw.Stop - draw.From);
        run = run with
        {
            Disk = options.Disk,
            Slots = run.Slots.Select(s => s.Name == "standby1"
                ? s with { Consumer = s.Consumer with { Outages = [new Outage(stop, stop + outage)] } }
                : s).ToList(),
        };
        var r = Simulation.Run(run, options.Version);
        var events = new List<(SimTime At, PlanOutcome What)>();
        if (r.Slots.Single(s => s.Name == "standby1").Lost is { } lost) events.Add((lost, PlanOutcome.SlotLost));
        if (r.Summary.DiskFull is { } full) events.Add((full, PlanOutcome.DiskFull));
        if (r.Summary.ReadOnly is { } ro) events.Add((ro, PlanOutcome.ReadOnly));
        return events.Count == 0 ? PlanOutcome.Survived : events.OrderBy(e => e.At).ThenByDescending(e => e.What).First().What;
    }

    [Fact]
    public void The_same_seed_gives_the_same_plan_on_one_thread_or_two()
    {
        var scenario = StalledStandby() with
        {
            Workload = new Workload([new ConstantRate(5 * 1048576, SimTime.Zero, SimTime.Never)])
            {
                Noise = new RateNoise(0.3, H, SimDuration.FromMinutes(5)),
            },
        };
        var options = StopAt2h("16", Gb(32), Gb(64), SlotCap.Unlimited) with { Runs = 6, WindowEnd = SimTime.Zero + H * 4, Seed = 3 };
        var one = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options with { Parallelism = 1 });
        var two = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options with { Parallelism = 2 });
        Assert.Equal(Cells(one), Cells(two));
        Assert.Equal(one.Slots[0].Recommendation, two.Slots[0].Recommendation);
        // And the noise matters: not every run lost the slot at the same moment.
        Assert.True(one.Slots[0].Caps[0].Survivable.Quantile(0) != one.Slots[0].Caps[0].Survivable.Quantile(1));
    }

    private static List<PlanCell> Cells(PlanResult p) => p.Slots.SelectMany(s => s.Caps).SelectMany(c => c.Cells).ToList();

    [Fact]
    public void Every_cap_replays_the_same_futures_so_a_larger_cap_never_loses_the_slot_more_often()
    {
        var scenario = StalledStandby() with
        {
            Workload = new Workload([new DailyCycle(5 * 1048576, 0.6, 14, SimDuration.FromMinutes(15))])
            {
                Noise = new RateNoise(0.5, H, SimDuration.FromMinutes(5)),
            },
            Duration = SimDuration.FromDays(3),
        };
        var options = StopAt2h("17", Gb(16), Gb(24), Gb(32), Gb(48), Gb(64)) with
        {
            Runs = 12, WindowStart = SimTime.Zero + H * 4, WindowEnd = SimTime.Zero + H * 40, Warmup = H * 3, Disk = null, Parallelism = 2,
        };
        var plan = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options);
        var caps = plan.Slots[0].Caps;
        for (var o = 0; o < options.Outages.Count; o++)
            for (var c = 1; c < caps.Count; c++)
                Assert.True(caps[c].Cells[o].SlotLost <= caps[c - 1].Cells[o].SlotLost,
                    $"outage {options.Outages[o]}: {caps[c].Cap} lost {caps[c].Cells[o].SlotLost} runs, {caps[c - 1].Cap} {caps[c - 1].Cells[o].SlotLost}");
        // 16GB at ~5MB/s lasts under an hour: lost in every run by 3h; 64GB lasts ~3.6h on average: not in every run by 3h.
        Assert.Equal(12, caps[0].Cells[0].SlotLost);
        Assert.True(caps[^1].Cells[0].SlotLost < 12);
    }

    [Fact]
    public void The_recommendation_is_the_smallest_cap_that_survives_the_target_found_by_bisection_and_the_volume_it_needs()
    {
        // Target 3h: the standby is back at 5h. 32GB is lost ~1h50m in, 64GB at 3h43m30s: the bisection between them
        // (to 1GB) lands on 53GB = 54,272MB: unreserved 54,272MB / 5MB/s = 10,854 s after the last report (1h59m49s)
        // = 5h00m43s, after the return. 52GB turns unreserved at 4h57m19s and the checkpoint ending at 4h58m30s
        // invalidates it. Volume: with the consumer never back, 53GB turns unreserved at 5h00m43s and is invalidated at
        // the checkpoint ending at 5h13m30s: pg_wal then holds the slot's segment to the insert position,
        // (18,810 − 7,189) s × 5MB/s / 16MB = 3,632 files + 1 pre-allocated ≈ 56.77GB; + 20 % = 68.1GB → 69GB.
        var options = StopAt2h("15", Gb(32), Gb(64), Gb(96)) with { Target = Hm(3, 0) };
        var plan = CapacityPlanner.Run(StalledStandby(), new DeclaredWorkload(StalledStandby().Workload), options);
        var rec = plan.Slots.Single().Recommendation;
        Assert.Equal(Gb(53), rec.Cap);
        Assert.Equal(0, rec.Risk);
        Assert.InRange(rec.PeakPgWal!.Value.Bytes, (long)(56.7 * ByteCount.GiB), (long)(56.8 * ByteCount.GiB));
        Assert.Equal(ByteCount.FromMegabytes(69 * 1024), rec.Volume);
        Assert.True(rec.DiskEnough);
        Assert.Contains("max_slot_wal_keep_size = 53GB", rec.Reason);
        Assert.Contains("found between the candidates 32GB and 64GB", rec.Reason);

        // A 6h target: no candidate keeps the slot (96GB lasts 5h28m); the reason says which came closest.
        var none = CapacityPlanner.Run(StalledStandby(), new DeclaredWorkload(StalledStandby().Workload), options with { Target = Hm(6, 0) });
        Assert.Null(none.Slots.Single().Recommendation.Cap);
        Assert.Contains("No candidate cap keeps slot standby1 through a 6h", none.Slots.Single().Recommendation.Reason);
    }

    [Theory]
    [InlineData(303.66 * 1024, 310 * 1024)]
    [InlineData(78.6 * 1024, 79 * 1024)]
    [InlineData(950, 950)]
    [InlineData(1024, 1024)]
    [InlineData(5.55 * 1024, 5.6 * 1024)]
    public void Volumes_are_rounded_up_to_two_significant_digits(double mb, double expectedMb) =>
        Assert.Equal((long)Math.Ceiling(expectedMb * 1048576 - 1e-6), CapacityPlanner.RoundUp(new ByteCount((long)Math.Round(mb * 1048576))).Bytes);

    /// <summary>
    /// The warm-up shortcut: a run that simulates only the hours before its outage starts the server fresh there
    /// (initdb's pg_wal, checkpoints timed from that moment). On a noise-free daily workload the same outage starts
    /// give the same answers as runs from time 0, to within the phase of the checkpoint schedule (one
    /// checkpoint_timeout) for the loss, and for pg_wal's peak (reached just before the loss) the WAL of that time.
    /// </summary>
    [Fact]
    public void Six_hours_of_warm_up_before_an_outage_give_the_answers_of_a_run_from_time_0()
    {
        var scenario = StalledStandby() with
        {
            Workload = new Workload([new DailyCycle(5 * 1048576, 0.5, 14, SimDuration.FromMinutes(15))]),
            Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "4GB", ["min_wal_size"] = "1GB" },
            Duration = SimDuration.FromDays(4),
        };
        var options = StopAt2h("17", Gb(20), Gb(40)) with
        {
            Runs = 8, WindowStart = SimTime.Zero + H * 7, WindowEnd = SimTime.Zero + H * 60, Outages = [Hm(12, 0)], Disk = null,
        };
        var fromZero = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options);
        var warm = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options with { Warmup = H * 6 });
        for (var c = 0; c < 2; c++)
        {
            var a = fromZero.Slots[0].Caps[c];
            var b = warm.Slots[0].Caps[c];
            foreach (var p in new[] { 0.0, 0.5, 1.0 })
                Assert.InRange((b.Survivable.Quantile(p)!.Value - a.Survivable.Quantile(p)!.Value).TotalSeconds, -300, 300);
            // 5 min at the daily peak, 5MB/s × 1.5: 2.2GB.
            Assert.InRange(Math.Abs(b.PeakPgWal.Bytes - a.PeakPgWal.Bytes), 0, 300 * 7.5 * 1048576);
        }
        // And the shortcut is one: far less simulated time.
        Assert.True(warm.SimulatedTime.TotalSeconds < fromZero.SimulatedTime.TotalSeconds / 2);
    }

    [Fact]
    public void A_slot_nobody_consumes_cannot_be_planned_for_and_the_error_says_why()
    {
        var scenario = StalledStandby() with { Slots = [new SlotSpec { Name = "forgotten", Consumer = ConsumerSpec.None }] };
        var e = Assert.Throws<PlanSlotException>(() =>
            CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), StopAt2h("15", Gb(1)) with { Slots = ["forgotten"] }));
        Assert.Contains("no consumer", e.Message);
    }
}

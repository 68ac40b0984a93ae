using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// PostgreSQL 17+'s slot sync worker (<c>sync_replication_slots</c>, docs/design/failover.md §1.5, §3.3) and what a
/// failover gives a logical consumer (docs/design/failover.md §3.6), with worked numbers. 1MB/s of WAL, so bytes read as seconds.
/// </summary>
public class FailoverTests
{
    private const double MiB = 1048576;
    private static SimTime T(double seconds) => SimTime.FromSeconds(seconds);

    private static Scenario Topology(SimDuration linkLag, params ScenarioEvent[] events) => new()
    {
        Name = "failover",
        Versions = [PgVersion.Parse("17")],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "1GB" },
        Workload = new Workload([new ConstantRate(MiB, SimTime.Zero, SimTime.Never)]),
        Nodes =
        [
            new NodeSpec { Name = "a", Role = NodeRole.Primary },
            new NodeSpec { Name = "b", Upstream = "a", PrimarySlotName = "sb1", Link = new LinkSpec(linkLag, SimDuration.Zero, []), SlotSync = SlotSyncMechanism.Native },
        ],
        Events = events,
        Duration = SimDuration.FromHours(1),
        SampleInterval = SimDuration.Zero,
    };

    private static SlotSpec Cdc(double createdAt = 0, ResumeFrom resume = ResumeFrom.Origin, double lag = 2) => new()
    {
        Name = "cdc", Kind = SlotKind.Logical, Failover = true, CreatedAt = T(createdAt),
        Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(lag), ConfirmEvery = SimDuration.FromSeconds(10), Resume = resume },
    };

    private static (SimulationResult Result, CollectingObserver Standby) Run(Scenario s, string version = "17")
    {
        var standby = new CollectingObserver();
        return (Simulation.Run(s, PgVersion.Parse(version), null, _ => standby), standby);
    }

    [Fact]
    public void The_worker_backs_off_from_200ms_to_30s_and_a_copy_is_sync_ready_once_the_remote_moved_after_it_was_made()
    {
        // TV-F3: the worker starts at 0 with no failover slot: cycles at 0, 0.4, 1.2, 2.8, 6.0, 12.4 s (sleeps 0.4, 0.8,
        // 1.6, 3.2, 6.4). cdc, created at 10 s, is first seen at 12.4 s: a temporary copy. Its consumer reports every 10 s
        // from 10 s, so the remote next moves at 20 s; after the creating cycle the sleeps restart at 200 ms: 12.6, 13.0,
        // 13.8, 15.4, 18.6, 25.0 → the copy becomes persistent ("sync-ready") at 25.0 s.
        var (r, standby) = Run(Topology(SimDuration.FromSeconds(0.1), new CreateSlot(Cdc(10)) { At = T(10) }));
        var ready = standby.Events.Single(e => e.Kind == "sync_ready");
        Assert.Equal(T(25), ready.At);
        Assert.Equal(T(25), r.ForNode("b")!.Slots.Single(s => s.Name == "cdc").FirstSyncReady);
        Assert.True(r.ForNode("b")!.Slots.Single(s => s.Name == "cdc").Synced);
    }

    [Fact]
    public void On_16_native_slot_sync_does_not_exist_and_the_scenario_says_so()
    {
        var e = Assert.Throws<ScenarioValidationException>(() => Run(Topology(SimDuration.Zero) with { Slots = [Cdc()] }, "16"));
        Assert.Contains("slot_sync: native needs PostgreSQL 17", e.Message);
    }

    [Fact]
    public void A_switchover_finds_the_copy_behind_the_consumer_and_resuming_from_the_slot_sends_that_WAL_again()
    {
        // Switchover at 30m: P = everything a wrote. The consumer (2 s behind) has applied S = P − 2 s of WAL. The copy
        // holds the remote's confirmed_flush as of the worker's last cycle that saw a report: reports at 29m50s
        // (confirming 29m48s); the worker, in its back-off, saw it at 29m52.6s. So C = S − 10 s of WAL: a consumer
        // resuming from the slot gets 10MB again; one resuming from its own position, none; nothing missed either way.
        var s = Topology(SimDuration.FromSeconds(0.1), new Failover("b", Planned: true) { At = T(1800) }) with { Slots = [Cdc(resume: ResumeFrom.Slot)] };
        var (r, _) = Run(s);
        var f = r.Failovers.Single();
        var cdc = f.Slots.Single();
        Assert.Equal("exists", cdc.OnNewPrimary);
        // (less the few bytes the server itself wrote in those 2 s: a running_xacts record)
        Assert.InRange((f.SwitchPoint - cdc.ConsumerPosition).Bytes, 2 * MiB, 2 * MiB + 1024);
        Assert.InRange(cdc.ReceivedTwice.Bytes, 10 * MiB - 1024, 10 * MiB + 1024);
        Assert.Equal(0, cdc.Missed.Bytes);
        Assert.Equal(0, cdc.Phantom.Bytes);
        // A switchover leaves a with its failover slot: a stale copy when a rejoins as a standby (TV-F8).
        Assert.Equal(["cdc"], f.StaleOnOldPrimary.Select(x => x.Slot));

        var origin = Run(s with { Slots = [Cdc(resume: ResumeFrom.Origin)] }).Result.Failovers.Single().Slots.Single();
        Assert.Equal(0, origin.ReceivedTwice.Bytes);
        Assert.Equal(0, origin.Missed.Bytes);
    }

    [Fact]
    public void A_crash_failover_with_a_lagging_standby_leaves_applied_changes_the_new_primary_never_had()
    {
        // Crash at 30m, link lag 5 s: b had received P = insert(30m − 5s); the consumer (1 s behind) had applied
        // S = insert(30m − 1s): 4MB of phantom changes (TV-F5's shape; synchronized_standby_slots would prevent it).
        // Resuming from its own position, R = S: the new timeline's WAL in (P, S] is skipped — 4MB missed as well.
        var s = Topology(SimDuration.FromSeconds(5), new Failover("b", Planned: false) { At = T(1800) }) with { Slots = [Cdc(lag: 1)] };
        var crash = Run(s).Result.Failovers.Single();
        var cdc = crash.Slots.Single();
        Assert.Empty(crash.StaleOnOldPrimary); // a diverged old primary is rewound: pg_rewind removes its slots
        Assert.InRange(cdc.Phantom.Bytes, 4 * MiB - 1024, 4 * MiB + 1024);
        Assert.InRange(cdc.Missed.Bytes, 4 * MiB - 1024, 4 * MiB + 1024);
        Assert.Equal(0, cdc.ReceivedTwice.Bytes);
    }

    [Fact]
    public void A_slot_without_failover_is_missing_on_the_new_primary_and_its_consumer_misses_what_it_had_not_applied()
    {
        // analytics (failover = false) has no copy: re-created at the switch point, its consumer (1 s behind) misses 1MB.
        var analytics = Cdc(lag: 1) with { Name = "analytics", Failover = false };
        var s = Topology(SimDuration.FromSeconds(0.1), new Failover("b", Planned: true) { At = T(1800) }) with { Slots = [Cdc(), analytics] };
        var (r, _) = Run(s);
        var a = r.Failovers.Single().Slots.Single(x => x.Slot == "analytics");
        Assert.Equal("missing", a.OnNewPrimary);
        Assert.InRange(a.Missed.Bytes, 1 * MiB - 1024, 1 * MiB + 1024);
        // b had no copy of it; promoted, b runs on with analytics re-created by its reconnecting consumer.
        var onB = r.ForNode("b")!;
        Assert.False(onB.Slots.Single(x => x.Name == "analytics").Synced);
        Assert.Equal(T(1800), onB.PromotedAt);
    }

    [Fact]
    public void A_copy_invalidated_by_the_standbys_own_cap_is_recreated_temporary_and_a_failover_then_finds_no_usable_slot()
    {
        // TV-F12's shape: the consumer stops at 5m; the standby's max_slot_wal_keep_size is 64MB (4 segments), the
        // primary has no cap. A restartpoint on b invalidates the copy; the worker drops it and creates a temporary one
        // at b's redo, which never becomes ready (the remote does not move). At 40m the failover finds it temporary:
        // dropped at promotion — the consumer's slot is gone from the new primary while the primary still had it.
        var stopped = Cdc() with { Consumer = Cdc().Consumer with { Outages = [new Outage(T(300), SimTime.Never)] } };
        var s = Topology(SimDuration.FromSeconds(0.1), new Failover("b", Planned: true) { At = T(2400) }) with
        {
            Slots = [stopped],
            Nodes =
            [
                new NodeSpec { Name = "a", Role = NodeRole.Primary },
                new NodeSpec
                {
                    Name = "b", Upstream = "a", PrimarySlotName = "sb1", SlotSync = SlotSyncMechanism.Native,
                    Settings = new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "64MB" },
                },
            ],
        };
        var (r, standby) = Run(s);
        Assert.Contains(standby.Checkpoints, c => c.InvalidatedSlots.Contains("cdc"));
        Assert.Contains(standby.Events, e => e.Kind == "sync_dropped" && e.Slot == "cdc");
        Assert.Null(r.Slots.Single(x => x.Name == "cdc").Lost);
        var cdc = r.Failovers.Single().Slots.Single();
        Assert.Equal("temporary-dropped", cdc.OnNewPrimary);
        Assert.True(cdc.Missed.Bytes > 0);
    }
}

/// <summary><c>synchronized_standby_slots</c> (17+): failover slots' consumers wait for the listed standbys.</summary>
public class SynchronizedStandbySlotsTests
{
    private const double MiB = 1048576;
    private static SimTime T(double seconds) => SimTime.FromSeconds(seconds);

    private static Scenario Crash(bool wait, SimDuration linkLag, IReadOnlyList<Outage>? linkOutages = null, double at = 1800) => new()
    {
        Name = "sss",
        Versions = [PgVersion.Parse("17")],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string>
        {
            ["wal_level"] = "logical", ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "1GB", ["max_slot_wal_keep_size"] = "2GB",
            ["synchronized_standby_slots"] = wait ? "sb1" : "",
        },
        Workload = new Workload([new ConstantRate(8 * MiB, SimTime.Zero, SimTime.Never)]),
        Nodes =
        [
            new NodeSpec { Name = "a", Role = NodeRole.Primary },
            new NodeSpec { Name = "b", Upstream = "a", PrimarySlotName = "sb1", Link = new LinkSpec(linkLag, SimDuration.Zero, linkOutages ?? []), SlotSync = SlotSyncMechanism.Native },
        ],
        Slots =
        [
            new SlotSpec
            {
                Name = "cdc", Kind = SlotKind.Logical, Failover = true,
                Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(1), ConfirmEvery = SimDuration.FromSeconds(10) },
            },
        ],
        Events = [new Failover("b", Planned: false) { At = T(at) }],
        Duration = SimDuration.FromHours(2),
        SampleInterval = SimDuration.Zero,
    };

    [Fact]
    public void Waiting_for_the_standby_means_a_crash_failover_leaves_no_phantom_changes()
    {
        // Link lag 5 s, consumer 1 s behind: without the setting the consumer applied 4 s of WAL (32MB at 8MB/s) the
        // standby never received; with sb1 listed it is never sent past what b has flushed (sb1's restart_lsn, as
        // b reported it at most 10 s ago).
        var free = Simulation.Run(Crash(false, SimDuration.FromSeconds(5)), PgVersion.Parse("17")).Failovers.Single().Slots.Single();
        Assert.InRange(free.Phantom.Bytes, 4 * 8 * MiB - 1024, 4 * 8 * MiB + 1024);
        var held = Simulation.Run(Crash(true, SimDuration.FromSeconds(5)), PgVersion.Parse("17"));
        var cdc = held.Failovers.Single().Slots.Single();
        Assert.Equal(0, cdc.Phantom.Bytes);
    }

    [Fact]
    public void A_listed_standby_that_stops_holds_the_failover_slot_back_until_the_cap_invalidates_both()
    {
        // TV-F11's shape: b's link is down from 600 s; sb1 stays where b last reported and cdc cannot be confirmed past
        // it, so both retain WAL from ~600 s. With max_slot_wal_keep_size = 2GB (8MB/s: 256 s of WAL) the same
        // checkpoint invalidates both; without the setting only sb1 is lost.
        var outage = new[] { new Outage(T(600), SimTime.Never) };
        var held = Simulation.Run(Crash(true, SimDuration.FromSeconds(0.1), outage, at: 3000), PgVersion.Parse("17"));
        var sb1 = held.Slots.Single(s => s.Name == "sb1").Lost;
        Assert.NotNull(sb1);
        Assert.Equal(sb1, held.Slots.Single(s => s.Name == "cdc").Lost);
        var free = Simulation.Run(Crash(false, SimDuration.FromSeconds(0.1), outage, at: 3000), PgVersion.Parse("17"));
        Assert.NotNull(free.Slots.Single(s => s.Name == "sb1").Lost);
        Assert.Null(free.Slots.Single(s => s.Name == "cdc").Lost);
    }
}

/// <summary>The mechanisms modelled from their source only: pg_failover_slots and Patroni's permanent slots.</summary>
public class ModelOnlyMechanismTests
{
    private const double MiB = 1048576;
    private static SimTime T(double seconds) => SimTime.FromSeconds(seconds);

    private static Scenario With(SlotSyncMechanism mechanism, SimDuration interval, string version, params SlotSpec[] slots) => new()
    {
        Name = "mechanisms",
        Versions = [PgVersion.Parse(version)],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "1GB" },
        Workload = new Workload([new ConstantRate(MiB, SimTime.Zero, SimTime.Never)]),
        Nodes =
        [
            new NodeSpec { Name = "a", Role = NodeRole.Primary },
            new NodeSpec
            {
                Name = "b", Upstream = "a", PrimarySlotName = "sb1", Link = new LinkSpec(SimDuration.FromSeconds(0.1), SimDuration.Zero, []),
                SlotSync = mechanism, SlotSyncOptions = new SlotSyncOptions { Interval = interval },
            },
        ],
        Slots = slots,
        Events = [new Failover("b", Planned: true) { At = T(1800) }],
        Duration = SimDuration.FromHours(1),
        SampleInterval = SimDuration.Zero,
    };

    private static SlotSpec Logical(string name, double lag, IReadOnlyList<Outage>? outages = null, bool permanent = false) => new()
    {
        Name = name, Kind = SlotKind.Logical, Permanent = permanent,
        Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(lag), ConfirmEvery = SimDuration.FromSeconds(10), Outages = outages ?? [], Resume = ResumeFrom.Slot },
    };

    [Fact]
    public void Pg_failover_slots_pins_every_copy_at_the_furthest_behind_slot()
    {
        // TV-F7's shape on 15 (no native sync there): app keeps up; batch stopped at 10m. Every copy takes L = batch's
        // restart_lsn, so at the switchover app's copy still holds the WAL from ~10m: on b both copies pin ~20 min
        // of WAL, and app's consumer, resuming from the slot, would get its confirmed_flush (kept current) — the copy's
        // confirmed_flush is its own, capped at what b received.
        var s = With(SlotSyncMechanism.PgFailoverSlots, SimDuration.FromSeconds(60), "15",
            Logical("app", 1), Logical("batch", 1, [new Outage(T(600), SimTime.Never)]));
        var standby = new CollectingObserver();
        var r = Simulation.Run(s, PgVersion.Parse("15"), null, _ => standby);
        var b = r.ForNode("b")!;
        var app = b.Slots.Single(x => x.Name == "app");
        Assert.True(app.Synced);
        Assert.NotNull(app.FirstSyncReady);
        // Both copies retain from batch's position: app's copy's peak retained is about batch's (20 min = 1200MB).
        Assert.InRange(app.PeakRetained.Bytes, 1100 * MiB, 1300 * MiB);
        var f = r.Failovers.Single();
        var appOut = f.Slots.Single(x => x.Slot == "app");
        Assert.Equal("exists", appOut.OnNewPrimary);
        // The copy's confirmed_flush is at most one worker nap (60 s) behind: 60MB plus the consumer's 10 s.
        Assert.InRange(appOut.ReceivedTwice.Bytes, 0, 75 * MiB);
    }

    [Fact]
    public void Patroni_copies_a_permanent_slot_after_a_restart_and_advances_it_a_loop_behind()
    {
        // TV-F10's shape: loop_wait 10 s; the replica loop runs at 5, 15, 25 s ... and copies cdc at 5 s (a standby
        // restart: usable 5 s + 10 s later, at the loop of 25 s). The copy is advanced to what the leader published half
        // a loop before: at the switchover (1800 s) it holds the confirmed_flush published at 1790 s, from the report
        // of 1790 s (confirming 1788 s); the consumer had applied 1798 s → 10MB received twice from the slot.
        var s = With(SlotSyncMechanism.Patroni, SimDuration.FromSeconds(10), "16", Logical("cdc", 2, permanent: true), Logical("other", 2));
        var r = Simulation.Run(s, PgVersion.Parse("16"));
        var copy = r.ForNode("b")!.Slots.Single(x => x.Name == "cdc");
        Assert.Equal(T(25), copy.FirstSyncReady);
        Assert.False(r.ForNode("b")!.Slots.Single(x => x.Name == "other").Synced); // not permanent: not copied (re-created after promotion)
        var cdc = r.Failovers.Single().Slots.Single(x => x.Slot == "cdc");
        Assert.Equal("exists", cdc.OnNewPrimary);
        Assert.InRange(cdc.ReceivedTwice.Bytes, 10 * MiB - 1024, 10 * MiB + 1024);
        Assert.Equal("missing", r.Failovers.Single().Slots.Single(x => x.Slot == "other").OnNewPrimary);
    }
}

/// <summary><c>walsim whatif --sync</c>: the same topology under each mechanism.</summary>
public class SyncComparisonTests
{
    [Fact]
    public void Without_a_mechanism_the_slot_is_missing_and_with_each_one_it_exists_native_only_from_17()
    {
        var path = RepoPaths.Of("scenarios", "failover-pg17-native-switchover.yaml");
        var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(path);
        var all = new[] { SlotSyncMechanism.None, SlotSyncMechanism.Native, SlotSyncMechanism.PgFailoverSlots, SlotSyncMechanism.Patroni };
        var on17 = Walsim.Analyzer.Comparison.SyncComparison.Run(scenario, PgVersion.Parse("17"), all);
        string State(Walsim.Analyzer.Comparison.SyncRun r) => r.Result!.Failovers.Single().Slots.Single(s => s.Slot == "cdc").OnNewPrimary;
        Assert.Equal(["missing", "exists", "exists", "exists"], on17.Select(State));
        // none: cdc re-created at the switch point; its consumer (2 s behind at 1MB/s) misses 2MB.
        Assert.InRange(on17[0].Result!.Failovers.Single().Slots.Single(s => s.Slot == "cdc").Missed.Bytes, 2 * 1048576 - 1024, 2 * 1048576 + 1024);
        // On 16 native sync does not exist: reported, not run.
        var on16 = Walsim.Analyzer.Comparison.SyncComparison.Run(scenario with { Versions = [PgVersion.Parse("16")] }, PgVersion.Parse("16"), all);
        Assert.Null(on16[1].Result);
        Assert.Contains("17+", on16[1].NotApplicable);
        Assert.Equal("exists", State(on16[2]));
    }
}

/// <summary>What synchronized copies cost a standby's pg_wal.</summary>
public class RetainedBySyncedSlotsTests
{
    [Fact]
    public void A_stalled_failover_slots_copy_makes_the_standby_keep_up_to_its_own_cap_more_WAL()
    {
        // scenarios/standby-copy-invalidated-before-primary.yaml: cdc's consumer stops at 1h; b's copy holds WAL until
        // b's cap (16GB) invalidates it at 1h59m15s: the restartpoint before that kept ~16GB beyond what b needed
        // (at 5MB/s, 55 min of WAL, less the part of a restartpoint interval the cap cut).
        var path = RepoPaths.Of("scenarios", "standby-copy-invalidated-before-primary.yaml");
        var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(path);
        var b = Simulation.Run(scenario, PgVersion.Parse("17")).ForNode("b")!;
        Assert.InRange(b.PeakRetainedBySyncedSlots.Bytes, 12L * 1024 * 1048576, 16L * 1024 * 1048576);
        // A standby without copies pays nothing.
        var none = Simulation.Run(scenario with { Nodes = [.. scenario.Nodes.Select(n => n with { SlotSync = SlotSyncMechanism.None })] }, PgVersion.Parse("17")).ForNode("b")!;
        Assert.Equal(0, none.PeakRetainedBySyncedSlots.Bytes);
    }
}

/// <summary>After a failover the promoted standby runs on as the primary.</summary>
public class PromotedStandbyTests
{
    [Fact]
    public void The_promoted_standby_checkpoints_as_a_primary_and_its_slots_keep_moving_from_where_the_copies_were()
    {
        // scenarios/failover-pg17-native-switchover.yaml, switchover at 1h30m of a 2h scenario: b is the primary for
        // 30 min. Its checkpoints (every 5 min, plus the one requested at promotion) add to its restartpoints; cdc,
        // a usable copy, goes on from the copy's position and is never lost; pg_wal stays near max_wal_size.
        var path = RepoPaths.Of("scenarios", "failover-pg17-native-switchover.yaml");
        var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(path);
        var standby = new CollectingObserver();
        var r = Simulation.Run(scenario, PgVersion.Parse("17"), null, _ => standby);
        var b = r.ForNode("b")!;
        Assert.Equal(SimTime.FromSeconds(5400), b.PromotedAt);
        Assert.Equal(SimTime.Zero + SimDuration.FromHours(2), b.Summary.End);
        var after = standby.Checkpoints.Where(c => !c.Restartpoint && !c.Skipped).ToList();
        Assert.InRange(after.Count, 6, 8);                      // the promotion's, then every 5 min for 30 min
        Assert.All(after, c => Assert.True(c.Start >= SimTime.FromSeconds(5400)));
        Assert.Null(b.Slots.Single(x => x.Name == "cdc").Lost);
        Assert.True(b.Summary.FinalInsertLsn > r.Failovers.Single().SwitchPoint + new ByteCount(29L * 60 * 1048576)); // ~30 min at 1MB/s
        Assert.True(b.Summary.PeakPgWalBytes.Bytes < 1100L * 1048576);
    }
}

/// <summary>The old primary rejoining as a standby after a switchover (TV-F8).</summary>
public class RejoinTests
{
    private static Scenario Load() => Walsim.Analyzer.Scenarios.ScenarioLoader.Load(
        RepoPaths.Of("scenarios", "pg17-demoted-primary-stale-slots.yaml"));

    [Fact]
    public void A_demoted_primarys_stale_failover_slot_stops_its_sync_worker_every_10s_and_pins_its_WAL_until_its_cap()
    {
        // Switchover at 1h, a rejoins at 1h05m with sync_replication_slots = on: "same name slot "cdc" already exists
        // on the standby" at 1h05m, then every 10 s to the end (2h): 331 times. cdc and sb1 (b's old slot on a) pin a's
        // WAL from ~1h until a's 8GB cap invalidates both at a restartpoint ~27 min of WAL later.
        var a = new CollectingObserver();
        var r = Simulation.Run(Load(), PgVersion.Parse("17"), a, null);
        var errors = a.Events.Where(e => e.Kind == "slotsync_error").ToList();
        Assert.Equal(SimTime.FromSeconds(3900), errors[0].At);
        Assert.Equal(331, errors.Count);
        Assert.All(errors.Zip(errors.Skip(1)), p => Assert.Equal(SimDuration.FromSeconds(10), p.Second.At - p.First.At));
        Assert.Equal(SimTime.FromSeconds(3900), r.RejoinedAt);
        var cdc = r.Slots.Single(s => s.Name == "cdc").Lost!.Value;
        Assert.InRange(cdc.TotalSeconds, 87 * 60, 94 * 60);
        Assert.Equal(cdc, r.Slots.Single(s => s.Name == "sb1").Lost);
        // Its pg_wal peaked just before: the stale slots' 8GB and what the standby keeps anyway.
        Assert.InRange(r.Summary.PeakPgWalBytes.Bytes, 8L << 30, (8L << 30) + (1L << 30));
    }

    [Fact]
    public void After_a_crash_the_old_primary_is_rewound_and_rejoins_without_its_slots()
    {
        // The same scenario with a crash instead of a switchover: pg_rewind empties a's pg_replslot, so no stale slot
        // stops its worker and nothing pins its WAL; a's slots keep the state they had when it crashed.
        var s = Load();
        var crash = s with { Events = [.. s.Events.Select(e => e is Failover f ? f with { Planned = false } : e)] };
        var a = new CollectingObserver();
        var r = Simulation.Run(crash, PgVersion.Parse("17"), a, null);
        Assert.Equal(SimTime.FromSeconds(3900), r.RejoinedAt);
        Assert.DoesNotContain(a.Events, e => e.Kind == "slotsync_error");
        Assert.Null(r.Slots.Single(x => x.Name == "cdc").Lost);
        // Its pg_wal still grows until its first restartpoint (a timed one 5 min after it rejoined, spread over 4.5 min)
        // removes what it kept from before the crash (~18 min of WAL at 300MB/min), but never to the 8GB the
        // stale slots held after a switchover.
        Assert.InRange(r.Summary.PeakPgWalBytes.Bytes, 4L << 30, (13L << 30) / 2);
        Assert.Empty(r.Failovers.Single().StaleOnOldPrimary);
    }
}

/// <summary><see cref="NativeSlotSync"/>: the sync worker's decisions, with TV-F2's numbers (1MB segments).</summary>
public class NativeSlotSyncTests
{
    private static readonly WalSegmentSize Mb1 = WalSegmentSize.FromMegabytes(1);

    [Theory]
    // 17.8+/18.2+: max(remote 0/717608, min(standby redo 0/1000028, no local slot)) = the redo.
    [InlineData("17.8", "0/1000028")]
    [InlineData("18.2", "0/1000028")]
    // 17.0–17.7: the remote's segment 7 was removed (lastRemovedSegNo 15): the start of segment 16.
    [InlineData("17.7", "0/1000000")]
    [InlineData("18.1", "0/1000000")]
    public void A_new_copy_reserves_at_the_standbys_redo_from_17_8_and_18_2_and_after_the_removed_segments_before(string version, string expected)
    {
        var at = NativeSlotSync.Reserve(RetentionPolicy.For(PgVersion.Parse(version)), Lsn.Parse("0/717608"), Lsn.Parse("0/1000028"),
            Lsn.Invalid, new SegmentNumber(15), Mb1);
        Assert.Equal(Lsn.Parse(expected), at);
    }

    [Fact]
    public void A_copy_is_persisted_only_when_the_remote_is_at_or_past_it_and_has_moved_or_the_horizon_is_held()
    {
        var copy = Lsn.Parse("0/1000028");
        Assert.False(NativeSlotSync.CanPersist(Lsn.Parse("0/717608"), copy, true, true));   // remote behind the copy
        Assert.False(NativeSlotSync.CanPersist(Lsn.Parse("0/1000228"), copy, false, false)); // never moved: catalog_xmin older
        Assert.True(NativeSlotSync.CanPersist(Lsn.Parse("0/1000228"), copy, true, false));
        Assert.True(NativeSlotSync.CanPersist(Lsn.Parse("0/1000228"), copy, false, true));
    }
}

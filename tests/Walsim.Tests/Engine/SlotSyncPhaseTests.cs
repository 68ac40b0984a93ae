using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;

namespace Walsim.Tests.Engine;

/// <summary>
/// The phase of a mechanism's cycles (<c>slot_sync: {…, first_cycle, after_leader}</c>, docs/design/failover.md §3.5,
/// §4.4): when the standby's first cycle runs, and for Patroni how long after the leader's loop the replica's runs. A
/// real run's phase is not a server setting; <c>walsim validate --ha</c> gives the model the one it observed.
/// </summary>
public class SlotSyncPhaseTests
{
    private const double MiB = 1048576;

    // 1 MiB/s; cdc's consumer reports every 10 s, confirming the WAL of 2 s before, and is still applying at the
    // switchover (30 min): S = the WAL of 1798 s. The replica loops every 10 s.
    private static string Yaml(string sync) => $$"""
        name: phase
        versions: ["16"]
        wal_segment_size: 16MB
        duration: 1h
        sample_interval: 0s
        settings: {wal_level: logical, checkpoint_timeout: 5min, max_wal_size: 1GB}
        workload:
          - constant: 1MB/s
        nodes:
          - {name: a, role: primary}
          - name: b
            upstream: a
            primary_slot_name: sb1
            link: {lag: 100ms}
            slot_sync: {{sync}}
        slots:
          - name: cdc
            type: logical
            permanent: true
            consumer: {lag: 2s, confirm_every: 10s, resume: slot}
        events:
          - at: 30min
            switchover: {to: b}
        """;

    private static SlotFailover Outcome(string sync)
    {
        var s = ScenarioLoader.Parse(Yaml(sync), "phase.yaml");
        return Simulation.Run(s, s.Versions[0]).Failovers.Single().Slots.Single(x => x.Slot == "cdc");
    }

    [Fact]
    public void By_default_Patronis_replica_loops_half_a_loop_after_the_leader_and_reads_its_position_of_then()
    {
        // Loops at 5, 15 … 1795 s; the last reads what the leader published at 1790 s: the report of 1790 s, which
        // confirmed 1788 s. 1798 − 1788 s = 10 MiB received twice.
        var o = Outcome("{mechanism: patroni, loop_wait: 10s}");
        Assert.InRange(o.ReceivedTwice.Bytes, 10 * MiB - 1024, 10 * MiB + 1024);
    }

    [Fact]
    public void A_first_cycle_moves_the_loops_and_the_leaders_reads_with_them()
    {
        // first_cycle 3 s: loops at 3, 13 … 1793 s, each reading the leader's position of half a loop before (1788 s):
        // the report of 1780 s, confirming 1778 s. 1798 − 1778 s = 20 MiB.
        var o = Outcome("{mechanism: patroni, loop_wait: 10s, first_cycle: 3s}");
        Assert.InRange(o.ReceivedTwice.Bytes, 20 * MiB - 1024, 20 * MiB + 1024);
    }

    [Fact]
    public void A_replica_that_watches_the_leader_key_advances_to_the_leaders_position_of_the_same_loop()
    {
        // Patroni 3.0.2 with etcd: the replica's loop wakes on the leader's refresh of its key (Etcd.watch), so it
        // advances to the position the leader read that moment. after_leader 0 s, loops at 3 … 1793 s: the report of
        // 1790 s (1788 s) is the copy's. 10 MiB, where half a loop's delay gave 20.
        var o = Outcome("{mechanism: patroni, loop_wait: 10s, first_cycle: 3s, after_leader: 0s}");
        Assert.InRange(o.ReceivedTwice.Bytes, 10 * MiB - 1024, 10 * MiB + 1024);
    }

    [Fact]
    public void Pg_failover_slots_naps_from_its_first_cycle_once_its_new_copy_is_persisted()
    {
        // Naps of 60 s. The first cycle makes the copy at b's replay position and waits, polling every 5 s
        // (wait_for_primary_slot_catchup), until cdc's restart_lsn — the newest running_xacts (every 15 s) under its
        // confirmation — passes it. first_cycle 30 s: at 40 s cdc holds from the record of 30 s (confirming 38 s), past
        // the copy's 29.9 s; naps from there: 40 … 1780 s, the report of 1780 s (1778 s): 20 MiB received twice.
        // first_cycle 55 s: ready at 70 s (the record of 60 s), cycles 70 … 1750 s, the report of 1750 s: 50 MiB.
        Assert.InRange(Outcome("{mechanism: pg_failover_slots, worker_nap_time: 60s, first_cycle: 30s}").ReceivedTwice.Bytes, 20 * MiB - 1024, 20 * MiB + 1024);
        Assert.InRange(Outcome("{mechanism: pg_failover_slots, worker_nap_time: 60s, first_cycle: 55s}").ReceivedTwice.Bytes, 50 * MiB - 1024, 50 * MiB + 1024);
    }

    [Theory]
    [InlineData("{mechanism: pg_failover_slots, after_leader: 0s}", "after_leader is Patroni's")]
    [InlineData("{mechanism: patroni, loop_wait: 5s, after_leader: 5s}", "after_leader must be shorter than loop_wait")]
    public void After_leader_is_a_delay_within_a_Patroni_loop(string sync, string error)
    {
        var e = Assert.ThrowsAny<Exception>(() => ScenarioLoader.Parse(Yaml(sync), "phase.yaml"));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
    }
}

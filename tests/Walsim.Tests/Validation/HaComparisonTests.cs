using Walsim.Analyzer.Validation.Ha;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Validation;

/// <summary>
/// <c>walsim validate --ha</c>'s model side (HaComparison), fed what Patroni 3.0.2 on Debian's 15.20 (modelled as
/// 15.18, the newest 15 walsim knows) showed in a switchover on the CI machine: 13208 B/s of writes from 0/82BB1C, the
/// SQL consumer stopped at 16.0 s having confirmed S = 0/860618, the writes stopped at 0/867598 and the switchover
/// came at 18.5 s, P = 0/8676C0. The bgwriter's first xl_running_xacts of the run was at 0/83C6B0 and its next one
/// came after the event, so the slot on a — and its copy on b — kept restart_lsn 0/83C6B0 from 4 s on: the new primary
/// held P − 0/83C6B0 = 176144 bytes.
/// </summary>
public class HaComparisonTests
{
    private static HaObservation Observed(Lsn bgwriterRunningXacts) => new(
        HaMechanism.Patroni, HaEvent.Switchover, "Patroni 3.0.2 (loop_wait 5 s)", TimeSpan.FromSeconds(5), PgVersion.Parse("15.18"),
        WriteBytesPerSecond: 13208, ConsumerPeriod: 1, ConsumerStoppedAt: 16.0, EventAt: 18.5,
        ConsumerConfirmed: Lsn.Parse("0/860618"), OldPrimaryInsert: Lsn.Parse("0/867598"), SwitchPoint: Lsn.Parse("0/8676C0"),
        SlotOnNewPrimary: true, CopyRestart: Lsn.Parse("0/83C6B0"), CopyConfirmed: Lsn.Parse("0/860618"), RecreatedAt: Lsn.Invalid,
        RowsCommitted: 180, RowsBefore: 156, RowsAfter: 24, RowsTwice: 0, RowsMissed: 0, RowsTwiceByPosition: 0,
        PeakCopyLagBytes: 47504, Samples: [], BgWriterRunningXacts: bgwriterRunningXacts);

    private static HaField Held(HaCase c) => c.Fields.Single(f => f.Field.StartsWith("WAL held by the copy", StringComparison.Ordinal));
    private static HaField Lag(HaCase c) => c.Fields.Single(f => f.Field.StartsWith("copy confirmed_flush", StringComparison.Ordinal));
    private static HaField Twice(HaCase c) => c.Fields.Single(f => f.Field == "received twice");

    [Fact]
    public void The_models_bgwriter_runs_on_the_servers_15_s_clock()
    {
        // 0/867598 − 0/83C6B0 = 175848 bytes before the event: 13.314 s of 13208 B/s, so the record came at 5.186 s of
        // the run. The model's bgwriter logs at every 15 s of simulated time: a warm-up of 60 + 9.814 s puts a tick there.
        var o = Observed(Lsn.Parse("0/83C6B0"));
        Assert.Equal(TimeSpan.FromMilliseconds(69_814), HaComparison.WarmUpFor(o));
        Assert.Contains("at: 88314ms", HaComparison.ScenarioYaml(o), StringComparison.Ordinal); // the switchover, at 18.5 s
    }

    [Fact]
    public void The_copy_holds_WAL_from_the_running_xacts_logged_before_the_consumers_last_call()
    {
        // The slot's restart_lsn moves only to running_xacts records (SnapBuildProcessRunningXacts), the copy follows it
        // at Patroni's next loop: both at the record of 5.2 s, the next one (20.2 s) after the event. The model holds
        // 175848 bytes (18.5 − 5.186 s of writes) plus P − the last insert on its side, the server 176144.
        var c = HaComparison.Compare(Observed(Lsn.Parse("0/83C6B0")));
        var held = Held(c);
        Assert.InRange(held.Model, 176_144 - 1_000, 176_144 + 1_000);
        Assert.False(HaComparison.RecordNearTheStop(c.Observed)); // 5.2 s and 20.2 s: none in 10..16 s
        Assert.Equal(79_248, held.Tolerance); // 6 s of writes: one loop_wait and one consumer period, no running_xacts term
        Assert.True(held.Agrees);
    }

    [Fact]
    public void A_record_within_a_loop_and_a_consumer_period_of_the_stop_may_be_taken_on_one_side_only()
    {
        // A record 6.5 s of writes (85852 bytes) before the event came at 12.0 s, inside 16.0 − 5 − 1 = 10.0 s .. 16.0 s:
        // whether Patroni's last loop before the event copied the slot's move to it is the loop's phase, which the run
        // does not control, so the field allows the 15 s between it and the record before (79248 + 198120 bytes).
        var c = HaComparison.Compare(Observed(Lsn.Parse("0/867598") - new ByteCount(85_852)));
        Assert.True(HaComparison.RecordNearTheStop(c.Observed));
        Assert.Equal(79_248 + 198_120, Held(c).Tolerance);
    }

    [Fact]
    public void A_record_estimated_just_after_the_stop_is_near_it_since_its_time_comes_from_bytes_at_the_average_rate()
    {
        // A first record 222422 bytes (16.84 s of writes) before the last insert came at 1.66 s, the next at 16.66 s
        // by the estimate: 0.66 s after the stop at 16.0 s, inside the 2 s slack. A test run had exactly that, 0.7 s
        // late: the stop's own call took the record (1240 bytes before S) and the copy held 31208 bytes, the model
        // 194850 from the first record; the 15 s term is what tells those two records apart.
        var c = HaComparison.Compare(Observed(Lsn.Parse("0/867598") - new ByteCount(222_422)));
        Assert.True(HaComparison.RecordNearTheStop(c.Observed));
        Assert.Equal(79_248 + 198_120, Held(c).Tolerance);
    }

    [Fact]
    public void Without_the_servers_record_the_model_keeps_its_own_clock_and_the_15_s_term()
    {
        // What the model did before it was given the server's record: a warm-up of exactly four ticks puts one on the
        // workload's start, the next at 15 s, which the consumer's call at 16 s took: the copy held 18.5 − 15 = 3.5 s of
        // writes (46228 bytes), 130 kB short of the server's. Only the 15 s term of the tolerance (198120 bytes) hid it.
        var c = HaComparison.Compare(Observed(Lsn.Invalid));
        Assert.Equal(TimeSpan.FromSeconds(60), HaComparison.WarmUpFor(c.Observed));
        Assert.InRange(Held(c).Model, 46_228 - 1_000, 46_228 + 1_000);
        Assert.True(HaComparison.RecordNearTheStop(c.Observed));
        Assert.Equal(79_248 + 198_120, Held(c).Tolerance);
    }

    // The same run with the consumer's last call at 16.03 s (its final call after the stop, as the real one makes):
    // S = 0/860618 then, and the copy on b last moved at 17.9 s (or, below, at 14.3 s) by the 100 ms poll of b.
    private static HaObservation Synced(double copySyncedAt, Lsn copyConfirmed) =>
        Observed(Lsn.Parse("0/83C6B0")) with { ConsumerStoppedAt = 16.03, CopySyncedAt = copySyncedAt, CopyConfirmed = copyConfirmed };

    [Fact]
    public void Patronis_replica_loop_runs_where_the_run_saw_the_copy_move_right_after_the_leaders()
    {
        // 17.9 s + the warm-up of 69.814 s = 87.714 s, 2.714 s past a multiple of loop_wait (5 s): the model's replica
        // loops at 2.714 s, 7.714 s … and reads the leader's position of the same moment (Etcd.watch wakes it on the
        // leader's refresh of its key), so its last loop before the event (17.9 s) copies the consumer's last report
        // (16 s: the model's consumer reports at the run's seconds from the workload's start). The server's copy had
        // caught up (0); the model's lags by the 0.03 s after that report, 396 bytes of 13208 B/s.
        var c = HaComparison.Compare(Synced(17.9, Lsn.Parse("0/860618")));
        Assert.Equal(TimeSpan.FromMilliseconds(2_714), HaComparison.FirstCycleFor(c.Observed));
        Assert.Contains("{mechanism: patroni, loop_wait: 5000ms, first_cycle: 2714ms, after_leader: 0ms}", c.ModelScenario, StringComparison.Ordinal);
        Assert.InRange(Lag(c).Model, -396 - 100, -396 + 100);
        Assert.Equal(0, Lag(c).Server);
        // One consumer period and a second of writes: 13208 × 2 s, where the loop's unknown phase needed 79248.
        Assert.Equal(26_416, Lag(c).Tolerance);
        Assert.Equal(26_416, Twice(c).Tolerance);
        Assert.True(c.Agrees);
    }

    [Fact]
    public void A_last_loop_before_the_consumers_stop_leaves_the_copy_at_the_call_before_it()
    {
        // The copy last moved at 14.3 s: the next loop (19.3 s) came after the event, so the copy kept the consumer's
        // call of 14 s, 2 s before its last: the server 26416 bytes behind (2 s of 13208 B/s). The model's loop at
        // 14.3 s takes its report of 14 s: 2.03 s behind its S of 16.03 s, 26812 bytes.
        var c = HaComparison.Compare(Synced(14.3, Lsn.Parse("0/860618") - new ByteCount(26_416)));
        Assert.InRange(Lag(c).Model, -26_812 - 100, -26_812 + 100);
        Assert.InRange(Twice(c).Model, 26_812 - 100, 26_812 + 100);
        Assert.Equal(26_416, Twice(c).Server);
        Assert.True(c.Agrees);
    }

    [Fact]
    public void A_Patroni_switchover_publishes_the_slots_once_more_before_it_demotes_the_leader()
    {
        // The copy moved at 13.6 s, then at 19.1 s: the loop that handled the switchover (requested at 18.5 s) ran
        // update_lock(True) — publishing cdc at S — before process_manual_failover_from_leader, and b advanced its copy
        // while a shut down: the server's copy caught up (0). The model's switchover is instantaneous, so its last loop
        // goes 1 ms before it: 18.499 + 69.814 = 88.313 s, 3.313 s past a multiple of 5 s; the copy takes the report of
        // 16 s, 396 bytes short of S, as in a run whose last loop came after the stop.
        var c = HaComparison.Compare(Synced(19.1, Lsn.Parse("0/860618")));
        Assert.Equal(TimeSpan.FromMilliseconds(3_313), HaComparison.FirstCycleFor(c.Observed));
        Assert.InRange(Lag(c).Model, -396 - 100, -396 + 100);
        Assert.True(c.Agrees);
    }

    [Fact]
    public void Without_a_move_of_the_copy_the_model_keeps_its_own_phase_and_the_loop_wide_tolerance()
    {
        // No move seen (the poll of b failed): Patroni's replica half a loop in, reading the leader of half a loop before;
        // the copy fields allow one loop_wait and one consumer period, 6 s of 13208 B/s.
        var c = HaComparison.Compare(Observed(Lsn.Parse("0/83C6B0")));
        Assert.Null(HaComparison.FirstCycleFor(c.Observed));
        Assert.Contains("{mechanism: patroni, loop_wait: 5000ms}", c.ModelScenario, StringComparison.Ordinal);
        Assert.Equal(79_248, Lag(c).Tolerance);
        Assert.Equal(79_248, Twice(c).Tolerance);
    }
}

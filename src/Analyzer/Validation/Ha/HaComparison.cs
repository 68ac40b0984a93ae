using System.Globalization;
using System.Text;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>One field compared: walsim's model against the servers, agreeing within <see cref="Tolerance"/> bytes.</summary>
public sealed record HaField(string Field, long Model, long Server, long Tolerance, string Unit = "bytes")
{
    public bool Agrees => Math.Abs(Model - Server) <= Tolerance;
}

/// <summary>An HA case: what the servers did and what the model predicts for the same topology and timings.</summary>
public sealed record HaCase(HaObservation Observed, string ModelScenario, SlotFailover? Model, IReadOnlyList<HaField> Fields)
{
    public string Name => HaComparison.CaseName(Observed.Mechanism, Observed.Event);
    public bool Agrees => Fields.All(f => f.Agrees);
}

/// <summary>
/// Runs the observed topology through walsim's model (docs/design/failover.md §4.4): the same two nodes on the same
/// version, <c>slot_sync</c> with the real <c>loop_wait</c> / <c>worker_nap_time</c>, the observed write rate
/// (steady, from the 4th second) as a constant workload, a consumer confirming every second that stops when the real one stopped and resumes from the slot
/// (<c>resume: slot</c>: the SQL consumer asks for nothing), and the switchover or failover at the observed time —
/// all shifted by a minute of warm-up, because the real copy existed before the workload started, and by what puts the
/// model's bgwriter on the server's 15 s clock (<see cref="WarmUpFor"/>). The consumer reconnects at the workload's
/// start (a 1 ms outage just before it), so its reports come at the seconds the real consumer's calls did: the
/// warm-up's fraction of a second would otherwise put them up to a second off. The mechanism's cycles are put where
/// the run's were (<see cref="FirstCycleFor"/>). Then compares field by field. The tolerance is what one interval of
/// the mechanism plus one consumer period of the workload's WAL can move, for the fields the copy's confirmed_flush
/// decides one consumer period and a little once the run showed the mechanism's phase (<see cref="CopyTolerance"/>).
/// </summary>
public static class HaComparison
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunningXactsInterval = TimeSpan.FromSeconds(15); // LOG_SNAPSHOT_INTERVAL_MS

    public static string Name(HaMechanism m) => m == HaMechanism.Patroni ? "patroni" : "pg-failover-slots";

    /// <summary>A case's name in reports and file names: "patroni switchover", "pg-failover-slots crash".</summary>
    public static string CaseName(HaMechanism m, HaEvent ev) => $"{Name(m)} {ev.ToString().ToLowerInvariant()}";

    /// <summary>The topology scenario that mirrors <paramref name="o"/>, as YAML (written next to the results).</summary>
    public static string ScenarioYaml(HaObservation o)
    {
        var inv = CultureInfo.InvariantCulture;
        var warmUp = WarmUpFor(o);
        string Ms(double seconds) => ((long)Math.Round((seconds + warmUp.TotalSeconds) * 1000)).ToString(inv) + "ms";
        var interval = ((long)o.Interval.TotalMilliseconds).ToString(inv) + "ms";
        // The mechanism's cycles where the run's were (FirstCycleFor); Patroni's replica right after its leader.
        var phase = FirstCycleFor(o) is { } first
            ? $", first_cycle: {((long)first.TotalMilliseconds).ToString(inv)}ms" + (o.Mechanism == HaMechanism.Patroni ? ", after_leader: 0ms" : "")
            : "";
        var sync = o.Mechanism == HaMechanism.Patroni
            ? $"{{mechanism: patroni, loop_wait: {interval}{phase}}}"
            : $"{{mechanism: pg_failover_slots, worker_nap_time: {interval}{phase}}}";
        var ev = o.Event == HaEvent.Switchover ? "switchover" : "failover";
        var name = Name(o.Mechanism);
        var rate = o.WriteBytesPerSecond.ToString("0", inv);
        return string.Create(inv, $$"""
            name: ha-{{name}}-{{o.Event.ToString().ToLowerInvariant()}}
            description: >
              The real-server run of walsim validate --ha {{name}} ({{o.Description}}), as a model scenario: {{rate}} B/s
              of writes, a consumer confirming every {{o.ConsumerPeriod:0}} s that stops at {{o.ConsumerStoppedAt:0.0}} s, the {{ev}} at {{o.EventAt:0.0}} s (after {{warmUp.TotalSeconds:0.000}} s of warm-up).
            versions: [{{o.Version}}]
            wal_segment_size: 1MB
            duration: {{Ms(o.EventAt + 5)}}
            sample_interval: 1s
            settings: {wal_level: logical, max_wal_size: 1GB, checkpoint_timeout: 1d}
            workload:
              - constant: {{Math.Max(1, (long)Math.Round(o.WriteBytesPerSecond))}}B/s
            nodes:
              - {name: a, role: primary}
              - name: b
                upstream: a
                primary_slot_name: {{ReplicaSet.SlotName}}
                slot_sync: {{sync}}
            slots:
              - name: {{IHaCluster.SlotName}}
                type: logical
                permanent: true
                consumer: {confirm_every: {{(long)(o.ConsumerPeriod * 1000)}}ms, outages: [{from: {{Ms(-0.001)}}, until: {{Ms(0)}}}, {from: {{Ms(o.ConsumerStoppedAt)}}, until: {{Ms(o.EventAt + 10)}}}], resume: slot}
            events:
              - at: {{Ms(o.EventAt)}}
                {{ev}}: {to: b}

            """);
    }

    /// <summary>
    /// The model's warm-up before the workload's time 0: a minute, plus what brings one of the model's bgwriter ticks
    /// (every 15 s of simulated time since the server started, retention-model.md §12.2) onto the first xl_running_xacts
    /// the server's bgwriter logged in the run. The bgwriter logs one every LOG_SNAPSHOT_INTERVAL_MS while WAL is
    /// written (bgwriter.c), on a clock its last record of the set-up started, so its phase is the server's, not the
    /// workload's: the four runs of the CI machine logged theirs 2.3–4.5 s after the workload's start, the model's
    /// minute put a tick on the start itself. A logical slot's restart_lsn (and its copies') moves only to such records
    /// (<c>SnapBuildProcessRunningXacts</c>), so with the phases apart the model's WAL held differed by the 11–13 s
    /// between them.
    /// </summary>
    public static TimeSpan WarmUpFor(HaObservation o)
    {
        if (RecordAt(o) is not { } at) return WarmUp;
        var period = RunningXactsInterval.TotalSeconds;
        var toNextTick = ((-at % period) + period) % period;
        return WarmUp + TimeSpan.FromMilliseconds(Math.Round(toNextTick * 1000));
    }

    /// <summary>
    /// The model's first slot-sync cycle (from the standby's start, which is the model's time 0) that puts its cycles —
    /// every interval from there — on the run's: the last time b's copy moved before its promotion (<c>CopySyncedAt</c>),
    /// shifted by the warm-up, modulo the interval. Null when the run saw no timed last move: the model keeps its own phase (the
    /// worker at once, Patroni's replica half a loop in, reading what the leader published half a loop before).
    /// Patroni 3.0.2's replica loop is not of its own phase: it watches the leader key in etcd (<c>Etcd.watch</c>)
    /// and runs 10 ms after the leader's loop refreshed it, so the model's replica reads the leader's position of the
    /// same moment (<c>after_leader: 0ms</c>); the copy the run saw move is that same loop. pg_failover_slots' worker
    /// reads a's slot and sets the copy in the same cycle. Its model waits for a new copy's remote in 5 s polls and
    /// retries after 10 s, which keeps the phase only because the nap here is 5 s (HaValidation.FailoverSlotsNap).
    /// </summary>
    public static TimeSpan? FirstCycleFor(HaObservation o)
    {
        if (o.CopySyncedAt is not { } synced || o.Interval <= TimeSpan.Zero) return null;
        // A move after the event came in the switchover itself (Patroni's loop that handles it publishes the slots
        // before it demotes a: Ha.process_healthy_cluster, update_lock(True) first), which the model's instantaneous
        // switchover cannot follow: its last cycle goes just before the event instead. Only the last cycle before
        // the event decides the copy (the consumer stopped before it), so the earlier ones may keep that phase.
        var at = Math.Min(synced, o.EventAt - 0.001);
        var period = o.Interval.TotalMilliseconds;
        var ms = Math.Round((at + WarmUpFor(o).TotalSeconds) * 1000);
        return TimeSpan.FromMilliseconds(((ms % period) + period) % period);
    }

    /// <summary>
    /// The tolerance of the fields the copy's confirmed_flush decides (the copy lag, received twice) once the model's
    /// cycles are on the run's (<see cref="FirstCycleFor"/>): one consumer period of WAL plus <see cref="PhaseSlack"/>.
    /// The model's copy then takes the consumer's confirmation of the same cycle as the server's; what is left is a
    /// consumer call within the cycle's uncertainty — the 100 ms poll that timed the move, the leader-to-replica chain
    /// (Patroni: etcd, its watch's 10 ms, the advance on b), the call's own few ms after its whole second — which one
    /// side may count and the other not: one call. The slack covers rows off the average rate and a call a loaded
    /// machine delayed: the runs missed by one call at most (11.6-12.5 kB at 11.6-12.0 kB/s, pg_failover_slots, whose
    /// worker's cycles fell within ms of the whole seconds the consumer calls at), inside half a second's slack by
    /// only 5 kB, not margin enough for a shared CI host; a second's slack leaves a whole second's writes.
    /// Without the phase: one interval plus one consumer period, the old bound.
    /// </summary>
    public static long CopyTolerance(HaObservation o) => FirstCycleFor(o) is null
        ? CommonTolerance(o)
        : WalOf(o, o.ConsumerPeriod + PhaseSlack.TotalSeconds);

    /// <summary>The common tolerance: the WAL of one interval (loop_wait / worker_nap_time, whose phase the run does
    /// not control) plus one consumer period.</summary>
    private static long CommonTolerance(HaObservation o) => WalOf(o, o.Interval.TotalSeconds + o.ConsumerPeriod);

    private static long WalOf(HaObservation o, double seconds) => (long)Math.Ceiling(o.WriteBytesPerSecond * seconds);

    /// <summary>What the copy's phase is known to within (<see cref="CopyTolerance"/>).</summary>
    public static readonly TimeSpan PhaseSlack = TimeSpan.FromSeconds(1);

    public static HaCase Compare(HaObservation o)
    {
        var yaml = ScenarioYaml(o);
        var scenario = ScenarioLoader.Parse(yaml, $"ha-{CaseName(o.Mechanism, o.Event).Replace(' ', '-')}.yaml");
        var result = Simulation.Run(scenario, scenario.Versions[0]);
        var m = result.Failovers.FirstOrDefault()?.Slots.FirstOrDefault(s => s.Slot == IHaCluster.SlotName);
        var tol = CommonTolerance(o);
        var fields = new List<HaField>();
        if (m is null)
        {
            fields.Add(new HaField("model produced a failover outcome for cdc", 0, 1, 0, "yes/no"));
            return new HaCase(o, yaml, null, fields);
        }
        var modelExists = m.OnNewPrimary == "exists";
        fields.Add(new HaField("slot present and usable on the new primary", modelExists ? 1 : 0, o.SlotOnNewPrimary ? 1 : 0, 0, "yes/no"));
        // Copy position relative to the consumer's confirmed LSN (and so to the old primary's slot, which the stopped consumer left there).
        var modelRel = m.CopyConfirmed is { } cc ? Signed(cc, m.ConsumerPosition) : 0;
        var serverRel = o.SlotOnNewPrimary ? Signed(o.CopyConfirmed, o.ConsumerConfirmed) : 0;
        var copyTol = CopyTolerance(o);
        fields.Add(new HaField("copy confirmed_flush − consumer's confirmed (= − copy lag behind the primary's slot)", modelRel, serverRel, copyTol));
        // With the bgwriter's clocks together (WarmUpFor), what this field tests is which running_xacts record the copy
        // holds from: the model's records are placed where the server's lay, so the same record gives the same bytes
        // (within 311 bytes in the CI runs: the server's P lies past its last row by a shutdown checkpoint), and the
        // next or previous record is 15 s of WAL away. The common tolerance (one interval and one consumer period,
        // well under 15 s) tells them apart and leaves room for WAL the old primary may write after the last row (an
        // autovacuum's). Unless a record came within one interval and one consumer period before the consumer
        // stopped: then whether the slot, and the copy's last sync, took it is the uncontrolled phase again, and the
        // two sides may hold from records 15 s of WAL apart. (One after the stop is decoded by nobody before the event.)
        var restartTol = RecordNearTheStop(o) ? tol + WalOf(o, RunningXactsInterval.TotalSeconds) : tol;
        fields.Add(new HaField("WAL held by the copy on the new primary at promotion (P − restart_lsn)",
            m.CopyRestart is { IsValid: true } cr ? Signed(result.Failovers[0].SwitchPoint, cr) : 0,
            o.HeldByCopyBytes, restartTol));
        fields.Add(new HaField("received twice", m.ReceivedTwice.Bytes, o.ReceivedTwiceBytes, copyTol));
        fields.Add(new HaField("missed", m.Missed.Bytes, o.MissedBytes, tol));
        fields.Add(new HaField("phantom (applied, not on the new primary)", m.Phantom.Bytes,
            o.ConsumerConfirmed > o.SwitchPoint ? (o.ConsumerConfirmed - o.SwitchPoint).Bytes : 0, tol));
        return new HaCase(o, yaml, m, fields);
    }

    /// <summary>Whether a bgwriter running_xacts (the first one observed, then every 15 s) fell within one interval
    /// and one consumer period before the consumer stopped, or up to <see cref="RecordTimeSlack"/> after it, since its
    /// time is estimated from its bytes at the average rate; true when none was observed.</summary>
    public static bool RecordNearTheStop(HaObservation o)
    {
        if (RecordAt(o) is not { } first) return true;
        var from = o.ConsumerStoppedAt - o.Interval.TotalSeconds - o.ConsumerPeriod;
        for (var at = first; at <= o.ConsumerStoppedAt + RecordTimeSlack.TotalSeconds; at += RunningXactsInterval.TotalSeconds)
            if (at >= from) return true;
        return false;
    }

    /// <summary>How far a record's estimated time may lie after the consumer's stop and still be near it: a test run's
    /// copy held from the second record, which the stop's own call took (1240 bytes before S, so ~0.1 s before the
    /// stop at 16.0 s), estimated 16.66 s from the first (194850 bytes before P at 11499 B/s): 0.7 s late, and the
    /// field disagreed (server 31208, model 194850 bytes) for want of the 15-s term.</summary>
    public static readonly TimeSpan RecordTimeSlack = TimeSpan.FromSeconds(2);

    /// <summary>The server's first bgwriter running_xacts on the run's clock (seconds from the workload's start): as
    /// many bytes of the observed rate before the event as it lay before the old primary's last insert.</summary>
    private static double? RecordAt(HaObservation o) =>
        !o.BgWriterRunningXacts.IsValid || o.WriteBytesPerSecond <= 0 || o.BgWriterRunningXacts > o.OldPrimaryInsert
            ? null
            : o.EventAt - (o.OldPrimaryInsert - o.BgWriterRunningXacts).Bytes / o.WriteBytesPerSecond;

    private static long Signed(Lsn a, Lsn b) => a >= b ? (a - b).Bytes : -(b - a).Bytes;
}

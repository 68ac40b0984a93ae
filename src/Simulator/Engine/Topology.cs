using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Simulator.Engine;

/// <summary>
/// A scenario with <c>nodes:</c>: the primary runs as a one-server scenario does (its settings are the scenario's plus
/// its node's; each standby's <c>primary_slot_name</c> is a physical slot on it, moved by the walreceiver's reports
/// over the link), recording the WAL it writes; then each standby runs over that record (<see cref="StandbyServer"/>).
/// A standby does not change the primary, except through its slot, which the primary's run already holds.
/// </summary>
public static class Topology
{
    internal static SimulationResult Run(Scenario scenario, RetentionPolicy policy, ISimulationObserver observer, Func<string, ISimulationObserver?>? standbyObserver)
    {
        var primaries = scenario.Nodes.Where(n => n.Role == NodeRole.Primary).ToList();
        if (primaries.Count != 1)
            throw new ScenarioValidationException($"a topology needs exactly one primary node, not {primaries.Count}", scenario.Nodes.FirstOrDefault()?.Location ?? SourceLocation.None, "nodes");
        var primary = primaries[0];
        foreach (var n in scenario.Nodes.Where(n => n.Role == NodeRole.Standby))
            if (n.Upstream is { } up && up != primary.Name)
                throw new ScenarioValidationException($"node {n.Name}: cascading replication (upstream {up}) is not modelled yet; stream from {primary.Name}", n.Location, "upstream");

        // A failover ends the topology's run: what the new primary has, and what each consumer gets, is its outcome.
        var failover = scenario.Events.OfType<Failover>().OrderBy(f => f.At).FirstOrDefault();
        if (failover is not null && scenario.Nodes.All(n => n.Name != failover.To || n.Role != NodeRole.Standby))
            throw new ScenarioValidationException($"failover to \"{failover.To}\": no standby of that name", failover.Location, "failover");
        var run = failover is null ? scenario : scenario with
        {
            Duration = failover.At - SimTime.Zero,
            Events = scenario.Events.Where(e => e is not Failover && e.At <= failover.At).ToList(),
        };

        var log = new WalLog();
        var primaryScenario = PrimaryScenario(run, primary);
        var result = new Server(primaryScenario, policy, observer, log).Run();
        var servers = run.Nodes.Where(n => n.Role == NodeRole.Standby)
            .Select(n => (Node: n, Server: new StandbyServer(run, n, policy, log, standbyObserver?.Invoke(n.Name) ?? NullObserver.Instance)))
            .ToList();
        var standbys = servers.Select(x => x.Server.Run() with { Node = x.Node.Name }).ToList();
        IReadOnlyList<FailoverOutcome> failovers = failover is null ? []
            : [Outcome(failover, primaryScenario, log, servers.Single(x => x.Node.Name == failover.To).Server)];
        return result with { Node = primary.Name, Standbys = standbys, Failovers = failovers };
    }

    /// <summary>
    /// docs/design/failover.md §3.6 at the failover instant T. P, the new primary's switch point: all the old
    /// primary wrote for a switchover (its shutdown checkpoint reaches the standby), what the standby had received for
    /// a crash. For each logical slot with a consumer: S = what the consumer had applied (the WAL of its lag ago, or of
    /// when its outage began); the copy on the new primary (a persistent synced copy is usable; a temporary one is
    /// dropped at promotion); R = max(what the consumer asks for, the copy's confirmed_flush), or the switch point for a
    /// slot that must be re-created.
    /// </summary>
    private static FailoverOutcome Outcome(Failover f, Scenario primaryScenario, WalLog log, StandbyServer to)
    {
        var t = f.At;
        var p = f.Planned ? log.At(t) : to.ReceivedAt(t);
        var copies = to.Copies.ToDictionary(c => c.Name);
        var waitFor = GucCatalog.SlotListOf(primaryScenario.Settings.GetValueOrDefault("synchronized_standby_slots") ?? "");
        var slots = new List<SlotFailover>();
        foreach (var spec in primaryScenario.Slots.Concat(primaryScenario.Events.OfType<CreateSlot>().Select(c => c.Slot))
                     .Where(x => x.Kind == SlotKind.Logical && x.Consumer.Connected))
        {
            if (log.SlotAt(spec.Name, t) is null) continue; // not created yet, or dropped
            var consumer = spec.Consumer;
            var appliedAt = t;
            foreach (var o in consumer.Outages)
                if (t >= o.From && t < o.Until) { appliedAt = o.From; break; }
            var applied = log.At(appliedAt - consumer.Lag < SimTime.Zero ? SimTime.Zero : appliedAt - consumer.Lag);
            var s = applied.Value > (ulong)consumer.LagBytes.Bytes ? new Lsn(applied.Value - (ulong)consumer.LagBytes.Bytes) : applied;
            // synchronized_standby_slots: a failover slot's walsender sent nothing past what the listed standbys had flushed.
            if (spec.Failover && waitFor.Count > 0)
            {
                var sent = new Lsn(ulong.MaxValue);
                foreach (var name in waitFor)
                    sent = log.SlotAt(name, t) is { Invalidated: false } w && w.RestartLsn.IsValid ? Lsn.Min(sent, w.RestartLsn) : Lsn.Min(sent, log.SlotAt(spec.Name, t)!.Value.ConfirmedFlush);
                s = Lsn.Min(s, sent);
            }

            string state;
            Lsn? copyConfirmed = null;
            if (!copies.TryGetValue(spec.Name, out var c)) state = "missing";
            else if (c.Invalidated) state = "invalidated";
            else if (c.Temporary) state = to.Mechanism == SlotSyncMechanism.Patroni ? "not-ready" : "temporary-dropped";
            else { state = "exists"; copyConfirmed = c.Confirmed; }

            var request = consumer.Resume == ResumeFrom.Origin ? s : Lsn.Invalid;
            // A slot re-created on the new primary starts at its insert position when the consumer reconnects: the
            // switch point plus what the workload wrote meanwhile (the new primary itself is not simulated yet).
            var recreatedAt = p + new ByteCount((long)WorkloadPaths.Bytes(primaryScenario.Workload, t, t + consumer.ReconnectAfter));
            var from = copyConfirmed ?? recreatedAt;
            var r = request.IsValid && request > from ? request : from;
            var floor = s < p ? s : p;
            slots.Add(new SlotFailover(spec.Name, state, s, copyConfirmed, r,
                Phantom: s > p ? s - p : ByteCount.Zero,
                ReceivedTwice: floor > r ? floor - r : ByteCount.Zero,
                Missed: r > floor ? r - floor : ByteCount.Zero));
        }
        var stale = !f.Planned ? [] : log.SlotNames
            .Select(n => (Name: n, Point: log.SlotAt(n, t)))
            .Where(x => x.Point is { Logical: true, Failover: true, Invalidated: false })
            .Select(x => (x.Name, x.Point!.Value.RestartLsn)).ToList();
        return new FailoverOutcome(t, f.To, f.Planned, p, slots) { StaleOnOldPrimary = stale };
    }

    /// <summary>The primary as a one-server scenario: the scenario's settings with its node's on top, its volume,
    /// and a physical slot for each standby that names one, reported by the walreceiver every
    /// wal_receiver_status_interval at what it had received (the link's lag), disconnected during link outages.</summary>
    private static Scenario PrimaryScenario(Scenario scenario, NodeSpec primary)
    {
        var settings = new Dictionary<string, string>(scenario.Settings, StringComparer.Ordinal);
        foreach (var (k, v) in primary.Settings) settings[k] = v;
        var slots = scenario.Slots.Concat(primary.Slots).ToList();
        foreach (var n in scenario.Nodes.Where(n => n.Role == NodeRole.Standby && n.PrimarySlotName is not null))
        {
            // The scenario reader declares it already (so reports and expectations know it); a scenario built in code may not.
            if (slots.Any(s => s.Name == n.PrimarySlotName)) continue;
            slots.Add(StandbySlot(n));
        }
        return scenario with { Settings = settings, Slots = slots, Disk = primary.Disk ?? scenario.Disk, Nodes = [], Events = scenario.Events.Where(e => e is not Failover).ToList() };
    }

    /// <summary>The physical slot a standby uses on its upstream (<c>primary_slot_name</c>): reserved at creation,
    /// moved by the walreceiver's reports every status interval to what it had received (the link's lag), and
    /// left behind while the link is down.</summary>
    public static SlotSpec StandbySlot(NodeSpec standby) => new()
    {
        Name = standby.PrimarySlotName ?? throw new ArgumentException($"node {standby.Name} has no primary_slot_name"),
        Kind = SlotKind.Physical,
        Consumer = new ConsumerSpec { Lag = standby.Link.Lag, ConfirmEvery = standby.Link.StatusInterval, Outages = standby.Link.Outages },
        Location = standby.Location,
    };

    /// <summary>A node's settings: the scenario's, those of its version ranges, then the node's own.</summary>
    public static IEnumerable<KeyValuePair<string, string>> SettingsOf(Scenario scenario, NodeSpec node, PgVersion version) =>
        scenario.Settings
            .Concat(scenario.VersionSettings.Where(v => v.Versions.Contains(version)).SelectMany(v => v.Settings))
            .Concat(node.Settings);
}

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

        // A failover stops the old primary: the run before it ends there; the promoted standby then runs on (below).
        var failover = scenario.Events.OfType<Failover>().OrderBy(f => f.At).FirstOrDefault();
        if (failover is not null && scenario.Nodes.All(n => n.Name != failover.To || n.Role != NodeRole.Standby))
            throw new ScenarioValidationException($"failover to \"{failover.To}\": no standby of that name", failover.Location, "failover");
        var run = failover is null ? scenario : scenario with
        {
            Duration = failover.At - SimTime.Zero,
            Events = scenario.Events.Where(e => e is not Failover and not Rejoin && e.At <= failover.At).ToList(),
        };

        var log = new WalLog();
        var primaryScenario = PrimaryScenario(run, primary);
        var primaryServer = new Server(primaryScenario, policy, observer, log);
        var result = primaryServer.Run();
        var observers = run.Nodes.Where(n => n.Role == NodeRole.Standby)
            .ToDictionary(n => n.Name, n => standbyObserver?.Invoke(n.Name) ?? NullObserver.Instance);
        var servers = run.Nodes.Where(n => n.Role == NodeRole.Standby)
            .Select(n => (Node: n, Server: new StandbyServer(run, n, policy, log, observers[n.Name])))
            .ToList();
        var standbys = servers.Select(x => x.Server.Run() with { Node = x.Node.Name }).ToList();
        if (failover is null) return result with { Node = primary.Name, Standbys = standbys };

        var to = servers.Single(x => x.Node.Name == failover.To);
        var outcome = Outcome(failover, primaryScenario, log, to.Server);
        // The promoted standby runs on as the primary for the rest of the scenario; its node is both phases.
        var t = failover.At - SimTime.Zero;
        if (failover.At < SimTime.Zero + scenario.Duration)
        {
            var promotedScenario = Promoted(scenario, to.Node, failover, outcome, to.Server, primaryScenario, policy.Version);
            var log2 = new WalLog();
            var promoted = new Server(promotedScenario, policy, new ShiftedObserver(observers[to.Node.Name], t), log2).Run();
            var i = standbys.FindIndex(x => x.Node == to.Node.Name);
            standbys[i] = Merge(standbys[i], promoted, t) with { PromotedAt = failover.At };

            // The old primary rejoining as a standby of the promoted one, with what it had.
            if (scenario.Events.OfType<Rejoin>().FirstOrDefault(e => e.At > failover.At) is { } rejoin)
            {
                if (rejoin.Node != primary.Name || rejoin.Upstream != to.Node.Name)
                    throw new ScenarioValidationException(
                        $"rejoin: only the old primary ({primary.Name}) rejoins, as a standby of {to.Node.Name}", rejoin.Location, "rejoin");
                var (dir, redo, lastRemoved, estimate, slots) = primaryServer.FinalState();
                // After a crash the old primary wrote WAL the new one never had: it must be rewound (pg_rewind), which
                // empties pg_replslot — no stale slots — and replaces its WAL past the switch point with the new
                // primary's. After a switchover nothing diverged and everything stays.
                if (!failover.Planned) slots = [];
                var asStandby = primary with { Role = NodeRole.Standby, Upstream = to.Node.Name, SlotSync = rejoin.SlotSync, Slots = [], PrimarySlotName = null, Link = LinkSpec.Streaming };
                var state = new StandbyServer.RejoinState(rejoin.At - t, dir, redo, lastRemoved, estimate, slots);
                var rejoined = new StandbyServer(promotedScenario with { Expectations = [] }, asStandby, policy, log2, new ShiftedObserver(observer, t), state).Run();
                result = Merge(result, rejoined, t) with { RejoinedAt = rejoin.At, Node = primary.Name };
            }
        }
        return result with { Node = primary.Name, Standbys = standbys, Failovers = [outcome] };
    }

    /// <summary>
    /// The promoted standby as a one-server scenario from the failover on (its clock's 0 is the failover): its own
    /// settings and volume, the rest of the workload, its pg_wal, redo and estimate as the standby left them, a
    /// checkpoint requested at promotion; every usable copy a slot at its position, its consumer reconnecting after
    /// <c>reconnect_after</c>; a slot without a usable copy re-created by its consumer when it reconnects; the
    /// standby's own physical slots. Scenario events after the failover follow, shifted.
    /// </summary>
    private static Scenario Promoted(Scenario scenario, NodeSpec node, Failover f, FailoverOutcome outcome, StandbyServer standby,
        Scenario primaryScenario, PgVersion version)
    {
        var t = f.At - SimTime.Zero;
        var remaining = scenario.Duration - t;
        var (start, own) = standby.PromotionState(outcome.SwitchPoint);
        var copies = standby.Copies.ToDictionary(c => c.Name);
        var slots = new List<SlotSpec>(own);
        var events = new List<ScenarioEvent> { new RequestCheckpoint { At = SimTime.Zero } };
        foreach (var sf in outcome.Slots)
        {
            var spec = primaryScenario.Slots.Concat(primaryScenario.Events.OfType<CreateSlot>().Select(c => c.Slot)).First(x => x.Name == sf.Slot);
            var back = SimTime.Zero + spec.Consumer.ReconnectAfter;
            var outages = spec.Consumer.Outages.Where(o => o.Until > f.At)
                .Select(o => new Outage(SimTime.Max(SimTime.Zero, o.From - t), o.Until.IsNever ? SimTime.Never : o.Until - t)).ToList();
            if (back > SimTime.Zero) outages.Insert(0, new Outage(SimTime.Zero, back));
            var consumer = spec.Consumer with { Outages = outages };
            if (sf.OnNewPrimary == "exists" && copies.TryGetValue(sf.Slot, out var c))
                slots.Add(spec with { CreatedAt = SimTime.Zero, RestartLsn = c.Restart, ConfirmedFlushLsn = c.Confirmed, Consumer = consumer });
            else
                events.Add(new CreateSlot(spec with { CreatedAt = back, RestartLsn = null, ConfirmedFlushLsn = null, Consumer = consumer }) { At = back });
        }
        events.AddRange(scenario.Events.Where(e => e.At > f.At && e is not Failover and not Rejoin && e is not CreateSlot { Slot.Kind: SlotKind.Physical })
            .Select(e => e with { At = e.At - t }));
        var settings = SettingsOf(scenario, node, version).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        return scenario with
        {
            Name = $"{scenario.Name} ({node.Name} promoted)",
            Settings = settings,
            VersionSettings = [],
            Workload = WorkloadPaths.Window(scenario.Workload with { Noise = null }, f.At, remaining, new Random(0)),
            Slots = slots,
            Events = events.OrderBy(e => e.At).ToList(),
            Disk = node.Disk,
            Nodes = [],
            Duration = remaining,
            Start = start,
            // Point expectations about this node after the failover are probed on its clock.
            Expectations = scenario.Expectations.OfType<PointExpectation>()
                .Where(e => e.Node == node.Name && e.Point.At is { } at && at > f.At)
                .Select(e => (Expectation)(e with { Node = null, Point = e.Point with { At = e.Point.At!.Value - t } })).ToList(),
        };
    }

    /// <summary>One node's two lives (a standby then the primary, or a primary then a rejoined standby), the second's
    /// times on the scenario's clock.</summary>
    private static SimulationResult Merge(SimulationResult standby, SimulationResult promoted, SimDuration t)
    {
        SimTime? Later(SimTime? x) => x is { } v ? v + t : null;
        SimTime? First(SimTime? a, SimTime? b) => a is null ? b : b is null ? a : SimTime.Min(a.Value, b.Value);
        var s = standby.Summary;
        var p = promoted.Summary;
        var promotedPeakLater = p.PeakPgWalBytes > s.PeakPgWalBytes;
        var summary = new RunSummary(p.End + t,
            promotedPeakLater ? p.PeakPgWalBytes : s.PeakPgWalBytes, promotedPeakLater ? p.PeakPgWalFiles : s.PeakPgWalFiles,
            promotedPeakLater ? p.PeakAt + t : s.PeakAt, First(s.DiskFull, Later(p.DiskFull)), First(s.ReadOnly, Later(p.ReadOnly)),
            s.Checkpoints + p.Checkpoints, s.SkippedCheckpoints + p.SkippedCheckpoints, s.Invalidations + p.Invalidations,
            s.FilesAdded + p.FilesAdded, s.FilesRemoved + p.FilesRemoved, s.FilesRecycled + p.FilesRecycled, p.FinalInsertLsn);
        var names = standby.Slots.Select(x => x.Name).Concat(promoted.Slots.Select(x => x.Name)).Distinct().ToList();
        var slots = names.Select(name =>
        {
            var a = standby.Slots.FirstOrDefault(x => x.Name == name);
            var b = promoted.Slots.FirstOrDefault(x => x.Name == name);
            if (b is null) return a!;
            var later = b with { FirstExtended = Later(b.FirstExtended), FirstUnreserved = Later(b.FirstUnreserved), Lost = Later(b.Lost) };
            if (a is null) return later;
            return a with
            {
                FirstExtended = First(a.FirstExtended, later.FirstExtended),
                FirstUnreserved = First(a.FirstUnreserved, later.FirstUnreserved),
                Lost = First(a.Lost, later.Lost),
                Cause = a.Lost is not null ? a.Cause : later.Cause,
                PeakRetained = a.PeakRetained > later.PeakRetained ? a.PeakRetained : later.PeakRetained,
            };
        }).ToList();
        var probes = standby.Probes.Concat(promoted.Probes.Select(r => r with { At = r.At + t })).ToList();
        return standby with { Summary = summary, Slots = slots, Probes = probes };
    }

    /// <summary>Passes a run's rows, checkpoints and events on with their times moved by <paramref name="by"/>
    /// (the promoted primary's clock starts at the failover).</summary>
    private sealed class ShiftedObserver(ISimulationObserver inner, SimDuration by) : ISimulationObserver
    {
        public void OnTimelineRow(TimelineRow row) => inner.OnTimelineRow(row with { At = row.At + by });
        public void OnCheckpoint(CheckpointRecord c) => inner.OnCheckpoint(c with { Start = c.Start + by, End = c.End + by });
        public void OnLogEvent(LogEvent e) => inner.OnLogEvent(e with { At = e.At + by });
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
            Lsn? copyConfirmed = null, copyRestart = null;
            if (!copies.TryGetValue(spec.Name, out var c)) state = "missing";
            else if (c.Invalidated) state = "invalidated";
            else if (to.Mechanism == SlotSyncMechanism.Patroni && c.Temporary) state = "not-ready";
            else if (!NativeSlotSync.SurvivesPromotion(c.Temporary)) state = "temporary-dropped";
            else { state = "exists"; copyConfirmed = c.Confirmed; copyRestart = c.Restart; }

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
                Missed: r > floor ? r - floor : ByteCount.Zero) { CopyRestart = copyRestart });
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
    internal static Scenario PrimaryScenario(Scenario scenario, NodeSpec primary)
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
        return scenario with { Settings = settings, Slots = slots, Disk = primary.Disk ?? scenario.Disk, Nodes = [], Events = scenario.Events.Where(e => e is not Failover and not Rejoin).ToList() };
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

using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Scenarios;

/// <summary>Checks that need the whole scenario: times within the run, slots that exist, settings each version accepts.</summary>
internal sealed partial class ScenarioReader
{
    private void Validate(Scenario s)
    {
        CheckTimes(s);
        CheckSlots();
        CheckTransactions(s);
        CheckExpectations(s);
        CheckSettings(s);
        CheckWalAddressSpace(s);
        if (s.Start.Initdb && s.SegmentSize.Bytes != ByteCount.MiB)
            throw startNode!.Value.Error($"start: initdb is pg_wal as initdb --wal-segsize=1 leaves it (measured with 1MB segments); this scenario has wal_segment_size {s.SegmentSize}: give start: {{insert_lsn: ..., files_ahead: ...}} instead");
    }

    private Node? startNode, workloadNode;

    /// <summary>
    /// The insert position only grows, and the WAL address space ends at FFFFFFFF/FFFFFFFF: a start and a workload
    /// that would run past it cannot happen on a server (it would stop with a PANIC long before), so refuse them here
    /// rather than overflow in the middle of a run.
    /// </summary>
    private void CheckWalAddressSpace(Scenario s)
    {
        var estimate = RunEstimate.Of(s);
        // A checkpoint and a pre-allocated segment or two past the last write must still have an address.
        var end = estimate.EndLsn(s) + 4.0 * s.SegmentSize.Bytes;
        if (end < RunEstimate.LastLsn) return;
        var from = s.Start.InsertLsn ?? s.SegmentSize.StartOf(new SegmentNumber(1));
        var lsnNode = startNode is { Yaml: YamlDotNet.RepresentationModel.YamlMappingNode } sn ? sn.Map("", ["insert_lsn", "files_ahead"])["insert_lsn"] : null;
        var wal = RunEstimate.Bytes(estimate.WalBytes);
        throw lsnNode is not null && workloadNode is null || estimate.WalBytes < s.SegmentSize.Bytes
            ? (lsnNode ?? root).Error($"from {from}, the scenario's {wal} of WAL would run past the end of the WAL address space (FFFFFFFF/FFFFFFFF); give a lower insert_lsn")
            : (workloadNode ?? root).Error($"this workload writes about {wal} of WAL in {s.Duration}, past the end of the WAL address space (FFFFFFFF/FFFFFFFF) from {from}; lower the rate or shorten duration:");
    }

    private static string Versions(Scenario s) => string.Join(", ", s.Versions);

    private void CheckTimes(Scenario s)
    {
        var end = SimTime.Zero + s.Duration;
        string After(SimTime t) => $"{t} is after the end of the simulation (duration {s.Duration})";
        foreach (var e in parsedEvents.Where(e => e.Event.At > end))
            throw e.Event.Step is { } n
                ? e.Node.Error($"step {n} happens at {e.Event.At}, after the end of the simulation (duration {s.Duration})")
                : e.AtNode.Error(After(e.Event.At));
        foreach (var (slot, nameNode) in declaredSlots.Where(d => d.Slot.CreatedAt > end))
            throw nameNode.Error($"slot \"{slot.Name}\" is created at {slot.CreatedAt}, which {After(slot.CreatedAt)}");
        foreach (var p in parsedExpectations)
        {
            if (p.Expectation is not PointExpectation { Point: var point }) continue;
            if (point.At is { } at && at > end) throw p.ProbeNode!.Value.Error(After(at));
            if (point.Step is { } step && step > s.StepCount)
                throw p.ProbeNode!.Value.Error(s.StepCount == 0
                    ? "at_step needs a steps: list, and this scenario has none"
                    : $"step {step} does not exist (the scenario has {s.StepCount} step{(s.StepCount == 1 ? "" : "s")})");
        }
    }

    /// <summary>begin_transaction/end_transaction pair up by name, in time order, apart from the timed transactions: list.</summary>
    private void CheckTransactions(Scenario s)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in parsedEvents)
        {
            if (e.Event is BeginTransaction b)
            {
                if (s.Transactions.Any(t => t.Name == b.Name)) throw e.Node.Error($"transaction \"{b.Name}\" is also declared under transactions:; give the step's transaction another name");
                if (!open.Add(b.Name)) throw e.Node.Error($"transaction \"{b.Name}\" is already open at {b.At}; end_transaction it first");
            }
            else if (e.Event is EndTransaction t && !open.Remove(t.Name))
                throw e.Node.Error($"end_transaction: no open transaction \"{t.Name}\" at {t.At} (open: {(open.Count == 0 ? "none" : string.Join(", ", open.Order(StringComparer.Ordinal)))})");
        }
    }

    /// <summary>Replays slot creation and drops in time order: every event must name a slot that exists at that moment.</summary>
    private void CheckSlots()
    {
        var timeline = declaredSlots
            .Select(d => (At: d.Slot.CreatedAt, Order: 0, Line: d.NameNode.Line, Declared: (SlotSpec?)d.Slot, Node: d.NameNode, Event: (ScenarioEvent?)null))
            .Concat(parsedEvents.Select(e => (e.Event.At, Order: 1, e.Node.Line, Declared: (SlotSpec?)null, Node: e.SlotNode ?? e.Node, Event: (ScenarioEvent?)e.Event)))
            .OrderBy(x => x.At).ThenBy(x => x.Order).ThenBy(x => x.Line);
        var everCreated = AllSlotNames();
        var live = new Dictionary<string, SlotSpec>(StringComparer.Ordinal);
        var dropped = new Dictionary<string, SimTime>(StringComparer.Ordinal);

        foreach (var (at, _, _, declared, node, evt) in timeline)
        {
            var created = declared ?? (evt as CreateSlot)?.Slot;
            if (created is not null)
            {
                if (live.ContainsKey(created.Name)) throw node.Error($"replication slot \"{created.Name}\" already exists at {at}");
                live[created.Name] = created;
                dropped.Remove(created.Name);
                firstSlot ??= node;
                if (created.Kind == SlotKind.Logical) firstLogicalSlot ??= node;
                if (live.Count > mostSlots.Count) mostSlots = (live.Count, node);
                continue;
            }
            var (name, verb) = evt switch
            {
                DropSlot d => (d.Slot, "drop"),
                AdvanceSlot a => (a.Slot, "advance"),
                ConsumeSlot d => (d.Slot, d.Peek ? "peek changes of" : "consume changes of"),
                StopConsumer c => (c.Slot, "stop the consumer of"),
                StartConsumer c => (c.Slot, "start the consumer of"),
                HoldSlot h => (h.Slot, "hold"),
                ReleaseSlot r => (r.Slot, "release"),
                _ => (null, ""),
            };
            if (name is null) continue;
            if (!live.TryGetValue(name, out var slot))
                throw node.Error(dropped.TryGetValue(name, out var when)
                    ? $"cannot {verb} slot \"{name}\" at {at}: it was dropped at {when}"
                    : everCreated.Contains(name)
                        ? $"cannot {verb} slot \"{name}\" at {at}: it is not created yet"
                        : $"cannot {verb} slot \"{name}\": no such slot ({DeclaredList(everCreated)})");
            if (evt is StopConsumer or StartConsumer && !slot.Consumer.Connected)
                throw node.Error($"slot \"{name}\" has no consumer (consumer: none), so there is none to {(evt is StopConsumer ? "stop" : "start")}");
            if (evt is ConsumeSlot && slot.Kind != SlotKind.Logical)
                throw node.Error($"slot \"{name}\" is physical: {(((ConsumeSlot)evt).Peek ? "peek_slot" : "consume_slot")} decodes a logical slot (use advance_slot)");
            if (evt is HoldSlot && slot.Consumer.Connected)
                throw node.Error($"slot \"{name}\" has a consumer, whose walsender holds it already; hold_slot is for a slot declared with consumer: none");
            if (evt is DropSlot)
            {
                live.Remove(name);
                dropped[name] = at;
            }
        }
    }

    // What CheckSlotRequirements needs, found by CheckSlots: the first slot, the first logical slot, and the most
    // slots that exist at once (with the creation that reached that number).
    private Node? firstSlot, firstLogicalSlot;
    private (int Count, Node? At) mostSlots;

    /// <summary>
    /// What the server refuses when a slot is created, with its own words: <c>CheckSlotRequirements</c> (slot.c: no
    /// slot without max_replication_slots &gt; 0 and wal_level &gt;= replica), <c>CheckLogicalDecodingRequirements</c>
    /// (logical.c: a logical slot needs wal_level = logical) and <c>ReplicationSlotCreate</c> ("all replication slots
    /// are in use" past max_replication_slots). Both parameters need a restart, so the settings at start decide.
    /// </summary>
    private void CheckSlotRequirements(RetentionPolicy policy, ServerSettings current)
    {
        if (firstSlot is not { } first) return;
        string P(string name) => policy.ParameterInMessage(name);
        string On(string message, string advice) =>
            $"{message} (PostgreSQL {policy.Version} with wal_level = {current.WalLevel}, max_replication_slots = {current.MaxReplicationSlots}); {advice}";
        if (current.MaxReplicationSlots == 0)
            throw first.Error(On($"replication slots can only be used if {P("max_replication_slots")} > 0", "set max_replication_slots under settings:"));
        if (current.WalLevel == "minimal")
            throw first.Error(On($"replication slots can only be used if {P("wal_level")} >= {P("replica")}", "set wal_level: replica (or logical) under settings:"));
        if (firstLogicalSlot is { } logical && current.WalLevel != "logical")
            throw logical.Error(On($"logical decoding requires {P("wal_level")} >= {P("logical")}", "set wal_level: logical under settings:"));
        if (mostSlots.Count > current.MaxReplicationSlots && mostSlots.At is { } at)
            throw at.Error(On($"all replication slots are in use; HINT: Free one or increase {P("max_replication_slots")}.",
                $"{mostSlots.Count} slots would exist at once here"));
    }

    private HashSet<string> AllSlotNames() =>
        declaredSlots.Select(d => d.Slot.Name)
            .Concat(parsedEvents.Select(e => e.Event).OfType<CreateSlot>().Select(c => c.Slot.Name))
            .ToHashSet(StringComparer.Ordinal);

    private static string DeclaredList(HashSet<string> names) =>
        names.Count == 0 ? "the scenario declares no slots" : "slots: " + string.Join(", ", names.Order(StringComparer.Ordinal));

    private void CheckExpectations(Scenario s)
    {
        var names = AllSlotNames();
        foreach (var n in s.Nodes.Where(n => n.Role == NodeRole.Primary)) names.UnionWith(n.Slots.Select(x => x.Name));
        foreach (var n in s.Nodes.Where(n => n.PrimarySlotName is not null)) names.Add(n.PrimarySlotName!);
        var primary = s.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary)?.Name;
        foreach (var p in parsedExpectations)
        {
            // An expectation about a standby looks at that node's slots; about the primary (or no node), at the scenario's.
            var node = p.Expectation.Node is { } nn && nn != primary ? s.Nodes.FirstOrDefault(x => x.Name == nn) : null;
            if (p.NodeNode is { } nodeNode && p.Expectation.Node is { } named && s.Nodes.All(x => x.Name != named))
                throw nodeNode.Error(s.Nodes.Count == 0
                    ? $"node: \"{named}\", but the scenario has no nodes: (a one-server scenario)"
                    : $"no node named \"{named}\" (nodes: {string.Join(", ", s.Nodes.Select(x => x.Name))})");
            // A standby's slots: its own, and (with slot synchronization) copies of the primary's failover slots.
            var slotNames = node is null ? names : node.Slots.Select(x => x.Name)
                .Concat(node.SlotSync == SlotSyncMechanism.None ? [] : s.Slots.Concat(parsedEvents.Select(e => e.Event).OfType<CreateSlot>().Select(c => c.Slot)).Where(x => node.SlotSync switch { SlotSyncMechanism.Native => x.Failover, SlotSyncMechanism.Patroni => x.Permanent, _ => x.Kind == SlotKind.Logical }).Select(x => x.Name))
                .ToHashSet(StringComparer.Ordinal);
            if (p.SlotNode is { } slotNode && !slotNames.Contains(slotNode.Scalar("")))
                throw slotNode.Error($"no slot named \"{slotNode.Scalar("")}\"{(node is null ? "" : $" on node {node.Name}")} ({DeclaredList(slotNames)})");
            // An expectation for none of the scenario's versions would never be checked: almost certainly a mistake.
            if (p.VersionsNode is { } vn && !s.Versions.Any(p.Expectation.Versions.Contains))
                throw vn.Error($"versions \"{p.Expectation.Versions}\" selects none of this scenario's versions ({Versions(s)})");
        }
    }

    /// <summary>
    /// Builds each version's settings as the simulator will (settings, then matching version_settings, then each
    /// <c>set</c> event in time order) and reports what PostgreSQL would reject at the line that set it.
    /// </summary>
    private void CheckSettings(Scenario s)
    {
        var sets = parsedEvents.Where(e => e.Set is not null).ToList();
        foreach (var e in sets)
            if (e.VersionsNode is { } vn && !s.Versions.Any(((ChangeSettings)e.Event).Versions.Contains))
                throw vn.Error($"versions \"{((ChangeSettings)e.Event).Versions}\" selects none of this scenario's versions ({Versions(s)})");

        foreach (var v in s.Versions)
        {
            var policy = RetentionPolicy.For(v);
            var written = settings.Concat(versionSettings.Where(x => x.Range.Contains(v)).SelectMany(x => x.Settings)).ToList();
            ServerSettings current;
            try
            {
                current = ServerSettings.Create(policy, s.SegmentSize, written.Select(w => KeyValuePair.Create(w.Name, w.Value)));
            }
            catch (SettingException ex)
            {
                throw SettingError(ex, v, written, segmentSizeKey ?? root);
            }
            CheckSlotRequirements(policy, current);
            if (archiverKey is { } ak && current.ArchiveMode == ArchiveMode.Off)
                throw ak.Error($"the archiver only runs with archive_mode = on or always, and it is off on PostgreSQL {v}");
            foreach (var e in sets.Where(e => ((ChangeSettings)e.Event).Versions.Contains(v)))
            {
                try
                {
                    current = current.With(((ChangeSettings)e.Event).Settings);
                }
                catch (SettingException ex)
                {
                    throw SettingError(ex, v, e.Set!, e.Node);
                }
            }
        }
    }

    /// <summary>Points a <see cref="SettingException"/> at the key that set the parameter (the last one), or at <paramref name="fallback"/>.</summary>
    private static ScenarioException SettingError(SettingException ex, PgVersion v, IReadOnlyList<WrittenSetting> written, Node fallback)
    {
        var node = written.LastOrDefault(w => w.Name == ex.Setting)?.KeyNode ?? fallback;
        var reason = ex.Message.Contains($"PostgreSQL {v}", StringComparison.Ordinal) ? ex.Message : $"{ex.Message} (on PostgreSQL {v})";
        return new ScenarioException(node.File, node.Line, node.Column, node.Path, reason, ex);
    }
}

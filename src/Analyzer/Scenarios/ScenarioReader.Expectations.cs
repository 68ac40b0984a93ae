using YamlDotNet.RepresentationModel;

namespace Walsim.Analyzer.Scenarios;

internal sealed partial class ScenarioReader
{
    /// <summary>An expectation as written, with the nodes the semantic checks point at.</summary>
    private sealed record ParsedExpectation(Expectation Expectation, Node? SlotNode, Node? VersionsNode, Node? ProbeNode)
    {
        public Node? NodeNode { get; init; }
    }

    private readonly List<ParsedExpectation> parsedExpectations = [];

    private static readonly Dictionary<string, Milestone> SlotMilestones = new(StringComparer.Ordinal)
    {
        ["lost"] = Milestone.SlotLost, ["extended"] = Milestone.SlotExtended, ["unreserved"] = Milestone.SlotUnreserved,
        ["sync_ready"] = Milestone.SlotSyncReady,
    };

    private static readonly Dictionary<string, Milestone> DiskMilestones = new(StringComparer.Ordinal)
    {
        ["disk_full"] = Milestone.DiskFull, ["read_only"] = Milestone.ReadOnly,
    };

    private static readonly Dictionary<string, RunMetric> RunMetrics = new(StringComparer.Ordinal)
    {
        ["peak_pg_wal"] = RunMetric.PeakPgWalBytes, ["peak_pg_wal_files"] = RunMetric.PeakPgWalFiles,
        ["checkpoints"] = RunMetric.Checkpoints, ["skipped_checkpoints"] = RunMetric.SkippedCheckpoints,
        ["invalidations"] = RunMetric.Invalidations, ["files_removed"] = RunMetric.FilesRemoved,
        ["files_recycled"] = RunMetric.FilesRecycled, ["files_added"] = RunMetric.FilesAdded,
    };

    /// <summary>Values of one slot at a point (need <c>slot:</c>).</summary>
    private static readonly string[] SlotPointMetrics = ["wal_status", "safe_wal_size", "restart_lsn", "retained_wal", "invalidation_reason", "active"];

    /// <summary>Values of the server at a point (no <c>slot:</c>).</summary>
    private static readonly string[] ServerPointMetrics = ["files_in_pg_wal", "pg_wal_size", "keep_segment", "checkpoint"];

    private static readonly string[] ExpectationKinds =
        [.. SlotMilestones.Keys, .. DiskMilestones.Keys, .. RunMetrics.Keys, .. SlotPointMetrics, .. ServerPointMetrics, "failover"];

    private static readonly string[] FailoverKeys = ["failover", "slot", "versions", "on_new_primary", "missed", "received_twice", "phantom"];

    private List<Expectation> ReadExpectations(Node node)
    {
        foreach (var item in node.List("a list of expectations like - {slot: rep1, lost: never}"))
        {
            var what = SingleKey(item, ExpectationKinds, "expectation");
            if (what == "failover")
            {
                // {failover: 1, slot: cdc, on_new_primary: exists, missed: 0, received_twice: {max: 1MB}, phantom: 0}
                var fm = item.Map("a failover expectation like {failover: 1, slot: cdc, on_new_primary: exists, missed: 0}", FailoverKeys);
                var fSlotNode = fm.Required("slot");
                var fe = new FailoverExpectation((int)fm.Required("failover").Integer(1, 100), SlotName(fSlotNode),
                    fm["on_new_primary"]?.Choice("exists", "temporary-dropped", "not-ready", "invalidated", "missing"),
                    fm["missed"] is { } mi ? ReadBound(mi, Bytes) : null,
                    fm["received_twice"] is { } rt ? ReadBound(rt, Bytes) : null,
                    fm["phantom"] is { } ph ? ReadBound(ph, Bytes) : null);
                var fVersions = fm["versions"];
                parsedExpectations.Add(new ParsedExpectation(fe with { Versions = fVersions?.VersionRange() ?? VersionRange.All, Text = item.FlowText(), Location = item.Location },
                    fSlotNode, fVersions, null));
                continue;
            }
            var needsSlot = SlotMilestones.ContainsKey(what) || SlotPointMetrics.Contains(what);
            var isPoint = SlotPointMetrics.Contains(what) || ServerPointMetrics.Contains(what);
            string[] keys = [what, "versions", "node", .. needsSlot ? ["slot"] : Array.Empty<string>(), .. isPoint ? ["at", "at_step"] : Array.Empty<string>()];
            var m = item.Map(A($"{what} expectation"), keys);

            var versionsNode = m["versions"];
            var nodeNode = m["node"];
            var nodeName = nodeNode?.Scalar("a node name");
            var slotNode = needsSlot ? m.Required("slot") : (Node?)null;
            var slot = slotNode is { } sn ? SlotName(sn) : null;
            var value = m.Required(what);
            Node? probeNode = null;
            var probe = default(ProbePoint);
            if (isPoint) (probe, probeNode) = ReadProbe(m, item, what);

            IEnumerable<Expectation> read =
                SlotMilestones.TryGetValue(what, out var sm) ? [new MilestoneExpectation(sm, slot, ReadTimeBound(value))]
                : DiskMilestones.TryGetValue(what, out var dm) ? [new MilestoneExpectation(dm, null, ReadTimeBound(value))]
                : RunMetrics.TryGetValue(what, out var rm) ? [new RunMetricExpectation(rm, ReadBound(value, rm == RunMetric.PeakPgWalBytes ? Bytes : Count))]
                : ReadPointExpectations(what, value, probe, slot);

            var text = item.FlowText();
            var range = versionsNode?.VersionRange() ?? VersionRange.All;
            foreach (var e in read)
                parsedExpectations.Add(new ParsedExpectation(e with { Versions = range, Node = nodeName, Text = text, Location = item.Location }, slotNode, versionsNode, probeNode) { NodeNode = nodeNode });
        }
        return parsedExpectations.Select(p => p.Expectation).ToList();
    }

    private static (ProbePoint Probe, Node Node) ReadProbe(Map m, Node item, string what)
    {
        if (m["at"] is { } at && m["at_step"] is { } both)
            throw both.Error("give either at: or at_step:, not both");
        if (m["at_step"] is { } step) return (new ProbePoint((int)step.Integer(1, int.MaxValue), null), step);
        if (m["at"] is { } time) return (new ProbePoint(null, time.Time()), time);
        throw item.Error($"{what} is a value at a point in time; add at: <time> or at_step: <n>");
    }

    private static IEnumerable<Expectation> ReadPointExpectations(string what, Node v, ProbePoint probe, string? slot)
    {
        PointExpectation Text(PointMetric metric, string text) => new(probe, metric, slot, text, null);
        PointExpectation Bound(PointMetric metric, NumberBound bound) => new(probe, metric, slot, null, bound);
        switch (what)
        {
            case "wal_status":
                // "null": a physical slot that never reserved WAL; "dropped": no such slot at that point.
                return [Text(PointMetric.WalStatus, v.IsNull ? "null" : v.Choice("reserved", "extended", "unreserved", "lost", "dropped"))];
            case "safe_wal_size":
                // safe_wal_size can be negative, and is NULL when lost or unlimited.
                return [v.IsNull ? Text(PointMetric.SafeWalSizeBytes, "null") : Bound(PointMetric.SafeWalSizeBytes, ReadBound(v, SignedBytes))];
            case "restart_lsn":
                return [Text(PointMetric.RestartLsn, v.IsNull ? "null" : v.Lsn().ToString())];
            case "retained_wal":
                return [Bound(PointMetric.RetainedBytes, ReadBound(v, Bytes))];
            case "invalidation_reason":
                return [Text(PointMetric.InvalidationReason, v.IsNull ? "null" : v.Choice("wal_removed", "rows_removed", "wal_level_insufficient", "idle_timeout"))];
            case "active":
                return [Text(PointMetric.Active, v.Bool() ? "true" : "false")];
            case "files_in_pg_wal":
                return [Bound(PointMetric.FilesInPgWal, ReadBound(v, Count))];
            case "pg_wal_size":
                return [Bound(PointMetric.PgWalBytes, ReadBound(v, Bytes))];
            case "keep_segment":
                return [Bound(PointMetric.KeepSegment, ReadBound(v, Count))];
            default: // checkpoint: {removed, recycled, added}, one expectation per number given
                var m = v.Map("a mapping like {removed: 0, recycled: 3, added: 0}", ["removed", "recycled", "added"]);
                if (m.Entries.Count == 0) throw v.Error("expected at least one of removed, recycled, added");
                return m.Entries.Select(e => Bound(e.Key switch
                {
                    "removed" => PointMetric.LastCheckpointRemoved,
                    "recycled" => PointMetric.LastCheckpointRecycled,
                    _ => PointMetric.LastCheckpointAdded,
                }, ReadBound(e.Value, Count))).ToList();
        }
    }

    private static double Bytes(Node n) => n.Size().Bytes;
    private static double SignedBytes(Node n) => n.Size(allowNegative: true).Bytes;
    private static double Count(Node n) => n.Integer(0, long.MaxValue);

    /// <summary>An exact value, or <c>{min: a, max: b}</c> with either end optional.</summary>
    private static NumberBound ReadBound(Node v, Func<Node, double> read)
    {
        if (v.Yaml is not YamlMappingNode)
        {
            var exact = read(v);
            return new NumberBound(exact, exact);
        }
        var m = v.Map("an exact value or {min: a, max: b}", ["min", "max"]);
        if (m.Entries.Count == 0) throw v.Error("expected min:, max: or both");
        var min = m["min"] is { } lo ? read(lo) : (double?)null;
        var max = m["max"] is { } hi ? read(hi) : (double?)null;
        if (min > max) throw m["max"]!.Value.Error("max is below min");
        return new NumberBound(min, max);
    }

    /// <summary><c>never</c>, <c>{before: t}</c>, <c>{after: t}</c> or <c>{between: [a, b]}</c> (inclusive).</summary>
    private static TimeBound ReadTimeBound(Node v)
    {
        const string expected = "never, {before: t}, {after: t} or {between: [a, b]}";
        if (v.Yaml is not YamlMappingNode)
            return v.Scalar(expected) == "never" ? TimeBound.NeverHappens : throw v.Error($"expected {expected}, got {ValueParser.Show(v.Scalar(expected))}");
        var kind = SingleKey(v, ["before", "after", "between"], "time bound");
        var m = v.Map(expected, [kind]);
        var value = m.Required(kind);
        switch (kind)
        {
            case "before":
                return new TimeBound(null, value.Time(), false);
            case "after":
                return new TimeBound(value.Time(), null, false);
            default:
                var ends = value.List("a list of two times like [6h, 7h]");
                if (ends.Count != 2) throw value.Error($"expected two times like [6h, 7h], got {ends.Count}");
                var (a, b) = (ends[0].Time(), ends[1].Time());
                if (b < a) throw ends[1].Error($"the end ({b}) is before the start ({a})");
                return new TimeBound(a, b, false);
        }
    }
}

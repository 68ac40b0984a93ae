using YamlDotNet.RepresentationModel;

namespace Walsim.Analyzer.Scenarios;

internal sealed partial class ScenarioReader
{
    /// <summary>An event or step as written: the record, where it is, and the slot or settings it names.</summary>
    /// <summary><see cref="AtNode"/> is the <c>at:</c> value of a timed event, the item itself for a step.</summary>
    private sealed record ParsedEvent(ScenarioEvent Event, Node Node, Node AtNode, Node? SlotNode, IReadOnlyList<WrittenSetting>? Set, Node? VersionsNode);

    /// <summary>What an action key produced, before the time and step are known.</summary>
    private sealed record Action(ScenarioEvent Event, Node? SlotNode = null, IReadOnlyList<WrittenSetting>? Set = null, Node? VersionsNode = null);

    private static readonly SimDuration StepSpacing = SimDuration.FromSeconds(1);

    private static readonly string[] ActionKeys =
    [
        "checkpoint", "switch_wal", "write", "write_segments", "set", "create_slot", "drop_slot", "advance_slot",
        "consume_slot", "peek_slot", "stop_consumer", "start_consumer", "hold_slot", "release_slot", "begin_transaction", "end_transaction", "observe",
        "sleep", "mark",
        "failover", "switchover", "rejoin",
    ];

    /// <summary>Actions that take no value and can be written as a bare step (<c>- checkpoint</c>).</summary>
    private static readonly string[] BareActions = ["checkpoint", "switch_wal", "observe"];

    /// <summary>Events and steps in time order (then file order).</summary>
    private readonly List<ParsedEvent> parsedEvents = [];

    /// <summary>Keys that may accompany an action: <c>versions:</c> on <c>set</c>, <c>to:</c>, <c>via:</c> and <c>error:</c> on <c>advance_slot</c>, <c>dirty:</c> on <c>write</c>.</summary>
    private static string[] Companions(string action) => action switch
    {
        "set" => ["versions"],
        "advance_slot" => ["to", "via", "error"],
        "consume_slot" or "peek_slot" => ["to"],
        "write" => ["dirty"],
        _ => [],
    };

    private List<ParsedEvent> ReadEvents(Node node)
    {
        var list = new List<ParsedEvent>();
        foreach (var item in node.List("a list of events like - {at: 2h, checkpoint: true}"))
        {
            var action = SingleKey(item, ActionKeys, "event");
            if (action == "sleep") throw item.Error("sleep is a step (time between two steps); timed events already say when with at:");
            var m = item.Map(A($"{action} event"), ["at", action, .. Companions(action)]);
            var atNode = m.Required("at");
            var at = atNode.Time();
            var a = ReadAction(action, m, at);
            list.Add(new ParsedEvent(a.Event with { At = at, Location = item.Location }, item, atNode, a.SlotNode, a.Set, a.VersionsNode));
        }
        return list;
    }

    private List<ParsedEvent> ReadSteps(Node node)
    {
        var list = new List<ParsedEvent>();
        var previous = SimTime.Zero;
        foreach (var item in node.List("a list of steps like - checkpoint or - write: 512kB"))
        {
            var n = list.Count + 1;
            // One second after the previous step; a sleep step happens at the end of its sleep instead.
            var at = previous + (item.Yaml is YamlMappingNode map && map.Children.ContainsKey(new YamlScalarNode("sleep"))
                ? item.Map("a sleep step", ["sleep"]).Required("sleep").PositiveDuration() : StepSpacing);
            previous = at;
            Action a;
            if (item.Yaml is YamlScalarNode && !item.IsNull)
            {
                var text = item.Scalar("a step");
                a = BareActions.Contains(text) ? ReadAction(text, null, at)
                    : ActionKeys.Contains(text) ? throw item.Error($"step {text} needs a value, like - {text}: ...")
                    : throw item.Error($"unknown step {ValueParser.Show(text)}; steps are {string.Join(", ", ActionKeys)}");
            }
            else
            {
                var action = SingleKey(item, ActionKeys, "step");
                a = ReadAction(action, item.Map(A($"{action} step"), [action, .. Companions(action)]), at);
            }
            list.Add(new ParsedEvent(a.Event with { At = at, Step = n, Location = item.Location }, item, item, a.SlotNode, a.Set, a.VersionsNode));
        }
        CheckMarks(list);
        return list;
    }

    /// <summary>A <c>to: name+16kB</c> needs a <c>mark: name</c> step before it (the position it names must exist by then).</summary>
    private static void CheckMarks(List<ParsedEvent> steps)
    {
        var marks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in steps)
        {
            if (p.Event is MarkPosition m) marks.Add(m.Name);
            var used = p.Event switch { AdvanceSlot a => a.ToMark, ConsumeSlot c => c.ToMark, _ => null };
            if (used is { } u && !marks.Contains(u.Mark))
                throw p.Node.Error(marks.Count == 0
                    ? $"to: {u} names mark \"{u.Mark}\", but no mark: step comes before it (write - mark: {u.Mark} where that position is)"
                    : $"to: {u} names mark \"{u.Mark}\", which no earlier step set; marks so far: {string.Join(", ", marks.Order(StringComparer.Ordinal))}");
        }
    }

    /// <summary>
    /// <c>to:</c> of advance_slot/consume_slot: <paramref name="keyword"/> (the current insert position / the end of
    /// WAL: null), an LSN, or a mark with an optional offset (<c>before</c>, <c>before+16kB</c>, <c>before-8kB</c>).
    /// </summary>
    private static (Lsn? Lsn, MarkOffset? Mark) ReadTarget(Node? written, string keyword)
    {
        if (written is not { } to) return (null, null);
        var expected = $"{keyword}, an LSN like 0/16B3748, or a mark like start+16kB";
        var text = to.Scalar(expected).Trim();
        if (text == keyword) return (null, null);
        if (Lsn.TryParse(text, out var lsn)) return (lsn, null);
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^([a-z_][a-z0-9_]*)\s*(?:([+-])\s*(\S+))?$");
        if (!match.Success) throw to.Error($"expected {expected}, got {ValueParser.Show(text)}");
        long bytes = 0;
        if (match.Groups[2].Success)
        {
            if (!ValueParser.TryParseSize(match.Groups[3].Value, out var size, out var error)) throw to.Error(error!);
            bytes = match.Groups[2].Value == "-" ? -size.Bytes : size.Bytes;
        }
        return (null, new MarkOffset(match.Groups[1].Value, bytes));
    }

    /// <summary>Reads one action; <paramref name="m"/> is null for a bare step.</summary>
    private static Action ReadAction(string action, Map? m, SimTime at)
    {
        var value = m?.Required(action);
        switch (action)
        {
            case "checkpoint":
                Flag(value, action);
                return new Action(new RequestCheckpoint());
            case "switch_wal":
                Flag(value, action);
                return new Action(new SwitchWal());
            case "observe":
                Flag(value, action);
                return new Action(new Observe());
            case "sleep":
                // The time itself was read by ReadSteps (the step happens at the end of its sleep).
                return new Action(new Sleep(value!.Value.PositiveDuration()));
            case "mark":
                return new Action(new MarkPosition(MarkName(value!.Value)));
        }
        var v = value!.Value;
        switch (action)
        {
            case "write":
                // dirty: true — the WAL of a table write (an INSERT), whose dirty buffers the next checkpoint must write.
                return new Action(new WriteWal(v.PositiveSize(), m?["dirty"]?.Bool() ?? false));
            case "write_segments":
                return new Action(new WriteSegments((int)v.Integer(1, 1_000_000)));
            case "set":
                var set = ReadSettings(v);
                if (set.Count == 0) throw v.Error("set needs at least one setting, like {max_slot_wal_keep_size: 1GB}");
                var versionsNode = m!["versions"];
                var range = versionsNode?.VersionRange() ?? VersionRange.All;
                return new Action(new ChangeSettings(ToDictionary(set), range), Set: set, VersionsNode: versionsNode);
            case "create_slot":
                var (slot, nameNode) = ReadSlot(v, declared: false);
                return new Action(new CreateSlot(slot with { CreatedAt = at }), nameNode);
            case "drop_slot":
                return new Action(new DropSlot(SlotName(v)), v);
            case "advance_slot":
                var (target, toMark) = ReadTarget(m!["to"], "current");
                var via = m!["via"] is { } viaNode && viaNode.Choice("function", "walsender") == "walsender" ? AdvanceVia.Walsender : AdvanceVia.Function;
                // error: the SQLSTATE the server answers with (55000: the slot never reserved WAL, or was invalidated).
                var errorNode = m!["error"];
                var error = errorNode?.Choice("55000");
                if (errorNode is { } en && via == AdvanceVia.Walsender)
                    throw en.Error("error: applies to pg_replication_slot_advance (via: function), not to a walsender's report");
                return new Action(new AdvanceSlot(SlotName(v), target, via, error, toMark), v);
            case "consume_slot" or "peek_slot":
                var (upto, uptoMark) = ReadTarget(m!["to"], "end");
                return new Action(new ConsumeSlot(SlotName(v), upto, Peek: action == "peek_slot", uptoMark), v);
            case "stop_consumer":
                return new Action(new StopConsumer(SlotName(v)), v);
            case "begin_transaction":
                // begin_transaction: report, or {name: report, write: 8kB}: its first statement writes that much WAL.
                if (v.Yaml is not YamlMappingNode) return new Action(new BeginTransaction(TransactionName(v)));
                var bm = v.Map("{name: report, write: 8kB}", ["name", "write"]);
                return new Action(new BeginTransaction(TransactionName(bm.Required("name")), bm["write"]?.PositiveSize() ?? ByteCount.Zero));
            case "end_transaction":
                return new Action(new EndTransaction(TransactionName(v)));
            case "hold_slot":
                return new Action(new HoldSlot(SlotName(v)), v);
            case "release_slot":
                return new Action(new ReleaseSlot(SlotName(v)), v);
            case "failover":
            case "switchover":
                // {failover: {to: b}}: the primary crashes and b is promoted; a switchover shuts it down first.
                var fm = v.Map($"{{{action}: {{to: b}}}}", ["to"]);
                return new Action(new Failover(fm.Required("to").Scalar("the standby promoted"), Planned: action == "switchover"));
            case "rejoin":
                // {rejoin: {node: a, upstream: b, slot_sync: native}}: the old primary starts again as b's standby.
                var rm = v.Map("{rejoin: {node: a, upstream: b, slot_sync: native}}", ["node", "upstream", "slot_sync"]);
                var sync = rm["slot_sync"] is { } ss ? SlotSyncNames.Parse(ss.Choice([.. SlotSyncNames.All]))!.Value : SlotSyncMechanism.None;
                return new Action(new Rejoin(rm.Required("node").Scalar("the old primary"), rm.Required("upstream").Scalar("the promoted standby"), sync));
            default:
                return new Action(new StartConsumer(SlotName(v)), v);
        }
    }

    private static string MarkName(Node v)
    {
        var name = v.Scalar("a mark name like burst_start").Trim();
        return System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]*$")
            ? name
            : throw v.Error($"a mark name is lower case letters, digits and underscores (like burst_start), got {ValueParser.Show(name)}");
    }

    private static string TransactionName(Node v)
    {
        var name = v.Scalar("a transaction name like report").Trim();
        return name.Length > 0 ? name : throw v.Error("expected a transaction name like report");
    }

    /// <summary><c>checkpoint: true</c> in an event; false would silently do nothing, so it is rejected.</summary>
    private static void Flag(Node? value, string action)
    {
        if (value is { } v && !v.Bool()) throw v.Error($"{action}: false does nothing; remove the event or write {action}: true");
    }
}

using YamlDotNet.RepresentationModel;

namespace Walsim.Analyzer.Scenarios;

/// <summary>
/// One pass over one scenario file: maps the YAML tree onto the scenario records, remembering where each value
/// was written so that the semantic checks after parsing (<see cref="Validate"/>) can point at the right line.
/// </summary>
internal sealed partial class ScenarioReader(string file)
{
    private static readonly string[] TopKeys =
    [
        "name", "description", "versions", "wal_segment_size", "duration", "sample_interval", "start", "settings",
        "version_settings", "workload", "slots", "nodes", "transactions", "archiver", "disk", "checkpoint_write", "events", "steps", "expect",
    ];

    private static readonly string[] SettingNames = [.. GucCatalog.All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A setting as written: its key (for errors) and raw text.</summary>
    private sealed record WrittenSetting(string Name, string Value, Node KeyNode);

    private Node root;
    private Node? segmentSizeKey;
    private Node? archiverKey;
    private readonly List<WrittenSetting> settings = [];
    private readonly List<(VersionRange Range, List<WrittenSetting> Settings)> versionSettings = [];
    private readonly List<(SlotSpec Slot, Node NameNode)> declaredSlots = [];

    /// <summary>
    /// A scenario's name also names its report folder (reports/NAME/), so it must be one plain folder name: never a
    /// path that could steer a report outside that folder (../x, /tmp/x, a\\b).
    /// </summary>
    private static string? ReportName(Node nameNode)
    {
        var name = nameNode.Scalar("a scenario name").Trim();
        if (name.Length == 0) return null;
        if (name is "." or ".." || name.Any(c => c is '/' or '\\' or ':' || char.IsControl(c) || Path.GetInvalidFileNameChars().Contains(c)))
            throw nameNode.Error($"a scenario name names its report folder (reports/<name>/): one folder name, not a path (no '/', '\\', ':' or control characters; not '.' or '..'); got {ValueParser.Show(name)}");
        return name;
    }

    public Scenario Read(string text)
    {
        var empty = new ScenarioException(file, 0, 0, "", "the scenario is empty; it needs at least `versions:`");
        root = new Node(YamlInput.ReadRoot(text, file) ?? throw empty, "", file);
        if (root.IsNull) throw empty;
        var top = root.Map("a scenario mapping (versions:, settings:, workload:, ...)", TopKeys);

        var name = (top["name"] is { } nameNode ? ReportName(nameNode) : null) ?? Path.GetFileNameWithoutExtension(file);
        var versions = ReadVersions(top.Required("versions"));
        var segmentSize = WalSegmentSize.Default;
        if (top["wal_segment_size"] is { } ws)
        {
            segmentSize = ReadSegmentSize(ws);
            segmentSizeKey = top.KeyNode("wal_segment_size");
        }
        if (top["settings"] is { } st) settings.AddRange(ReadSettings(st));
        if (top["version_settings"] is { } vs) ReadVersionSettings(vs);
        if (top["archiver"] is not null) archiverKey = top.KeyNode("archiver");

        var steps = top["steps"] is { } stepsNode ? ReadSteps(stepsNode) : [];
        var timed = top["events"] is { } eventsNode ? ReadEvents(eventsNode) : [];
        parsedEvents.AddRange(timed.Concat(steps).OrderBy(e => e.Event.At).ThenBy(e => e.Node.Line));

        var duration = top["duration"]?.PositiveDuration()
            ?? (steps.Count > 0 ? new SimDuration(checked(steps[^1].Event.At.Microseconds + StepSpacing.Microseconds)) : SimDuration.FromDays(1));

        // Slots first, then nodes (a standby's primary_slot_name becomes a slot of the primary, and must not clash).
        if (top["slots"] is { } slotsNode) ReadSlots(slotsNode);
        var nodes = top["nodes"] is { } nd ? ReadNodes(nd) : [];

        (startNode, workloadNode) = (top["start"], top["workload"]);
        var scenario = new Scenario
        {
            Name = name.Length > 0 ? name : "scenario",
            Description = top["description"]?.Scalar("free text").Trim(),
            SourceFile = file,
            Versions = versions,
            SegmentSize = segmentSize,
            Settings = ToDictionary(settings),
            VersionSettings = versionSettings.Select(v => new VersionedSettings(v.Range, ToDictionary(v.Settings))).ToList(),
            Workload = top["workload"] is { } wl ? ReadWorkload(wl) : new Workload([]),
            Slots = declaredSlots.Select(d => d.Slot).ToList(),
            Nodes = nodes,
            Archiver = top["archiver"] is { } ar ? ReadArchiver(ar) : ArchiverSpec.KeepsUp,
            Disk = top["disk"] is { } dk ? ReadDisk(dk) : null,
            // Steps write WAL without dirtying buffers (as validate drives a real server), so their checkpoints write nothing.
            CheckpointWrite = top["checkpoint_write"] is { } cw ? ReadCheckpointWrite(cw)
                : steps.Count > 0 ? CheckpointWrite.Instant : CheckpointWrite.Spread,
            Events = parsedEvents.Select(e => e.Event).ToList(),
            Transactions = top["transactions"] is { } tx ? ReadTransactions(tx) : [],
            Duration = duration,
            SampleInterval = top["sample_interval"]?.Duration() ?? SimDuration.FromMinutes(5),
            Start = top["start"] is { } start ? ReadStart(start) : new StartState(),
            Expectations = top["expect"] is { } ex ? ReadExpectations(ex) : [],
            StepCount = steps.Count,
            StepSpacing = StepSpacing,
        };
        Validate(scenario);
        return scenario;
    }

    /// <summary>Keys are unique: YAML rejects a duplicate key before we get here.</summary>
    private static Dictionary<string, string> ToDictionary(IEnumerable<WrittenSetting> written) =>
        written.ToDictionary(w => w.Name, w => w.Value, StringComparer.Ordinal);

    private static List<PgVersion> ReadVersions(Node node)
    {
        var versions = new List<PgVersion>();
        foreach (var item in node.ListOrScalar("a list of versions like [13, 14.9, 16]"))
        {
            if (!PgVersion.TryParse(item.Scalar("a version like 15 or 13.4"), out var v, out var error)) throw item.Error(error!);
            if (versions.Contains(v)) throw item.Error($"version {v} is listed twice");
            versions.Add(v);
        }
        return versions.Count > 0 ? versions : throw node.Error("expected at least one version, like [13, 16]");
    }

    private static WalSegmentSize ReadSegmentSize(Node node)
    {
        var size = node.Size();
        return WalSegmentSize.IsValid(size.Bytes)
            ? new WalSegmentSize(size.Bytes)
            : throw node.Error($"wal_segment_size must be a power of two from 1MB to 1GB, got {ValueParser.Show(node.Scalar(""))}");
    }

    private static CheckpointWrite ReadCheckpointWrite(Node node)
    {
        var text = node.Scalar("spread, instant or a duration like 270s").Trim();
        if (text == "spread") return CheckpointWrite.Spread;
        if (text == "instant") return CheckpointWrite.Instant;
        return ValueParser.TryParseDuration(text, out var d, out _) && d.Microseconds > 0
            ? CheckpointWrite.Fixed(d)
            : throw node.Error($"checkpoint_write must be spread, instant or a duration like 270s (the write= of a 'checkpoint complete' log line), got {ValueParser.Show(text)}");
    }

    private static StartState ReadStart(Node node)
    {
        // start: initdb — pg_wal as each version's initdb leaves it (measured with 1 MB segments).
        if (node.Yaml is YamlDotNet.RepresentationModel.YamlScalarNode)
        {
            node.Choice("initdb");
            return new StartState { Initdb = true };
        }
        var m = node.Map("a mapping with insert_lsn: and files_ahead:", ["insert_lsn", "files_ahead"]);
        var lsn = m["insert_lsn"]?.Lsn();
        if (lsn is { IsValid: false }) throw m["insert_lsn"]!.Value.Error("insert_lsn 0/0 is InvalidXLogRecPtr; give a position after the start of segment 1");
        return new StartState { InsertLsn = lsn, FilesAhead = (int)(m["files_ahead"]?.Integer(0, 1_000_000) ?? 0) };
    }

    private static List<WrittenSetting> ReadSettings(Node node)
    {
        var m = node.Map("a mapping of PostgreSQL settings like {max_wal_size: 1GB}", SettingNames, "setting");
        var list = new List<WrittenSetting>();
        foreach (var e in m.Entries)
        {
            var value = e.Value.Scalar("a PostgreSQL setting value like 1GB, 5min or on");
            // Version-independent syntax check here; whether each version has the parameter is checked in Validate.
            if (!GucCatalog.TryParse(GucCatalog.All[e.Key], value, out _, out var error)) throw e.Value.Error(error!);
            list.Add(new WrittenSetting(e.Key, value, e.KeyNode));
        }
        return list;
    }

    private void ReadVersionSettings(Node node)
    {
        var m = node.Map("a mapping from version ranges to settings, like {\"13+\": {wal_keep_size: 1GB}}", null);
        foreach (var e in m.Entries)
            versionSettings.Add((e.KeyNode.VersionRange(), ReadSettings(e.Value)));
    }

    private static readonly Dictionary<string, string[]> WorkloadKeys = new(StringComparer.Ordinal)
    {
        ["constant"] = ["constant", "from", "until"],
        ["piecewise"] = ["piecewise"],
        ["daily"] = ["daily"],
        ["burst"] = ["burst"],
        ["every"] = ["every", "write", "from", "until"],
        ["noise"] = ["noise"],
    };

    private static Workload ReadWorkload(Node node)
    {
        var components = new List<RateComponent>();
        var periodic = new List<PeriodicWrite>();
        RateNoise? noise = null;
        foreach (var item in node.List("a list of workload components like - constant: 5MB/s"))
        {
            var kind = SingleKey(item, WorkloadKeys.Keys, "workload component");
            var m = item.Map(A($"{kind} component"), WorkloadKeys[kind]);
            var value = m.Required(kind);
            switch (kind)
            {
                case "constant":
                    var (from, until) = ReadWindow(m);
                    components.Add(new ConstantRate(value.Rate(), from, until));
                    break;
                case "piecewise":
                    components.Add(ReadPiecewise(value));
                    break;
                case "daily":
                    var d = value.Map("a mapping with mean:, amplitude:, peak_hour: and resolution:", ["mean", "amplitude", "peak_hour", "resolution"]);
                    components.Add(new DailyCycle(d.Required("mean").Rate(), d.Required("amplitude").Number(0, 1),
                        d.Required("peak_hour").Number(0, 24), d["resolution"]?.PositiveDuration() ?? SimDuration.FromMinutes(15)));
                    break;
                case "burst":
                    var b = value.Map("a mapping with at:, duration: and rate:", ["at", "duration", "rate"]);
                    components.Add(new Burst(b.Required("at").Time(), b.Required("duration").PositiveDuration(), b.Required("rate").Rate()));
                    break;
                case "every":
                    var every = value.PositiveDuration();
                    var bytes = m.Required("write").PositiveSize();
                    var (pFrom, pUntil) = ReadWindow(m);
                    periodic.Add(new PeriodicWrite($"{bytes} every {every}", every, bytes, pFrom, pUntil));
                    break;
                case "noise":
                    if (noise is not null) throw value.Error("the workload has two noise: entries; declare it once");
                    noise = ReadNoise(value);
                    break;
            }
        }
        return new Workload(components) { PeriodicWrites = periodic, Noise = noise };
    }

    /// <summary><c>noise: {cv: 30%, correlation: 1h, bucket: 5min}</c>: how the rate varies around the declared one
    /// in Monte Carlo runs (<c>walsim plan</c>).</summary>
    private static RateNoise ReadNoise(Node node)
    {
        var m = node.Map("a mapping with cv: (like 30%), correlation: (like 1h) and bucket: (like 5min)", ["cv", "correlation", "bucket"]);
        var cvNode = m.Required("cv");
        var cvText = cvNode.Scalar("a coefficient of variation like 30% or 0.3");
        if (!ValueParser.TryParseFraction(cvText, out var cv, out _))
            throw cvNode.Error($"expected a coefficient of variation like 30% or 0.3, got \"{cvText}\"");
        if (cv is < 0 or > 10) throw cvNode.Error($"expected a coefficient of variation between 0% and 1000%, got {cv:P0}");
        var bucket = m["bucket"]?.PositiveDuration() ?? SimDuration.FromMinutes(5);
        var correlation = m["correlation"]?.Duration() ?? bucket;
        if (correlation < SimDuration.Zero) throw m["correlation"]!.Value.Error("expected a duration of 0 or more (0 = buckets independent)");
        return new RateNoise(cv, correlation, bucket);
    }

    private static PiecewiseRate ReadPiecewise(Node node)
    {
        var steps = new List<RateStep>();
        foreach (var item in node.List("a list of breakpoints like [{at: 0h, rate: 1MB/s}, {at: 8h, rate: 20MB/s}]"))
        {
            var m = item.Map("a breakpoint like {at: 8h, rate: 20MB/s}", ["at", "rate"]);
            var at = m.Required("at").Time();
            if (steps.Count > 0 && at <= steps[^1].At)
                throw m.Required("at").Error($"breakpoints must be in increasing time order ({at} is not after {steps[^1].At})");
            steps.Add(new RateStep(at, m.Required("rate").Rate()));
        }
        return steps.Count > 0 ? new PiecewiseRate(steps) : throw node.Error("expected at least one breakpoint");
    }

    /// <summary>Optional <c>from:</c>/<c>until:</c>; until defaults to never.</summary>
    private static (SimTime From, SimTime Until) ReadWindow(Map m)
    {
        var from = m["from"]?.Time() ?? SimTime.Zero;
        var until = m["until"]?.Time() ?? SimTime.Never;
        if (until <= from) throw m["until"]!.Value.Error($"until ({until}) must be after from ({from})");
        return (from, until);
    }

    private static readonly string[] NodeKeys = ["name", "role", "upstream", "primary_slot_name", "link", "settings", "disk", "slots", "slot_sync"];

    /// <summary>
    /// <c>nodes:</c>: a primary (the scenario's settings, workload and slots are its own, plus what its node adds) and
    /// standbys streaming from it over a link, each with its own settings, volume and slots.
    /// </summary>
    private List<NodeSpec> ReadNodes(Node node)
    {
        var nodes = new List<(NodeSpec Spec, Node NameNode)>();
        foreach (var item in node.List("a list of nodes like - {name: a, role: primary}"))
        {
            var m = item.Map("a node like {name: b, role: standby, upstream: a, primary_slot_name: sb1}", NodeKeys);
            var nameNode = m.Required("name");
            var name = nameNode.Scalar("a node name like a or standby1");
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                throw nameNode.Error($"a node name is letters, digits, '_' and '-', got {ValueParser.Show(name)}");
            if (nodes.Any(n => n.Spec.Name == name)) throw nameNode.Error($"node \"{name}\" is declared twice");
            var role = m["role"]?.Choice("primary", "standby") == "primary" ? NodeRole.Primary : NodeRole.Standby;
            if (role == NodeRole.Primary)
                foreach (var key in new[] { "upstream", "primary_slot_name", "link", "slot_sync" })
                    if (m[key] is { } k) throw k.Error($"{key} is for a standby; node \"{name}\" is the primary");
            var nodeSettings = m["settings"] is { } ns ? ReadSettings(ns) : [];
            var slots = new List<SlotSpec>();
            if (m["slots"] is { } sl)
                foreach (var slotItem in sl.List("a list of slots like - name: cascade1"))
                {
                    var (slot, slotName) = ReadSlot(slotItem, declared: true);
                    if (slot.Kind == SlotKind.Logical) throw slotName.Error("slots on a standby node are physical here (logical slots on standbys come with slot synchronization)");
                    if (slots.Any(x => x.Name == slot.Name)) throw slotName.Error($"slot \"{slot.Name}\" is declared twice on node {name}");
                    slots.Add(slot);
                }
            var (syncMechanism, syncOptions) = m["slot_sync"] is { } ss ? ReadSlotSync(ss) : (SlotSyncMechanism.None, new SlotSyncOptions());
            nodes.Add((new NodeSpec
            {
                Name = name,
                Role = role,
                Upstream = m["upstream"]?.Scalar("the name of the node it streams from"),
                PrimarySlotName = m["primary_slot_name"] is { } ps ? SlotName(ps) : null,
                Link = m["link"] is { } link ? ReadLink(link) : LinkSpec.Streaming,
                Settings = ToDictionary(nodeSettings),
                Disk = m["disk"] is { } dk ? ReadDisk(dk) : null,
                Slots = slots,
                SlotSync = syncMechanism,
                SlotSyncOptions = syncOptions,
                Location = item.Location,
            }, nameNode));
        }
        var primaries = nodes.Where(n => n.Spec.Role == NodeRole.Primary).ToList();
        if (primaries.Count != 1)
            throw node.Error(primaries.Count == 0 ? "nodes: one node must be the primary (role: primary)" : $"nodes: only one node can be the primary, not {string.Join(" and ", primaries.Select(p => p.Spec.Name))}");
        foreach (var (spec, nameNode) in nodes)
        {
            // The standby's slot on the primary is one of the primary's slots, for every report and expectation.
            if (spec.PrimarySlotName is not null && declaredSlots.All(d => d.Slot.Name != spec.PrimarySlotName))
                declaredSlots.Add((Walsim.Simulator.Engine.Topology.StandbySlot(spec), nameNode));
            if (spec.Upstream is { } up && nodes.All(n => n.Spec.Name != up))
                throw nameNode.Error($"node {spec.Name}: upstream \"{up}\" is not a node ({string.Join(", ", nodes.Select(n => n.Spec.Name))})");
            if (spec.PrimarySlotName is { } ps && (declaredSlots.Any(d => d.Slot.Name == ps && d.Slot.Location != spec.Location) || nodes.Any(n => n.Spec != spec && n.Spec.PrimarySlotName == ps)))
                throw nameNode.Error($"node {spec.Name}: primary_slot_name \"{ps}\" is already another slot on the primary");
        }
        return nodes.Select(n => n.Spec).ToList();
    }

    /// <summary><c>slot_sync: native</c>, or a mapping <c>{mechanism: pg_failover_slots, worker_nap_time: 60s}</c> /
    /// <c>{mechanism: patroni, loop_wait: 10s, copy_restart: 5s, lost_copy: recopy}</c>; either may add the phase of its
    /// cycles, <c>first_cycle: 2.3s</c>, and Patroni the replica's delay behind the leader, <c>after_leader: 10ms</c>.</summary>
    private static (SlotSyncMechanism, SlotSyncOptions) ReadSlotSync(Node node)
    {
        string[] names = [.. SlotSyncNames.All];
        if (node.Yaml is YamlScalarNode)
        {
            var mechanism = SlotSyncNames.Parse(node.Choice(names))!.Value;
            return (mechanism, SlotSyncOptions.DefaultFor(mechanism));
        }
        var m = node.Map("a mapping like {mechanism: pg_failover_slots, worker_nap_time: 60s}", ["mechanism", "worker_nap_time", "loop_wait", "copy_restart", "lost_copy", "first_cycle", "after_leader"]);
        var mech = SlotSyncNames.Parse(m.Required("mechanism").Choice(names))!.Value;
        if (m["worker_nap_time"] is { } w && mech != SlotSyncMechanism.PgFailoverSlots) throw w.Error("worker_nap_time is pg_failover_slots'");
        if (m["loop_wait"] is { } lw && mech != SlotSyncMechanism.Patroni) throw lw.Error("loop_wait is Patroni's");
        if (m["copy_restart"] is { } cr && mech != SlotSyncMechanism.Patroni) throw cr.Error("copy_restart is Patroni's");
        if (m["lost_copy"] is { } lc && mech != SlotSyncMechanism.Patroni) throw lc.Error("lost_copy is Patroni's");
        if (m["after_leader"] is { } al && mech != SlotSyncMechanism.Patroni) throw al.Error("after_leader is Patroni's");
        var interval = m["worker_nap_time"]?.PositiveDuration() ?? m["loop_wait"]?.PositiveDuration() ?? SlotSyncOptions.DefaultFor(mech).Interval;
        var afterLeader = m["after_leader"]?.Duration();
        if (m["after_leader"] is { } aln && afterLeader >= interval) throw aln.Error($"after_leader must be shorter than loop_wait ({interval})");
        return (mech, new SlotSyncOptions
        {
            Interval = interval,
            CopyRestart = m["copy_restart"]?.Duration() ?? SimDuration.FromSeconds(5),
            RecopiesLostCopy = m["lost_copy"]?.Choice("recopy", "keep") != "keep",
            FirstCycle = m["first_cycle"]?.Duration(),
            AfterLeader = afterLeader,
        });
    }

    /// <summary><c>link: {lag: 100ms, replay_lag: 0s, outages: [{from: 1h, until: 2h}]}</c>.</summary>
    private static LinkSpec ReadLink(Node node)
    {
        var m = node.Map("a link like {lag: 100ms, replay_lag: 0s, outages: [{from: 1h, until: 2h}]}", ["lag", "replay_lag", "outages", "status_interval"]);
        return new LinkSpec(m["lag"]?.Duration() ?? SimDuration.Zero, m["replay_lag"]?.Duration() ?? SimDuration.Zero,
            m["outages"] is { } o ? ReadOutages(o) : [])
        {
            StatusInterval = m["status_interval"]?.Duration() ?? SimDuration.FromSeconds(10),
        };
    }

    private static readonly string[] DeclaredSlotKeys = ["name", "type", "created_at", "reserve", "consumer", "failover", "permanent"];
    private static readonly string[] CreatedSlotKeys = ["name", "type", "reserve", "consumer", "failover", "permanent"];

    private List<SlotSpec> ReadSlots(Node node)
    {
        foreach (var item in node.List("a list of slots like - name: rep1"))
        {
            var (slot, nameNode) = ReadSlot(item, declared: true);
            if (declaredSlots.Any(d => d.Slot.Name == slot.Name))
                throw nameNode.Error($"slot \"{slot.Name}\" is declared twice");
            declaredSlots.Add((slot, nameNode));
        }
        return declaredSlots.Select(d => d.Slot).ToList();
    }

    /// <summary>A slot under <c>slots:</c> (<paramref name="declared"/>) or in a <c>create_slot</c> event (created at the event's time).</summary>
    private static (SlotSpec Slot, Node NameNode) ReadSlot(Node node, bool declared)
    {
        var m = node.Map("a slot like {name: rep1, type: physical}", declared ? DeclaredSlotKeys : CreatedSlotKeys);
        var nameNode = m.Required("name");
        var kind = m["type"]?.Choice("physical", "logical") == "logical" ? SlotKind.Logical : SlotKind.Physical;
        if (kind == SlotKind.Logical && m["reserve"] is { } r)
            throw r.Error("reserve applies to physical slots only (a logical slot always reserves WAL when created)");
        var slot = new SlotSpec
        {
            Name = SlotName(nameNode),
            Kind = kind,
            CreatedAt = m["created_at"]?.Time() ?? SimTime.Zero,
            Reserve = m["reserve"]?.Bool() ?? true,
            Consumer = m["consumer"] is { } c ? ReadConsumer(c) : ConsumerSpec.None,
            Failover = m["failover"] is { } f && (kind == SlotKind.Logical ? f.Bool() : throw f.Error("failover applies to logical slots (pg_create_logical_replication_slot's failover argument, 17+)")),
            Permanent = m["permanent"] is { } pm && (kind == SlotKind.Logical ? pm.Bool() : throw pm.Error("permanent (a Patroni permanent slot copied to replicas) applies to logical slots here")),
            Location = node.Location,
        };
        return (slot, nameNode);
    }

    /// <summary>A replication slot name, checked like <c>ReplicationSlotValidateName</c>.</summary>
    private static string SlotName(Node node)
    {
        var name = node.Scalar("a slot name like rep1");
        if (name.Length == 0) throw node.Error("replication slot name \"\" is too short");
        if (name.Length > 63) throw node.Error($"replication slot name {ValueParser.Show(name)} is too long (at most 63 characters)");
        if (!name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            throw node.Error($"replication slot name {ValueParser.Show(name)} contains invalid character (replication slot names may only contain lower case letters, numbers, and the underscore character)");
        return name;
    }

    private static ConsumerSpec ReadConsumer(Node node)
    {
        if (node.IsNull || node.Yaml is YamlScalarNode { Value: "none" }) return ConsumerSpec.None;
        var m = node.Map("a consumer like {lag: 2s, confirm_every: 10s} or none", ["lag", "lag_bytes", "confirm_every", "outages", "resume", "reconnect_after"]);
        return new ConsumerSpec
        {
            Lag = m["lag"]?.Duration() ?? SimDuration.Zero,
            LagBytes = m["lag_bytes"]?.Size() ?? ByteCount.Zero,
            ConfirmEvery = m["confirm_every"]?.Duration() ?? SimDuration.FromSeconds(10),
            Outages = m["outages"] is { } o ? ReadOutages(o) : [],
            Resume = m["resume"]?.Choice("origin", "slot") == "slot" ? ResumeFrom.Slot : ResumeFrom.Origin,
            ReconnectAfter = m["reconnect_after"]?.Duration() ?? SimDuration.Zero,
        };
    }

    /// <summary>Disconnected periods in time order, not overlapping; a missing <c>until</c> means never back.</summary>
    private static List<Outage> ReadOutages(Node node)
    {
        var outages = new List<Outage>();
        foreach (var item in node.List("a list of periods like [{from: 6h, until: 9h}]"))
        {
            var m = item.Map("a period like {from: 6h, until: 9h}", ["from", "until"]);
            var from = m.Required("from").Time();
            var (_, until) = ReadWindow(m);
            if (outages.Count > 0 && from < outages[^1].Until)
                throw m.Required("from").Error(outages[^1].Until.IsNever
                    ? "the previous period never ends, so no period can follow it"
                    : $"periods must be in time order without overlap ({from} is before the previous period ends at {outages[^1].Until})");
            outages.Add(new Outage(from, until));
        }
        return outages;
    }

    private static List<LongTransaction> ReadTransactions(Node node)
    {
        var list = new List<LongTransaction>();
        foreach (var item in node.List("a list of transactions like [{name: report, begin: 1h, until: 5h}]"))
        {
            var m = item.Map("a transaction like {name: report, begin: 1h, until: 5h}", ["name", "begin", "until"]);
            var nameNode = m.Required("name");
            var name = nameNode.Scalar("a transaction name");
            if (list.Any(t => t.Name == name)) throw nameNode.Error($"transaction \"{name}\" is declared twice");
            var begin = m.Required("begin").Time();
            var until = m["until"]?.Time() ?? SimTime.Never;
            if (until <= begin) throw m["until"]!.Value.Error($"until ({until}) must be after begin ({begin})");
            list.Add(new LongTransaction(name, begin, until));
        }
        return list;
    }

    private static ArchiverSpec ReadArchiver(Node node)
    {
        var m = node.Map("a mapping with lag: and failures:", ["lag", "failures"]);
        return new ArchiverSpec(m["lag"]?.Duration() ?? SimDuration.Zero, m["failures"] is { } f ? ReadOutages(f) : []);
    }

    private static DiskSpec ReadDisk(Node node)
    {
        var m = node.Map("a mapping with size:, other_usage: and read_only_at:", ["size", "other_usage", "read_only_at"]);
        var size = m.Required("size").PositiveSize();
        var other = m["other_usage"]?.Size() ?? ByteCount.Zero;
        if (other >= size) throw m["other_usage"]!.Value.Error($"other_usage ({other}) must be smaller than the volume size ({size})");
        double? readOnly = null;
        if (m["read_only_at"] is { } ro)
        {
            if (!ValueParser.TryParseFraction(ro.Scalar("a fraction like 95% or 0.95"), out var f, out var error)) throw ro.Error(error!);
            if (f is <= 0 or > 1) throw ro.Error($"read_only_at must be above 0% and at most 100%, got {ValueParser.Show(ro.Scalar(""))}");
            readOnly = f;
        }
        return new DiskSpec(size, other, readOnly);
    }

    /// <summary>The one key of <paramref name="node"/> among <paramref name="choices"/> that says what the item is.</summary>
    private static string SingleKey(Node node, IReadOnlyCollection<string> choices, string what)
    {
        var found = node.KeysAmong(choices, $"{A(what)} (one of {string.Join(", ", choices)})");
        return found.Count switch
        {
            1 => found[0],
            0 => throw node.Error($"{A(what)} needs one of {string.Join(", ", choices)}"),
            _ => throw node.Error($"{A(what)} takes exactly one of {string.Join(", ", choices)}; found {string.Join(" and ", found)}"),
        };
    }

    /// <summary>The noun with its indefinite article ("an event", "a step").</summary>
    private static string A(string noun) => ("aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an " : "a ") + noun;
}

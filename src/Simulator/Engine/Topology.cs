using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
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

        var log = new WalLog();
        var primaryScenario = PrimaryScenario(scenario, primary);
        var result = new Server(primaryScenario, policy, observer, log).Run();
        var standbys = scenario.Nodes.Where(n => n.Role == NodeRole.Standby)
            .Select(n => new StandbyServer(scenario, n, policy, log, standbyObserver?.Invoke(n.Name) ?? NullObserver.Instance).Run() with { Node = n.Name })
            .ToList();
        return result with { Node = primary.Name, Standbys = standbys };
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
        return scenario with { Settings = settings, Slots = slots, Disk = primary.Disk ?? scenario.Disk, Nodes = [] };
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

namespace Walsim.Simulator.Engine;

/// <summary>Runs a scenario on one PostgreSQL version. Pure and deterministic: same inputs, same output.</summary>
public static class Simulation
{
    /// <summary>
    /// Simulates <paramref name="scenario"/> on <paramref name="version"/>, streaming timeline rows, checkpoints
    /// and log events to <paramref name="observer"/>. Throws <see cref="Settings.SettingException"/> or
    /// <see cref="ScenarioValidationException"/> for inputs the version rejects.
    /// </summary>
    public static SimulationResult Run(Scenario scenario, PgVersion version, ISimulationObserver? observer = null) =>
        Run(scenario, version, observer, null);

    /// <summary>As above; in a topology, <paramref name="standbyObserver"/> gives each standby's observer by node name
    /// (its restartpoints, rows and log events), <paramref name="observer"/> is the primary's.</summary>
    public static SimulationResult Run(Scenario scenario, PgVersion version, ISimulationObserver? observer, Func<string, ISimulationObserver?>? standbyObserver) =>
        scenario.Nodes.Count > 0
            ? Topology.Run(scenario, RetentionPolicy.For(version), observer ?? NullObserver.Instance, standbyObserver)
            : new Server(scenario, RetentionPolicy.For(version), observer ?? NullObserver.Instance).Run();
}

internal sealed class NullObserver : ISimulationObserver
{
    public static readonly NullObserver Instance = new();
}

/// <summary>A scenario that is well-formed YAML but cannot be simulated (unknown slot in an event, ...).</summary>
public sealed class ScenarioValidationException(string message, SourceLocation location, string? field = null) : Exception(message)
{
    public SourceLocation Location { get; } = location;
    public string? Field { get; } = field;
}

using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Versions;

namespace Walsim.Simulator.Engine;

internal sealed class Server(Scenario scenario, RetentionPolicy policy, ISimulationObserver observer)
{
    public SimulationResult Run() => throw new NotImplementedException($"{scenario.Name} {policy} {observer}");
}

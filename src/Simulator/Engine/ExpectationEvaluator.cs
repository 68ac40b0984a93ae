using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;

namespace Walsim.Simulator.Engine;

/// <summary>Checks a scenario's expectations against one version's result.</summary>
public static class ExpectationEvaluator
{
    /// <summary>Every expectation whose version range contains the result's version, with the observed value.</summary>
    public static IReadOnlyList<ExpectationOutcome> Evaluate(Scenario scenario, SimulationResult result) =>
        throw new NotImplementedException();
}

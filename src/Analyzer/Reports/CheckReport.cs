namespace Walsim.Analyzer.Reports;

/// <summary>
/// What <c>walsim check</c> found for one scenario file: the outcome of each expectation on each version, and the
/// errors that stopped a version (or the whole file) from being checked.
/// </summary>
public sealed record ScenarioCheck(string Scenario, string File, IReadOnlyList<ExpectationOutcome> Outcomes, IReadOnlyList<CheckError> Errors)
{
    public int Passed => Outcomes.Count(o => o.Passed);
    public int Failed => Outcomes.Count(o => !o.Passed);
}

/// <summary>A scenario that could not be loaded (<see cref="Version"/> null) or that a version rejected.</summary>
public sealed record CheckError(PgVersion? Version, string Message);

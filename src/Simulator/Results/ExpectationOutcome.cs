namespace Walsim.Simulator.Results;

/// <summary>One expectation checked against one version's run.</summary>
public sealed record ExpectationOutcome(Expectation Expectation, Versions.PgVersion Version, bool Passed, string Observed);

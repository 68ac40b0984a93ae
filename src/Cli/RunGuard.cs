using Walsim.Simulator.Engine;

namespace Walsim.Cli;

/// <summary>
/// Refuses a run that would run away — a typo such as <c>sample_interval: 1us</c>, <c>duration: 100000d</c> or
/// <c>constant: 100TB/s</c> — before anything runs or is written: the work is estimated from the scenario alone
/// (<see cref="RunEstimate"/>) and compared with <see cref="RunLimits.Default"/>; <c>--force</c> runs it anyway.
/// </summary>
internal static class RunGuard
{
    /// <summary>Why the runs of <paramref name="scenario"/> on <paramref name="versions"/> are refused, or null to go on.</summary>
    public static string? Refusal(Scenario scenario, IReadOnlyList<PgVersion> versions, bool force, RunLimits? limits = null)
    {
        if (force) return null;
        foreach (var version in versions)
        {
            var over = RunEstimate.Of(scenario, version).Exceeds(limits ?? RunLimits.Default);
            if (over.Count == 0) continue;
            return $"{scenario.SourceFile}: this run would be too large on PostgreSQL {version}: {string.Join("; ", over)}. "
                   + "Nothing was run or written; give --force to run it anyway.";
        }
        return null;
    }
}

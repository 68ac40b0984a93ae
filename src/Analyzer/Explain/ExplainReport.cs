using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Explain;

/// <summary>What <c>walsim explain</c> reports for one node: where the state came from and its breakdown.</summary>
/// <param name="Source">What was read, in words ("scenario scenarios/x.yaml", "sample file db1.csv", "db1:5432").</param>
/// <param name="Node">The node ("primary", a topology's node name, or the server's role).</param>
/// <param name="When">When, in words ("at its pg_wal peak, 2h 13min", "sample 812, 2026-11-21T10:30:00Z", "now").</param>
/// <param name="Version">The version whose rules were applied.</param>
/// <param name="State">The state explained.</param>
/// <param name="Breakdown">Its breakdown.</param>
/// <param name="Notes">What the source could not show, and how that was filled in.</param>
public sealed record ExplainReport(string Source, string Node, string When, PgVersion Version, WalState State, WalBreakdown Breakdown,
    IReadOnlyList<string> Notes)
{
    public WalSegmentSize SegmentSize => State.Settings.SegmentSize;

    /// <summary>Explains <paramref name="state"/>.</summary>
    public static ExplainReport Of(string source, string node, string when, PgVersion version, WalState state, IReadOnlyList<string>? notes = null) =>
        new(source, node, when, version, state, WalBreakdown.Of(state), notes ?? []);
}

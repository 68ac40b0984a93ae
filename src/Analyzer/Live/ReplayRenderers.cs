using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Sources;

namespace Walsim.Analyzer.Live;

/// <summary>What <c>walsim replay</c> of a sample file reports.</summary>
/// <param name="File">The sample file.</param>
/// <param name="Summary">The replay's findings.</param>
/// <param name="ListCheckpoints">List every checkpoint, not only those that disagree.</param>
public sealed record ReplayOutcome(string File, ReplaySummary Summary, bool ListCheckpoints);

/// <summary>
/// The formats of <c>walsim replay</c>: the text report of a sample file's replay, and of a server log's. The
/// decisions <c>--csv</c> writes are streamed while the replay runs (<see cref="ReplayReport.DecisionCsv"/>).
/// </summary>
public static class ReplayRenderers
{
    public static readonly RendererRegistry<ReplayOutcome> Samples = new("replay",
        [new TextRenderer<ReplayOutcome>("text", "txt", (w, r) => ReplayReport.WriteText(w, r.File, r.Summary, r.ListCheckpoints))]);

    public static readonly RendererRegistry<LogReplaySummary> Log = new("replay",
        [new TextRenderer<LogReplaySummary>("text", "txt", LogReplay.Write)]);
}

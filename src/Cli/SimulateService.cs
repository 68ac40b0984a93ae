using Walsim.Analyzer.Reports.Charts;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Engine;

namespace Walsim.Cli;

/// <param name="ScenarioPath">The scenario file.</param>
/// <param name="Versions">Versions to run; empty = the scenario's <c>versions</c>.</param>
/// <param name="OutDir">Where the timeline and events CSVs go; null = <c>reports/&lt;scenario name&gt;</c>.</param>
/// <param name="Format">The stdout summary's format: a name in <see cref="SimulateRenderers.Registry"/>.</param>
/// <param name="Html">
/// Where the HTML report goes (with <c>report.json</c>, or the page's name with <c>.json</c>, beside it); empty =
/// <c>report.html</c> in the output directory; null = no HTML report.
/// </param>
/// <param name="Force">Run even when the work estimate is past <see cref="Simulator.Engine.RunLimits.Default"/>.</param>
public sealed record SimulateRequest(string ScenarioPath, IReadOnlyList<PgVersion> Versions, string? OutDir, string Format, string? Html = null, bool Force = false)
{
    /// <summary>The chart images asked for (<c>--png</c>, <c>--svg</c>: report.pg-wal.png … in the output directory), and their size.</summary>
    public ChartOutput Charts { get; init; } = ChartOutput.None;
}

/// <summary><c>walsim simulate</c>: runs a scenario on each version, writes the CSV reports (and an HTML report), prints a summary.</summary>
public sealed class SimulateService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    public ExitCode Run(SimulateRequest request) => Failures.Guard(stderr, () =>
    {
        var scenario = loadScenario(request.ScenarioPath);
        var versions = request.Versions.Count > 0 ? request.Versions : scenario.Versions;
        if (RunGuard.Refusal(scenario, versions, request.Force) is { } refusal)
        {
            stderr.WriteLine($"walsim: {refusal}");
            return ExitCode.InvalidScenario;
        }
        var dir = request.OutDir ?? Path.Combine("reports", scenario.Name);
        var registry = SimulateRenderers.Registry;
        var format = registry.GetPrintable(request.Format);
        // Before any version runs: a report that cannot be written fails the command with nothing written.
        OutputPaths.CheckReports(registry, dir, request.Html, dir, request.Charts.Any);
        // The view for people prints each version as its run finishes, with the files written; the other formats
        // are documents for programs, printed whole at the end.
        var table = format == registry.Default;
        if (table)
        {
            stdout.WriteLine($"Scenario {scenario.Name} ({request.ScenarioPath})");
            foreach (var line in Wrap(scenario.Description ?? "", 98)) stdout.WriteLine($"  {line}");
            stdout.WriteLine();
        }

        var results = new List<SimulationResult>();
        var html = new List<VersionReport>();
        foreach (var version in versions)
        {
            SimulationResult result;
            // Each version streams to its own files; they appear only if the run completes.
            using (var report = new CsvReportObserver(dir, scenario, version))
            {
                // The page and the chart images draw from the same collected timelines.
                var collector = request.Html is null && !request.Charts.Any ? null : new ReportCollector(scenario, version);
                ISimulationObserver observer = collector is null ? report : new TeeObserver(report, collector);
                // A topology's standbys: their own CSV files, and one chart series each in the HTML report.
                var standbyCollectors = new Dictionary<string, ReportCollector>();
                var standbyFiles = new List<CsvReportObserver>();
                ISimulationObserver? StandbyObserver(string node)
                {
                    var view = StandbyView(scenario, node);
                    var files = new CsvReportObserver(dir, view, version, node);
                    standbyFiles.Add(files);
                    if (collector is null) return files;
                    return new TeeObserver(files, standbyCollectors[node] = new ReportCollector(view, version));
                }
                try
                {
                    result = Failures.OnVersion(scenario, version, () => Simulation.Run(scenario, version, observer, StandbyObserver));
                    foreach (var f in standbyFiles) f.Commit();
                }
                finally
                {
                    foreach (var f in standbyFiles) f.Dispose();
                }
                report.Commit();
                if (collector is not null)
                {
                    html.Add(collector.Finish(result) with { Node = result.Node });
                    foreach (var sb in result.Standbys)
                        if (standbyCollectors.TryGetValue(sb.Node!, out var c)) html.Add(c.Finish(sb) with { Node = sb.Node });
                }
                if (table)
                {
                    format.Render(new SimulateReport(scenario, [result], []), stdout);
                    stdout.WriteLine($"  reports       {ReportPaths.Relative(report.TimelinePath)}, {ReportPaths.Relative(report.EventsPath)}");
                    stdout.WriteLine();
                }
            }
            results.Add(result);
        }

        var simulated = new SimulateReport(scenario, results, html);
        if (request.Html is not null || request.Charts.Any)
        {
            // After every version ran: one page, and each chart, overlays them all.
            var written = AtomicFile.WriteAll(simulated, registry.Files(simulated, null, request.Html, dir, request.Charts));
            var images = written.Skip(request.Html is null ? 0 : registry.Page.Count).Select(ReportPaths.Relative).ToList();
            if (table && request.Html is not null) stdout.WriteLine($"HTML report   {ReportPaths.Relative(written[0])} (numbers in {ReportPaths.Relative(written[1])})");
            if (table && images.Count > 0) stdout.WriteLine($"charts        {string.Join(", ", images)}");
        }

        if (!table) format.Render(simulated, stdout);
        return ExitCode.Ok;
    });

    /// <summary>A standby as a one-server scenario for its report's columns: its own slots and the primary's logical
    /// slots (which a slot sync mechanism may copy).</summary>
    private static Scenario StandbyView(Scenario scenario, string node)
    {
        var spec = scenario.Nodes.Single(n => n.Name == node);
        var copies = scenario.Slots.Concat(scenario.Events.OfType<CreateSlot>().Select(c => c.Slot)).Where(x => x.Kind == SlotKind.Logical);
        return scenario with { Slots = [.. spec.Slots, .. copies], Nodes = [], Events = [], Disk = spec.Disk };
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = "";
            }
            line = line.Length == 0 ? word : $"{line} {word}";
        }
        if (line.Length > 0) yield return line;
    }
}

using Walsim.Analyzer.Reports.Charts;
using Walsim.Analyzer.Comparison;
using Walsim.Simulator.Engine;

namespace Walsim.Cli;

/// <param name="ScenarioPath">The scenario file.</param>
/// <param name="From">The version its settings are written for.</param>
/// <param name="To">The versions to compare with, in order.</param>
/// <param name="Format">The stdout format: a name in <see cref="WhatIfRenderers.Registry"/>.</param>
/// <param name="OutDir">Where whatif.md, whatif.json, whatif.csv and the charts as PNG go; null = nowhere.</param>
/// <param name="Html">
/// Where the HTML report goes; empty = <c>whatif.html</c> in <paramref name="OutDir"/>, or in
/// <c>reports/&lt;scenario name&gt;</c> without one; null = no HTML report.
/// </param>
public sealed record WhatIfRequest(string ScenarioPath, PgVersion From, IReadOnlyList<PgVersion> To, string Format, string? OutDir, string? Html = null)
{
    /// <summary>Run even when the work estimate is past the limits (<see cref="RunGuard"/>).</summary>
    public bool Force { get; init; }

    /// <summary>The chart images asked for (<c>--png</c>, <c>--svg</c>; in <see cref="OutDir"/>, else beside the page), and their size.</summary>
    public ChartOutput Charts { get; init; } = ChartOutput.None;

    /// <summary>For a Prometheus URL as <see cref="ScenarioPath"/>: which cluster and stretch (<c>--prometheus</c>).</summary>
    public PrometheusQuery? Prometheus { get; init; }
}

/// <summary><c>walsim whatif</c>: one scenario on several versions, side by side, with the first divergence explained.</summary>
public sealed class WhatIfService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    public ExitCode Run(WhatIfRequest request)
    {
        if (!HistorySources.Recognises(request.ScenarioPath))
            return Failures.Guard(stderr, () =>
            {
                var scenario = loadScenario(request.ScenarioPath);
                if (RunGuard.Refusal(scenario, [request.From, .. request.To], request.Force) is not { } refusal) return Compare(request, scenario);
                stderr.WriteLine($"walsim: {refusal}");
                return ExitCode.InvalidScenario;
            });
        // A recorded history: what the sampled cluster went through, replayed under each version.
        return Failures.WithHistory(stderr, request.ScenarioPath, HistoryUse.WhatIf, HistoryOptions.Default with { Prometheus = request.Prometheus }, ExitCode.InvalidScenario, samples =>
        {
            var scenario = SampledScenario.Build(samples.Name, samples.Frames(), samples.Settings);
            var sampled = scenario.Versions[0];
            if (request.From.Major != sampled.Major)
            {
                stderr.WriteLine($"walsim: --from {request.From}: the samples are from PostgreSQL {sampled}; give --from {sampled.Major} (or its minor)");
                return ExitCode.UsageError;
            }
            return Failures.Guard(stderr, () => Compare(request, scenario));
        });
    }

    /// <summary><c>walsim whatif topology.yaml --sync none,native,...</c>: one version, each mechanism.</summary>
    public ExitCode RunSync(string scenarioPath, PgVersion? version, string mechanisms, string format)
    {
        if (WhatIfRenderers.Sync.FindPrintable(format) is not { } renderer)
        {
            stderr.WriteLine($"walsim: --format {format}: --sync prints {string.Join(", ", WhatIfRenderers.Sync.StdoutNames)}");
            return ExitCode.UsageError;
        }
        var list = new List<SlotSyncMechanism>();
        foreach (var name in mechanisms.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var m = SlotSyncNames.Parse(name);
            if (m is null)
            {
                stderr.WriteLine($"walsim: --sync: unknown mechanism \"{name}\"; expected {string.Join(", ", SlotSyncNames.All)}");
                return ExitCode.UsageError;
            }
            if (!list.Contains(m.Value)) list.Add(m.Value);
        }
        if (list.Count == 0) { stderr.WriteLine("walsim: --sync: name at least one mechanism"); return ExitCode.UsageError; }
        return Failures.Guard(stderr, () =>
        {
            var scenario = loadScenario(scenarioPath);
            if (scenario.Nodes.Count == 0)
            {
                stderr.WriteLine($"walsim: {scenarioPath}: --sync compares how standbys keep slots; the scenario has no nodes: (a topology)");
                return ExitCode.UsageError;
            }
            var v = version ?? scenario.Versions.Max();
            var runs = SyncComparison.Run(scenario, v, list, (s, ver) => Failures.OnVersion(s, ver, () => Simulation.Run(s, ver)));
            renderer.Render(new SyncReport(scenario, v, runs), stdout);
            return ExitCode.Ok;
        });
    }

    private ExitCode Compare(WhatIfRequest request, Scenario scenario)
    {
        var registry = WhatIfRenderers.Registry;
        var format = registry.GetPrintable(request.Format);
        OutputPaths.CheckReports(registry, request.OutDir, request.Html, Path.Combine("reports", scenario.Name), request.Charts.Any); // before the runs
        // The timelines of the HTML report and the charts (which --out writes) are collected in the comparison's own runs.
        var report = WhatIfAnalysis.Run(scenario, request.From, request.To,
            (s, v, o) => Failures.OnVersion(s, v, () => Simulation.Run(s, v, o)), charts: request.Html is not null || request.OutDir is not null || request.Charts.Any);
        format.Render(report, stdout);

        // All written before any is renamed: a failure leaves every earlier report as it was.
        var written = AtomicFile.WriteAll(report, registry.Files(report, request.OutDir, request.Html, Path.Combine("reports", scenario.Name), request.Charts));
        if (format == registry.Default && written.Count > 0)
            stdout.WriteLine($"\nreports: {string.Join(", ", written.Select(ReportPaths.Relative))}");
        return ExitCode.Ok;
    }
}

using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Comparison;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Versions;

namespace Walsim.Cli;

/// <summary>How <c>walsim whatif</c> prints its report on stdout.</summary>
public enum WhatIfFormat { Table, Markdown, Json }

/// <param name="ScenarioPath">The scenario file.</param>
/// <param name="From">The version its settings are written for.</param>
/// <param name="To">The versions to compare with, in order.</param>
/// <param name="Format">The stdout format.</param>
/// <param name="OutDir">Where whatif.md and whatif.json go; null = nowhere.</param>
public sealed record WhatIfRequest(string ScenarioPath, PgVersion From, IReadOnlyList<PgVersion> To, WhatIfFormat Format, string? OutDir);

/// <summary><c>walsim whatif</c>: one scenario on several versions, side by side, with the first divergence explained.</summary>
public sealed class WhatIfService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    public ExitCode Run(WhatIfRequest request) => Failures.Guard(stderr, () =>
    {
        var scenario = loadScenario(request.ScenarioPath);
        var report = WhatIfAnalysis.Run(scenario, request.From, request.To,
            (s, v, o) => Failures.OnVersion(s, v, () => Simulation.Run(s, v, o)));
        switch (request.Format)
        {
            case WhatIfFormat.Markdown: WhatIfWriter.WriteMarkdown(stdout, report); break;
            case WhatIfFormat.Json: WhatIfWriter.WriteJson(stdout, report); break;
            default: WhatIfWriter.WriteTable(stdout, report); break;
        }
        if (request.OutDir is { } dir)
        {
            // Both files are complete before either replaces an older one.
            using var md = AtomicFile.Create(Path.Combine(dir, "whatif.md"));
            using var json = AtomicFile.Create(Path.Combine(dir, "whatif.json"));
            WhatIfWriter.WriteMarkdown(md.Writer, report);
            WhatIfWriter.WriteJson(json.Writer, report);
            md.Commit();
            json.Commit();
            if (request.Format == WhatIfFormat.Table) stdout.WriteLine($"\nreports: {md.Path}, {json.Path}");
        }
        return ExitCode.Ok;
    });
}

using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;

namespace Walsim.Cli;

/// <summary><c>walsim check</c>: runs scenarios, evaluates their expectations, prints PASS/FAIL lines and totals.</summary>
public sealed class CheckService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    /// <param name="path">A scenario file, or a folder whose <c>*.yaml</c>/<c>*.yml</c> files are checked in name order.</param>
    /// <param name="junitPath">Where to write JUnit XML, or null.</param>
    public ExitCode Run(string path, string? junitPath) => Failures.Guard(stderr, () =>
    {
        var files = ScenarioFiles(path);
        if (files.Count == 0)
        {
            stderr.WriteLine($"walsim: no *.yaml or *.yml scenario files in {path}");
            return ExitCode.UsageError;
        }

        var checks = files.Select(CheckFile).ToList();

        var passed = checks.Sum(c => c.Passed);
        var failed = checks.Sum(c => c.Failed);
        var errors = checks.Sum(c => c.Errors.Count);
        stdout.WriteLine($"{checks.Count} scenario(s): {passed} passed, {failed} failed, {errors} error(s)");

        if (junitPath is not null) AtomicFile.Write(junitPath, w => JUnitWriter.Write(w, checks));
        return errors > 0 ? ExitCode.InvalidScenario : failed > 0 ? ExitCode.ExpectationsFailed : ExitCode.Ok;
    });

    private ScenarioCheck CheckFile(string file)
    {
        Scenario scenario;
        try
        {
            scenario = loadScenario(file);
        }
        catch (ScenarioException e)
        {
            // A bad file is reported and counted; the other files are still checked.
            stdout.WriteLine($"ERROR {e.Message}");
            return new ScenarioCheck(Path.GetFileNameWithoutExtension(file), file, [], [new CheckError(null, e.Message)]);
        }

        var outcomes = new List<ExpectationOutcome>();
        var errors = new List<CheckError>();
        foreach (var version in scenario.Versions)
        {
            try
            {
                var found = Failures.OnVersion(scenario, version,
                    () => ExpectationEvaluator.Evaluate(scenario, Simulation.Run(scenario, version)));
                foreach (var o in found)
                    stdout.WriteLine($"{(o.Passed ? "PASS" : "FAIL")}  {scenario.Name}  {o.Version}  {o.Expectation.Text}  (observed: {o.Observed})");
                outcomes.AddRange(found);
            }
            catch (ScenarioRejectedException e)
            {
                stdout.WriteLine($"ERROR {scenario.Name}  {version}  {e.Message}");
                errors.Add(new CheckError(version, e.Message));
            }
        }
        return new ScenarioCheck(scenario.Name, file, outcomes, errors);
    }

    private static List<string> ScenarioFiles(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [path];
}

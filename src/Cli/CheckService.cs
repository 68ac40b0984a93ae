using Walsim.Simulator.Engine;

namespace Walsim.Cli;

/// <summary><c>walsim check</c>: runs scenarios, evaluates their expectations, prints PASS/FAIL lines and totals.</summary>
public sealed class CheckService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    /// <param name="paths">Scenario files and folders, in order; a folder's <c>*.yaml</c>/<c>*.yml</c> files are checked in name order.</param>
    /// <param name="junitPath">Where to write JUnit XML, or null.</param>
    /// <param name="force">Run scenarios whose work estimate is past the limits (<see cref="RunGuard"/>).</param>
    public ExitCode Run(IReadOnlyList<string> paths, string? junitPath, bool force = false) => Failures.Guard(stderr, () =>
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var found = ScenarioFiles(path);
            if (found.Count == 0)
            {
                // A folder without scenarios is most likely a mistyped path: refused rather than passed as "0 scenarios".
                stderr.WriteLine($"walsim: no *.yaml or *.yml scenario files in {path}");
                return ExitCode.UsageError;
            }
            // A file named twice (a.yaml and its folder) is checked once, where it first appears.
            files.AddRange(found.Where(f => seen.Add(Path.GetFullPath(f))));
        }

        // Before the runs: a JUnit file that cannot be written is known now, not after every scenario ran.
        if (junitPath is not null) OutputPaths.CheckFile("--junit", junitPath, "walsim.xml");
        var checks = files.Select(f => CheckFile(f, force)).ToList();

        var passed = checks.Sum(c => c.Passed);
        var failed = checks.Sum(c => c.Failed);
        var errors = checks.Sum(c => c.Errors.Count);
        stdout.WriteLine($"{checks.Count} scenario(s): {passed} passed, {failed} failed, {errors} error(s)");

        if (junitPath is not null) AtomicFile.Write(junitPath, w => JUnitWriter.Write(w, checks));
        return errors > 0 ? ExitCode.InvalidScenario : failed > 0 ? ExitCode.ExpectationsFailed : ExitCode.Ok;
    });

    private ScenarioCheck CheckFile(string file, bool force)
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

        if (RunGuard.Refusal(scenario, scenario.Versions, force) is { } refusal)
        {
            // Counted as an error of this scenario; the others are still checked.
            stdout.WriteLine($"ERROR {refusal}");
            return new ScenarioCheck(scenario.Name, file, [], [new CheckError(null, refusal)]);
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

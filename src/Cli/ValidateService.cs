using Walsim.Analyzer.Validation;
using Walsim.Analyzer.Validation.Ha;

namespace Walsim.Cli;

/// <param name="ScenarioPaths">Step scenarios to replay.</param>
/// <param name="Majors">PostgreSQL majors to run; empty = the majors of the scenario's versions.</param>
/// <param name="BinDir">A directory holding initdb/pg_ctl/postgres (one major) instead of the install root.</param>
/// <param name="Keep">Leave the clusters' directories behind for inspection.</param>
/// <param name="OutDir">Where validation-*.csv/json go; null = <c>reports/validate</c>.</param>
/// <param name="Ha">Failover-slot mechanisms to run on real servers (<c>--ha</c>): patroni, pg-failover-slots.</param>
public sealed record ValidateRequest(IReadOnlyList<string> ScenarioPaths, IReadOnlyList<int> Majors, string? BinDir, bool Keep, string? OutDir,
    IReadOnlyList<string>? Ha = null);

/// <summary><c>walsim validate</c>: replays step scenarios on real servers and compares every retention decision.</summary>
public sealed class ValidateService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario)
{
    public ExitCode Run(ValidateRequest request, CancellationToken ct) => Failures.Guard(stderr, () =>
    {
        var scenarios = request.ScenarioPaths.Select(loadScenario).ToList();
        foreach (var s in scenarios)
            if (StepDriver.Unsupported(s) is { Count: > 0 } problems)
            {
                stderr.WriteLine($"walsim: {s.SourceFile}: validate replays step lists only; this scenario has {string.Join(", ", problems)}");
                return ExitCode.InvalidScenario;
            }

        var dir0 = request.OutDir ?? Path.Combine("reports", "validate");
        OutputPaths.CheckDirectory("--out", dir0); // before the servers run
        var root = PostgresInstall.DefaultRoot();
        var runs = new List<ValidationRun>();
        var missing = new List<string>();
        foreach (var scenario in scenarios)
        {
            stdout.WriteLine($"Scenario {scenario.Name} ({scenario.SourceFile})");
            var named = scenario.Versions.Select(v => v.Major).Distinct().ToList();
            var majors = request.Majors.Count > 0 ? request.Majors : named;
            foreach (var major in majors)
            {
                if (!named.Contains(major))
                {
                    stdout.WriteLine($"  PostgreSQL {major}: skipped, the scenario's versions do not include it");
                    continue;
                }
                var install = PostgresInstall.Find(major, root, request.BinDir);
                if (install is null)
                {
                    missing.Add($"PostgreSQL {major}: no initdb/pg_ctl/postgres in {request.BinDir ?? Path.Combine(root, major.ToString(System.Globalization.CultureInfo.InvariantCulture), "bin")} (run scripts/install-postgres.sh)");
                    continue;
                }
                if (install.Note is { } note) stdout.WriteLine($"  {note}");
                var run = new StepDriver(scenario, install) { SamplesDirectory = Path.Combine(dir0, "samples") }.RunAsync(request.Keep, m => stdout.WriteLine($"  {m}"), ct).GetAwaiter().GetResult();
                ValidationRenderers.Registry.Default.Render([run], stdout);
                runs.Add(run);
            }
            stdout.WriteLine();
        }

        var dir = dir0;
        var files = ValidationRenderers.Registry.OutFilesIn(dir).ToList();
        if (runs.Count > 0) AtomicFile.WriteAll<IReadOnlyList<ValidationRun>>(runs, files);

        var haFailed = false;
        if (request.Ha is { Count: > 0 } haNames)
        {
            var cases = new List<HaCase>();
            foreach (var mechanism in haNames.Select(n => HaValidation.Parse(n)!.Value))
            {
                if (HaEnvironment.Missing(mechanism) is { } why)
                {
                    missing.Add($"--ha {HaComparison.Name(mechanism)}: {why}");
                    continue;
                }
                stdout.WriteLine($"HA {HaComparison.Name(mechanism)} on real servers (switchover, then crash failover)");
                foreach (var ev in new[] { HaEvent.Switchover, HaEvent.Crash })
                {
                    var c = HaValidation.RunCaseAsync(mechanism, ev, request.Keep, m => stdout.WriteLine($"  {m}"), ct).GetAwaiter().GetResult();
                    HaValidation.WriteTable(stdout, c);
                    cases.Add(c);
                }
                stdout.WriteLine();
            }
            if (cases.Count > 0)
            {
                var haFiles = HaValidation.WriteFiles(dir0, cases);
                var fields = cases.SelectMany(c => c.Fields).ToList();
                stdout.WriteLine($"HA: {cases.Count} case(s), fields {fields.Count(f => f.Agrees)}/{fields.Count} agree; files: {string.Join(", ", haFiles)}");
                haFailed = cases.Any(c => !c.Agrees);
            }
        }

        var agreed = runs.Count(r => r.Agrees);
        if (request.ScenarioPaths.Count > 0) stdout.WriteLine($"{runs.Count} run(s): {agreed} agree, {runs.Count - agreed} disagree; decisions {runs.Sum(r => r.Agreed)}/{runs.Sum(r => r.Decisions.Count)} agree");
        // Each compared field on its own (removed, recycled, added, cutoff, files, oldest_file, wal_status, …) over all runs.
        var byField = runs.SelectMany(r => r.Fields).GroupBy(f => f.Field, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Sum(f => f.Agreed)}/{g.Sum(f => f.Compared)}").ToList();
        if (byField.Count > 0) stdout.WriteLine($"by field: {string.Join("  ", byField)}");
        // walsim replay over the samples each run recorded: its decisions, and how often a sample fell in the
        // invalidation/removal window.
        var replays = runs.Where(r => r.Replay is not null).Select(r => r.Replay!).ToList();
        if (replays.Count > 0)
            stdout.WriteLine($"replay of the runs' samples: {replays.Count(r => r.Agrees)}/{replays.Count} agree, decisions {replays.Sum(r => r.Agreed)}/{replays.Sum(r => r.Decisions)} agree over {replays.Sum(r => r.Samples)} samples; " +
                $"a sample fell between an invalidation and its file removal in {replays.Count(r => r.Races.Count > 0)} run(s)");
        if (runs.Count > 0) stdout.WriteLine($"reports: {string.Join(", ", files.Select(f => f.Path))}");
        foreach (var m in missing) stderr.WriteLine($"walsim: {m}");
        if (runs.Any(r => !r.Agrees) || haFailed) return ExitCode.ExpectationsFailed;
        return missing.Count > 0 ? ExitCode.ServerUnavailable : ExitCode.Ok;
    });
}

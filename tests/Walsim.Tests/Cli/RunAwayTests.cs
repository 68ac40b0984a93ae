using Walsim.Analyzer.Reports;
using Walsim.Cli;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>
/// A typo that would make a run write gigabytes or run for hours is refused before anything runs or is written;
/// an interrupted or killed run leaves no temporary file behind for long.
/// </summary>
public sealed class RunAwayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-runaway-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliRun Walsim(params string[] args) => CliRun.Invoke(null, args);

    private string Scenario(string name, string body)
    {
        var path = Path.Combine(_dir, name + ".yaml");
        File.WriteAllText(path, body);
        return path;
    }

    [Theory]
    [InlineData("long", "versions: [15]\nduration: 100000d", "timeline rows per version")]
    [InlineData("fine", "versions: [15]\nduration: 1h\nsample_interval: 1us", "timeline rows per version")]
    [InlineData("fast", "versions: [15]\nduration: 1d\nsample_interval: 0\nworkload:\n  - constant: 100TB/s", "WAL segments written")]
    public void A_run_away_shape_is_refused_before_any_file_is_written(string name, string body, string what)
    {
        var scenario = Scenario(name, body);
        var outDir = Path.Combine(_dir, "out");
        foreach (var args in new[]
                 {
                     new[] { "simulate", scenario, "--out", outDir, "--html" },
                     ["whatif", scenario, "--from", "15", "--to", "17", "--out", outDir],
                 })
        {
            var (code, _, err) = Walsim(args);
            Assert.Equal((int)ExitCode.InvalidScenario, code);
            Assert.Contains(what, err);
            Assert.Contains("Nothing was run or written; give --force to run it anyway.", err);
            Assert.False(Directory.Exists(outDir), $"{args[0]} created {outDir}");
        }
    }

    [Fact]
    public void Check_counts_a_run_away_scenario_as_an_error_and_checks_the_others()
    {
        var bad = Scenario("a-long", "versions: [15]\nduration: 100000d");
        Scenario("b-fine", "versions: [15]\nduration: 1h\nexpect:\n  - {disk_full: never}");
        var (code, stdout, _) = Walsim("check", _dir);
        Assert.Equal((int)ExitCode.InvalidScenario, code);
        Assert.Contains($"ERROR {bad}: this run would be too large on PostgreSQL 15.18", stdout);
        Assert.Contains("PASS  b-fine", stdout);
        Assert.Contains("2 scenario(s): 1 passed, 0 failed, 1 error(s)", stdout);
    }

    [Fact]
    public void Force_runs_what_the_limits_would_refuse()
    {
        // Just past the 5 million rows: 1h at 700us is 5.1 million rows, and refused without --force.
        var limits = global::Walsim.Simulator.Engine.RunLimits.Default;
        var scenario = global::Walsim.Analyzer.Scenarios.ScenarioLoader.Parse("versions: [15]\nduration: 1h\nsample_interval: 700us", "x.yaml");
        Assert.NotNull(RunGuard.Refusal(scenario, scenario.Versions, force: false, limits));
        Assert.Null(RunGuard.Refusal(scenario, scenario.Versions, force: true, limits));
    }

    [Fact]
    public void A_killed_runs_temporary_files_are_removed_by_the_next_file_written_there()
    {
        // A process that no longer runs (pid 2^22 + 1 is above Linux's pid_max default) left its temporary files.
        var dead = Path.Combine(_dir, ".timeline-15.18.csv.4194305.0123456789abcdef0123456789abcdef.tmp");
        var otherName = Path.Combine(_dir, ".events-15.18.csv.4194305.0123456789abcdef0123456789abcdef.tmp");
        var mine = Path.Combine(_dir, $".timeline-15.18.csv.{Environment.ProcessId}.0123456789abcdef0123456789abcdef.tmp");
        foreach (var f in new[] { dead, otherName, mine }) File.WriteAllText(f, "half a report");

        AtomicFile.Write(Path.Combine(_dir, "timeline-15.18.csv"), w => w.Write("sample\n"));

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(otherName), "only the temporary files of the file being written are looked at");
        Assert.True(File.Exists(mine), "this process's own temporary files are its business");
        Assert.Equal("sample\n", File.ReadAllText(Path.Combine(_dir, "timeline-15.18.csv")));
    }

    [Fact]
    public void On_a_signal_the_reports_being_written_are_deleted_and_their_destinations_keep_what_they_had()
    {
        var target = Path.Combine(_dir, "report.csv");
        File.WriteAllText(target, "the previous complete report\n");
        using var file = AtomicFile.Create(target);
        file.Writer.Write("half of the new one");
        file.Writer.Flush();
        Assert.True(File.Exists(file.TempPath));

        Assert.True(AtomicFile.DeleteUncommitted() >= 1);

        Assert.False(File.Exists(file.TempPath));
        Assert.Equal("the previous complete report\n", File.ReadAllText(target));
    }
}

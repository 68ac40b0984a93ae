using Walsim.Analyzer.Live;
using Walsim.Cli;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Live;

namespace Walsim.Tests.Cli;

/// <summary>Input the engine cannot use is invalid input (exit 2, its message), not a usage error and not a bug.</summary>
public sealed class InputErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-input-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliRun Walsim(Func<string, Scenario>? load, params string[] args) => CliRun.Invoke(load, args);

    /// <summary>A sample file of one sample: a position, but no rate to fit.</summary>
    private string OneSample()
    {
        var path = Path.Combine(_dir, "one.csv");
        var first = ForecastTests.TwoHours()[0];
        File.WriteAllText(path, LiveFixtures.Csv([.. first.Slots.Select(s => (first.Server, (SlotSample?)s))]));
        File.WriteAllText(SampleFile.SettingsPath(path), SampleCsv.SettingsHeader + "\n1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n");
        return path;
    }

    [Theory]
    [InlineData("forecast")]
    [InlineData("plan")]
    public void Samples_too_few_to_fit_a_workload_exit_2_naming_the_file(string command)
    {
        var file = OneSample();
        var run = Walsim(null, command, file, "--runs", "2");
        Assert.True(run.Code == (int)ExitCode.InvalidScenario, $"exit {run.Code}: {run.Err}");
        Assert.Contains($"walsim: {file}: cannot fit the workload: at least two observations are needed to measure a rate", run.Err);
        Assert.DoesNotContain("Parameter", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void A_scenario_without_a_consumer_has_nothing_to_plan_exit_2_while_a_slot_named_wrongly_is_a_usage_error()
    {
        var file = Path.Combine(_dir, "quiet.yaml");
        File.WriteAllText(file, "");
        Scenario load(string f) => new()
        {
            Name = "quiet",
            SourceFile = f,
            Versions = [PgVersion.Parse("15")],
            Workload = new Workload([new ConstantRate(64 * 1024, SimTime.Zero, SimTime.Never)]),
            Slots = [new SlotSpec { Name = "forgotten" }],
            Duration = SimDuration.FromHours(2),
        };

        var nothing = Walsim(load, "plan", file, "--runs", "1", "--outage", "1h", "--cap", "1GB");
        Assert.True(nothing.Code == (int)ExitCode.InvalidScenario, $"exit {nothing.Code}: {nothing.Err}");
        Assert.Contains($"walsim: {file}: the scenario has no slot with a consumer", nothing.Err);

        var named = Walsim(load, "plan", file, "--runs", "1", "--outage", "1h", "--cap", "1GB", "--slot", "forgotten");
        Assert.Equal((int)ExitCode.UsageError, named.Code);
        Assert.Contains("walsim: --slot: slot \"forgotten\" has no consumer", named.Err);
    }
}

using Walsim.Analyzer.Scenarios;
using Walsim.Analyzer.Validation;

namespace Walsim.Tests.Validation;

/// <summary>
/// A test that needs real PostgreSQL binaries (scripts/install-postgres.sh). Skipped on a developer machine without
/// them; under CI=true it runs and a missing install is a failure, so CI can never pass by skipping it.
/// </summary>
public sealed class RealServerFactAttribute : FactAttribute
{
    public RealServerFactAttribute(int major) => Skip = SkipReason(major);

    /// <summary>Why a test needing <paramref name="majors"/> is skipped here, or null: never under CI=true.</summary>
    internal static string? SkipReason(params int[] majors)
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var missing = majors.Where(m => PostgresInstall.Find(m, PostgresInstall.DefaultRoot()) is null).ToList();
        return ci || missing.Count == 0 ? null
            : $"PostgreSQL {string.Join(", ", missing)} is not installed under {PostgresInstall.DefaultRoot()} (run scripts/install-postgres.sh); with CI=true this test fails instead";
    }
}

/// <summary>
/// The theory form of <see cref="RealServerFactAttribute"/>, one row per major (xUnit 2 skips a theory whole, so a
/// developer machine skips it unless every major is installed; CI=true runs every row).
/// </summary>
public sealed class RealServerTheoryAttribute : TheoryAttribute
{
    public RealServerTheoryAttribute(params int[] majors) => Skip = RealServerFactAttribute.SkipReason(majors);
}

/// <summary>019_replslot_limit.pl replayed on real servers: every decision must agree with the model.</summary>
public class RealServerTests
{
    private static string Scenario(string name) =>
        RepoPaths.Of("scenarios", name);

    private static async Task AgreesOn(int major)
    {
        var install = PostgresInstall.Find(major, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL {major} binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        var run = await new StepDriver(ScenarioLoader.Load(Scenario("019-replslot-limit.yaml")), install!).RunAsync(keep: false, _ => { }, CancellationToken.None);
        // reserved -> extended -> unreserved -> lost: 17 checkpoints, the last one invalidates rep1.
        Assert.Equal(17, run.Checkpoints);
        Assert.Equal("rep1", run.Decisions.Last(d => d.Field == "invalidated").Observed);
        Assert.All(run.Decisions, d => Assert.True(d.Agrees, $"step {d.Step} {d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}; {d.Inputs}"));
        // The run recorded as walsim sample would have (a sample around every step and more between) and replayed by
        // walsim replay's code: it sees the same 17 checkpoints and agrees on every decision, rep1's loss included.
        var replay = run.Replay!;
        Assert.True(replay.Samples >= 60, $"{replay.Samples} samples");
        Assert.Equal(17, replay.Checkpoints);
        Assert.True(replay.Agrees, string.Join("\n", replay.Disagreements.Select(d => $"sample {d.Sample} {d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}; {d.Inputs}")));
        Assert.Contains(replay.Fields, f => f.Field == "invalidated" && f.Decisions == 17);
        Assert.Null(replay.SampleFile); // no SamplesDirectory: the file went with the run
    }

    // 13–15 log one line per invalidation; 16+ a LOG and a DETAIL line and print lsn/redo lsn.
    [RealServerFact(13)]
    public Task Replslot_limit_agrees_with_a_real_13_server() => AgreesOn(13);

    [RealServerFact(18)]
    public Task Replslot_limit_agrees_with_a_real_18_server() => AgreesOn(18);
}

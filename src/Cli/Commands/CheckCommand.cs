using System.CommandLine;

namespace Walsim.Cli.Commands;

/// <summary><c>walsim check</c>: its arguments, options, help examples and the action that hands them to <see cref="CheckService"/>.</summary>
internal static class CheckCommand
{
    public const string Examples = """
        walsim check scenarios/019-replslot-limit.yaml
        walsim check scenarios/ --junit test-results/walsim.xml
        """;

    public static Command Create(CheckService service)
    {
        var target = new Argument<string>("path") { Description = "A scenario file, or a folder: every *.yaml and *.yml file in it, in name order." };
        target.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !File.Exists(path) && !Directory.Exists(path)) r.AddError($"{path}: no such file or directory");
        });
        var junit = new Option<string>("--junit")
        {
            Description = "Also write the results as JUnit XML to this file, for CI test reports.",
            HelpName = "file",
        };
        junit.AcceptLegalFilePathsOnly();

        var command = new Command("check", """
            Runs every scenario on each of its versions and tests the expectations under its 'expect:' key. Prints one PASS or FAIL line per expectation and version, with the value the simulation observed, then the totals. The exit code is 0 only if every expectation passed, so it can gate a CI job or a configuration change.
            """) { target, junit };
        command.SetAction(r => (int)service.Run(r.GetRequiredValue(target), r.GetValue(junit)));
        return command;
    }
}

namespace Walsim.Cli.Commands;

/// <summary><c>walsim check</c>: its arguments, options, help examples and the action that hands them to <see cref="CheckService"/>.</summary>
internal static class CheckCommand
{
    public const string Examples = """
        walsim check scenarios/019-replslot-limit.yaml
        walsim check scenarios/ --junit test-results/walsim.xml
        walsim check scenarios/019-replslot-limit.yaml scenarios/small-disk-cap-*.yaml
        """;

    public static Command Create(CheckService service)
    {
        var target = InputPaths("path", "Scenario files and folders, in the order given: a folder means every *.yaml and *.yml file directly in it, in name order. A file named twice is checked once.", folders: true, InputKind.Scenario);
        var junit = OutFile("--junit", "Also write the results as JUnit XML to this file, for CI test reports.");
        var force = Force();

        var command = new Command("check", """
            Runs every scenario on each of its versions and tests the expectations under its 'expect:' key. Prints one PASS or FAIL line per expectation and version, with the value the simulation observed, then the totals. The exit code is 0 only if every expectation passed, so it can gate a CI job or a configuration change.
            """) { target, junit, force };
        command.SetAction(r => (int)service.Run(r.GetRequiredValue(target), r.GetValue(junit), r.GetValue(force)));
        return command;
    }
}

namespace Walsim.Tests;

/// <summary>The layering the README promises, checked on the compiled assemblies rather than trusted to review.</summary>
public sealed class ArchitectureTests
{
    private static IReadOnlyList<string> References(Type typeInAssembly) =>
        [.. typeInAssembly.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];

    [Theory]
    [InlineData("Npgsql")]
    [InlineData("CsvHelper")]
    [InlineData("YamlDotNet")]
    [InlineData("System.CommandLine")]
    public void The_engine_references_no_database_file_format_or_command_line_library(string library)
    {
        // The engine is pure: servers, files and the command line are the Analyzer's and the CLI's business.
        var engine = References(typeof(Walsim.Simulator.Engine.Simulation));
        Assert.DoesNotContain(engine, name => name == library || name.StartsWith(library + ".", StringComparison.Ordinal));
    }

    [Fact]
    public void The_check_sees_package_references_where_they_are()
    {
        // Without this, a reflection call that listed nothing would pass the test above.
        Assert.Contains("Npgsql", References(typeof(Walsim.Analyzer.Live.LiveConnection)));
        Assert.Contains("YamlDotNet", References(typeof(Walsim.Analyzer.Scenarios.ScenarioLoader)));
        Assert.Contains("System.CommandLine", References(typeof(Walsim.Cli.WalsimCommands)));
    }
}

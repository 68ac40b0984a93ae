using Walsim.Cli;
using Walsim.Simulator.Scenarios;

namespace Walsim.Tests.Cli;

/// <summary>One <c>walsim</c> command line run in-process, its stdout and stderr captured (LF line ends).</summary>
public sealed record CliRun(int Code, string Out, string Err)
{
    /// <param name="load">Reads a scenario file; null = the real loader.</param>
    /// <param name="args">The command line, without "walsim".</param>
    public static CliRun Invoke(Func<string, Scenario>? load, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr, load).Invoke(args);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}

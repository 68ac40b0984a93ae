using Walsim.Cli;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>The options several commands share (src/Cli/Commands/CliOptions.cs): the same value is accepted or refused
/// the same way by every command, and a refusal says what was wrong and what to give instead.</summary>
public sealed class CliOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Input => File.Exists(Path.Combine(_dir, "in.yaml")) ? Path.Combine(_dir, "in.yaml") : Write("in.yaml");

    private string Write(string name)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "");
        return path;
    }

    private static (int Code, string Err) Walsim(params string[] args)
    {
        var run = CliRun.Invoke(_ => throw new InvalidOperationException("a usage error must stop before loading"), args);
        return (run.Code, run.Err);
    }

    [Theory]
    [InlineData("forecast", "--read-only-at 150% --disk 10GB", "--read-only-at: expected a share of the volume above 0% and at most 100%, like 95%, got \"150%\"")]
    [InlineData("plan", "--read-only-at 150%", "--read-only-at: expected a share of the volume above 0% and at most 100%, like 95%, got \"150%\"")]
    [InlineData("plan", "--read-only-at 0%", "--read-only-at: expected a share of the volume above 0% and at most 100%, like 95%, got \"0%\"")]
    [InlineData("forecast", "--read-only-at 95%", "--read-only-at needs --disk: the threshold is a share of the volume")]
    [InlineData("plan", "--threads 0", "--threads: expected a whole number, 1 or more, got \"0\"")]
    [InlineData("plan", "--seed abc", "--seed: expected a whole number like 7, got \"abc\"")]
    [InlineData("forecast", "--seed abc", "--seed: expected a whole number like 7, got \"abc\"")]
    [InlineData("forecast", "--runs many", "--runs: expected a whole number from 1 to 100000, got \"many\"")]
    [InlineData("plan", "--runs 0", "--runs: expected a whole number from 1 to 100000, got \"0\"")]
    [InlineData("plan", "--steps 1", "--steps: expected a whole number from 2 to 100, got \"1\"")]
    [InlineData("forecast", "--disk 0", "--disk: expected a size more than 0, like 200GB, got \"0\"")]
    [InlineData("plan", "--disk lots", "--disk: expected a size like 64MB or 1GB, got \"lots\" (or none, to plan without a volume)")]
    [InlineData("plan", "--risk 100%", "--risk: expected a probability from 0% up to (not including) 100%, like 1%, got \"100%\"")]
    [InlineData("plan", "--margin -5%", "--margin: expected a share of 0% or more, like 20%, got \"-5%\"")]
    [InlineData("plan", "--window 0s", "--window: must be more than 0, got \"0s\"")]
    [InlineData("forecast", "--horizon week", "--horizon: expected a duration like 10s or 5min, got \"week\"")]
    [InlineData("replay", "--until soon", "--until: expected a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z), got \"soon\"")]
    [InlineData("simulate", "--pg ''", "--pg: expected a PostgreSQL version like 15 or 13.4, got \"\"")]
    [InlineData("simulate", "--pg 13,,15", "--pg: expected a PostgreSQL version like 15 or 13.4, got \"\"")]
    [InlineData("plan", "--pg ''", "--pg: expected a PostgreSQL version like 15 or 13.4, got \"\"")]
    [InlineData("whatif", "--from 12 --to ''", "--to: expected a PostgreSQL version like 15 or 13.4, got \"\"")]
    [InlineData("validate", "--pg ''", "--pg: expected a major from 12 to 18, got \"\"")]
    [InlineData("validate", "--pg 11", "--pg: expected a major from 12 to 18, got \"11\"")]
    public void A_bad_value_is_a_usage_error_that_says_what_to_give_instead(string command, string options, string message)
    {
        // '' stands for an empty argument (--pg "" in a shell).
        var run = Walsim([command, Input, .. options.Split(' ').Select(a => a == "''" ? "" : a)]);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains($"walsim: {message}\n", run.Err);
        Assert.Contains($"Try 'walsim {command} --help'.", run.Err);
        Assert.DoesNotContain("System.", run.Err);
    }

    /// <summary>Bad values for every shared option, tried on every command that has it.</summary>
    public static TheoryData<string, string> SharedOptions => new()
    {
        { "--disk", "0" }, { "--read-only-at", "150%" }, { "--runs", "0" }, { "--seed", "abc" }, { "--threads", "0" },
        { "--until", "soon" }, { "--horizon", "0s" }, { "--period", "1" }, { "--bucket", "-5s" }, { "--target", "x" },
        { "--window", "0" }, { "--interval", "0s" }, { "--duration", "soon" },
    };

    [Theory, MemberData(nameof(SharedOptions))]
    public void A_shared_option_refuses_a_bad_value_with_the_same_message_in_every_command(string option, string bad)
    {
        var commands = new WalsimCommands(TextWriter.Null, TextWriter.Null).Root.Subcommands
            .Where(c => c.Options.Any(o => o.Name == option)).ToList();
        Assert.NotEmpty(commands);
        var messages = new Dictionary<string, string>();
        foreach (var command in commands)
        {
            // sample takes no file; every other command's first argument is an input file.
            string[] args = command.Name == "sample" ? [command.Name, $"{option}={bad}"] : [command.Name, Input, $"{option}={bad}"];
            var run = Walsim(args);
            Assert.True(run.Code == (int)ExitCode.UsageError, $"walsim {string.Join(' ', args)}: exit {run.Code}\n{run.Err}");
            // The complaint up to the value quoted; a command may then add what else it accepts (plan: --disk none).
            var line = run.Err.Split('\n')[0];
            var quoted = line.IndexOf($"got \"{bad}\"", StringComparison.Ordinal);
            messages[command.Name] = quoted < 0 ? line : line[..(quoted + bad.Length + 6)];
        }
        Assert.Single(messages.Values.Distinct());
    }
}

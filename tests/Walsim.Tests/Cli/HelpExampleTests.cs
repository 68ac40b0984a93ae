using System.CommandLine.Parsing;
using System.Text;
using Walsim.Cli;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>
/// The examples under <c>walsim --help</c> and each command's <c>--help</c> can be pasted at the repository's root:
/// each parses, and every file it reads is in the repository or is what a <c>walsim sample</c> example writes.
/// </summary>
public sealed class HelpExampleTests
{

    private sealed record Example(string Help, string Line, IReadOnlyList<string> Words);

    private static List<Example> AllExamples()
    {
        var commands = new WalsimCommands(TextWriter.Null, TextWriter.Null);
        var helps = new[] { "" }.Concat(commands.Root.Subcommands.Select(c => c.Name));
        var examples = new List<Example>();
        foreach (var help in helps)
        {
            var stdout = new StringWriter { NewLine = "\n" };
            new WalsimCommands(stdout, TextWriter.Null).Invoke(help.Length == 0 ? ["--help"] : [help, "--help"]);
            var lines = stdout.ToString().Split('\n');
            var start = Array.IndexOf(lines, "Examples:");
            Assert.True(start >= 0, $"walsim {help} --help has no examples");
            examples.AddRange(lines.Skip(start + 1).TakeWhile(l => l.Length > 0)
                .Select(l => new Example(help.Length == 0 ? "walsim" : $"walsim {help}", l.Trim(), ShellWords(l))));
        }
        return examples;
    }

    [Fact]
    public void Every_file_a_help_example_reads_is_in_the_repository_or_written_by_another_example()
    {
        var examples = AllExamples();
        var root = new WalsimCommands(TextWriter.Null, TextWriter.Null).Root;

        // What the walsim sample examples write (its --out, default samples.csv) is what later examples read.
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in examples.Where(e => e.Words is ["walsim", "sample", ..]))
            written.Add(root.Parse(e.Words.Skip(1).ToList()).GetValue<string>("--out") ?? "samples.csv");

        var problems = new List<string>();
        foreach (var e in examples)
        {
            if (e.Words[0] != "walsim")
            {
                if (!File.Exists(Path.Combine(RepoPaths.Root, e.Words[0]))) problems.Add($"{e.Help} --help: `{e.Line}`: {e.Words[0]} is not in the repository");
                continue;
            }
            var parsed = root.Parse(e.Words.Skip(1).ToList());
            // Inputs are checked below against the repository's root, not the test's working directory.
            foreach (var error in parsed.Errors.Where(x => !x.Message.EndsWith(": no such file or directory", StringComparison.Ordinal)))
                problems.Add($"{e.Help} --help: `{e.Line}`: {error.Message}");
            var command = parsed.CommandResult.Command;
            if (command.Name is "sample" or "watch") continue; // its argument is a connection string
            // Every command's arguments are the files it reads, and --workload-from is one.
            var inputs = parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens)
                .Concat(parsed.CommandResult.Children.OfType<OptionResult>().Where(o => o.Option.Name == "--workload-from").SelectMany(o => o.Tokens))
                .Select(t => t.Value);
            foreach (var input in inputs)
                if (!written.Contains(input) && !InRepository(input))
                    problems.Add($"{e.Help} --help: `{e.Line}`: {input} is not in the repository (look in scenarios/ and scenarios/traces/)");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_example_file_rule_catches_a_file_that_is_not_there() =>
        Assert.False(InRepository("scenarios/traces/diurnal-15/samples.csv"));

    /// <summary>A path relative to the repository's root; a file name with '*' is a shell glob that must match something.</summary>
    private static bool InRepository(string path)
    {
        var full = Path.Combine(RepoPaths.Root, path);
        if (!Path.GetFileName(path).Contains('*', StringComparison.Ordinal)) return File.Exists(full) || Directory.Exists(full);
        var dir = Path.GetDirectoryName(full)!;
        return Directory.Exists(dir) && Directory.GetFiles(dir, Path.GetFileName(path)).Length > 0;
    }

    /// <summary>
    /// An example line as a POSIX shell splits it, for what the examples use: quotes, a trailing <c># comment</c>,
    /// leading <c>NAME=value</c> environment assignments and a <c>&gt; file</c> redirection (both dropped).
    /// </summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var (inWord, quote) = (false, '\0');
        foreach (var c in line.Trim())
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
            }
            else if (c is '"' or '\'') (quote, inWord) = (c, true);
            else if (c == '#' && !inWord) break;
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                (word, inWord) = (new StringBuilder(), false);
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());

        var start = words.FindIndex(w => !System.Text.RegularExpressions.Regex.IsMatch(w, "^[A-Z_]+="));
        words = words[start..];
        var redirect = words.IndexOf(">");
        if (redirect >= 0) words.RemoveRange(redirect, Math.Min(2, words.Count - redirect));
        return words;
    }
}

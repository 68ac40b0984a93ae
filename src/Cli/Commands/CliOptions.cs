using System.CommandLine.Parsing;

namespace Walsim.Cli.Commands;

/// <summary>
/// The options several commands share, built in one place so that an option means and validates the same everywhere.
/// Every value is checked while parsing: a bad one is a usage error (exit 3) whose message names the option, says what
/// to give instead and quotes what was given. Each command gives its own description (what the value is for there).
/// </summary>
internal static class CliOptions
{
    // ---- files

    /// <summary>An input file that must exist. A string (not FileInfo) keeps the path as typed, which is how messages name it.</summary>
    public static Argument<string> InputFile(string name, string description, InputKind kind)
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && InputProblem(path, kind) is { } problem) r.AddError(problem);
        });
        return argument;
    }

    /// <summary>One or more input paths that must exist: files, or also folders when <paramref name="folders"/>.</summary>
    public static Argument<string[]> InputPaths(string name, string description, bool folders, InputKind kind)
    {
        var argument = new Argument<string[]>(name) { Description = description, Arity = ArgumentArity.OneOrMore };
        argument.Validators.Add(r =>
        {
            foreach (var path in r.GetValueOrDefault<string[]>() ?? [])
                if (!(folders && Directory.Exists(path)) && InputProblem(path, kind) is { } problem) r.AddError(problem);
        });
        return argument;
    }

    /// <summary>An option naming an input file that must exist (<c>--workload-from</c>).</summary>
    public static Option<string> InputFileOption(string name, string description, InputKind kind)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "file" };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && InputProblem(path, kind) is { } problem) r.AddError(problem);
        });
        return option;
    }

    /// <summary>Why <paramref name="path"/> cannot be read as <paramref name="kind"/>, or null when it is a file. A
    /// directory is said to be one, with a file in it that would do (the commonest slip: the folder of a trace).</summary>
    private static string? InputProblem(string path, InputKind kind)
    {
        if (File.Exists(path)) return null;
        if (kind.Urls && Walsim.Analyzer.History.HistoryProbe.IsUrl(path)) return null;
        // A rotated server log: its directory, or a glob the shell was told to leave alone.
        if (kind.LogSets && Walsim.Analyzer.Sources.LogFiles.IsLogSet(path)) return null;
        if (!Directory.Exists(path)) return $"{path}: no such file or directory";
        string? example = null;
        try
        {
            example = kind.Patterns
                .SelectMany(p => Directory.EnumerateFiles(path, p).Order(StringComparer.Ordinal))
                .FirstOrDefault(f => !f.EndsWith(".settings.csv", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder: the message goes without an example.
        }
        var like = example is null ? "" : $", like {example}";
        var hint = kind.FolderHint is null ? "" : $" ({kind.FolderHint})";
        return $"{path}: is a directory; give {kind.Expected}{like}{hint}";
    }

    /// <summary><c>--log-format</c>: a server log's format when its content would be misjudged.</summary>
    public static Option<string> LogFormat() =>
        new Option<string>("--log-format") { Description = "Server logs only: stderr, csvlog or jsonlog (jsonlog also reads CloudNativePG and Cloud Logging JSON), when the content would be misjudged. [default: told by each file's content]", HelpName = "format" }
            .AcceptOnlyFromAmong("stderr", "csvlog", "jsonlog");

    /// <summary><c>--log-line-prefix</c>: a stderr log's log_line_prefix when the detection is not enough.</summary>
    public static Option<string> LogLinePrefix() =>
        new("--log-line-prefix") { Description = "Server logs only: the server's log_line_prefix (e.g. '%s %m [%p] '), when the time is not the first date-time before the level (a session start %s before it, an epoch %n). [default: detected]", HelpName = "prefix" };

    /// <summary>The two log options as <see cref="Walsim.Analyzer.History.HistoryOptions"/> fields; a prefix walsim cannot use is a usage error.</summary>
    public static bool TryLogOptions(ParseResult r, Option<string> format, Option<string> prefix, TextWriter stderr,
        out Walsim.Analyzer.Sources.LogFormat? logFormat, out Walsim.Analyzer.Sources.LogLinePrefix? logLinePrefix)
    {
        logFormat = r.GetValue(format) switch
        {
            "csvlog" => Walsim.Analyzer.Sources.LogFormat.Csvlog,
            "jsonlog" => Walsim.Analyzer.Sources.LogFormat.Jsonlog,
            "stderr" => Walsim.Analyzer.Sources.LogFormat.Stderr,
            _ => null,
        };
        logLinePrefix = null;
        if (r.GetValue(prefix) is not { } text) return true;
        try
        {
            logLinePrefix = Walsim.Analyzer.Sources.LogLinePrefix.Parse(text);
            return true;
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"walsim: --log-line-prefix: {e.Message}");
            return false;
        }
    }

    /// <summary><c>--out DIR</c>: where a command writes its reports. Whether they can be written there is checked by
    /// the command before it runs (<see cref="OutputPaths"/>): a failure to write is exit 4, whenever it is found.</summary>
    public static Option<string> OutDir(string description)
    {
        var option = new Option<string>("--out") { Description = description, HelpName = "dir" };
        option.AcceptLegalFilePathsOnly();
        return option;
    }

    /// <summary>An option naming a file the command writes (<c>--junit</c>, <c>--csv</c>, a sample file): any legal
    /// path; whether it can be written is the command's to find out, as for <see cref="OutDir"/>.</summary>
    public static Option<string> OutFile(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "file" };
        option.AcceptLegalFilePathsOnly();
        return option;
    }

    // ---- versions

    /// <summary>One version (<c>--pg 15</c>, <c>--from 13.3</c>); a major alone means its newest known minor.</summary>
    public static Option<PgVersion?> Version(string name, string description) =>
        SingleValue(name, description, "version", (text, r) => ParseVersion(name, text, r));

    /// <summary><c>--pg 12,13.3 --pg 15</c>: every token, split at commas, parsed as a version; duplicates dropped.</summary>
    public static Option<IReadOnlyList<PgVersion>> Versions(string name, string description) =>
        DistinctList(name, description, "versions", (text, r) => ParseVersion(name, text, r));

    /// <summary><c>--pg 12,15 --pg 18</c>: majors only (validate runs the installed servers, one per major).</summary>
    public static Option<IReadOnlyList<int>> Majors(string name, string description) =>
        DistinctList<int>(name, description, "majors", (text, r) =>
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && SupportedVersions.IsSupported(m)) return m;
            r.AddError($"{name}: expected a major from {SupportedVersions.Range}, got \"{text}\"");
            return null;
        });

    private static PgVersion? ParseVersion(string name, string text, ArgumentResult r)
    {
        if (TryParseVersion(text, out var v, out var error)) return v;
        r.AddError(VersionError(name, text, error));
        return null;
    }

    /// <summary>Every token, split at commas, read by <paramref name="parse"/> (null after adding an error, and then
    /// the list is empty); duplicates dropped, first-given order kept.</summary>
    private static Option<IReadOnlyList<T>> DistinctList<T>(string name, string description, string helpName, Func<string, ArgumentResult, T?> parse)
        where T : struct => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r =>
        {
            var items = new List<T>();
            foreach (var text in Entries(r))
            {
                if (parse(text, r) is not { } item) return [];
                if (!items.Contains(item)) items.Add(item);
            }
            return items;
        },
    };

    /// <summary>
    /// A version on the command line: as <see cref="PgVersion.TryParse"/>, except that a minor newer than any walsim
    /// knows (<c>--pg 15.20</c>) is modelled as the newest known one (<see cref="SupportedVersions.Model"/>);
    /// <see cref="NewerMinorNotes"/> says so once the command line is parsed.
    /// </summary>
    private static bool TryParseVersion(string text, out PgVersion version, out string? error)
    {
        if (PgVersion.TryParse(text, out version, out error)) return true;
        if (!IsMajorDotMinor(text) || !PgVersion.TryParseReported(text, out var reported)) return false;
        version = SupportedVersions.Model(reported).Model;
        error = null;
        return true;
    }

    private static bool IsMajorDotMinor(string text) =>
        text.Trim() is var t && t.Count(c => c == '.') == 1 && t.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>The lines saying which versions on the command line are modelled as an older minor (one per version).</summary>
    public static IEnumerable<string> NewerMinorNotes(ParseResult parsed)
    {
        var seen = new HashSet<PgVersion>();
        foreach (var option in parsed.CommandResult.Children.OfType<OptionResult>())
        {
            if (option.Option.ValueType != typeof(PgVersion?) && option.Option.ValueType != typeof(IReadOnlyList<PgVersion>)) continue;
            foreach (var token in option.Tokens)
                foreach (var text in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    if (IsMajorDotMinor(text) && PgVersion.TryParseReported(text, out var v) && seen.Add(v)
                        && SupportedVersions.Model(v).Note is { } note)
                        yield return note;
        }
    }

    /// <summary>PgVersion's message, with what was given when it does not quote it (an empty value).</summary>
    private static string VersionError(string name, string text, string? error) =>
        text.Trim().Length == 0 ? $"{name}: {error}, got \"{text}\"" : $"{name}: {error}";

    /// <summary>A list option's entries: every token split at commas. An empty entry (<c>--pg ""</c>, <c>15,,17</c>) is
    /// kept, for the parser to refuse: silently dropping it would run something the user did not ask for.</summary>
    private static IEnumerable<string> Entries(ArgumentResult r) =>
        r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries));

    // ---- sizes and shares

    /// <summary>
    /// <c>--disk 200GB</c>: the pg_wal volume's size, more than zero. Where <paramref name="noneAllowed"/>, <c>none</c>
    /// (or <c>unlimited</c>) gives null: no volume, told apart from the option's absence by <c>GetResult</c>.
    /// </summary>
    public static Option<ByteCount?> Disk(string description, bool noneAllowed = false) =>
        SingleValue<ByteCount?>("--disk", description, "size", (text, r) =>
        {
            if (noneAllowed && text is "none" or "unlimited") return null;
            var orNone = noneAllowed ? " (or none, to plan without a volume)" : "";
            if (!ValueParser.TryParseSize(text, out var size, out var error)) r.AddError($"--disk: {error}{orNone}");
            else if (size.Bytes <= 0) r.AddError($"--disk: expected a size more than 0, like 200GB, got \"{text}\"{orNone}");
            else return size;
            return null;
        });

    /// <summary>
    /// <c>--read-only-at 95%</c>: a managed service's read-only threshold, a share of the volume above 0 and at most
    /// 100%. With <paramref name="needs"/>, that option must be given too (forecast has no scenario volume to fall back on).
    /// </summary>
    public static Option<double?> ReadOnlyAt(string description, Option<ByteCount?>? needs = null) =>
        SingleValue("--read-only-at", description, "share", (text, r) =>
        {
            var share = ParseShare(text, r.AddError, "--read-only-at", f => f is > 0 and <= 1, "a share of the volume above 0% and at most 100%, like 95%");
            // Checked here rather than by a command validator, which would hide a bad value behind the missing option.
            if (share is not null && needs is not null && r.GetResult(needs) is null) r.AddError($"--read-only-at needs {needs.Name}: the threshold is a share of the volume");
            return share;
        });

    /// <summary>
    /// A share (<c>95%</c> or <c>0.95</c>) with a default, that <paramref name="accept"/> accepts, else an error saying
    /// <paramref name="expected"/>. The value stays text so that the help shows the default as written
    /// (<c>[default: 1%]</c>); <see cref="ShareOf"/> reads it.
    /// </summary>
    public static Option<string> Share(string name, string description, string defaultShare, Func<double, bool> accept, string expected)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "share", DefaultValueFactory = _ => defaultShare };
        option.Validators.Add(r => ParseShare(r.GetValueOrDefault<string>() ?? "", r.AddError, name, accept, expected));
        return option;
    }

    /// <summary>The value of a <see cref="Share"/> option (checked while parsing).</summary>
    public static double ShareOf(ParseResult result, Option<string> option) =>
        ValueParser.TryParseFraction(result.GetRequiredValue(option), out var f, out _) ? f : throw new InvalidOperationException($"{option.Name} was not validated");

    private static double? ParseShare(string text, Action<string> error, string name, Func<double, bool> accept, string expected)
    {
        if (ValueParser.TryParseFraction(text, out var f, out _) && accept(f)) return f;
        error($"{name}: expected {expected}, got \"{text}\"");
        return null;
    }

    /// <summary><c>--format NAME</c>: how a report is printed on stdout, one of <paramref name="registry"/>'s printable formats.</summary>
    public static Option<string> Format<TReport>(Walsim.Analyzer.Reports.RendererRegistry<TReport> registry, string description)
    {
        var format = new Option<string>("--format") { Description = description, DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong(registry.StdoutNames);
        return format;
    }

    /// <summary><c>--html [FILE]</c>: also a self-contained HTML page; given alone, its default file.</summary>
    public static Option<string> HtmlPage(string description)
    {
        var html = new Option<string>("--html") { Description = description, HelpName = "file", Arity = ArgumentArity.ZeroOrOne };
        html.AcceptLegalFilePathsOnly();
        return html;
    }

    /// <summary><c>--force</c>: run a scenario whose estimated work is past the limits (<see cref="RunGuard"/>).</summary>
    public static Option<bool> Force() => new("--force")
    {
        Description = string.Create(CultureInfo.InvariantCulture,
            $"Run even when the scenario's estimated work is past walsim's limits ({Simulator.Engine.RunLimits.Default.TimelineRows:#,0} timeline rows per version, {Simulator.Engine.RunLimits.Default.Segments:#,0} WAL segments, {Simulator.Engine.RunLimits.Default.Checkpoints:#,0} checkpoints), which otherwise refuse it before anything is written."),
    };

    // ---- counts

    /// <summary><c>--runs N</c>: Monte Carlo runs, 1 to 100000.</summary>
    public static Option<int> Runs(string description, int defaultRuns) =>
        WholeNumber("--runs", description, defaultRuns, 1, 100_000);

    /// <summary><c>--seed N</c>: the master seed, any whole number.</summary>
    public static Option<int> Seed(string description) =>
        WholeNumber("--seed", description, 1, int.MinValue, int.MaxValue);

    /// <summary><c>--threads N</c>: 1 or more; absent = the processor count (a default that differs per machine is
    /// not shown as a number, so the help is the same everywhere).</summary>
    public static Option<int?> Threads(string description) => new("--threads")
    {
        Description = description,
        HelpName = "n",
        CustomParser = r => ParseWholeNumber(r, "--threads", 1, int.MaxValue),
    };

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, with a default.</summary>
    public static Option<int> WholeNumber(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseWholeNumber(r, name, min, max) ?? defaultValue,
    };

    private static int? ParseWholeNumber(ArgumentResult r, string name, int min, int max)
    {
        var text = Last(r);
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        var range = (min, max) switch
        {
            (int.MinValue, int.MaxValue) => "a whole number like 7",
            (_, int.MaxValue) => $"a whole number, {min} or more",
            _ => $"a whole number from {min} to {max}",
        };
        r.AddError($"{name}: expected {range}, got \"{text}\"");
        return null;
    }

    // ---- live servers

    /// <summary>The optional <c>connection</c> argument of a command that talks to a live server (as psql takes it).</summary>
    public static Argument<string?> ConnectionArgument(string description) =>
        new("connection") { Description = description, Arity = ArgumentArity.ZeroOrOne };

    /// <summary><c>--connection STRING</c>: a live server named by option.</summary>
    public static Option<string> ConnectionOption(string description) =>
        new("--connection") { Description = description, HelpName = "string" };

    // ---- time

    /// <summary>A duration in PostgreSQL's unit syntax (<c>500ms</c>, <c>10s</c>, <c>5min</c>, <c>1h</c>, <c>7d</c>), more than zero.</summary>
    public static Option<SimDuration?> Duration(string name, string description) =>
        SingleValue<SimDuration?>(name, description, "duration", (text, r) =>
        {
            if (!ValueParser.TryParseDuration(text, out var d, out var error)) r.AddError($"{name}: {error}");
            else if (d.Microseconds <= 0) r.AddError($"{name}: must be more than 0, got \"{text}\"");
            else return d;
            return null;
        });

    /// <summary><c>--until</c>: a duration from the first sample, or an absolute UTC time.</summary>
    public static Option<ReplayLimit> Until(string description) =>
        SingleValue("--until", description, "when", (text, r) =>
        {
            if (ValueParser.TryParseDuration(text, out var d, out _) && d.Microseconds > 0)
                return new ReplayLimit(null, TimeSpan.FromMicroseconds(d.Microseconds));
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                return new ReplayLimit(t, null);
            r.AddError($"--until: expected a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z), got \"{text}\"");
            return default(ReplayLimit);
        });

    /// <summary>An option of one value (the last given wins, <see cref="Last"/>) read by <paramref name="parse"/>,
    /// which returns the value or adds an error to the result.</summary>
    private static Option<T> SingleValue<T>(string name, string description, string helpName, Func<string, ArgumentResult, T> parse) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => parse(Last(r), r),
    };

    /// <summary>A single-value option's value: the last one given wins, as with most Unix tools.</summary>
    private static string Last(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
}

/// <summary>What an input argument takes, for the message when it names a directory instead.</summary>
/// <param name="Expected">The input in words, as in "give …".</param>
/// <param name="Patterns">Files in a directory that would do, in order of preference, to name one as an example.</param>
/// <param name="FolderHint">What takes a whole folder, if something does.</param>
/// <param name="LogSets">A server log's rotated set (a directory of logs, or a glob) will do too.</param>
/// <param name="Urls">A Prometheus server's http(s) URL will do too (the history opener recognises it).</param>
internal sealed record InputKind(string Expected, string[] Patterns, string? FolderHint = null, bool LogSets = false, bool Urls = false)
{
    public static readonly InputKind Scenario = new("a scenario file (YAML)", ["*.yaml", "*.yml"], "walsim check runs every scenario in a folder");
    public static readonly InputKind StepScenario = new("a step scenario file (YAML)", ["*.yaml", "*.yml"]);
    public static readonly InputKind Samples = new("a sample file written by walsim sample", ["*.csv"]);
    public static readonly InputKind History = new("a sample file written by walsim sample, or a server log", ["*.csv", "*.log"], LogSets: true);
    /// <summary>A second history (<c>--workload-from</c>), which has no --prometheus of its own: its URL is the value.</summary>
    public static readonly InputKind HistoryOrUrl = History with { Urls = true };
    public static readonly InputKind ScenarioOrSamples = new("a scenario file (YAML) or a sample file written by walsim sample", ["*.csv", "*.yaml", "*.yml"]);
}

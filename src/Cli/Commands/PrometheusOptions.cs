using System.CommandLine.Parsing;

namespace Walsim.Cli.Commands;

/// <summary>
/// <c>--prometheus URL</c> and its companions, shared by the commands that read a recorded history (replay, forecast,
/// whatif, plan): a Prometheus that scraped postgres_exporter or pgwatch, in place of the history file. Basic auth is
/// read from <c>WALSIM_PROMETHEUS_USER</c>/<c>WALSIM_PROMETHEUS_PASSWORD</c>, never from the command line.
/// </summary>
internal sealed class PrometheusOptions
{
    public const string UserVariable = "WALSIM_PROMETHEUS_USER";
    public const string PasswordVariable = "WALSIM_PROMETHEUS_PASSWORD";

    private readonly Argument<string> _file;

    private PrometheusOptions(Argument<string> file, bool pg, bool segmentSize)
    {
        _file = file;
        // --prometheus stands in for the file: the command takes one or the other (TryRead).
        file.Arity = ArgumentArity.ZeroOrOne;
        if (pg) Pg = CliOptions.Version("--pg", "With --prometheus, when it does not publish the version (pgwatch without its settings_num metric): the PostgreSQL version.");
        if (segmentSize)
        {
            SegmentSize = new Option<string>("--wal-segment-size") { Description = "With --prometheus, when it does not publish wal_segment_size (pgwatch without its settings_num metric). [default: 16MB]", HelpName = "size" };
            SegmentSize.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<string>() is { } text && ParseSegmentSize(text, out var error) is null) r.AddError(error!);
            });
        }
    }

    /// <summary><c>--pg</c>, for a command that has no version option of its own (forecast); null otherwise.</summary>
    public Option<PgVersion?>? Pg { get; }

    /// <summary><c>--wal-segment-size</c>, for a command that has none of its own (replay has, for server logs).</summary>
    public Option<string>? SegmentSize { get; }

    /// <summary>A wal_segment_size as typed (16MB), or null with the message for the user.</summary>
    public static WalSegmentSize? ParseSegmentSize(string text, out string? error)
    {
        error = null;
        if (ValueParser.TryParseSize(text, out var size, out var e) && WalSegmentSize.IsValid(size.Bytes)) return new WalSegmentSize(size.Bytes);
        error = $"--wal-segment-size: expected a power of two from 1MB to 1GB, got \"{text}\"{(e is null ? "" : $" ({e})")}";
        return null;
    }

    public Option<string> Url { get; } = Validated(new Option<string>("--prometheus")
    {
        Description = "Read the history from this Prometheus server (http://prometheus:9090) instead of a file: the series postgres_exporter (best with deploy/postgres_exporter/walsim-queries.yaml) or pgwatch publish; see docs/cli.md.",
        HelpName = "url",
    });

    public Option<string> Instance { get; } = new("--instance") { Description = "With --prometheus: the cluster's instance label (its exporter as Prometheus scrapes it, e.g. db1:9187).", HelpName = "name" };

    public Option<string> Match { get; } = new("--match") { Description = "With --prometheus: label matchers picking the cluster, e.g. '{job=\"postgres\",cluster=\"db1\"}'.", HelpName = "selector" };

    public Option<SimDuration?> Range { get; } = CliOptions.Duration("--range", "With --prometheus: how far back from now to read. [default: 7d]");

    public Option<SimDuration?> Step { get; } = CliOptions.Duration("--step", "With --prometheus: the range queries' step. [default: the scrape interval]");

    public Option<string> BearerTokenFile { get; } = new("--bearer-token-file") { Description = "With --prometheus: a file holding a bearer token. (Basic auth: WALSIM_PROMETHEUS_USER and WALSIM_PROMETHEUS_PASSWORD in the environment.)", HelpName = "file" };

    public Option<string> Ca { get; } = new("--prometheus-ca") { Description = "With --prometheus: the CA certificate (PEM) that signed the server's certificate.", HelpName = "file" };

    public IEnumerable<Option> All => new Option?[] { Url, Instance, Match, Range, Step, BearerTokenFile, Ca, Pg, SegmentSize }.OfType<Option>();

    /// <summary>The Prometheus options of a command that reads a recorded history from <paramref name="file"/>, which
    /// becomes optional: <see cref="TryRead"/> takes exactly one of the two. With <paramref name="pg"/> and
    /// <paramref name="segmentSize"/>, also <c>--pg</c> and <c>--wal-segment-size</c> for what a Prometheus may not
    /// publish (a command with options of its own for them passes their values to <see cref="TryRead"/> instead).</summary>
    public static PrometheusOptions For(Argument<string> file, bool pg = false, bool segmentSize = false) => new(file, pg, segmentSize);

    private static Option<string> Validated(Option<string> option)
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } text
                && !(Uri.TryCreate(text, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
                r.AddError($"--prometheus: expected an http or https URL like http://prometheus:9090, got \"{text}\"");
        });
        return option;
    }

    /// <summary>
    /// The history to open: the positional file, or the Prometheus URL, exactly one of them; with the Prometheus
    /// options as a <see cref="PrometheusQuery"/>. False (after saying why) when neither or both were given, or an
    /// option needs --prometheus. <paramref name="otherHistory"/>: another history input of the command
    /// (<c>--workload-from</c>); when it is a Prometheus URL, the options apply to it. <paramref name="version"/>:
    /// the command's own version option's value, the history's version when the Prometheus does not publish it.
    /// </summary>
    public bool TryRead(ParseResult r, TextWriter stderr, out string path, out PrometheusQuery? query,
        string? otherHistory = null, PgVersion? version = null)
    {
        var file = _file;
        query = null;
        path = "";
        var url = r.GetValue(Url);
        var given = r.GetValue(file);
        if (url is not null && given is not null)
        {
            stderr.WriteLine($"walsim: give either {file.Name} or --prometheus, not both");
            return false;
        }
        var otherIsUrl = otherHistory is not null && HistoryProbe.IsUrl(otherHistory);
        if (url is null && !otherIsUrl)
        {
            foreach (var o in All.Skip(1))
                if (r.GetResult(o) is not null)
                {
                    stderr.WriteLine($"walsim: {o.Name} needs --prometheus URL");
                    return false;
                }
            if (given is null)
            {
                stderr.WriteLine($"walsim: give {file.Name} (a file) or --prometheus URL");
                return false;
            }
            path = given;
            return true;
        }
        if (url is null && given is null)
        {
            stderr.WriteLine($"walsim: give {file.Name} (a file) or --prometheus URL");
            return false;
        }
        var match = new List<string>();
        if (r.GetValue(Match) is { } m && m.Trim().TrimStart('{').TrimEnd('}').Trim() is { Length: > 0 } inner) match.Add(inner);
        if (r.GetValue(Instance) is { } instance) match.Add($"instance=\"{instance.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        var user = Environment.GetEnvironmentVariable(UserVariable);
        query = new PrometheusQuery
        {
            Match = match.Count > 0 ? string.Join(",", match) : null,
            Range = r.GetValue(Range) is { } range ? TimeSpan.FromMicroseconds(range.Microseconds) : TimeSpan.FromDays(7),
            Step = r.GetValue(Step) is { } step ? TimeSpan.FromMicroseconds(step.Microseconds) : null,
            BearerTokenFile = r.GetValue(BearerTokenFile),
            User = user is { Length: > 0 } ? user : null,
            Password = Environment.GetEnvironmentVariable(PasswordVariable),
            CaFile = r.GetValue(Ca),
            Version = (Pg is null ? null : r.GetValue(Pg)) ?? version,
            SegmentSize = SegmentSize is not null && r.GetValue(SegmentSize) is { } seg ? ParseSegmentSize(seg, out _) : null,
        };
        path = url ?? given!;
        return true;
    }
}

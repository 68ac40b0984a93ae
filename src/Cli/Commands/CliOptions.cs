using System.CommandLine;
using System.CommandLine.Parsing;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Versions;

namespace Walsim.Cli.Commands;

/// <summary>Option factories and value parsers the commands share, so that an option means and validates the same everywhere.</summary>
internal static class CliOptions
{
    public static PgVersion? Fail(ArgumentResult r, string message)
    {
        r.AddError(message);
        return null;
    }

    public static Option<ReplayLimit> UntilOption(string description) => new("--until")
    {
        Description = description,
        HelpName = "when",
        CustomParser = ParseUntil,
    };

    /// <summary><c>--until</c>: a duration from the first sample, or an absolute UTC time.</summary>
    public static ReplayLimit ParseUntil(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (ValueParser.TryParseDuration(text, out var d, out _) && d.Microseconds > 0)
            return new ReplayLimit(null, TimeSpan.FromMicroseconds(d.Microseconds));
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t))
            return new ReplayLimit(t, null);
        result.AddError($"--until: expected a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z), got \"{text}\"");
        return default;
    }

    /// <summary>A positive duration in PostgreSQL's unit syntax (<c>500ms</c>, <c>10s</c>, <c>5min</c>, <c>1h</c>).</summary>
    public static TimeSpan ParseDuration(ArgumentResult result, string option)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!ValueParser.TryParseDuration(text, out var d, out var error))
        {
            result.AddError($"{option}: {error}");
            return default;
        }
        if (d.Microseconds <= 0)
        {
            result.AddError($"{option}: must be more than 0, got \"{text}\"");
            return default;
        }
        return TimeSpan.FromMicroseconds(d.Microseconds);
    }

    public static IReadOnlyList<int> ParseMajors(ArgumentResult result)
    {
        var majors = new List<int>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) || m < 12 || m > 18)
            {
                result.AddError($"--pg: expected a major from 12 to 18, got \"{text}\"");
                return [];
            }
            if (!majors.Contains(m)) majors.Add(m);
        }
        return majors;
    }

    // A string argument (not FileInfo) keeps the path as typed, which is how error messages name the file.
    public static void MustExist(Argument<string> argument, Func<string, bool> exists) =>
        argument.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !exists(path)) r.AddError($"{path}: no such file or directory");
        });

    /// <summary><c>--pg 12,13.3 --pg 15</c>: every token, split at commas, parsed as a version; duplicates dropped.</summary>
    public static IReadOnlyList<PgVersion> ParseVersions(ArgumentResult result, string option)
    {
        var versions = new List<PgVersion>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!PgVersion.TryParse(text, out var v, out var error))
            {
                result.AddError($"{option}: {error}");
                return [];
            }
            if (!versions.Contains(v)) versions.Add(v);
        }
        return versions;
    }
}

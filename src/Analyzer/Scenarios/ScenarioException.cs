using System.Globalization;
using Walsim.Simulator.Scenarios;

namespace Walsim.Analyzer.Scenarios;

/// <summary>
/// A scenario file that cannot be used: unreadable, not YAML, not the scenario format, or something PostgreSQL
/// would reject. The message names the file, line, field and what was expected, e.g.
/// <c>scenarios/x.yaml:17: slots[1].consumer.lag: expected a duration like 10s or 5min, got "abc"</c>.
/// </summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string file, int line, int column, string field, string reason, Exception? inner = null)
        : base(Format(file, line, field, reason), inner)
    {
        File = file;
        Line = Math.Max(0, line);
        Column = Math.Max(0, column);
        Field = field;
        Reason = reason;
    }

    /// <summary>The file name as given to the loader.</summary>
    public string File { get; }

    /// <summary>1-based line, or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>1-based column, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>Dotted path of the offending field (<c>slots[1].consumer.lag</c>); empty for file-level problems.</summary>
    public string Field { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Reason { get; }

    public SourceLocation Location => new(File, Line, Column);

    private static string Format(string file, int line, string field, string reason)
    {
        var where = line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}") : file;
        return field.Length > 0 ? $"{where}: {field}: {reason}" : $"{where}: {reason}";
    }
}

using System.Globalization;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// A server log that cannot be read: the message names the file, the line, the column (1-based character, or the
/// csvlog/jsonlog field) and what was expected, e.g. <c>postgresql.log:17:1: timestamp: expected a time like
/// 2025-01-31 12:00:00.123 UTC, got "2025-13-31 12:00:00"</c>. Mirrors <c>Live.SampleFileException</c>.
/// </summary>
public sealed class LogFileException : Exception
{
    public LogFileException(string file, int line, int column, string field, string reason, Exception? inner = null)
        : base(Format(file, line, column, field, reason), inner)
    {
        File = file;
        Line = Math.Max(0, line);
        Column = Math.Max(0, column);
        Field = field;
        Reason = reason;
    }

    /// <summary>The file name as given to the reader.</summary>
    public string File { get; }

    /// <summary>1-based line, or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>1-based character column, or 0 when not one place on the line.</summary>
    public int Column { get; }

    /// <summary>What was being read (<c>timestamp</c>, <c>message</c>, a csvlog column); may be empty.</summary>
    public string Field { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Reason { get; }

    private static string Format(string file, int line, int column, string field, string reason)
    {
        var where = line <= 0 ? file
            : column > 0 ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}:{column}")
            : string.Create(CultureInfo.InvariantCulture, $"{file}:{line}");
        return field.Length > 0 ? $"{where}: {field}: {reason}" : $"{where}: {reason}";
    }
}

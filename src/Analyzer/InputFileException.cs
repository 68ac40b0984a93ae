using System.Globalization;

namespace Walsim.Analyzer;

/// <summary>
/// A file a user gave walsim that cannot be used, located for the user to fix: the message is
/// <c>file:line[:column]: field: what was expected</c> (the line and column 1-based, 0 when the problem concerns the
/// whole file or no single place on the line; the field empty when there is none).
/// </summary>
public abstract class InputFileException : Exception
{
    protected InputFileException(string file, int line, int column, string field, string reason, bool columnInMessage, Exception? inner)
        : base(Format(file, line, columnInMessage ? column : 0, field, reason), inner)
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

    /// <summary>1-based character column, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>What was being read (a dotted scenario path, a log field); empty when there is none.</summary>
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

using System.Globalization;

namespace Walsim.Analyzer.Live;

/// <summary>
/// A sample file (or its settings sidecar) that cannot be read: the message names the file, the line, the column
/// and what was expected, e.g. <c>samples.csv:17: restart_lsn: expected an LSN like 0/16B3748, got "abc"</c>.
/// </summary>
public sealed class SampleFileException : Exception
{
    public SampleFileException(string file, int line, string column, string reason, Exception? inner = null)
        : base(Format(file, line, column, reason), inner)
    {
        File = file;
        Line = Math.Max(0, line);
        Column = column;
        Reason = reason;
    }

    /// <summary>The file name as given to the reader.</summary>
    public string File { get; }

    /// <summary>1-based line (the header is line 1), or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>The CSV column (<c>restart_lsn</c>); empty when the problem is not one cell's.</summary>
    public string Column { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Reason { get; }

    private static string Format(string file, int line, string column, string reason)
    {
        var where = line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}") : file;
        return column.Length > 0 ? $"{where}: {column}: {reason}" : $"{where}: {reason}";
    }
}

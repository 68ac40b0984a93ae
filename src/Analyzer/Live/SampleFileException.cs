namespace Walsim.Analyzer.Live;

/// <summary>
/// A sample file (or its settings sidecar) that cannot be read: the message names the file, the line, the CSV column
/// (the <see cref="InputFileException.Field"/>) and what was expected, e.g.
/// <c>samples.csv:17: restart_lsn: expected an LSN like 0/16B3748, got "abc"</c>.
/// </summary>
public sealed class SampleFileException(string file, int line, string column, string reason, Exception? inner = null)
    : InputFileException(file, line, column: 0, field: column, reason, columnInMessage: false, inner);

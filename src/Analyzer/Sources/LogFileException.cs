namespace Walsim.Analyzer.Sources;

/// <summary>
/// A server log that cannot be read: the message names the file, the line, the column (1-based character, or the
/// csvlog/jsonlog field) and what was expected, e.g. <c>postgresql.log:17:1: timestamp: expected a time like
/// 2025-01-31 12:00:00.123 UTC, got "2025-13-31 12:00:00"</c>.
/// </summary>
public sealed class LogFileException(string file, int line, int column, string field, string reason, Exception? inner = null)
    : InputFileException(file, line, column, field, reason, columnInMessage: true, inner);

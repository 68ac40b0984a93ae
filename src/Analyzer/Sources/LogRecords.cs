using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.Sources;

/// <summary>The three ways PostgreSQL writes its log (<c>log_destination</c>).</summary>
public enum LogFormat
{
    /// <summary><c>stderr</c> (also what syslog and most collectors keep): <c>log_line_prefix</c>, then <c>LEVEL:  message</c>.</summary>
    Stderr,
    /// <summary><c>csvlog</c>: one CSV record per message, <c>log_time</c> first, the message in column 14, its DETAIL in 15.</summary>
    Csvlog,
    /// <summary><c>jsonlog</c> (PostgreSQL 15+): one JSON object per line with <c>timestamp</c>, <c>message</c>, <c>detail</c>.</summary>
    Jsonlog,
}

/// <summary>One log message, whatever the format: where it is, when, which process, its level, text and DETAIL.
/// <see cref="TimeSource"/> says whose clock <see cref="Time"/> is.</summary>
internal readonly record struct LogRecord(int Line, DateTimeOffset? Time, int? Pid, string Level, string Message, string? Detail)
{
    public LogTimeSource TimeSource { get; init; }
}

/// <summary>Turns the lines of one file into <see cref="LogRecord"/>s, streaming (one record in memory at a time).</summary>
internal static partial class LogRecords
{
    // A csvlog record starts with log_time ("2025-01-31 12:00:00.123 UTC,").
    [GeneratedRegex(@"^""?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[^,]*,")]
    private static partial Regex CsvStartPattern();

    // A JSON object behind a collector's time (kubectl logs --timestamps of CloudNativePG's JSON).
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\S+ \{")]
    private static partial Regex WrappedJsonPattern();

    /// <summary>The format of a log: by its extension (<c>.csv</c>, <c>.json</c>), else by its first non-empty line
    /// (a JSON object or array — jsonlog, CloudNativePG, Cloud Logging — or one behind a collector's time; a csvlog
    /// record; anything else is stderr, wrapped or not).</summary>
    public static LogFormat Detect(string fileName, string? firstLine)
    {
        // The content first: a stderr log named .csv is still stderr.
        var line = firstLine?.TrimStart() ?? "";
        if (line.StartsWith('{') || line == "[" || line.StartsWith("[{", StringComparison.Ordinal) || WrappedJsonPattern().IsMatch(line)) return LogFormat.Jsonlog;
        var level = LogLine.FindLevel(line, out _, out _, out _);
        if (CsvStartPattern().IsMatch(line) && !level) return LogFormat.Csvlog;
        if (level) return LogFormat.Stderr;
        var ext = Path.GetExtension(LogFiles.WithoutCompression(fileName));
        if (ext.Equals(".csv", StringComparison.OrdinalIgnoreCase)) return LogFormat.Csvlog;
        if (ext.Equals(".json", StringComparison.OrdinalIgnoreCase) || ext.Equals(".jsonl", StringComparison.OrdinalIgnoreCase)) return LogFormat.Jsonlog;
        return LogFormat.Stderr;
    }

    public static IEnumerable<LogRecord> Read(TextReader reader, string fileName, LogFormat format, LogLinePrefix? prefix, LogReadOptions options) => format switch
    {
        LogFormat.Csvlog => ReadCsv(reader, fileName),
        LogFormat.Jsonlog => LogJson.Read(reader, fileName, options),
        _ => ReadStderr(reader, fileName, prefix, options),
    };

    /// <summary>
    /// stderr lines (<see cref="LogLine"/>), or with the user's <c>log_line_prefix</c>. A line without a level
    /// continues the message before it: a multi-line statement (skipped), or a checkpoint line a collector
    /// hard-wrapped, which is joined to its start (the record is held one line for that).
    /// </summary>
    private static IEnumerable<LogRecord> ReadStderr(TextReader reader, string fileName, LogLinePrefix? prefix, LogReadOptions options)
    {
        var number = 0;
        LogRecord? held = null;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var record = prefix is null ? LogLine.Parse(line, number, fileName, options) : Parse(line, number, fileName, prefix);
            if (record is null)
            {
                if (held is { } h && Unfinished(h.Message)) held = h with { Message = Join(h.Message, LogLine.ContinuationText(line)) };
                continue;
            }
            if (held is { } done) yield return done;
            held = record;
        }
        if (held is { } last) yield return last;
    }

    // A checkpoint line cut by a collector's line length: its counts do not parse yet.
    private static bool Unfinished(string message) =>
        (CheckpointMessages.LooksLikeComplete(message) && CheckpointMessages.ParseComplete(message) is null)
        || (message.StartsWith("invalidating ", StringComparison.Ordinal) && !message.Contains("max_slot_wal_keep_size", StringComparison.Ordinal) && !message.EndsWith('"'));

    // A hard wrap cuts anywhere, a word wrap at a space it keeps at the end of the line (or drops: then one is put back
    // where the text would otherwise run two words together).
    private static string Join(string head, string tail)
    {
        if (head.Length == 0 || tail.Length == 0) return head + tail;
        var joined = head + tail;
        if (CheckpointMessages.LooksLikeComplete(joined) && CheckpointMessages.ParseComplete(joined) is null
            && CheckpointMessages.ParseComplete(head + " " + tail) is not null)
            return head + " " + tail;
        return joined;
    }

    // With the user's log_line_prefix: the line must start with it (after a collector's time or syslog header, if
    // any); a line that does not is a continuation (or from before the prefix was changed), unless it is a checkpoint
    // end, which must not be lost silently.
    private static LogRecord? Parse(string line, int number, string fileName, LogLinePrefix prefix)
    {
        var text = line;
        if (!prefix.TryMatch(text, out var p, out var level) && !prefix.TryMatch(text = LogLine.ContinuationText(line), out p, out level))
        {
            if (line.Contains("checkpoint complete: ", StringComparison.Ordinal) || line.Contains("restartpoint complete: ", StringComparison.Ordinal))
                throw new LogFileException(fileName, number, 1, "log_line_prefix", $"the line does not start with log_line_prefix '{prefix.Text}' followed by a level such as \"LOG:  \"");
            return null;
        }
        if (!LogLinePrefix.TryTime(p, out var time, out var column, out var error))
            throw new LogFileException(fileName, number, column + line.Length - text.Length, "timestamp", error!);
        int? pid = p.Groups["pid"] is { Success: true } g && int.TryParse(g.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        return new LogRecord(number, time, pid, level.Groups["level"].Value, StripSqlState(text[(level.Index + level.Length)..]), null);
    }

    private static string StripSqlState(string message) =>
        message.Length >= 7 && message[5] == ':' && message[6] == ' ' && message[..5].All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c))
            ? message[7..] : message;

    internal static LogRecord? Parse(string line, int number, string fileName) =>
        LogLine.Parse(line, number, fileName, LogReadOptions.InYear(DateTime.UtcNow.Year));

    // csvlog columns (12–18, elog.c write_csvlog / csvlog.c): 0 log_time, 3 process_id, 11 error_severity,
    // 13 message, 14 detail; later versions only append columns.
    private const int CsvTime = 0, CsvPid = 3, CsvSeverity = 11, CsvMessage = 13, CsvDetail = 14;

    private static IEnumerable<LogRecord> ReadCsv(TextReader reader, string fileName)
    {
        var csv = new CsvRecordReader(reader);
        while (csv.Read())
        {
            if (csv.Count <= CsvDetail)
                throw new LogFileException(fileName, csv.Line, 0, "",
                    string.Create(CultureInfo.InvariantCulture, $"expected a csvlog record (at least {CsvDetail + 1} columns: log_time … message, detail …), got {csv.Count} column(s)"));
            if (!LogTimestamp.TryParse(csv[CsvTime], out var time, out var error))
                throw new LogFileException(fileName, csv.Line, 1, "log_time", error!);
            int? pid = int.TryParse(csv[CsvPid], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
            var detail = csv[CsvDetail];
            yield return new LogRecord(csv.Line, time, pid, csv[CsvSeverity].ToString(), csv[CsvMessage].ToString(),
                detail.Length > 0 ? detail.ToString() : null);
        }
    }
}

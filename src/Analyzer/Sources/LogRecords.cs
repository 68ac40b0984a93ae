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

/// <summary>One log message, whatever the format: where it is, when, which process, its level, text and DETAIL.</summary>
internal readonly record struct LogRecord(int Line, DateTimeOffset? Time, int? Pid, string Level, string Message, string? Detail);

/// <summary>Turns the lines of one file into <see cref="LogRecord"/>s, streaming (one record in memory at a time).</summary>
internal static partial class LogRecords
{
    // ereport's severities as elog.c's error_severity() spells them; stderr writes "LEVEL:  " (two spaces).
    [GeneratedRegex(@"(?<![A-Za-z])(?<level>LOG|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?):  ")]
    private static partial Regex LevelPattern();

    // %p in the prefix ("[1234]") or syslog's "postgres[1234]:".
    [GeneratedRegex(@"\[(?<pid>\d+)\]")]
    private static partial Regex PidPattern();

    // A csvlog record starts with log_time ("2025-01-31 12:00:00.123 UTC,").
    [GeneratedRegex(@"^""?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[^,]*,")]
    private static partial Regex CsvStartPattern();

    /// <summary>The format of a log: by its extension (<c>.csv</c>, <c>.json</c>), else by its first non-empty line.</summary>
    public static LogFormat Detect(string fileName, string? firstLine)
    {
        var ext = Path.GetExtension(fileName);
        if (ext.Equals(".csv", StringComparison.OrdinalIgnoreCase)) return LogFormat.Csvlog;
        if (ext.Equals(".json", StringComparison.OrdinalIgnoreCase) || ext.Equals(".jsonl", StringComparison.OrdinalIgnoreCase)) return LogFormat.Jsonlog;
        var line = firstLine?.TrimStart() ?? "";
        if (line.StartsWith('{')) return LogFormat.Jsonlog;
        if (CsvStartPattern().IsMatch(line) && !LevelPattern().IsMatch(line)) return LogFormat.Csvlog;
        return LogFormat.Stderr;
    }

    public static IEnumerable<LogRecord> Read(TextReader reader, string fileName, LogFormat format, LogLinePrefix? prefix) => format switch
    {
        LogFormat.Csvlog => ReadCsv(reader, fileName),
        LogFormat.Jsonlog => ReadJson(reader, fileName),
        _ => ReadStderr(reader, fileName, prefix),
    };

    /// <summary>
    /// stderr lines: the first <c>LEVEL:  </c> marker ends the prefix; the prefix's timestamp (<c>%m</c>/<c>%t</c>,
    /// anywhere in it, so syslog headers and pgBadger prefixes alike) and <c>[pid]</c> are taken when present.
    /// A line without a marker continues the previous message (a multi-line statement) and is skipped.
    /// </summary>
    private static IEnumerable<LogRecord> ReadStderr(TextReader reader, string fileName, LogLinePrefix? prefix)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var record = prefix is null ? Parse(line, number, fileName) : Parse(line, number, fileName, prefix);
            if (record is not null) yield return record.Value;
        }
    }

    // With the user's log_line_prefix: the line must start with it; a line that does not is a continuation (or from
    // before the prefix changed), unless it is a checkpoint end, which must not be lost silently.
    private static LogRecord? Parse(string line, int number, string fileName, LogLinePrefix prefix)
    {
        if (!prefix.TryMatch(line, out var p, out var level))
        {
            if (line.Contains("checkpoint complete: ", StringComparison.Ordinal) || line.Contains("restartpoint complete: ", StringComparison.Ordinal))
                throw new LogFileException(fileName, number, 1, "log_line_prefix", $"the line does not start with log_line_prefix '{prefix.Text}' followed by a level such as \"LOG:  \"");
            return null;
        }
        if (!LogLinePrefix.TryTime(p, out var time, out var column, out var error))
            throw new LogFileException(fileName, number, column, "timestamp", error!);
        int? pid = p.Groups["pid"] is { Success: true } g && int.TryParse(g.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        return new LogRecord(number, time, pid, level.Groups["level"].Value, line[(level.Index + level.Length)..], null);
    }

    internal static LogRecord? Parse(string line, int number, string fileName)
    {
        var level = LevelPattern().Match(line);
        if (!level.Success) return null;
        DateTimeOffset? time = null;
        var ts = LogTimestamp.Pattern().Match(line, 0, level.Index);
        if (ts.Success)
        {
            if (!LogTimestamp.TryParse(ts.ValueSpan, out var t, out var error))
                throw new LogFileException(fileName, number, ts.Index + 1, "timestamp", error!);
            time = t;
        }
        int? pid = null;
        var p = PidPattern().Match(line, 0, level.Index);
        if (p.Success && int.TryParse(p.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pv)) pid = pv;
        return new LogRecord(number, time, pid, level.Groups["level"].Value, line[(level.Index + level.Length)..], null);
    }

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

    private static IEnumerable<LogRecord> ReadJson(TextReader reader, string fileName)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return ParseJson(line, number, fileName);
        }
    }

    // jsonlog.c (15+): "timestamp", "pid", "error_severity", "message", "detail".
    private static LogRecord ParseJson(string line, int number, string fileName)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new LogFileException(fileName, number, 0, "", $"expected one jsonlog object per line: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LogFileException(fileName, number, 0, "", "expected one jsonlog object per line");
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var stamp = Text("timestamp") ?? throw new LogFileException(fileName, number, 0, "timestamp", "missing (expected jsonlog's \"timestamp\")");
            if (!LogTimestamp.TryParse(stamp, out var time, out var error))
                throw new LogFileException(fileName, number, 0, "timestamp", error!);
            int? pid = root.TryGetProperty("pid", out var pv) && pv.ValueKind == JsonValueKind.Number && pv.TryGetInt32(out var p) ? p : null;
            return new LogRecord(number, time, pid, Text("error_severity") ?? "", Text("message") ?? "", Text("detail"));
        }
    }
}

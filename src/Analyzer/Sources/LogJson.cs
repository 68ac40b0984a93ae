using System.Globalization;
using System.Text.Json;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// Logs as JSON, one object per line or one array of objects (<c>gcloud logging read --format=json</c>), each
/// perhaps behind a collector's time (<c>kubectl logs --timestamps</c>):
/// <list type="bullet">
/// <item>jsonlog (15+, jsonlog.c): <c>timestamp</c>, <c>pid</c>, <c>error_severity</c>, <c>message</c>, <c>detail</c>;</item>
/// <item>CloudNativePG: <c>record</c> holds csvlog's fields by name (<c>log_time</c>, <c>process_id</c>,
/// <c>error_severity</c>, <c>message</c>, <c>detail</c>); its instance manager's own lines (no <c>record</c>) are skipped;</item>
/// <item>Google Cloud Logging (Cloud SQL and others): <c>textPayload</c> is a stderr line, read as one
/// (<see cref="LogLine"/>); the entry's <c>timestamp</c> is a collector's time, used only when the text has none.</item>
/// </list>
/// </summary>
internal static class LogJson
{
    public static IEnumerable<LogRecord> Read(TextReader reader, string fileName, LogReadOptions options)
    {
        var first = reader.Peek();
        while (first is ' ' or '\t' or '\r' or '\n')
        {
            reader.Read();
            first = reader.Peek();
        }
        if (first == '[') return ReadArray(reader, fileName, options);
        return ReadLines(reader, fileName, options);
    }

    private static IEnumerable<LogRecord> ReadLines(TextReader reader, string fileName, LogReadOptions options)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            // kubectl logs --timestamps puts its time before the object; the record has the server's own.
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(brace > 0 ? line.AsMemory(brace) : line.AsMemory());
            }
            catch (JsonException e)
            {
                throw new LogFileException(fileName, number, 0, "", $"expected one JSON log object per line (jsonlog, CloudNativePG or Cloud Logging): {e.Message}", e);
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new LogFileException(fileName, number, 0, "", "expected one JSON log object per line (jsonlog, CloudNativePG or Cloud Logging)");
                if (Record(doc.RootElement, number, fileName, options) is { } r) yield return r;
            }
        }
    }

    // A JSON array is read whole: Cloud Logging exports are pretty-printed, one object over many lines.
    private static IEnumerable<LogRecord> ReadArray(TextReader reader, string fileName, LogReadOptions options)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(reader.ReadToEnd());
        }
        catch (JsonException e)
        {
            throw new LogFileException(fileName, (int)(e.LineNumber ?? 0) + 1, 0, "", $"expected a JSON array of log entries: {e.Message}", e);
        }
        using (doc)
        {
            var index = 0;
            foreach (var entry in doc.RootElement.EnumerateArray())
            {
                index++;
                if (entry.ValueKind == JsonValueKind.Object && Record(entry, index, fileName, options) is { } r) yield return r;
            }
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static LogRecord? Record(JsonElement root, int number, string fileName, LogReadOptions options)
    {
        // Cloud Logging: the stderr line in textPayload.
        if (Text(root, "textPayload") is { } payload)
        {
            var line = payload.TrimEnd('\n');
            if (LogLine.Parse(line, number, fileName, options) is not { } r) return null;
            if (r.Time is null && Text(root, "timestamp") is { } ts && LogLine.TryIso(ts, out var t))
                return r with { Time = t, TimeSource = LogTimeSource.Wrapper };
            return r;
        }
        // CloudNativePG: csvlog's fields by name in "record".
        if (root.TryGetProperty("record", out var rec) && rec.ValueKind == JsonValueKind.Object)
            return Fields(rec, "log_time", "process_id", number, fileName);
        // jsonlog.
        if (root.TryGetProperty("error_severity", out _) || root.TryGetProperty("timestamp", out _) && root.TryGetProperty("message", out _))
            return Fields(root, "timestamp", "pid", number, fileName);
        // CloudNativePG's instance manager and other programs sharing the stream: not the server's log.
        if (root.TryGetProperty("logger", out _) || root.TryGetProperty("level", out _) || root.TryGetProperty("msg", out _)) return null;
        throw new LogFileException(fileName, number, 0, "",
            "expected a PostgreSQL log entry: jsonlog (\"timestamp\", \"error_severity\", \"message\"), CloudNativePG (\"record\": {\"log_time\", \"message\", …}) or Cloud Logging (\"textPayload\")");
    }

    private static LogRecord Fields(JsonElement e, string timeField, string pidField, int number, string fileName)
    {
        var stamp = Text(e, timeField) ?? throw new LogFileException(fileName, number, 0, timeField, $"missing (expected \"{timeField}\")");
        if (!LogTimestamp.TryParse(stamp, out var time, out var error))
            throw new LogFileException(fileName, number, 0, timeField, error!);
        int? pid = Text(e, pidField) is { } p && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        var detail = Text(e, "detail");
        return new LogRecord(number, time, pid, Text(e, "error_severity") ?? "", Text(e, "message") ?? "", string.IsNullOrEmpty(detail) ? null : detail);
    }
}

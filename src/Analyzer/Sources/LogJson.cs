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
/// (<see cref="LogLine"/>); the entry's <c>timestamp</c> is a collector's time, used only when the text has none;</item>
/// <item>Azure Monitor's diagnostic logs (category <c>PostgreSQLLogs</c>, as a storage account or Log Analytics export
/// them, one record per line, or Event Hubs' <c>{"records": [...]}</c>): <c>properties.message</c> is the whole stderr
/// line on Flexible Server; on Single Server <c>properties.prefix</c> (<c>'%t-%c-'</c>), <c>properties.errorLevel</c>
/// and <c>properties.message</c> are its pieces; the record's <c>time</c> is a collector's.</item>
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
                // Event Hubs delivers Azure's records in batches, one object per batch.
                if (doc.RootElement.TryGetProperty("records", out var batch) && batch.ValueKind == JsonValueKind.Array)
                {
                    foreach (var entry in batch.EnumerateArray())
                        if (entry.ValueKind == JsonValueKind.Object && Record(entry, number, fileName, options) is { } b) yield return b;
                    continue;
                }
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
        // Azure Monitor: the line, or its prefix, level and message, in "properties".
        if (root.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object && Text(props, "errorLevel") is { } level)
            return Azure(root, props, level, number, fileName, options);
        // CloudNativePG: csvlog's fields by name in "record".
        if (root.TryGetProperty("record", out var rec) && rec.ValueKind == JsonValueKind.Object)
            return Fields(rec, "log_time", "process_id", number, fileName);
        // jsonlog.
        if (root.TryGetProperty("error_severity", out _) || root.TryGetProperty("timestamp", out _) && root.TryGetProperty("message", out _))
            return Fields(root, "timestamp", "pid", number, fileName);
        // CloudNativePG's instance manager and other programs sharing the stream: not the server's log.
        if (root.TryGetProperty("logger", out _) || root.TryGetProperty("level", out _) || root.TryGetProperty("msg", out _)) return null;
        throw new LogFileException(fileName, number, 0, "",
            "expected a PostgreSQL log entry: jsonlog (\"timestamp\", \"error_severity\", \"message\"), CloudNativePG (\"record\": {\"log_time\", \"message\", …}), Cloud Logging (\"textPayload\") or Azure Monitor (\"properties\": {\"errorLevel\", \"message\", …})");
    }

    // Flexible Server writes the whole line (log_line_prefix '%t [%p] [user=…,db=…,app=…] ', some exports without the
    // level) and "timestamp"; Single Server the prefix ('%t-%c-') apart from the message. The line is put back together
    // and read as a stderr line, so the server's time in it wins; the record's "time" (when Azure received it) is used
    // only when the line has none, and said.
    private static LogRecord? Azure(JsonElement root, JsonElement props, string level, int number, string fileName, LogReadOptions options)
    {
        var message = (Text(props, "message") ?? "").TrimEnd('\n');
        var line = LogLine.FindLevel(message, out _, out _, out _) ? message
            : AfterAzurePrefix(message) is var at and > 0 ? message[..at] + level + ":  " + message[at..]
            : (Text(props, "prefix") ?? "") + level + ":  " + message;
        if (LogLine.Parse(line, number, fileName, options) is not { } r) return null;
        if (r.Time is null && Text(props, "timestamp") is { } stamp && LogTimestamp.TryParse(stamp, out var server, out _))
            r = r with { Time = server, TimeSource = LogTimeSource.Server };
        if (r.Time is null && Text(root, "time") is { } received && LogLine.TryIso(received, out var t))
            r = r with { Time = t, TimeSource = LogTimeSource.Wrapper };
        if (r.Pid is null && Text(props, "processId") is { } p && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            r = r with { Pid = pid };
        return Text(props, "detail") is { Length: > 0 } detail ? r with { Detail = detail } : r;
    }

    // Where the message starts in a line written without its level (Cosmos DB for PostgreSQL): after the prefix's
    // "[user=…,db=…,app=…] " group; 0 when the line has no such group.
    private static int AfterAzurePrefix(string message)
    {
        var group = message.IndexOf(" [user=", StringComparison.Ordinal);
        var app = group < 0 ? -1 : message.IndexOf(",app=", group, StringComparison.Ordinal);
        var end = app < 0 ? -1 : message.IndexOf("] ", app, StringComparison.Ordinal);
        return end < 0 ? 0 : end + 2;
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

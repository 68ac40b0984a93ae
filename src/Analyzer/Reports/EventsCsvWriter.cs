using CsvHelper;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// Writes checkpoints and log events as one CSV in the order they happen. <c>kind</c> is <c>checkpoint</c> or the
/// log event's kind; a checkpoint row is timed at its end (when the server logs it) and fills the checkpoint
/// columns; <c>message</c> is the log line either way.
/// </summary>
public sealed class EventsCsvWriter : IDisposable
{
    private static readonly string[] Columns =
    [
        "time_s", "time", "kind", "slot", "checkpoint", "cause", "start_s", "end_s", "skipped", "redo_lsn",
        "checkpoint_lsn", "keep_before_invalidation", "keep_segment", "added", "removed", "recycled", "files_after",
        "distance_kB", "estimate_kB", "invalidated_slots", "step", "message",
    ];

    private readonly CsvWriter _csv;

    public EventsCsvWriter(TextWriter writer)
    {
        _csv = TimelineCsvWriter.NewCsv(writer);
        foreach (var c in Columns) _csv.WriteField(c);
        _csv.EndRecord();
    }

    public void Write(CheckpointRecord c)
    {
        _csv.WriteField(Formats.Seconds(c.End));
        _csv.WriteField(c.End.ToString()); // exact, as time_s (a program reads this file)
        _csv.WriteField("checkpoint");
        _csv.WriteField("");
        _csv.WriteField(Formats.Number(c.Number));
        _csv.WriteField(c.Cause.ToString().ToLowerInvariant());
        _csv.WriteField(Formats.Seconds(c.Start));
        _csv.WriteField(Formats.Seconds(c.End));
        _csv.WriteField(Formats.Bool(c.Skipped));
        _csv.WriteField(Formats.Lsn(c.Redo));
        _csv.WriteField(Formats.Lsn(c.CheckpointLsn));
        _csv.WriteField(c.KeepBeforeInvalidation.ToString());
        _csv.WriteField(c.Keep.ToString());
        _csv.WriteField(Formats.Number(c.Added));
        _csv.WriteField(Formats.Number(c.Removed));
        _csv.WriteField(Formats.Number(c.Recycled));
        _csv.WriteField(Formats.Number(c.FilesAfter));
        _csv.WriteField(Formats.Number(c.DistanceKb));
        _csv.WriteField(Formats.Number(c.EstimateKb));
        _csv.WriteField(string.Join(' ', c.InvalidatedSlots));
        _csv.WriteField(Formats.Number(c.Step));
        _csv.WriteField(c.LogLine);
        _csv.EndRecord();
    }

    public void Write(LogEvent e)
    {
        _csv.WriteField(Formats.Seconds(e.At));
        _csv.WriteField(e.At.ToString());
        _csv.WriteField(e.Kind);
        _csv.WriteField(e.Slot ?? "");
        for (var i = 4; i < Columns.Length - 1; i++) _csv.WriteField("");
        _csv.WriteField(e.Message);
        _csv.EndRecord();
    }

    public void Flush() => _csv.Flush();

    public void Dispose() => _csv.Dispose();
}

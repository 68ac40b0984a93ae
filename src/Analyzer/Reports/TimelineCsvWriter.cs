using CsvHelper;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// Writes timeline rows as CSV, one row per instant ("wide" format, easy to plot): the server columns, then for
/// each slot of the scenario the same seven columns prefixed with <c>slotname.</c>. Cells of a slot that does not
/// exist at that instant (not created yet, dropped) are empty, as are NULLs (<c>restart_lsn</c> never set, no
/// <c>safe_wal_size</c>).
/// </summary>
public sealed class TimelineCsvWriter : IDisposable
{
    private static readonly string[] ServerColumns =
    [
        "time_s", "time", "reason", "step", "insert_lsn", "redo_lsn", "keep_segment", "files", "pg_wal_bytes",
        "oldest_segment", "newest_segment", "last_removed_segment",
    ];

    private static readonly string[] SlotColumns =
        ["restart_lsn", "confirmed_flush_lsn", "active", "retained_bytes", "wal_status", "safe_wal_size", "invalidation"];

    private readonly CsvWriter _csv;
    private readonly Dictionary<string, int> _slotIndex;
    private readonly SlotView?[] _slots;

    public TimelineCsvWriter(TextWriter writer, IReadOnlyList<string> slotNames)
    {
        _csv = NewCsv(writer);
        _slotIndex = slotNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        _slots = new SlotView?[slotNames.Count];
        foreach (var c in ServerColumns) _csv.WriteField(c);
        foreach (var name in slotNames)
            foreach (var c in SlotColumns) _csv.WriteField($"{name}.{c}");
        _csv.EndRecord();
    }

    /// <summary>Every slot name the scenario can have, in order of appearance (declared slots, then created ones).</summary>
    public static IReadOnlyList<string> SlotNames(Scenario scenario) =>
        scenario.Slots.Select(s => s.Name)
            .Concat(scenario.Events.OfType<CreateSlot>().Select(e => e.Slot.Name))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    public void Write(TimelineRow row)
    {
        _csv.WriteField(Formats.Seconds(row.At));
        _csv.WriteField(row.At.ToString()); // exact, as time_s: rounded, two rows a few ms apart would read the same
        _csv.WriteField(Formats.Reason(row.Reason));
        _csv.WriteField(Formats.Number(row.Step));
        _csv.WriteField(Formats.Lsn(row.InsertLsn));
        _csv.WriteField(Formats.Lsn(row.RedoLsn));
        _csv.WriteField(row.KeepSegment.ToString());
        _csv.WriteField(Formats.Number(row.FilesInPgWal));
        _csv.WriteField(Formats.Number(row.PgWalBytes.Bytes));
        _csv.WriteField(row.OldestFile.ToString());
        _csv.WriteField(row.NewestFile.ToString());
        _csv.WriteField(row.LastRemovedSegment.ToString());

        Array.Clear(_slots);
        foreach (var s in row.Slots)
        {
            // The header is fixed before the run; a slot the scenario never names would be an engine bug.
            if (!_slotIndex.TryGetValue(s.Name, out var i))
                throw new InvalidOperationException($"timeline row at {row.At} has slot \"{s.Name}\" that the scenario does not define");
            _slots[i] = s;
        }
        foreach (var present in _slots)
        {
            if (present is not { } s)
            {
                for (var c = 0; c < SlotColumns.Length; c++) _csv.WriteField("");
                continue;
            }
            _csv.WriteField(Formats.Lsn(s.RestartLsn));
            _csv.WriteField(Formats.Lsn(s.ConfirmedFlushLsn));
            _csv.WriteField(Formats.Bool(s.Active));
            _csv.WriteField(Formats.Number(s.RetainedBytes.Bytes));
            _csv.WriteField(s.WalStatus == WalStatus.Null ? "" : s.WalStatus.ToSql());
            _csv.WriteField(s.SafeWalSize is { } w ? Formats.Number(w.Bytes) : "");
            _csv.WriteField(Formats.Invalidation(s.Invalidation));
        }
        _csv.EndRecord();
    }

    public void Flush() => _csv.Flush();

    public void Dispose() => _csv.Dispose();

    // LF endings like the rest of walsim's output; the caller owns (and closes) the TextWriter.
    internal static CsvWriter NewCsv(TextWriter writer) =>
        CsvWriter.Create(writer, CsvWriterOptions.Default with { NewLine = "\n" }, leaveOpen: true);
}

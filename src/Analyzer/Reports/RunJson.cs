using System.Text.Json;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// One run's outcome as named fields, the same in every report walsim writes (<c>simulate --format json</c>, the HTML
/// reports' data, <c>whatif --format json</c> and <c>whatif.csv</c>): times in seconds from the start (null = never),
/// sizes in bytes.
/// </summary>
internal static class RunJson
{
    /// <summary>The <see cref="RunSummary"/> fields, in the order every report writes them.</summary>
    public static IEnumerable<(string Name, RunValue Value)> SummaryFields(RunSummary s) =>
    [
        ("end_s", RunValue.FromTime(s.End)),
        ("peak_pg_wal_bytes", RunValue.FromNumber(s.PeakPgWalBytes.Bytes)),
        ("peak_pg_wal_files", RunValue.FromNumber(s.PeakPgWalFiles)),
        ("peak_at_s", RunValue.FromTime(s.PeakAt)),
        ("disk_full_s", RunValue.FromTime(s.DiskFull)),
        ("read_only_s", RunValue.FromTime(s.ReadOnly)),
        ("checkpoints", RunValue.FromNumber(s.Checkpoints)),
        ("skipped_checkpoints", RunValue.FromNumber(s.SkippedCheckpoints)),
        ("invalidations", RunValue.FromNumber(s.Invalidations)),
        ("files_added", RunValue.FromNumber(s.FilesAdded)),
        ("files_removed", RunValue.FromNumber(s.FilesRemoved)),
        ("files_recycled", RunValue.FromNumber(s.FilesRecycled)),
        ("final_insert_lsn", RunValue.FromText(s.FinalInsertLsn.ToString())),
    ];

    /// <summary>
    /// A slot's fields after its name. <paramref name="walStatusTimes"/> false (12: no <c>wal_status</c>) makes
    /// the extended/unreserved times <see cref="RunValue.NotApplicable"/>: null in JSON, no row in a long CSV.
    /// </summary>
    public static IEnumerable<(string Name, RunValue Value)> SlotFields(SlotSummary slot, bool walStatusTimes = true) =>
    [
        ("kind", RunValue.FromText(Formats.Kind(slot.Kind))),
        ("extended_s", walStatusTimes ? RunValue.FromTime(slot.FirstExtended) : RunValue.NotApplicable),
        ("unreserved_s", walStatusTimes ? RunValue.FromTime(slot.FirstUnreserved) : RunValue.NotApplicable),
        ("lost_s", RunValue.FromTime(slot.Lost)),
        ("invalidation", RunValue.FromText(slot.Cause == InvalidationCause.None ? null : Formats.Invalidation(slot.Cause))),
        ("peak_retained_bytes", RunValue.FromNumber(slot.PeakRetained.Bytes)),
    ];

    /// <summary>The <see cref="RunSummary"/> fields, into the object being written.</summary>
    public static void WriteSummary(Utf8JsonWriter j, RunSummary s)
    {
        foreach (var (name, value) in SummaryFields(s)) value.Write(j, name);
    }

    /// <summary>A <c>slots</c> array (see <see cref="SlotFields"/>).</summary>
    public static void WriteSlots(Utf8JsonWriter j, IEnumerable<SlotSummary> slots, bool walStatusTimes = true)
    {
        j.WriteObjects("slots", slots, slot =>
        {
            j.WriteString("name", slot.Name);
            foreach (var (name, value) in SlotFields(slot, walStatusTimes)) value.Write(j, name);
        });
    }

    /// <summary>A time in seconds since the start, exact to the microsecond; null for never.</summary>
    public static void Seconds(Utf8JsonWriter j, string name, SimTime? t) => RunValue.FromTime(t).Write(j, name);
}

/// <summary>What a report field holds: a time, a count or size, text, or nothing that applies to this version.</summary>
internal enum RunValueKind { Time, Number, Text, NotApplicable }

/// <summary>One field's value; null <see cref="Time"/> is never, null <see cref="Text"/> is none.</summary>
internal readonly record struct RunValue(RunValueKind Kind, SimTime? Time = null, long Number = 0, string? Text = null)
{
    public static readonly RunValue NotApplicable = new(RunValueKind.NotApplicable);

    public static RunValue FromTime(SimTime? t) => new(RunValueKind.Time, Time: t is { IsNever: false } ? t : null);
    public static RunValue FromNumber(long n) => new(RunValueKind.Number, Number: n);
    public static RunValue FromText(string? s) => new(RunValueKind.Text, Text: s);

    public bool IsNumeric => Kind is RunValueKind.Time or RunValueKind.Number;

    /// <summary>As a CSV cell: exact seconds, an integer or the text; empty for null.</summary>
    public string Cell => Kind switch
    {
        RunValueKind.Time => Formats.Seconds(Time),
        RunValueKind.Number => Formats.Number(Number),
        _ => Text ?? "",
    };

    public void Write(Utf8JsonWriter j, string name)
    {
        switch (Kind)
        {
            case RunValueKind.Time when Time is { } t: j.WriteNumber(name, (decimal)t.Microseconds / 1_000_000m); break;
            case RunValueKind.Number: j.WriteNumber(name, Number); break;
            case RunValueKind.Text when Text is not null: j.WriteString(name, Text); break;
            default: j.WriteNull(name); break;
        }
    }
}

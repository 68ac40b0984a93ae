using System.Text.Json;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// One run's outcome as JSON fields, the same in every JSON walsim writes (<c>simulate --format json</c>, the HTML
/// report's data, <c>whatif --format json</c>): times in seconds from the start (null = never), sizes in bytes.
/// </summary>
internal static class RunJson
{
    /// <summary>The <see cref="RunSummary"/> fields, into the object being written.</summary>
    public static void WriteSummary(Utf8JsonWriter j, RunSummary s)
    {
        Seconds(j, "end_s", s.End);
        j.WriteNumber("peak_pg_wal_bytes", s.PeakPgWalBytes.Bytes);
        j.WriteNumber("peak_pg_wal_files", s.PeakPgWalFiles);
        Seconds(j, "peak_at_s", s.PeakAt);
        Seconds(j, "disk_full_s", s.DiskFull);
        Seconds(j, "read_only_s", s.ReadOnly);
        j.WriteNumber("checkpoints", s.Checkpoints);
        j.WriteNumber("skipped_checkpoints", s.SkippedCheckpoints);
        j.WriteNumber("invalidations", s.Invalidations);
        j.WriteNumber("files_added", s.FilesAdded);
        j.WriteNumber("files_removed", s.FilesRemoved);
        j.WriteNumber("files_recycled", s.FilesRecycled);
        j.WriteString("final_insert_lsn", s.FinalInsertLsn.ToString());
    }

    /// <summary>A <c>slots</c> array; <paramref name="walStatusTimes"/> false (12: no wal_status) writes the
    /// extended/unreserved times as null.</summary>
    public static void WriteSlots(Utf8JsonWriter j, IEnumerable<SlotSummary> slots, bool walStatusTimes = true)
    {
        j.WriteStartArray("slots");
        foreach (var slot in slots)
        {
            j.WriteStartObject();
            j.WriteString("name", slot.Name);
            j.WriteString("kind", Formats.Kind(slot.Kind));
            Seconds(j, "extended_s", walStatusTimes ? slot.FirstExtended : null);
            Seconds(j, "unreserved_s", walStatusTimes ? slot.FirstUnreserved : null);
            Seconds(j, "lost_s", slot.Lost);
            if (slot.Cause == InvalidationCause.None) j.WriteNull("invalidation");
            else j.WriteString("invalidation", Formats.Invalidation(slot.Cause));
            j.WriteNumber("peak_retained_bytes", slot.PeakRetained.Bytes);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }

    /// <summary>A time in seconds since the start, exact to the microsecond; null for never.</summary>
    public static void Seconds(Utf8JsonWriter j, string name, SimTime? t)
    {
        if (t is { IsNever: false } v) j.WriteNumber(name, (decimal)v.Microseconds / 1_000_000m);
        else j.WriteNull(name);
    }
}

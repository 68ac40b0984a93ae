using System.Text.Encodings.Web;
using System.Text.Json;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Reports.Html;

/// <summary>
/// The numbers of an HTML report as one JSON document: written beside the page as <c>report.json</c> and embedded in
/// it (<c>&lt;script type="application/json" id="walsim-data"&gt;</c>), so both always agree. Times are seconds since
/// the start (null = never), sizes are bytes.
/// <para>
/// The encoder escapes <c>&lt; &gt; &amp; ' "</c> and every non-ASCII character as <c>\uXXXX</c>, so no user string
/// (a scenario or slot name such as <c>&lt;/script&gt;</c>) can end the script element or open markup.
/// </para>
/// </summary>
public static class ReportJson
{
    /// <summary>What the page embeds is written with: compact, every HTML-significant character escaped.</summary>
    internal static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.Default,
    };

    public static byte[] ToUtf8(Scenario scenario, IReadOnlyList<VersionReport> versions, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, Options with { Indented = indented, NewLine = "\n" }))
            Write(j, scenario, versions);
        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter j, Scenario scenario, IReadOnlyList<VersionReport> versions)
    {
        j.WriteStartObject();
        j.WriteString("generator", "walsim");
        j.WriteString("scenario", scenario.Name);
        if (scenario.Description is { } d) j.WriteString("description", d);
        else j.WriteNull("description");
        WriteVersions(j, versions);
        j.WriteEndObject();
    }

    /// <summary>
    /// The <c>versions</c> array the page's script draws from. Each version's settings and limits are those of the
    /// scenario it ran (a what-if target's are translated); <paramref name="role"/> (by index) adds a <c>role</c>
    /// (<c>source</c>, <c>target</c>, <c>fixed_minor</c>) the charts label versions with.
    /// </summary>
    internal static void WriteVersions(Utf8JsonWriter j, IReadOnlyList<VersionReport> versions, Func<int, string>? role = null)
    {
        j.WriteStartArray("versions");
        for (var i = 0; i < versions.Count; i++) WriteVersion(j, versions[i], role?.Invoke(i));
        j.WriteEndArray();
    }

    private static void WriteVersion(Utf8JsonWriter j, VersionReport v, string? role)
    {
        var r = v.Result;
        var s = r.Summary;
        var scenario = r.Scenario;
        var settings = KeySettings.AtStart(scenario, r.Policy);
        j.WriteStartObject();
        j.WriteString("version", r.Policy.Version.ToString());
        j.WriteString("label", v.Label);
        if (v.Node is not null) j.WriteString("node", v.Node);
        if (role is not null) j.WriteString("role", role);
        // A topology's failover ends the run: the charts mark it.
        if (r.Failovers.FirstOrDefault() is { } failover)
        {
            Seconds(j, "failover_s", failover.At.Microseconds);
            j.WriteString("failover_text", $"{(failover.Planned ? "switchover" : "failover")} to {failover.To}");
        }
        j.WriteString("band", r.Policy.Band);
        j.WriteBoolean("reports_wal_status", r.Policy.ReportsWalStatus);
        j.WriteStartObject("settings");
        foreach (var (k, value) in KeySettings.For(scenario, r.Policy)) j.WriteString(k, value);
        j.WriteEndObject();

        // The lines the pg_wal chart is drawn against (at start: a reload may change the cap later).
        j.WriteStartObject("limits");
        if (scenario.Disk is { } disk)
        {
            j.WriteNumber("disk_size_bytes", disk.Size.Bytes);
            j.WriteNumber("disk_other_bytes", disk.OtherUsage.Bytes);
            j.WriteNumber("disk_wal_space_bytes", disk.Size.Bytes - disk.OtherUsage.Bytes);
            if (disk.ReadOnlyAtFraction is { } f) j.WriteNumber("read_only_wal_bytes", (long)(f * disk.Size.Bytes) - disk.OtherUsage.Bytes);
            else j.WriteNull("read_only_wal_bytes");
        }
        else
        {
            j.WriteNull("disk_size_bytes");
            j.WriteNull("disk_other_bytes");
            j.WriteNull("disk_wal_space_bytes");
            j.WriteNull("read_only_wal_bytes");
        }
        if (r.Policy.CapsSlotRetention && settings.MaxSlotWalKeepSizeMb >= 0)
            j.WriteNumber("max_slot_wal_keep_size_bytes", settings.MaxSlotWalKeepSizeMb * Simulator.Units.ByteCount.MiB);
        else j.WriteNull("max_slot_wal_keep_size_bytes");
        j.WriteNumber("max_wal_size_bytes", settings.MaxWalSizeMb * Simulator.Units.ByteCount.MiB);
        j.WriteEndObject();

        j.WriteStartObject("summary");
        RunJson.WriteSummary(j, s);
        j.WriteEndObject();
        RunJson.WriteSlots(j, r.Slots);

        j.WriteStartObject("timeline");
        j.WriteNumber("rows", v.RowsSeen);
        j.WriteNumber("points", v.Points.Count);
        if (v.BucketMicroseconds > 1) Seconds(j, "bucket_s", v.BucketMicroseconds);
        else j.WriteNull("bucket_s");
        j.WriteStartArray("t");
        foreach (var p in v.Points) j.WriteNumberValue((decimal)p.AtMicroseconds / 1_000_000m);
        j.WriteEndArray();
        j.WriteStartArray("pg_wal_bytes");
        foreach (var p in v.Points) j.WriteNumberValue(p.PgWalBytes);
        j.WriteEndArray();
        j.WriteStartArray("files");
        foreach (var p in v.Points) j.WriteNumberValue(p.Files);
        j.WriteEndArray();
        WriteBreakdown(j, v);
        j.WriteObjects("slots", Enumerable.Range(0, v.SlotNames.Count), i =>
        {
            j.WriteString("name", v.SlotNames[i]);
            j.WriteStartArray("retained_bytes");
            foreach (var p in v.Points)
                if (p.Retained[i] is { } b) j.WriteNumberValue(b);
                else j.WriteNullValue();
            j.WriteEndArray();
            j.WriteStartArray("wal_status");
            foreach (var p in v.Points)
                if (p.Status[i] is { } st && st != WalStatus.Null && r.Policy.ReportsWalStatus) j.WriteStringValue(st.ToSql());
                else j.WriteNullValue();
            j.WriteEndArray();
        });
        j.WriteEndObject();

        SeenItems(j, "checkpoints", v.CheckpointsSeen, v.Checkpoints, c =>
        {
            Seconds(j, "t", c.EndMicroseconds);
            j.WriteNumber("number", c.Number);
            j.WriteString("cause", c.Cause);
            j.WriteBoolean("skipped", c.Skipped);
            j.WriteNumber("added", c.Added);
            j.WriteNumber("removed", c.Removed);
            j.WriteNumber("recycled", c.Recycled);
            j.WriteStartArray("invalidated");
            foreach (var name in c.Invalidated) j.WriteStringValue(name);
            j.WriteEndArray();
        });

        SeenItems(j, "events", v.EventsSeen, v.Events, e =>
        {
            Seconds(j, "t", e.At.Microseconds);
            j.WriteString("kind", e.Kind);
            if (e.Slot is { } slotName) j.WriteString("slot", slotName);
            else j.WriteNull("slot");
            j.WriteString("message", e.Message);
        });

        j.WriteEndObject();
    }

    /// <summary>
    /// <c>breakdown</c>: pg_wal's bytes by reason at each point (<c>walsim explain</c>'s reasons, each slot its own
    /// series), in the order the chart stacks them, only the series that are ever non-zero; left out when the run's rows
    /// carried none (a standby node, a what-if run). At every point the series add up to <c>pg_wal_bytes</c>.
    /// </summary>
    private static void WriteBreakdown(Utf8JsonWriter j, VersionReport v)
    {
        if (v.Points.Count == 0 || v.Points.Any(p => p.ReasonBytes is null)) return;
        var series = new List<(string Reason, string? Slot, Func<ChartPoint, long> Bytes)>();
        foreach (var reason in Enum.GetValues<WalHoldReason>())
        {
            if (reason == WalHoldReason.Slot)
            {
                for (var i = 0; i < v.SlotNames.Count; i++)
                {
                    var slot = i;
                    series.Add((reason.Label(), v.SlotNames[i], p => p.SlotHeld![slot]));
                }
                continue;
            }
            var r = (int)reason;
            series.Add((reason.Label(), null, p => p.ReasonBytes![r]));
        }
        j.WriteObjects("breakdown", series.Where(s => v.Points.Any(p => s.Bytes(p) != 0)), s =>
        {
            j.WriteString("reason", s.Reason);
            if (s.Slot is { } name) j.WriteString("slot", name);
            else j.WriteNull("slot");
            j.WriteStartArray("bytes");
            foreach (var p in v.Points) j.WriteNumberValue(s.Bytes(p));
            j.WriteEndArray();
        });
    }

    /// <summary><c>name: { seen, items: [...] }</c>: the items kept for the page, each an object written by
    /// <paramref name="writeItem"/>, and how many the run had (more than kept when the collector capped them).</summary>
    private static void SeenItems<T>(Utf8JsonWriter j, string name, long seen, IEnumerable<T> items, Action<T> writeItem)
    {
        j.WriteStartObject(name);
        j.WriteNumber("seen", seen);
        j.WriteObjects("items", items, writeItem);
        j.WriteEndObject();
    }

    private static void Seconds(Utf8JsonWriter j, string name, long? micros)
    {
        if (micros is { } m) j.WriteNumber(name, (decimal)m / 1_000_000m);
        else j.WriteNull(name);
    }
}

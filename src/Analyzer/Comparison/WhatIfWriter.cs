using System.Text;
using System.Text.Json;
using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Comparison;

/// <summary>
/// Renders a <see cref="WhatIfReport"/> as a console table or Markdown (a pull-request comment), both laying out its
/// <see cref="WhatIfView"/>, or as JSON or CSV (every number, exact).
/// </summary>
public static class WhatIfWriter
{
    /// <summary>whatif.json's name for a role.</summary>
    internal static string Role(RunRole role) => role switch { RunRole.Source => "source", RunRole.Target => "target", _ => "fixed_minor" };

    /// <summary>What <c>walsim whatif</c> prints by default.</summary>
    public static void WriteTable(TextWriter w, WhatIfReport report)
    {
        var v = WhatIfView.Of(report);
        var r = v.Report;
        w.WriteLine($"What if: {r.Scenario}{(r.SourceFile.Length > 0 ? $" ({r.SourceFile})" : "")}, settings written for {r.From}, run on {v.To}");
        w.WriteLine();
        var rows = v.Rows;
        var labelWidth = Math.Max(14, rows.Max(x => x.Label.Length)) + 2;
        var widths = v.Columns.Select((x, i) => Math.Max(x.Heading.Length, rows.Max(row => row.Cells[i].Text.Length)) + 2).ToArray();
        w.WriteLine(("  " + "".PadRight(labelWidth) + string.Concat(v.Columns.Select((x, i) => x.Heading.PadRight(widths[i])))).TrimEnd());
        foreach (var row in rows)
            w.WriteLine(("  " + row.Label.PadRight(labelWidth) + string.Concat(row.Cells.Select((c, i) => c.Text.PadRight(widths[i])))).TrimEnd());

        foreach (var c in v.Comparisons)
        {
            w.WriteLine();
            w.WriteLine($"{c.From} -> {c.To}");
            w.WriteLine("  settings");
            foreach (var line in c.Settings) w.WriteLine($"    {line}");
            w.WriteLine("  first divergence");
            foreach (var line in Wrap(c.FirstDivergence, 96)) w.WriteLine($"    {line}");
            if (c.AlsoDifferent.Count > 0)
            {
                w.WriteLine("  also different");
                foreach (var x in c.AlsoDifferent)
                    foreach (var (line, i) in Wrap($"{x.Capability} ({x.FromValue} -> {x.ToValue}): {x.Explanation}", 94).Select((l, i) => (l, i)))
                        w.WriteLine(i == 0 ? $"    - {line}" : $"      {line}");
            }
        }

        if (r.MinorWarnings.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Minor releases");
            foreach (var m in r.MinorWarnings)
            {
                w.WriteLine($"  ! {m.Version} has retention bugs fixed later in {m.Version.Major}.x (compared with {m.ComparedWith}):");
                foreach (var b in m.Bugs)
                    foreach (var (line, i) in Wrap($"fixed in {b.FixedIn}: {b.Description}", 94).Select((l, i) => (l, i)))
                        w.WriteLine(i == 0 ? $"    - {line}" : $"      {line}");
                foreach (var line in Wrap($"effect here: {m.Effect}", 96)) w.WriteLine($"    {line}");
            }
        }
    }

    /// <summary>The same numbers as a short Markdown comment.</summary>
    public static void WriteMarkdown(TextWriter w, WhatIfReport report)
    {
        var v = WhatIfView.Of(report);
        var r = v.Report;
        w.WriteLine($"### walsim what-if: `{r.Scenario}` from {r.From} to {v.To}");
        w.WriteLine();
        w.WriteLine("| | " + string.Join(" | ", v.Columns.Select(x => x.Heading)) + " |");
        w.WriteLine("|---|" + string.Concat(v.Columns.Select(_ => "---|")));
        foreach (var row in v.Rows)
            w.WriteLine($"| {row.Label} | {string.Join(" | ", row.Cells.Select(c => Md(c.Text)))} |");
        foreach (var c in v.Comparisons)
        {
            w.WriteLine();
            w.WriteLine($"**{c.From} → {c.To}**");
            w.WriteLine();
            w.WriteLine($"- First divergence: {Md(c.FirstDivergence)}");
            foreach (var line in c.Settings) w.WriteLine($"- Setting: {Md(line)}");
        }
        foreach (var m in r.MinorWarnings)
        {
            w.WriteLine();
            w.WriteLine($"> ⚠️ **{m.Version}** has retention bugs fixed later ({string.Join("; ", m.Bugs.Select(b => $"{Md(b.Capability)} fixed in {b.FixedIn}"))}). Compared with {m.ComparedWith}: {Md(m.Effect)}.");
        }
    }

    /// <summary>The whole report as JSON (times in seconds, null for never).</summary>
    public static void WriteJson(TextWriter w, WhatIfReport r)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
            WriteJson(j, r);
        w.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>The report as one JSON object: whatif.json, and the <c>whatif</c> member of the HTML report's data.</summary>
    internal static void WriteJson(Utf8JsonWriter j, WhatIfReport r)
    {
        j.WriteStartObject();
        j.WriteString("scenario", r.Scenario);
        j.WriteString("wal_segment_size", r.SegmentSize.ToString());
        j.WriteString("from", r.From.ToString());
        j.WriteStartArray("to");
        foreach (var v in r.To) j.WriteStringValue(v.ToString());
        j.WriteEndArray();
        j.WriteObjects("runs", r.Runs, x =>
        {
            j.WriteString("version", x.Version.ToString());
            j.WriteString("band", x.Band);
            j.WriteString("role", Role(x.Role));
            j.WriteStartObject("settings");
            foreach (var (k, v) in x.Settings) j.WriteString(k, v);
            j.WriteEndObject();
            RunJson.WriteSummary(j, x.Summary);
            RunJson.WriteSlots(j, x.Slots, walStatusTimes: x.ReportsWalStatus);
        });
        j.WriteObjects("comparisons", r.Comparisons, c =>
        {
            j.WriteString("from", c.From.ToString());
            j.WriteString("to", c.To.ToString());
            j.WriteBoolean("outcome_differs", c.OutcomeDiffers);
            j.WriteObjects("settings", c.Settings.Lines, t =>
            {
                j.WriteString("name", t.Name);
                j.WriteString("kind", Snake(t.Kind.ToString()));
                if (t.SourceName is null) j.WriteNull("source_name"); else j.WriteString("source_name", t.SourceName);
                if (t.SourceValue is null) j.WriteNull("source_value"); else j.WriteString("source_value", t.SourceValue);
                if (t.TargetValue is null) j.WriteNull("target_value"); else j.WriteString("target_value", t.TargetValue);
                j.WriteString("note", t.Note);
            });
            j.WriteObjects("changes", c.Changes, x => Change(j, x));
            j.WritePropertyName("first_divergence");
            Divergence(j, c.FirstDivergence);
        });
        j.WriteObjects("minor_warnings", r.MinorWarnings, m =>
        {
            j.WriteString("version", m.Version.ToString());
            j.WriteString("compared_with", m.ComparedWith.ToString());
            j.WriteObjects("bugs", m.Bugs, b =>
            {
                j.WriteString("capability", b.Capability);
                j.WriteString("fixed_in", b.FixedIn.ToString());
                j.WriteString("description", b.Description);
            });
            j.WriteBoolean("outcome_differs", m.OutcomeDiffers);
            j.WriteString("effect", m.Effect);
            j.WritePropertyName("first_divergence");
            Divergence(j, m.FirstDivergence);
        });
        j.WriteEndObject();
    }

    /// <summary>
    /// whatif.csv, for charting elsewhere: one row per run and numeric field of whatif.json's <c>runs</c> ("long"
    /// format: <c>scenario, version, role, slot, measure, value</c>), run fields with an empty <c>slot</c>, then
    /// each slot's. <c>value</c> is exact (seconds, bytes, counts); empty = never. A measure that does not apply has
    /// no row (<c>extended_s</c>, <c>unreserved_s</c> on 12); text fields (slot kind, invalidation cause, final LSN)
    /// are in whatif.json only.
    /// </summary>
    public static void WriteCsv(TextWriter w, WhatIfReport r)
    {
        using var csv = TimelineCsvWriter.NewCsv(w);
        foreach (var h in (string[])["scenario", "version", "role", "slot", "measure", "value"]) csv.WriteField(h);
        csv.EndRecord();
        foreach (var x in r.Runs)
        {
            var fields = RunJson.SummaryFields(x.Summary).Select(f => (Slot: "", f.Name, f.Value))
                .Concat(x.Slots.SelectMany(s => RunJson.SlotFields(s, x.ReportsWalStatus).Select(f => (Slot: s.Name, f.Name, f.Value))));
            foreach (var (slot, measure, value) in fields.Where(f => f.Value.IsNumeric))
            {
                csv.WriteField(r.Scenario);
                csv.WriteField(x.Version.ToString());
                csv.WriteField(Role(x.Role));
                csv.WriteField(slot);
                csv.WriteField(measure);
                csv.WriteField(value.Cell);
                csv.EndRecord();
            }
        }
    }

    private static void Change(Utf8JsonWriter j, CapabilityChange x)
    {
        j.WriteString("capability", x.Capability);
        j.WriteString("from", x.FromValue);
        j.WriteString("to", x.ToValue);
        j.WriteBoolean("applies", x.Applies);
        j.WriteString("affects", x.Affects == DecisionAspect.None ? "reporting" : Snake(x.Affects.ToString()));
        j.WriteString("explanation", x.Explanation);
    }

    private static void Divergence(Utf8JsonWriter j, Divergence? d)
    {
        if (d is null) { j.WriteNullValue(); return; }
        j.WriteStartObject();
        if (d.Checkpoint is { } n) j.WriteNumber("checkpoint", n); else j.WriteNull("checkpoint");
        RunJson.Seconds(j, "from_at_s", d.FromAt);
        RunJson.Seconds(j, "to_at_s", d.ToAt);
        j.WriteObjects("differences", d.Differences, x =>
        {
            j.WriteString("decision", x.Decision);
            j.WriteString("from", x.FromValue);
            j.WriteString("to", x.ToValue);
        });
        if (d.Cause is null) j.WriteNull("cause"); else j.WriteString("cause", d.Cause.Capability);
        j.WriteString("explanation", d.Explanation);
        j.WriteEndObject();
    }

    // DefaultChanged -> default_changed; "Keep, Files" -> "keep,files".
    private static string Snake(string s)
    {
        var t = s.Replace(", ", ",", StringComparison.Ordinal);
        return string.Concat(t.Select((c, i) => char.IsUpper(c) && i > 0 && t[i - 1] != ',' ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
    }

    private static string Md(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { yield return line; line = ""; }
            line = line.Length == 0 ? word : $"{line} {word}";
        }
        if (line.Length > 0) yield return line;
    }
}

using System.Globalization;
using System.Text.Json;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Validation;

/// <summary>Renders validation runs: the agreement table on the console, every decision as CSV, totals as JSON.</summary>
public static class ValidationReport
{
    /// <summary>Per checkpoint one line (all its decisions agree or not), slot checks summed per step, then a total.</summary>
    public static void WriteTable(TextWriter w, ValidationRun run)
    {
        w.WriteLine($"  PostgreSQL {run.Version}: {run.Checkpoints} checkpoint(s) compared, {run.Agreed}/{run.Decisions.Count} decisions agree"
            + (run.UnobservedCheckpoints > 0 ? $", {run.UnobservedCheckpoints} checkpoint(s) not observed one by one" : ""));
        if (run.Decisions.Count > 0)
            w.WriteLine($"    by field: {string.Join("  ", run.Fields.Select(f => $"{f.Field} {f.Agreed}/{f.Compared}"))}");
        foreach (var group in run.Decisions.Where(d => d.Checkpoint is not null).GroupBy(d => d.Checkpoint))
        {
            var first = group.First();
            var mark = group.All(d => d.Agrees) ? "ok  " : "DIFF";
            var fields = string.Join("  ", group.Select(d => d.Agrees ? $"{d.Field}={d.Observed}" : $"{d.Field}: model {d.Predicted} vs server {d.Observed}"));
            w.WriteLine($"    {mark} step {first.Step,3}  {first.Subject,-26} {fields}");
        }
        var slotChecks = run.Decisions.Where(d => d.Checkpoint is null && d.Subject.StartsWith("slot ", StringComparison.Ordinal)).ToList();
        if (slotChecks.Count > 0)
            w.WriteLine($"    {(slotChecks.All(d => d.Agrees) ? "ok  " : "DIFF")} slots: {slotChecks.Count(d => d.Agrees)}/{slotChecks.Count} wal_status/safe_wal_size readings agree");
        // A standby's: each CHECKPOINT's outcome (restarted or skipped) and each skipped restartpoint's redo.
        foreach (var group in run.Decisions.Where(d => d.Checkpoint is null).Except(slotChecks).GroupBy(d => (d.Subject, d.Field)))
            w.WriteLine($"    {(group.All(d => d.Agrees) ? "ok  " : "DIFF")} {group.Key.Subject} {group.Key.Field}: {group.Count(d => d.Agrees)}/{group.Count()} agree");
        foreach (var d in run.Decisions.Where(d => !d.Agrees))
        {
            w.WriteLine($"    DISAGREE step {d.Step} {d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}");
            w.WriteLine($"             inputs: {d.Inputs}");
        }
        foreach (var note in run.Notes) w.WriteLine($"    note: {note}");
        if (run.Replay is { } r) WriteReplay(w, r);
    }

    /// <summary>walsim replay over the run's samples: the total, per field, its disagreements and the race it saw.</summary>
    private static void WriteReplay(TextWriter w, ReplayCheck r)
    {
        w.WriteLine($"    {(r.Agrees ? "ok  " : "DIFF")} replay of {r.Samples} samples ({r.Checkpoints} checkpoint(s)): {r.Agreed}/{r.Decisions} decisions agree"
            + (r.SampleFile is { } f ? $" ({f})" : ""));
        if (r.Fields.Count > 0)
            w.WriteLine($"      by field: {string.Join("  ", r.Fields.Select(f => $"{f.Field} {f.Agreed}/{f.Decisions}"))}");
        w.WriteLine(r.Races.Count == 0
            ? "      invalidation/removal window: no sample fell in it"
            : $"      invalidation/removal window: caught ({r.Races.Count} sample(s))");
        foreach (var race in r.Races) w.WriteLine($"      race: {race}");
        foreach (var d in r.Disagreements)
        {
            w.WriteLine($"      DISAGREE sample {d.Sample} {d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}");
            w.WriteLine($"               inputs: {d.Inputs}");
        }
        foreach (var note in r.Notes) w.WriteLine($"      replay note: {note}");
    }

    public static void WriteCsv(TextWriter w, IEnumerable<ValidationRun> runs)
    {
        using var csv = TimelineCsvWriter.NewCsv(w);
        foreach (var h in new[] { "scenario", "version", "step" }.Concat(Decision.CsvColumns))
            csv.WriteField(h);
        csv.EndRecord();
        foreach (var run in runs)
            foreach (var d in run.Decisions)
            {
                csv.WriteField(run.Scenario);
                csv.WriteField(run.Version.ToString());
                csv.WriteField(d.Step.ToString(CultureInfo.InvariantCulture));
                d.WriteCsvFields(csv);
                csv.EndRecord();
            }
    }

    public static void WriteJson(TextWriter w, IEnumerable<ValidationRun> runs)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            WriteJson(j, runs);
        w.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteJson(Utf8JsonWriter j, IEnumerable<ValidationRun> runs)
    {
        j.WriteStartArray();
        foreach (var run in runs)
        {
            j.WriteStartObject();
            j.WriteString("scenario", run.Scenario);
            j.WriteString("version", run.Version.ToString());
            j.WriteNumber("checkpoints", run.Checkpoints);
            j.WriteNumber("unobserved_checkpoints", run.UnobservedCheckpoints);
            j.WriteNumber("decisions", run.Decisions.Count);
            j.WriteNumber("agreed", run.Agreed);
            j.WriteBoolean("agrees", run.Agrees);
            WriteFields(j, run.Fields.Select(f => new FieldAgreement(f.Field, f.Compared, f.Agreed)));
            WriteDisagreements(j, "step", run.Decisions.Where(d => !d.Agrees));
            j.WriteStartArray("notes");
            foreach (var n in run.Notes) j.WriteStringValue(n);
            j.WriteEndArray();
            if (run.Replay is { } r) WriteReplay(j, r);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }

    private static void WriteReplay(Utf8JsonWriter j, ReplayCheck r)
    {
        j.WriteStartObject("replay");
        if (r.SampleFile is { } f) j.WriteString("samples_file", f);
        j.WriteNumber("samples", r.Samples);
        j.WriteNumber("checkpoints", r.Checkpoints);
        j.WriteNumber("decisions", r.Decisions);
        j.WriteNumber("agreed", r.Agreed);
        j.WriteBoolean("agrees", r.Agrees);
        WriteFields(j, r.Fields);
        WriteDisagreements(j, "sample", r.Disagreements);
        j.WriteStartArray("invalidation_removal_races");
        foreach (var race in r.Races) j.WriteStringValue(race);
        j.WriteEndArray();
        j.WriteStartArray("notes");
        foreach (var n in r.Notes) j.WriteStringValue(n);
        j.WriteEndArray();
        j.WriteEndObject();
    }

    /// <summary>"fields": per field, the decisions compared and those that agreed (a validate run's and its replay's).</summary>
    private static void WriteFields(Utf8JsonWriter j, IEnumerable<FieldAgreement> fields)
    {
        j.WriteStartObject("fields");
        foreach (var f in fields)
        {
            j.WriteStartObject(f.Field);
            j.WriteNumber("compared", f.Decisions);
            j.WriteNumber("agreed", f.Agreed);
            j.WriteEndObject();
        }
        j.WriteEndObject();
    }

    /// <summary>"disagreements": each decision with where it was seen, <paramref name="at"/> (a validate step or a
    /// replay sample), then <see cref="Decision.WriteJsonFields"/>.</summary>
    private static void WriteDisagreements(Utf8JsonWriter j, string at, IEnumerable<Decision> disagreements)
    {
        j.WriteStartArray("disagreements");
        foreach (var d in disagreements)
        {
            j.WriteStartObject();
            j.WriteNumber(at, d.At.Number);
            d.WriteJsonFields(j);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }
}

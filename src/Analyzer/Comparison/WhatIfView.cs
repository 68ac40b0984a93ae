using System.Globalization;
using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Comparison;

/// <summary>
/// A what-if as people read it: the column headings, row labels, cells and sentences that the table, the Markdown
/// and the HTML page show, computed once here so that the three only lay them out (and cannot drift apart).
/// whatif.json and whatif.csv hold the exact numbers instead (<see cref="WhatIfWriter.WriteJson(TextWriter, WhatIfReport)"/>).
/// </summary>
/// <param name="Report">What is shown.</param>
/// <param name="Columns">One per run, in the order of <see cref="WhatIfReport.Runs"/>.</param>
/// <param name="Rows">The side-by-side rows: each slot's milestones, then pg_wal, the disk, checkpoints, invalidations.</param>
/// <param name="Comparisons">The source against each target, in <c>--to</c> order.</param>
internal sealed record WhatIfView(
    WhatIfReport Report,
    IReadOnlyList<WhatIfColumn> Columns,
    IReadOnlyList<SideBySideRow> Rows,
    IReadOnlyList<ComparisonView> Comparisons)
{
    /// <summary>What a comparison says when every checkpoint decides the same.</summary>
    public const string NoDivergence = "none: every checkpoint takes the same decisions";

    /// <summary>The targets as the headings name them: <c>15.18, 17.10</c>.</summary>
    public string To => string.Join(", ", Report.To);

    /// <summary>The fixed minors run besides the targets.</summary>
    public IReadOnlyList<string> FixedMinors => [.. Report.Runs.Where(x => x.Role == RunRole.FixedMinor).Select(x => x.Version.ToString())];

    public static WhatIfView Of(WhatIfReport r) => new(
        r,
        [.. r.Runs.Select(x => new WhatIfColumn(Heading(x), x.Version.ToString(), WhatIfWriter.Role(x.Role)))],
        SideBySide(r),
        [.. r.Comparisons.Select(Comparison)]);

    /// <summary>A run's column heading: <c>12.22 (from)</c>, <c>15.18</c>, <c>13.23 (fixed minor)</c>.</summary>
    private static string Heading(VersionRun x) => x.Role switch
    {
        RunRole.Source => $"{x.Version} (from)",
        RunRole.FixedMinor => $"{x.Version} (fixed minor)",
        _ => x.Version.ToString(),
    };

    private static IReadOnlyList<SideBySideRow> SideBySide(WhatIfReport r)
    {
        var rows = new List<SideBySideRow>();
        SideBySideRow Row(string name, string field, string? slot, Func<VersionRun, SideBySideCell> cell) =>
            new(name, field, slot, r.Runs.Select(cell).ToList());
        var notApplicable = new SideBySideCell("n/a (12)", "");

        var slots = r.Runs.SelectMany(x => x.Slots.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in slots)
        {
            SlotSummary? Slot(VersionRun x) => x.Slots.FirstOrDefault(s => s.Name == name);
            rows.Add(Row("extended", "extended_s", name, x => x.ReportsWalStatus ? Time(Slot(x)?.FirstExtended) : notApplicable));
            rows.Add(Row("unreserved", "unreserved_s", name, x => x.ReportsWalStatus ? Time(Slot(x)?.FirstUnreserved) : notApplicable));
            rows.Add(Row("lost", "lost_s", name, x => Slot(x) is { } s
                ? Time(s.Lost, s.Cause == InvalidationCause.IdleTimeout ? " (idle)" : "")
                : new SideBySideCell("-", "")));
        }
        rows.Add(Row("peak pg_wal", "peak_pg_wal_bytes", null, x => new SideBySideCell(
            string.Create(CultureInfo.InvariantCulture, $"{x.Summary.PeakPgWalFiles} files, {x.Summary.PeakPgWalBytes}"), Formats.Number(x.Summary.PeakPgWalBytes.Bytes))));
        rows.Add(Row("peak at", "peak_at_s", null, x => Time(x.Summary.PeakAt)));
        rows.Add(Row("disk full", "disk_full_s", null, x => Time(x.Summary.DiskFull)));
        rows.Add(Row("read-only", "read_only_s", null, x => Time(x.Summary.ReadOnly)));
        rows.Add(Row("checkpoints", "checkpoints", null, x => Count(x.Summary.Checkpoints)));
        rows.Add(Row("invalidations", "invalidations", null, x => Count(x.Summary.Invalidations)));
        return rows;
    }

    private static SideBySideCell Time(SimTime? t, string suffix = "") => new((t is { } v ? v.Display() : "never") + suffix, Formats.Seconds(t));
    private static SideBySideCell Count(int n) => new(Formats.Number(n), Formats.Number(n));

    private static ComparisonView Comparison(VersionComparison c)
    {
        var d = c.FirstDivergence;
        return new ComparisonView(
            c.From.ToString(),
            c.To.ToString(),
            d?.Explanation ?? NoDivergence,
            d is { Differences.Count: > 0 } ? (d.Checkpoint is { } n ? $"at checkpoint {n}" : "after the last checkpoint") : null,
            d?.Differences ?? [],
            [.. SettingLines(c.Settings)],
            // The capabilities and settings that differ and apply, other than the one the divergence is put down to.
            [.. c.Changes.Where(x => x.Applies && x != d?.Cause)]);
    }

    /// <summary>The settings lines worth reading: everything but <see cref="TranslationKind.Kept"/>.</summary>
    private static IEnumerable<string> SettingLines(TranslatedSettings t)
    {
        var lines = t.Lines.Where(l => l.Kind != TranslationKind.Kept).ToList();
        if (lines.Count == 0) { yield return "every setting carries over unchanged"; yield break; }
        foreach (var l in lines)
            yield return l.Kind switch
            {
                TranslationKind.Converted => $"{l.SourceName}={l.SourceValue} -> {l.Name}={l.TargetValue} ({l.Note})",
                TranslationKind.Dropped => $"{l.Name}={l.SourceValue} dropped: {l.Note}",
                // A list setting's empty default reads as '' (as in postgresql.conf), not as a dangling "=".
                TranslationKind.New => $"{l.Name}={(string.IsNullOrEmpty(l.TargetValue) ? "''" : l.TargetValue)}: {l.Note}",
                TranslationKind.DefaultChanged => $"{l.Name} {l.SourceValue} -> {l.TargetValue}: {l.Note}",
                _ => $"{l.Name}={l.TargetValue} ({l.Note}{(l.SourceValue is null ? "" : $"; {l.SourceValue} on {t.Source}")})",
            };
    }
}

/// <summary>A run's column: its heading (<c>12.22 (from)</c>), its version and its role as whatif.json names them.</summary>
internal sealed record WhatIfColumn(string Heading, string Version, string Role);

/// <summary>One row of the side-by-side comparison: what it shows (<c>peak at</c>; <c>lost</c> of the slot
/// <paramref name="Slot"/>), the whatif.json field that holds it and one cell per run.</summary>
internal sealed record SideBySideRow(string Name, string Field, string? Slot, IReadOnlyList<SideBySideCell> Cells)
{
    /// <summary>The row's label in the table and Markdown: <c>peak at</c>, <c>slot standby1 lost</c>.</summary>
    public string Label => Slot is null ? Name : $"slot {Slot} {Name}";
}

/// <param name="Text">As the table prints it (<c>2h54m30s</c>, <c>4195 files, 65.55GB</c>, <c>n/a (12)</c>).</param>
/// <param name="Value">The field's value as whatif.json holds it (exact seconds, bytes, a count); empty for null.</param>
internal readonly record struct SideBySideCell(string Text, string Value);

/// <summary>The source against one target, as read.</summary>
/// <param name="From">The source version.</param>
/// <param name="To">The target version.</param>
/// <param name="FirstDivergence">What first differs and why, or <see cref="WhatIfView.NoDivergence"/>.</param>
/// <param name="DifferencesAt">Where the decisions in <paramref name="Differences"/> differ (<c>at checkpoint 3</c>); null when none are listed.</param>
/// <param name="Differences">Each decision that differs there, with both values.</param>
/// <param name="Settings">How the settings were moved to the target, a sentence each.</param>
/// <param name="AlsoDifferent">The other capabilities and settings that differ and apply.</param>
internal sealed record ComparisonView(
    string From,
    string To,
    string FirstDivergence,
    string? DifferencesAt,
    IReadOnlyList<DecisionDifference> Differences,
    IReadOnlyList<string> Settings,
    IReadOnlyList<CapabilityChange> AlsoDifferent);

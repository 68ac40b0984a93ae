using System.Text.Encodings.Web;
using System.Text.Json;
using Walsim.Analyzer.Reports.Html;

namespace Walsim.Analyzer.Comparison;

/// <summary>
/// <c>walsim whatif --html</c>: the comparison as one self-contained page, built from the simulate report's parts
/// (<see cref="HtmlReport"/>, <see cref="ReportJson"/>, report.js and the inlined uPlot). In order: the side-by-side
/// table (the rows of the table and Markdown output: the page lays out the same <see cref="WhatIfView"/>), the charts with every run
/// overlaid (pg_wal against the disk and the cap; each slot's retained WAL with a wal_status band per version), per
/// target the first divergence and how the settings were moved, the minor-release warnings, and the settings each run
/// started with.
/// <para>
/// Every string goes through <see cref="HtmlEncoder"/> or the JSON encoder; the embedded data
/// (<c>#walsim-data</c>) are the charts' <c>versions</c> (each with its <c>role</c>) and, as <c>whatif</c>, the
/// document whatif.json holds.
/// </para>
/// </summary>
public static class WhatIfHtml
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <param name="w">Where the page goes.</param>
    /// <param name="r">A report run with <c>charts: true</c> (<see cref="WhatIfAnalysis.Run"/>).</param>
    public static void Write(TextWriter w, WhatIfReport r)
    {
        if (r.Charts.Count != r.Runs.Count)
            throw new ArgumentException($"the what-if has {r.Runs.Count} runs but chart data for {r.Charts.Count}: run WhatIfAnalysis.Run with charts: true", nameof(r));
        var v = WhatIfView.Of(r);

        HtmlReport.WriteHead(w, $"walsim what-if: {r.Scenario}");
        w.Write("<header>\n");
        w.Write($"<h1>walsim what-if: <span id=\"scenario-name\">{Html.Encode(r.Scenario)}</span></h1>\n");
        HtmlReport.WriteDescription(w, r.Description);
        var fixedMinors = v.FixedMinors;
        w.Write($"<p class=\"meta\">Settings written for PostgreSQL {Html.Encode(r.From.ToString())}, run on {Html.Encode(v.To)}" +
                (fixedMinors.Count > 0 ? $" and the fixed minor{(fixedMinors.Count > 1 ? "s" : "")} {Html.Encode(string.Join(", ", fixedMinors))}" : "") +
                $" · {HtmlReport.SimulatedUpTo(r.Charts)}</p>\n");
        w.Write("</header>\n<main>\n");

        WriteSideBySide(w, v);
        HtmlReport.WriteCharts(w, r.Charts);
        WriteComparisons(w, v);
        WriteMinorWarnings(w, r);
        HtmlReport.WriteSettings(w, r.Charts, [.. v.Columns.Select(c => c.Heading)]);

        w.Write("</main>\n");
        HtmlReport.WriteEnd(w, r.Charts, Data(r),
            "(the comparison itself as <code>whatif</code>: the document <code>walsim whatif --format json</code> prints and <code>--out</code> writes as <code>whatif.json</code>)");
    }

    /// <summary>The page's <c>#walsim-data</c>: <c>versions</c> for the charts, <c>whatif</c> as in whatif.json.</summary>
    internal static byte[] Data(WhatIfReport r)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, ReportJson.Options))
        {
            j.WriteStartObject();
            j.WriteString("generator", "walsim");
            j.WriteString("report", "whatif");
            j.WriteString("scenario", r.Scenario);
            if (r.Description is { } d) j.WriteString("description", d);
            else j.WriteNull("description");
            ReportJson.WriteVersions(j, r.Charts, i => WhatIfWriter.Role(r.Runs[i].Role));
            j.WritePropertyName("whatif");
            WhatIfWriter.WriteJson(j, r);
            j.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteSideBySide(TextWriter w, WhatIfView v)
    {
        w.Write("<section id=\"side-by-side\">\n<h2>Side by side</h2>\n<table>\n<thead><tr><th></th>");
        foreach (var x in v.Columns) w.Write($"<th class=\"{RoleClass(x.Role)}\">{Html.Encode(x.Heading)}</th>");
        w.Write("</tr></thead>\n<tbody>\n");
        string? slot = null;
        foreach (var row in v.Rows)
        {
            // Slot rows come grouped by slot: one heading row per slot, as in the simulate report.
            if (row.Slot is not null && row.Slot != slot)
                w.Write($"<tr class=\"slot-head\"><th colspan=\"{v.Columns.Count + 1}\">{Html.Encode($"slot {row.Slot}")}</th></tr>\n");
            slot = row.Slot;
            w.Write(row.Slot is null ? $"<tr><th>{Html.Encode(row.Name)}</th>" : $"<tr><th class=\"sub\">{Html.Encode(row.Name)}</th>");
            for (var i = 0; i < v.Columns.Count; i++)
                HtmlReport.WriteCell(w, row.Field, v.Columns[i].Version, row.Slot, row.Cells[i].Value, row.Cells[i].Text);
            w.Write("</tr>\n");
        }
        w.Write("</tbody>\n</table>\n</section>\n");
    }

    private static void WriteComparisons(TextWriter w, WhatIfView v) => HtmlReport.WriteSection(w, "comparisons", "", v.Comparisons, c =>
    {
        var (from, to) = (Html.Encode(c.From), Html.Encode(c.To));
        w.Write($"<div class=\"comparison\" data-from=\"{from}\" data-to=\"{to}\">\n<h2>{from} → {to}</h2>\n");
        w.Write("<h3>First divergence</h3>\n");
        w.Write($"<p class=\"explanation\">{Html.Encode(c.FirstDivergence)}</p>\n");
        if (c.DifferencesAt is { } where)
        {
            w.Write($"<table class=\"differences\">\n<thead><tr><th>{Html.Encode(where)}</th><th>{from}</th><th>{to}</th></tr></thead>\n<tbody>\n");
            foreach (var x in c.Differences)
                w.Write($"<tr><th>{Html.Encode(x.Decision)}</th><td>{Html.Encode(x.FromValue)}</td><td>{Html.Encode(x.ToValue)}</td></tr>\n");
            w.Write("</tbody>\n</table>\n");
        }
        w.Write($"<h3>Settings moved to {to}</h3>\n");
        HtmlReport.WriteList(w, " class=\"settings-translation\"", c.Settings, line => Html.Encode(line));
        if (c.AlsoDifferent.Count > 0)
        {
            w.Write("<h3>Also different</h3>\n");
            HtmlReport.WriteList(w, " class=\"also-different\"", c.AlsoDifferent, x =>
                $"<code>{Html.Encode(x.Capability)}</code> ({Html.Encode(x.FromValue)} → {Html.Encode(x.ToValue)}): {Html.Encode(x.Explanation)}");
        }
        w.Write("</div>\n");
    });

    private static void WriteMinorWarnings(TextWriter w, WhatIfReport r) => HtmlReport.WriteSection(w, "minor-warnings", "<h2>Minor releases</h2>\n", r.MinorWarnings, m =>
    {
        w.Write($"<div class=\"warning\" data-version=\"{Html.Encode(m.Version.ToString())}\">\n");
        w.Write($"<p><strong>⚠ {Html.Encode(m.Version.ToString())} has retention bugs fixed later in {m.Version.Major}.x</strong> " +
                $"(compared with {Html.Encode(m.ComparedWith.ToString())}, run on the same settings):</p>\n");
        HtmlReport.WriteList(w, "", m.Bugs, b => $"fixed in {Html.Encode(b.FixedIn.ToString())}: {Html.Encode(b.Description)}");
        w.Write($"<p class=\"effect\">Effect here: {Html.Encode(m.Effect)}.</p>\n</div>\n");
    });

    private static string RoleClass(string role) => "role-" + role.Replace('_', '-');
}

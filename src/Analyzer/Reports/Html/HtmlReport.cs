using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Walsim.Analyzer.Reports.Html;

/// <summary>
/// Renders one self-contained HTML report of a scenario run on one or more versions: a header, the settings and a
/// summary table (plain HTML, readable without scripts), and charts drawn in the browser by the vendored uPlot from
/// the embedded JSON (<see cref="ReportJson"/>): <c>pg_wal</c> over time against the disk and the cap with checkpoint
/// and invalidation markers, and per slot its retained bytes with <c>wal_status</c> bands, one line per version.
/// Scripts, styles and data are inlined: the file opens from disk with no network.
/// <para>
/// Every user string goes through <see cref="HtmlEncoder"/> (text and attributes) or the JSON encoder; the page's
/// own script puts strings into the page with <c>textContent</c> only.
/// </para>
/// </summary>
public static class HtmlReport
{
    /// <summary>uPlot's version, as vendored by scripts/vendor-uplot.sh.</summary>
    public const string UPlotVersion = "1.6.32";

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>Writes <c>report.html</c> at <paramref name="htmlPath"/> and <c>report.json</c> beside it, both or neither.</summary>
    /// <returns>The JSON file's path.</returns>
    public static string WriteFiles(string htmlPath, Scenario scenario, IReadOnlyList<VersionReport> versions)
    {
        var report = new SimulateReport(scenario, versions.Select(v => v.Result).ToList(), versions);
        return AtomicFile.WriteAll(report, SimulateRenderers.Registry.PageAt(htmlPath))[1];
    }

    public static void Write(TextWriter w, Scenario scenario, IReadOnlyList<VersionReport> versions)
    {
        var versionList = string.Join(", ", versions.Select(v => v.Result.Policy.Version.ToString()).Distinct());
        WriteHead(w, $"walsim: {scenario.Name}");
        w.Write("<header>\n");
        w.Write($"<h1>walsim report: <span id=\"scenario-name\">{Html.Encode(scenario.Name)}</span></h1>\n");
        WriteDescription(w, scenario.Description);
        w.Write($"<p class=\"meta\">PostgreSQL {Html.Encode(versionList)} · {SimulatedUpTo(versions)}</p>\n");
        w.Write("</header>\n<main>\n");

        WriteSettings(w, versions, versions.Select(v => v.Label).ToList());
        WriteSummary(w, versions);
        WriteCharts(w, versions);

        w.Write("</main>\n");
        WriteEnd(w, versions, ReportJson.ToUtf8(scenario, versions), "and written beside it as <code>report.json</code>");
    }

    /// <summary>The document up to <c>&lt;body&gt;</c>: the uPlot and report styles inlined.</summary>
    internal static void WriteHead(TextWriter w, string title)
    {
        w.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        w.Write($"<meta name=\"generator\" content=\"walsim\">\n<title>{Html.Encode(title)}</title>\n");
        w.Write("<style>\n");
        w.Write(Resource("uPlot.min.css"));
        w.Write("\n");
        w.Write(Resource("report.css"));
        w.Write("</style>\n</head>\n<body>\n");
    }

    internal static void WriteDescription(TextWriter w, string? description)
    {
        if (!string.IsNullOrWhiteSpace(description))
            w.Write($"<p class=\"description\">{Html.Encode(description)}</p>\n");
    }

    /// <summary>"simulated up to 8h · times are since the start of the scenario", encoded.</summary>
    internal static string SimulatedUpTo(IReadOnlyList<VersionReport> versions) =>
        $"simulated up to {Html.Encode(versions.Count > 0 ? versions.Max(v => v.Result.Summary.End).Display() : "0s")} · times are since the start of the scenario";

    /// <summary>
    /// The footer (how the timelines were thinned, uPlot's credit and where the data are: <paramref name="dataElsewhere"/>
    /// is trusted HTML after "the data are embedded as JSON (#walsim-data)"), the page's <paramref name="data"/> (JSON
    /// from <see cref="ReportJson"/>'s writer options, safe inside a script element), uPlot and the page's script.
    /// </summary>
    internal static void WriteEnd(TextWriter w, IReadOnlyList<VersionReport> versions, byte[] data, string dataElsewhere)
    {
        w.Write("<footer>\n");
        w.Write(Downsampling(versions));
        w.Write($"<p>Charts drawn by <a href=\"https://github.com/leeoniya/uPlot\">uPlot</a> {UPlotVersion} (MIT license, © Leon Sorokin), " +
                $"inlined in this file; the data are embedded as JSON (<code>#walsim-data</code>) {dataElsewhere}.</p>\n");
        w.Write("</footer>\n");

        w.Write("<script type=\"application/json\" id=\"walsim-data\">");
        w.Write(Encoding.UTF8.GetString(data));
        w.Write("</script>\n<script>\n");
        w.Write(Resource("uPlot.iife.min.js"));
        w.Write("\n</script>\n<script>\n");
        w.Write(Resource("report.js"));
        w.Write("</script>\n</body>\n</html>\n");
    }

    /// <summary>The key settings each version starts with (its own scenario: a what-if target's are translated),
    /// a column per version headed by <paramref name="headings"/>.</summary>
    internal static void WriteSettings(TextWriter w, IReadOnlyList<VersionReport> versions, IReadOnlyList<string> headings)
    {
        var perVersion = versions.Select(v => KeySettings.For(v.Result.Scenario, v.Result.Policy).ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        var names = versions.SelectMany(v => KeySettings.For(v.Result.Scenario, v.Result.Policy).Select(kv => kv.Key)).Distinct().ToList();
        w.Write("<section id=\"settings\">\n<h2>Settings at start</h2>\n<table>\n<thead><tr><th>setting</th>");
        foreach (var heading in headings) w.Write($"<th>{Html.Encode(heading)}</th>");
        w.Write("</tr></thead>\n<tbody>\n");
        foreach (var name in names)
        {
            w.Write($"<tr><th>{Html.Encode(name)}</th>");
            foreach (var s in perVersion) w.Write($"<td>{Html.Encode(s.TryGetValue(name, out var value) ? value : "—")}</td>");
            w.Write("</tr>\n");
        }
        // One disk for all: versions differ in settings (a what-if translates them), never in the volume.
        if (versions.Count > 0 && versions[0].Result.Scenario.Disk is { } disk)
        {
            var readOnly = disk.ReadOnlyAtFraction is { } f ? $", read-only at {f.ToString("0.##%", CultureInfo.InvariantCulture)}" : "";
            w.Write($"<tr><th>disk</th><td colspan=\"{versions.Count}\">{Html.Encode($"{disk.Size} ({disk.OtherUsage} not WAL{readOnly})")}</td></tr>\n");
        }
        w.Write("</tbody>\n</table>\n</section>\n");
    }

    private static void WriteSummary(TextWriter w, IReadOnlyList<VersionReport> versions)
    {
        w.Write("<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n<thead><tr><th></th>");
        foreach (var v in versions) w.Write($"<th>{Html.Encode(v.Label)}</th>");
        w.Write("</tr></thead>\n<tbody>\n");

        Row(w, versions, "peak pg_wal", "peak_pg_wal_bytes", v => Cell(v.PeakPgWalBytes.Bytes, v.PeakPgWalBytes.ToString()));
        Row(w, versions, "peak pg_wal files", "peak_pg_wal_files", v => Cell(v.PeakPgWalFiles, v.PeakPgWalFiles.ToString(CultureInfo.InvariantCulture)));
        Row(w, versions, "peak at", "peak_at_s", v => Time(v.PeakAt));
        Row(w, versions, "disk full", "disk_full_s", v => Time(v.DiskFull));
        Row(w, versions, "read-only", "read_only_s", v => Time(v.ReadOnly));
        Row(w, versions, "checkpoints", "checkpoints", v => Cell(v.Checkpoints, v.Checkpoints.ToString(CultureInfo.InvariantCulture)));
        Row(w, versions, "slot invalidations", "invalidations", v => Cell(v.Invalidations, v.Invalidations.ToString(CultureInfo.InvariantCulture)));
        Row(w, versions, "end", "end_s", v => Time(v.End));

        var slotNames = versions.SelectMany(v => v.Result.Slots.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in slotNames)
        {
            SlotSummary? Slot(SimulationResult r) => r.Slots.FirstOrDefault(s => s.Name == name);
            var label = $"slot {name}";
            w.Write($"<tr class=\"slot-head\"><th colspan=\"{versions.Count + 1}\">{Html.Encode(label)}</th></tr>\n");
            SlotRow(w, versions, name, "extended", "extended_s", r => Slot(r) is { } s && r.Policy.ReportsWalStatus ? Time(s.FirstExtended) : None());
            SlotRow(w, versions, name, "unreserved", "unreserved_s", r => Slot(r) is { } s && r.Policy.ReportsWalStatus ? Time(s.FirstUnreserved) : None());
            SlotRow(w, versions, name, "lost", "lost_s", r => Slot(r) is { } s ? Time(s.Lost) : None());
            SlotRow(w, versions, name, "peak retained", "peak_retained_bytes", r => Slot(r) is { } s ? Cell(s.PeakRetained.Bytes, s.PeakRetained.ToString()) : None());
        }
        w.Write("</tbody>\n</table>\n</section>\n");
    }

    /// <summary>The chart elements the script draws into: pg_wal, then each slot; versions overlaid in each.</summary>
    internal static void WriteCharts(TextWriter w, IReadOnlyList<VersionReport> versions)
    {
        w.Write("<section id=\"charts\">\n<h2>pg_wal over time</h2>\n");
        w.Write("<p class=\"hint\">Size of pg_wal per version, against the space the disk leaves for it, the read-only threshold and " +
                "max_slot_wal_keep_size (at start). A dot marks each version's exact peak (it can fall between the charted instants); " +
                "ticks along the bottom are checkpoints, one row per version, red where one invalidated a slot; a dashed red line marks a slot lost.</p>\n");
        w.Write("<div class=\"chart\" id=\"chart-pg-wal\" data-chart=\"pg_wal\"></div>\n");
        // pg_wal by reason (walsim explain's breakdown at every charted instant), one stacked chart per version/node.
        var explained = Enumerable.Range(0, versions.Count).Where(i => versions[i].Points.Count > 0 && versions[i].Points.All(p => p.ReasonBytes is not null)).ToList();
        WriteChartSeries(w, explained, i => ($"pg_wal by reason: {Html.Encode(versions[i].Label)}", $"reasons-{i}", "reasons", $" data-version=\"{i}\""),
            "Each file of pg_wal has one reason (walsim explain), stacked from the bottom: redo (from the last " +
            "checkpoint's redo to the insert position), wal_keep, each slot (the WAL advancing it to the next slot would free), " +
            "the archiver (.ready), recycled ahead (pre-allocated names past the insert position), and removable (released, " +
            "waiting for the next checkpoint). Only the reasons that ever hold a file are drawn.");
        var slotNames = versions.SelectMany(v => v.SlotNames).Distinct(StringComparer.Ordinal).ToList();
        WriteChartSeries(w, [.. Enumerable.Range(0, slotNames.Count)], i => ($"slot {Html.Encode(slotNames[i])}: retained WAL", $"slot-{i}", "slot", $" data-slot=\"{Html.Encode(slotNames[i])}\""),
            "Band under each slot chart, one row per version: wal_status — " +
            "<span class=\"swatch reserved\"></span>reserved <span class=\"swatch extended\"></span>extended " +
            "<span class=\"swatch unreserved\"></span>unreserved <span class=\"swatch lost\"></span>lost " +
            "<span class=\"swatch none\"></span>no slot / no wal_status.");
        w.Write("</section>\n");
    }

    /// <summary>Charts of one kind, one per item (its heading, element id, <c>data-chart</c> for report.js and further
    /// attributes saying what it draws, all already encoded), then the hint that explains them all; nothing when there
    /// are none.</summary>
    private static void WriteChartSeries(TextWriter w, IReadOnlyList<int> items, Func<int, (string Heading, string Id, string Chart, string Attributes)> chart, string hint)
    {
        foreach (var item in items)
        {
            var (heading, id, kind, attributes) = chart(item);
            w.Write($"<h2>{heading}</h2>\n");
            w.Write($"<div class=\"chart\" id=\"chart-{id}\" data-chart=\"{kind}\"{attributes}></div>\n");
        }
        if (items.Count > 0) w.Write($"<p class=\"hint\">{hint}</p>\n");
    }

    /// <summary>A <c>&lt;section&gt;</c> of the page, <paramref name="id"/>, opening with <paramref name="open"/> (its
    /// heading, already encoded; empty for none), then <paramref name="writeItem"/> for each of <paramref name="items"/>;
    /// nothing at all when there are none.</summary>
    internal static void WriteSection<T>(TextWriter w, string id, string open, IReadOnlyList<T> items, Action<T> writeItem)
    {
        if (items.Count == 0) return;
        w.Write($"<section id=\"{id}\">\n{open}");
        foreach (var item in items) writeItem(item);
        w.Write("</section>\n");
    }

    /// <summary>A list (<c>&lt;ul&gt;</c> with <paramref name="attributes"/>, already encoded) of items already encoded.</summary>
    internal static void WriteList<T>(TextWriter w, string attributes, IEnumerable<T> items, Func<T, string> itemHtml)
    {
        w.Write($"<ul{attributes}>\n");
        foreach (var item in items) w.Write($"<li>{itemHtml(item)}</li>\n");
        w.Write("</ul>\n");
    }

    private static string Downsampling(IReadOnlyList<VersionReport> versions)
    {
        var sb = new StringBuilder("<p>Timeline: ");
        sb.Append(string.Join("; ", versions.Select(v => v.BucketMicroseconds > 1
            ? string.Create(CultureInfo.InvariantCulture, $"{Html.Encode(v.Label)} {v.Points.Count} of {v.RowsSeen} rows (buckets of {new SimDuration(v.BucketMicroseconds).Display()}, each keeping the rows with its minimum and maximum of every series and its worst wal_status)")
            : string.Create(CultureInfo.InvariantCulture, $"{Html.Encode(v.Label)} all {v.RowsSeen} rows"))));
        var thinned = versions.Where(v => v.Checkpoints.Count < v.CheckpointsSeen).ToList();
        if (thinned.Count > 0)
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $". Checkpoint ticks thinned to {string.Join(", ", thinned.Select(v => $"{v.Checkpoints.Count} of {v.CheckpointsSeen}"))} (every invalidating checkpoint kept)"));
        sb.Append(". The tables are exact; <code>walsim simulate</code> writes every row to its timeline CSV files.</p>\n");
        return sb.ToString();
    }

    private readonly record struct CellValue(string? Raw, string Text);

    private static CellValue Cell(long raw, string text) => new(raw.ToString(CultureInfo.InvariantCulture), text);

    private static CellValue Time(SimTime? t) => t is { IsNever: false } v ? new(Formats.Seconds(v), v.Display()) : new(null, "never");

    private static CellValue None() => new(null, "—");

    private static void Row(TextWriter w, IReadOnlyList<VersionReport> versions, string label, string key, Func<RunSummary, CellValue> cell)
    {
        w.Write($"<tr><th>{Html.Encode(label)}</th>");
        foreach (var v in versions)
        {
            var c = cell(v.Result.Summary);
            WriteCell(w, key, v.Label, null, c.Raw, c.Text);
        }
        w.Write("</tr>\n");
    }

    private static void SlotRow(TextWriter w, IReadOnlyList<VersionReport> versions, string slot, string label, string key, Func<SimulationResult, CellValue> cell)
    {
        w.Write($"<tr><th class=\"sub\">{Html.Encode(label)}</th>");
        foreach (var v in versions)
        {
            var c = cell(v.Result);
            WriteCell(w, key, v.Label, slot, c.Raw, c.Text);
        }
        w.Write("</tr>\n");
    }

    /// <summary>
    /// A table cell showing one JSON field of one version (of a slot): <c>data-key</c>, <c>data-version</c>,
    /// <c>data-slot</c> and the exact <c>data-value</c> (empty for null) let a script or a test match it to the JSON.
    /// </summary>
    internal static void WriteCell(TextWriter w, string key, string version, string? slot, string? value, string text)
    {
        w.Write($"<td data-key=\"{Html.Encode(key)}\" data-version=\"{Html.Encode(version)}\"");
        if (slot is not null) w.Write($" data-slot=\"{Html.Encode(slot)}\"");
        w.Write($" data-value=\"{Html.Encode(value ?? "")}\">");
        w.Write(Html.Encode(text));
        w.Write("</td>");
    }

    /// <summary>An embedded file of this assembly (the vendored uPlot files, the page's script and styles).</summary>
    internal static string Resource(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream($"Walsim.Analyzer.Reports.Html.{name}")
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from {typeof(HtmlReport).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

using System.Globalization;
using System.Text.Encodings.Web;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>
/// One self-contained HTML page for <c>walsim plan</c>: the recommendation per slot, a table of caps (longest outage
/// survived, what gives out first, peak pg_wal), heatmaps of outage × cap (probability of losing the slot, of the
/// volume filling) as plain coloured tables that read without scripts, and a uPlot chart of the longest outage
/// survived against the cap. The data are the plan's JSON (<see cref="PlanWriter.WriteJson"/>), embedded; every
/// user string is HTML-encoded; the JSON encoder escapes &lt;, &gt; and &amp;, so no string can close the script.
/// </summary>
public static class PlanHtmlReport
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter w, PlanSource source, PlanResult plan)
    {
        var json = new StringWriter(Inv);
        PlanWriter.WriteJson(json, source, plan);
        var header = PlanWriter.Header(source, plan);

        HtmlReport.WriteHead(w, $"walsim plan: {source.Scenario.Name}");
        w.Write("<style>\ntd.p { text-align: right; min-width: 3.2em; }\n.recommendation { background: #fff; border-left: 4px solid #1f6fb4; padding: 8px 12px; max-width: 100ch; }\n</style>\n");
        w.Write("<header>\n");
        w.Write($"<h1>walsim plan: <span id=\"scenario-name\">{Html.Encode(source.Scenario.Name)}</span> on PostgreSQL {Html.Encode(plan.Options.Version.ToString())}</h1>\n");
        if (!source.IsSamples) HtmlReport.WriteDescription(w, source.Scenario.Description);
        w.Write("<ul class=\"figures\">\n");
        foreach (var line in header.Skip(1)) w.Write($"<li>{Html.Encode(line.Trim())}</li>\n");
        w.Write("</ul>\n</header>\n<main>\n");

        for (var s = 0; s < plan.Slots.Count; s++)
        {
            var slot = plan.Slots[s];
            w.Write($"<section class=\"slot\" id=\"slot-{s}\">\n<h2>slot {Html.Encode(slot.Slot)} ({Html.Encode(slot.Kind.ToString().ToLowerInvariant())})</h2>\n");
            w.Write($"<p class=\"recommendation\" data-cap-mb=\"{slot.Recommendation.Cap?.Megabytes.ToString(Inv) ?? ""}\">{Html.Encode(slot.Recommendation.Reason)}</p>\n");
            WriteCaps(w, plan, slot);
            w.Write($"<div class=\"chart\" data-chart=\"survival\" data-slot-index=\"{s}\"></div>\n");
            w.Write("<p class=\"hint\">Longest outage the slot survives, against the cap: in the share of runs the risk allows (red) and in half of them (blue); the dashed line is the target outage. Points above the longest outage judged are left out.</p>\n");
            WriteHeatmap(w, slot, "slot-lost", "P(slot lost): share of runs in which an outage of this length (rows) costs the slot under this cap (columns)", c => c.PSlotLost);
            if (slot.Caps.Any(c => c.Cells.Any(x => x.DiskFull + x.ReadOnly > 0)))
                WriteHeatmap(w, slot, "disk-full", "P(disk full or read-only): share of runs in which the volume fills (or crosses the read-only threshold) first", c => c.PDiskFull + c.PReadOnly);
            w.Write("</section>\n");
        }

        w.Write("</main>\n<footer>\n");
        w.Write($"<p>{plan.EngineRuns.ToString(Inv)} engine runs; each run stops one consumer at a random time and never brings it back, so one run answers every outage length (a checkpoint that reads the returned consumer's position removes its WAL). The same seed gives the same plan.</p>\n");
        w.Write($"<p>Chart drawn by <a href=\"https://github.com/leeoniya/uPlot\">uPlot</a> {HtmlReport.UPlotVersion} (MIT license, © Leon Sorokin), inlined in this file; the data are embedded as JSON (<code>#walsim-data</code>), the same as plan.json.</p>\n");
        w.Write("</footer>\n<script type=\"application/json\" id=\"walsim-data\">");
        w.Write(json.ToString());
        w.Write("</script>\n<script>\n");
        w.Write(HtmlReport.Resource("uPlot.iife.min.js"));
        w.Write("\n</script>\n<script>\n");
        w.Write(HtmlReport.Resource("plan.js"));
        w.Write("</script>\n</body>\n</html>\n");
    }

    private static void WriteCaps(TextWriter w, PlanResult plan, SlotPlan slot)
    {
        var risk = plan.Options.Risk;
        var longest = plan.Options.Outages[^1];
        string S(Simulator.Units.SimDuration? d) => d is { } v && v <= longest ? PlanWriter.Span(v) : $"> {PlanWriter.Span(longest)}";
        w.Write("<table class=\"caps\">\n<thead><tr><th>max_slot_wal_keep_size</th>");
        w.Write($"<th>survives ({Html.Encode(CapacityPlanner.Percent(1 - risk))} of runs)</th><th>median</th><th>first to give out if never back</th><th>peak pg_wal</th></tr></thead>\n<tbody>\n");
        foreach (var c in slot.Caps)
        {
            var first = string.Join(", ", c.FirstToGiveOut.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Select(kv => $"{PlanWriter.Words(kv.Key)} {kv.Value}"));
            var chosen = slot.Recommendation.Cap == c.Cap ? " class=\"chosen\"" : "";
            w.Write($"<tr{chosen} data-cap-mb=\"{c.Cap.Megabytes.ToString(Inv)}\"><th>{Html.Encode(c.Cap.ToString())}</th><td>{Html.Encode(S(c.Survivable.Quantile(risk)))}</td>" +
                    $"<td>{Html.Encode(S(c.Survivable.P50))}</td><td>{Html.Encode(first)}</td><td>{Html.Encode(c.PeakPgWal.ToString())}</td></tr>\n");
        }
        w.Write("</tbody>\n</table>\n");
    }

    private static void WriteHeatmap(TextWriter w, SlotPlan slot, string id, string caption, Func<PlanCell, double> p)
    {
        w.Write($"<h3>{Html.Encode(caption)}</h3>\n<table class=\"heatmap\" data-heatmap=\"{id}\">\n<thead><tr><th>outage</th>");
        foreach (var c in slot.Caps) w.Write($"<th>{Html.Encode(c.Cap.ToString())}</th>");
        w.Write("</tr></thead>\n<tbody>\n");
        for (var k = 0; k < slot.Caps[0].Cells.Count; k++)
        {
            var outage = slot.Caps[0].Cells[k].Outage;
            w.Write($"<tr><th>{Html.Encode(PlanWriter.Span(outage))}</th>");
            foreach (var c in slot.Caps)
            {
                var v = p(c.Cells[k]);
                w.Write($"<td class=\"p\" style=\"background:{Color(v)}\" data-cap-mb=\"{c.Cap.Megabytes.ToString(Inv)}\" data-outage-s=\"{outage.TotalSeconds.ToString(Inv)}\" data-p=\"{v.ToString("0.####", Inv)}\">{PlanWriter.Pct(v)}</td>");
            }
            w.Write("</tr>\n");
        }
        w.Write("</tbody>\n</table>\n");
    }

    /// <summary>Green at 0, through yellow, to red at 1; any probability above 0 is visibly off green.</summary>
    private static string Color(double p)
    {
        if (p <= 0) return "hsl(120,55%,88%)";
        var hue = 60 * (1 - Math.Min(1, p)); // yellow (60) to red (0)
        return string.Create(Inv, $"hsl({hue:0},85%,{78 - 18 * p:0}%)");
    }
}

using ScottPlot;
using Walsim.Analyzer.Planning;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// <c>walsim plan</c>'s charts as images, per slot: the longest outage survived against <c>max_slot_wal_keep_size</c>
/// (the HTML report's uPlot chart, plan.js) and the heatmap of P(slot lost) by outage and cap (its coloured table,
/// <see cref="PlanHtmlReport"/>), from the <see cref="PlanResult"/> that <see cref="PlanWriter"/> writes.
/// </summary>
public static class PlanCharts
{
    /// <summary>Every chart: per slot, its survival chart then its heatmap.</summary>
    public static IReadOnlyList<Chart> For(PlanResult plan) =>
        plan.Slots.SelectMany((s, i) => new[] { Survival(plan, i), SlotLostHeatmap(plan, i) }).ToList();

    /// <summary>The first slot's survival chart as a PNG (<see cref="For"/> has every chart).</summary>
    /// <exception cref="ArgumentException">The plan has no slot.</exception>
    public static byte[] Png(PlanResult plan, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        Survival(plan, FirstSlot(plan)).Png(width, height);

    /// <summary>The first slot's survival chart as SVG (<see cref="For"/> has every chart).</summary>
    /// <exception cref="ArgumentException">The plan has no slot.</exception>
    public static string Svg(PlanResult plan, int width = ChartStyle.DefaultWidth, int height = ChartStyle.DefaultHeight) =>
        Survival(plan, FirstSlot(plan)).Svg(width, height);

    private static int FirstSlot(PlanResult plan) =>
        plan.Slots.Count > 0 ? 0 : throw new ArgumentException("the plan has no slot to chart", nameof(plan));

    /// <summary>
    /// The longest outage slot <paramref name="slotIndex"/> survives under each finite cap: in the share of runs the
    /// risk allows (red) and in half of them (blue), against the target outage (dashed). The cap axis is log₂ (caps
    /// grow by factors), with a tick at every candidate; the recommended cap, when there is one, is a vertical line. A
    /// cap that survives beyond the longest outage judged is drawn as a triangle at that length: the plan cannot say
    /// how much longer.
    /// </summary>
    public static Chart Survival(PlanResult plan, int slotIndex)
    {
        var slot = plan.Slots[slotIndex];
        var o = plan.Options;
        var title = $"slot {slot.Slot}: longest outage survived (PostgreSQL {o.Version})";
        return new Chart($"survival-{slotIndex + 1}-{TimelineCharts.FileStem(slot.Slot)}", title, (width, height) =>
        {
            var plot = ChartStyle.NewPlot(title, "max_slot_wal_keep_size (log scale)", "longest outage survived");
            var finite = slot.Caps.Where(c => !c.Cap.IsUnlimited).ToList();
            var longest = o.Outages[^1].TotalSeconds / 3600;
            var target = o.TargetOutage.TotalSeconds / 3600;
            if (finite.Count == 0)
            {
                ChartStyle.Label(plot, "No finite cap was judged: nothing to chart.", 0.5, 0.5, ChartStyle.Text, Alignment.MiddleCenter, size: ChartStyle.LabelSize);
                plot.Axes.SetLimits(0, 1, 0, 1);
                plot.Axes.Bottom.TickGenerator = ChartAxes.Manual([]);
                plot.Axes.Left.TickGenerator = ChartAxes.Manual([]);
                return plot;
            }
            var xs = finite.Select(c => Math.Log2((double)c.Cap.Megabytes / 1024)).ToArray();
            var atRisk = finite.Select(c => c.Survivable.Quantile(o.Risk)).ToList();
            var median = finite.Select(c => c.Survivable.P50).ToList();
            var shown = atRisk.Concat(median).Select(d => Hours(d, longest)).ToList();
            // The value axis reaches the longest outage judged only when some cap survives beyond it (a triangle
            // there); otherwise up to the longest survival drawn or the target, so that the lines are not squashed.
            var beyond = shown.Any(double.IsNaN);
            var top = Math.Max(target, beyond ? longest : shown.Where(h => !double.IsNaN(h)).DefaultIfEmpty(0).Max()) * 1.08;

            // Half a step of room either side, so the end points are not on the frame.
            var pad = xs.Length > 1 ? (xs[^1] - xs[0]) / (xs.Length - 1) / 2 : 0.5;
            var (left, right) = (xs[0] - pad, xs[^1] + pad);
            if (slot.Recommendation.Cap is { IsUnlimited: false } chosen)
            {
                var x = Math.Log2((double)chosen.Megabytes / 1024);
                var line = plot.Add.VerticalLine(x, 1.5f, ChartStyle.Palette[2], ChartStyle.DashedLine);
                line.LegendText = $"recommended max_slot_wal_keep_size {chosen}";
                (left, right) = (Math.Min(left, x - pad), Math.Max(right, x + pad));
            }
            // Where both survive beyond the longest outage, their triangles sit side by side rather than one on the other.
            var share = CapacityPlanner.Percent(1 - o.Risk);
            Survives(plot, xs, atRisk, longest, -0.04, ChartStyle.Lost, $"survives in {share} of runs");
            Survives(plot, xs, median, longest, 0.04, ChartStyle.Palette[0], "survives in half of the runs (median)");
            var targetLine = plot.Add.HorizontalLine(target, 1.5f, ChartStyle.Muted, ChartStyle.DashedLine);
            targetLine.LegendText = $"target outage {PlanWriter.Span(o.TargetOutage)}";
            if (beyond)
            {
                var judged = plot.Add.HorizontalLine(longest, 1, ChartStyle.Muted.WithAlpha(0.6), ChartStyle.DottedLine);
                judged.LegendText = $"longest outage judged {PlanWriter.Span(o.Outages[^1])} (▲ = survives beyond it)";
            }

            plot.Axes.SetLimits(left, right, 0, top);
            plot.Axes.Bottom.TickGenerator = ChartAxes.Manual(finite.Select((c, i) => Tick.Major(xs[i], c.Cap.ToString())));
            ChartAxes.HoursAxis(plot.Axes.Left, top, height);
            ChartStyle.LegendBelow(plot);
            return plot;
        });
    }

    /// <summary>
    /// P(slot lost) for slot <paramref name="slotIndex"/>: one cell per outage (rows, shortest on top) and cap
    /// (columns), coloured as the HTML report's table (green at 0, through yellow, to red at 1) and labelled with the
    /// percentage as the Markdown writes it (<c>&lt;1</c>, <c>&gt;99</c>); the recommended cap's column is outlined.
    /// </summary>
    public static Chart SlotLostHeatmap(PlanResult plan, int slotIndex)
    {
        var slot = plan.Slots[slotIndex];
        var title = $"slot {slot.Slot}: P(slot lost), % of runs (PostgreSQL {plan.Options.Version})";
        return new Chart($"p-slot-lost-{slotIndex + 1}-{TimelineCharts.FileStem(slot.Slot)}", title, (width, height) =>
        {
            var plot = ChartStyle.NewPlot(title, "max_slot_wal_keep_size", "outage");
            var caps = slot.Caps;
            var rows = caps.Count == 0 ? 0 : caps[0].Cells.Count;
            for (var c = 0; c < caps.Count; c++)
                for (var k = 0; k < rows; k++)
                {
                    var p = caps[c].Cells[k].PSlotLost;
                    var cell = plot.Add.Rectangle(c, c + 1, -k - 1, -k);
                    cell.FillColor = HeatColor(p);
                    cell.LineColor = Colors.White;
                    cell.LineWidth = 1;
                    ChartStyle.Label(plot, PlanWriter.Pct(p), c + 0.5, -k - 0.5, ChartStyle.Text, Alignment.MiddleCenter, size: ChartStyle.TickSize, background: false);
                }
            if (slot.Recommendation.Cap is { } chosen && caps.Select(x => x.Cap).ToList().IndexOf(chosen) is var ci and >= 0)
            {
                var outline = plot.Add.Rectangle(ci, ci + 1, -rows, 0);
                outline.FillColor = Colors.Transparent;
                outline.LineColor = ChartStyle.Palette[0];
                outline.LineWidth = 3;
                outline.LegendText = $"recommended: {chosen}";
                ChartStyle.LegendBelow(plot);
            }
            plot.Axes.SetLimits(0, Math.Max(1, caps.Count), -Math.Max(1, rows), 0);
            plot.Axes.Bottom.TickGenerator = ChartAxes.Manual(caps.Select((x, c) => Tick.Major(c + 0.5, x.Cap.ToString())));
            plot.Axes.Left.TickGenerator = ChartAxes.Manual(Enumerable.Range(0, rows).Select(k => Tick.Major(-k - 0.5, PlanWriter.Span(caps[0].Cells[k].Outage))));
            plot.HideGrid();
            return plot;
        });
    }

    /// <summary>A survival in hours; NaN when beyond the longest outage judged (or never lost).</summary>
    private static double Hours(SimDuration? survives, double longest) =>
        survives is { IsInfinite: false } d && d.TotalSeconds / 3600 <= longest ? d.TotalSeconds / 3600 : double.NaN;

    /// <summary>One survival line: finite lengths within the outages judged joined, longer ones as triangles on the top line.</summary>
    private static void Survives(Plot plot, double[] xs, IReadOnlyList<SimDuration?> values, double longest, double nudge, Color color, string legend)
    {
        var ys = values.Select(v => Hours(v, longest)).ToArray();
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.MarkerSize = 7;
        line.MarkerShape = MarkerShape.FilledCircle;
        line.LegendText = legend;
        var beyond = xs.Where((_, i) => double.IsNaN(ys[i])).Select(x => x + nudge).ToArray();
        if (beyond.Length == 0) return;
        var markers = plot.Add.Markers(beyond, beyond.Select(_ => longest).ToArray(), MarkerShape.FilledTriangleUp, 10, color);
        markers.LegendText = "";
    }

    /// <summary>The HTML report's heatmap colour (PlanHtmlReport.Color): hsl(120,55%,88%) at 0, else hue 60 → 0 and
    /// lightness 78 % → 60 % as p grows, saturation 85 %.</summary>
    internal static Color HeatColor(double p)
    {
        if (p <= 0) return Hsl(120, 0.55, 0.88);
        p = Math.Min(1, p);
        // Rounded as the HTML's hsl() text is, so both show the same colour.
        return Hsl(Math.Round(60 * (1 - p)), 0.85, Math.Round(78 - 18 * p) / 100);
    }

    private static Color Hsl(double hue, double s, double l)
    {
        var c = (1 - Math.Abs(2 * l - 1)) * s;
        var h = hue / 60;
        var x = c * (1 - Math.Abs(h % 2 - 1));
        var (r, g, b) = h switch { < 1 => (c, x, 0d), < 2 => (x, c, 0d), < 3 => (0d, c, x), < 4 => (0d, x, c), < 5 => (x, 0d, c), _ => (c, 0d, x) };
        var m = l - c / 2;
        static byte B(double v) => (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);
        return new Color(B(r + m), B(g + m), B(b + m));
    }
}

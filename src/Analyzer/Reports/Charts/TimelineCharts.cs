using ScottPlot;
using Walsim.Analyzer.Reports.Html;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>One run as a chart series: what it collected and how the legend names it.</summary>
internal sealed record ChartRun(VersionReport Report, string Label);

/// <summary>
/// The two charts of the HTML report (report.js), drawn from the same data (<see cref="VersionReport"/>: the
/// downsampled timeline, the run's summary and limits): <c>pg_wal</c> over time, one line per run, against the space the
/// disk leaves, the read-only threshold and <c>max_slot_wal_keep_size</c>, each run's exact peak dotted and each slot
/// loss marked; and per slot its retained WAL, one line per run, with a <c>wal_status</c> band per run beneath.
/// </summary>
internal static class TimelineCharts
{
    /// <summary>A wal_status band's height in pixels (with its gap), within these bounds: about 6 % of the data area.</summary>
    private const double MinBandPixels = 17, MaxBandPixels = 22;

    internal static IReadOnlyList<Chart> All(IReadOnlyList<ChartRun> runs, string titlePrefix)
    {
        var charts = new List<Chart> { PgWal(runs, titlePrefix) };
        var slots = runs.SelectMany(r => r.Report.SlotNames).Distinct(StringComparer.Ordinal).ToList();
        for (var i = 0; i < slots.Count; i++) charts.Add(Slot(runs, titlePrefix, slots[i], i + 1));
        return charts;
    }

    internal static Chart PgWal(IReadOnlyList<ChartRun> runs, string titlePrefix)
    {
        var title = $"{titlePrefix}: pg_wal over time";
        return new Chart("pg-wal", title, (width, height) =>
        {
            var unit = ChartAxes.SizeUnit.For(runs.Select(r => Math.Max(r.Report.Result.Summary.PeakPgWalBytes.Bytes, Limits.Of(r.Report).Max)).DefaultIfEmpty(0).Max());
            var plot = ChartStyle.NewPlot(title, "time since start", $"pg_wal size ({unit.Name})");
            var end = End(runs);
            var top = 0d;
            // The engine's exact peak of each run, which may fall between the charted instants. Added before the
            // lines: ScottPlot 5.1.59 fills a marker with the dash of the dashed line drawn just before it, which
            // the SVG writer cannot draw ("Unsupported path effect" on stderr, the dot missing).
            for (var i = 0; i < runs.Count; i++)
            {
                var s = runs[i].Report.Result.Summary;
                var peak = plot.Add.Marker(s.PeakAt.TotalSeconds, unit.Of(s.PeakPgWalBytes.Bytes), MarkerShape.FilledCircle, 8, ChartStyle.ColorOf(i));
                peak.LegendText = "";
                top = Math.Max(top, unit.Of(s.PeakPgWalBytes.Bytes));
            }
            for (var i = 0; i < runs.Count; i++)
            {
                var v = runs[i].Report;
                var xs = v.Points.Select(p => p.AtMicroseconds / 1e6).ToArray();
                var ys = v.Points.Select(p => unit.Of(p.PgWalBytes)).ToArray();
                Line(plot, xs, ys, i, $"pg_wal {runs[i].Label}");
                top = Math.Max(top, ys.DefaultIfEmpty(0).Max());
            }
            top = Math.Max(top, LimitLines(plot, runs, unit, slotChart: false));
            top = top > 0 ? top * 1.08 : 1;
            LossMarkers(plot, runs, null, end, top);
            plot.Axes.SetLimits(0, end, 0, top);
            ChartAxes.TimeAxis(plot.Axes.Bottom, end, width);
            ChartAxes.ValueAxis(plot.Axes.Left, top, height);
            ChartStyle.LegendBelow(plot);
            return plot;
        });
    }

    internal static Chart Slot(IReadOnlyList<ChartRun> runs, string titlePrefix, string slot, int number)
    {
        var title = $"{titlePrefix}: slot {slot}, retained WAL";
        return new Chart($"slot-{number}-{FileStem(slot)}", title, (width, height) =>
        {
            var peak = runs.Select(r => r.Report.Result.Slots.FirstOrDefault(s => s.Name == slot)?.PeakRetained.Bytes ?? 0).DefaultIfEmpty(0).Max();
            var unit = ChartAxes.SizeUnit.For(Math.Max(peak, runs.Select(r => Limits.Of(r.Report).CapBytes ?? 0).DefaultIfEmpty(0).Max()));
            var plot = ChartStyle.NewPlot(title, "time since start", $"retained WAL ({unit.Name})");
            var end = End(runs);
            var top = unit.Of(peak);
            for (var i = 0; i < runs.Count; i++)
            {
                var v = runs[i].Report;
                var si = IndexOf(v, slot);
                var xs = v.Points.Select(p => p.AtMicroseconds / 1e6).ToArray();
                var ys = v.Points.Select(p => si >= 0 && p.Retained[si] is { } b ? unit.Of(b) : double.NaN).ToArray();
                Line(plot, xs, ys, i, $"{slot} {runs[i].Label}");
                top = Math.Max(top, ys.Where(y => !double.IsNaN(y)).DefaultIfEmpty(0).Max());
            }
            top = Math.Max(top, LimitLines(plot, runs, unit, slotChart: true));
            top = top > 0 ? top * 1.08 : 1;

            var zero = plot.Add.HorizontalLine(0, 1, ChartStyle.Muted);
            zero.LegendText = "";
            StatusLegend(plot, runs.SelectMany(r => Statuses(r.Report, slot)).ToHashSet());
            LossMarkers(plot, runs, slot, end, top);
            ChartAxes.TimeAxis(plot.Axes.Bottom, end, width);
            ChartStyle.LegendBelow(plot);

            // The wal_status bands go under zero, one row per run, labelled on the value axis. Rows are sized in
            // pixels, so their labels stay legible on a small image: a first layout, without them, tells the data
            // area's height once the title, the time axis and the legend have taken theirs. The first row starts a
            // little below zero so that its label clears the axis's "0".
            plot.Axes.SetLimits(0, end, 0, top);
            var dataPixels = Math.Max(1, ChartStyle.Layout(plot, width, height).Height);
            var rowPixels = Math.Clamp(dataPixels * 0.06, MinBandPixels, MaxBandPixels);
            var share = Math.Min(0.5, rowPixels * (runs.Count + 0.5) / dataPixels);
            var row = top * share / (1 - share) / (runs.Count + 0.5);
            var bandTicks = new List<Tick>();
            for (var i = 0; i < runs.Count; i++)
            {
                var y2 = -(i + 0.5) * row - row * 0.15;
                var y1 = y2 - row * 0.8;
                Bands(plot, runs[i].Report, slot, end, y1, y2);
                bandTicks.Add(Tick.Major((y1 + y2) / 2, runs[i].Report.Label));
            }
            plot.Axes.SetLimits(0, end, -(runs.Count + 0.5) * row, top);
            ChartAxes.ValueAxis(plot.Axes.Left, top, (int)(dataPixels * (1 - share)), bandTicks);
            return plot;
        });
    }

    /// <summary>The later of every run's end and its last charted instant, in seconds (at least one).</summary>
    private static double End(IReadOnlyList<ChartRun> runs) =>
        Math.Max(1, runs.Select(r => Math.Max(r.Report.Result.Summary.End.TotalSeconds, r.Report.Points.Count > 0 ? r.Report.Points[^1].AtMicroseconds / 1e6 : 0))
            .DefaultIfEmpty(0).Max());

    private static int IndexOf(VersionReport v, string slot)
    {
        for (var i = 0; i < v.SlotNames.Count; i++)
            if (v.SlotNames[i] == slot) return i;
        return -1;
    }

    /// <summary>
    /// One run's line, in its colour and dash; NaN (no slot at that instant) breaks it. Drawn as one scatter per
    /// unbroken stretch, only the first named in the legend.
    /// </summary>
    private static void Line(Plot plot, double[] xs, double[] ys, int index, string legend)
    {
        var named = false;
        var start = 0;
        for (var k = 0; k <= xs.Length; k++)
        {
            if (k < xs.Length && !double.IsNaN(ys[k])) continue;
            if (k > start)
            {
                var s = plot.Add.ScatterLine(xs[start..k], ys[start..k], ChartStyle.ColorOf(index));
                s.LineWidth = 2;
                s.LinePattern = ChartStyle.DashOf(index);
                s.MarkerSize = k - start == 1 ? 4 : 0;
                s.LegendText = named ? "" : legend;
                named = true;
            }
            start = k + 1;
        }
        if (!named)
        {
            // A run without this slot still gets its legend entry, so every run's colour is explained.
            var s = plot.Add.ScatterLine(Array.Empty<double>(), Array.Empty<double>(), ChartStyle.ColorOf(index));
            s.LineWidth = 2;
            s.LinePattern = ChartStyle.DashOf(index);
            s.LegendText = legend + " (no data)";
        }
    }

    /// <summary>
    /// The horizontal limit lines, each value once (runs of a what-if may share or differ in them), named in the
    /// legend; the pg_wal chart draws all three, a slot chart only the cap. Returns the highest line, in the unit.
    /// </summary>
    private static double LimitLines(Plot plot, IReadOnlyList<ChartRun> runs, ChartAxes.SizeUnit unit, bool slotChart)
    {
        var top = 0d;
        var drawn = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in runs)
        {
            var l = Limits.Of(r.Report);
            var lines = new List<(long? Bytes, Color Color, LinePattern Pattern, string Name)>();
            if (!slotChart)
            {
                lines.Add((l.DiskWalSpaceBytes, ChartStyle.Disk, LinePattern.Solid, "disk: space for pg_wal"));
                lines.Add((l.ReadOnlyWalBytes, ChartStyle.ReadOnly, ChartStyle.DashedLine, "read-only threshold"));
            }
            lines.Add((l.CapBytes, ChartStyle.Cap, ChartStyle.DottedLine, "max_slot_wal_keep_size"));
            foreach (var (bytes, color, pattern, name) in lines)
            {
                if (bytes is not { } b) continue;
                var text = $"{name} {ByteCount.Format(b)}";
                if (!drawn.Add(text)) continue;
                var line = plot.Add.HorizontalLine(unit.Of(b), 1.5f, color, pattern);
                line.LegendText = text;
                top = Math.Max(top, unit.Of(b));
            }
        }
        return top;
    }

    /// <summary>
    /// A dashed red line where a slot was lost (only <paramref name="slot"/>'s on a slot chart) and a dark one at a
    /// failover, each labelled at the top, one label row per marker so that close ones stay legible. Runs that lose the
    /// same slot at the same (displayed) time share one marker: "rep1 lost at 4m53s (13.3, 13.23)". A label sits
    /// right of its line in the chart's left half, left of it in the right half, so it is never cut off.
    /// </summary>
    private static void LossMarkers(Plot plot, IReadOnlyList<ChartRun> runs, string? slot, double end, double top)
    {
        var marks = new List<(double X, Color Color, string What, string Run)>();
        foreach (var r in runs)
        {
            foreach (var s in r.Report.Result.Slots)
                if (s.Lost is { IsNever: false } lost && (slot is null || s.Name == slot))
                    marks.Add((lost.TotalSeconds, ChartStyle.Lost, $"{s.Name} lost at {ChartAxes.Duration(lost.TotalSeconds)}", r.Report.Label));
            if (r.Report.Result.Failovers.FirstOrDefault() is { } f)
                marks.Add((f.At.TotalSeconds, ChartStyle.Failover, $"{(f.Planned ? "switchover" : "failover")} to {f.To} at {ChartAxes.Duration(f.At.TotalSeconds)}", r.Report.Label));
        }
        var row = 0;
        foreach (var group in marks.GroupBy(m => (m.What, m.Color)))
        {
            var x = group.First().X;
            var line = plot.Add.VerticalLine(x, 1.5f, group.Key.Color, ChartStyle.MarkerLine);
            line.LegendText = "";
            var text = $"{group.Key.What} ({string.Join(", ", group.Select(m => m.Run))})";
            var right = x < end / 2;
            ChartStyle.Label(plot, text, x, top, group.Key.Color, right ? Alignment.UpperLeft : Alignment.UpperRight, right ? 4 : -4, 4 + 16 * row++);
        }
    }

    /// <summary>One run's wal_status band for <paramref name="slot"/> between <paramref name="y1"/> and <paramref name="y2"/>:
    /// from each charted instant to the next, coloured by the status at the instant (runs of one colour merged).</summary>
    private static void Bands(Plot plot, VersionReport v, string slot, double end, double y1, double y2)
    {
        var si = IndexOf(v, slot);
        var points = v.Points;
        string? current = null;
        var from = 0d;
        for (var k = 0; k <= points.Count; k++)
        {
            var at = k < points.Count ? points[k].AtMicroseconds / 1e6 : end;
            var status = k < points.Count ? StatusOf(v, si, points[k]) : null;
            if (k < points.Count && status == current) continue;
            if (current is not null && at > from)
            {
                var rect = plot.Add.Rectangle(from, at, y1, y2);
                rect.FillColor = StatusColor(current);
                rect.LineWidth = 0;
                rect.LegendText = "";
            }
            current = status;
            from = at;
        }
    }

    /// <summary>The statuses <paramref name="slot"/>'s band shows for one run.</summary>
    private static IEnumerable<string> Statuses(VersionReport v, string slot)
    {
        var si = IndexOf(v, slot);
        return v.Points.Select(p => StatusOf(v, si, p)).OfType<string>();
    }

    /// <summary>wal_status at a point; "none" where the slot exists but the version has no wal_status; null = no slot.</summary>
    private static string? StatusOf(VersionReport v, int si, ChartPoint p)
    {
        if (si < 0 || p.Retained[si] is null) return null;
        return p.Status[si] is { } st && st != WalStatus.Null && v.Result.Policy.ReportsWalStatus ? st.ToSql() : "none";
    }

    private static readonly string[] StatusOrder = ["reserved", "extended", "unreserved", "lost", "none"];

    private static Color StatusColor(string status) => status switch
    {
        "reserved" => ChartStyle.Reserved,
        "extended" => ChartStyle.Extended,
        "unreserved" => ChartStyle.Unreserved,
        "lost" => ChartStyle.Lost,
        _ => ChartStyle.NoStatus,
    };

    /// <summary>The band colours in the legend, in wal_status order, only those drawn.</summary>
    private static void StatusLegend(Plot plot, IReadOnlySet<string> seen)
    {
        foreach (var status in StatusOrder.Where(seen.Contains))
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = status == "none" ? "no wal_status" : $"wal_status {status}",
                FillColor = StatusColor(status),
            });
    }

    /// <summary>A slot name as a file-name part: letters, digits, <c>-</c> and <c>_</c> kept, anything else <c>_</c>, at most 40.</summary>
    internal static string FileStem(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(40).ToArray();
        return chars.Length == 0 ? "slot" : new string(chars);
    }

    /// <summary>
    /// The lines a run's charts are drawn against, at start (a reload may change the cap later), as the HTML report
    /// (<see cref="ReportJson"/>'s <c>limits</c>) computes them; null when not set.
    /// </summary>
    private readonly record struct Limits(long? DiskWalSpaceBytes, long? ReadOnlyWalBytes, long? CapBytes)
    {
        public long Max => Math.Max(DiskWalSpaceBytes ?? 0, Math.Max(ReadOnlyWalBytes ?? 0, CapBytes ?? 0));

        public static Limits Of(VersionReport v)
        {
            var r = v.Result;
            var disk = r.Scenario.Disk;
            var settings = KeySettings.AtStart(r.Scenario, r.Policy);
            return new Limits(
                disk is null ? null : disk.Size.Bytes - disk.OtherUsage.Bytes,
                disk?.ReadOnlyAtFraction is { } f ? (long)(f * disk.Size.Bytes) - disk.OtherUsage.Bytes : null,
                r.Policy.CapsSlotRetention && settings.MaxSlotWalKeepSizeMb >= 0 ? settings.MaxSlotWalKeepSizeMb * ByteCount.MiB : null);
        }
    }
}

using ScottPlot;
using ScottPlot.TickGenerators;

namespace Walsim.Analyzer.Reports.Charts;

/// <summary>
/// Tick positions and labels, chosen and formatted here (invariant culture) rather than by ScottPlot, so charts read
/// like the rest of walsim — time as <c>30m</c>, <c>1h30m</c>, <c>2d</c>; sizes in one unit named on the axis — and
/// the SVG does not depend on the current culture.
/// </summary>
internal static class ChartAxes
{
    /// <summary>Time steps in seconds: round seconds, minutes, hours, days (report.js's <c>timeIncrs</c>).</summary>
    private static readonly double[] TimeSteps =
    [
        0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
        86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000,
    ];

    /// <summary>Outage steps in hours for a plan's survival axis (plan.js's).</summary>
    private static readonly double[] HourSteps = [1 / 60d, 5 / 60d, 0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720];

    /// <summary>About one time label per this many pixels: "1d12h" fits with room to spare.</summary>
    private const int PixelsPerTimeTick = 90;

    /// <summary>About one value label per this many pixels of height.</summary>
    private const int PixelsPerValueTick = 45;

    /// <summary>A unit to show sizes in: the largest of kB, MB, GB and TB that the largest value reaches.</summary>
    internal readonly record struct SizeUnit(string Name, double Bytes)
    {
        public static SizeUnit For(double maxBytes) =>
            maxBytes >= 1024d * ByteCount.GiB ? new("TB", 1024d * ByteCount.GiB)
            : maxBytes >= ByteCount.GiB ? new("GB", ByteCount.GiB)
            : maxBytes >= ByteCount.MiB ? new("MB", ByteCount.MiB)
            : new("kB", 1024);

        public double Of(double bytes) => bytes / Bytes;
    }

    /// <summary>Ticks on a time axis from 0 to <paramref name="endSeconds"/>, labelled as durations.</summary>
    internal static void TimeAxis(IAxis axis, double endSeconds, int pixels)
    {
        var step = Step(TimeSteps, endSeconds, Math.Max(2, pixels / PixelsPerTimeTick));
        axis.TickGenerator = Manual(Multiples(step, 0, endSeconds).Select(t => Tick.Major(t, Duration(t))));
    }

    /// <summary>Ticks on an axis of hours from 0 to <paramref name="endHours"/>, labelled as durations.</summary>
    internal static void HoursAxis(IAxis axis, double endHours, int pixels)
    {
        var step = Step(HourSteps, endHours, Math.Max(2, pixels / PixelsPerValueTick));
        axis.TickGenerator = Manual(Multiples(step, 0, endHours).Select(h => Tick.Major(h, Duration(h * 3600))));
    }

    /// <summary>Ticks from 0 to <paramref name="max"/> at 1, 2, 2.5 or 5 × 10ᵏ, labelled as plain numbers, plus <paramref name="extra"/>.</summary>
    internal static void ValueAxis(IAxis axis, double max, int pixels, IEnumerable<Tick>? extra = null)
    {
        var step = NiceStep(max, Math.Max(2, pixels / PixelsPerValueTick));
        var ticks = Multiples(step, 0, max).Select(v => Tick.Major(v, Number(v))).ToList();
        if (extra is not null) ticks.AddRange(extra);
        axis.TickGenerator = Manual(ticks);
    }

    /// <summary>Ticks exactly at <paramref name="ticks"/>.</summary>
    internal static NumericManual Manual(IEnumerable<Tick> ticks) => new([.. ticks]);

    /// <summary>A number with at most three decimals and no trailing zeros, invariant culture.</summary>
    internal static string Number(double v) => Math.Round(v, 3).ToString("0.###", ChartStyle.Inv);

    /// <summary>
    /// A duration for a tick or a marker: its non-zero parts from days down to seconds, at most two of them
    /// (<c>0</c>, <c>45s</c>, <c>1m30s</c>, <c>1h</c>, <c>2h30m</c>, <c>1d12h</c>), milliseconds below a minute (<c>1.5s</c>).
    /// </summary>
    internal static string Duration(double seconds)
    {
        if (double.IsInfinity(seconds)) return "never";
        var sign = seconds < 0 ? "-" : "";
        var us = (long)Math.Round(Math.Abs(seconds) * 1_000_000);
        if (us == 0) return "0";
        if (us < 60_000_000) return sign + Math.Round(us / 1_000_000d, 3).ToString("0.###", ChartStyle.Inv) + "s";
        var total = (long)Math.Round(us / 1_000_000d);
        var parts = new (long Value, string Unit)[] { (total / 86400, "d"), (total / 3600 % 24, "h"), (total / 60 % 60, "m"), (total % 60, "s") };
        var first = Array.FindIndex(parts, p => p.Value > 0);
        var shown = parts.Skip(first).Take(2).Where(p => p.Value > 0);
        return sign + string.Concat(shown.Select(p => p.Value.ToString(ChartStyle.Inv) + p.Unit));
    }

    /// <summary>The smallest step of <paramref name="steps"/> that gives at most <paramref name="maxTicks"/> intervals.</summary>
    private static double Step(double[] steps, double end, int maxTicks)
    {
        foreach (var s in steps)
            if (end / s <= maxTicks) return s;
        return NiceStep(end, maxTicks);
    }

    /// <summary>The smallest of 1, 2, 2.5 and 5 × 10ᵏ that cuts [0, max] into at most <paramref name="maxTicks"/> intervals.</summary>
    internal static double NiceStep(double max, int maxTicks)
    {
        if (!(max > 0)) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max / maxTicks)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
            if (max / (m * magnitude) <= maxTicks) return m * magnitude;
        return 10 * magnitude;
    }

    /// <summary>k × <paramref name="step"/> for every k from <paramref name="from"/> up to <paramref name="to"/> (computed
    /// by multiplication, not repeated addition, so 0.1 steps do not drift).</summary>
    private static IEnumerable<double> Multiples(double step, double from, double to)
    {
        var first = (long)Math.Ceiling(from / step - 1e-9);
        var last = (long)Math.Floor(to / step + 1e-9);
        for (var k = first; k <= last; k++) yield return k * step;
    }
}

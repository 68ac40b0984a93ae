namespace Walsim.Simulator.Forecasting;

/// <summary>A value of a series at a point of time (pg_wal bytes, an LSN as a number, ...).</summary>
public readonly record struct TimedValue(SimTime At, double Value);

/// <summary>
/// The baseline forecast of monitoring tools: Prometheus <c>predict_linear(v[window], t)</c> — an ordinary
/// least-squares line through the samples of a window, extrapolated. Pure; computed on centred sums in seconds
/// from the first point, so exact lines come back exact to floating-point rounding.
/// </summary>
/// <param name="Origin">The first fitted point's time; <paramref name="ValueAtOrigin"/> is the line there.</param>
/// <param name="ValueAtOrigin">The line's value at <paramref name="Origin"/>.</param>
/// <param name="SlopePerSecond">Change of the value per second.</param>
/// <param name="Points">How many points the line was fitted through.</param>
public sealed record LinearExtrapolation(SimTime Origin, double ValueAtOrigin, double SlopePerSecond, int Points)
{
    /// <summary>The least-squares line through <paramref name="points"/>; null with fewer than two distinct times
    /// (Prometheus returns no value then).</summary>
    public static LinearExtrapolation? Fit(IReadOnlyList<TimedValue> points)
    {
        if (points.Count < 2) return null;
        var origin = points[0].At;
        double sx = 0, sy = 0;
        foreach (var p in points) { sx += (p.At - origin).TotalSeconds; sy += p.Value; }
        double mx = sx / points.Count, my = sy / points.Count, sxx = 0, sxy = 0;
        foreach (var p in points)
        {
            var dx = (p.At - origin).TotalSeconds - mx;
            sxx += dx * dx;
            sxy += dx * (p.Value - my);
        }
        if (sxx == 0) return null;
        var slope = sxy / sxx;
        return new LinearExtrapolation(origin, my - slope * mx, slope, points.Count);
    }

    /// <summary>
    /// <c>predict_linear</c>'s range selection: the line through the points with <paramref name="end"/> −
    /// <paramref name="window"/> &lt; time ≤ <paramref name="end"/> (left-open, as Prometheus 3 range selectors).
    /// </summary>
    public static LinearExtrapolation? FitWindow(IReadOnlyList<TimedValue> points, SimTime end, SimDuration window)
    {
        var start = end - window;
        var inWindow = new List<TimedValue>();
        foreach (var p in points) if (p.At > start && p.At <= end) inWindow.Add(p);
        return Fit(inWindow);
    }

    /// <summary>The line's value at <paramref name="at"/>.</summary>
    public double ValueAt(SimTime at) => ValueAtOrigin + SlopePerSecond * (at - Origin).TotalSeconds;

    /// <summary>
    /// When the line reaches <paramref name="threshold"/>, looking from <paramref name="from"/> on:
    /// <paramref name="from"/> itself if the line there is already at or past it in the direction it moves; the
    /// crossing time if ahead; null if the line is flat and not at the threshold (never). Capped at
    /// <see cref="SimTime.Never"/> when beyond the clock's range.
    /// </summary>
    public SimTime? TimeToReach(double threshold, SimTime from)
    {
        var now = ValueAt(from);
        if (now == threshold) return from;
        if (SlopePerSecond == 0) return null;
        var seconds = (threshold - now) / SlopePerSecond;
        if (seconds <= 0) return from;
        var micros = seconds * 1e6;
        return micros >= SimTime.Never.Microseconds - (double)from.Microseconds
            ? SimTime.Never
            : from + new SimDuration((long)Math.Ceiling(micros));
    }
}

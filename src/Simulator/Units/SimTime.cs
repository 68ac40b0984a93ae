using System.Globalization;

namespace Walsim.Simulator.Units;

/// <summary>
/// A point on the simulated clock: microseconds since the scenario started (PostgreSQL's
/// <c>TimestampTz</c> resolution). <c>SimTime - SimTime = SimDuration</c>; there is no <c>SimTime + SimTime</c>.
/// </summary>
public readonly record struct SimTime(long Microseconds) : IComparable<SimTime>
{
    public static readonly SimTime Zero = new(0);
    public static readonly SimTime Never = new(long.MaxValue);

    public static SimTime FromSeconds(double s) => new(checked((long)Math.Round(s * 1_000_000)));
    public double TotalSeconds => Microseconds / 1_000_000d;
    public bool IsNever => Microseconds == long.MaxValue;

    public int CompareTo(SimTime other) => Microseconds.CompareTo(other.Microseconds);
    public static SimDuration operator -(SimTime a, SimTime b) => new(checked(a.Microseconds - b.Microseconds));
    public static SimTime operator +(SimTime a, SimDuration d) =>
        a.IsNever || d.IsInfinite ? Never : new(checked(a.Microseconds + d.Microseconds));
    public static SimTime operator -(SimTime a, SimDuration d) => new(checked(a.Microseconds - d.Microseconds));
    public static bool operator <(SimTime a, SimTime b) => a.Microseconds < b.Microseconds;
    public static bool operator >(SimTime a, SimTime b) => a.Microseconds > b.Microseconds;
    public static bool operator <=(SimTime a, SimTime b) => a.Microseconds <= b.Microseconds;
    public static bool operator >=(SimTime a, SimTime b) => a.Microseconds >= b.Microseconds;
    public static SimTime Min(SimTime a, SimTime b) => a <= b ? a : b;
    public static SimTime Max(SimTime a, SimTime b) => a >= b ? a : b;

    /// <summary>
    /// Elapsed time since the start, exact to the microsecond: <c>0s</c>, <c>6h10m</c>, <c>2h54m30.399657s</c>. For
    /// files a program reads (the CSV <c>time</c> columns), logs and test messages; people get <see cref="Display"/>.
    /// </summary>
    public override string ToString() => IsNever ? "never" : SimDuration.FormatSpan(Microseconds, 1);

    /// <summary>
    /// Elapsed time as a DBA reads it (tables, summaries, sentences, the HTML report): <c>2h54m30s</c>, <c>1.5s</c>,
    /// <c>never</c>. See <see cref="SimDuration.Display"/> for the rounding.
    /// </summary>
    public string Display() => IsNever ? "never" : SimDuration.FormatDisplay(Microseconds);

    /// <summary>
    /// Two times set side by side in a sentence ("lost at A on 15.13, at B on 15.18"): each as <see cref="Display"/>
    /// shows it, unless that makes two different times read the same; then both to the millisecond, and failing
    /// that exactly, so a sentence never says a difference is between equal-looking times.
    /// </summary>
    public static (string A, string B) DisplayPair(SimTime a, SimTime b) =>
        a.IsNever || b.IsNever ? (a.Display(), b.Display()) : SimDuration.DisplayPair(a.Microseconds, b.Microseconds);
}

/// <summary>An amount of simulated time, in microseconds.</summary>
public readonly record struct SimDuration(long Microseconds) : IComparable<SimDuration>
{
    public static readonly SimDuration Zero = new(0);
    public static readonly SimDuration Infinite = new(long.MaxValue);
    public bool IsInfinite => Microseconds == long.MaxValue;

    public TimeSpan ToTimeSpan() => IsInfinite ? TimeSpan.MaxValue : TimeSpan.FromMicroseconds(Microseconds);
    public static SimDuration FromSeconds(double s) => new(checked((long)Math.Round(s * 1_000_000)));
    public static SimDuration FromMinutes(double m) => FromSeconds(m * 60);
    public static SimDuration FromHours(double h) => FromSeconds(h * 3600);
    public static SimDuration FromDays(double d) => FromSeconds(d * 86400);
    public double TotalSeconds => Microseconds / 1_000_000d;
    public double TotalHours => Microseconds / 3_600_000_000d;

    public int CompareTo(SimDuration other) => Microseconds.CompareTo(other.Microseconds);
    public static SimDuration operator +(SimDuration a, SimDuration b) => new(checked(a.Microseconds + b.Microseconds));
    public static SimDuration operator -(SimDuration a, SimDuration b) => new(checked(a.Microseconds - b.Microseconds));
    public static SimDuration operator *(SimDuration a, double k) => new(checked((long)Math.Round(a.Microseconds * k)));
    public static bool operator <(SimDuration a, SimDuration b) => a.Microseconds < b.Microseconds;
    public static bool operator >(SimDuration a, SimDuration b) => a.Microseconds > b.Microseconds;
    public static bool operator <=(SimDuration a, SimDuration b) => a.Microseconds <= b.Microseconds;
    public static bool operator >=(SimDuration a, SimDuration b) => a.Microseconds >= b.Microseconds;

    /// <summary>Exact to the microsecond, e.g. <c>20m</c>, <c>1m02.996705s</c>; people get <see cref="Display"/>.</summary>
    public override string ToString() => IsInfinite ? "infinite" : FormatSpan(Microseconds, 1);

    /// <summary>
    /// The duration as a DBA reads it. From a minute on, whole seconds: <c>2h54m30.399657s</c> reads
    /// <c>2h54m30s</c>; below a minute, milliseconds, trailing zeros dropped: <c>1.5s</c>, <c>0.25s</c>, <c>26s</c>
    /// (step scenarios and validate runs happen within seconds, where the fraction matters). Rounding is to the
    /// nearest, halves away from zero (<c>9m30.5s</c> reads <c>9m31s</c>), and may carry: <c>59.9996s</c> reads
    /// <c>1m</c>, <c>1h59m59.5s</c> reads <c>2h00m</c>. A value that rounds to zero reads <c>0s</c>, without a sign.
    /// The HTML report's script (report.js, <c>fmtTime</c>) applies the same rule.
    /// </summary>
    public string Display() => IsInfinite ? "infinite" : FormatDisplay(Microseconds);

    /// <summary>Two durations set side by side in a sentence ("need 1h00m; have 59m59.6s"): as
    /// <see cref="SimTime.DisplayPair"/>, never the same text for different values.</summary>
    public static (string A, string B) DisplayPair(SimDuration a, SimDuration b) =>
        a.IsInfinite || b.IsInfinite ? (a.Display(), b.Display()) : DisplayPair(a.Microseconds, b.Microseconds);

    internal static (string A, string B) DisplayPair(long a, long b)
    {
        var (x, y) = (FormatDisplay(a), FormatDisplay(b));
        if (x != y || a == b) return (x, y);
        (x, y) = (FormatSpan(a, Millisecond), FormatSpan(b, Millisecond));
        return x != y ? (x, y) : (FormatSpan(a, 1), FormatSpan(b, 1));
    }

    internal const long Millisecond = 1_000;
    internal const long Second = 1_000_000;

    /// <summary><see cref="Display"/>'s rule: milliseconds below a minute, seconds from a minute (after rounding) on.</summary>
    internal static string FormatDisplay(long micros) =>
        FormatSpan(micros, RoundTo(Math.Abs(micros), Millisecond) >= 60 * Second ? Second : Millisecond);

    /// <summary>
    /// <c>1d02h03m</c>, <c>1h05m</c>, <c>5m30s</c>, <c>18s</c>, <c>1.5s</c>: the magnitude rounded to a multiple of
    /// <paramref name="resolution"/> microseconds (1 = exact); the seconds are left out when a time of a minute or
    /// more has none.
    /// </summary>
    internal static string FormatSpan(long micros, long resolution)
    {
        var us = RoundTo(Math.Abs(micros), resolution);
        var neg = micros < 0 && us > 0;
        var total = us / 1_000_000;
        var frac = us % 1_000_000;
        long d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, s = total % 60;
        var ci = CultureInfo.InvariantCulture;
        var text = d > 0 ? string.Create(ci, $"{d}d{h:00}h{m:00}m")
            : h > 0 ? string.Create(ci, $"{h}h{m:00}m")
            : m > 0 ? string.Create(ci, $"{m}m")
            : "";
        if (s > 0 || frac > 0 || total == 0)
        {
            var sec = text.Length > 0 ? s.ToString("00", ci) : s.ToString(ci);
            var fr = frac > 0 ? ("." + frac.ToString("000000", ci)).TrimEnd('0') : "";
            text += sec + fr + "s";
        }
        return (neg ? "-" : "") + text;
    }

    // Half away from zero on a magnitude: (r * 2 >= resolution) rounds up.
    private static long RoundTo(long magnitude, long resolution)
    {
        if (resolution == 1) return magnitude;
        var (q, r) = Math.DivRem(magnitude, resolution);
        return (q + (r * 2 >= resolution ? 1 : 0)) * resolution;
    }
}

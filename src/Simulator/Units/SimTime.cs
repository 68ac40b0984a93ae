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

    /// <summary>Elapsed time since the start, e.g. <c>0s</c>, <c>6h10m</c>, <c>2d03h00m05s</c>.</summary>
    public override string ToString() => IsNever ? "never" : SimDuration.FormatSpan(Microseconds);
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

    public override string ToString() => IsInfinite ? "infinite" : FormatSpan(Microseconds);

    internal static string FormatSpan(long micros)
    {
        var neg = micros < 0;
        var us = Math.Abs(micros);
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
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Scenarios;

/// <summary>
/// Parses the scalar values of scenario files with PostgreSQL's unit rules: case-sensitive size units
/// (<c>B</c>, <c>kB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>; powers of 1024) and time units (<c>us</c>, <c>ms</c>,
/// <c>s</c>, <c>min</c>, <c>h</c>, <c>d</c>), one unit per value, fractions rounded to the nearest base unit.
/// Errors are complete sentences saying what was expected.
/// </summary>
public static partial class ValueParser
{
    /// <summary>The largest size (bytes) or duration (µs) accepted: 2^62 leaves headroom so that adding two values cannot overflow.</summary>
    public const long MaxMagnitude = 1L << 62;

    public const string SizeExample = "a size like 64MB or 1GB";
    public const string DurationExample = "a duration like 10s or 5min";
    public const string RateExample = "a rate like 5MB/s or 2GB/h";

    private static readonly (string Unit, long Bytes)[] SizeUnits =
        [("B", 1), ("kB", ByteCount.KiB), ("MB", ByteCount.MiB), ("GB", ByteCount.GiB), ("TB", 1024 * ByteCount.GiB)];

    private static readonly (string Unit, long Micros)[] TimeUnits =
        [("us", 1), ("ms", 1_000), ("s", 1_000_000), ("min", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000)];

    [GeneratedRegex(@"^\s*(?<sign>-?)(?<num>[0-9]+(?:\.[0-9]+)?)\s*(?<unit>[A-Za-z]*)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberWithUnit();

    /// <summary>A size: <c>64MB</c>, <c>1.5GB</c>, <c>512kB</c>; a bare number is bytes.</summary>
    public static bool TryParseSize(string text, out ByteCount size, out string? error, bool allowNegative = false)
    {
        size = ByteCount.Zero;
        if (!TryScale(text, SizeUnits, "", allowNegative, SizeExample, "B, kB, MB, GB, TB", out var bytes, out error)) return false;
        size = new ByteCount(bytes);
        return true;
    }

    /// <summary>A duration: <c>90s</c>, <c>5min</c>, <c>6h</c>, <c>1d</c>; a bare number only for zero.</summary>
    public static bool TryParseDuration(string text, out SimDuration duration, out string? error)
    {
        duration = SimDuration.Zero;
        if (!TryScale(text, TimeUnits, null, false, DurationExample, "us, ms, s, min, h, d", out var micros, out error)) return false;
        duration = new SimDuration(micros);
        return true;
    }

    /// <summary>A WAL rate, a size per time unit (<c>5MB/s</c>, <c>2GB/h</c>, <c>18GB/d</c>), in bytes per second; <c>0</c> alone is allowed.</summary>
    public static bool TryParseRate(string text, out double bytesPerSecond, out string? error)
    {
        bytesPerSecond = 0;
        error = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (TryParseNumber(text, out var zero) && zero == 0) return true;
            error = $"expected {RateExample}, got {Show(text)}";
            return false;
        }
        if (!TryParseSize(text[..slash], out var size, out var sizeError))
        {
            // A well-formed size that is out of range keeps its own message ("too large", "cannot be negative").
            var m = NumberWithUnit().Match(text[..slash]);
            var wellFormed = m.Success && Array.Exists(SizeUnits, u => u.Unit == m.Groups["unit"].Value || m.Groups["unit"].Length == 0);
            error = wellFormed ? sizeError : $"expected {RateExample}, got {Show(text)}";
            return false;
        }
        var unit = text[(slash + 1)..].Trim();
        var match = Array.FindIndex(TimeUnits, u => u.Unit == unit);
        if (match < 0)
        {
            error = $"expected {RateExample}, got {Show(text)} (the time unit after '/' is one of us, ms, s, min, h, d)";
            return false;
        }
        bytesPerSecond = size.Bytes / (TimeUnits[match].Micros / 1e6);
        return true;
    }

    /// <summary>A fraction written as a percentage (<c>95%</c>) or a number (<c>0.95</c>).</summary>
    public static bool TryParseFraction(string text, out double fraction, out string? error)
    {
        error = null;
        var t = text.Trim();
        var percent = t.EndsWith('%');
        if (!TryParseNumber(percent ? t[..^1] : t, out fraction))
        {
            error = $"expected a fraction like 95% or 0.95, got {Show(text)}";
            return false;
        }
        if (percent) fraction /= 100;
        return true;
    }

    /// <summary>A plain decimal number (<c>0.6</c>, <c>14</c>, <c>-1</c>), finite.</summary>
    public static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>A whole number (<c>3</c>, <c>-1</c>).</summary>
    public static bool TryParseInteger(string text, out long value) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Number × unit → base units, rounded half to even like PostgreSQL's <c>rint()</c>. <paramref name="bareUnit"/>
    /// is the unit of a number written without one, or null when only zero may be written bare.
    /// </summary>
    private static bool TryScale(string text, (string Unit, long Factor)[] units, string? bareUnit, bool allowNegative,
        string expected, string unitList, out long result, out string? error)
    {
        result = 0;
        error = null;
        var m = NumberWithUnit().Match(text);
        if (!m.Success)
        {
            error = $"expected {expected}, got {Show(text)}";
            return false;
        }
        var negative = m.Groups["sign"].Length > 0;
        if (negative && !allowNegative)
        {
            error = $"expected {expected}, got {Show(text)} (it cannot be negative)";
            return false;
        }
        var unit = m.Groups["unit"].Value;
        long factor;
        if (unit.Length == 0)
        {
            if (bareUnit is null && m.Groups["num"].Value.Any(c => c is >= '1' and <= '9'))
            {
                error = $"expected {expected}, got {Show(text)} (a unit is required: {unitList})";
                return false;
            }
            factor = 1;
        }
        else
        {
            var i = Array.FindIndex(units, u => u.Unit == unit);
            if (i < 0)
            {
                error = $"expected {expected}, got {Show(text)} (valid units are {unitList}, case-sensitive as in PostgreSQL)";
                return false;
            }
            factor = units[i].Factor;
        }
        // decimal keeps fractional input exact; a number too long for decimal is too large anyway.
        if (!decimal.TryParse(m.Groups["num"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number > (decimal)MaxMagnitude / factor)
        {
            var largest = (MaxMagnitude / factor).ToString(CultureInfo.InvariantCulture) + (unit.Length > 0 ? unit : bareUnit ?? "");
            error = $"{Show(text)} is too large (at most {largest})";
            return false;
        }
        var scaled = (long)Math.Round(number * factor, MidpointRounding.ToEven);
        result = negative ? -scaled : scaled;
        return true;
    }

    /// <summary>A value quoted for an error message: control characters escaped, long text shortened.</summary>
    public static string Show(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "nothing";
        const int max = 40;
        var sb = new StringBuilder("\"");
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            if (c == '"') sb.Append("\\\"");
            else if (char.IsControl(c) || char.IsSurrogate(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else sb.Append(c);
        }
        if (text.Length > max) sb.Append('…');
        return sb.Append('"').ToString();
    }
}

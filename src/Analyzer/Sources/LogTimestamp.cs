using System.Globalization;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// The time PostgreSQL writes for <c>%m</c> (<c>2025-01-31 12:00:00.123 UTC</c>), <c>%t</c> (whole seconds) and the
/// csvlog/jsonlog time columns: <c>log_timezone</c>'s abbreviation (<c>UTC</c>, <c>CET</c>/<c>CEST</c>, <c>EST</c>
/// …) or, for a zone without one, a numeric offset (<c>+02</c>, <c>-03</c>, <c>+0545</c>). Abbreviations are
/// ambiguous in general (IST, CST); walsim knows the unambiguous common ones and asks for <c>log_timezone = 'UTC'</c>
/// (or a numeric zone) otherwise, rather than guess an offset and misplace checkpoints across a DST change.
/// </summary>
public static partial class LogTimestamp
{
    /// <summary>An example for error messages.</summary>
    public const string Example = "2025-01-31 12:00:00.123 UTC";

    // A date-time with an optional fraction, then optionally a zone; matched anywhere in a line prefix.
    [GeneratedRegex(@"(?<!\d)\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?: ?(?:[A-Za-z][A-Za-z]{1,5}(?![A-Za-z:])|[+-]\d\d(?::?\d\d)?))?")]
    internal static partial Regex Pattern();

    private static readonly Dictionary<string, int> ZoneMinutes = new(StringComparer.Ordinal)
    {
        ["UTC"] = 0, ["GMT"] = 0, ["Z"] = 0, ["UT"] = 0,
        ["WET"] = 0, ["WEST"] = 60, ["BST"] = 60, ["CET"] = 60, ["CEST"] = 120, ["MET"] = 60, ["MEST"] = 120,
        ["EET"] = 120, ["EEST"] = 180, ["MSK"] = 180,
        ["EST"] = -300, ["EDT"] = -240, ["CDT"] = -300, ["MST"] = -420, ["MDT"] = -360, ["PST"] = -480, ["PDT"] = -420,
        ["AKST"] = -540, ["AKDT"] = -480, ["HST"] = -600, ["NST"] = -210, ["NDT"] = -150, ["AST"] = -240, ["ADT"] = -180,
        ["JST"] = 540, ["KST"] = 540, ["HKT"] = 480, ["SGT"] = 480, ["AWST"] = 480, ["ACST"] = 570, ["ACDT"] = 630,
        ["AEST"] = 600, ["AEDT"] = 660, ["NZST"] = 720, ["NZDT"] = 780, ["SAST"] = 120, ["WIB"] = 420, ["PKT"] = 300,
    };

    /// <summary>Parses a whole timestamp text; <paramref name="error"/> says what is wrong otherwise.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset time, out string? error)
    {
        time = default;
        error = null;
        text = text.Trim();
        if (text.Length < 19)
        {
            error = $"expected a time like {Example}, got \"{text}\"";
            return false;
        }
        var rest = text[19..];
        var fraction = 0L;
        if (rest.Length > 0 && rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits])) digits++;
            var f = rest[1..digits];
            if (f.Length is 0 or > 6 || !long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out fraction))
            {
                error = $"expected a time like {Example}, got \"{text}\"";
                return false;
            }
            for (var i = f.Length; i < 7; i++) fraction *= 10; // to 100 ns ticks
            rest = rest[digits..];
        }
        if (!TryDateTime(text[..19], out var local))
        {
            error = $"expected a time like {Example}, got \"{text}\"";
            return false;
        }
        var zone = rest.Trim();
        if (!TryOffset(zone, out var offset))
        {
            error = $"unknown time zone \"{zone}\" in \"{text}\": set log_timezone = 'UTC' (or a zone PostgreSQL prints as a numeric offset) so times are unambiguous";
            return false;
        }
        time = new DateTimeOffset(local.AddTicks(fraction), offset);
        return true;
    }

    // "yyyy-MM-dd HH:mm:ss" (or a T between date and time), ASCII digits, a date that exists: what
    // DateTime.TryParseExact with that format accepts, read without allocating (every line of a log has one).
    private static bool TryDateTime(ReadOnlySpan<char> t, out DateTime value)
    {
        value = default;
        if (t[4] != '-' || t[7] != '-' || t[10] is not (' ' or 'T') || t[13] != ':' || t[16] != ':') return false;
        if (!Digits(t, 0, 4, out var year) || !Digits(t, 5, 2, out var month) || !Digits(t, 8, 2, out var day)
            || !Digits(t, 11, 2, out var hour) || !Digits(t, 14, 2, out var minute) || !Digits(t, 17, 2, out var second))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> t, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(t[i])) return false;
            value = value * 10 + (t[i] - '0');
        }
        return true;
    }

    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ZoneBySpan = ZoneMinutes.GetAlternateLookup<ReadOnlySpan<char>>();

    private static bool TryOffset(ReadOnlySpan<char> zone, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        // No zone at all (a custom format): the times are still one consistent clock; UTC is as good as any.
        if (zone.Length == 0) return true;
        if (zone[0] is '+' or '-')
        {
            var digits = zone[1..].ToString().Replace(":", "", StringComparison.Ordinal);
            if (digits.Length is not (2 or 4) || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm))
                return false;
            var minutes = digits.Length == 2 ? hhmm * 60 : hhmm / 100 * 60 + hhmm % 100;
            offset = TimeSpan.FromMinutes(zone[0] == '-' ? -minutes : minutes);
            return true;
        }
        if (ZoneBySpan.TryGetValue(zone, out var m))
        {
            offset = TimeSpan.FromMinutes(m);
            return true;
        }
        return false;
    }
}

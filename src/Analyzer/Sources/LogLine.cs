using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>Whose clock a record's time is.</summary>
public enum LogTimeSource
{
    /// <summary>The server's own (<c>%m</c>, <c>%t</c>, <c>%n</c>, csvlog's and jsonlog's <c>log_time</c>).</summary>
    Server,
    /// <summary>A collector's ISO time in front of the line (<c>docker logs -t</c>, <c>kubectl logs --timestamps</c>,
    /// journald's <c>short-iso</c>, RFC 5424 syslog, a CI job's log, Cloud Logging's <c>timestamp</c>): the server
    /// wrote none.</summary>
    Wrapper,
    /// <summary>A BSD syslog header (<c>Feb 11 13:15:39 host postgres[123]:</c>): no year and no zone; the year is
    /// inferred (<see cref="LogReadOptions.SyslogYear"/>) and the time read as UTC.</summary>
    SyslogNoYear,
}

/// <summary>What a reader cannot tell from a line: the year a BSD syslog header leaves out.</summary>
/// <param name="SyslogYear">The year of the file's last change: the log ends then, so a syslog month after that
/// month's is from the year before.</param>
/// <param name="SyslogMonth">That change's month.</param>
public sealed record LogReadOptions(int SyslogYear, int SyslogMonth)
{
    public static LogReadOptions For(string path)
    {
        var t = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.UtcNow;
        return new LogReadOptions(t.Year, t.Month);
    }

    /// <summary>For text that is no file (tests): December of <paramref name="year"/>.</summary>
    public static LogReadOptions InYear(int year) => new(year, 12);
}

/// <summary>
/// One stderr-style line, whatever wraps it: <c>log_line_prefix</c>, then <c>LEVEL:  </c> (with <c>00000: </c>, the
/// SQLSTATE, under <c>log_error_verbosity = verbose</c>), then the message; in front of the prefix, perhaps a
/// collector's own time and tags (docker, docker-compose, kubectl, journald, syslog BSD and RFC 5424, Heroku's
/// <c>time_ms=</c> fields, a CI job's timestamps). The server's time — the first date-time in PostgreSQL's own form
/// (<c>2025-02-11 13:15:39[.123] UTC</c>, a space between date and time) before the level — always wins; only a
/// line without one takes a collector's ISO time (<c>2025-02-11T13:15:39.123456789Z</c>) or a BSD syslog time, and
/// says so (<see cref="LogTimeSource"/>).
/// </summary>
internal static partial class LogLine
{
    // PostgreSQL's %m/%t: a space between date and time; the zone as log_timezone prints it, a letter word or an
    // offset (a ":" may follow, RDS's '%t:%r:…'; a "-", Azure's '%t-%c-').
    [GeneratedRegex(@"(?<!\d)\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?(?: (?:[A-Za-z][A-Za-z]{0,5}(?![A-Za-z0-9])|[+-]\d\d(?::?\d\d)?(?!\d)))?")]
    private static partial Regex ServerTime();

    // A collector's RFC 3339 time (docker and kubectl print nanoseconds; journald +0000; RFC 5424 +00:00).
    [GeneratedRegex(@"(?<!\d)(?<dt>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:[.,](?<frac>\d+))?(?<zone>Z|[+-]\d\d:?\d\d)?")]
    private static partial Regex IsoTime();

    // BSD syslog (RFC 3164) at the line's start, an optional <PRI> before it.
    [GeneratedRegex(@"^(?:<\d{1,3}>)?(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?<day>\d{1,2}) (?<time>\d\d:\d\d:\d\d)(?:\.\d+)?")]
    private static partial Regex BsdSyslog();

    // What a collector puts in front of a continuation line: its time, its host and tag, syslog's "[3-2] ".
    [GeneratedRegex(@"^(?:<\d{1,3}>\d? ?)?(?:\d{4}-\d\d-\d\dT\S+ |(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)? )(?:\S+ \S+?(?:\[\d+\])?: )?(?:\[\d+-\d+\] )?(?:#011)?")]
    private static partial Regex WrapperHead();

    // %p ("[1234]"), syslog's "postgres[1234]:", Heroku's pid="1234".
    [GeneratedRegex(@"\[(?<pid>\d+)\]|\bpid=""?(?<pid>\d+)")]
    private static partial Regex Pid();

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Where the level marker is: <paramref name="levelStart"/> at its word, <paramref name="messageStart"/>
    /// after "LEVEL:  " and a verbose SQLSTATE; false for a line without one (a continuation).</summary>
    public static bool FindLevel(string line, out int levelStart, out int levelEnd, out int messageStart)
    {
        var i = 0;
        while ((i = line.IndexOf(":  ", i, StringComparison.Ordinal)) > 0)
        {
            var s = i;
            while (s > 0 && (char.IsAsciiLetterUpper(line[s - 1]) || char.IsAsciiDigit(line[s - 1]))) s--;
            if ((s == 0 || !char.IsAsciiLetter(line[s - 1])) && IsLevel(line.AsSpan(s, i - s)))
            {
                levelStart = s;
                levelEnd = i;
                messageStart = i + 3;
                // log_error_verbosity = verbose: "LOG:  00000: message".
                if (line.Length >= messageStart + 7 && line[messageStart + 5] == ':' && line[messageStart + 6] == ' ' && IsSqlState(line.AsSpan(messageStart, 5)))
                    messageStart += 7;
                return true;
            }
            i += 3;
        }
        levelStart = levelEnd = messageStart = -1;
        return false;
    }

    private static bool IsSqlState(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c)) return false;
        return true;
    }

    // ereport's severities as elog.c's error_severity() spells them.
    private static bool IsLevel(ReadOnlySpan<char> w) => w switch
    {
        "LOG" or "DETAIL" or "HINT" or "STATEMENT" or "CONTEXT" or "QUERY" or "LOCATION" or "ERROR" or "FATAL" or "PANIC"
            or "WARNING" or "NOTICE" or "INFO" or "DEBUG" or "DEBUG1" or "DEBUG2" or "DEBUG3" or "DEBUG4" or "DEBUG5" => true,
        _ => false,
    };

    /// <summary>The record of one line; null for a line without a level (a continuation).</summary>
    public static LogRecord? Parse(string line, int number, string fileName, LogReadOptions options)
    {
        if (!FindLevel(line, out var levelStart, out var levelEnd, out var messageStart)) return null;
        var (time, source) = TimeOf(line, levelStart, number, fileName, options);
        int? pid = null;
        if (PidDigits(line, levelStart, out var digits))
        {
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var pv)) pid = pv;
        }
        else
        {
            var p = Pid().Match(line, 0, levelStart);
            if (p.Success && int.TryParse(p.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pv)) pid = pv;
        }
        return new LogRecord(number, time, pid, LevelText(line.AsSpan(levelStart, levelEnd - levelStart)), line[messageStart..], null) { TimeSource = source };
    }

    // The level words as constants: one string for every "LOG" of a log instead of one per line.
    private static string LevelText(ReadOnlySpan<char> w) => w switch
    {
        "LOG" => "LOG", "DETAIL" => "DETAIL", "HINT" => "HINT", "STATEMENT" => "STATEMENT", "CONTEXT" => "CONTEXT", "ERROR" => "ERROR",
        "FATAL" => "FATAL", "WARNING" => "WARNING", "LOCATION" => "LOCATION",
        _ => w.ToString(),
    };

    /// <summary>
    /// <see cref="Pid"/>'s match in <c>line[..end]</c> without the regex: the leftmost "[digits]" or "pid=" / "pid=\""
    /// and digits after a non-word character. Only for ASCII text (the regex's \d and \b are Unicode's): false when
    /// it cannot decide, and the regex answers; otherwise true, with <paramref name="digits"/> empty when nothing matches.
    /// </summary>
    private static bool PidDigits(string line, int end, out ReadOnlySpan<char> digits)
    {
        digits = default;
        var text = line.AsSpan(0, end);
        if (!Ascii.IsValid(text)) return false;
        for (var i = text.IndexOfAny('[', 'p'); i >= 0 && i < text.Length; i = NextCandidate(text, i + 1))
        {
            var j = i + 1;
            if (text[i] == '[')
            {
                while (j < text.Length && char.IsAsciiDigit(text[j])) j++;
                if (j > i + 1 && j < text.Length && text[j] == ']')
                {
                    digits = text[(i + 1)..j];
                    return true;
                }
            }
            else if ((i == 0 || !(char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] == '_')) && text[i..].StartsWith("pid=", StringComparison.Ordinal))
            {
                var k = i + 4;
                if (k < text.Length && text[k] == '"') k++;
                var d = k;
                while (d < text.Length && char.IsAsciiDigit(text[d])) d++;
                if (d > k)
                {
                    digits = text[k..d];
                    return true;
                }
            }
        }
        return true;

        static int NextCandidate(ReadOnlySpan<char> t, int from) => from >= t.Length ? -1 : t[from..].IndexOfAny('[', 'p') is var n and >= 0 ? from + n : -1;
    }

    /// <summary>
    /// The length of <see cref="ServerTime"/>'s match when PostgreSQL's own time starts the line (<c>%m</c> or <c>%t</c>
    /// first in log_line_prefix, the usual case), found without the regex; 0 when the line does not start so or the
    /// case is one the regex must decide (a numeric zone, non-ASCII digits).
    /// </summary>
    private static int ServerTimeAtStart(string line, int end)
    {
        if (end < 19) return 0;
        var t = line.AsSpan(0, end);
        for (var i = 0; i < 19; i++)
        {
            var ok = i switch { 4 or 7 => t[i] == '-', 10 => t[i] == ' ', 13 or 16 => t[i] == ':', _ => char.IsAsciiDigit(t[i]) };
            if (!ok) return 0;
        }
        var n = 19;
        if (n + 1 < t.Length && t[n] == '.' && !char.IsAscii(t[n + 1])) return 0;
        if (n + 1 < t.Length && t[n] == '.' && char.IsAsciiDigit(t[n + 1]))
        {
            var k = 0;
            while (k < 6 && n + 1 + k < t.Length && char.IsAsciiDigit(t[n + 1 + k])) k++;
            if (n + 1 + k < t.Length && !char.IsAscii(t[n + 1 + k])) return 0;
            n += 1 + k;
        }
        if (n + 1 < t.Length && t[n] == ' ')
        {
            var c = t[n + 1];
            if (c is '+' or '-' || !char.IsAscii(c)) return 0;
            if (char.IsAsciiLetter(c))
            {
                var k = 1;
                while (n + 1 + k < t.Length && char.IsAsciiLetter(t[n + 1 + k])) k++;
                // [A-Za-z]{1,6} not followed by [A-Za-z0-9]; longer words, or a digit after, are no zone.
                if (k <= 6 && (n + 1 + k == t.Length || !char.IsAsciiDigit(t[n + 1 + k]))) n += 1 + k;
            }
        }
        return n;
    }

    /// <summary>The time in <c>line[..end]</c>: the server's, else a collector's; (null, Server) when there is none.</summary>
    public static (DateTimeOffset? Time, LogTimeSource Source) TimeOf(string line, int end, int number, string fileName, LogReadOptions options)
    {
        if (ServerTimeAtStart(line, end) is var length and > 0)
        {
            if (!LogTimestamp.TryParse(line.AsSpan(0, length), out var t, out var error))
                throw new LogFileException(fileName, number, 1, "timestamp", error!);
            return (t, LogTimeSource.Server);
        }
        var ts = ServerTime().Match(line, 0, end);
        if (ts.Success)
        {
            if (!LogTimestamp.TryParse(ts.ValueSpan, out var t, out var error))
                throw new LogFileException(fileName, number, ts.Index + 1, "timestamp", error!);
            return (t, LogTimeSource.Server);
        }
        var iso = IsoTime().Match(line, 0, end);
        if (iso.Success && TryIso(iso, out var wrapped)) return (wrapped, LogTimeSource.Wrapper);
        var bsd = BsdSyslog().Match(line, 0, end);
        if (bsd.Success)
        {
            var month = Array.IndexOf(Months, bsd.Groups["mon"].Value) + 1;
            // A month after the file's last change cannot be this year's: the log went over a new year.
            var year = month > options.SyslogMonth ? options.SyslogYear - 1 : options.SyslogYear;
            var day = int.Parse(bsd.Groups["day"].ValueSpan, CultureInfo.InvariantCulture);
            var clock = TimeSpan.ParseExact(bsd.Groups["time"].Value, @"hh\:mm\:ss", CultureInfo.InvariantCulture);
            if (day >= 1 && day <= DateTime.DaysInMonth(year, month))
                return (new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero) + clock, LogTimeSource.SyslogNoYear);
        }
        return (null, LogTimeSource.Server);
    }

    /// <summary>A collector's RFC 3339 time from a JSON field (Cloud Logging's <c>timestamp</c>, CloudNativePG's <c>ts</c>).</summary>
    public static bool TryIso(string text, out DateTimeOffset time)
    {
        var m = IsoTime().Match(text);
        time = default;
        return m.Success && m.Index == 0 && TryIso(m, out time);
    }

    private static bool TryIso(Match m, out DateTimeOffset time)
    {
        time = default;
        if (!DateTime.TryParseExact(m.Groups["dt"].Value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return false;
        var frac = m.Groups["frac"].Value;
        long ticks = 0;
        if (frac.Length > 0)
        {
            var seven = frac.Length >= 7 ? frac[..7] : frac.PadRight(7, '0'); // nanoseconds to 100 ns ticks
            ticks = long.Parse(seven, CultureInfo.InvariantCulture);
        }
        var offset = TimeSpan.Zero;
        var zone = m.Groups["zone"].Value;
        if (zone.Length > 1)
        {
            var digits = zone[1..].Replace(":", "", StringComparison.Ordinal);
            var minutes = int.Parse(digits[..2], CultureInfo.InvariantCulture) * 60 + int.Parse(digits[2..], CultureInfo.InvariantCulture);
            offset = TimeSpan.FromMinutes(zone[0] == '-' ? -minutes : minutes);
        }
        time = new DateTimeOffset(local.AddTicks(ticks), offset);
        return true;
    }

    /// <summary>A continuation line without what a collector put in front of it (time, host and tag, "[3-2] ", syslog's
    /// "#011" for a tab): the text to join to the message it continues.</summary>
    public static string ContinuationText(string line)
    {
        var m = WrapperHead().Match(line);
        return m.Success ? line[m.Length..] : line;
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// A <c>log_line_prefix</c> given by the user, turned into a pattern for the start of each stderr line, for logs where
/// the automatic detection (a time anywhere before the first <c>LEVEL:  </c>) is not enough: a prefix with the
/// session start <c>%s</c> before the line's time, or the time as a Unix epoch (<c>%n</c>). Escapes as
/// <c>log_line_prefix</c> documents them (elog.c <c>log_status_format</c>): <c>%m</c>, <c>%t</c>, <c>%n</c> give
/// the time, <c>%p</c> the process; <c>%q</c> ends the prefix for processes without a session (the checkpointer is
/// one), so what follows it is optional; every other escape (<c>%a %u %d %r %h %b %P %i %e %c %l %s %v %x %Q</c>,
/// with an optional padding like <c>%-10u</c>) stands for any text; <c>%%</c> is a percent sign.
/// </summary>
public sealed partial class LogLinePrefix
{
    private readonly Regex _pattern;

    /// <summary>The prefix as the user gave it.</summary>
    public string Text { get; }

    private LogLinePrefix(string text, Regex pattern)
    {
        Text = text;
        _pattern = pattern;
    }

    [GeneratedRegex(@"(?<level>LOG|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?):  ")]
    private static partial Regex Level();

    /// <summary>Compiles <paramref name="prefix"/>; an unknown escape is a <see cref="FormatException"/> naming it.</summary>
    public static LogLinePrefix Parse(string prefix)
    {
        var b = new StringBuilder("^");
        var optionalOpen = false;
        var hasTime = false;
        for (var i = 0; i < prefix.Length; i++)
        {
            var c = prefix[i];
            if (c != '%' || i + 1 >= prefix.Length)
            {
                b.Append(Regex.Escape(c.ToString()));
                continue;
            }
            i++;
            // Padding: %-10u, %10u (log_status_format's padding; the value is padded with spaces).
            if (prefix[i] == '-') i++;
            while (i < prefix.Length && char.IsAsciiDigit(prefix[i])) i++;
            if (i >= prefix.Length) throw new FormatException($"log_line_prefix \"{prefix}\" ends inside an escape");
            var escape = prefix[i];
            switch (escape)
            {
                case '%': b.Append('%'); break;
                case 'm': b.Append(@" *(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}(?: [A-Za-z]+| [+-]\d\d(?::?\d\d)?)?) *"); hasTime = true; break;
                case 't': b.Append(@" *(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [A-Za-z]+| [+-]\d\d(?::?\d\d)?)?) *"); hasTime = true; break;
                case 'n': b.Append(@" *(?<epoch>\d+\.\d{3}) *"); hasTime = true; break;
                case 'p': b.Append(@" *(?<pid>\d+) *"); break;
                case 'q':
                    b.Append("(?:");
                    optionalOpen = true;
                    break;
                case 'a' or 'u' or 'd' or 'r' or 'h' or 'b' or 'P' or 'i' or 'e' or 'c' or 'l' or 's' or 'v' or 'x' or 'Q' or 'L' or 'B':
                    b.Append(".*?");
                    break;
                default:
                    throw new FormatException($"log_line_prefix \"{prefix}\": unknown escape %{escape}");
            }
        }
        if (optionalOpen) b.Append(")?");
        b.Append('$');
        if (!hasTime) throw new FormatException($"log_line_prefix \"{prefix}\" has no time (%m, %t or %n): walsim needs the time of each checkpoint line");
        return new LogLinePrefix(prefix, new Regex(b.ToString(), RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture));
    }

    /// <summary>
    /// Splits a line into its time text (or epoch), pid, level and message; false when the line does not start with
    /// this prefix followed by a level (a continuation line, or a line from before the prefix was changed).
    /// </summary>
    internal bool TryMatch(string line, out Match prefix, out Match level)
    {
        level = Match.Empty;
        prefix = Match.Empty;
        // The level marker must follow the prefix directly; try each marker position (a prefix field such as %a may
        // itself contain "LOG:  ").
        for (var m = Level().Match(line); m.Success; m = m.NextMatch())
        {
            var p = _pattern.Match(line[..m.Index]);
            if (p.Success)
            {
                prefix = p;
                level = m;
                return true;
            }
        }
        return false;
    }

    /// <summary>The time of a matched prefix, <c>%n</c> epochs as UTC.</summary>
    internal static bool TryTime(Match prefix, out DateTimeOffset time, out int column, out string? error)
    {
        error = null;
        if (prefix.Groups["epoch"] is { Success: true } epoch)
        {
            column = epoch.Index + 1;
            var seconds = decimal.Parse(epoch.Value, CultureInfo.InvariantCulture);
            time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return true;
        }
        var t = prefix.Groups["time"];
        column = t.Index + 1;
        return LogTimestamp.TryParse(t.ValueSpan, out time, out error);
    }
}

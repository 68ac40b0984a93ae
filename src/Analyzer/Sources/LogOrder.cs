using System.Globalization;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// A log's direction, from its times: a log exported newest-first (a cloud console's download, <c>gcloud logging
/// read</c>'s default, <c>journalctl -r</c>) is read from its end, and says so. Judged on the first
/// <see cref="Probe"/> timed records: newest-first when more steps go back in time than forward (a server's clock
/// stepping back once, or the lines of concurrent processes written slightly out of order, does not turn a log around).
/// A log read backwards is held in memory whole (such exports are small); a forward one streams.
/// </summary>
internal static class LogOrder
{
    public const int Probe = 2000;

    public static IEnumerable<LogRecord> Forward(IEnumerable<LogRecord> records, Action<int, string> note)
    {
        using var e = records.GetEnumerator();
        var head = new List<LogRecord>();
        int back = 0, forward = 0, timed = 0;
        DateTimeOffset? last = null;
        while (timed < Probe && e.MoveNext())
        {
            var r = e.Current;
            head.Add(r);
            if (r.Time is not { } t) continue;
            timed++;
            if (last is { } l)
            {
                if (t < l) back++;
                else if (t > l) forward++;
            }
            last = t;
        }
        if (back > forward && back >= 2)
        {
            while (e.MoveNext()) head.Add(e.Current);
            head.Reverse();
            var lines = head.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" (line {head[0].Line} is its oldest)");
            note(head.Count == 0 ? 0 : head[0].Line, string.Create(CultureInfo.InvariantCulture,
                $"the log runs newest-first ({back} of {back + forward} steps between its first timed lines go back in time): read from its end{lines}"));
            foreach (var r in head) yield return r;
            yield break;
        }
        foreach (var r in head) yield return r;
        while (e.MoveNext()) yield return e.Current;
    }
}

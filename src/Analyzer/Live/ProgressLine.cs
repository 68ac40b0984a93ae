using System.Globalization;

namespace Walsim.Analyzer.Live;

/// <summary>
/// The one-line progress display of <c>walsim sample</c>: on a terminal it rewrites itself (<c>\r</c>, padded over
/// the previous text); when the writer is redirected it stays silent. Messages (a reconnect, a note) are written in
/// both cases, on their own line, and the progress line is redrawn under them.
/// </summary>
public sealed class ProgressLine(TextWriter writer, bool isTerminal)
{
    private string _current = "";

    /// <summary>Whether the progress line is shown at all.</summary>
    public bool IsTerminal => isTerminal;

    /// <summary>The text for these figures, e.g. <c>12 samples, 2m00s, LSN 0/3000148, 1.25 MB/s</c>.</summary>
    public static string Format(long samples, TimeSpan elapsed, Lsn lastLsn, double? bytesPerSecond)
    {
        var inv = CultureInfo.InvariantCulture;
        var rate = bytesPerSecond is { } r ? (r / ByteCount.MiB).ToString("0.00", inv) + " MB/s" : "- MB/s";
        var time = elapsed.TotalHours >= 1
            ? string.Create(inv, $"{(int)elapsed.TotalHours}h{elapsed.Minutes:00}m{elapsed.Seconds:00}s")
            : string.Create(inv, $"{elapsed.Minutes}m{elapsed.Seconds:00}s");
        var lsn = lastLsn.IsValid ? lastLsn.ToString() : "-";
        return string.Create(inv, $"{samples} sample{(samples == 1 ? "" : "s")}, {time}, LSN {lsn}, {rate}");
    }

    /// <summary>Shows <paramref name="text"/> in place of the current line (terminal only).</summary>
    public void Show(string text)
    {
        if (!isTerminal) return;
        var pad = Math.Max(0, _current.Length - text.Length);
        writer.Write("\r" + text + new string(' ', pad));
        writer.Flush();
        _current = text;
    }

    /// <summary>Writes <paramref name="message"/> on its own line, above the progress line.</summary>
    public void Message(string message)
    {
        if (isTerminal && _current.Length > 0) writer.Write("\r" + new string(' ', _current.Length) + "\r");
        writer.WriteLine(message);
        if (isTerminal && _current.Length > 0) writer.Write(_current);
        writer.Flush();
    }

    /// <summary>Ends the progress line (leaves its last state on screen).</summary>
    public void Complete()
    {
        if (!isTerminal || _current.Length == 0) return;
        writer.WriteLine();
        writer.Flush();
        _current = "";
    }
}

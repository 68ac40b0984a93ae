using System.Text;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;

namespace Walsim.Analyzer.History;

/// <summary>
/// Opens a recorded history, recognising its source by what it holds — a sample file by its header line (columns in
/// any order), a server log by its first lines — never by its name. Adding a source is its class in this folder and
/// its line in <see cref="All"/>.
/// </summary>
public static class HistorySources
{
    /// <summary>Every source walsim reads, in the order they are asked whether they recognise an input.</summary>
    private static readonly HistorySource[] All =
    [
        SampleFileHistory.Source,
        ServerLogHistory.Source,
        PrometheusHistory.Source,
    ];

    /// <summary>
    /// Opens <paramref name="pathOrUrl"/> for <paramref name="use"/>: recognises its source, opens it (a sample file
    /// checks its settings sidecar here when the use needs settings), and checks that it shows what the use needs.
    /// Throws <see cref="HistorySourceException"/> saying what is wrong and what to give instead.
    /// </summary>
    public static IRecordedHistory Open(string pathOrUrl, HistoryUse use, HistoryOptions? options = null)
    {
        var probe = HistoryProbe.Of(pathOrUrl);
        var source = All.FirstOrDefault(s => s.Recognises(probe))
            ?? throw new HistorySourceException(pathOrUrl, HistoryProblem.Unrecognised, Unrecognised(probe));
        var history = source.Open(probe, use, options ?? HistoryOptions.Default);
        history.Require(use);
        return history;
    }

    /// <summary>True when a source recognises <paramref name="pathOrUrl"/> (false for a missing, empty or unrecognised
    /// file): for the commands that take either a scenario or a recorded history.</summary>
    public static bool Recognises(string pathOrUrl)
    {
        try
        {
            var probe = HistoryProbe.Of(pathOrUrl);
            return All.Any(s => s.Recognises(probe));
        }
        catch (Exception e) when (e is HistorySourceException or IOException or UnauthorizedAccessException)
        {
            return false; // whoever opens it next says why it cannot be read
        }
    }

    private static string Unrecognised(HistoryProbe probe)
    {
        var expected = string.Join("; or ", All.Select(s => s.Expected));
        if (probe.Url is { } url) return $"no history source reads {url.Scheme} URLs yet: expected {expected}";
        if (probe.Lines.Count == 0) return $"the file is empty: expected {expected}";
        if (CheckpointLog.CollapsedLevelLine(probe.Lines) is { } line)
            return $"not a recorded history walsim reads: line {line} is a log line with one space after its level (\"LOG: \"), where PostgreSQL " +
                "writes two (\"LOG:  \", elog.c): something collapsed the spaces on the way; give the log as the server wrote it";
        return $"not a recorded history walsim reads: expected {expected}";
    }
}

/// <summary>
/// One kind of recorded history: what it looks like (for the message when nothing matches), whether it recognises
/// an input from its first lines (or its URL), and how to open it.
/// </summary>
/// <param name="Expected">The source in words, as in "expected …".</param>
/// <param name="Recognises">Whether the probed input is of this source, from its content.</param>
/// <param name="Open">Opens it for a use (checking, once, anything the use needs beside the input itself).</param>
public sealed record HistorySource(string Expected, Func<HistoryProbe, bool> Recognises,
    Func<HistoryProbe, HistoryUse, HistoryOptions, IRecordedHistory> Open);

/// <summary>
/// An input as the sources see it to recognise it: a URL, or a file's first lines (at most <see cref="MaxLines"/>
/// lines and <see cref="MaxChars"/> characters, so a file of one huge line costs no more than a small one).
/// </summary>
public sealed class HistoryProbe
{
    public const int MaxLines = 50;
    public const int MaxChars = 64 * 1024;

    private HistoryProbe(string target, Uri? url, IReadOnlyList<string> lines)
    {
        Target = target;
        Url = url;
        Lines = lines;
    }

    /// <summary>The path or URL as given.</summary>
    public string Target { get; }

    /// <summary>The URL, when the input is one (http, https); null for a file.</summary>
    public Uri? Url { get; }

    /// <summary>The file's first lines, without line ends; empty for an empty file or a URL.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>Probes <paramref name="pathOrUrl"/>; a missing file or a directory is a <see cref="HistoryProblem.Missing"/>.</summary>
    public static HistoryProbe Of(string pathOrUrl)
    {
        if (IsUrl(pathOrUrl))
            return new HistoryProbe(pathOrUrl, new Uri(pathOrUrl), []);
        // A server log's rotated set (a directory of logs, or a glob): probed by its oldest file.
        var file = pathOrUrl;
        if (LogFiles.IsLogSet(pathOrUrl)) file = LogFiles.Resolve(pathOrUrl)[0];
        else if (Directory.Exists(pathOrUrl))
            throw new HistorySourceException(pathOrUrl, HistoryProblem.Missing,
                "is a directory: give one file (a sample file written by walsim sample, or a server log)");
        else if (!File.Exists(pathOrUrl))
            throw new HistorySourceException(pathOrUrl, HistoryProblem.Missing, "no such file or directory");
        // Compressed files (gzip, bzip2, zstd) are probed as their text.
        using var reader = LogFiles.OpenText(file);
        var buffer = new char[MaxChars];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        var text = new string(buffer, 0, read);
        // Blank lines alone are no content: such a file is as empty as one of 0 bytes.
        if (read < buffer.Length && string.IsNullOrWhiteSpace(text)) return new HistoryProbe(pathOrUrl, null, []);
        // "a\n" splits into "a" and "": the piece after the last line end is no line.
        var lines = text.TrimEnd('\n').Split('\n').Take(MaxLines).Select(l => l.TrimEnd('\r')).ToList();
        return new HistoryProbe(pathOrUrl, null, lines);
    }

    /// <summary>True for an http or https URL (a Prometheus server), false for anything else (a path).</summary>
    public static bool IsUrl(string pathOrUrl) =>
        Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";

    /// <summary>The first lines as one text (for recognisers that look at several).</summary>
    public string Head => string.Join('\n', Lines);
}

/// <summary>
/// What a source cannot tell and the user can: a server log names neither its segment size nor the settings in force
/// before its first reload, and may not name its version.
/// </summary>
public sealed record HistoryOptions
{
    public static readonly HistoryOptions Default = new();

    /// <summary>The version, when the source does not name it (a log without a "starting PostgreSQL" line).</summary>
    public PgVersion? Version { get; init; }

    /// <summary>wal_segment_size, when the source does not record it; null: not given (PostgreSQL's default, 16MB, is
    /// assumed, and said so where it matters).</summary>
    public WalSegmentSize? SegmentSize { get; init; }

    /// <summary>A server log's format, when its content would be misjudged (<c>--log-format</c>); null: detected.</summary>
    public LogFormat? LogFormat { get; init; }

    /// <summary>A server log's <c>log_line_prefix</c>, when the detection is not enough (<c>--log-line-prefix</c>).</summary>
    public LogLinePrefix? LogLinePrefix { get; init; }

    /// <summary>For a Prometheus URL: which cluster, which stretch, the step and the credentials (<c>--match</c>, <c>--instance</c>, …).</summary>
    public PrometheusQuery? Prometheus { get; init; }

    /// <summary>Settings in force at the start, when the source does not record them (postgresql.conf text values).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

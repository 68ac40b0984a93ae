using System.IO.Compression;
using System.Text;
using ICSharpCode.SharpZipLib.BZip2;
using ZstdSharp;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// The files of a server log as a DBA keeps it: one file, a rotated set given as its directory or a glob
/// (<c>'/var/log/postgresql/postgresql-*.log*'</c>, quoted so the shell leaves it), each plain or compressed with
/// gzip, bzip2 or zstd (told by its first bytes, not its name). A set is read in time order: by the first time each
/// file holds, its name breaking ties, so <c>postgresql.log.1</c> comes before <c>postgresql.log</c>.
/// </summary>
public static class LogFiles
{
    /// <summary>True when <paramref name="path"/> names several files: a directory or a pattern with <c>*</c>/<c>?</c>.</summary>
    public static bool IsSet(string path) => Directory.Exists(path) || IsGlob(path);

    private static bool IsGlob(string path) => Path.GetFileName(path).IndexOfAny(['*', '?']) >= 0;

    /// <summary>The files <paramref name="path"/> names, in time order; a plain file alone. An empty set is a
    /// <see cref="FileNotFoundException"/> naming the pattern.</summary>
    public static IReadOnlyList<string> Resolve(string path)
    {
        if (!IsSet(path)) return [path];
        var dir = Directory.Exists(path) ? path : Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
        var pattern = Directory.Exists(path) ? "*" : Path.GetFileName(path);
        var files = Directory.EnumerateFiles(dir, pattern)
            .Where(f => !Directory.Exists(path) || LooksLikeLogName(Path.GetFileName(f)))
            .ToList();
        if (files.Count == 0)
            throw new FileNotFoundException($"no log files match {path} (expected files such as postgresql-*.log, *.csv, *.json, plain or .gz/.bz2/.zst)", path);
        return [.. files.Select(f => (File: f, First: FirstTime(f))).OrderBy(x => x.First ?? DateTimeOffset.MaxValue).ThenBy(x => RotationOrder(x.File))
            .Select(x => x.File)];
    }

    // In a directory: what log_filename and logrotate name logs (postgresql-Mon.log, postgresql.log.2.gz,
    // postgresql-2025-02-11.csv); other files (a sample file, notes) are not part of the set.
    private static bool LooksLikeLogName(string name) =>
        name.Contains(".log", StringComparison.OrdinalIgnoreCase) || name.StartsWith("postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="path"/> is a set with at least one log in it: a glob matching a file, or a
    /// directory holding files named like logs (<c>*.log*</c>, <c>postgresql*</c>).</summary>
    public static bool IsLogSet(string path)
    {
        try
        {
            if (Directory.Exists(path)) return Directory.EnumerateFiles(path).Any(f => LooksLikeLogName(Path.GetFileName(f)));
            if (!IsGlob(path)) return false;
            var dir = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
            return Directory.Exists(dir) && Directory.EnumerateFiles(dir, Path.GetFileName(path)).Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    // logrotate's numbering runs backwards in time (x.log.2 is older than x.log.1, older than x.log).
    private static (int, string) RotationOrder(string file)
    {
        var n = WithoutCompression(Path.GetFileName(file));
        var dot = n.LastIndexOf('.');
        return dot >= 0 && int.TryParse(n.AsSpan(dot + 1), out var k) ? (-k, n[..dot]) : (0, n);
    }

    /// <summary>The name without a compression suffix (<c>x.csv.gz</c> → <c>x.csv</c>), for the format's extension.</summary>
    public static string WithoutCompression(string name)
    {
        foreach (var ext in (string[])[".gz", ".bz2", ".zst", ".zstd"])
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return name;
    }

    /// <summary>Opens <paramref name="path"/> as text, decompressing gzip (1f 8b), bzip2 (<c>BZh</c>) or zstd
    /// (28 b5 2f fd) by its first bytes.</summary>
    public static TextReader OpenText(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            var n = file.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            file.Position = 0;
            Stream stream = n switch
            {
                >= 2 when magic[0] == 0x1f && magic[1] == 0x8b => new GZipStream(file, CompressionMode.Decompress),
                >= 3 when magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' => new BZip2InputStream(file),
                4 when magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd => new DecompressionStream(file),
                _ => file,
            };
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The first time among the first lines of <paramref name="path"/> (the server's or a collector's); null
    /// when none is found there.</summary>
    public static DateTimeOffset? FirstTime(string path)
    {
        try
        {
            using var reader = OpenText(path);
            var options = LogReadOptions.For(path);
            for (var i = 1; i <= 200 && reader.ReadLine() is { } line; i++)
            {
                if (LogLine.FindLevel(line, out var level, out _, out _))
                {
                    if (LogLine.TimeOf(line, level, i, path, options).Time is { } t) return t;
                }
                else if (LogTimestamp.Pattern().Match(line) is { Success: true } m && LogTimestamp.TryParse(m.ValueSpan, out var t, out _))
                {
                    return t; // a csvlog record or a JSON object's time
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or LogFileException or ZstdException or ICSharpCode.SharpZipLib.SharpZipBaseException)
        {
            // Unreadable here: the reader says why when it gets to the file.
        }
        return null;
    }
}

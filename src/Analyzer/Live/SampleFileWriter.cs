using System.Globalization;
using System.Text;

namespace Walsim.Analyzer.Live;

/// <summary>The output of <c>walsim sample</c> cannot be used as asked: it exists without <c>--append</c>, or the
/// existing file is not a sample file of this format or of this cluster.</summary>
public sealed class SampleOutputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Appends samples to a sample file and its settings sidecar. An append-only file cannot be written under a
/// temporary name and renamed, so each sample is written in one write and flushed to disk (fsync) before the next
/// is taken: a crash or a killed process loses at most the sample being written. Nothing is created until the first
/// sample arrives, so a run that cannot connect leaves no empty file behind.
/// </summary>
public sealed class SampleFileWriter : ISampleSink, IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly bool _append;
    private readonly Dictionary<string, (string Value, string? Unit)> _written = new(StringComparer.Ordinal);
    private readonly StringBuilder _buffer = new();
    private FileStream? _samples;
    private FileStream? _settings;
    // Appending to a file written before the optional columns were added: its rows keep its layout.
    private readonly bool _firstLayout;

    private SampleFileWriter(string path, bool append, long lastSample, ulong? systemIdentifier, bool firstLayout = false)
    {
        _firstLayout = firstLayout;
        Path = path;
        SettingsPath = SampleFile.SettingsPath(path);
        _append = append;
        LastSample = lastSample;
        ExistingSystemIdentifier = systemIdentifier;
    }

    /// <summary>The sample file.</summary>
    public string Path { get; }

    /// <summary>Its settings sidecar.</summary>
    public string SettingsPath { get; }

    /// <summary>The number of the last sample in the file (0 for a new file); the next sample is this + 1.</summary>
    public long LastSample { get; private set; }

    /// <summary>The cluster of the samples already in the file when appending; null for a new file.</summary>
    public ulong? ExistingSystemIdentifier { get; }

    /// <summary>Samples written by this writer.</summary>
    public long Written { get; private set; }

    /// <summary>Rows written by this writer (one per slot per sample, at least one per sample).</summary>
    public long RowsWritten { get; private set; }

    /// <summary>
    /// Prepares to write <paramref name="path"/>. Without <paramref name="append"/> the file and its sidecar must not
    /// exist. With it, an existing file must have this format's header and a sidecar with its header; the last
    /// sample's number and cluster are read from the file's end, and an incomplete last line (a run killed while
    /// writing) is cut off.
    /// </summary>
    public static SampleFileWriter Open(string path, bool append, Action<string>? note = null)
    {
        var settingsPath = SampleFile.SettingsPath(path);
        if (!append)
        {
            foreach (var p in new[] { path, settingsPath })
                if (File.Exists(p)) throw new SampleOutputException($"{p} already exists; use --append to add samples to it, or choose another --out");
            return new SampleFileWriter(path, false, 0, null);
        }
        if (!File.Exists(path)) return new SampleFileWriter(path, true, 0, null);

        var firstLayout = CheckHeader(path, SampleCsv.Header, SampleCsv.FirstHeader);
        if (File.Exists(settingsPath)) CheckHeader(settingsPath, SampleCsv.SettingsHeader);
        var (last, system) = ReadTail(path, firstLayout ? SampleCsv.FirstHeader : SampleCsv.Header, note);
        return new SampleFileWriter(path, true, last, system, firstLayout);
    }

    /// <summary>
    /// Writes one sample: its rows (one per slot, or one with empty slot cells) and the settings that differ from
    /// those this writer last wrote (all of them at its first sample). Flushed to disk before returning.
    /// </summary>
    public void Write(LiveSample sample)
    {
        var s = sample.Server;
        if (s.Sample <= LastSample)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"sample {s.Sample} is not after {LastSample}"));
        if (ExistingSystemIdentifier is { } id && id != s.SystemIdentifier)
            throw new SampleOutputException(string.Create(CultureInfo.InvariantCulture,
                $"{Path} holds samples of another cluster (system_identifier {id}, this server's is {s.SystemIdentifier}); write to another --out"));

        _buffer.Clear();
        if (sample.Slots.Count == 0) SampleCsv.AppendRow(_buffer, s, null, _firstLayout);
        foreach (var slot in sample.Slots) SampleCsv.AppendRow(_buffer, s, slot, _firstLayout);
        _samples ??= OpenFile(Path, SampleCsv.Header);
        WriteDurably(_samples, _buffer);

        _buffer.Clear();
        foreach (var setting in sample.Settings)
        {
            if (_written.TryGetValue(setting.Name, out var old) && old == (setting.Value, setting.Unit)) continue;
            _written[setting.Name] = (setting.Value, setting.Unit);
            SampleCsv.AppendSetting(_buffer, new SettingSample(s.Sample, s.LocalTime, setting.Name, setting.Value, setting.Unit));
        }
        if (_buffer.Length > 0)
        {
            _settings ??= OpenFile(SettingsPath, SampleCsv.SettingsHeader);
            WriteDurably(_settings, _buffer);
        }
        LastSample = s.Sample;
        Written++;
        RowsWritten += Math.Max(1, sample.Slots.Count);
    }

    private FileStream OpenFile(string path, string header)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // CreateNew without --append: a file that appeared since Open is not overwritten.
        var f = new FileStream(path, _append ? FileMode.Append : FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        if (f.Length == 0)
        {
            var b = new StringBuilder(header).Append('\n');
            WriteDurably(f, b);
        }
        return f;
    }

    private static void WriteDurably(FileStream f, StringBuilder text)
    {
        var bytes = Utf8.GetBytes(text.ToString());
        f.Write(bytes);
        f.Flush(flushToDisk: true);
    }

    /// <summary>Checks the file's header is <paramref name="expected"/> (or <paramref name="earlier"/>, an earlier
    /// release's layout of the same format: returns true then).</summary>
    private static bool CheckHeader(string path, string expected, string? earlier = null)
    {
        using var r = new StreamReader(path, Utf8);
        var first = r.ReadLine();
        if (first is null) return false; // empty: the header is written with the first sample
        if (first == expected) return false;
        if (first == earlier) return true;
        throw new SampleOutputException($"{path}: its header is not that of a walsim sample file of this version; cannot append to it (expected: {expected})");
    }

    /// <summary>
    /// The last complete sample's number and system identifier. A run killed in the middle of writing a sample (one
    /// write of all its rows, one per slot) can leave some of its rows complete and the next one cut: the whole sample
    /// is cut back, not only the broken line, so that no sample is kept with half of its slots.
    /// </summary>
    private static (long Sample, ulong? System) ReadTail(string path, string header, Action<string>? note)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var length = f.Length;
        var size = (int)Math.Min(length, 1 << 16);
        var tail = new byte[size];
        f.Seek(length - size, SeekOrigin.Begin);
        f.ReadExactly(tail);
        var end = size;
        if (size > 0 && tail[size - 1] != (byte)'\n')
        {
            var lastLf = Array.LastIndexOf(tail, (byte)'\n');
            if (lastLf < 0) throw new SampleOutputException($"{path}: its last line is longer than 64kB and incomplete; cannot append to it");
            end = TornSampleStart(tail, lastLf + 1, tailIsWholeFile: size == length);
            if (end < 0) throw new SampleOutputException($"{path}: its last sample is incomplete and longer than 64kB; cannot append to it");
            var cutLines = 1 + tail.AsSpan(end, lastLf + 1 - end).Count((byte)'\n');
            f.SetLength(length - size + end);
            f.Flush(flushToDisk: true);
            note?.Invoke(cutLines == 1
                ? $"{path}: cut off an incomplete last line (a previous run was stopped while writing it)"
                : string.Create(CultureInfo.InvariantCulture, $"{path}: cut off an incomplete last sample ({cutLines} lines; a previous run was stopped while writing it)"));
        }
        var text = Utf8.GetString(tail, 0, end);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return (0, null);
        // Parse the header and the last line with the reader, so the checks are the reader's own.
        var last = lines[^1];
        if (last == header) return (0, null);
        try
        {
            var row = SampleFile.Read(new StringReader(header + "\n" + last), path).Single();
            return (row.Server.Sample, row.Server.SystemIdentifier);
        }
        catch (SampleFileException e)
        {
            throw new SampleOutputException($"{path}: cannot append after its last line: {e.Reason}", e);
        }
    }

    /// <summary>
    /// Where the sample that the cut line from <paramref name="torn"/> to the end belongs to starts in
    /// <paramref name="tail"/>: at the cut line itself when the complete line before it is of an earlier sample, else
    /// at the first complete line of the same sample (its rows were written together, so they end together). The cut
    /// line's number may itself be cut ("12" of "123"); it then counts as the previous line's sample if it could be
    /// its number, the safe side. -1 when that start is not within the tail.
    /// </summary>
    internal static int TornSampleStart(ReadOnlySpan<byte> tail, int torn, bool tailIsWholeFile)
    {
        var cut = tail[torn..];
        var comma = cut.IndexOf((byte)',');
        var cutNumber = comma >= 0 ? cut[..comma] : cut;

        var start = torn;
        while (start > 0)
        {
            var prevStart = tail[..(start - 1)].LastIndexOf((byte)'\n') + 1;
            // A line reaching back to the tail's first byte may have begun before it.
            if (prevStart == 0 && !tailIsWholeFile) return -1;
            var line = tail[prevStart..(start - 1)];
            var c = line.IndexOf((byte)',');
            var number = c >= 0 ? line[..c] : line;
            var same = comma >= 0 ? number.SequenceEqual(cutNumber) : number.StartsWith(cutNumber);
            if (!same) break;                      // an earlier sample, or the header
            start = prevStart;
        }
        return start;
    }

    public void Dispose()
    {
        _samples?.Dispose();
        _settings?.Dispose();
    }
}

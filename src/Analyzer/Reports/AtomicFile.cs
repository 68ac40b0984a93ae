using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// A file written under a temporary name beside its destination and renamed over it on <see cref="Commit"/>,
/// so a failed or interrupted run never leaves a half-written report where a complete one is expected.
/// Disposing without committing deletes the temporary file. Every report file walsim writes goes through here.
/// A signal (SIGINT, SIGTERM) deletes the temporary files still open (<see cref="DeleteUncommitted"/>); a run killed
/// outright (SIGKILL, a crash) leaves its own, which the next file written in that directory removes: the temporary
/// name carries the writing process's id, <c>.NAME.PID.GUID.tmp</c>, so only those of dead processes are taken.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly FileStream _stream;
    private StreamWriter? _writer;
    private bool _done;

    private AtomicFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        RemoveStale(dir, System.IO.Path.GetFileName(Path));
        // Same directory as the target: the rename stays on one file system and is atomic.
        TempPath = System.IO.Path.Combine(dir, string.Create(CultureInfo.InvariantCulture,
            $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"));
        _stream = new FileStream(TempPath, FileMode.Create, FileAccess.Write);
        Open[TempPath] = this;
    }

    // The temporary files of this process not yet committed or disposed, for a signal handler to delete.
    private static readonly ConcurrentDictionary<string, AtomicFile> Open = new(StringComparer.Ordinal);

    /// <summary>
    /// Deletes the temporary files this process has open, for SIGINT/SIGTERM: the process ends without unwinding
    /// (the engine's run is not interruptible), so nothing else would. The files being written are unlinked under
    /// their writers, which is harmless on the way out; the destinations keep what they had.
    /// </summary>
    public static int DeleteUncommitted()
    {
        var deleted = 0;
        foreach (var path in Open.Keys)
        {
            try { File.Delete(path); deleted++; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return deleted;
    }

    /// <summary>Deletes <c>.NAME.PID.*.tmp</c> files in <paramref name="dir"/> whose process no longer runs.</summary>
    private static void RemoveStale(string dir, string name)
    {
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(dir, $".{name}.*.tmp"); }
        catch (IOException) { return; }
        foreach (var file in candidates)
        {
            var rest = System.IO.Path.GetFileName(file)[(name.Length + 2)..];   // PID.GUID.tmp
            var dot = rest.IndexOf('.');
            if (dot <= 0 || !int.TryParse(rest.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { File.Delete(file); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }   // no such process
        catch (InvalidOperationException) { return false; }
    }

    public string Path { get; }
    public string TempPath { get; }

    /// <summary>The file as text (UTF-8 without a byte order mark, LF line ends).</summary>
    public TextWriter Writer => _writer ??= NewTextWriter(_stream);

    /// <summary>The file as bytes; for text, use <see cref="Writer"/> alone.</summary>
    public Stream Stream => _writer is null ? _stream : throw new InvalidOperationException($"{Path} is being written as text");

    public static AtomicFile Create(string path) => new(path);

    /// <summary>Writes a whole file with <paramref name="write"/> and commits it.</summary>
    public static void Write(string path, Action<TextWriter> write)
    {
        using var file = Create(path);
        write(file.Writer);
        file.Commit();
    }

    /// <summary>Writes text files that belong together: see <see cref="WriteAll{TReport}"/>.</summary>
    /// <returns>The full paths written, in order.</returns>
    public static IReadOnlyList<string> WriteAll(IEnumerable<(string Path, Action<TextWriter> Write)> files) =>
        WriteSet(files.Select(f => (f.Path, (Action<AtomicFile>)(a => f.Write(a.Writer)))));

    /// <summary>
    /// Renders a report into several files that belong together (a report and its data, a page and its charts), each
    /// under its temporary name, and renames them only once all are written: a failure while writing any of them (a
    /// rendering error, a directory that cannot be created, a full disk) leaves every destination as it was and no
    /// temporary file behind.
    /// </summary>
    /// <returns>The full paths written, in order.</returns>
    public static IReadOnlyList<string> WriteAll<TReport>(TReport report, IEnumerable<(string Path, IRenderer<TReport> Renderer)> files) =>
        WriteSet(files.Select(f => (f.Path, (Action<AtomicFile>)(a => f.Renderer.Render(report, a.Stream)))));

    private static IReadOnlyList<string> WriteSet(IEnumerable<(string Path, Action<AtomicFile> Write)> files)
    {
        var open = new List<AtomicFile>();
        try
        {
            foreach (var (path, write) in files)
            {
                var file = Create(path);
                open.Add(file);
                write(file);
            }
            // Renames cannot be made atomic together; they come last, when nothing is left to fail but the renames.
            foreach (var file in open) file.Commit();
            return open.Select(f => f.Path).ToList();
        }
        finally
        {
            foreach (var file in open) file.Dispose();
        }
    }

    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        Close();
        File.Move(TempPath, Path, overwrite: true);
        _done = true;
        Open.TryRemove(TempPath, out _);
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        Close();
        File.Delete(TempPath);
        Open.TryRemove(TempPath, out _);
    }

    /// <summary>How walsim writes text: UTF-8 without a byte order mark, LF line ends; <paramref name="output"/> stays open.</summary>
    internal static StreamWriter NewTextWriter(Stream output) =>
        new(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: -1, leaveOpen: true) { NewLine = "\n" };

    private void Close()
    {
        _writer?.Dispose(); // flushes into the stream, which it leaves open
        _stream.Dispose();
    }
}

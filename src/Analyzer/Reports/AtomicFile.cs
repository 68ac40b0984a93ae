using System.Text;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// A text file written under a temporary name beside its destination and renamed over it on <see cref="Commit"/>,
/// so a failed or interrupted run never leaves a half-written report where a complete one is expected.
/// Disposing without committing deletes the temporary file.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly StreamWriter _writer;
    private bool _done;

    private AtomicFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        // Same directory as the target: the rename stays on one file system and is atomic.
        TempPath = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        _writer = new StreamWriter(TempPath, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false))
        {
            NewLine = "\n",
        };
    }

    public string Path { get; }
    public string TempPath { get; }
    public TextWriter Writer => _writer;

    public static AtomicFile Create(string path) => new(path);

    /// <summary>Writes a whole file with <paramref name="write"/> and commits it.</summary>
    public static void Write(string path, Action<TextWriter> write)
    {
        using var file = Create(path);
        write(file.Writer);
        file.Commit();
    }

    /// <summary>
    /// Writes several files that belong together (a report and its data), each under its temporary name, and renames
    /// them only once all are written: a failure while writing any of them (a rendering error, a directory that
    /// cannot be created, a full disk) leaves every destination as it was and no temporary file behind.
    /// </summary>
    /// <returns>The full paths written, in order.</returns>
    public static IReadOnlyList<string> WriteAll(IEnumerable<(string Path, Action<TextWriter> Write)> files)
    {
        var open = new List<AtomicFile>();
        try
        {
            foreach (var (path, write) in files)
            {
                var file = Create(path);
                open.Add(file);
                write(file.Writer);
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
        _writer.Dispose();
        File.Move(TempPath, Path, overwrite: true);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _writer.Dispose();
        File.Delete(TempPath);
    }
}

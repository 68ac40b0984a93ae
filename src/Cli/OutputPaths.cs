namespace Walsim.Cli;

/// <summary>
/// Where a command's reports go, checked before it runs: a long run must not end in an I/O error, and a command whose
/// reports cannot all be written writes none. The shape of a path given on the command line (a directory where a
/// file is wanted, a file where a directory is) is a usage error found while parsing (<see cref="FileProblem"/>,
/// <see cref="DirectoryProblem"/>); whether the file system takes the files is known only by trying, which
/// <see cref="CheckFiles"/> does in the directory that will hold them (exit 4, as a failed write).
/// </summary>
internal static class OutputPaths
{
    /// <summary>Why no file can be written at <paramref name="path"/> (as given), or null when it can be tried.</summary>
    public static string? FileProblem(string path, string example)
    {
        if (Directory.Exists(path))
            return $"{path} is a directory; give a file name, like {Path.Combine(path, example)}";
        return AncestorFile(Path.GetDirectoryName(Path.GetFullPath(path))) is { } file
            ? $"{path}: {Shown(file, path)} is a file, so there is no directory to write into; give a path in a directory"
            : null;
    }

    /// <summary>Why <paramref name="path"/> cannot be (or become) a directory of reports, or null when it can be tried.</summary>
    public static string? DirectoryProblem(string path)
    {
        if (File.Exists(path))
            return $"{path} is a file; give a directory for the reports (it is created if missing)";
        return AncestorFile(Path.GetFullPath(path)) is { } file
            ? $"{path}: {Shown(file, path)} is a file, so the directory cannot be created; give a directory for the reports"
            : null;
    }

    /// <summary>
    /// Checks that every file of <paramref name="paths"/> can be written, before anything is: its shape
    /// (<see cref="FileProblem"/>), and that the nearest existing directory on its way takes a new file (a hidden
    /// file created and deleted at once; nothing else can tell a read-only mount, a full quota or <c>/proc</c>).
    /// <paramref name="option"/> names what to change (<c>--junit</c>, <c>--out</c>). Throws an
    /// <see cref="IOException"/> (exit 4) saying what is wrong and what to give instead.
    /// </summary>
    public static void CheckFiles(string option, IEnumerable<string> paths)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (Directory.Exists(path)) throw new IOException($"cannot write {path}: it is a directory; move it away or give {option} another path");
            if (AncestorFile(Path.GetDirectoryName(Path.GetFullPath(path))) is { } file)
                throw new IOException($"cannot write {path}: {Shown(file, path)} is a file, so there is no directory to write into; give {option} a path in a directory");
            var dir = NearestDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            if (tried.Add(dir) && Unwritable(dir) is { } reason)
                throw new IOException($"cannot write {path}: {reason}; give {option} {(option == "--out" ? "a directory" : "a path in a directory")} you can write to");
        }
    }

    /// <summary>As <see cref="CheckFiles"/>, for a directory that reports will be written into.</summary>
    public static void CheckDirectory(string option, string dir)
    {
        if (DirectoryProblem(dir) is { } problem) throw new IOException($"{option}: {problem}");
        if (Unwritable(NearestDirectory(Path.GetFullPath(dir))) is { } reason)
            throw new IOException($"cannot write reports to {dir}: {reason}; give {option} a directory you can write to");
    }

    /// <summary>The options that place a command's report files, for messages: <c>--out</c>, <c>--html</c> or both.</summary>
    public static string Options(string? outDir, string? html) =>
        html is null ? "--out" : outDir is null ? "--html" : "--out or --html";

    /// <summary>The first of <paramref name="fullPath"/> and its ancestors that exists as a file, if any.</summary>
    private static string? AncestorFile(string? fullPath)
    {
        for (var p = fullPath; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) return null;
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The first of <paramref name="fullPath"/> and its ancestors that exists (the root at worst).</summary>
    private static string NearestDirectory(string fullPath)
    {
        var p = fullPath;
        while (!Directory.Exists(p) && Path.GetDirectoryName(p) is { Length: > 0 } parent) p = parent;
        return p;
    }

    /// <summary>Why no file can be created in <paramref name="dir"/>, or null when one can.</summary>
    private static string? Unwritable(string dir)
    {
        var probe = Path.Combine(dir, $".walsim-write-test.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return $"permission denied in {dir}";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return $"{dir} does not take new files"; // /proc, /sys: ENOENT for a file that is to be created
        }
        catch (IOException e)
        {
            // "Read-only file system : '/mnt/ro/.walsim-write-test….tmp'": the reason, without the probe's name.
            var reason = e.Message;
            var at = reason.IndexOf(" : '", StringComparison.Ordinal);
            return $"{(at > 0 ? reason[..at] : reason).TrimEnd('.')} in {dir}";
        }
    }

    /// <summary><paramref name="file"/> as the user wrote it when it is part of <paramref name="given"/>'s text.</summary>
    private static string Shown(string file, string given)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        return given.StartsWith(relative, StringComparison.Ordinal) ? relative : file;
    }
}

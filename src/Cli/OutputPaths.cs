namespace Walsim.Cli;

/// <summary>
/// Where a command's reports go, checked before it runs: a long run must not end in an I/O error, and a command whose
/// reports cannot all be written writes none. A path of the wrong shape (a directory where a file is wanted, a file
/// where a directory is, a file on the way) is refused with what to give instead; whether the file system takes new
/// files is known only by trying, which is done in the directory that will hold them. Every refusal is an
/// <see cref="IOException"/>: exit 4, as a failed write, whenever it is found.
/// </summary>
internal static class OutputPaths
{
    /// <summary>
    /// The reports of <c>simulate</c>, <c>whatif</c> and <c>plan</c> (<paramref name="registry"/>'s files), before the
    /// runs: the directory <paramref name="outDir"/> (<c>--out</c>, when there is one), the page <c>--html</c> asks for
    /// (<paramref name="page"/>: its path, or empty for the default in <paramref name="outDir"/>, else
    /// <paramref name="pageDir"/>) and what goes beside it, and, with <paramref name="charts"/>, the directory the
    /// charts go to (their names depend on the report, which the runs make).
    /// </summary>
    public static void CheckReports<TReport>(RendererRegistry<TReport> registry, string? outDir, string? page, string pageDir, bool charts)
    {
        if (outDir is not null) CheckDirectory("--out", outDir);
        if (page is not null)
        {
            if (page.Length > 0) CheckFile("--html", page, registry.PageIn(""));
            CheckFiles(page.Length == 0 && outDir is not null ? "--out" : "--html",
                registry.PageAt(page.Length > 0 ? page : registry.PageIn(outDir ?? pageDir)).Select(f => f.Path));
        }
        if (charts && outDir is null) CheckDirectory("--out", pageDir);
    }

    /// <summary>A file named by <paramref name="option"/> (<c>--junit</c>, <c>--csv</c>, <c>--html</c>);
    /// <paramref name="example"/> is the file name offered when a directory is given instead.</summary>
    public static void CheckFile(string option, string path, string example)
    {
        if (Directory.Exists(path))
            throw new IOException($"cannot write {path}: it is a directory; give {option} a file name, like {Path.Combine(path, example)}");
        CheckFiles(option, [path]);
    }

    /// <summary>A directory of reports (<c>--out</c>): it may not exist yet.</summary>
    public static void CheckDirectory(string option, string dir)
    {
        if (File.Exists(dir))
            throw new IOException($"cannot write reports to {dir}: it is a file; give {option} a directory (it is created if missing)");
        if (AncestorFile(Path.GetFullPath(dir)) is { } file)
            throw new IOException($"cannot write reports to {dir}: {Shown(file, dir)} is a file, so the directory cannot be created; give {option} a directory");
        if (Unwritable(NearestDirectory(Path.GetFullPath(dir))) is { } reason)
            throw new IOException($"cannot write reports to {dir}: {reason}; give {option} a directory you can write to");
    }

    /// <summary>Files a command will write, placed by <paramref name="option"/>.</summary>
    public static void CheckFiles(string option, IEnumerable<string> paths)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                throw new IOException($"cannot write {path}: it is a directory; move it away or give {option} another path");
            var parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (AncestorFile(parent) is { } file)
                throw new IOException($"cannot write {path}: {Shown(file, path)} is a file, so there is no directory to write into; give {option} a path in a directory");
            var dir = NearestDirectory(parent);
            if (tried.Add(dir) && Unwritable(dir) is { } reason)
                throw new IOException($"cannot write {path}: {reason}; give {option} {(option == "--out" ? "a directory" : "a path in a directory")} you can write to");
        }
    }

    /// <summary>Why a path given as <c>sample --out</c> cannot be a file, or null: for a check while parsing, as that
    /// command's other problems with <c>--out</c> are usage errors.</summary>
    public static string? FileProblem(string path, string example)
    {
        if (Directory.Exists(path)) return $"{path} is a directory; give a file name, like {Path.Combine(path, example)}";
        return AncestorFile(Path.GetDirectoryName(Path.GetFullPath(path))) is { } file
            ? $"{path}: {Shown(file, path)} is a file, so there is no directory to write into; give a path in a directory"
            : null;
    }

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

    /// <summary>Why no file can be created in <paramref name="dir"/>, or null when one can: a hidden file is created
    /// and deleted at once (nothing else tells a read-only mount, a directory of another user or <c>/proc</c>).</summary>
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

namespace Walsim.Cli;

/// <summary>How commands name the reports they wrote.</summary>
internal static class ReportPaths
{
    /// <summary>Short paths for reports under the current directory, full paths elsewhere.</summary>
    public static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}

namespace Walsim.Tests;

/// <summary>
/// Files of the repository that tests read (scenarios, recorded traces and histories, deploy/, docs/): found from the
/// test assembly's folder up to <c>Sim.sln</c>, so a test always reads the checkout it was built from, wherever the
/// build output lies.
/// </summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>A path below the repository's root, e.g. <c>Of("scenarios", "traces", "diurnal-pg15")</c>.</summary>
    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "Sim.sln"))) return Path.GetFullPath(dir);
        throw new InvalidOperationException("Sim.sln not found above " + AppContext.BaseDirectory);
    }
}

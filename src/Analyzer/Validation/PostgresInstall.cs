namespace Walsim.Analyzer.Validation;

/// <summary>Real PostgreSQL server binaries for one major: where they are and which minor they are.</summary>
/// <param name="Major">The major, as installed under ROOT/MAJOR.</param>
/// <param name="Version">The version the model runs: the binaries' own, or the newest known minor of a newer one.</param>
/// <param name="BinDir">Where initdb, pg_ctl and postgres are.</param>
/// <param name="Reported">What the binaries say they are (Debian's 15.20 where walsim knows up to 15.18).</param>
public sealed record PostgresInstall(int Major, PgVersion Version, string BinDir, PgVersion Reported)
{
    /// <summary>The line saying a newer minor is modelled as an older one; null when it is modelled as itself.</summary>
    public string? Note => SupportedVersions.Model(Reported).Note;

    /// <summary>
    /// The install root of <c>scripts/install-postgres.sh</c>: <c>$WALSIM_PG_ROOT</c>, else <c>/opt/walsim/postgres</c>
    /// (as root), else <c>$XDG_DATA_HOME/walsim/postgres</c>. Each major lives in <c>ROOT/MAJOR/bin</c>.
    /// </summary>
    public static string DefaultRoot()
    {
        if (Environment.GetEnvironmentVariable("WALSIM_PG_ROOT") is { Length: > 0 } root) return root;
        if (Environment.IsPrivilegedProcess) return "/opt/walsim/postgres";
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } x
            ? x : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "walsim", "postgres");
    }

    /// <summary>
    /// The binaries of <paramref name="major"/> under <paramref name="root"/>, or in <paramref name="binDir"/> when
    /// given; null when they are not installed. The minor comes from the install's VERSION file
    /// (<c>MAJOR NPMVERSION MINOR</c>), else from <c>postgres --version</c> as the caller reads it.
    /// </summary>
    public static PostgresInstall? Find(int major, string root, string? binDir = null)
    {
        var bin = binDir ?? Path.Combine(root, major.ToString(System.Globalization.CultureInfo.InvariantCulture), "bin");
        if (!File.Exists(Path.Combine(bin, "postgres")) || !File.Exists(Path.Combine(bin, "initdb")) || !File.Exists(Path.Combine(bin, "pg_ctl")))
            return null;
        var versionFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(bin))!, "VERSION");
        PgVersion? reported = null;
        if (File.Exists(versionFile))
        {
            var parts = File.ReadAllText(versionFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3 && PgVersion.TryParseReported(parts[2], out var v)) reported = v;
        }
        reported ??= ProbeVersion(Path.Combine(bin, "postgres"));
        // Without a version the minor-dependent behaviour would be guessed: refuse rather than model "15.0".
        if (reported is not { } r || r.Major != major)
            throw new ValidationEnvironmentException($"{bin}/postgres: cannot tell its version (postgres --version{(reported is { } other ? $" says {other}, not {major}.x" : " gave nothing walsim can read")})");
        return new PostgresInstall(major, SupportedVersions.Model(r).Model, bin, r);
    }

    /// <summary><c>postgres --version</c> prints "postgres (PostgreSQL) 15.18", or Debian's "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".</summary>
    private static PgVersion? ProbeVersion(string postgres)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(postgres, "--version")
            { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is null) return null;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return PgVersion.TryParseReported(text, out var v) ? v : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

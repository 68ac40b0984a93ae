using System.Globalization;

namespace Walsim.Simulator.Versions;

/// <summary>A PostgreSQL release, <c>major.minor</c> (a major of <see cref="SupportedVersions"/>). "15" alone means the
/// newest 15.x walsim knows.</summary>
public readonly partial record struct PgVersion(int Major, int Minor) : IComparable<PgVersion>
{
    /// <summary>The newest minor of each major whose source the model was checked against (retention-model.md §0), from <see cref="SupportedVersions"/>.</summary>
    public static readonly IReadOnlyDictionary<int, int> NewestKnownMinor =
        SupportedVersions.Majors.ToDictionary(m => m.Major, m => m.NewestMinor);

    public static bool TryParse(string? text, out PgVersion version, out string? error)
    {
        version = default;
        error = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text)) { error = "expected a PostgreSQL version like 15 or 13.4"; return false; }
        var parts = text.Split('.');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        { error = $"expected a PostgreSQL version like 15 or 13.4, got \"{text}\""; return false; }
        if (!NewestKnownMinor.TryGetValue(major, out var newest))
        { error = $"PostgreSQL {major} is not modelled: walsim covers {SupportedVersions.Range}"; return false; }
        var minor = newest;
        if (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out minor))
        { error = $"expected a minor release number after \"{major}.\", got \"{parts[1]}\""; return false; }
        if (minor > newest)
        { error = $"{major}.{minor} is newer than the newest {major}.x walsim was checked against ({major}.{newest})"; return false; }
        version = new PgVersion(major, minor);
        return true;
    }

    /// <summary>
    /// The version in what a server or a tool prints about itself: "15.20", "15.20 (Debian 15.20-0+deb12u1)",
    /// "postgres (PostgreSQL) 18.4", "PostgreSQL 16.3 on x86_64-pc-linux-gnu, …", "17beta2" (a pre-release counts as
    /// minor 0). Any minor is accepted (see <see cref="SupportedVersions.Model"/>); the major must be one walsim models.
    /// </summary>
    public static bool TryParseReported(string? text, out PgVersion version)
    {
        version = default;
        if (text is null) return false;
        var m = ReportedVersion().Match(text);
        if (!m.Success || !int.TryParse(m.Groups["major"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !SupportedVersions.IsSupported(major)) return false;
        var minor = 0;
        if (m.Groups["minor"].Success && !int.TryParse(m.Groups["minor"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out minor)) return false;
        version = new PgVersion(major, minor);
        return true;
    }

    // The first "N.N" or "Nbeta"/"Nrc"/"Ndevel" that stands alone (not inside a longer number or a word like x86_64).
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.])(?<major>\d{2})(?:\.(?<minor>\d+)|(?:beta|rc|devel)\d*)")]
    private static partial System.Text.RegularExpressions.Regex ReportedVersion();

    public static PgVersion Parse(string text) =>
        TryParse(text, out var v, out var e) ? v : throw new FormatException(e);

    public int CompareTo(PgVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator <(PgVersion a, PgVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(PgVersion a, PgVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(PgVersion a, PgVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(PgVersion a, PgVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");
}

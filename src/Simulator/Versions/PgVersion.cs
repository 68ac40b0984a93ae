using System.Globalization;

namespace Walsim.Simulator.Versions;

/// <summary>A PostgreSQL release, <c>major.minor</c> (a major of <see cref="SupportedVersions"/>). "15" alone means the
/// newest 15.x walsim knows.</summary>
public readonly record struct PgVersion(int Major, int Minor) : IComparable<PgVersion>
{
    /// <summary>The newest minor of each major whose source the model was checked against (spec §0), from <see cref="SupportedVersions"/>.</summary>
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

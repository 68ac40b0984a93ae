namespace Walsim.Simulator.Versions;

/// <summary>One behaviour band of a major: its policy, from <paramref name="FirstMinor"/> up to the next band's first minor.</summary>
public sealed record PolicyBand(int FirstMinor, Func<PgVersion, RetentionPolicy> Create);

/// <summary>
/// A PostgreSQL major walsim models: the newest minor whose source the model was checked against (what a bare
/// "15" means, and the build <c>scripts/install-postgres.sh</c> pins; docs/design/retention-model.md §0), and its
/// behaviour bands in minor order.
/// </summary>
public sealed record SupportedMajor(int Major, int NewestMinor, IReadOnlyList<PolicyBand> Bands)
{
    public PgVersion Newest => new(Major, NewestMinor);

    /// <summary>The band a minor of this major belongs to.</summary>
    public PolicyBand BandOf(int minor) => Bands.Last(b => b.FirstMinor <= minor);

    /// <summary>The newest known minor of each band: one version per behaviour band.</summary>
    public IEnumerable<PgVersion> OnePerBand() =>
        Bands.Select((b, i) => new PgVersion(Major, i + 1 < Bands.Count ? Bands[i + 1].FirstMinor - 1 : NewestMinor));
}

/// <summary>
/// The one table of the PostgreSQL versions walsim models. Everything that names the supported range — version
/// parsing, scenario version ranges, the settings catalog, the CLI's help, the sampler and the sample file reader,
/// the benchmarks — derives it from here; <c>scripts/postgres-versions.txt</c> pins the same majors and minors (a
/// test checks it). Adding a major: its policy class in RetentionPolicy.cs, one row here, one line in that file.
/// </summary>
public static class SupportedVersions
{
    public static readonly IReadOnlyList<SupportedMajor> Majors =
    [
        new(12, 22, [new(0, v => new Pg12Policy(v))]),
        new(13, 23, [new(0, v => new Pg13EarlyPolicy(v)), new(4, v => new Pg13Policy(v))]),
        new(14, 23, [new(0, v => new Pg14Policy(v))]),
        new(15, 18, [new(0, v => new Pg15Policy(v))]),
        new(16, 14, [new(0, v => new Pg16Policy(v))]),
        new(17, 10, [new(0, v => new Pg17Policy(v))]),
        new(18, 4, [new(0, v => new Pg18Policy(v))]),
    ];

    public static int OldestMajor => Majors[0].Major;

    public static int NewestMajor => Majors[^1].Major;

    /// <summary>"12 to 18", as help texts and error messages say it.</summary>
    public static string Range => $"{OldestMajor} to {NewestMajor}";

    /// <summary>"12-18", for tight spots (a comment column in an example).</summary>
    public static string RangeShort => $"{OldestMajor}-{NewestMajor}";

    public static bool IsSupported(int major) => Find(major) is not null;

    /// <summary>The row of <paramref name="major"/>, or null when walsim does not model it.</summary>
    public static SupportedMajor? Find(int major)
    {
        foreach (var m in Majors) if (m.Major == major) return m;
        return null;
    }

    /// <summary>One version per behaviour band, oldest first (12.22, 13.3, 13.23, 14.23, …).</summary>
    public static IEnumerable<PgVersion> OnePerBand() => Majors.SelectMany(m => m.OnePerBand());

    /// <summary>
    /// The one rule for a version a server, a log, a sample file or a user names: a minor up to the newest known is
    /// modelled as itself; a newer minor (Debian's 15.20 when walsim knows 15.18) gets the newest known minor's
    /// behaviour — every change point walsim models lies at or before it — and says so. The major must be supported.
    /// </summary>
    public static ModelledVersion Model(PgVersion reported)
    {
        var major = Find(reported.Major) ?? throw new ArgumentOutOfRangeException(nameof(reported), reported, $"walsim models PostgreSQL {Range}");
        return new ModelledVersion(reported, reported.Minor > major.NewestMinor ? major.Newest : reported);
    }
}

/// <summary>A version as reported (by a server, its log, a sample file, a user) and the version walsim models it as.</summary>
public readonly record struct ModelledVersion(PgVersion Reported, PgVersion Model)
{
    /// <summary>The reported minor is newer than any walsim knows.</summary>
    public bool IsNewerThanKnown => Reported != Model;

    /// <summary>The one line that says a newer minor is modelled as the newest known one; null otherwise.</summary>
    public string? Note => IsNewerThanKnown
        ? $"PostgreSQL {Reported} is newer than the newest {Reported.Major}.x walsim knows ({Model}): modelled as {Model}"
        : null;

    /// <summary>"15.18", or "15.20 (modelled as 15.18)".</summary>
    public override string ToString() => IsNewerThanKnown ? $"{Reported} (modelled as {Model})" : Model.ToString();
}

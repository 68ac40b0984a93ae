using Walsim.Analyzer.Validation;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// One rule for a version a server, a log, a sample file or a user names: a minor newer than the newest walsim knows
/// gets that newest known minor's behaviour, and one line says so.
/// </summary>
public sealed class ReportedVersionTests
{
    [Theory]
    [InlineData("15.20", 15, 20)]
    [InlineData("15.20 (Debian 15.20-0+deb12u1)", 15, 20)]
    [InlineData("postgres (PostgreSQL) 18.4\n", 18, 4)]
    [InlineData("PostgreSQL 16.3 on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit", 16, 3)]
    [InlineData("starting PostgreSQL 17.10 (Ubuntu 17.10-1.pgdg22.04+1) on x86_64-pc-linux-gnu", 17, 10)]
    [InlineData("postgres (PostgreSQL) 18beta2", 18, 0)]
    public void A_version_is_read_from_what_a_server_prints_about_itself(string text, int major, int minor)
    {
        Assert.True(PgVersion.TryParseReported(text, out var v));
        Assert.Equal(new PgVersion(major, minor), v);
    }

    [Theory]
    [InlineData("postgres (PostgreSQL) 11.22")]
    [InlineData("postgres (PostgreSQL) 9.6.24")]
    [InlineData("x86_64 linux")]
    [InlineData("")]
    public void A_major_walsim_does_not_model_is_not_read_as_one_it_does(string text) =>
        Assert.False(PgVersion.TryParseReported(text, out _));

    [Fact]
    public void A_minor_newer_than_any_known_is_modelled_as_the_newest_known_and_says_so()
    {
        var m = SupportedVersions.Model(new PgVersion(15, 20));
        Assert.Equal(new PgVersion(15, 18), m.Model);
        Assert.Equal("15.20 (modelled as 15.18)", m.ToString());
        Assert.Equal("PostgreSQL 15.20 is newer than the newest 15.x walsim knows (15.18): modelled as 15.18", m.Note);
    }

    [Fact]
    public void A_known_minor_is_modelled_as_itself_with_nothing_to_say()
    {
        var m = SupportedVersions.Model(new PgVersion(13, 3));
        Assert.Equal(new PgVersion(13, 3), m.Model);
        Assert.Null(m.Note);
        Assert.Equal("13.3", m.ToString());
    }

    [Fact]
    public void Debians_postgres_binaries_are_labelled_with_their_own_minor_not_x_0()
    {
        // `postgres --version` of Debian's package ends in "(Debian 15.x-0+deb12u1)": the minor is the first number.
        const string bin = "/usr/lib/postgresql/15/bin";
        if (!File.Exists(Path.Combine(bin, "postgres"))) return; // Debian's PostgreSQL 15 is not installed here
        var install = PostgresInstall.Find(15, "/nonexistent", bin)!;
        Assert.NotEqual(0, install.Reported.Minor);
        Assert.Equal(SupportedVersions.Model(install.Reported).Model, install.Version);
    }
}

public sealed class ReportedVersionInLogsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-logversion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_log_of_a_newer_minor_is_replayed_as_the_newest_known_minor_and_says_which()
    {
        // The 15.18 fixture as Debian's 15.20 would log it.
        var source = Path.Combine(Path.GetDirectoryName(Here())!, "..", "Sources", "logs", "pg15-pgbadger.log");
        var path = Path.Combine(_dir, "postgresql-15-main.log");
        File.WriteAllText(path, File.ReadAllText(source).Replace("starting PostgreSQL 15.18 on", "starting PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on"));

        var r = Walsim.Analyzer.Sources.LogReplay.Run(path, null, Walsim.Simulator.Units.WalSegmentSize.Default, new Dictionary<string, string>());

        Assert.Equal(new PgVersion(15, 20), r.Version!.Value.Reported);
        Assert.Equal(new PgVersion(15, 18), r.Version!.Value.Model);
        var text = new StringWriter();
        Walsim.Analyzer.Sources.LogReplay.Write(text, r);
        Assert.Contains("PostgreSQL 15.20 (modelled as 15.18)", text.ToString());
    }

    private static string Here([System.Runtime.CompilerServices.CallerFilePath] string source = "") => source;
}

using System.Globalization;
using System.Text.RegularExpressions;
using Walsim.Analyzer.Live;
using Walsim.Cli;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// <see cref="SupportedVersions"/>, the one table of the versions walsim models, and the places that must agree with
/// it: version parsing, the policy bands, the CLI's help and <c>--pg</c>, the sampler, and the server builds
/// <c>scripts/postgres-versions.txt</c> pins for real-server validation.
/// </summary>
public class SupportedVersionsTests
{

    [Fact]
    public void The_table_lists_12_to_18_with_the_minors_walsim_was_checked_against()
    {
        Assert.Equal([12, 13, 14, 15, 16, 17, 18], SupportedVersions.Majors.Select(m => m.Major));
        Assert.Equal("12 to 18", SupportedVersions.Range);
        Assert.Equal("12-18", SupportedVersions.RangeShort);
        Assert.Equal(["12.22", "13.23", "14.23", "15.18", "16.14", "17.10", "18.4"], SupportedVersions.Majors.Select(m => m.Newest.ToString()));
        foreach (var m in SupportedVersions.Majors)
        {
            Assert.Equal(m.NewestMinor, PgVersion.NewestKnownMinor[m.Major]);
            Assert.Equal(m.Newest, PgVersion.Parse(m.Major.ToString(CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public void One_version_per_band_covers_every_policy_class_once()
    {
        var versions = SupportedVersions.OnePerBand().ToList();
        Assert.Equal(["12.22", "13.3", "13.23", "14.23", "15.18", "16.14", "17.10", "18.4"], versions.Select(v => v.ToString()));
        var bands = versions.Select(v => RetentionPolicy.For(v).Band).ToList();
        Assert.Equal(["12", "13.0-13.3", "13.4+", "14", "15", "16", "17", "18"], bands);
        Assert.Equal(versions.Count, versions.Select(v => RetentionPolicy.For(v).GetType()).Distinct().Count());
    }

    [Theory]
    [InlineData(11)]
    [InlineData(19)]
    public void Majors_outside_the_table_are_refused_everywhere(int major)
    {
        Assert.False(SupportedVersions.IsSupported(major));
        Assert.False(LiveCatalog.Supports(major));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RetentionPolicy.For(new PgVersion(major, 0)));
        Assert.Contains("walsim models PostgreSQL 12 to 18", ex.Message, StringComparison.Ordinal);
        Assert.False(PgVersion.TryParse(major.ToString(CultureInfo.InvariantCulture), out _, out var error));
        Assert.Equal($"PostgreSQL {major} is not modelled: walsim covers 12 to 18", error);
    }

    [Fact]
    public void Scenario_version_ranges_and_settings_span_the_table()
    {
        Assert.Equal((new PgVersion(12, 0), new PgVersion(18, 99)), (VersionRange.All.Min, VersionRange.All.Max));
        Assert.Equal(VersionRange.All.Max, VersionRange.Parse("13+").Max);
        foreach (var m in SupportedVersions.Majors)
        {
            Assert.True(VersionRange.All.Contains(m.Newest));
            // Parameters no supported major removed exist in every major from their first.
            Assert.True(GucCatalog.All["checkpoint_timeout"].ExistsIn(m.Newest));
            Assert.Equal(m.Major >= 13, GucCatalog.All["max_slot_wal_keep_size"].ExistsIn(m.Newest));
            Assert.Equal(m.Major == 12, GucCatalog.All["wal_keep_segments"].ExistsIn(m.Newest));
        }
    }

    // The CLI's help names the range from the table, --pg accepts exactly its majors, and the sampler (its catalog and
    // the sample file reader) accepts the same majors.
    [Fact]
    public void Cli_help_pg_option_and_sampler_agree_with_the_table()
    {
        static (int Code, string Out, string Err) Walsim(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
            var code = new WalsimCommands(stdout, stderr).Invoke(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        static string Flat(string text) => Regex.Replace(text, @"\s+", " ");

        Assert.Contains($"how PostgreSQL {SupportedVersions.Range} retain WAL", Flat(Walsim("--help").Out), StringComparison.Ordinal);
        Assert.Contains($"Samples a running PostgreSQL {SupportedVersions.Range} server", Flat(Walsim("sample", "--help").Out), StringComparison.Ordinal);
        var validateHelp = Flat(Walsim("validate", "--help").Out);
        Assert.Contains($"PostgreSQL majors to run ({SupportedVersions.Range})", validateHelp, StringComparison.Ordinal);
        Assert.Contains($"# once: PostgreSQL {SupportedVersions.RangeShort} under", validateHelp, StringComparison.Ordinal);

        for (var major = 0; major <= 40; major++)
        {
            var supported = SupportedVersions.IsSupported(major);
            Assert.Equal(supported, LiveCatalog.Supports(major));
            var err = Walsim("validate", "missing.yaml", "--pg", major.ToString(CultureInfo.InvariantCulture)).Err;
            Assert.Equal(!supported, err.Contains($"--pg: expected a major from {SupportedVersions.Range}, got \"{major}\"", StringComparison.Ordinal));
        }
        foreach (var m in SupportedVersions.Majors)
            Assert.Equal(m.Major, LiveCatalog.For(m.Newest).Policy.Version.Major);
    }

    // scripts/install-postgres.sh installs what scripts/postgres-versions.txt pins: one line per major,
    // "<major> <npm version> <server minor>". It must name exactly the table's majors and newest minors, so that
    // `walsim validate` runs each major as the minor a bare major means.
    [Fact]
    public void Postgres_versions_file_pins_exactly_the_tables_majors_and_newest_minors()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "scripts", "postgres-versions.txt"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.All(lines, l => Assert.Equal(3, l.Length));
        Assert.Equal(SupportedVersions.Majors.Select(m => m.Major.ToString(CultureInfo.InvariantCulture)), lines.Select(l => l[0]));
        Assert.Equal(SupportedVersions.Majors.Select(m => m.Newest.ToString()), lines.Select(l => l[2]));
        Assert.All(lines, l => Assert.StartsWith(l[2] + ".", l[1], StringComparison.Ordinal)); // npm 15.18.0-beta.N is server 15.18
    }

    // ------------------------------------------------------------------------------------------------ capabilities per minor

    // InstallXLogFileSegmentActive (014a508009 → 14.18 and 13.21, cc2c7d65fc → 15.0): a standby restoring from the
    // archive deletes instead of recycling; before, it always recycled.
    [Theory]
    [InlineData("12.22", false)]
    [InlineData("13.3", false)]
    [InlineData("13.20", false)]
    [InlineData("13.21", true)]
    [InlineData("14.17", false)]
    [InlineData("14.18", true)]
    [InlineData("15.0", true)]
    [InlineData("18.4", true)]
    public void Recycling_only_while_streaming_came_with_13_21_14_18_and_15(string version, bool expected) =>
        Assert.Equal(expected, RetentionPolicy.For(PgVersion.Parse(version)).RecyclesOnlyWhileStreaming);

    // slotsync.c (17+) and reserve_wal_for_local_slot's redo floor (3243c0177e → 17.8, 919c9fa13c → 18.2).
    [Theory]
    [InlineData("16.14", false, false)]
    [InlineData("17.0", true, false)]
    [InlineData("17.7", true, false)]
    [InlineData("17.8", true, true)]
    [InlineData("18.1", true, false)]
    [InlineData("18.2", true, true)]
    public void Slot_synchronization_and_its_reservation_rule_follow_17_and_the_17_8_18_2_fix(string version, bool syncs, bool atRedo)
    {
        var p = RetentionPolicy.For(PgVersion.Parse(version));
        Assert.Equal((syncs, atRedo), (p.SyncsFailoverSlots, p.SyncedSlotReservesAtRedo));
    }

    // ReplicationSlotReserveWal in recovery: a logical slot at the replay position from 16 (0fdab27ad6), the
    // restartpoint's redo before.
    [Theory]
    [InlineData("12.22", false)]
    [InlineData("15.18", false)]
    [InlineData("16.0", true)]
    [InlineData("18.4", true)]
    public void A_logical_slot_made_in_recovery_reserves_at_replay_from_16(string version, bool expected) =>
        Assert.Equal(expected, RetentionPolicy.For(PgVersion.Parse(version)).LogicalSlotOnStandbyReservesAtReplay);

    // ReplicationSlotInvalidationCause (15f8203a59, 16.0): 13–15 name max_slot_wal_keep_size, 16+ give the cause in a DETAIL.
    [Theory]
    [InlineData("13.0", false)]
    [InlineData("13.23", false)]
    [InlineData("14.23", false)]
    [InlineData("15.18", false)]
    [InlineData("16.0", true)]
    [InlineData("17.10", true)]
    [InlineData("18.4", true)]
    public void Invalidation_names_its_cause_from_16(string version, bool expected)
    {
        var p = RetentionPolicy.For(PgVersion.Parse(version));
        Assert.Equal(expected, p.NamesInvalidationCause);
        var message = p.InvalidationMessage("s", new Lsn(0x100), new Lsn(0x200));
        Assert.Equal(expected
            ? "invalidating obsolete replication slot \"s\"; DETAIL: The slot's restart_lsn 0/100 exceeds the limit by 256 bytes."
            : "invalidating slot \"s\" because its restart_lsn 0/100 exceeds max_slot_wal_keep_size", message);
    }
}

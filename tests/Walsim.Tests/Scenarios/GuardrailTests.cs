using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Scenarios;

/// <summary>
/// Scenarios PostgreSQL itself would refuse, or that no server could live through, are refused when the file is read:
/// with the server's own words, at the line that asked for it, before anything runs or is written.
/// </summary>
public sealed class GuardrailTests
{
    private const string File = "scenarios/x.yaml";

    private static ScenarioException Rejects(string yaml) => Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(yaml, File));

    [Theory]
    [InlineData("../../../../tmp/x")]
    [InlineData("/tmp/x")]
    [InlineData("reports/../x")]
    [InlineData("a\\\\b")]
    [InlineData("..")]
    public void A_scenario_name_is_one_folder_name_and_never_steers_a_report_path(string name)
    {
        var e = Rejects($"""
            name: "{name}"
            versions: [15]
            """);
        Assert.Equal(1, e.Line);
        Assert.Contains("not a path", e.Message);
    }

    [Fact]
    public void A_scenario_name_with_dots_spaces_and_dashes_is_fine()
    {
        var s = ScenarioLoader.Parse("""
            name: pg13 stale horizon 13.3-vs-13.4
            versions: [15]
            """, File);
        Assert.Equal("pg13 stale horizon 13.3-vs-13.4", s.Name);
    }

    [Theory]
    [InlineData("15", "logical decoding requires wal_level >= logical")]
    [InlineData("17", "logical decoding requires \"wal_level\" >= \"logical\"")]
    public void A_logical_slot_needs_wal_level_logical_CheckLogicalDecodingRequirements(string version, string serverSays)
    {
        var e = Rejects($"""
            versions: [{version}]
            slots:
              - name: rep
              - name: cdc
                type: logical
            """);
        Assert.Equal(4, e.Line); // the logical slot, not the physical one before it
        Assert.Contains(serverSays, e.Message);
        Assert.Contains("set wal_level: logical", e.Message);
    }

    [Theory]
    [InlineData("16", "replication slots can only be used if wal_level >= replica")]
    [InlineData("18", "replication slots can only be used if \"wal_level\" >= \"replica\"")]
    public void No_slot_at_all_with_wal_level_minimal_CheckSlotRequirements(string version, string serverSays)
    {
        var e = Rejects($"""
            versions: [{version}]
            settings: {"{"}wal_level: minimal{"}"}
            slots:
              - name: rep
            """);
        Assert.Contains(serverSays, e.Message);
    }

    [Fact]
    public void No_slot_with_max_replication_slots_0_CheckSlotRequirements()
    {
        var e = Rejects("""
            versions: [13]
            settings: {max_replication_slots: 0}
            events:
              - {at: 1h, create_slot: {name: late}}
            """);
        Assert.Equal(4, e.Line);
        Assert.Contains("replication slots can only be used if max_replication_slots > 0", e.Message);
    }

    [Fact]
    public void More_slots_at_once_than_max_replication_slots_are_all_in_use_ReplicationSlotCreate()
    {
        var e = Rejects("""
            versions: [14, 17]
            settings: {max_replication_slots: 2}
            slots:
              - name: a
              - name: b
            events:
              - {at: 10min, drop_slot: a}
              - {at: 20min, create_slot: {name: c}}
              - {at: 30min, create_slot: {name: d}}
            """);
        // a dropped before c: two at once until d makes three.
        Assert.Equal(9, e.Line);
        Assert.Contains("all replication slots are in use; HINT: Free one or increase max_replication_slots.", e.Message);
        Assert.Contains("3 slots would exist at once", e.Message);
    }

    [Fact]
    public void Dropping_before_creating_stays_within_max_replication_slots()
    {
        var s = ScenarioLoader.Parse("""
            versions: [17]
            settings: {max_replication_slots: 1, wal_level: logical}
            slots:
              - name: a
            events:
              - {at: 10min, drop_slot: a}
              - {at: 20min, create_slot: {name: b, type: logical}}
            """, File);
        Assert.Single(s.Slots);
    }

    [Fact]
    public void An_insert_lsn_at_the_end_of_the_WAL_address_space_is_refused_before_it_overflows()
    {
        var e = Rejects("""
            versions: [15]
            start: {insert_lsn: FFFFFFFF/FFFFFFFF}
            duration: 1h
            """);
        Assert.Equal(2, e.Line);
        Assert.Contains("give a lower insert_lsn", e.Message);
    }

    [Fact]
    public void A_workload_that_would_write_past_FFFFFFFF_FFFFFFFF_is_refused_at_the_workload()
    {
        // 100TB/s for 3 days is 24.7EB: more than the 16EB an LSN can address.
        var e = Rejects("""
            versions: [15]
            duration: 3d
            workload:
              - constant: 100TB/s
            """);
        Assert.Equal(4, e.Line);
        Assert.Contains("24.7EB", e.Message);
    }

    [Fact]
    public void The_work_of_a_run_is_estimated_from_the_scenario_alone()
    {
        // 1MB/s for an hour in 16MB segments on 15: 3600MB of WAL, 225 segments; checkpoint_timeout 5min gives 12
        // timed checkpoints and CheckPointSegments = floor(64 / 1.9) = 33 gives 225 / 33 = 6.8 requested ones (an upper
        // bound: both counted); a row every 5 minutes (12), one per checkpoint, plus the first and the last.
        var s = ScenarioLoader.Parse("""
            versions: [15]
            duration: 1h
            sample_interval: 5min
            workload:
              - constant: 1MB/s
            """, File);
        var e = RunEstimate.Of(s, PgVersion.Parse("15"));
        Assert.Equal(3600.0 * 1048576, e.WalBytes);
        Assert.Equal(225, e.Segments);
        Assert.Equal(12 + 225.0 / 33, e.Checkpoints, 6);
        Assert.Equal(12 + 12 + 225.0 / 33 + 2, e.TimelineRows, 6);
        Assert.Empty(e.Exceeds(RunLimits.Default));
    }

    [Theory]
    [InlineData("duration: 100000d", "timeline rows")]
    [InlineData("duration: 1h\nsample_interval: 1us", "timeline rows")]
    [InlineData("duration: 1d\nsample_interval: 0\nworkload:\n  - constant: 100TB/s", "WAL segments")]
    public void A_run_away_run_is_named_with_what_drives_it(string shape, string what)
    {
        var s = ScenarioLoader.Parse("versions: [15]\n" + shape, File);
        var over = RunEstimate.Of(s).Exceeds(RunLimits.Default);
        Assert.Contains(over, o => o.Contains(what, StringComparison.Ordinal));
    }

    [Fact]
    public void A_year_of_a_busy_server_at_10_second_samples_is_within_the_limits()
    {
        var s = ScenarioLoader.Parse("""
            versions: [12, 18]
            duration: 365d
            sample_interval: 10s
            workload:
              - daily: {mean: 5MB/s, amplitude: 0.7, peak_hour: 14}
            """, File);
        Assert.Empty(RunEstimate.Of(s).Exceeds(RunLimits.Default));
    }
}

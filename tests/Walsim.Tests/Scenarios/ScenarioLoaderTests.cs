using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Scenarios;

public sealed class ScenarioLoaderTests
{
    private const string File = "scenarios/x.yaml";

    private static Scenario Parse(string yaml) => ScenarioLoader.Parse(yaml, File);

    private static ScenarioException Rejects(string yaml) => Assert.Throws<ScenarioException>(() => Parse(yaml));

    private static SimTime H(double hours) => SimTime.Zero + SimDuration.FromHours(hours);

    private const double MiB = 1024 * 1024;

    /// <summary>The example of docs/scenarios.md, made consistent (settings 12 lacks moved to version_settings, archive_mode on).</summary>
    private const string FullExample = """
        name: core-oracle
        description: >
          The documented example.
        versions: [12, 13.3, 13.4, 14, 15, 16, 17, 18]
        wal_segment_size: 1MB
        duration: 2d
        sample_interval: 5min
        start:
          insert_lsn: 0/1000028
          files_ahead: 0

        settings:
          max_wal_size: 4MB
          min_wal_size: 2MB
          checkpoint_timeout: 5min
          archive_mode: on
          wal_level: logical
        version_settings:
          "12":  { wal_keep_segments: 8 }
          "13+": { wal_keep_size: 8MB, max_slot_wal_keep_size: 6MB }
        workload:
          - constant: 5MB/s
          - piecewise: [{at: 0h, rate: 1MB/s}, {at: 8h, rate: 20MB/s}, {at: 18h, rate: 2MB/s}]
          - daily: {mean: 10MB/s, amplitude: 0.6, peak_hour: 14, resolution: 15min}
          - burst: {at: 3h, duration: 20min, rate: 200MB/s}
          - every: 5min
            write: 8kB
            from: 0s
            until: 1d

        slots:
          - name: rep1
            type: physical
            created_at: 0s
            reserve: true
            consumer:
              lag: 2s
              lag_bytes: 0
              confirm_every: 10s
              outages:
                - {from: 6h, until: 9h}
                - {from: 20h}

        transactions:
          - {name: report, begin: 1h, until: 5h}

        archiver:
          lag: 30s
          failures: [{from: 2h, until: 5h}]

        disk:
          size: 20GB
          other_usage: 0
          read_only_at: 95%

        events:
          - {at: 2h, checkpoint: true}
          - {at: 3h, switch_wal: true}
          - {at: 3h, write: 64MB}
          - {at: 4h, set: {max_slot_wal_keep_size: 1GB}, versions: "13+"}
          - {at: 5h, create_slot: {name: s2, type: logical, consumer: {lag: 1min}}}
          - {at: 6h, drop_slot: s2}
          - {at: 6h, advance_slot: rep1, to: current}
          - {at: 7h, stop_consumer: rep1}
          - {at: 8h, start_consumer: rep1}

        steps:
          - write_segments: 1
          - checkpoint
          - advance_slot: rep1
          - set: {max_slot_wal_keep_size: 6MB}
            versions: "13+"
          - write: 512kB
          - switch_wal
          - observe

        expect:
          - {slot: rep1, lost: {between: [6h, 7h]}, versions: "13+"}
          - {slot: rep1, lost: never, versions: "12"}
          - {slot: rep1, extended: {before: 2h}}
          - {disk_full: never}
          - {peak_pg_wal: {max: 40GB}}
          - {at_step: 5, slot: rep1, wal_status: extended}
          - {at_step: 5, slot: rep1, safe_wal_size: {min: 1MB, max: 3MB}}
          - {at: 2h, files_in_pg_wal: {max: 80}}
          - {at_step: 6, checkpoint: {removed: 0, recycled: 3, added: 0}}
        """;

    [Fact]
    public void Full_example_parses_to_the_expected_records()
    {
        var s = Parse(FullExample);

        Assert.Equal("core-oracle", s.Name);
        Assert.Equal("The documented example.", s.Description);
        Assert.Equal(File, s.SourceFile);
        Assert.Equal(
            [new PgVersion(12, 22), new PgVersion(13, 3), new PgVersion(13, 4), new PgVersion(14, 23), new PgVersion(15, 18),
             new PgVersion(16, 14), new PgVersion(17, 10), new PgVersion(18, 4)],
            s.Versions);
        Assert.Equal(WalSegmentSize.FromMegabytes(1), s.SegmentSize);
        Assert.Equal(SimDuration.FromDays(2), s.Duration);
        Assert.Equal(SimDuration.FromMinutes(5), s.SampleInterval);
        Assert.Equal(new StartState { InsertLsn = Lsn.Parse("0/1000028"), FilesAhead = 0 }, s.Start);

        Assert.Equal(new Dictionary<string, string>
        {
            ["max_wal_size"] = "4MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "5min", ["archive_mode"] = "on",
            ["wal_level"] = "logical",
        }, s.Settings);
        Assert.Equal(2, s.VersionSettings.Count);
        Assert.Equal("12", s.VersionSettings[0].Versions.Text);
        Assert.Equal(new Dictionary<string, string> { ["wal_keep_segments"] = "8" }, s.VersionSettings[0].Settings);
        Assert.True(s.VersionSettings[1].Versions.Contains(new PgVersion(13, 0)));
        Assert.False(s.VersionSettings[1].Versions.Contains(new PgVersion(12, 22)));
        Assert.Equal(new Dictionary<string, string> { ["wal_keep_size"] = "8MB", ["max_slot_wal_keep_size"] = "6MB" }, s.VersionSettings[1].Settings);

        var c = s.Workload.Components;
        Assert.Equal(4, c.Count);
        Assert.Equal(new ConstantRate(5 * MiB, SimTime.Zero, SimTime.Never), c[0]);
        Assert.Equal([new RateStep(H(0), 1 * MiB), new RateStep(H(8), 20 * MiB), new RateStep(H(18), 2 * MiB)], ((PiecewiseRate)c[1]).Steps);
        Assert.Equal(new DailyCycle(10 * MiB, 0.6, 14, SimDuration.FromMinutes(15)), c[2]);
        Assert.Equal(new Burst(H(3), SimDuration.FromMinutes(20), 200 * MiB), c[3]);
        var heartbeat = Assert.Single(s.Workload.PeriodicWrites);
        Assert.Equal((SimDuration.FromMinutes(5), ByteCount.FromKilobytes(8), SimTime.Zero, H(24)),
            (heartbeat.Every, heartbeat.Bytes, heartbeat.From, heartbeat.Until));

        var rep1 = Assert.Single(s.Slots);
        Assert.Equal(("rep1", SlotKind.Physical, SimTime.Zero, true), (rep1.Name, rep1.Kind, rep1.CreatedAt, rep1.Reserve));
        Assert.Equal(new SourceLocation(File, 32, 5), rep1.Location);
        Assert.True(rep1.Consumer.Connected);
        Assert.Equal((SimDuration.FromSeconds(2), ByteCount.Zero, SimDuration.FromSeconds(10)),
            (rep1.Consumer.Lag, rep1.Consumer.LagBytes, rep1.Consumer.ConfirmEvery));
        Assert.Equal([new Outage(H(6), H(9)), new Outage(H(20), SimTime.Never)], rep1.Consumer.Outages);

        Assert.Equal([new LongTransaction("report", H(1), H(5))], s.Transactions);
        Assert.Equal(SimDuration.FromSeconds(30), s.Archiver.Lag);
        Assert.Equal([new Outage(H(2), H(5))], s.Archiver.Failures);
        Assert.Equal(new DiskSpec(new ByteCount(20 * ByteCount.GiB), ByteCount.Zero, 0.95), s.Disk);

        // Steps first (1s..7s), then the timed events in time order.
        Assert.Equal(7, s.StepCount);
        Assert.Equal(16, s.Events.Count);
        var steps = s.Events.Take(7).ToList();
        Assert.Equal(Enumerable.Range(1, 7).Select(n => (int?)n), steps.Select(e => e.Step));
        Assert.Equal(Enumerable.Range(1, 7).Select(n => SimTime.FromSeconds(n)), steps.Select(e => e.At));
        Assert.IsType<WriteSegments>(steps[0]);
        Assert.Equal(1, ((WriteSegments)steps[0]).Segments);
        Assert.IsType<RequestCheckpoint>(steps[1]);
        Assert.Equal(new AdvanceSlot("rep1", null) { At = SimTime.FromSeconds(3), Step = 3, Location = new(File, 70, 5) }, steps[2]);
        var stepSet = Assert.IsType<ChangeSettings>(steps[3]);
        Assert.Equal("13+", stepSet.Versions.Text);
        Assert.Equal(new WriteWal(ByteCount.FromKilobytes(512)), steps[4] with { At = default, Step = null, Location = SourceLocation.None });
        Assert.IsType<SwitchWal>(steps[5]);
        Assert.IsType<Observe>(steps[6]);

        var timed = s.Events.Skip(7).ToList();
        Assert.All(timed, e => Assert.Null(e.Step));
        Assert.Equal([H(2), H(3), H(3), H(4), H(5), H(6), H(6), H(7), H(8)], timed.Select(e => e.At));
        Assert.Equal(
            [typeof(RequestCheckpoint), typeof(SwitchWal), typeof(WriteWal), typeof(ChangeSettings), typeof(CreateSlot),
             typeof(DropSlot), typeof(AdvanceSlot), typeof(StopConsumer), typeof(StartConsumer)],
            timed.Select(e => e.GetType()));
        Assert.Equal(ByteCount.FromMegabytes(64), ((WriteWal)timed[2]).Bytes);
        var set = (ChangeSettings)timed[3];
        Assert.Equal(new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "1GB" }, set.Settings);
        Assert.False(set.Versions.Contains(new PgVersion(12, 22)));
        var s2 = ((CreateSlot)timed[4]).Slot;
        Assert.Equal(("s2", SlotKind.Logical, H(5), SimDuration.FromMinutes(1)), (s2.Name, s2.Kind, s2.CreatedAt, s2.Consumer.Lag));
        Assert.Equal("s2", ((DropSlot)timed[5]).Slot);
        Assert.Equal(new SourceLocation(File, 57, 5), timed[0].Location);

        var x = s.Expectations;
        Assert.Equal(11, x.Count);
        Assert.Equal(new MilestoneExpectation(Milestone.SlotLost, "rep1", new TimeBound(H(6), H(7), false)),
            x[0] with { Versions = VersionRange.All, Text = "", Location = SourceLocation.None });
        Assert.Equal("{slot: rep1, lost: {between: [6h, 7h]}, versions: \"13+\"}", x[0].Text);
        Assert.Equal("13+", x[0].Versions.Text);
        Assert.Equal(new SourceLocation(File, 78, 5), x[0].Location);
        Assert.Equal(TimeBound.NeverHappens, ((MilestoneExpectation)x[1]).When);
        Assert.Equal(new TimeBound(null, H(2), false), ((MilestoneExpectation)x[2]).When);
        Assert.Equal(Milestone.SlotExtended, ((MilestoneExpectation)x[2]).Milestone);
        Assert.Equal("all", x[2].Versions.Text);
        Assert.Equal(new MilestoneExpectation(Milestone.DiskFull, null, TimeBound.NeverHappens), x[3] with { Text = "", Location = SourceLocation.None });
        Assert.Equal(new RunMetricExpectation(RunMetric.PeakPgWalBytes, new NumberBound(null, 40.0 * ByteCount.GiB)), x[4] with { Text = "", Location = SourceLocation.None });
        Assert.Equal(new PointExpectation(new ProbePoint(5, null), PointMetric.WalStatus, "rep1", "extended", null), x[5] with { Text = "", Location = SourceLocation.None });
        Assert.Equal(new NumberBound(1 * MiB, 3 * MiB), ((PointExpectation)x[6]).Bound);
        Assert.Equal(new PointExpectation(new ProbePoint(null, H(2)), PointMetric.FilesInPgWal, null, null, new NumberBound(null, 80)), x[7] with { Text = "", Location = SourceLocation.None });
        Assert.Equal(
            [(PointMetric.LastCheckpointRemoved, 0.0), (PointMetric.LastCheckpointRecycled, 3.0), (PointMetric.LastCheckpointAdded, 0.0)],
            x.Skip(8).Cast<PointExpectation>().Select(p => (p.Metric, p.Bound!.Min!.Value)));
        Assert.All(x.Skip(8), e => Assert.Equal("{at_step: 6, checkpoint: {removed: 0, recycled: 3, added: 0}}", e.Text));
    }

    [Fact]
    public void Defaults_apply_when_optional_sections_are_absent()
    {
        var s = ScenarioLoader.Parse("versions: 16\n", "scenarios/minimal.yaml");

        Assert.Equal("minimal", s.Name);
        Assert.Equal([new PgVersion(16, 14)], s.Versions);
        Assert.Equal(WalSegmentSize.Default, s.SegmentSize);
        Assert.Equal(SimDuration.FromDays(1), s.Duration);
        Assert.Equal(SimDuration.FromMinutes(5), s.SampleInterval);
        Assert.Empty(s.Settings);
        Assert.Empty(s.Events);
        Assert.Empty(s.Expectations);
        Assert.Same(ArchiverSpec.KeepsUp, s.Archiver);
        Assert.Null(s.Disk);
        Assert.Equal(0, s.StepCount);
    }

    [Fact]
    public void Steps_happen_one_second_apart_and_the_run_ends_a_second_after_the_last()
    {
        var s = Parse("""
            versions: [16]
            slots: [{name: s1, reserve: false}]
            steps:
              - write_segments: 2
              - checkpoint
              - advance_slot: s1
              - advance_slot: s1
                to: 0/3000000
            expect:
              - {at_step: 4, slot: s1, restart_lsn: 0/03000000}
            """);

        Assert.Equal(4, s.StepCount);
        Assert.Equal(SimDuration.FromSeconds(5), s.Duration);
        Assert.Equal([1, 2, 3, 4], s.Events.Select(e => e.Step!.Value));
        Assert.Equal(SimTime.FromSeconds(4), s.Events[3].At);
        Assert.Equal(new AdvanceSlot("s1", Lsn.Parse("0/3000000")), s.Events[3] with { At = SimTime.Zero, Step = null, Location = SourceLocation.None });
        Assert.False(s.Slots[0].Reserve);
        Assert.Same(ConsumerSpec.None, s.Slots[0].Consumer);
        var probe = Assert.IsType<PointExpectation>(Assert.Single(s.Expectations));
        Assert.Equal("0/3000000", probe.EqualsText);
    }

    [Theory]
    [InlineData("versions: [16]\n", "spread")]                                         // timed scenarios: a busy server
    [InlineData("versions: [16]\nsteps: [checkpoint]\n", "instant")]                   // step scenarios dirty no buffers
    [InlineData("versions: [16]\ncheckpoint_write: instant\n", "instant")]
    [InlineData("versions: [16]\nsteps: [checkpoint]\ncheckpoint_write: spread\n", "spread")]
    [InlineData("versions: [16]\ncheckpoint_write: 270s\n", "4m30s")]
    public void Checkpoint_write_phase_defaults_by_scenario_kind_and_can_be_given(string yaml, string expected) =>
        Assert.Equal(expected, Parse(yaml).CheckpointWrite.ToString());

    [Theory]
    [InlineData("steps:\n  - end_transaction: report\n", 4, "end_transaction: no open transaction \"report\" at 1s (open: none)")]
    [InlineData("steps:\n  - begin_transaction: report\n  - begin_transaction: report\n", 5, "transaction \"report\" is already open at 2s")]
    public void Transaction_steps_must_pair_up_by_name(string body, int line, string message)
    {
        var e = Rejects("versions: [16]\nslots: [{name: s1, type: logical}]\n" + body);
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
    }

    // wal_level, archive_mode and max_replication_slots are PGC_POSTMASTER: a reload only logs that they need a
    // restart; the scenario says so where it asks for it. Setting the value already in force is harmless.
    [Theory]
    [InlineData("settings: {wal_level: replica}\nsteps:\n  - set: {wal_level: logical}\n", 4, "parameter \"wal_level\" cannot be changed without restarting the server")]
    [InlineData("steps:\n  - set: {archive_mode: on}\n", 3, "parameter \"archive_mode\" cannot be changed without restarting the server")]
    public void Restart_only_setting_changed_by_a_reload_is_refused_with_its_line(string body, int line, string message)
    {
        var e = Rejects("versions: [15]\n" + body);
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Restart_only_setting_reloaded_with_the_value_in_force_is_accepted() =>
        Assert.Single(Parse("versions: [15]\nsettings: {wal_level: logical}\nsteps:\n  - set: {wal_level: logical, max_wal_size: 2GB}\n").Events);

    [Fact]
    public void Hold_slot_on_a_slot_whose_consumer_already_holds_it_is_refused_with_its_line()
    {
        var e = Rejects("""
            versions: [16]
            slots: [{name: rep1, consumer: {lag: 1s}}]
            steps:
              - hold_slot: rep1
            """);
        Assert.Equal(4, e.Line);
        Assert.Contains("has a consumer, whose walsender holds it already", e.Message);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("0")]
    [InlineData("4min30s")]
    public void Checkpoint_write_phase_that_is_no_mode_or_positive_duration_is_refused_with_its_line(string value)
    {
        var e = Rejects($"versions: [16]\ncheckpoint_write: {value}\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("checkpoint_write must be spread, instant or a duration", e.Message);
    }

    [Theory]
    [InlineData("5MB/s", 5 * 1024 * 1024)]
    [InlineData("2GB/h", 2.0 * 1024 * 1024 * 1024 / 3600)]
    [InlineData("18GB/d", 18.0 * 1024 * 1024 * 1024 / 86400)]
    [InlineData("512kB/s", 512 * 1024)]
    [InlineData("1.5MB/min", 1.5 * 1024 * 1024 / 60)]
    [InlineData("0", 0)]
    public void Rates_are_a_size_per_time_unit_in_bytes_per_second(string rate, double bytesPerSecond)
    {
        var s = Parse($"versions: [16]\nworkload: [{{constant: {rate}}}]\n");

        Assert.Equal(bytesPerSecond, ((ConstantRate)s.Workload.Components[0]).BytesPerSecond, 9);
    }

    [Theory]
    [InlineData("1.5GB", 1536L * 1024 * 1024)]
    [InlineData("64kB", 64L * 1024)]
    [InlineData("100", 100L)]
    [InlineData("1TB", 1024L * 1024 * 1024 * 1024)]
    [InlineData("0.5B", 0L)] // rounds half to even, like PostgreSQL's rint()
    public void Sizes_use_PostgreSQL_units(string text, long bytes)
    {
        Assert.True(ValueParser.TryParseSize(text, out var size, out var error), error);
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("90s", 90_000_000L)]
    [InlineData("5min", 300_000_000L)]
    [InlineData("250ms", 250_000L)]
    [InlineData("1d", 86_400_000_000L)]
    [InlineData("0", 0L)]
    public void Durations_use_PostgreSQL_units(string text, long micros)
    {
        Assert.True(ValueParser.TryParseDuration(text, out var d, out var error), error);
        Assert.Equal(micros, d.Microseconds);
    }

    [Theory]
    [InlineData("1h30min")]
    [InlineData("5m")]
    [InlineData("30")]
    [InlineData("5 mins")]
    [InlineData("-1s")]
    public void Durations_outside_the_syntax_are_refused(string text) =>
        Assert.False(ValueParser.TryParseDuration(text, out _, out _));

    [Fact]
    public void Setting_unknown_to_the_version_is_rejected_with_its_line()
    {
        var e = Rejects("""
            versions: [13]
            settings:
              max_wal_size: 1GB
              wal_keep_segments: 8
            """);

        Assert.Equal("scenarios/x.yaml:4: settings.wal_keep_segments: PostgreSQL 13.23 has no parameter \"wal_keep_segments\" (renamed wal_keep_size (in MB) in 13)", e.Message);
        Assert.Equal((File, 4, 3, "settings.wal_keep_segments"), (e.File, e.Line, e.Column, e.Field));
    }

    [Fact]
    public void Setting_that_only_newer_versions_have_is_rejected_for_the_older_one()
    {
        var e = Rejects("""
            versions: [12, 16]
            settings:
              max_slot_wal_keep_size: 1GB
            """);

        Assert.Equal("scenarios/x.yaml:3: settings.max_slot_wal_keep_size: PostgreSQL 12.22 has no parameter \"max_slot_wal_keep_size\"", e.Message);
    }

    [Fact]
    public void Version_settings_apply_only_to_their_versions()
    {
        var s = Parse("""
            versions: [12, 16]
            version_settings:
              "12": {wal_keep_segments: 8}
              "13+": {max_slot_wal_keep_size: 1GB}
            """);

        Assert.Equal(2, s.VersionSettings.Count);
    }

    [Fact]
    public void Min_wal_size_below_two_segments_is_rejected_with_its_line()
    {
        var e = Rejects("""
            versions: [16]
            wal_segment_size: 64MB
            settings:
              min_wal_size: 100MB
            """);

        Assert.Equal("scenarios/x.yaml:4: settings.min_wal_size: \"min_wal_size\" must be at least twice \"wal_segment_size\" (128MB with 64MB segments), got 100MB (on PostgreSQL 16.14)", e.Message);
    }

    [Fact]
    public void Default_min_wal_size_too_small_for_huge_segments_points_at_the_segment_size()
    {
        var e = Rejects("""
            versions: [16]
            wal_segment_size: 1GB
            """);

        Assert.Equal((2, "wal_segment_size"), (e.Line, e.Field));
        Assert.Contains("\"min_wal_size\" must be at least twice", e.Reason);
    }

    [Fact]
    public void Set_event_is_checked_against_each_version_it_applies_to()
    {
        var e = Rejects("""
            versions: [12, 16]
            events:
              - {at: 1h, set: {max_wal_size: 2GB}}
              - {at: 2h, set: {wal_keep_size: 1GB}}
            """);

        Assert.Equal("scenarios/x.yaml:4: events[1].set.wal_keep_size: PostgreSQL 12.22 has no parameter \"wal_keep_size\"", e.Message);
    }

    [Fact]
    public void Set_events_are_applied_in_time_order_and_a_refused_one_names_its_own_line()
    {
        // Written out of time order: the 1h reload is applied first, and it is the one PostgreSQL would refuse.
        const string yaml = """
            versions: [16]
            wal_segment_size: 1MB
            settings: {max_wal_size: 8MB}
            events:
              - {at: 2h, set: {max_wal_size: 4MB}}
              - {at: 1h, set: {max_wal_size: MAX}}
            """;

        var e = Rejects(yaml.Replace("MAX", "1MB", StringComparison.Ordinal));
        Assert.Contains("scenarios/x.yaml:6: events[1].set.max_wal_size:", e.Message);
        Assert.Contains("outside the valid range for parameter \"max_wal_size\"", e.Message);
        var s = Parse(yaml.Replace("MAX", "2MB", StringComparison.Ordinal));
        Assert.Equal([H(1), H(2)], s.Events.Select(x => x.At));
    }

    [Fact]
    public void Set_event_for_newer_versions_is_not_checked_against_older_ones()
    {
        var s = Parse("""
            versions: [12, 16]
            events:
              - {at: 1h, set: {max_slot_wal_keep_size: 1GB}, versions: "13+"}
            """);

        Assert.False(((ChangeSettings)s.Events[0]).Versions.Contains(new PgVersion(12, 22)));
    }

    [Fact]
    public void Scenario_files_in_the_repository_load()
    {
        // bin/Debug/net10.0 → the repository root.
        var dir = RepoPaths.Of("scenarios");
        var files = Directory.GetFiles(dir, "*.yaml");

        Assert.NotEmpty(files);
        Assert.All(files, f => ScenarioLoader.Load(f));
    }

    [Fact]
    public void Event_naming_an_undeclared_slot_is_rejected_with_its_line()
    {
        var e = Rejects("""
            versions: [16]
            slots: [{name: rep1}]
            events:
              - {at: 1h, drop_slot: rep2}
            """);

        Assert.Equal("scenarios/x.yaml:4: events[0].drop_slot: cannot drop slot \"rep2\": no such slot (slots: rep1)", e.Message);
    }

    [Fact]
    public void Event_naming_a_dropped_slot_is_rejected()
    {
        var e = Rejects("""
            versions: [16]
            slots: [{name: a, consumer: {lag: 1s}}]
            events:
              - {at: 2h, stop_consumer: a}
              - {at: 1h, drop_slot: a}
            """);

        Assert.Equal("scenarios/x.yaml:4: events[0].stop_consumer: cannot stop the consumer of slot \"a\" at 2h00m: it was dropped at 1h00m", e.Message);
    }

    [Fact]
    public void Slot_created_by_an_event_can_be_used_afterwards_but_not_before()
    {
        Parse("""
            versions: [16]
            settings: {wal_level: logical}
            events:
              - {at: 1h, create_slot: {name: cdc, type: logical}}
              - {at: 2h, advance_slot: cdc}
            expect:
              - {slot: cdc, lost: never}
            """);
        var e = Rejects("""
            versions: [16]
            events:
              - {at: 1h, advance_slot: cdc}
              - {at: 2h, create_slot: {name: cdc, type: logical}}
            """);

        Assert.Equal("scenarios/x.yaml:3: events[0].advance_slot: cannot advance slot \"cdc\" at 1h00m: it is not created yet", e.Message);
    }

    [Fact]
    public void Duplicate_slot_names_are_rejected()
    {
        var e = Rejects("""
            versions: [16]
            slots:
              - name: a
              - name: a
            """);

        Assert.Equal("scenarios/x.yaml:4: slots[1].name: slot \"a\" is declared twice", e.Message);
    }

    [Fact]
    public void Event_after_the_end_of_the_run_is_rejected()
    {
        var e = Rejects("""
            versions: [16]
            duration: 1h
            events:
              - {at: 2h, checkpoint: true}
            """);

        Assert.Equal("scenarios/x.yaml:4: events[0].at: 2h00m is after the end of the simulation (duration 1h00m)", e.Message);
    }

    [Fact]
    public void Expectation_naming_an_unknown_slot_is_rejected()
    {
        var e = Rejects("""
            versions: [16]
            slots: [{name: rep1}]
            expect:
              - {slot: rep2, lost: never}
            """);

        Assert.Equal("scenarios/x.yaml:4: expect[0].slot: no slot named \"rep2\" (slots: rep1)", e.Message);
    }

    [Fact]
    public void Expectation_for_a_step_that_does_not_exist_is_rejected()
    {
        var e = Rejects("""
            versions: [16]
            steps: [checkpoint]
            expect:
              - {at_step: 3, files_in_pg_wal: 3}
            """);

        Assert.Equal("scenarios/x.yaml:4: expect[0].at_step: step 3 does not exist (the scenario has 1 step)", e.Message);
    }

    [Fact]
    public void Unknown_key_is_rejected_with_the_valid_keys()
    {
        var e = Rejects("""
            versions: [16]
            slots:
              - name: rep1
                consumer: {lagg: 2s}
            """);

        Assert.Equal("scenarios/x.yaml:4: slots[0].consumer.lagg: unknown key \"lagg\" (did you mean lag?); valid keys: lag, lag_bytes, confirm_every, outages, resume, reconnect_after", e.Message);
    }

    [Fact]
    public void Unknown_setting_is_rejected_with_the_known_ones()
    {
        var e = Rejects("versions: [16]\nsettings: {max_wal_sz: 1GB}\n");

        Assert.StartsWith("scenarios/x.yaml:2: settings.max_wal_sz: unknown setting \"max_wal_sz\" (did you mean max_wal_size?); valid settings: archive_mode, ", e.Message);
    }

    [Theory]
    [InlineData("slots:\n  - name: rep1\n    consumer: {lag: abc}", "scenarios/x.yaml:4: slots[0].consumer.lag: expected a duration like 10s or 5min, got \"abc\"")]
    [InlineData("wal_segment_size: 16mb", "scenarios/x.yaml:2: wal_segment_size: expected a size like 64MB or 1GB, got \"16mb\" (valid units are B, kB, MB, GB, TB, case-sensitive as in PostgreSQL)")]
    [InlineData("wal_segment_size: 3MB", "scenarios/x.yaml:2: wal_segment_size: wal_segment_size must be a power of two from 1MB to 1GB, got \"3MB\"")]
    [InlineData("events:\n  - {at: 1h, write: 99999999TB}", "scenarios/x.yaml:3: events[0].write: \"99999999TB\" is too large (at most 4194304TB)")]
    [InlineData("duration: -5h", "scenarios/x.yaml:2: duration: expected a duration like 10s or 5min, got \"-5h\" (it cannot be negative)")]
    [InlineData("duration: 99999999999d", "scenarios/x.yaml:2: duration: \"99999999999d\" is too large (at most 53375995d)")]
    [InlineData("start: {files_ahead: 99999999999999999999}", "scenarios/x.yaml:2: start.files_ahead: expected a whole number from 0 to 1000000, got \"99999999999999999999\"")]
    [InlineData("start: {insert_lsn: 0/G}", "scenarios/x.yaml:2: start.insert_lsn: expected an LSN like 0/16B3748, got \"0/G\"")]
    [InlineData("workload: [{constant: 9223372036854775807MB/s}]", "scenarios/x.yaml:2: workload[0].constant: \"9223372036854775807MB\" is too large (at most 4398046511104MB)")]
    [InlineData("workload:\n  - constant: 5MB", "scenarios/x.yaml:3: workload[0].constant: expected a rate like 5MB/s or 2GB/h, got \"5MB\"")]
    [InlineData("workload: [{daily: {mean: 1MB/s, amplitude: 2, peak_hour: 3}}]", "scenarios/x.yaml:2: workload[0].daily.amplitude: expected a number from 0 to 1, got \"2\"")]
    [InlineData("workload: [{burst: {at: 1h, rate: 1MB/s}}]", "scenarios/x.yaml:2: workload[0].burst: missing key \"duration\"")]
    [InlineData("workload: [{rate: 1MB/s}]", "scenarios/x.yaml:2: workload[0]: a workload component needs one of constant, piecewise, daily, burst, every, noise")]
    [InlineData("slots: {name: a}", "scenarios/x.yaml:2: slots: expected a list of slots like - name: rep1, got a mapping")]
    [InlineData("slots: [{name: ''}]", "scenarios/x.yaml:2: slots[0].name: replication slot name \"\" is too short")]
    [InlineData("slots: [{name: Rep1}]", "scenarios/x.yaml:2: slots[0].name: replication slot name \"Rep1\" contains invalid character (replication slot names may only contain lower case letters, numbers, and the underscore character)")]
    [InlineData("slots: [{name: a, type: logical, reserve: false}]", "scenarios/x.yaml:2: slots[0].reserve: reserve applies to physical slots only (a logical slot always reserves WAL when created)")]
    [InlineData("slots: [{name: a, consumer: {outages: [{from: 2h}, {from: 3h}]}}]", "scenarios/x.yaml:2: slots[0].consumer.outages[1].from: the previous period never ends, so no period can follow it")]
    [InlineData("transactions: [{name: t, begin: 2h, until: 1h}]", "scenarios/x.yaml:2: transactions[0].until: until (1h00m) must be after begin (2h00m)")]
    [InlineData("disk: {size: 10GB, read_only_at: 150%}", "scenarios/x.yaml:2: disk.read_only_at: read_only_at must be above 0% and at most 100%, got \"150%\"")]
    [InlineData("archiver: {lag: 1s}", "scenarios/x.yaml:2: archiver: the archiver only runs with archive_mode = on or always, and it is off on PostgreSQL 16.14")]
    [InlineData("events:\n  - {at: 1h, checkpoint: true, switch_wal: true}", "scenarios/x.yaml:3: events[0]: an event takes exactly one of checkpoint, switch_wal, write, write_segments, set, create_slot, drop_slot, advance_slot, consume_slot, peek_slot, stop_consumer, start_consumer, hold_slot, release_slot, begin_transaction, end_transaction, observe, sleep, mark, failover, switchover, rejoin; found checkpoint and switch_wal")]
    [InlineData("events: [{checkpoint: true}]", "scenarios/x.yaml:2: events[0]: missing key \"at\"")]
    [InlineData("events: [{at: 1h, checkpoint: false}]", "scenarios/x.yaml:2: events[0].checkpoint: checkpoint: false does nothing; remove the event or write checkpoint: true")]
    [InlineData("events: [{at: 1h, write: 1MB, versions: \"13+\"}]", "scenarios/x.yaml:2: events[0].versions: unknown key \"versions\"; valid keys: at, write, dirty")]
    [InlineData("steps: [write]", "scenarios/x.yaml:2: steps[0]: step write needs a value, like - write: ...")]
    [InlineData("steps: [{write_segments: 0}]", "scenarios/x.yaml:2: steps[0].write_segments: expected a whole number from 1 to 1000000, got \"0\"")]
    [InlineData("expect: [{disk_full: sometimes}]", "scenarios/x.yaml:2: expect[0].disk_full: expected never, {before: t}, {after: t} or {between: [a, b]}, got \"sometimes\"")]
    [InlineData("expect: [{peak_pg_wal: {min: 2GB, max: 1GB}}]", "scenarios/x.yaml:2: expect[0].peak_pg_wal.max: max is below min")]
    [InlineData("expect: [{files_in_pg_wal: 3}]", "scenarios/x.yaml:2: expect[0]: files_in_pg_wal is a value at a point in time; add at: <time> or at_step: <n>")]
    [InlineData("expect: [{disk_full: never, versions: \"12\"}]", "scenarios/x.yaml:2: expect[0].versions: versions \"12\" selects none of this scenario's versions (16.14)")]
    [InlineData("settings: {max_wal_size: 1gb}", "scenarios/x.yaml:2: settings.max_wal_size: invalid value for parameter \"max_wal_size\": \"1gb\"; valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", \"TB\" (case-sensitive)")]
    [InlineData("settings: {archive_mode: on, wal_level: minimal}", "scenarios/x.yaml:2: settings.archive_mode: WAL archival cannot be enabled when \"wal_level\" is \"minimal\" (on PostgreSQL 16.14)")]
    public void Malformed_values_are_rejected_with_file_line_and_field(string body, string message)
    {
        var e = Rejects("versions: [16]\n" + body + "\n");

        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("versions: [11]", "scenarios/x.yaml:1: versions[0]: PostgreSQL 11 is not modelled: walsim covers 12 to 18")]
    [InlineData("versions: [16.99]", "scenarios/x.yaml:1: versions[0]: 16.99 is newer than the newest 16.x walsim was checked against (16.14)")]
    [InlineData("versions: [16, 16.14]", "scenarios/x.yaml:1: versions[1]: version 16.14 is listed twice")]
    [InlineData("versions: []", "scenarios/x.yaml:1: versions: expected at least one version, like [13, 16]")]
    [InlineData("name: x", "scenarios/x.yaml:1: missing key \"versions\"")]
    public void Versions_must_be_modelled_releases(string yaml, string message) =>
        Assert.Equal(message, Rejects(yaml).Message);

    [Theory]
    [InlineData("versions: [16\n", "scenarios/x.yaml:2: invalid YAML: While parsing a flow sequence, did not find expected ',' or ']'")]
    [InlineData("versions: [16]\nversions: [17]\n", "scenarios/x.yaml:2: duplicate key \"versions\"")]
    [InlineData("versions: [16\nname: x\n", "scenarios/x.yaml:1: invalid YAML after this point (Operation is not valid due to the current state of the object); is a bracket or quote left open?")]
    [InlineData("versions: [16]\n---\nversions: [16]\n", "scenarios/x.yaml:3: a scenario file holds one YAML document; found a second one (remove the `---` separator)")]
    [InlineData("", "scenarios/x.yaml: the scenario is empty; it needs at least `versions:`")]
    [InlineData("# nothing but a comment\n", "scenarios/x.yaml: the scenario is empty; it needs at least `versions:`")]
    [InlineData("[1, 2]", "scenarios/x.yaml:1: expected a scenario mapping (versions:, settings:, workload:, ...), got a list")]
    [InlineData("a: &x [*x]", "scenarios/x.yaml:1: alias *x refers to a node that contains it")]
    [InlineData("? [a]\n: 1\n", "scenarios/x.yaml:1: mapping keys must be plain names, not lists, mappings or aliases")]
    public void Broken_YAML_is_reported_as_a_scenario_error_with_its_line(string yaml, string message) =>
        Assert.Equal(message, Rejects(yaml).Message);

    [Fact]
    public void Deep_nesting_is_refused_without_exhausting_the_stack()
    {
        var e = Rejects("versions: " + new string('[', 100_000) + new string(']', 100_000));

        Assert.Equal(1, e.Line);
        Assert.Contains("nesting deeper than", e.Reason);
    }

    [Fact]
    public void Invalid_UTF8_is_rejected_with_the_line_of_the_bad_byte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"walsim-{Guid.NewGuid():N}.yaml");
        System.IO.File.WriteAllBytes(path, [.. "versions: [16]\nname: caf"u8, 0xC3, 0x28, .. "\n"u8]);
        try
        {
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(path));

            Assert.Equal($"{path}:2: the file is not valid UTF-8 text", e.Message);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_is_a_scenario_error()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("/nonexistent/walsim.yaml"));

        Assert.Equal(0, e.Line);
        Assert.StartsWith("/nonexistent/walsim.yaml: cannot read the file: ", e.Message);
    }

    [Fact]
    public void Load_reads_a_file_with_a_byte_order_mark()
    {
        var path = Path.Combine(Path.GetTempPath(), $"walsim-{Guid.NewGuid():N}.yaml");
        System.IO.File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "versions: [15]\n"u8]);
        try
        {
            var s = ScenarioLoader.Load(path);

            Assert.Equal(Path.GetFileNameWithoutExtension(path), s.Name);
            Assert.Equal(path, s.SourceFile);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Expectation_text_is_the_mapping_as_written_on_one_line()
    {
        var s = Parse("""
            versions: [16]
            slots: [{name: rep1}]
            expect:
              - slot: rep1
                lost:
                  between: [6h, 7h]
                versions: '16'
            """);

        Assert.Equal("{slot: rep1, lost: {between: [6h, 7h]}, versions: \"16\"}", s.Expectations[0].Text);
        Assert.Equal(4, s.Expectations[0].Location.Line);
    }
}

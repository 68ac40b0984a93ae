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
}

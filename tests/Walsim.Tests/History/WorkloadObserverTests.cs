using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Live;

namespace Walsim.Tests.History;

/// <summary>
/// The workload a history shows, reconstructed frame by frame, on hand-built readings of a PG15 primary with 16MB
/// segments whose numbers can be worked by hand.
/// </summary>
public sealed class WorkloadObserverTests
{
    private const long MiB = ByteCount.MiB;
    private static readonly Lsn P0 = new(0x10000000);

    /// <summary>A reading <paramref name="seconds"/> after T0 (server time: plus 0.123456 s) with the insert position
    /// <paramref name="written"/> bytes past <see cref="P0"/>.</summary>
    private static SampleFrame F(long n, double seconds, long written, long redo = 0, bool gap = false, uint timeline = 1, bool standby = false,
        params SlotSample[] slots) =>
        new(LiveFixtures.Server(n, seconds, gap: gap) with
        {
            InsertLsn = P0 + new ByteCount(written),
            RedoLsn = P0 + new ByteCount(redo),
            CheckpointTime = LiveFixtures.T0.AddSeconds(seconds - 1),
            TimelineId = timeline,
            InRecovery = standby,
        }, slots);

    private static DateTimeOffset At(double seconds) => LiveFixtures.T0.AddSeconds(seconds).AddTicks(1234560);

    private static SlotSample Slot(string name, long restart, bool active = true) =>
        LiveFixtures.Physical with { Name = name, RestartLsn = P0 + new ByteCount(restart), Active = active };

    private static WorkloadObserver Observe(IEnumerable<SampleFrame> frames, ServerSettings? settings = null, bool keepPositions = false)
    {
        var o = new WorkloadObserver(keepPositions);
        foreach (var f in frames) o.Observe(f, settings);
        return o;
    }

    [Fact]
    public void The_wal_rate_is_measured_between_readings_of_one_run()
    {
        // 15,000 B in 10 s, then 45,000 B in 10 s: 1,500 and 4,500 B/s. Then a gap, a timeline change and a standby
        // reading, each with 1 MB more: none of those intervals is a rate.
        var o = Observe([
            F(1, 0, 0), F(2, 10, 15_000), F(3, 20, 60_000),
            F(4, 30, 60_000 + MiB, gap: true), F(5, 40, 60_000 + 2 * MiB, timeline: 2), F(6, 50, 60_000 + 3 * MiB, timeline: 2, standby: true),
        ]);

        var r = o.Rates;
        Assert.Equal((60_000L, TimeSpan.FromSeconds(20), 2L), (r.Written.Bytes, r.Covered, r.Intervals));
        Assert.Equal(3_000, r.MeanBytesPerSecond, 6);
        Assert.Equal(4_500, r.PeakBytesPerSecond, 6);
        // Quantiles are the geometric middle of their log-scale bucket (20 per decade): 1,500 B/s is in
        // [10^(63/20), 10^(64/20)), whose middle is 10^(63.5/20) = 1,496.2; 4,500 in the bucket of 10^(73.5/20) = 4,731.5.
        Assert.Equal(Math.Pow(10, 63.5 / 20), r.MedianBytesPerSecond, 6);
        Assert.Equal(Math.Pow(10, 73.5 / 20), r.P95BytesPerSecond, 6);
        Assert.Equal(6, o.Samples);
    }

    [Fact]
    public void Checkpoints_are_counted_with_those_the_wal_volume_requested()
    {
        // PG15 defaults: max_wal_size 1GB = 64 segments of 16MB, checkpoint_completion_target 0.9:
        // CheckPointSegments = floor(64 / 1.9) = 33, so a redo distance of 33 × 16MB = 528MB or more was requested by WAL.
        var settings = ServerSettings.Create(RetentionPolicy.For(new PgVersion(15, 18)), WalSegmentSize.Default, []);
        Assert.Equal(33UL, settings.CheckPointSegments);
        var frames = new[]
        {
            F(1, 0, 0), F(2, 10, 700 * MiB),
            F(3, 20, 700 * MiB, redo: 600 * MiB),                 // 600MB after the last redo: by WAL volume; completed at 19 s
            F(4, 30, 800 * MiB, redo: 600 * MiB),
            F(5, 40, 800 * MiB, redo: 700 * MiB),                 // 100MB: by time; completed at 39 s
            F(6, 50, 900 * MiB, redo: 800 * MiB, gap: true),      // after a gap: not seen happen, not counted
        };

        var o = Observe(frames, settings);
        Assert.Equal(new CheckpointRhythm(2, 1, TimeSpan.FromSeconds(20)), o.Rhythm);
        // The last distance seen between two readings of one run.
        Assert.Equal(100 * MiB, o.LastRedoDistance.Bytes);
        // Without the settings, no checkpoint is said to be requested by WAL.
        Assert.Equal(new CheckpointRhythm(2, 0, TimeSpan.FromSeconds(20)), Observe(frames).Rhythm);
    }

    [Fact]
    public void A_stall_is_a_restart_lsn_that_does_not_move_while_a_segment_is_written()
    {
        // "cdc" stays at 0 while the head goes 1MB, 20MB, 40MB ahead: from the reading at 0 s (the last before it was
        // a segment behind) to 120 s it is stalled, 2 minutes; at 180 s it moves. "near" never falls a segment behind.
        var o = Observe([
            F(1, 0, 1 * MiB, slots: [Slot("cdc", 0), Slot("near", 0)]),
            F(2, 60, 20 * MiB, slots: [Slot("cdc", 0, active: false), Slot("near", 10 * MiB)]),
            F(3, 120, 40 * MiB, slots: [Slot("cdc", 0, active: false), Slot("near", 10 * MiB)]),
            F(4, 180, 41 * MiB, slots: [Slot("cdc", 39 * MiB), Slot("near", 40 * MiB)]),
        ]);

        var slots = o.SlotBehaviours;
        Assert.Equal(["cdc", "near"], slots.Select(s => s.Name));
        var cdc = slots[0];
        Assert.Equal((TimeSpan.FromMinutes(2), At(0), false), (cdc.LongestStall, cdc.LongestStallFrom, cdc.StalledAtEnd));
        Assert.Equal((4L, 0.5, 40 * MiB), (cdc.Samples, cdc.ActiveFraction, cdc.MaxBehind.Bytes));
        Assert.Equal((At(0), At(180)), (cdc.FirstSeen, cdc.LastSeen));
        // "near": 10MB behind at 60 s and 30MB at 120 s — not moved, but 30MB is two segments: a stall of 60 s from 60 s.
        Assert.Equal((TimeSpan.FromMinutes(1), At(60)), (slots[1].LongestStall, slots[1].LongestStallFrom));
    }

    [Fact]
    public void A_consumer_that_stopped_is_stalled_at_the_end_and_one_that_keeps_moving_keeps_up()
    {
        // Every 10 s the head moves 1MB. "rep" confirms each reading 1MB behind; "cdc" does too until 60 s, then stops.
        // At 300 s "cdc" has not moved for 240 s, more than a minute and more than three of its 10-second pauses, while
        // 24MB (a segment or more) was written: stalled since 60 s.
        var frames = Enumerable.Range(0, 31).Select(k =>
        {
            var head = (k + 1) * MiB;
            var cdc = k <= 6 ? head - MiB : 6 * MiB;
            return F(k + 1, 10 * k, head, slots: [Slot("cdc", cdc), Slot("rep", head - MiB)]);
        });

        var end = Observe(frames).SlotsAtEnd();
        var cdcEnd = end.Single(s => s.Name == "cdc");
        Assert.Equal((ConsumerState.Stalled, At(60)), (cdcEnd.Consumer, cdcEnd.StalledSince));
        // Its lags over the 31 readings: 1MB seven times (0..60 s), then 2MB, 3MB … 25MB; the median (the 16th) is 10MB.
        Assert.Equal(10 * MiB, cdcEnd.TypicalLag.Bytes);
        var rep = end.Single(s => s.Name == "rep");
        Assert.Equal((ConsumerState.KeepsUp, 1 * MiB, (DateTimeOffset?)null), (rep.Consumer, rep.TypicalLag.Bytes, rep.StalledSince));
    }

    [Fact]
    public void A_slot_that_is_inactive_and_never_moved_is_stalled_from_its_first_reading_however_short_the_history()
    {
        // 30 s, every 10 s the head moves 1MB (1, 2, 3, 4MB past P0) — shorter than the minute a consumer is given and
        // less than a 16MB segment written, so no slot here is stalled by the pause rule.
        // "forgotten": created with reserve at P0, nobody connected, never moves: stalled since its first reading (0 s);
        //   its lags 1, 2, 3, 4MB, the median (the 2nd of 4) 2MB.
        // "late": appears at 20 s at 3MB, inactive, never moves: stalled since it appeared (20 s).
        // "quiet": connected, has not moved yet: its consumer is given time, it keeps up (lag median 2MB).
        // "away": moved until 20 s, inactive at 30 s: it has a consumer, which keeps up 1MB behind.
        var frames = Enumerable.Range(0, 4).Select(k =>
        {
            var head = (k + 1) * MiB;
            List<SlotSample> slots = [Slot("forgotten", 0, active: false), Slot("quiet", 0)];
            if (k >= 2) slots.Add(Slot("late", 3 * MiB, active: false));
            slots.Add(Slot("away", k <= 2 ? head - MiB : 2 * MiB, active: k <= 2));
            return F(k + 1, 10 * k, head, slots: [.. slots]);
        });

        var end = Observe(frames).SlotsAtEnd().ToDictionary(s => s.Name);
        var forgotten = end["forgotten"];
        Assert.Equal((ConsumerState.Stalled, At(0), true), (forgotten.Consumer, forgotten.StalledSince, forgotten.NeverMoved));
        Assert.Equal(2 * MiB, forgotten.TypicalLag.Bytes);
        Assert.Equal((ConsumerState.Stalled, At(20), true), (end["late"].Consumer, end["late"].StalledSince, end["late"].NeverMoved));
        Assert.Equal((ConsumerState.KeepsUp, 2 * MiB, false), (end["quiet"].Consumer, end["quiet"].TypicalLag.Bytes, end["quiet"].NeverMoved));
        Assert.Equal((ConsumerState.KeepsUp, 1 * MiB, (DateTimeOffset?)null), (end["away"].Consumer, end["away"].TypicalLag.Bytes, end["away"].StalledSince));
    }

    [Fact]
    public void A_checkpoints_write_phase_is_bounded_by_its_checkpoint_time_and_the_readings_around_its_redo()
    {
        static DateTimeOffset T(double seconds) => LiveFixtures.T0.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        // Readings at 5.2 s (old redo) and 6.2 s (new); checkpoint_time 5 s, to the second, so it started in [5, 6):
        // it may have started after 5.2 s and taken no time at all — 0 to 1.2 s, below the readings' resolution.
        var quick = WritePhaseBounds.Between(T(5.2), T(6.2), T(5));
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromSeconds(1.2), false), (quick.Lower, quick.Upper, quick.Resolved));
        Assert.Equal(TimeSpan.FromSeconds(0.6), quick.Estimate);
        // Readings at 9.2 s and 10.2 s: started by 6 s, still writing at 9.2 s — 3.2 to 5.2 s, 4.2 s in the middle.
        var slow = WritePhaseBounds.Between(T(9.2), T(10.2), T(5));
        Assert.Equal((TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(5.2), true), (slow.Lower, slow.Upper, slow.Resolved));
        Assert.Equal(TimeSpan.FromSeconds(4.2), slow.Estimate);
        // A start with a fraction of a second (a simulation's) is exact: 9.2 − 5.3 = 3.9 to 10.2 − 5.3 = 4.9 s.
        var exact = WritePhaseBounds.Between(T(9.2), T(10.2), T(5.3));
        Assert.Equal((TimeSpan.FromSeconds(3.9), TimeSpan.FromSeconds(4.9)), (exact.Lower, exact.Upper));

        var second = TimeSpan.FromSeconds(1);
        // Two checkpoints say too little: the engine's spread phase, as before.
        Assert.Equal(CheckpointWrite.Spread, CheckpointWritePhases.Of([(slow, second), (slow, second)]).ForForecast);
        // Three of five were still writing at the reading before: the median of the middles (0.6, 0.6, 4.2, 4.2, 4.2 s).
        var mostlySlow = CheckpointWritePhases.Of([(quick, second), (slow, second), (quick, second), (slow, second), (slow, second)]);
        Assert.Equal((5, 3, TimeSpan.FromSeconds(4.2)), (mostlySlow.Measured, mostlySlow.Resolved, mostlySlow.Median));
        Assert.Equal(CheckpointWrite.Fixed(SimDuration.FromSeconds(4.2)), mostlySlow.ForForecast);
        // Two of four: the median phase may be zero, shorter than the readings can tell: instant — and so anything from
        // zero to the readings' spacing, which each forecast run draws from (a fixed phase is known: nothing to draw).
        var mostlyQuick = CheckpointWritePhases.Of([(quick, second), (slow, second), (quick, second), (slow, second)]);
        Assert.Equal((CheckpointWrite.Instant, second), (mostlyQuick.ForForecast, mostlyQuick.UnresolvedUpTo));
        Assert.Null(mostlySlow.UnresolvedUpTo);
    }

    [Fact]
    public void The_observer_measures_the_write_phase_of_each_checkpoint_between_two_readings_of_one_run()
    {
        // Readings every 10 s (server time +0.123456 s). The fixture's checkpoint_time is one second before each
        // reading, so every new redo seen at a reading started 1 s before it — after the reading before: instant.
        var frames = new[]
        {
            F(1, 0, 0), F(2, 10, 10 * MiB, redo: 5 * MiB), F(3, 20, 20 * MiB, redo: 15 * MiB), F(4, 30, 30 * MiB, redo: 25 * MiB),
            F(5, 40, 40 * MiB, redo: 35 * MiB, gap: true),   // after a gap: not measured
        };
        var phases = Observe(frames).WritePhases;
        Assert.Equal((3, 0), (phases.Measured, phases.Resolved));
        // Each: from checkpoint_time (reading − 1 s, a whole second: started within [t − 1, t)) to the reading that
        // shows it (+0.123456 s): 0 to 1.123456 s, 0.561728 s in the middle.
        Assert.Equal(TimeSpan.FromSeconds(0.561728), phases.Median);
        Assert.Equal(TimeSpan.FromSeconds(10), phases.Resolution);
        Assert.Equal(CheckpointWrite.Instant, phases.ForForecast);
    }

    [Fact]
    public void A_slot_dropped_and_created_again_is_a_new_consumer_at_the_end_but_one_slot_in_the_summary()
    {
        // 100MB behind for three readings, gone for one, back 1MB behind: its recent lag starts again.
        var o = Observe([
            F(1, 0, 100 * MiB, slots: [Slot("x", 0)]),
            F(2, 10, 100 * MiB, slots: [Slot("x", 0)]),
            F(3, 20, 100 * MiB, slots: [Slot("x", 0)]),
            F(4, 30, 100 * MiB),
            F(5, 40, 100 * MiB, slots: [Slot("x", 99 * MiB)]),
        ]);

        Assert.Equal(1 * MiB, Assert.Single(o.SlotsAtEnd()).TypicalLag.Bytes);
        var x = Assert.Single(o.SlotBehaviours);
        Assert.Equal((4L, At(0), 100 * MiB), (x.Samples, x.FirstSeen, x.MaxBehind.Bytes));
    }

    [Fact]
    public void Write_positions_are_kept_for_a_fit_on_the_first_readings_clock()
    {
        var frames = new[] { F(1, 0, 0, gap: true), F(2, 10, 4096), F(3, 20.5, 8192, gap: true) };
        var o = Observe(frames, keepPositions: true);
        Assert.Equal([
            new(SimTime.Zero, P0, false),                      // the first reading is no gap, whatever its flag
            new(SimTime.FromSeconds(10), P0 + new ByteCount(4096), false),
            new(SimTime.FromSeconds(20.5), P0 + new ByteCount(8192), true),
        ], o.Positions);
        Assert.Empty(Observe(frames).Positions);
    }

    [Fact]
    public void The_replay_summary_is_the_observers()
    {
        // The recorded 15 trace through the replay and through an observer alone: one reconstruction.
        var path = RepoPaths.Of("scenarios", "traces", "diurnal-pg15", "samples.csv");
        var history = HistorySources.Open(path, HistoryUse.ReplayDecisions);
        var replay = new LiveReplay(path, v => SampledSettings.From(history.Settings, v));
        foreach (var f in history.Frames()) replay.Add(f);
        var summary = replay.Finish();

        var policy = RetentionPolicy.For(history.Version!.Value);
        var sampled = SampledSettings.From(history.Settings, policy.Version);
        ServerSettings? settings = null;
        var o = new WorkloadObserver();
        foreach (var f in history.Frames())
        {
            var changes = sampled.ChangesThrough(f.Server.Sample);
            settings = settings is null ? ServerSettings.Create(policy, f.Server.SegmentSize, changes) : changes.Count > 0 ? settings.With(changes) : settings;
            o.Observe(f, settings);
        }

        Assert.Equal(o.Rates, summary.Wal);
        Assert.Equal(o.Rhythm, summary.Checkpoints);
        Assert.Equal(o.SlotBehaviours, summary.Slots);
        Assert.Equal(89, summary.Checkpoints.Observed);
    }
}

using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Cli;

/// <summary>Hand-built results for renderer tests: no engine, values chosen to exercise every format rule.</summary>
internal static class ReportFixtures
{
    public static readonly PgVersion V12 = PgVersion.Parse("12.22");
    public static readonly PgVersion V133 = PgVersion.Parse("13.3");

    public static Scenario FixtureScenario { get; } = new()
    {
        Name = "fixture",
        SourceFile = "scenarios/fixture.yaml",
        Versions = [V12, V133],
        SegmentSize = WalSegmentSize.FromMegabytes(1),
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "4MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "5min" },
        VersionSettings =
        [
            new VersionedSettings(Range("12"), new Dictionary<string, string> { ["wal_keep_segments"] = "8" }),
            new VersionedSettings(Range("13+"), new Dictionary<string, string> { ["wal_keep_size"] = "8MB", ["max_slot_wal_keep_size"] = "6MB" }),
        ],
        Slots = [new SlotSpec { Name = "rep1" }],
        Events = [new CreateSlot(new SlotSpec { Name = "cdc", Kind = SlotKind.Logical }) { At = SimTime.FromSeconds(60) }],
    };

    public static VersionRange Range(string text) =>
        VersionRange.TryParse(text, out var r, out var e) ? r : throw new ArgumentException(e);

    private static SlotView Rep1(WalStatus status, ByteCount? safe, InvalidationCause cause = InvalidationCause.None) => new(
        "rep1", SlotKind.Physical, new Lsn(0x1000028), Lsn.Invalid, Active: false, status, safe,
        new ByteCount(1_572_864), cause, InactiveSince: null);

    /// <summary>Three instants: before <c>cdc</c> exists, a step with both slots, and the end after rep1 is lost.</summary>
    public static IReadOnlyList<TimelineRow> Timeline { get; } =
    [
        new(SimTime.Zero, RowReason.Sample, null, new Lsn(0x1000028), new Lsn(0x1000028), new SegmentNumber(1), 2,
            new ByteCount(2 * ByteCount.MiB), new SegmentNumber(1), new SegmentNumber(2), new SegmentNumber(0),
            [Rep1(WalStatus.Reserved, new ByteCount(6 * ByteCount.MiB))]),
        new(SimTime.FromSeconds(90.25), RowReason.Step, 3, new Lsn(0x1A00000), new Lsn(0x1800028), new SegmentNumber(1), 11,
            new ByteCount(11 * ByteCount.MiB), new SegmentNumber(1), new SegmentNumber(11), new SegmentNumber(0),
            [
                Rep1(WalStatus.Unreserved, new ByteCount(-524_288)),
                new SlotView("cdc", SlotKind.Logical, Lsn.Invalid, new Lsn(0x1900000), Active: true, WalStatus.Null, null,
                    ByteCount.Zero, InvalidationCause.None, null),
            ]),
        new(SimTime.FromSeconds(3 * 3600 + 5), RowReason.End, null, new Lsn(0x2000000), new Lsn(0x1F00028), new SegmentNumber(25), 8,
            new ByteCount(8 * ByteCount.MiB), new SegmentNumber(25), new SegmentNumber(32), new SegmentNumber(24),
            [Rep1(WalStatus.Lost, null, InvalidationCause.WalRemoved)]),
    ];

    public static CheckpointRecord Checkpoint { get; } = new(
        Number: 7, CheckpointCause.Wal, Start: SimTime.FromSeconds(300), End: SimTime.FromSeconds(570.5), Skipped: false,
        Redo: new Lsn(0x1800028), CheckpointLsn: new Lsn(0x1800060), RecPtr: new Lsn(0x1800060),
        KeepBeforeInvalidation: new SegmentNumber(1), Keep: new SegmentNumber(18), RecycleSegNo: new SegmentNumber(26),
        Added: 1, Removed: 12, Recycled: 5, FilesAfter: 9, DistanceKb: 12288, EstimateKb: 11059,
        InvalidatedSlots: ["rep1"], Step: 4);

    public static CheckpointRecord SkippedCheckpoint { get; } = Checkpoint with
    {
        Number = 8, Cause = CheckpointCause.Time, Start = SimTime.FromSeconds(870.5), End = SimTime.FromSeconds(870.5),
        Skipped = true, Added = 0, Removed = 0, Recycled = 0, InvalidatedSlots = [], Step = null,
    };

    public static LogEvent Invalidation { get; } = new(SimTime.FromSeconds(570.5), "invalidation", "rep1",
        "invalidating slot \"rep1\" because its restart_lsn 0/1000028 exceeds max_slot_wal_keep_size");

    public static SimulationResult Result(PgVersion version)
    {
        var lostOn13 = version.Major >= 13;
        return new SimulationResult(
            FixtureScenario,
            RetentionPolicy.For(version),
            new RunSummary(
                End: SimTime.FromSeconds(3 * 3600 + 5),
                PeakPgWalBytes: new ByteCount(11 * ByteCount.MiB + 512 * ByteCount.KiB),
                PeakPgWalFiles: 11,
                PeakAt: SimTime.FromSeconds(90.25),
                DiskFull: null,
                ReadOnly: lostOn13 ? null : SimTime.FromSeconds(7200),
                Checkpoints: 36, SkippedCheckpoints: 2, Invalidations: lostOn13 ? 1 : 0,
                FilesAdded: 30, FilesRemoved: 20, FilesRecycled: 9, FinalInsertLsn: new Lsn(0x2000000)),
            [
                new SlotSummary("rep1", SlotKind.Physical,
                    lostOn13 ? SimTime.FromSeconds(60) : null, lostOn13 ? SimTime.FromSeconds(90.25) : null,
                    lostOn13 ? SimTime.FromSeconds(570.5) : null,
                    lostOn13 ? InvalidationCause.WalRemoved : InvalidationCause.None, new ByteCount(9 * ByteCount.MiB)),
                new SlotSummary("cdc", SlotKind.Logical, null, null, null, InvalidationCause.None, ByteCount.Zero),
            ],
            Probes: [],
            CheckpointsByStep: new Dictionary<int, CheckpointRecord>());
    }
}

using Walsim.Analyzer.Live;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Live;

/// <summary>Samples built in code: a PG15 primary on 16MB segments with a physical and a logical slot.</summary>
internal static class LiveFixtures
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);
    public const ulong System1 = 7_312_345_678_901_234_567;

    public static ServerSample Server(long sample, double seconds = 0, ulong system = System1, bool gap = false) => new(
        Sample: sample,
        Gap: gap,
        LocalTime: T0.AddSeconds(seconds),
        ServerTime: T0.AddSeconds(seconds).AddTicks(1234560),
        SystemIdentifier: system,
        Version: new PgVersion(15, 18),
        SegmentSize: WalSegmentSize.Default,
        InRecovery: false,
        TimelineId: 1,
        WriteLsn: new Lsn(0x3000148 + (ulong)(sample * 0x1000)),
        InsertLsn: new Lsn(0x3000150 + (ulong)(sample * 0x1000)),
        ReceiveLsn: Lsn.Invalid,
        ReplayLsn: Lsn.Invalid,
        CheckpointLsn: new Lsn(0x2000060),
        RedoLsn: new Lsn(0x2000028),
        CheckpointTime: T0.AddMinutes(-5),
        PgWalFiles: 3,
        PgWalBytes: new ByteCount(3 * 16 * ByteCount.MiB),
        OldestWalFile: "000000010000000000000001",
        NewestWalFile: "000000010000000000000003",
        ArchivedCount: 0,
        LastArchivedWal: null,
        ArchiveFailedCount: 0,
        LastFailedWal: null,
        StatWalBytes: new ByteCount(50_331_976));

    public static SlotSample Physical => new("rep1", SlotKind.Physical, null, null, false, false, null,
        new Lsn(0x1000000), Lsn.Invalid, WalStatus.Reserved, new ByteCount(-12_345), null, null, null, null, null, null);

    public static SlotSample Logical => new("cdc, \"quoted\"", SlotKind.Logical, "test_decoding", "my db", false, true, 4242,
        new Lsn(0x2000028), new Lsn(0x2FFFF00), WalStatus.Extended, new ByteCount(1_000_000), true, false, "wal_removed",
        T0.AddSeconds(-30.5), true, false);

    public static LiveSample Sample(long n, double seconds, params SlotSample[] slots) =>
        new(Server(n, seconds), slots, [new ServerSetting("max_wal_size", "1024", "MB"), new ServerSetting("wal_level", "logical", null)]);

    /// <summary>A sample file's text: the header and one line per (server, slot).</summary>
    public static string Csv(params (ServerSample Server, SlotSample? Slot)[] rows)
    {
        var b = new System.Text.StringBuilder(SampleCsv.Header).Append('\n');
        foreach (var (s, slot) in rows) SampleCsv.AppendRow(b, s, slot);
        return b.ToString();
    }
}

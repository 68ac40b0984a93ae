using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Validation;

/// <summary>
/// The restartpoint-by-restartpoint comparison, fed what a real 16.14 standby showed in the real-server test (min_wal_size
/// 2MB, max_wal_size 4MB, wal_keep_size 3MB): restartpoint 2 (everything replayed) and restartpoint 3 (replay paused
/// with five segments received ahead of it).
/// </summary>
public class RestartpointReplayTests
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);

    private static RestartpointReplay Replay(string version = "16.14", params (string, string)[] more) =>
        new(ServerSettings.Create(RetentionPolicy.For(PgVersion.Parse(version)), Seg,
            new Dictionary<string, string> { ["min_wal_size"] = "2MB", ["max_wal_size"] = "4MB", ["wal_keep_size"] = "3MB" }
                .Concat(more.Select(m => KeyValuePair.Create(m.Item1, m.Item2)))));

    private static StandbySnapshot Snap(string received, string replayed, string checkpoint, string redo, ulong oldest, ulong newest,
        params ObservedSlot[] slots) =>
        new(Lsn.Parse(received), Lsn.Parse(replayed), Lsn.Parse(checkpoint), Lsn.Parse(redo), slots,
            new WalFiles(new SegmentNumber(oldest), new SegmentNumber(newest), (int)(newest - oldest + 1), (long)(newest - oldest + 1) * Seg.Bytes, true));

    private static LoggedCheckpoint Logged(int removed, int recycled, long distanceKb, long estimateKb, string lsn, string redo) =>
        new(CheckpointCause.Immediate, "immediate wait", 0, removed, recycled, distanceKb, estimateKb, Lsn.Parse(lsn), Lsn.Parse(redo), [], []);

    // Restartpoint 2: redo 0/1100050 (0x11), prior 0/B00050, endptr 0/1100100, files 8..11. keep 0x11 − 3 = 0xE:
    // 8..D go (6), free names 12..14 (recycleSegNo clamped to 0x11 + 3): 3 recycled, 3 removed; files E..14.
    private static void Restartpoint2(RestartpointReplay r) => r.Restartpoint(10,
        Snap("0/1100100", "0/1100100", "0/B00088", "0/B00050", 0x8, 0x11),
        Snap("0/1100100", "0/1100100", "0/1100088", "0/1100050", 0xE, 0x14),
        Logged(3, 3, 6144, 6144, "0/1100088", "0/1100050"), Lsn.Parse("0/1100050"));

    private static readonly StandbySnapshot PausedBefore = Snap("0/16000B8", "0/11001B0", "0/1100088", "0/1100050", 0xE, 0x16);
    private static readonly StandbySnapshot PausedAfter = Snap("0/16000B8", "0/11001B0", "0/1100138", "0/1100100", 0x11, 0x16);

    [Fact]
    public void Agrees_with_a_16_standby_whose_wal_keep_size_counted_from_the_received_position()
    {
        var r = Replay();
        Restartpoint2(r);
        r.Restartpoint(17, PausedBefore, PausedAfter, Logged(3, 0, 0, 5529, "0/1100138", "0/1100100"), Lsn.Parse("0/1100100"));
        Assert.All(r.Decisions, d => Assert.True(d.Agrees, $"{d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}; {d.Inputs}"));
        Assert.Equal((2, 0), (r.Compared, r.Unobserved));
        Assert.Equal("000000010000000000000011", r.Decisions.Last(d => d.Field == "oldest_file").Predicted);
    }

    [Fact]
    public void A_count_that_differs_is_one_disagreement_naming_the_received_and_replayed_positions()
    {
        var r = Replay();
        Restartpoint2(r);
        r.Restartpoint(17, PausedBefore, PausedAfter, Logged(2, 0, 0, 5529, "0/1100138", "0/1100100"), Lsn.Parse("0/1100100"));
        var d = Assert.Single(r.Decisions, x => !x.Agrees);
        Assert.Equal(("restartpoint 2 (immediate wait)", "removed", "3", "2"), (d.Subject, d.Field, d.Predicted, d.Observed));
        Assert.Contains("received 0/16000B8, replayed 0/11001B0", d.Inputs);
        Assert.Contains("keep=11", d.Inputs);
    }

    // The endptr of a restartpoint that ran while WAL arrived is only known to lie between the observations: here it
    // crossed from segment 0xB into 0xC, where wal_keep_size keeps one segment more. Neither answer is asserted.
    [Fact]
    public void A_restartpoint_whose_endptr_range_spans_two_decisions_is_counted_unobserved_and_the_model_takes_the_servers_estimate()
    {
        var r = Replay();
        r.Restartpoint(3, Snap("0/BFFF00", "0/BFFF00", "0/600080", "0/600028", 0x6, 0xB), Snap("0/C00100", "0/C00100", "0/B00088", "0/B00050", 0x9, 0xE),
            Logged(0, 3, 5120, 5120, "0/B00088", "0/B00050"), null);
        Assert.Equal((0, 1), (r.Compared, r.Unobserved));
        Assert.Empty(r.Decisions);
        Assert.Contains("endptr between 0/BFFF00 and 0/C00100", Assert.Single(r.Notes));
    }

    // CreateRestartPoint's skip rule against what the CHECKPOINT did, and "already performed at" = lastCheckPoint.redo.
    [Fact]
    public void A_standby_CHECKPOINT_is_predicted_skipped_exactly_when_no_newer_checkpoint_was_replayed()
    {
        var r = Replay();
        var atBackup = Snap("0/600120", "0/600120", "0/600080", "0/600028", 0x6, 0x6);
        r.Requested(1, atBackup, Lsn.Parse("0/600028"), performed: false);
        r.Skipped(1, atBackup, Lsn.Parse("0/600028"), Lsn.Parse("0/600028"));
        r.Requested(5, atBackup, Lsn.Parse("0/B00050"), performed: true);
        Assert.All(r.Decisions, d => Assert.True(d.Agrees));
        r.Requested(6, atBackup, Lsn.Parse("0/B00050"), performed: false);
        Assert.Equal(("outcome", "performed", "skipped"), (r.Decisions[^1].Field, r.Decisions[^1].Predicted, r.Decisions[^1].Observed));
        r.Skipped(7, atBackup, null, Lsn.Parse("0/600028"));
        Assert.Contains("not compared", r.Notes[^1]);
    }

    // D-8, observed on 13.23 and 17.10 standbys: GetXLogWriteRecPtr() is 0 during recovery, so a valid slot is
    // 'reserved' however far behind, and safe_wal_size = (segment + max(max_slot_wal_keep_size, wal_keep_size) + 1)
    // segments: 0/600028 with a 2MB cap → 9 MiB = 9,437,184; 0/700028 → 10,485,760.
    [Theory]
    [InlineData("17.10", "0/600028", 9_437_184)]
    [InlineData("13.23", "0/700028", 10_485_760)]
    public void A_slot_on_a_standby_reads_reserved_with_a_safe_wal_size_counted_from_write_position_zero(string version, string restart, long safe)
    {
        var r = Replay(version, ("wal_keep_size", "0"), ("max_slot_wal_keep_size", "2MB"));
        r.Slots(4, Snap("0/B000A8", "0/B000A8", "0/600080", "0/600028", 0x6, 0xB,
            new ObservedSlot("cascade", "physical", Lsn.Parse(restart), false, "reserved", safe)));
        Assert.Equal([("wal_status", "reserved"), ("safe_wal_size", safe.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            r.Decisions.Select(d => (d.Field, d.Predicted)));
        Assert.All(r.Decisions, d => Assert.True(d.Agrees));
    }
}

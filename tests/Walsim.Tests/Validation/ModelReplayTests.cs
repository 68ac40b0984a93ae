using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Validation;

/// <summary>
/// The decision-by-decision comparison, fed the inputs a real 15.18 server showed at step 26 of
/// 019_replslot_limit (checkpoint 17 of `walsim validate scenarios/019-replslot-limit.yaml --pg 15`).
/// </summary>
public class ModelReplayTests
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);

    private static ModelReplay Replay(string version) =>
        new(RetentionPolicy.For(PgVersion.Parse(version)), ServerSettings.Create(RetentionPolicy.For(PgVersion.Parse(version)), Seg,
            new Dictionary<string, string> { ["min_wal_size"] = "2MB", ["max_wal_size"] = "4MB", ["max_slot_wal_keep_size"] = "6MB" }));

    // Before: redo 0/1A00050, files 1A..21, rep1 at 0/1A00050 (7 segments behind a write position in segment 21).
    private static ServerSnapshot Before => new(Lsn.Parse("0/2100000"), Lsn.Parse("0/2100000"), Lsn.Parse("0/1A00088"), Lsn.Parse("0/1A00050"),
        [new ObservedSlot("rep1", "physical", Lsn.Parse("0/1A00050"), false, "unreserved", 0)],
        new SegmentNumber(0x1A), new SegmentNumber(0x21), 8, 8 * ByteCount.MiB, true);

    // After: redo 0/2100050; files 21..24; rep1 lost.
    private static ServerSnapshot After => new(Lsn.Parse("0/2100100"), Lsn.Parse("0/2100100"), Lsn.Parse("0/2100088"), Lsn.Parse("0/2100050"),
        [new ObservedSlot("rep1", "physical", Lsn.Invalid, false, "lost", null)],
        new SegmentNumber(0x21), new SegmentNumber(0x24), 4, 4 * ByteCount.MiB, true);

    private static LoggedCheckpoint Logged(int removed = 4) => new(CheckpointCause.Immediate, "immediate force wait", 0, removed, 3, 7168, 7168,
        null, null, [new LoggedInvalidation("rep1", Lsn.Parse("0/1A00050"), "")], []);

    // KeepLogSeg: 33 − 26 = 7 > 6 → keep 0x1B: rep1 (segment 0x1A) is invalidated; 15 recomputes the horizon
    // without it → keep 0x21 (the redo segment), cutoff 0x20: files 1A..20 go (7). XLOGfileslop: estimate 7168 kB =
    // 7 segments, 0x21 + ceil(1.1 · 7 · 1.9 = 14.6) → clamped to redo + max_wal_size − 1 = 0x24 → free names 22..24:
    // 3 recycled, 4 removed; files 21..24.
    [Fact]
    public void Agrees_with_a_15_server_that_invalidated_rep1_and_recycled_three_of_seven_files()
    {
        var replay = Replay("15.18");
        replay.Checkpoint(26, Before, After, Logged());
        Assert.All(replay.Decisions, d => Assert.True(d.Agrees, $"{d.Field}: model {d.Predicted}, server {d.Observed}"));
        Assert.Equal("rep1", Assert.Single(replay.Decisions, d => d.Field == "invalidated").Predicted);
    }

    [Fact]
    public void A_server_count_that_differs_from_the_model_is_one_named_disagreement_with_its_inputs()
    {
        var replay = Replay("15.18");
        replay.Checkpoint(26, Before, After, Logged(removed: 5));
        var d = Assert.Single(replay.Decisions, x => !x.Agrees);
        Assert.Equal(("removed", "4", "5"), (d.Field, d.Predicted, d.Observed));
        Assert.Contains("keep=1B->21", d.Inputs);
    }

    // 13.0–13.3 did not recompute the horizon after invalidating (bug #17103): keep stays 0x1B, only 1A goes,
    // recycled — so the same server observations disagree with the 13.3 model on every file count.
    [Fact]
    public void The_13_3_model_keeps_the_stale_horizon_and_so_disagrees_with_a_13_4_or_later_server()
    {
        var replay = Replay("13.3");
        replay.Checkpoint(26, Before, After, Logged());
        Assert.Contains(replay.Decisions, d => d.Field == "oldest_file" && !d.Agrees && d.Predicted == "00000001000000000000001B");
    }

    // pg_get_replication_slots at the "before" instant: rep1 7 segments behind with a 6 MB cap, lastRemovedSegNo
    // still 0 → 'unreserved', safe_wal_size = segstart(0x1A + 6 + 1) − 0/2100000 = 0.
    [Fact]
    public void Slot_columns_before_the_checkpoint_are_unreserved_with_zero_safe_wal_size()
    {
        var replay = Replay("15.18");
        replay.Slots(25, Before);
        Assert.All(replay.Decisions, d => Assert.True(d.Agrees, $"{d.Field}: model {d.Predicted}, server {d.Observed}"));
    }
}

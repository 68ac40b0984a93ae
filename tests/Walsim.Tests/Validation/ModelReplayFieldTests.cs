using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

using static Walsim.Tests.Validation.Snapshots;

namespace Walsim.Tests.Validation;

/// <summary>
/// What <c>walsim validate</c> compares per checkpoint besides the counts: <c>RemoveOldXlogFiles</c>' cut-off (its
/// DEBUG2 line) and the first file kept counted from the redo segment, each a field of its own in the summary.
/// </summary>
public sealed class ModelReplayFieldTests
{
    // The format is xlog.c's elog(DEBUG2, "attempting to remove WAL segments older than log file %s", lastoff), the
    // name built with XLogFileName(lastoff, 0, segno): timeline 0.
    [Fact]
    public void The_removal_cut_off_is_read_from_the_debug2_line_inside_the_checkpoint()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 12:22:40.552 UTC [5391] LOG:  checkpoint starting: immediate force wait
            2026-11-21 12:22:40.570 UTC [5391] DEBUG:  attempting to remove WAL segments older than log file 000000000000000000000007
            2026-11-21 12:22:40.571 UTC [5391] DEBUG:  recycled write-ahead log file "000000010000000000000002"
            2026-11-21 12:22:40.590 UTC [5391] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 1 removed, 5 recycled; write=0.007 s, sync=0.002 s, total=0.041 s; sync files=1, longest=0.002 s, average=0.002 s; distance=2048 kB, estimate=2048 kB; lsn=0/800060, redo lsn=0/800028

            """);
        Assert.Equal("000000000000000000000007", Assert.Single(log.Checkpoints).RemovalCutoff);
    }

    // step-two-slots, step 13 on 14+ (min_wal_size 2MB, max_wal_size 16MB, cap 4MB, 1MB segments): redo 0/800028
    // after 0/600028, files 2..8, standby_a at 0/800000 and the forgotten standby_b at 0/200028. KeepLogSeg caps b at
    // 8 − 4 = 4 → b invalidated, recomputed from a (segment 8) → keep 8: RemoveOldXlogFiles(7) logs cut-off
    // 000000000000000000000007 and removes 2..7; XLOGfileslop: ceil(8.00004 + 2.09 × 2) = 13 → names 9..13: 5
    // recycled, 1 removed; pg_wal 8..13 begins at the redo segment: "0".
    [Fact]
    public void Validate_compares_the_cut_off_and_the_first_file_kept_relative_to_the_redo_segment()
    {
        var policy = RetentionPolicy.For(PgVersion.Parse("15.18"));
        var replay = new ModelReplay(policy, ServerSettings.Create(policy, Seg,
            [new("min_wal_size", "2MB"), new("max_wal_size", "16MB"), new("max_slot_wal_keep_size", "4MB")]));
        var a = new ObservedSlot("standby_a", "physical", new Lsn(8 * MB), false, "reserved", null);
        var b = new ObservedSlot("standby_b", "physical", new Lsn(2 * MB + 0x28), false, "unreserved", null);
        var before = Snap(6 * MB + 0x28, 8 * MB, 2, 8, a, b);
        var after = Snap(8 * MB + 0x28, 8 * MB + 0xD8, 8, 13, a, b with { RestartLsn = Lsn.Invalid, WalStatus = "lost" });
        var logged = new LoggedCheckpoint(CheckpointCause.Immediate, "immediate force wait", 0, 1, 5, 2048, 2048,
            new Lsn(8 * MB + 0x60), new Lsn(8 * MB + 0x28), [new LoggedInvalidation("standby_b", new Lsn(2 * MB + 0x28), "")], [])
        { RemovalCutoff = "000000000000000000000007" };

        replay.Checkpoint(13, before, after, logged);

        var d = replay.Decisions.ToDictionary(x => x.Field);
        Assert.All(replay.Decisions, x => Assert.True(x.Agrees, $"{x.Field}: {x.Predicted} vs {x.Observed}"));
        Assert.Equal("000000000000000000000007", d["cutoff"].Predicted);
        Assert.Equal("0", d["oldest_vs_redo"].Predicted);
        Assert.Equal(("1", "5", "0"), (d["removed"].Predicted, d["recycled"].Predicted, d["added"].Predicted));

        // A server that kept one more file (cut-off 6, pg_wal from 7): both new fields disagree, each on its own.
        var kept = new ModelReplay(policy, replay.Settings);
        kept.Checkpoint(13, before, after with { OldestFile = new SegmentNumber(7) }, logged with { RemovalCutoff = "000000000000000000000006" });
        Assert.Equal(("-1", false), kept.Decisions.Where(x => x.Field == "oldest_vs_redo").Select(x => (x.Observed, x.Agrees)).Single());
        Assert.False(kept.Decisions.Single(x => x.Field == "cutoff").Agrees);
        var run = new ValidationRun("x", PgVersion.Parse("15.18"), kept.Decisions, 1, 0, [], []);
        Assert.Contains(("cutoff", 1, 0), run.Fields);
        Assert.Contains(("removed", 1, 1), run.Fields);
    }
}

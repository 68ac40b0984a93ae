using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Validation;

/// <summary>The log lines are verbatim from real 12.22, 13.23, 16.14, 17.10 and 18.4 servers (log_line_prefix '%m [%p] '),
/// unless a test says otherwise.</summary>
public class ServerLogTests
{
    // 13–15: one LOG line per invalidation, inside the checkpoint that did it; counts from LogCheckpointEnd.
    [Fact]
    public void Reads_a_13_wal_checkpoint_with_its_single_line_invalidation()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 12:22:12.485 UTC [4364] LOG:  checkpoints are occurring too frequently (1 second apart)
            2026-11-21 12:22:12.485 UTC [4364] HINT:  Consider increasing the configuration parameter "max_wal_size".
            2026-11-21 12:22:12.485 UTC [4364] LOG:  checkpoint starting: wal
            2026-11-21 12:22:12.510 UTC [4364] LOG:  invalidating slot "s1" because its restart_lsn 0/6C4990 exceeds max_slot_wal_keep_size
            2026-11-21 12:22:12.513 UTC [4364] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 2 removed, 1 recycled; write=0.001 s, sync=0.001 s, total=0.028 s; sync files=0, longest=0.000 s, average=0.000 s; distance=2048 kB, estimate=2048 kB

            """);
        var c = Assert.Single(log.Checkpoints);
        Assert.Equal(CheckpointCause.Wal, c.Cause);
        Assert.Equal((0, 2, 1, 2048L, 2048L), (c.Added, c.Removed, c.Recycled, c.DistanceKb, c.EstimateKb));
        Assert.Null(c.RedoLsn);
        var inv = Assert.Single(c.Invalidations);
        Assert.Equal(("s1", (Lsn?)Lsn.Parse("0/6C4990")), (inv.Slot, inv.RestartLsn));
        Assert.False(log.CheckpointInProgress);
    }

    // 16+: LOG "invalidating obsolete replication slot" + DETAIL with the restart_lsn; 16+ print lsn/redo lsn;
    // 18 adds "wrote N SLRU buffers". A line split across two reads is joined.
    [Fact]
    public void Reads_an_18_immediate_checkpoint_with_a_detail_line_and_a_line_split_across_reads()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 12:22:40.752 UTC [5391] LOG:  checkpoint starting: immediate force wait
            2026-11-21 12:22:40.578 UTC [5391] LOG:  invalidating obsolete replication slot "s1"
            2026-11-21 12:22:40.578 UTC [5391] DETAIL:  The slot's restart_lsn 0/84B2F8 exceeds the limit by 740616 bytes.
            2026-11-21 12:22:40.578 UTC [5391] HINT:  You might need to increase "max_slot_wal_keep_size".
            2026-11-21 12:22:40.590 UTC [5391] LOG:  checkpoint complete: wrote 0 buffers (0.0%), wrote 1 SLRU buffers; 0 WAL file(s) added, 3 removed, 0 rec
            """);
        Assert.Empty(log.Checkpoints);
        Assert.True(log.CheckpointInProgress);
        log.Append("ycled; write=0.007 s, sync=0.002 s, total=0.041 s; sync files=1, longest=0.002 s, average=0.002 s; distance=2048 kB, estimate=2048 kB; lsn=0/B00080, redo lsn=0/B00028\n");

        var c = Assert.Single(log.Checkpoints);
        Assert.Equal(CheckpointCause.Immediate, c.Cause);
        Assert.Equal((0, 3, 0), (c.Added, c.Removed, c.Recycled));
        Assert.Equal((Lsn.Parse("0/B00080"), Lsn.Parse("0/B00028")), (c.CheckpointLsn!.Value, c.RedoLsn!.Value));
        var inv = Assert.Single(c.Invalidations);
        Assert.Equal(("s1", (Lsn?)Lsn.Parse("0/84B2F8")), (inv.Slot, inv.RestartLsn));
    }

    // InvalidatePossiblyObsoleteSlot (retention-model.md §7.3): the walsender holding the slot is terminated before the invalidation;
    // its own FATAL/STATEMENT lines (another pid) are not the checkpoint's. Verbatim from a real 15.18 server.
    [Fact]
    public void Reads_the_termination_of_an_active_walsender_before_its_slot_is_invalidated()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 12:57:15.058 UTC [26890] LOG:  checkpoint starting: immediate force wait
            2026-11-21 12:57:15.062 UTC [26890] LOG:  terminating process 26897 to release replication slot "cdc"
            2026-11-21 12:57:15.062 UTC [26897] FATAL:  terminating connection due to administrator command
            2026-11-21 12:57:15.062 UTC [26897] STATEMENT:  START_REPLICATION SLOT cdc PHYSICAL 0/600028
            2026-11-21 12:57:15.065 UTC [26890] LOG:  invalidating slot "cdc" because its restart_lsn 0/600028 exceeds max_slot_wal_keep_size
            2026-11-21 12:57:15.069 UTC [26890] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 5 recycled; write=0.001 s, sync=0.001 s, total=0.011 s; sync files=0, longest=0.000 s, average=0.000 s; distance=2048 kB, estimate=2969 kB

            """);
        var c = Assert.Single(log.Checkpoints);
        Assert.Equal(new LoggedTermination(26897, "cdc"), Assert.Single(c.Terminations));
        Assert.Equal("cdc", Assert.Single(c.Invalidations).Slot);
    }

    [Fact]
    public void A_shutdown_checkpoint_is_the_servers_own_and_is_marked_as_such()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 12:21:05.435 UTC [1993] LOG:  checkpoint starting: shutdown immediate
            2026-11-21 12:21:05.436 UTC [1993] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1027 kB, estimate=2875 kB

            """);
        Assert.True(ServerLog.IsLifecycle(Assert.Single(log.Checkpoints)));
    }

    // A standby (log_min_messages = debug2), verbatim from a real 12.22 standby: the skip is DEBUG2, printed "DEBUG";
    // 12–15 name the restartpoint's redo only in the "recovery restart point at" line that follows the complete line,
    // so the restartpoint is reported once that line is read — here in a later chunk.
    [Fact]
    public void Reads_a_12_standbys_skipped_and_performed_restartpoints_and_waits_for_the_redo_line()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 16:29:30.185 UTC [22721] DEBUG:  skipping restartpoint, already performed at 0/800028
            2026-11-21 16:29:30.754 UTC [22721] LOG:  restartpoint starting: immediate wait
            2026-11-21 16:29:30.754 UTC [22721] LOG:  restartpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 1 recycled; write=0.001 s, sync=0.001 s, total=0.001 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1024 kB, estimate=1024 kB

            """);
        var skip = Assert.Single(log.SkippedRestartpoints);
        Assert.Equal((Lsn.Parse("0/800028"), new DateTimeOffset(2026, 11, 21, 16, 29, 30, 185, TimeSpan.Zero)), (skip.PerformedAt, skip.At!.Value));
        Assert.Empty(log.Restartpoints);
        Assert.True(log.CheckpointInProgress);

        log.Append("2026-11-21 16:29:30.754 UTC [22721] LOG:  recovery restart point at 0/900028\n");
        var rp = Assert.Single(log.Restartpoints);
        Assert.Equal(("immediate wait", CheckpointCause.Immediate, (0, 0, 1)), (rp.Flags, rp.Cause, (rp.Added, rp.Removed, rp.Recycled)));
        Assert.Equal((1024L, 1024L, (Lsn?)Lsn.Parse("0/900028"), (Lsn?)null), (rp.DistanceKb, rp.EstimateKb, rp.RedoLsn, rp.CheckpointLsn));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 16, 29, 30, 754, TimeSpan.Zero), rp.StartedAt);
        Assert.False(log.CheckpointInProgress);
        Assert.Empty(log.Checkpoints); // a restartpoint is not one of the primary's checkpoints
    }

    // 16+ on a standby: the invalidation's DETAIL carries "exceeds the limit by N bytes"; 18 prints "wrote N SLRU
    // buffers" and lsn/redo lsn. Verbatim from a real 18.4 standby (max_slot_wal_keep_size = 2MB).
    [Fact]
    public void Reads_an_18_standby_restartpoint_that_invalidated_a_slot_with_the_bytes_it_exceeded_the_limit_by()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 16:39:35.264 UTC [29338] LOG:  restartpoint starting: immediate wait
            2026-11-21 16:39:35.269 UTC [29338] LOG:  invalidating obsolete replication slot "cascade"
            2026-11-21 16:39:35.269 UTC [29338] DETAIL:  The slot's restart_lsn 0/900028 exceeds the limit by 3145688 bytes.
            2026-11-21 16:39:35.269 UTC [29338] HINT:  You might need to increase "max_slot_wal_keep_size".
            2026-11-21 16:39:35.270 UTC [29338] LOG:  restartpoint complete: wrote 0 buffers (0.0%), wrote 2 SLRU buffers; 0 WAL file(s) added, 2 removed, 3 recycled; write=0.002 s, sync=0.001 s, total=0.006 s; sync files=0, longest=0.000 s, average=0.000 s; distance=5120 kB, estimate=5120 kB; lsn=0/E000A8, redo lsn=0/E00050
            2026-11-21 16:39:35.270 UTC [29338] LOG:  recovery restart point at 0/E00050
            2026-11-21 16:39:35.270 UTC [29338] DETAIL:  Last completed transaction was at log time 2026-11-21 16:39:35.223477+00.

            """);
        var rp = Assert.Single(log.Restartpoints);
        Assert.Equal(((0, 2, 3), (Lsn?)Lsn.Parse("0/E000A8"), (Lsn?)Lsn.Parse("0/E00050")), ((rp.Added, rp.Removed, rp.Recycled), rp.CheckpointLsn, rp.RedoLsn));
        var inv = Assert.Single(rp.Invalidations);
        Assert.Equal(("cascade", (Lsn?)Lsn.Parse("0/900028"), (long?)3_145_688), (inv.Slot, inv.RestartLsn, inv.ExceedsBy));
    }

    // 13–15 say the same in one line, without the bytes (verbatim, 13.23 standby).
    [Fact]
    public void A_13_invalidation_has_no_exceeded_bytes()
    {
        var inv = CheckpointMessages.ParseInvalidation(
            "invalidating slot \"cascade\" because its restart_lsn 0/700028 exceeds max_slot_wal_keep_size", out var detailFollows)!;
        Assert.Equal(("cascade", (Lsn?)Lsn.Parse("0/700028"), (long?)null, false), (inv.Slot, inv.RestartLsn, inv.ExceedsBy, detailFollows));
    }

    // slotsync.c on 17.10 standbys, lines of two runs: pg_sync_replication_slots() refusing a copy (LOG for a temporary
    // copy, DETAIL with both positions, STATEMENT after), persisting one, the worker's start, and DEBUG1 for a
    // persistent copy the remote is behind; then promotion. The DETAIL of another process (pid 30399) is made up: it
    // does not attach.
    [Fact]
    public void Reads_17_slot_synchronization_and_promotion()
    {
        var log = new ServerLog();
        log.Append("""
            2026-11-21 16:40:38.686 UTC [30312] LOG:  could not synchronize replication slot "cdc"
            2026-11-21 16:40:38.686 UTC [30399] DETAIL:  Some other process's detail.
            2026-11-21 16:40:38.686 UTC [30312] DETAIL:  Synchronization could lead to data loss, because the remote slot needs WAL at LSN 0/700028 and catalog xmin 738, but the standby has LSN 0/717598 and catalog xmin 739.
            2026-11-21 16:40:38.686 UTC [30312] STATEMENT:  SELECT pg_sync_replication_slots()
            2026-11-21 16:53:10.314 UTC [7113] LOG:  newly created replication slot "cdc" is sync-ready now
            2026-11-21 16:40:39.526 UTC [30315] LOG:  slot sync worker started
            2026-11-21 16:53:10.345 UTC [7116] DEBUG:  could not synchronize replication slot "cdc"
            2026-11-21 16:40:42.530 UTC [30305] LOG:  received promote request
            2026-11-21 16:40:42.530 UTC [30306] FATAL:  terminating walreceiver process due to administrator command
            2026-11-21 16:40:42.531 UTC [30315] LOG:  replication slot synchronization worker will stop because promotion is triggered
            2026-11-21 16:40:42.542 UTC [30305] LOG:  selected new timeline ID: 2

            """);
        Assert.Equal(
            [SlotSyncMessageKind.CouldNotSynchronize, SlotSyncMessageKind.SyncReady, SlotSyncMessageKind.WorkerStarted, SlotSyncMessageKind.CouldNotSynchronize],
            log.SlotSync.Select(m => m.Kind));
        var refused = log.SlotSync[0];
        Assert.Equal(("cdc", (Lsn?)Lsn.Parse("0/700028"), (uint?)738, (Lsn?)Lsn.Parse("0/717598"), (uint?)739),
            (refused.Slot, refused.RemoteRestartLsn, refused.RemoteCatalogXmin, refused.LocalRestartLsn, refused.LocalCatalogXmin));
        Assert.Equal("cdc", log.SlotSync[1].Slot);
        Assert.Null(log.SlotSync[3].RemoteRestartLsn); // DEBUG1, no DETAIL followed
        Assert.Equal((true, (int?)2), (log.PromoteRequested, log.NewTimeline));
    }

    // The demoted primary's loop (docs/design/failover.md §1.8, TV-F8): the message as slotsync.c words it at ERROR, observed on 17.10 by the
    // design study; the line prefix here is made up.
    [Fact]
    public void Reads_the_same_name_slot_error_of_a_demoted_primary()
    {
        var log = new ServerLog();
        log.Append("2026-11-21 15:52:01.000 UTC [4242] ERROR:  exiting from slot synchronization because same name slot \"cdc\" already exists on the standby\n");
        var m = Assert.Single(log.SlotSync);
        Assert.Equal((SlotSyncMessageKind.SameNameSlotExists, "cdc"), (m.Kind, m.Slot));
    }
}

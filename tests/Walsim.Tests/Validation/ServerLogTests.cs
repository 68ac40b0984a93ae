using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Validation;

/// <summary>The log lines are verbatim from real 13.23, 16.14 and 18.4 servers (log_line_prefix '%m [%p] ').</summary>
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

    // InvalidatePossiblyObsoleteSlot (§7.3): the walsender holding the slot is terminated before the invalidation;
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
}

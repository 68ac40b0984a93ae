using Walsim.Analyzer.Sources;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Sources;

/// <summary>The reader on lines as collectors and older servers write them: the cases issue 16 names, line by line.</summary>
public sealed class WrappedLogTests
{
    private static List<ServerLogEvent> Events(string text, string name = "pg.log") =>
        [.. CheckpointLog.ReadEvents(new StringReader(text), name, options: LogReadOptions.InYear(2026))];

    private const string Complete = "checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 1 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1024 kB, estimate=1024 kB";

    // A CI job printed the log at its end: every line carries the collector's time of the dump (06:30:00), then the
    // server's own %m. The checkpoints are 25 minutes apart in the server's time, and no note about a collector.
    [Fact]
    public void A_ci_collectors_time_in_front_of_the_line_never_replaces_the_servers()
    {
        var events = Events($"""
            2026-02-11T06:30:00.1000001Z 2026-02-11 06:00:16.100 UTC [77] LOG:  {Complete}
            2026-02-11T06:30:00.1000002Z 2026-02-11 06:25:16.100 UTC [77] LOG:  {Complete}
            """);
        var c = events.OfType<LogCheckpoint>().ToList();
        Assert.Equal(TimeSpan.FromMinutes(25), c[1].Complete - c[0].Complete);
        Assert.Equal(new DateTimeOffset(2026, 2, 11, 6, 0, 16, 100, TimeSpan.Zero), c[0].Complete);
        Assert.Empty(events.OfType<LogNote>());
    }

    [Fact]
    public void A_bsd_syslog_line_without_the_servers_time_takes_the_header_and_says_the_year_is_assumed()
    {
        var events = Events($"Feb 11 13:15:39 db1 postgres[123]: [3-1] LOG:  {Complete}\n");
        Assert.Equal(new DateTimeOffset(2026, 2, 11, 13, 15, 39, TimeSpan.Zero), Assert.Single(events.OfType<LogCheckpoint>()).Complete);
        Assert.Contains(events.OfType<LogNote>(), n => n.Text.Contains("no year and no zone: assumed 2026", StringComparison.Ordinal));
    }

    [Fact]
    public void A_verbose_log_and_an_azure_numbered_line_are_read_as_english()
    {
        var c = Events($"""
            2026-02-11 13:15:39.100 UTC [9] LOG:  00000: checkpoint starting: time
            2026-02-11 13:15:39.100 UTC [9] LOCATION:  LogCheckpointStart, xlog.c:6140
            2026-02-11 13:15:40 UTC-6b13.9-LOG:  {Complete.Replace("checkpoint complete:", "checkpoint complete (212):", StringComparison.Ordinal)}
            """).OfType<LogCheckpoint>().Single();
        Assert.Equal(("time", 3), (c.Flags, c.Stats.BuffersWritten));
    }

    // A collector cut the restartpoint line at 100 characters: the pieces are one message again.
    [Fact]
    public void A_hard_wrapped_restartpoint_line_is_joined()
    {
        var line = "2026-02-11 13:15:40.000 UTC [9] LOG:  " + Complete.Replace("checkpoint", "restartpoint", StringComparison.Ordinal);
        var wrapped = string.Join('\n', line.Chunk(100).Select(p => new string(p)));
        var c = Events(wrapped + "\n2026-02-11 13:15:40.000 UTC [9] LOG:  recovery restart point at 0/1700028\n").OfType<LogCheckpoint>().Single();
        Assert.True(c.IsRestartpoint);
        Assert.Equal(Lsn.Parse("0/1700028"), c.RedoLsn);
    }

    [Fact]
    public void A_9_x_log_is_refused_by_its_version()
    {
        var e = Assert.Throws<LogFileException>(() => Events("2026-02-11 13:15:40 UTC [9] LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 transaction log file(s) added, 0 removed, 1 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1024 kB, estimate=1024 kB\n"));
        Assert.Contains("logs from before PostgreSQL 10 are not supported", e.Message);
    }

    // A shutdown checkpoint, then a checkpoint from another checkpointer: a restart, though no start line is logged.
    [Fact]
    public void A_new_checkpointer_after_a_shutdown_checkpoint_is_an_inferred_restart()
    {
        var events = Events($"""
            2026-02-11 13:00:00.000 UTC [10] LOG:  checkpoint starting: shutdown immediate
            2026-02-11 13:00:00.100 UTC [10] LOG:  {Complete}
            2026-02-11 13:05:00.000 UTC [20] LOG:  checkpoint starting: time
            2026-02-11 13:05:00.100 UTC [20] LOG:  {Complete}
            """);
        Assert.True(Assert.Single(events.OfType<ServerLifecycle>()).Inferred);
        Assert.True(events.OfType<LogCheckpoint>().Last().AfterServerStart);
    }

    // log_checkpoints off (13–14's default): the invalidation alone, 16+ wording with its DETAIL.
    [Fact]
    public void A_slot_loss_is_read_without_log_checkpoints_with_the_bytes_over_the_limit()
    {
        var events = Events("""
            2026-02-11 13:00:00.000 UTC [10] LOG:  terminating process 31 to release replication slot "s1"
            2026-02-11 13:00:00.000 UTC [10] DETAIL:  The slot's restart_lsn 0/6CB750 exceeds the limit by 1263792 bytes.
            2026-02-11 13:00:00.100 UTC [10] LOG:  invalidating obsolete replication slot "s1"
            2026-02-11 13:00:00.100 UTC [10] DETAIL:  The slot's restart_lsn 0/6CB750 exceeds the limit by 1263792 bytes.
            2026-02-11 13:00:01.000 UTC [31] ERROR:  requested WAL segment 000000010000000000000003 has already been removed
            """);
        var loss = Assert.Single(events.OfType<SlotLost>());
        Assert.Equal(("s1", (Lsn?)Lsn.Parse("0/6CB750"), (long?)1263792, 31), (loss.Slot, loss.RestartLsn, loss.ExceedsBy, Assert.Single(loss.Terminated)));
        Assert.Equal("000000010000000000000003", Assert.Single(events.OfType<WalSegmentRemoved>()).Segment);
    }

    // Azure Monitor's diagnostic records (one per line from a storage account): Flexible Server puts the whole stderr
    // line in properties.message and the DETAIL in properties.detail; Single Server its prefix '%t-%c-' and the level
    // apart from the message. The server's time in the line wins over the record's "time" (when Azure received it).
    [Fact]
    public void An_azure_monitor_record_is_read_with_the_servers_time_and_its_detail()
    {
        var events = Events("""
            {"time":"2026-02-11T13:00:09.000Z","category":"PostgreSQLLogs","properties":{"timestamp":"2026-02-11 13:00:00.100 UTC","processId":10,"errorLevel":"LOG","sqlerrcode":"00000","message":"2026-02-11 13:00:00.100 UTC [10] [user=,db=,app=] LOG:  invalidating obsolete replication slot \"s1\"","detail":"The slot's restart_lsn 0/6CB750 exceeds the limit by 1263792 bytes."}}
            {"time":"2026-02-11T13:00:09.000Z","category":"PostgreSQLLogs","properties":{"prefix":"2026-02-11 13:00:01 UTC-6b13.9-","message":"checkpoint complete (212): wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 1 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1024 kB, estimate=1024 kB","detail":"","errorLevel":"LOG"}}
            """, "azure.json");
        var loss = Assert.Single(events.OfType<SlotLost>());
        Assert.Equal(("s1", (long?)1263792, new DateTimeOffset(2026, 2, 11, 13, 0, 0, 100, TimeSpan.Zero)), (loss.Slot, loss.ExceedsBy, loss.At));
        Assert.Equal(new DateTimeOffset(2026, 2, 11, 13, 0, 1, TimeSpan.Zero), Assert.Single(events.OfType<LogCheckpoint>()).Complete);
        Assert.DoesNotContain(events.OfType<LogNote>(), n => n.Text.StartsWith("times are", StringComparison.Ordinal));
    }

    // A slotless standby that fell behind: its walreceiver quotes the primary's error (FATAL, with the primary's
    // "ERROR:  " inside), on reconnecting and while streaming. Read as the segment removed upstream, and a log with
    // nothing else (log_checkpoints off) is not refused.
    [Fact]
    public void A_standbys_walreceiver_quoting_requested_wal_segment_already_removed_is_read_as_removed_upstream()
    {
        var events = Events("""
            2026-02-11 13:00:00.000 UTC [51] LOG:  started streaming WAL from primary at 0/3000000 on timeline 1
            2026-02-11 13:00:00.500 UTC [51] FATAL:  could not receive data from WAL stream: ERROR:  requested WAL segment 000000010000000000000003 has already been removed
            2026-02-11 13:00:05.000 UTC [52] FATAL:  could not start WAL streaming: ERROR:  requested WAL segment 000000010000000000000003 has already been removed
            """);
        var removed = events.OfType<WalSegmentRemoved>().ToList();
        Assert.Equal([(51, true), (52, true)], removed.Select(r => (r.Pid ?? 0, r.Upstream)));
        Assert.All(removed, r => Assert.Equal("000000010000000000000003", r.Segment));
        Assert.Equal(new DateTimeOffset(2026, 2, 11, 13, 0, 0, 500, TimeSpan.Zero), removed[0].At);
    }
}

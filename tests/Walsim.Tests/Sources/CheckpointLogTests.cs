using Walsim.Analyzer.Sources;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Sources;

/// <summary>
/// The reader on real logs (see <see cref="LogFixtures"/>) and on single lines copied from them. Message formats:
/// LogCheckpointStart/LogCheckpointEnd (xlog.c), InvalidatePossiblyObsoleteSlot (slot.c), per REL_12..18_STABLE.
/// </summary>
public class CheckpointLogTests
{
    private static List<LogCheckpoint> Read(string text, string name = "postgresql.log") =>
        [.. CheckpointLog.Read(new StringReader(text), name)];

    private static List<ServerLogEvent> Events(string name) => [.. CheckpointLog.ReadEvents(LogFixtures.Path(name))];

    [Theory]
    [MemberData(nameof(LogFixtures.AllLogs), MemberType = typeof(LogFixtures))]
    public void Every_completed_checkpoint_of_a_real_log_is_read_with_its_times(string name, int major)
    {
        var checkpoints = CheckpointLog.Read(LogFixtures.Path(name)).ToList();

        Assert.Equal(LogFixtures.CompleteLines(name), checkpoints.Count);
        Assert.All(checkpoints, c =>
        {
            Assert.True(c.Start <= c.Complete.AddSeconds(1), $"{name}:{c.Line}: start {c.Start} after complete {c.Complete}");
            Assert.True(c.StartLogged, $"{name}:{c.Line}: the start line was in the log");
        });
        // "lsn=…, redo lsn=…" is printed from 16 on (not by 15); restartpoints name their redo on every version.
        Assert.All(checkpoints, c => Assert.Equal(major >= 16 || c.IsRestartpoint, c.RedoLsn is not null));
        Assert.All(checkpoints, c => Assert.Equal(major >= 16, c.Stats.CheckpointLsn is not null));
        // 18 adds "wrote N SLRU buffers".
        Assert.All(checkpoints, c => Assert.Equal(major >= 18, c.Stats.SlruBuffersWritten is not null));
    }

    // Both destinations of one server (log_destination = 'stderr,csvlog'): the same checkpoints, %t's whole seconds
    // against csvlog's milliseconds.
    [Theory]
    [InlineData("pg12-pgbadger.log", "pg12-csvlog.csv")]
    [InlineData("pg15-pgbadger.log", "pg15-csvlog.csv")]
    [InlineData("pg18-pgbadger.log", "pg18-csvlog.csv")]
    [InlineData("pg17-cet-m.log", "pg17-cet-csvlog.csv")]
    [InlineData("pg17-cet-csvlog.csv", "pg17-cet-jsonlog.json")]
    [InlineData("pg15-standby-pgbadger.log", "pg15-standby-jsonlog.json")]
    public void The_stderr_csvlog_and_jsonlog_of_one_server_give_the_same_checkpoints(string a, string b)
    {
        var x = CheckpointLog.Read(LogFixtures.Path(a)).ToList();
        var y = CheckpointLog.Read(LogFixtures.Path(b)).ToList();

        Assert.Equal(x.Select(c => (c.Stats, c.Flags, c.RedoLsn)), y.Select(c => (c.Stats, c.Flags, c.RedoLsn)));
        Assert.Equal(x.Select(c => c.Invalidations.Select(i => (i.Slot, i.RestartLsn)).ToList()).SelectMany(i => i),
            y.Select(c => c.Invalidations.Select(i => (i.Slot, i.RestartLsn)).ToList()).SelectMany(i => i));
        Assert.All(x.Zip(y), p => Assert.True(Math.Abs((p.First.Complete - p.Second.Complete).TotalSeconds) < 1));
    }

    [Fact]
    public void A_pgbadger_prefixed_12_checkpoint_is_read_field_by_field()
    {
        var c = Assert.Single(Read("""
            2026-11-21 13:48:26 UTC [1604]: [5-1] user=,db=,app=,client= LOG:  checkpoint starting: wal
            2026-11-21 13:48:27 UTC [1604]: [6-1] user=,db=,app=,client= LOG:  checkpoint complete: wrote 125 buffers (0.8%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.246 s, sync=0.001 s, total=0.248 s; sync files=0, longest=0.000 s, average=0.000 s; distance=1919 kB, estimate=2205 kB
            """));
        Assert.Equal((CheckpointCause.Wal, "wal", false), (c.Cause, c.Flags, c.IsRestartpoint));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 13, 48, 26, TimeSpan.Zero), c.Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 13, 48, 27, TimeSpan.Zero), c.Complete);
        Assert.Equal((125, 0, 0, 0), (c.Stats.BuffersWritten, c.Stats.Added, c.Stats.Removed, c.Stats.Recycled));
        Assert.Equal((TimeSpan.FromMilliseconds(246), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(248)), (c.Stats.Write, c.Stats.Sync, c.Stats.Total));
        Assert.Equal((ByteCount.FromKilobytes(1919), ByteCount.FromKilobytes(2205)), (c.Distance, c.Estimate));
        Assert.Equal(2, c.Line);
    }

    // %m with log_timezone = 'Europe/Berlin' prints CET; a zone without abbreviation is a numeric offset.
    [Theory]
    [InlineData("2026-11-21 14:42:18.207 CET [10550] LOG:  ", 13, 42, 18, 207)]
    [InlineData("2026-11-21 10:42:18.207 -03 [10550] LOG:  ", 13, 42, 18, 207)]
    [InlineData("2026-11-21 19:27:18.207 +0545 [10550] LOG:  ", 13, 42, 18, 207)]
    [InlineData("2026-11-21 13:42:18 UTC [10550]: [4-1] user=,db=,app=,client= LOG:  ", 13, 42, 18, 0)]
    [InlineData("Nov 21 13:42:18 db1 postgres[10550]: [4-1] 2026-11-21 13:42:18.207 UTC LOG:  ", 13, 42, 18, 207)]
    [InlineData("[10550] 2026-11-21 13:42:18.207 GMT walsim@postgres LOG:  ", 13, 42, 18, 207)]
    public void A_timestamp_anywhere_in_the_prefix_gives_the_line_its_time(string prefix, int h, int m, int s, int ms)
    {
        var c = Assert.Single(Read(prefix + "checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=0 kB, estimate=1024 kB\n"));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, h, m, s, ms, TimeSpan.Zero), c.Complete.ToUniversalTime());
        // No "checkpoint starting" line: the start is the end minus total=.
        Assert.False(c.StartLogged);
        Assert.Equal(c.Complete - TimeSpan.FromMilliseconds(2), c.Start);
    }

    // 16+: the restart_lsn is in the DETAIL the checkpointer writes next; other backends' ERROR/DETAIL/STATEMENT
    // lines (verbatim from the 15.18 capture) land in between and must not be taken for it.
    [Fact]
    public void Interleaved_detail_lines_of_other_processes_do_not_break_an_invalidation()
    {
        var c = Assert.Single(Read("""
            2026-11-21 13:41:51 UTC [8735]: [5-1] user=,db=,app=,client= LOG:  checkpoint starting: wal
            2026-11-21 13:41:51 UTC [8735]: [6-1] user=,db=,app=,client= LOG:  invalidating obsolete replication slot "stalled"
            2026-11-21 13:41:29 UTC [7190]: [3-1] user=walsim,db=postgres,app=psql,client=[local] ERROR:  duplicate key value violates unique constraint "u_pkey"
            2026-11-21 13:41:29 UTC [7190]: [4-1] user=walsim,db=postgres,app=psql,client=[local] DETAIL:  Key (k)=(1) already exists.
            2026-11-21 13:41:29 UTC [7190]: [5-1] user=walsim,db=postgres,app=psql,client=[local] STATEMENT:  insert into u values (1);
            2026-11-21 13:41:51 UTC [8735]: [7-1] user=,db=,app=,client= DETAIL:  The slot's restart_lsn 0/6CB750 exceeds the limit by 1263792 bytes.
            2026-11-21 13:41:51 UTC [8735]: [8-1] user=,db=,app=,client= HINT:  You might need to increase "max_slot_wal_keep_size".
            2026-11-21 13:41:51 UTC [8735]: [9-1] user=,db=,app=,client= LOG:  checkpoint complete: wrote 665 buffers (4.1%); 1 WAL file(s) added, 5 removed, 0 recycled; write=0.349 s, sync=0.001 s, total=0.358 s; sync files=0, longest=0.000 s, average=0.000 s; distance=5008 kB, estimate=5008 kB; lsn=0/D000060, redo lsn=0/B000028
            """));
        var inv = Assert.Single(c.Invalidations);
        Assert.Equal(("stalled", (Lsn?)Lsn.Parse("0/6CB750")), (inv.Slot, inv.RestartLsn));
        Assert.Equal(Lsn.Parse("0/B000028"), c.RedoLsn);
    }

    [Theory]
    [InlineData("pg13-pgbadger.log", "0/7A40C0")]
    [InlineData("pg16-pgbadger.log", "0/6CB750")]
    public void A_slot_invalidation_belongs_to_the_checkpoint_that_logged_it(string name, string restartLsn)
    {
        var c = Assert.Single(CheckpointLog.Read(LogFixtures.Path(name)), c => c.Invalidations.Count > 0);
        var inv = Assert.Single(c.Invalidations);
        Assert.Equal(("stalled", (Lsn?)Lsn.Parse(restartLsn)), (inv.Slot, inv.RestartLsn));
    }

    // A 15.18 log with terminations (ServerLogTests has the same lines with the '%m [%p] ' prefix).
    [Fact]
    public void A_terminated_walsender_is_part_of_the_checkpoint()
    {
        var c = Assert.Single(Read("""
            2026-11-21 12:57:15.058 UTC [26890] LOG:  checkpoint starting: immediate force wait
            2026-11-21 12:57:15.062 UTC [26890] LOG:  terminating process 26897 to release replication slot "cdc"
            2026-11-21 12:57:15.062 UTC [26897] FATAL:  terminating connection due to administrator command
            2026-11-21 12:57:15.065 UTC [26890] LOG:  invalidating slot "cdc" because its restart_lsn 0/600028 exceeds max_slot_wal_keep_size
            2026-11-21 12:57:15.069 UTC [26890] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 5 recycled; write=0.001 s, sync=0.001 s, total=0.011 s; sync files=0, longest=0.000 s, average=0.000 s; distance=2048 kB, estimate=2969 kB
            """));
        Assert.Equal(new LoggedTermination(26897, "cdc"), Assert.Single(c.Terminations));
        Assert.Equal(CheckpointCause.Immediate, c.Cause);
    }

    // CreateRestartPoint: "restartpoint complete" then "recovery restart point at <redo>" (12–15 print no LSN in
    // the complete line).
    [Theory]
    [InlineData("pg12-standby-pgbadger.log", "0/1900028", "0/1A00028", "0/1C00028")]
    [InlineData("pg15-standby-pgbadger.log", "0/1700028", "0/1800028", "0/1A00028")]
    [InlineData("pg15-standby-csvlog.csv", "0/1700028", "0/1800028", "0/1A00028")]
    public void Restartpoints_are_marked_and_take_their_redo_from_the_recovery_restart_point_line(string name, params string[] redo)
    {
        var rps = CheckpointLog.Read(LogFixtures.Path(name)).ToList();
        Assert.All(rps, c => Assert.True(c.IsRestartpoint));
        Assert.All(rps, c => Assert.Equal("immediate wait", c.Flags));
        Assert.Equal(redo.Select(Lsn.Parse), rps.Select(c => c.RedoLsn!.Value));
    }

    [Fact]
    public void Server_starts_stops_and_reloads_are_events()
    {
        var events = Events("pg15-pgbadger.log");
        Assert.Equal(["15.18", "15.18"], events.OfType<ServerLifecycle>().Where(e => e.Kind == LifecycleKind.Starting).Select(e => e.Version!));
        Assert.Equal([("max_wal_size", "6MB"), ("max_slot_wal_keep_size", "-1")],
            events.OfType<SettingChanged>().Select(e => (e.Name, e.Value)));
        var checkpoints = events.OfType<LogCheckpoint>().ToList();
        // The checkpoint after the restart knows it (its estimate started again from 0); the shutdown one is marked.
        Assert.Single(checkpoints, c => c.AfterServerStart && checkpoints.IndexOf(c) > 0);
        Assert.Equal(2, checkpoints.Count(c => c.IsLifecycle));
    }

    // A translated log (lc_messages = 'de_DE'): the German msgstr of REL_15_STABLE's de.po for the same messages.
    [Fact]
    public void A_log_in_another_language_asks_for_lc_messages_C()
    {
        var e = Assert.Throws<LogFileException>(() => Read("""
            2026-11-21 13:41:28.100 CET [7153] LOG:  Datenbanksystem ist bereit, um Verbindungen anzunehmen
            2026-11-21 13:46:28.100 CET [7156] LOG:  Checkpoint beginnt: time
            2026-11-21 13:46:58.100 CET [7156] LOG:  Checkpoint komplett: 125 Puffer geschrieben (0.8%); 0 WAL-Datei(en) hinzugefügt, 0 entfernt, 0 wiederverwendet; Schreiben=29,246 s, Sync=0,001 s, gesamt=30,248 s; sync. Dateien=0, längste=0,000 s, Durchschnitt=0.000 s; Entfernung=1919 kB, Schätzung=2205 kB
            """, "postgresql-de.log"));
        Assert.StartsWith("postgresql-de.log: no checkpoint lines and no English messages", e.Message);
        Assert.Contains("lc_messages = 'C'", e.Message);
        Assert.Contains("log_checkpoints = on", e.Message);
    }

    [Fact]
    public void A_log_without_checkpoint_lines_asks_for_log_checkpoints()
    {
        var e = Assert.Throws<LogFileException>(() => Read("""
            2026-11-21 13:41:28 UTC [7153]: [3-1] user=,db=,app=,client= LOG:  starting PostgreSQL 15.18 on x86_64-pc-linux-gnu, compiled by gcc (Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0, 64-bit
            2026-11-21 13:41:28 UTC [7153]: [5-1] user=,db=,app=,client= LOG:  database system is ready to accept connections
            """, "pg.log"));
        Assert.Equal("pg.log: no checkpoint lines among 2 log messages: the server ran with log_checkpoints = off; set log_checkpoints = on (the default from PostgreSQL 15), reload, and collect the log again", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_server_log_says_what_was_expected()
    {
        var e = Assert.Throws<LogFileException>(() => Read("sample,gap,local_time\n1,false,2025-01-31T12:00:00Z\n", "notes.txt"));
        Assert.StartsWith("notes.txt: no PostgreSQL log lines found", e.Message);
    }

    [Fact]
    public void A_bad_timestamp_names_the_line_and_the_column()
    {
        var e = Assert.Throws<LogFileException>(() => Read("""
            2026-11-21 13:41:28.100 UTC [7156] LOG:  checkpoint starting: time
            2026-11-21 13:41:58.100 UTC [7156] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=0 kB, estimate=0 kB
            db1 2026-13-21 13:46:28.100 UTC [7156] LOG:  checkpoint starting: time
            """, "pg.log").ToList());
        Assert.Equal((3, 5, "timestamp"), (e.Line, e.Column, e.Field));
        Assert.Equal("pg.log:3:5: timestamp: expected a time like 2025-01-31 12:00:00.123 UTC, got \"2026-13-21 13:46:28.100 UTC\"", e.Message);
    }

    [Fact]
    public void An_ambiguous_zone_abbreviation_asks_for_log_timezone_UTC()
    {
        var e = Assert.Throws<LogFileException>(() => Read("2026-11-21 19:11:58.100 IST [7156] LOG:  checkpoint starting: time\n"));
        Assert.Contains("unknown time zone \"IST\"", e.Message);
        Assert.Contains("log_timezone = 'UTC'", e.Message);
    }

    [Fact]
    public void A_checkpoint_line_without_a_time_asks_for_m_or_t_in_the_prefix()
    {
        var e = Assert.Throws<LogFileException>(() => Read("[7156] LOG:  checkpoint starting: time\n", "pg.log"));
        Assert.Equal("pg.log:1:1: timestamp: no time before the level: walsim needs %m or %t in log_line_prefix (e.g. log_line_prefix = '%m [%p] ')", e.Message);
    }

    [Fact]
    public void A_checkpoint_complete_line_of_an_unknown_shape_is_an_error_not_a_silent_skip()
    {
        var e = Assert.Throws<LogFileException>(() => Read("2026-11-21 13:41:58.100 UTC [7156] LOG:  checkpoint complete: wrote 0 buffers (0.0%); something new\n", "pg.log"));
        Assert.StartsWith("pg.log:1: message: expected checkpoint complete: wrote N buffers", e.Message);
    }

    // The development branch after 18 prints the flags in the complete line and LSNs as %X/%08X.
    [Fact]
    public void The_flags_in_the_complete_line_of_newer_servers_are_accepted()
    {
        var c = Assert.Single(Read("2026-11-21 13:41:58.100 UTC [7156] LOG:  checkpoint complete: fast force wait: wrote 3 buffers (0.0%), wrote 1 SLRU buffers; 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=0 kB, estimate=0 kB; lsn=0/0B000080, redo lsn=0/0B000028\n"));
        Assert.Equal(Lsn.Parse("0/B000028"), c.RedoLsn);
    }

    [Theory]
    [MemberData(nameof(LogFixtures.AllLogs), MemberType = typeof(LogFixtures))]
    public void Real_logs_are_recognised_by_their_first_lines(string name, int major)
    {
        _ = major;
        var head = string.Join('\n', File.ReadLines(LogFixtures.Path(name)).Take(5));
        Assert.True(CheckpointLog.IsLikely(name, head));
    }

    [Theory]
    [InlineData("samples.csv", "sample,gap,local_time,server_time\n1,false,2025-01-31T12:00:00.000000Z,2025-01-31T12:00:00.000000Z")]
    [InlineData("scenario.yaml", "name: x\nversions: [15]\nsettings:\n  max_wal_size: 1GB")]
    [InlineData("empty.log", "")]
    public void Other_files_are_not_taken_for_server_logs(string name, string head) =>
        Assert.False(CheckpointLog.IsLikely(name, head));

    // 200,000 lines generated on the fly: the reader must stream them (the generator holds one line at a time), and
    // so must the estimate replay over them.
    [Fact]
    public void A_big_log_is_streamed()
    {
        const int checkpoints = 50_000;
        var events = CheckpointLog.ReadEvents(new SyntheticLog(checkpoints), "big.log");
        var count = 0;
        long lastEstimate = -1;
        foreach (var c in events.OfType<LogCheckpoint>())
        {
            count++;
            lastEstimate = c.Stats.EstimateKb;
        }
        Assert.Equal(checkpoints, count);
        Assert.True(lastEstimate >= 16384);
        Assert.All(CheckpointLogAnalysis.CheckEstimates(CheckpointLog.ReadEvents(new SyntheticLog(checkpoints), "big.log")), x => Assert.True(x.Agrees));
    }
}

/// <summary>A <c>log_line_prefix</c> given by the user instead of the detection.</summary>
public class LogLinePrefixTests
{
    private const string Complete = "checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.002 s; sync files=0, longest=0.000 s, average=0.000 s; distance=0 kB, estimate=0 kB";

    [Fact]
    public void The_pgbadger_prefix_reads_the_real_logs_as_the_detection_does()
    {
        var prefix = LogLinePrefix.Parse("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ");
        var given = CheckpointLog.ReadEvents(LogFixtures.Path("pg16-pgbadger.log"), logLinePrefix: prefix).OfType<LogCheckpoint>().ToList();
        var detected = CheckpointLog.Read(LogFixtures.Path("pg16-pgbadger.log")).ToList();
        Assert.Equal(detected.Select(c => (c.Line, c.Start, c.Complete, c.Stats)), given.Select(c => (c.Line, c.Start, c.Complete, c.Stats)));
    }

    // %s (session start) before %m: the detection would take the session start; the prefix knows which is which.
    // %q: the checkpointer has no session, so the part after it is absent from its lines.
    [Fact]
    public void The_session_start_and_q_are_told_apart_from_the_line_time()
    {
        var prefix = LogLinePrefix.Parse("%s %m [%p] %q%u@%d ");
        var text = $"""
            2026-11-21 09:00:00 UTC 2026-11-21 13:41:28.100 UTC [7156] walsim@postgres LOG:  statement: checkpoint
            2026-11-21 09:00:00 UTC 2026-11-21 13:41:28.200 UTC [7150] {Complete}
            """.Replace("[7150] ", "[7150] LOG:  ", StringComparison.Ordinal);
        var c = Assert.Single(CheckpointLog.ReadEvents(new StringReader(text), "pg.log", logLinePrefix: prefix).OfType<LogCheckpoint>());
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 13, 41, 28, 200, TimeSpan.Zero), c.Complete);
    }

    [Fact]
    public void An_epoch_time_n_is_read_as_utc()
    {
        var prefix = LogLinePrefix.Parse("%n [%p] ");
        var c = Assert.Single(CheckpointLog.ReadEvents(new StringReader($"1795786888.200 [7150] LOG:  {Complete}\n"), "pg.log", logLinePrefix: prefix).OfType<LogCheckpoint>());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795786888200), c.Complete);
    }

    [Fact]
    public void A_checkpoint_line_that_does_not_match_the_given_prefix_names_its_line()
    {
        var prefix = LogLinePrefix.Parse("%m [%p] ");
        var e = Assert.Throws<LogFileException>(() => CheckpointLog.ReadEvents(new StringReader($"2026-11-21 13:41:28 UTC [7150]: [1-1] LOG:  {Complete}\n"), "pg.log", logLinePrefix: prefix).ToList());
        Assert.Equal("pg.log:1:1: log_line_prefix: the line does not start with log_line_prefix '%m [%p] ' followed by a level such as \"LOG:  \"", e.Message);
    }

    [Theory]
    [InlineData("%p %u ", "has no time")]
    [InlineData("%m %z ", "unknown escape %z")]
    public void A_prefix_walsim_cannot_use_is_refused(string prefix, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => LogLinePrefix.Parse(prefix)).Message);
}

/// <summary><c>walsim replay</c> on a server log: what a log lets walsim check, and errors that name the line.</summary>
public sealed class LogReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-logreplay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Walsim(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new global::Walsim.Cli.WalsimCommands(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Replaying_a_real_15_csvlog_checks_every_estimate_and_every_recycled_count()
    {
        var (code, output, err) = Walsim("replay", LogFixtures.Path("pg15-csvlog.csv"), "--wal-segment-size", "1MB");
        Assert.True(code == 0, err + output);
        Assert.Contains("PostgreSQL 15.18", output);
        Assert.Contains("14 checkpoint(s), 0 restartpoint(s), 2 server start(s)", output);
        Assert.Contains("distance estimate: 14/14 agree", output);
        Assert.Contains("slot invalidations: 1", output);
    }

    // The fourth checkpoint's estimate edited from 3072 to 2999 kB: the distance (3072 kB) exceeds the previous
    // estimate, so UpdateCheckPointDistanceEstimate jumps to it — 2999 is impossible.
    [Fact]
    public void An_estimate_the_recurrence_cannot_produce_is_a_disagreement_naming_the_log_line()
    {
        var lines = File.ReadAllLines(LogFixtures.Path("pg15-pgbadger.log"));
        var i = Array.FindIndex(lines, l => l.Contains("distance=3072 kB, estimate=3072 kB"));
        lines[i] = lines[i].Replace("estimate=3072 kB", "estimate=2999 kB");
        var path = System.IO.Path.Combine(_dir, "edited.log");
        File.WriteAllLines(path, lines);

        var (code, output, _) = Walsim("replay", path, "--pg", "15.18", "--wal-segment-size", "1MB");
        Assert.Equal((int)global::Walsim.Cli.ExitCode.ExpectationsFailed, code);
        Assert.Contains($"DISAGREE {path}:{i + 1}: estimate=2999 kB, the model allows 3072..3072 kB", output);
    }

    [Fact]
    public void A_log_without_checkpoint_lines_says_what_to_turn_on()
    {
        var path = System.IO.Path.Combine(_dir, "quiet.log");
        File.WriteAllText(path, "2026-11-21 13:41:28 UTC [7156] LOG:  database system is ready to accept connections\n");
        var (code, _, err) = Walsim("replay", path);
        Assert.Equal((int)global::Walsim.Cli.ExitCode.InvalidScenario, code);
        Assert.Contains("log_checkpoints", err);
    }
}

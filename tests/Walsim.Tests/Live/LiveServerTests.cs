using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Cli;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Validation;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// <c>walsim sample</c> against real throwaway servers (scripts/install-postgres.sh): a primary with a physical and a
/// logical slot while WAL is written, a restart in the middle, a role without pg_monitor, and a standby.
/// </summary>
public sealed class LiveServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-live-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly KeyValuePair<string, string>[] Settings =
    [
        new("wal_level", "logical"), new("max_wal_senders", "5"), new("max_replication_slots", "5"),
        new("max_wal_size", "32MB"), new("min_wal_size", "2MB"),
    ];

    private static async Task<ThrowawayCluster> StartAsync(int major)
    {
        var install = PostgresInstall.Find(major, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL {major} binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        // A cap makes safe_wal_size non-NULL (13+; -1 shows NULL).
        var settings = RetentionPolicy.For(install!.Version).CapsSlotRetention ? [.. Settings, new("max_slot_wal_keep_size", "64MB")] : Settings;
        var cluster = await ThrowawayCluster.StartAsync(install, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        try
        {
            await using var c = await cluster.ConnectAsync(CancellationToken.None);
            // One statement per command: a logical slot cannot be created in a transaction that has written.
            foreach (var sql in new[]
            {
                "CREATE ROLE monitor LOGIN", "GRANT pg_monitor TO monitor", "CREATE ROLE nomon LOGIN",
                "SELECT pg_create_physical_replication_slot('rep1', true)", "SELECT pg_create_logical_replication_slot('cdc', 'pgoutput')",
            })
                await Exec(c, sql);
        }
        catch
        {
            await cluster.DisposeAsync(); // a failed set-up must not leave a server running
            throw;
        }
        return cluster;
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string As(ThrowawayCluster cluster, string role) =>
        new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Username = role }.ConnectionString;

    /// <summary>Writes WAL until cancelled: a logical message and a segment switch every 100 ms, a checkpoint now and then.</summary>
    private static async Task WriteWalAsync(ThrowawayCluster cluster, CancellationToken ct)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            await Exec(c, i % 10 == 5 ? "CHECKPOINT" : "SELECT pg_logical_emit_message(false, 'walsim', repeat('x', 20000))");
            await Exec(c, "SELECT pg_switch_wal()");
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { }
        }
    }

    private (int Code, string Out, string Err) Walsim(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr, environment: _ => null).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task SamplesAPrimary(int major)
    {
        await using var cluster = await StartAsync(major);
        using var stop = new CancellationTokenSource();
        var writer = WriteWalAsync(cluster, stop.Token);
        var file = Path.Combine(_dir, "samples.csv");
        var run = await Task.Run(() => Walsim("sample", "--connection", As(cluster, "monitor"), "--interval", "250ms", "--duration", "3s", "--out", file));
        stop.Cancel();
        await writer;

        Assert.True(run.Code == 0, run.Err);
        var rows = SampleFile.Read(file).ToList();
        var samples = rows.GroupBy(r => r.Server.Sample).ToList();
        Assert.Equal(Enumerable.Range(1, samples.Count).Select(i => (long)i), samples.Select(g => g.Key));
        // Every 250 ms for 3 s: at most 13 (the first at 0); a loaded machine may take fewer (a sample waits for the
        // previous one), so the lower bound only says the sampler kept going.
        Assert.InRange(samples.Count, 3, 13);
        Assert.All(samples, g => Assert.Equal(["cdc", "rep1"], g.Select(r => r.Slot!.Value.Name)));
        var first = rows[0].Server;
        var last = rows[^1].Server;
        Assert.Equal(major, first.Version.Major);
        Assert.Equal(1 * ByteCount.MiB, first.SegmentSize.Bytes);
        Assert.False(first.InRecovery);
        Assert.True(last.InsertLsn > first.InsertLsn && last.WriteLsn > first.WriteLsn);
        Assert.True(rows.Select(r => r.Server.RedoLsn).Distinct().Count() > 1, "a CHECKPOINT during sampling moves redo_lsn");
        Assert.All(rows, r => Assert.True(r.Server.PgWalFiles > 0 && r.Server.PgWalBytes.Bytes == r.Server.PgWalFiles * ByteCount.MiB));
        Assert.All(rows, r => Assert.Equal(1u, r.Server.TimelineId));
        var cdc = rows.Last(r => r.Slot!.Value.Name == "cdc").Slot!.Value;
        Assert.Equal((SlotKind.Logical, "pgoutput", "postgres"), (cdc.Kind, cdc.Plugin, cdc.Database));
        var rep1 = rows.Last(r => r.Slot!.Value.Name == "rep1").Slot!.Value;
        Assert.True(rep1.RestartLsn.IsValid && rep1.RestartLsn < last.WriteLsn);
        // Only the columns the version has: wal_status 13+, pg_stat_wal and two_phase 14+.
        Assert.Equal(major >= 13 ? WalStatus.Reserved : null, rep1.WalStatus);
        Assert.Equal(major >= 13, rep1.SafeWalSize is not null);
        Assert.Equal(major >= 14, last.StatWalBytes is not null);
        Assert.Equal(major >= 14, cdc.TwoPhase is not null);
        Assert.Equal(major >= 17, cdc.InactiveSince is not null);

        var settings = SampleFile.ReadSettings(SampleFile.SettingsPath(file)).ToList();
        Assert.Contains(settings, s => s is { Name: "max_wal_size", Value: "32", Unit: "MB", Sample: 1 });
        Assert.Contains(settings, s => s.Name == (major >= 13 ? "wal_keep_size" : "wal_keep_segments"));
        if (major >= 13) Assert.Contains(settings, s => s is { Name: "max_slot_wal_keep_size", Value: "64", Unit: "MB" });
        Assert.Equal(settings.Count, settings.Select(s => s.Name).Distinct().Count()); // nothing changed, so once each
        Assert.Contains($"PostgreSQL {major}.", run.Out);
    }

    [RealServerFact(15)]
    public Task Sampling_a_real_15_primary_records_positions_checkpoints_both_slots_pg_wal_and_settings() => SamplesAPrimary(15);

    [RealServerFact(13)]
    public Task Sampling_a_real_13_primary_reads_wal_status_but_not_the_14_plus_columns() => SamplesAPrimary(13);

    [RealServerFact(12)]
    public Task Sampling_a_real_12_primary_has_no_wal_status_and_records_wal_keep_segments() => SamplesAPrimary(12);

    [RealServerFact(18)]
    public Task Sampling_a_real_18_primary_reads_the_17_plus_slot_columns() => SamplesAPrimary(18);

    [RealServerFact(15)]
    public async Task A_run_that_ends_while_the_server_is_down_says_it_ended_disconnected()
    {
        await using var cluster = await StartAsync(15);
        var connection = LiveConnection.Create(As(cluster, "monitor"), _ => null);
        SamplerResult result;
        using (var writer = SampleFileWriter.Open(Path.Combine(_dir, "down.csv"), append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(6)),
                TimeProvider.System, new ProgressLine(TextWriter.Null, isTerminal: false), connection.Scrub);
            var run = sampler.RunAsync(CancellationToken.None);
            await Task.Delay(1500);
            await cluster.StopAsync(CancellationToken.None);
            result = await run;
        }
        Assert.True(result.EndedDisconnected);
        Assert.Equal(0, result.Reconnects);
        Assert.True(result.ConnectionsLost >= 1 && result.Samples >= 2, $"{result}");
    }

    [RealServerFact(15)]
    public async Task With_wait_sampling_starts_once_a_server_started_later_is_up()
    {
        await using var cluster = await StartAsync(15);
        await cluster.StopAsync(CancellationToken.None);
        var connection = LiveConnection.Create(As(cluster, "monitor"), _ => null);
        var err = new StringWriter { NewLine = "\n" };
        SamplerResult result;
        using (var writer = SampleFileWriter.Open(Path.Combine(_dir, "wait.csv"), append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)) { WaitForServer = TimeSpan.FromSeconds(60) },
                TimeProvider.System, new ProgressLine(err, isTerminal: false), connection.Scrub) { ServerName = "db" };
            var run = sampler.RunAsync(CancellationToken.None);
            await Task.Delay(2500);
            Assert.False(run.IsCompleted, "gave up while the server was down");
            await cluster.StartAgainAsync(CancellationToken.None);
            result = await run;
        }
        Assert.True(result.Samples >= 5, $"{result}");
        Assert.Contains("db is up after", err.ToString());
    }

    [RealServerFact(15)]
    public async Task Appending_after_a_sample_torn_in_its_slot_rows_keeps_only_whole_samples()
    {
        await using var cluster = await StartAsync(15);
        var file = Path.Combine(_dir, "torn.csv");
        var connection = LiveConnection.Create(As(cluster, "monitor"), _ => null);
        async Task Sample(bool append)
        {
            using var writer = SampleFileWriter.Open(file, append);
            await using var source = new NpgsqlSampleSource(connection);
            await new Sampler(source, writer, new SamplerOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)),
                TimeProvider.System, new ProgressLine(TextWriter.Null, isTerminal: false), connection.Scrub).RunAsync(CancellationToken.None);
        }
        await Sample(append: false);
        // Two slots, two rows a sample: cut the last sample inside its second row, as a kill mid-write would.
        var text = File.ReadAllText(file);
        var lastRow = text.LastIndexOf('\n', text.Length - 2) + 1;
        File.WriteAllText(file, text[..(lastRow + 30)]);
        await Sample(append: true);

        var rows = SampleFile.Read(file).ToList();
        Assert.All(rows.GroupBy(r => r.Server.Sample), g => Assert.Equal(2, g.Count()));
        var numbers = rows.Select(r => r.Server.Sample).Distinct().ToList();
        Assert.Equal(Enumerable.Range(1, numbers.Count).Select(i => (long)i), numbers);
    }

    [RealServerFact(15)]
    public async Task A_server_restart_while_sampling_loses_no_sample_and_marks_one_gap()
    {
        await using var cluster = await StartAsync(15);
        var file = Path.Combine(_dir, "restart.csv");
        var connection = LiveConnection.Create(As(cluster, "monitor"), _ => null);
        var err = new StringWriter { NewLine = "\n" };
        SamplerResult result;
        using (var writer = SampleFileWriter.Open(file, append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(7)),
                TimeProvider.System, new ProgressLine(err, isTerminal: false), connection.Scrub) { ServerName = connection.Describe() };
            var run = sampler.RunAsync(CancellationToken.None);
            await Task.Delay(1500);
            await cluster.RestartAsync(CancellationToken.None);
            result = await run;
        }

        Assert.True(result.Reconnects >= 1, err.ToString());
        var rows = SampleFile.Read(file).ToList();
        var samples = rows.GroupBy(r => r.Server.Sample).Select(g => g.First().Server).ToList();
        Assert.Equal(Enumerable.Range(1, samples.Count).Select(i => (long)i), samples.Select(s => s.Sample));
        Assert.Equal(result.Samples, samples.Count);
        var gaps = samples.Where(s => s.Gap).ToList();
        Assert.Equal(result.Reconnects, gaps.Count);
        Assert.True(gaps[0].Sample > 3 && samples[^1].Sample > gaps[0].Sample, "samples before and after the restart");
        // The restart's shutdown checkpoint shows in pg_control.
        Assert.True(gaps[0].CheckpointLsn > samples[0].CheckpointLsn);
        Assert.Contains("lost", err.ToString());
        Assert.Contains("reconnected", err.ToString());
    }

    [RealServerFact(15)]
    public async Task A_role_without_pg_monitor_gets_a_clear_error_naming_the_grant_and_no_file()
    {
        await using var cluster = await StartAsync(15);
        var file = Path.Combine(_dir, "nomon.csv");
        var run = await Task.Run(() => Walsim("sample", "--connection", As(cluster, "nomon"), "--interval", "200ms", "--duration", "1s", "--out", file));
        Assert.Equal((int)ExitCode.ServerUnavailable, run.Code);
        Assert.Contains("permission denied for function pg_ls_waldir", run.Err);
        Assert.Contains("GRANT pg_monitor TO \"nomon\"", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
        Assert.False(File.Exists(file));
    }

    [RealServerFact(15)]
    public async Task Sampling_a_standby_records_receive_and_replay_lsns_instead_of_the_write_lsn()
    {
        await using var primary = await StartAsync(15);
        await using var standby = await ReplicaSet.StartStandbyAsync(primary, [], CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var writer = WriteWalAsync(primary, stop.Token);
        var file = Path.Combine(_dir, "standby.csv");
        var run = await Task.Run(() => Walsim("sample", "--connection", As(standby, "monitor"), "--interval", "250ms", "--duration", "2s", "--out", file));
        stop.Cancel();
        await writer;

        Assert.True(run.Code == 0, run.Err);
        var rows = SampleFile.Read(file).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.True(r.Server.InRecovery);
            Assert.False(r.Server.WriteLsn.IsValid || r.Server.InsertLsn.IsValid);
            Assert.True(r.Server.ReceiveLsn.IsValid && r.Server.ReplayLsn.IsValid);
        });
        Assert.True(rows[^1].Server.ReplayLsn > rows[0].Server.ReplayLsn, "the standby replays the primary's WAL while sampled");
        await using var c = await primary.ConnectAsync(CancellationToken.None);
        await using var cmd = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", c);
        Assert.Equal(ulong.Parse((string)(await cmd.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture), rows[0].Server.SystemIdentifier);
    }
}

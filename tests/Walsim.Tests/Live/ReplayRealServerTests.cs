using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Versions;
using Walsim.Simulator.Units;
using Walsim.Tests.Validation;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Live;

/// <summary>
/// <c>walsim replay</c> on samples of real servers: a slot that keeps up and one whose consumer never comes, WAL
/// written steadily with checkpoints, sampled every 200 ms — the model must agree with every checkpoint's files and
/// invalidations and every slot reading, and the stalled slot must be seen lost (13+).
/// </summary>
public sealed class ReplayRealServerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Samples until the server itself has shown what the test needs — eight explicit CHECKPOINTs written and, where
    /// 13+ caps retention, cdc lost — not for a fixed time: on a loaded machine a fixed time may hold too little.
    /// </summary>
    private async Task<(string File, ReplaySummary Summary, string Report)> SampleAndReplay(int major)
    {
        var install = PostgresInstall.Find(major, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL {major} binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        var caps = RetentionPolicy.For(install!.Version).CapsSlotRetention;
        KeyValuePair<string, string>[] settings =
        [
            new("wal_level", "logical"), new("max_wal_senders", "5"), new("max_replication_slots", "5"),
            new("max_wal_size", "16MB"), new("min_wal_size", "4MB"), new("checkpoint_timeout", "30s"),
            .. caps ? [new KeyValuePair<string, string>("max_slot_wal_keep_size", "6MB")] : Array.Empty<KeyValuePair<string, string>>(),
        ];
        await using var cluster = await ThrowawayCluster.StartAsync(install, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        await using (var c = await cluster.ConnectAsync(CancellationToken.None))
            foreach (var sql in new[] { "SELECT pg_create_physical_replication_slot('rep1', true)", "SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')" })
                await Exec(c, sql);

        var file = Path.Combine(_dir, $"pg{major}.csv");
        using var stop = new CancellationTokenSource();
        using var enough = new CancellationTokenSource(Limit);
        // The load waits for the sampler's first sample: its CHECKPOINTs must fall inside the samples (a loaded CI run
        // opened the sampler's connection late and its samples saw 5 of the 8).
        var load = WriteAsync(cluster, caps, () => RowsWritten(file), enough, stop.Token);
        var connection = LiveConnection.Create(cluster.ConnectionString, _ => null);
        using (var writer = SampleFileWriter.Open(file, append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromMilliseconds(200), Limit),
                TimeProvider.System, new ProgressLine(TextWriter.Null, isTerminal: false), connection.Scrub);
            await sampler.RunAsync(enough.Token);
        }
        stop.Cancel();
        await load;

        var settingRows = SampleFile.ReadSettings(SampleFile.SettingsPath(file)).ToList();
        var replay = new LiveReplay(file, v => SampledSettings.From(settingRows, v));
        foreach (var frame in SampleFrames.Group(SampleFile.Read(file))) replay.Add(frame);
        var summary = replay.Finish();
        var text = new StringWriter { NewLine = "\n" };
        ReplayReport.WriteText(text, file, summary, listCheckpoints: true);
        output.WriteLine(text.ToString());
        return (file, summary, text.ToString());
    }

    /// <summary>The most a run may sample: far more than an idle machine needs (about 10 s).</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>A steady 1 MB/s: 100 kB every 100 ms; rep1's consumer keeps up (advanced to the write position each
    /// time), cdc's never comes; a CHECKPOINT every second between the WAL-requested ones. Once eight CHECKPOINTs are
    /// done and (with a cap) the server shows cdc lost, sampling ends when three more samples are written (the first may
    /// have begun before the loss): a fixed half second after the loss let a loaded CI run's sampler write none, and
    /// its samples never saw cdc lost.</summary>
    private static async Task WriteAsync(ThrowawayCluster cluster, bool caps, Func<int> rowsWritten, CancellationTokenSource enough, CancellationToken ct)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        while (rowsWritten() == 0 && !ct.IsCancellationRequested && !enough.IsCancellationRequested)
            try { await Task.Delay(50, enough.Token); } catch (OperationCanceledException) { }
        var checkpoints = 0;
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            await Exec(c, "SELECT pg_logical_emit_message(false, 'walsim', repeat('x', 100000))");
            await Exec(c, "SELECT pg_replication_slot_advance('rep1', pg_current_wal_lsn())");
            if (i % 10 == 9)
            {
                await Exec(c, "CHECKPOINT");
                checkpoints++;
                if (checkpoints >= 8 && !enough.IsCancellationRequested && (!caps || await CdcLost(c)))
                {
                    // A sample is a row per slot (rep1, cdc): three more samples are six more rows.
                    var seen = rowsWritten();
                    while (rowsWritten() < seen + 6 && !enough.IsCancellationRequested)
                        try { await Task.Delay(50, enough.Token); } catch (OperationCanceledException) { }
                    await enough.CancelAsync();
                }
            }
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>The whole rows the sample file holds after its header (each sample is flushed as written).</summary>
    private static int RowsWritten(string file)
    {
        try
        {
            using var r = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            var text = r.ReadToEnd();
            var lines = text.Count(ch => ch == '\n');
            return Math.Max(0, lines - 1);
        }
        catch (IOException) { return 0; }
    }

    private static async Task<bool> CdcLost(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT wal_status = 'lost' FROM pg_replication_slots WHERE slot_name = 'cdc'", c);
        return await cmd.ExecuteScalarAsync() is true;
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static void AgreesAndSeesTheStalledSlotLost(ReplaySummary r, string report, bool caps)
    {
        // Eight were issued; the first may come before the sampler's first sample.
        Assert.True(r.Checkpoints.Observed >= 6, report);
        Assert.True(r.Agrees, report);
        var cdc = r.Slots.Single(s => s.Name == "cdc");
        var rep1 = r.Slots.Single(s => s.Name == "rep1");
        if (caps)
        {
            Assert.True(cdc.FirstLost is not null, "the samples never showed cdc lost\n" + report);
            Assert.Contains(r.CheckpointLines, l => l.Invalidated == "cdc");
            Assert.Null(rep1.FirstLost);
            Assert.Contains(r.Fields, f => f.Field == "safe_wal_size" && f.Decisions > 20);
        }
        Assert.True(cdc.LongestStall > TimeSpan.FromSeconds(3), report);
        // At most 1 MB/s (100 kB per 100 ms turn); slower when the machine is busy.
        Assert.True(r.Wal.MeanBytesPerSecond is > 30_000 and < 1_500_000, report);
    }

    [RealServerFact(15)]
    public async Task Replaying_samples_of_a_real_15_agrees_with_every_checkpoint_and_sees_the_stalled_slot_lost()
    {
        var (_, r, report) = await SampleAndReplay(15);
        AgreesAndSeesTheStalledSlotLost(r, report, caps: true);
    }

    [RealServerFact(13)]
    public async Task Replaying_samples_of_a_real_13_agrees_with_every_checkpoint_and_sees_the_stalled_slot_lost()
    {
        var (_, r, report) = await SampleAndReplay(13);
        AgreesAndSeesTheStalledSlotLost(r, report, caps: true);
    }

    [RealServerFact(17)]
    public async Task Replaying_samples_of_a_real_17_agrees_with_every_checkpoint_and_sees_the_stalled_slot_lost()
    {
        var (_, r, report) = await SampleAndReplay(17);
        AgreesAndSeesTheStalledSlotLost(r, report, caps: true);
    }

    [RealServerFact(12)]
    public async Task Replaying_samples_of_a_real_12_agrees_and_the_stalled_slot_holds_every_segment()
    {
        var (_, r, report) = await SampleAndReplay(12);
        AgreesAndSeesTheStalledSlotLost(r, report, caps: false);
        // No cap on 12: pg_wal keeps every segment since cdc was created, so it grows by the WAL written.
        var written = r.Wal.Written.Bytes / ByteCount.MiB;
        Assert.True(r.PeakFiles >= written, report);
    }
}

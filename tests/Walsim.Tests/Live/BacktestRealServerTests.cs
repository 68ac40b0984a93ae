using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Tests.Validation;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Live;

/// <summary>
/// The classic incident on a real PostgreSQL 15: a physical slot created with reserve and never consumed, a steady
/// write load, a small cap. 1MB segments, max_wal_size 2MB (CheckPointSegments = floor(2 / 1.9) = 1: a checkpoint
/// requested by WAL volume every segment, every ~5 s at 192 kB/s), max_slot_wal_keep_size 8MB: the slot is lost
/// after about 9MB, ~50 s. Sampled every second until 20 s after the loss; the backtest from 20 s before the loss must
/// see the slot stalled (not "keeps up", as a history shorter than a minute made it before) and put the real loss
/// within its p10..p90.
/// </summary>
public sealed class BacktestRealServerTests(ITestOutputHelper output) : IDisposable
{
    private const int BytesPerSecond = 192 * 1024;
    private static readonly TimeSpan Ahead = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-backtest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RealServerFact(15)]
    public async Task A_backtest_on_a_real_15_forecasts_the_loss_of_a_slot_nobody_consumed_within_its_p10_p90()
    {
        var install = PostgresInstall.Find(15, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL 15 binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        // A stalled machine moves the loss by the stall: such a recording is run again, not judged.
        await StalledRecording.RunAsync(output, async attempt =>
        {
            var file = Path.Combine(_dir, $"forgotten-{attempt}.csv");
            var clock = Stopwatch.StartNew();
            var (loadFrom, logged) = await SampleUntilTheLossAsync(install!, file);
            var frames = SampleFrames.Group(SampleFile.Read(file)).ToList();
            if (StalledRecording.Stall(frames, loadFrom) is { } stall) return stall;
            Judge(file, frames, logged, clock);
            return null;
        });
    }

    /// <summary>
    /// One throwaway cluster: the forgotten slot, the steady load, samples every second until 20 s after the loss
    /// (or 100 s). Returns when the load began and when the server logged the invalidation.
    /// </summary>
    private static async Task<(DateTimeOffset LoadFrom, DateTimeOffset? Logged)> SampleUntilTheLossAsync(PostgresInstall install, string file)
    {
        KeyValuePair<string, string>[] settings =
        [
            new("max_wal_size", "2MB"), new("min_wal_size", "2MB"), new("checkpoint_timeout", "5min"),
            new("max_slot_wal_keep_size", "8MB"), new("autovacuum", "off"),
        ];
        await using var cluster = await ThrowawayCluster.StartAsync(install, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        await using (var c = await cluster.ConnectAsync(CancellationToken.None))
            await Exec(c, "SELECT pg_create_physical_replication_slot('forgotten', true)");

        // Sampling stops 20 s after the slot is seen lost, or after 100 s whatever happens.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        var loadFrom = DateTimeOffset.UtcNow;
        var load = SteadyWal.WriteAsync(cluster, BytesPerSecond, stop.Token);
        var watch = StopAfterTheLossAsync(cluster, stop);
        var connection = LiveConnection.Create(cluster.ConnectionString, _ => null);
        using (var writer = SampleFileWriter.Open(file, append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(100)),
                TimeProvider.System, new ProgressLine(TextWriter.Null, isTerminal: false), connection.Scrub);
            await sampler.RunAsync(stop.Token);
        }
        await stop.CancelAsync();
        await load;
        await watch;
        cluster.ReadLog();
        return (loadFrom, InvalidationLogged(cluster));
    }

    private void Judge(string file, List<SampleFrame> frames, DateTimeOffset? loggedAt, Stopwatch clock)
    {
        var sampled = clock.Elapsed;
        // Where the samples first show the slot lost, and the split 20 s before.
        var first = frames[0].Server.ServerTime;
        var lostFrame = frames.FindIndex(f => f.Slots.Any(s => s.Name == "forgotten" && s.WalStatus == WalStatus.Lost));
        var rate = (frames[^1].Server.HeadLsn - frames[0].Server.HeadLsn).Bytes / (frames[^1].Server.ServerTime - first).TotalSeconds;
        Assert.True(lostFrame > 0, $"the slot was not lost in {frames.Count} samples (WAL written at {rate:0} B/s)");
        var lostAt = frames[lostFrame].Server.ServerTime;
        var split = lostAt - Ahead;
        Assert.True(split - first >= TimeSpan.FromSeconds(15), $"lost {lostAt - first} after the first sample: too early to leave a history before the split");

        var settingRows = SampleFile.ReadSettings(SampleFile.SettingsPath(file)).ToList();
        var fit = new WorkloadFitOptions { Bucket = SimDuration.FromSeconds(2) };
        var b = Backtest.Run(file, () => SampleFrames.Group(SampleFile.Read(file)), settingRows, new ReplayLimit(split, null), fit,
            runs: 200, seed: 1, parallelism: 2);
        var report = new StringWriter { NewLine = "\n" };
        BacktestReport.Write(report, file, b, 200, 1);

        var slot = b.Slots.Single(s => s.Name == "forgotten");
        var atSplit = b.Input.Slots.Single(s => s.Name == "forgotten");
        var p10 = slot.Walsim.Lost.Quantile(0.1);
        var p50 = slot.Walsim.Lost.P50;
        var p90 = slot.Walsim.Lost.P90;
        var actual = slot.ActualLost!.Value;
        // The samples bound the loss: after the last one that did not show it, by the first that did.
        var notYet = frames[lostFrame - 1].Server.ServerTime - b.Split;
        var logged = loggedAt is { } at ? at - b.Split : (TimeSpan?)null;
        static string S(SimDuration? d) => d is { } v ? v.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture) : "never";
        output.WriteLine(report.ToString());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"forgotten, lost after the split: walsim p10 {S(p10)}, p50 {S(p50)}, p90 {S(p90)}; predict_linear {S(slot.LinearLost)}; actual {S(actual)} (the samples: after {notYet.TotalSeconds:0.0} s, by {actual.TotalSeconds:0.0} s; the server log: {(logged is { } l ? $"{l.TotalSeconds:0.00} s" : "not found")})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{frames.Count} samples at {rate / 1024:0} kB/s; {b.Input.Checkpoints.Observed} checkpoints before the split ({b.Input.Checkpoints.ByWalVolume} by WAL volume); cluster and sampling {sampled.TotalSeconds:0} s, in all {clock.Elapsed.TotalSeconds:0} s"));

        // Inactive, never moved: stalled from the first sample, however short the history.
        Assert.Equal((ConsumerState.Stalled, true, first), (atSplit.Consumer, atSplit.NeverMoved, atSplit.StalledSince!.Value));
        // Checkpoints every few seconds (checkpoint_timeout is 5 min: WAL volume requested them), their write phase
        // measured (not the spread default).
        Assert.True(b.Input.Checkpoints is { Observed: >= 3, MeanInterval: { TotalSeconds: < 15 } }, report.ToString());
        Assert.NotEqual(Simulator.Scenarios.CheckpointWriteKind.Spread, b.Input.WritePhases.ForForecast.Kind);
        // The loss, as the samples bound it (to within a second), lies within walsim's p10..p90.
        Assert.True(p10 is { } lo && p90 is { } hi && lo.ToTimeSpan() <= actual.ToTimeSpan() && notYet <= hi.ToTimeSpan(),
            $"actual loss after {notYet.TotalSeconds:0.0} s, by {S(actual)}; walsim p10..p90 {S(p10)}..{S(p90)}");
    }


    /// <summary>Watches the slot; 20 s after it is lost, stops the sampling.</summary>
    private static async Task StopAfterTheLossAsync(ThrowawayCluster cluster, CancellationTokenSource stop)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await using var cmd = new NpgsqlCommand("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'forgotten'", c);
                if (await cmd.ExecuteScalarAsync() is "lost")
                {
                    await Task.Delay(Ahead, stop.Token);
                    await stop.CancelAsync();
                    return;
                }
                await Task.Delay(250, stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>When the server logged the slot's invalidation ("invalidating slot \"forgotten\" because ...").</summary>
    private static DateTimeOffset? InvalidationLogged(ThrowawayCluster cluster)
    {
        var line = cluster.Log.Lines.FirstOrDefault(l => l.Contains("invalidating", StringComparison.Ordinal) && l.Contains("\"forgotten\"", StringComparison.Ordinal));
        if (line is null) return null;
        var time = line[..line.IndexOf(" [", StringComparison.Ordinal)];
        return LogTimestamp.TryParse(time, out var t, out _) ? t : null;
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}

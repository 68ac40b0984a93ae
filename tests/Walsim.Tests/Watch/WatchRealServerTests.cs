using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Analyzer.Watch;
using Walsim.Cli;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;
using Walsim.Tests.Validation;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Watch;

/// <summary>
/// The on-call picture on real parts: a real PostgreSQL 15 (1MB segments, max_wal_size 2MB so WAL volume requests a
/// checkpoint every few seconds, max_slot_wal_keep_size 16MB), 192 kB/s of WAL, a slot "cdc" whose consumer advances
/// it every half second for 20 s and then stops — lost about 85 s later at the first checkpoint past the cap (the
/// forecast calls a consumer stalled after a minute without a move, so a loss sooner than that cannot be foreseen).
/// <c>walsim watch</c> runs in-process (1 s samples, a forecast every 2 s); Debian's <c>prometheus</c> scrapes it every
/// second and evaluates the shipped rules (deploy/prometheus/walsim-rules.yml) beside the alert people run today,
/// <c>predict_linear</c> on pg_wal's size against a 128MB volume ten minutes ahead. Required: walsim's "slot lost
/// within 6h" alert fires after the consumer stopped and before the server invalidates the slot (both lead times
/// printed); the healthy model never disagrees while a second watcher told max_slot_wal_keep_size=2MB does; and a
/// server restart during the watch loses no sample (the --append file's numbers run on, one gap marked).
/// </summary>
public sealed class WatchRealServerTests(ITestOutputHelper output) : IDisposable
{
    private const int BytesPerSecond = 192 * 1024;
    private readonly int WatchPort = LoopbackPorts.Free(), PrometheusPort = LoopbackPorts.Free(), WrongPort = LoopbackPorts.Free();
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-watch-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [RealServerFact(15)]
    public async Task Walsims_slot_lost_alert_fires_before_a_real_15_invalidates_the_slot_and_a_restart_loses_no_sample()
    {
        var install = PostgresInstall.Find(15, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL 15 binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        Assert.True(File.Exists("/usr/bin/prometheus"), "Debian's prometheus is missing: apt-get install prometheus (.ci/run does)");
        KeyValuePair<string, string>[] settings =
        [
            new("max_wal_size", "2MB"), new("min_wal_size", "2MB"), new("checkpoint_timeout", "5min"),
            new("max_slot_wal_keep_size", "16MB"), new("autovacuum", "off"),
        ];
        var clock = Stopwatch.StartNew();
        await using var cluster = await ThrowawayCluster.StartAsync(install!, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        await using (var c = await cluster.ConnectAsync(CancellationToken.None))
            await Exec(c, "SELECT pg_create_physical_replication_slot('cdc', true)");

        using var prometheus = StartPrometheus();
        using var stopWatching = new CancellationTokenSource(TimeSpan.FromSeconds(200));
        var append = Path.Combine(_dir, "db.csv");
        Watcher? healthy = null, wrong = null;
        var started = new TaskCompletionSource();
        var healthyRun = Watch(cluster, WatchPort, append, new Dictionary<string, string>(), w => { healthy = w; started.TrySetResult(); }, stopWatching.Token);
        var wrongRun = Watch(cluster, WrongPort, null, new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "2MB" }, w => wrong = w, stopWatching.Token);
        // A watcher that fails to start (its port taken, the server refused) surfaces as its own failure, not as a timeout.
        if (await Task.WhenAny(started.Task, healthyRun).WaitAsync(TimeSpan.FromSeconds(60)) == healthyRun) await healthyRun;

        using var stopLoad = new CancellationTokenSource();
        var load = SteadyWal.WriteAsync(cluster, BytesPerSecond, stopLoad.Token);
        var alerts = new AlertWatch(PrometheusPort);
        var alertPoll = alerts.PollAsync(stopWatching.Token);

        // The consumer keeps up for 20 s, then stops.
        var consumerStopped = await ConsumeAsync(cluster, TimeSpan.FromSeconds(20));
        var lostAt = await WaitForLossAsync(cluster, TimeSpan.FromSeconds(150));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stopLoad.CancelAsync();
        await load;

        // A restart during the watch: the watcher reconnects, marks one gap, and numbers on.
        var samplesBeforeRestart = healthy!.Written;
        await cluster.StopAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await cluster.StartAgainAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(6));
        await stopWatching.CancelAsync();
        await Task.WhenAll(healthyRun, wrongRun);
        await alertPoll;

        var snapshot = healthy.Snapshot();
        var wrongSnapshot = wrong!.Snapshot();
        var walsimFired = alerts.FirstFiring("WalsimSlotLostSoon");
        var linearFired = alerts.FirstFiring("PgWalPredictLinearFull");
        static string Lead(DateTimeOffset? fired, DateTimeOffset lost) =>
            fired is { } f ? string.Create(CultureInfo.InvariantCulture, $"{(lost - f).TotalSeconds:0.0} s before the invalidation") : "silent";
        output.WriteLine($"consumer stopped at {consumerStopped:HH:mm:ss.f}, slot lost (seen) at {lostAt:HH:mm:ss.f}");
        output.WriteLine($"walsim WalsimSlotLostSoon: {Lead(walsimFired, lostAt)}; predict_linear PgWalPredictLinearFull: {Lead(linearFired, lostAt)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"healthy watcher: {snapshot.Samples} samples, {snapshot.Gaps} gap(s), {snapshot.Reconnects} reconnect(s), {snapshot.CheckpointsJudged} checkpoints judged, {snapshot.Decisions} decisions, {snapshot.Disagreements} disagreements, {snapshot.Forecasts} forecasts ({snapshot.ForecastFailures} failed); wrong-setting watcher: {wrongSnapshot.Disagreements} disagreements of {wrongSnapshot.Decisions}; {clock.Elapsed.TotalSeconds:0} s in all"));

        Assert.True(walsimFired is { } fired && fired > consumerStopped && fired < lostAt,
            $"WalsimSlotLostSoon first fired at {walsimFired:HH:mm:ss.f}; the consumer stopped at {consumerStopped:HH:mm:ss.f}, the slot was lost at {lostAt:HH:mm:ss.f}");
        Assert.Equal(0, snapshot.Disagreements);
        Assert.Null(alerts.FirstFiring("WalsimModelDisagrees"));
        Assert.True(snapshot.CheckpointsJudged >= 3, $"only {snapshot.CheckpointsJudged} checkpoints judged");
        Assert.True(wrongSnapshot.Disagreements > 0, "told max_slot_wal_keep_size=2MB, the model still agreed with a server that has 16MB");

        // No sample lost across the restart: the file's numbers run 1..N without a hole, N is every sample taken,
        // samples continued after the restart, and exactly the first one after it is marked as a gap.
        var frames = SampleFrames.Group(SampleFile.Read(append)).ToList();
        Assert.Equal(Enumerable.Range(1, frames.Count).Select(i => (long)i), frames.Select(f => f.Server.Sample));
        Assert.Equal(snapshot.Samples, frames.Count);
        Assert.True(frames.Count > samplesBeforeRestart + 2, $"{frames.Count} samples, {samplesBeforeRestart} before the restart");
        Assert.Equal(1, frames.Count(f => f.Server.Gap));
        Assert.True(snapshot.Reconnects >= 1 && snapshot.Gaps == 1, $"{snapshot.Reconnects} reconnects, {snapshot.Gaps} gaps");
    }

    private Task Watch(ThrowawayCluster cluster, int port, string? append, Dictionary<string, string> overrides, Action<Watcher> started, CancellationToken ct)
    {
        var stderr = new StringWriter();
        var service = new WatchService(TextWriter.Null, stderr, false, TimeProvider.System, _ => null)
        {
            Started = (w, _) => started(w),
        };
        var request = new WatchRequest(cluster.ConnectionString, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(2),
            new ForecastOptions(SimDuration.FromMinutes(10), 100, 1, null), new WorkloadFitOptions { Bucket = SimDuration.FromSeconds(2) },
            "127.0.0.1", port)
        {
            AppendPath = append,
            ModelSettingOverrides = overrides,
        };
        return Task.Run(async () =>
        {
            var code = await service.RunAsync(request, ct);
            Assert.True(code == ExitCode.Ok, $"walsim watch on port {port} ended with {code}: {stderr}");
        });
    }

    private KillOnDispose StartPrometheus()
    {
        var rules = Path.GetFullPath(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "walsim-rules.yml"));
        var linear = Path.Combine(_dir, "predict-linear.yml");
        // The alert people run today: pg_wal's growth over the last 30 s, extrapolated ten minutes, against a 128MB
        // volume (16 times max_slot_wal_keep_size).
        File.WriteAllText(linear, """
            groups:
              - name: today
                rules:
                  - alert: PgWalPredictLinearFull
                    expr: predict_linear(walsim_pg_wal_size_bytes[30s], 600) > 128 * 1024 * 1024
            """);
        var config = Path.Combine(_dir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: ["{rules}", "{linear}"]
            scrape_configs:
              - job_name: walsim
                static_configs:
                  - targets: ["127.0.0.1:{WatchPort}"]
            """);
        var info = new ProcessStartInfo("/usr/bin/prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{PrometheusPort}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var p = Process.Start(info)!;
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return new KillOnDispose(p);
    }


    /// <summary>Advances the slot to the current WAL position every half second for <paramref name="time"/>; returns when it stopped.</summary>
    private static async Task<DateTimeOffset> ConsumeAsync(ThrowawayCluster cluster, TimeSpan time)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        var end = Stopwatch.StartNew();
        while (end.Elapsed < time)
        {
            await Exec(c, "SELECT pg_replication_slot_advance('cdc', pg_current_wal_lsn())");
            await Task.Delay(500);
        }
        return DateTimeOffset.UtcNow;
    }

    private static async Task<DateTimeOffset> WaitForLossAsync(ThrowawayCluster cluster, TimeSpan limit)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            await using var cmd = new NpgsqlCommand("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'cdc'", c);
            if (await cmd.ExecuteScalarAsync() is "lost") return DateTimeOffset.UtcNow;
            await Task.Delay(250);
        }
        throw new TimeoutException($"the slot was not lost within {limit.TotalSeconds} s");
    }


    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Prometheus's /api/v1/alerts every half second: when each alert was first seen firing.</summary>
    private sealed class AlertWatch(int port)
    {
        private readonly Dictionary<string, DateTimeOffset> _first = new(StringComparer.Ordinal);

        public DateTimeOffset? FirstFiring(string name) { lock (_first) return _first.TryGetValue(name, out var t) ? t : null; }

        public async Task PollAsync(CancellationToken ct)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    using var doc = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/alerts", ct));
                    foreach (var a in doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray())
                        if (a.GetProperty("state").GetString() == "firing")
                        {
                            var name = a.GetProperty("labels").GetProperty("alertname").GetString()!;
                            lock (_first) _first.TryAdd(name, DateTimeOffset.UtcNow);
                        }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
                try { await Task.Delay(500, ct); } catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>The Prometheus this test started, stopped by its own process id.</summary>
    private sealed class KillOnDispose(Process p) : IDisposable
    {
        public void Dispose()
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
    }
}

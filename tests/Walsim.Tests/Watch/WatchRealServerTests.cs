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
/// server restart during the watch loses no sample (the --append file's numbers run on, one gap marked). A watch the
/// machine stalled is reported and run again, not judged (<see cref="Disturbance"/>).
/// </summary>
[Collection(RunAloneCollection.Name)]
public sealed class WatchRealServerTests(ITestOutputHelper output) : IDisposable
{
    private const int BytesPerSecond = 192 * 1024;
    private static readonly TimeSpan ForecastEvery = TimeSpan.FromSeconds(2);
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
        // The alert's lead rests on a chain that runs every second or two; a machine that stalled a link of it is
        // reported and the watch run again (Disturbance), not judged.
        await StalledRecording.RunAsync(output, attempt => AttemptAsync(install!, attempt),
            stalled: "the machine stalled the chain from samples to the alert");
    }

    /// <summary>One watch, its alerts and its restart; returns why it cannot be judged (the machine disturbed it), or
    /// null when it was judged (the assertions passed).</summary>
    private async Task<string?> AttemptAsync(PostgresInstall install, int attempt)
    {
        KeyValuePair<string, string>[] settings =
        [
            new("max_wal_size", "2MB"), new("min_wal_size", "2MB"), new("checkpoint_timeout", "5min"),
            new("max_slot_wal_keep_size", "16MB"), new("autovacuum", "off"),
        ];
        var dir = Directory.CreateDirectory(Path.Combine(_dir, $"attempt-{attempt}")).FullName;
        var clock = Stopwatch.StartNew();
        await using var cluster = await ThrowawayCluster.StartAsync(install, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        await using (var c = await cluster.ConnectAsync(CancellationToken.None))
            await Exec(c, "SELECT pg_create_physical_replication_slot('cdc', true)");

        using var prometheus = StartPrometheus(dir);
        using var stopWatching = new CancellationTokenSource(TimeSpan.FromSeconds(200));
        var append = Path.Combine(dir, "db.csv");
        Watcher? healthy = null, wrong = null;
        var started = new TaskCompletionSource();
        var healthyNotes = new StringWriter();
        var healthyRun = Watch(cluster, WatchPort, append, new Dictionary<string, string>(), w => { healthy = w; started.TrySetResult(); }, stopWatching.Token, healthyNotes);
        var wrongRun = Watch(cluster, WrongPort, null, new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "2MB" }, w => wrong = w, stopWatching.Token);
        // A watcher that fails to start (its port taken, the server refused) surfaces as its own failure, not as a timeout.
        if (await Task.WhenAny(started.Task, healthyRun).WaitAsync(TimeSpan.FromSeconds(60)) == healthyRun) await healthyRun;

        var watchFrom = DateTimeOffset.UtcNow;
        using var stopLoad = new CancellationTokenSource();
        var load = SteadyWal.WriteAsync(cluster, BytesPerSecond, stopLoad.Token);
        var alerts = new AlertWatch(PrometheusPort);
        var alertPoll = alerts.PollAsync(stopWatching.Token);
        var forecasts = new ForecastLog(healthy!);
        var forecastPoll = forecasts.PollAsync(stopWatching.Token);

        // The consumer keeps up for 20 s, then stops.
        var consumerStopped = await ConsumeAsync(cluster, TimeSpan.FromSeconds(20));
        var missedAtStop = await RuleEvaluationsMissedAsync(PrometheusPort);
        if (await WaitForLossAsync(cluster, TimeSpan.FromSeconds(150)) is not { } lostAt)
        {
            // The invalidation is the server's, not walsim's: without it there is no alert lead to judge. At pace it
            // comes 86-87 s after the consumer's stop; a clean-clone run saw none in 150 s in an attempt after a
            // disturbed one (not diagnosed: the server's state is now part of the report). Reported and run again like
            // a stall, so a fixture that never loses the slot still fails after the attempts.
            var state = await ServerStateAsync(cluster);
            var loadFault = load.IsFaulted ? $"; the load had failed: {load.Exception!.GetBaseException().Message}" : "";
            await stopLoad.CancelAsync();
            try { await load; } catch (Exception) when (load.IsFaulted) { }
            await stopWatching.CancelAsync();
            await Task.WhenAll(healthyRun, wrongRun);
            await alertPoll;
            await forecastPoll;
            return $"the server had not invalidated cdc 150 s after the consumer stopped (86-87 s in runs at pace); {state}{loadFault}";
        }
        var missed = await RuleEvaluationsMissedAsync(PrometheusPort) - missedAtStop;
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
        await forecastPoll;
        var scrapes = await ScrapeTimesAsync(PrometheusPort, watchFrom, lostAt);

        var snapshot = healthy.Snapshot();
        var wrongSnapshot = wrong!.Snapshot();
        var walsimFired = alerts.FirstFiring("WalsimSlotLostSoon");
        var linearFired = alerts.FirstFiring("PgWalPredictLinearFull");
        static string Lead(DateTimeOffset? fired, DateTimeOffset lost) =>
            fired is { } f ? string.Create(CultureInfo.InvariantCulture, $"{(lost - f).TotalSeconds:0.0} s before the invalidation") : "silent";
        output.WriteLine($"attempt {attempt}: consumer stopped at {consumerStopped:HH:mm:ss.f}, slot lost (seen) at {lostAt:HH:mm:ss.f}");
        output.WriteLine($"walsim WalsimSlotLostSoon: {Lead(walsimFired, lostAt)}; predict_linear PgWalPredictLinearFull: {Lead(linearFired, lostAt)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"healthy watcher: {snapshot.Samples} samples, {snapshot.Gaps} gap(s), {snapshot.Reconnects} reconnect(s), {snapshot.CheckpointsJudged} checkpoints judged, {snapshot.Decisions} decisions, {snapshot.Disagreements} disagreements, {snapshot.Forecasts} forecasts ({snapshot.ForecastFailures} failed); wrong-setting watcher: {wrongSnapshot.Disagreements} disagreements of {wrongSnapshot.Decisions}; {clock.Elapsed.TotalSeconds:0} s in all"));
        var frames = SampleFrames.Group(SampleFile.Read(append)).ToList();
        output.WriteLine(forecasts.Summary(consumerStopped));
        output.WriteLine($"healthy watcher's stderr: {healthyNotes}");
        var beforeRestart = frames.Take((int)samplesBeforeRestart).ToList();
        var moves = Moves(beforeRestart, "cdc");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"before the restart: samples' longest hole {Longest(beforeRestart.Select(f => f.Server.ServerTime)).TotalSeconds:0.00} s; cdc's moves seen {moves.Count}, longest hole {Longest(moves).TotalSeconds:0.00} s; from the consumer's stop to the loss: forecasts' oldest {forecasts.OldestBetween(consumerStopped, lostAt).Age.TotalSeconds:0.00} s; Prometheus scrapes {scrapes.Count}, longest hole {Longest(scrapes.Where(t => t >= consumerStopped)).TotalSeconds:0.00} s, {missed} rule evaluations missed; alert polls' longest hole {Longest(alerts.Answered.Where(t => t >= consumerStopped && t <= lostAt)).TotalSeconds:0.00} s"));
        if (Disturbance(watchFrom, consumerStopped, lostAt, beforeRestart, moves, forecasts, scrapes, missed, alerts.Answered) is { } disturbed) return disturbed;

        Assert.True(walsimFired is { } fired && fired > consumerStopped && fired < lostAt,
            $"WalsimSlotLostSoon first fired at {walsimFired:HH:mm:ss.f}; the consumer stopped at {consumerStopped:HH:mm:ss.f}, the slot was lost at {lostAt:HH:mm:ss.f}; "
            + $"forecasts before it: {forecasts.Describe(walsimFired ?? lostAt)}");
        Assert.Equal(0, snapshot.Disagreements);
        Assert.Null(alerts.FirstFiring("WalsimModelDisagrees"));
        Assert.True(snapshot.CheckpointsJudged >= 3, $"only {snapshot.CheckpointsJudged} checkpoints judged");
        Assert.True(wrongSnapshot.Disagreements > 0, "told max_slot_wal_keep_size=2MB, the model still agreed with a server that has 16MB");

        // No sample lost across the restart: the file's numbers run 1..N without a hole, N is every sample taken,
        // samples continued after the restart, and exactly the first one after it is marked as a gap.
        Assert.Equal(Enumerable.Range(1, frames.Count).Select(i => (long)i), frames.Select(f => f.Server.Sample));
        Assert.Equal(snapshot.Samples, frames.Count);
        Assert.True(frames.Count > samplesBeforeRestart + 2, $"{frames.Count} samples, {samplesBeforeRestart} before the restart");
        Assert.Equal(1, frames.Count(f => f.Server.Gap));
        Assert.True(snapshot.Reconnects >= 1 && snapshot.Gaps == 1, $"{snapshot.Reconnects} reconnects, {snapshot.Gaps} gaps");
        return null;
    }

    /// <summary>
    /// Why this watch cannot be judged, or null. The alert's lead rests on a chain that runs every second or two: a
    /// sample a second, in which the consumer's moves every half second are seen (the forecast learns its rhythm from
    /// them: a stop is called after three of its longest silences); a forecast every 2 s; a Prometheus scrape and rule
    /// evaluation every second; this test's look at the alerts every half second. Measured on the seven attempts judged
    /// here (a quiet machine, a build beside, two busy loops beside): the samples' longest hole 1.3-2.0 s (3.0 s beside
    /// the busy loops), the consumer seen moving at most 1.4 s apart, a forecast taking 0.011-0.013 s (median; at most
    /// 0.27 s, 2.8 s beside the busy loops) and never older than 3.0-4.0 s, scrapes at most 1.04 s apart, no rule
    /// evaluation missed, polls at most 1.5 s apart — and the alert 76.1-79.4 s before the loss. A link that stalled
    /// longer than <see cref="StalledRecording.Limit"/> (a forecast: that beyond its 2-s schedule), or a forecast that
    /// failed once forecasts were being made, means the machine stalled the watch: its alert times say nothing about
    /// walsim. Holes in the samples count up to the restart (it makes one on purpose); the consumer's moves until it
    /// stopped; the rest from its stop to the loss, where the alert is due.
    /// </summary>
    private static string? Disturbance(DateTimeOffset origin, DateTimeOffset consumerStopped, DateTimeOffset lostAt, IReadOnlyList<SampleFrame> beforeRestart,
        IReadOnlyList<DateTimeOffset> moves, ForecastLog forecasts, IReadOnlyList<DateTimeOffset> scrapes, double missedEvaluations, IReadOnlyList<DateTimeOffset> polls)
    {
        var found = new List<string?>
        {
            StalledRecording.Stall(beforeRestart),
            moves.Count == 0 ? "the consumer's moves were never seen in the samples"
                : StalledRecording.Hole("move of slot cdc seen in the samples", moves, moves[0], consumerStopped, origin),
        };
        var (age, at) = forecasts.OldestBetween(consumerStopped, lostAt);
        if (age > ForecastEvery + StalledRecording.Limit)
            found.Add(string.Create(CultureInfo.InvariantCulture,
                $"the newest forecast was {age.TotalSeconds:0.0} s old at {(at - origin).TotalSeconds:0} s into the recording (one is due every {ForecastEvery.TotalSeconds:0} s)"));
        if (forecasts.FailedAfterFirst(lostAt) is { Count: > 0 } failed)
            found.Add(string.Create(CultureInfo.InvariantCulture,
                $"{failed.Count} forecast(s) failed once forecasts were made, the first seen {(failed[0] - origin).TotalSeconds:0} s into the recording"));
        var lastScrape = scrapes.LastOrDefault(t => t <= consumerStopped);
        found.Add(StalledRecording.Hole("Prometheus scrape", scrapes, lastScrape == default ? consumerStopped : lastScrape, lostAt, origin));
        if (missedEvaluations > 0)
            found.Add(string.Create(CultureInfo.InvariantCulture, $"Prometheus missed {missedEvaluations} rule evaluation(s) between the consumer's stop and the loss"));
        var lastPoll = polls.LastOrDefault(t => t <= consumerStopped);
        found.Add(StalledRecording.Hole("answer to the alerts poll", polls, lastPoll == default ? consumerStopped : lastPoll, lostAt, origin));
        var reasons = found.OfType<string>().ToList();
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>When the samples saw the slot's restart_lsn move forward (the server's clock, as the forecast's rhythm).</summary>
    private static List<DateTimeOffset> Moves(IEnumerable<SampleFrame> frames, string slot)
    {
        var moves = new List<DateTimeOffset>();
        Lsn? last = null;
        foreach (var f in frames)
        {
            if (f.Slots.FirstOrDefault(s => s.Name == slot) is not { RestartLsn.IsValid: true } s) continue;
            if (last is { } l && s.RestartLsn > l) moves.Add(f.Server.ServerTime);
            last = s.RestartLsn;
        }
        return moves;
    }

    /// <summary>Prometheus's count of rule-group evaluations it skipped because it ran late (its own /metrics).</summary>
    private static async Task<double> RuleEvaluationsMissedAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        return text.Split('\n').Where(l => l.StartsWith("prometheus_rule_group_iterations_missed_total", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static TimeSpan Longest(IEnumerable<DateTimeOffset> times)
    {
        var t = times.ToList();
        return t.Count < 2 ? TimeSpan.Zero : t.Zip(t.Skip(1), (a, b) => b - a).Max();
    }

    /// <summary>When Prometheus scraped the watcher between <paramref name="from"/> and <paramref name="to"/> (the
    /// timestamps of its <c>up</c> samples that say the scrape succeeded).</summary>
    private static async Task<List<DateTimeOffset>> ScrapeTimesAsync(int port, DateTimeOffset from, DateTimeOffset to)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var range = (int)Math.Ceiling((to - from).TotalSeconds) + 1;
        var url = string.Create(CultureInfo.InvariantCulture,
            $"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString($"up{{job=\"walsim\"}}[{range}s]")}&time={to.ToUnixTimeMilliseconds() / 1000.0:0.000}");
        using var doc = JsonDocument.Parse(await http.GetStringAsync(url));
        var times = new List<DateTimeOffset>();
        foreach (var series in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
            foreach (var v in series.GetProperty("values").EnumerateArray())
                if (v[1].GetString() == "1")
                    times.Add(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(v[0].GetDouble() * 1000)));
        times.Sort();
        return times;
    }

    private Task Watch(ThrowawayCluster cluster, int port, string? append, Dictionary<string, string> overrides, Action<Watcher> started, CancellationToken ct,
        StringWriter? notes = null)
    {
        var stderr = notes ?? new StringWriter();
        var service = new WatchService(TextWriter.Null, stderr, false, TimeProvider.System, _ => null)
        {
            Started = (w, _) => started(w),
        };
        var request = new WatchRequest(cluster.ConnectionString, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), ForecastEvery,
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

    private KillOnDispose StartPrometheus(string dir)
    {
        var rules = Path.GetFullPath(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "walsim-rules.yml"));
        var linear = Path.Combine(dir, "predict-linear.yml");
        // The alert people run today: pg_wal's growth over the last 30 s, extrapolated ten minutes, against a 128MB
        // volume (16 times max_slot_wal_keep_size).
        File.WriteAllText(linear, """
            groups:
              - name: today
                rules:
                  - alert: PgWalPredictLinearFull
                    expr: predict_linear(walsim_pg_wal_size_bytes[30s], 600) > 128 * 1024 * 1024
            """);
        var config = Path.Combine(dir, "prometheus.yml");
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
        var info = new ProcessStartInfo("/usr/bin/prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "tsdb")}",
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

    /// <summary>What decides the invalidation, as the server saw it: the slot, the WAL written, its checkpoints.</summary>
    private static async Task<string> ServerStateAsync(ThrowawayCluster cluster)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        await using var cmd = new NpgsqlCommand("""
            SELECT format('cdc: wal_status %s, restart_lsn %s, active_pid %s; insert at %s (%s bytes past restart_lsn); last checkpoint''s redo %s; checkpoints timed %s, requested %s',
                   s.wal_status, s.restart_lsn, coalesce(s.active_pid::text, 'none'), pg_current_wal_lsn(), pg_current_wal_lsn() - s.restart_lsn,
                   (SELECT redo_lsn FROM pg_control_checkpoint()), b.checkpoints_timed, b.checkpoints_req)
            FROM pg_replication_slots s, pg_stat_bgwriter b WHERE s.slot_name = 'cdc'
            """, c);
        return await cmd.ExecuteScalarAsync() as string ?? "slot cdc is gone";
    }

    /// <summary>When the server showed cdc lost, or null if it did not within <paramref name="limit"/>.</summary>
    private static async Task<DateTimeOffset?> WaitForLossAsync(ThrowawayCluster cluster, TimeSpan limit)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            await using var cmd = new NpgsqlCommand("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'cdc'", c);
            if (await cmd.ExecuteScalarAsync() is "lost") return DateTimeOffset.UtcNow;
            await Task.Delay(250);
        }
        return null;
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
        private readonly List<DateTimeOffset> _answered = [];

        public DateTimeOffset? FirstFiring(string name) { lock (_first) return _first.TryGetValue(name, out var t) ? t : null; }

        /// <summary>When Prometheus answered a poll.</summary>
        public IReadOnlyList<DateTimeOffset> Answered { get { lock (_first) return _answered.ToList(); } }

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
                    lock (_first) _answered.Add(DateTimeOffset.UtcNow);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
                try { await Task.Delay(500, ct); } catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>The healthy watcher's forecasts, read from its snapshot every 100 ms (they come 2 s or more apart): when
    /// each started, the sample it started from, how long it took, when it was seen; and when failures were seen.</summary>
    private sealed class ForecastLog(Watcher watcher)
    {
        private readonly List<(WatchForecast Forecast, DateTimeOffset Seen)> _made = [];
        private readonly List<(long Failures, DateTimeOffset Seen)> _failed = [];

        public async Task PollAsync(CancellationToken ct)
        {
            WatchForecast? last = null;
            long failures = 0;
            while (!ct.IsCancellationRequested)
            {
                var s = watcher.Snapshot();
                if (s.Forecast is { } f && !ReferenceEquals(f, last)) _made.Add((last = f, DateTimeOffset.UtcNow));
                if (s.ForecastFailures != failures) _failed.Add((failures = s.ForecastFailures, DateTimeOffset.UtcNow));
                try { await Task.Delay(100, ct); } catch (OperationCanceledException) { }
            }
        }

        /// <summary>The oldest the newest forecast got between <paramref name="from"/> and <paramref name="to"/> (the time
        /// from the sample it started from to the next forecast's result, or to <paramref name="to"/>), and when.</summary>
        public (TimeSpan Age, DateTimeOffset At) OldestBetween(DateTimeOffset from, DateTimeOffset to)
        {
            var made = _made.Select(m => m.Forecast).Where(f => f.StartedAt + f.Took <= to).ToList();
            var first = made.FindLastIndex(f => f.StartedAt + f.Took <= from);
            if (first < 0) return (to - from, from);
            return Enumerable.Range(first, made.Count - first)
                .Select(i => (At: i + 1 < made.Count ? made[i + 1].StartedAt + made[i + 1].Took : to, made[i].AsOf))
                .Select(r => (r.At - r.AsOf, r.At)).MaxBy(r => r.Item1);
        }

        /// <summary>When a forecast was seen to fail after the first was made, up to <paramref name="to"/> (before it, one
        /// may fail: a watch's first two samples are too few to fit).</summary>
        public List<DateTimeOffset> FailedAfterFirst(DateTimeOffset to) =>
            _made.Count == 0 ? [] : _failed.Where(f => f.Seen > _made[0].Seen && f.Seen <= to).Select(f => f.Seen).ToList();

        /// <summary>Each forecast seen before <paramref name="until"/>: the sample it started from and what it said of cdc
        /// (an alert that fired early names the forecast that made it).</summary>
        public string Describe(DateTimeOffset until) => string.Join("; ", _made.Where(m => m.Seen <= until).Select(m =>
            m.Forecast.Result.Slots.FirstOrDefault(x => x.Name == "cdc") is not { } cdc ? $"as of {m.Forecast.AsOf:HH:mm:ss.f} no cdc"
                : string.Create(CultureInfo.InvariantCulture,
                    $"as of {m.Forecast.AsOf:HH:mm:ss.f} (seen {m.Seen:HH:mm:ss.f}): cdc {cdc.Consumer}, lost in {cdc.Lost.Runs - cdc.Lost.Never}/{cdc.Lost.Runs} runs, p10 {cdc.Lost.Quantile(0.1)?.TotalSeconds:0.0} s")));

        /// <summary>How many, how long they took, and the first that called the consumer stalled.</summary>
        public string Summary(DateTimeOffset consumerStopped)
        {
            if (_made.Count == 0) return "no forecast made";
            var took = _made.Select(m => m.Forecast.Took.TotalSeconds).Order().ToList();
            var stalled = _made.Select(m => m.Forecast).FirstOrDefault(f => f.Result.Slots.Any(s => s.Name == "cdc" && s.Consumer == ConsumerState.Stalled));
            var cdc = stalled?.Result.Slots.First(s => s.Name == "cdc");
            return string.Create(CultureInfo.InvariantCulture,
                $"forecasts: {_made.Count} made, {_failed.LastOrDefault().Failures} failed, each took {took[(took.Count - 1) / 2]:0.000} s (median), at most {took[^1]:0.000} s; ") +
                (stalled is null ? "none called cdc stalled" : string.Create(CultureInfo.InvariantCulture,
                    $"the first to call cdc stalled started from the sample {(stalled.AsOf - consumerStopped).TotalSeconds:0.0} s after the consumer stopped (p10 of its loss {cdc!.Lost.Quantile(0.1)?.TotalSeconds:0.0} s later)"));
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

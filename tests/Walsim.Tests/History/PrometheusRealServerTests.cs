using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using Npgsql;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;
using Walsim.Tests.Cli;
using Walsim.Tests.Validation;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.History;

/// <summary>
/// The same minutes of a real PostgreSQL 15 recorded twice: by <c>walsim sample</c> and by Debian's Prometheus
/// (scrape_interval 1s) scraping Debian's postgres_exporter 0.11 loaded with deploy/postgres_exporter/walsim-queries.yaml.
/// Two physical slots reserved and never consumed, created 20 s apart, a steady 256 kB/s of WAL, 1MB segments,
/// max_wal_size 2MB (a checkpoint every segment, ~4 s) and max_slot_wal_keep_size 32MB: after the 60 s recorded, the
/// first slot is about 15MB behind and is lost some 70 s later, the second some 90 s later. The forecasts from the two
/// histories must agree: the fitted WAL rate within 5 %, each slot's p50 time to lost within 10 %; and
/// <c>forecast --backtest</c> runs on the Prometheus history.
/// </summary>
public sealed class PrometheusRealServerTests(ITestOutputHelper output) : IDisposable
{
    private const int BytesPerSecond = 256 * 1024;
    private readonly int ExporterPort = LoopbackPorts.Free(), PrometheusPort = LoopbackPorts.Free();
    private static readonly TimeSpan Recorded = TimeSpan.FromSeconds(60), LateAfter = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-prometheus-").FullName;
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        StopProcesses();
        Directory.Delete(_dir, recursive: true);
    }

    [RealServerFact(15)]
    public async Task A_forecast_from_prometheus_agrees_with_one_from_walsim_sample_of_the_same_minutes()
    {
        var install = PostgresInstall.Find(15, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL 15 binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        foreach (var tool in new[] { "prometheus", "prometheus-postgres-exporter" })
            Assert.True(OnPath(tool), $"{tool} is not installed: apt-get install prometheus prometheus-postgres-exporter (.ci/run does)");
        // A stalled machine sends the load in bursts, which 1-s scrapes and the sampler's seconds cut differently: such
        // a recording is run again (exporter and Prometheus anew), not judged.
        await StalledRecording.RunAsync(output, attempt => AttemptAsync(install!, attempt), StopProcesses);
    }

    /// <summary>One recording and its comparison; returns why it cannot be judged (the sampler stalled), or null
    /// when it was judged (the assertions passed).</summary>
    private async Task<string?> AttemptAsync(PostgresInstall install, int attempt)
    {
        KeyValuePair<string, string>[] settings =
        [
            new("max_wal_size", "2MB"), new("min_wal_size", "2MB"), new("checkpoint_timeout", "5min"),
            new("max_slot_wal_keep_size", "32MB"), new("autovacuum", "off"),
        ];
        var clock = Stopwatch.StartNew();
        await using var cluster = await ThrowawayCluster.StartAsync(install!, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
        await using (var c = await cluster.ConnectAsync(CancellationToken.None))
            await Exec(c, "SELECT pg_create_physical_replication_slot('forgotten', true)");
        await StartExporterAndPrometheusAsync(cluster, attempt);

        var file = Path.Combine(_dir, $"samples-{attempt}.csv");
        var startedAt = DateTimeOffset.UtcNow;
        using var stop = new CancellationTokenSource(Recorded);
        var load = SteadyWal.WriteAsync(cluster, BytesPerSecond, stop.Token);
        var late = CreateLaterAsync(cluster, LateAfter, stop.Token);
        var connection = LiveConnection.Create(cluster.ConnectionString, _ => null);
        using (var writer = SampleFileWriter.Open(file, append: false))
        await using (var source = new NpgsqlSampleSource(connection))
        {
            var sampler = new Sampler(source, writer, new SamplerOptions(TimeSpan.FromSeconds(1), Recorded),
                TimeProvider.System, new ProgressLine(TextWriter.Null, isTerminal: false), connection.Scrub);
            await sampler.RunAsync(stop.Token);
        }
        await load;
        var lateAt = await late;
        var frames = SampleFrames.Group(SampleFile.Read(file)).ToList();
        if (StalledRecording.Stall(frames, startedAt, startedAt + Recorded) is { } stall) return stall;
        if (lateAt is null || lateAt.Value - (startedAt + LateAfter) > StalledRecording.Limit)
            return string.Create(CultureInfo.InvariantCulture,
                $"the slot 'late' was created {(lateAt is { } l ? $"{(l - startedAt).TotalSeconds:0.0} s into the recording" : "after it ended")}, not {LateAfter.TotalSeconds:0} s");
        var (first, last) = (frames[0].Server.ServerTime, frames[^1].Server.ServerTime);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the last scrape stored

        // The same minutes from Prometheus: up to the last sample, as far back as the first.
        var url = $"http://127.0.0.1:{PrometheusPort}";
        var query = new PrometheusQuery { End = last, Range = TimeSpan.FromSeconds(Math.Ceiling((last - first).TotalSeconds)) };
        var prometheus = (PrometheusHistory)HistorySources.Open(url, HistoryUse.Forecast, new HistoryOptions { Prometheus = query });
        var sampled = HistorySources.Open(file, HistoryUse.Forecast);
        Assert.Equal(HistoryEvidence.All & ~HistoryEvidence.SlotInvalidations, prometheus.Shows & ~HistoryEvidence.SlotInvalidations);
        Assert.Equal(TimeSpan.FromSeconds(1), prometheus.Step);

        var fitOptions = new WorkloadFitOptions { Bucket = SimDuration.FromSeconds(5), CyclePeriod = SimDuration.FromMinutes(10) };
        var options = new ForecastOptions(SimDuration.FromMinutes(10), 200, 7, null, 2);
        var (fromSamples, fromPrometheus) = (Forecast(sampled, fitOptions, options), Forecast(prometheus, fitOptions, options));
        var rateDiff = Math.Abs(fromPrometheus.Rate / fromSamples.Rate - 1);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{frames.Count} samples, {fromPrometheus.Input.Samples} scrapes read in {prometheus.QueryCalls} queries ({prometheus.QueryTime.TotalMilliseconds:0} ms); " +
            $"WAL rate: samples {fromSamples.Rate / 1024:0.0} kB/s, Prometheus {fromPrometheus.Rate / 1024:0.0} kB/s ({rateDiff:P1})"));
        Assert.True(rateDiff <= 0.05, $"WAL rate: samples {fromSamples.Rate:0} B/s, Prometheus {fromPrometheus.Rate:0} B/s");
        foreach (var name in new[] { "forgotten", "late" })
        {
            var s = fromSamples.Result.Slots.Single(x => x.Name == name).Lost.P50;
            var p = fromPrometheus.Result.Slots.Single(x => x.Name == name).Lost.P50;
            Assert.True(s is not null && p is not null, $"{name}: p50 to lost: samples {s}, Prometheus {p}");
            var diff = Math.Abs(p!.Value.TotalSeconds / s!.Value.TotalSeconds - 1);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: p50 time to lost: samples {s.Value.TotalSeconds:0.0} s, Prometheus {p.Value.TotalSeconds:0.0} s ({diff:P1})"));
            Assert.True(diff <= 0.10, $"{name}: p50 to lost: samples {s.Value.TotalSeconds:0.0} s, Prometheus {p.Value.TotalSeconds:0.0} s");
        }

        // The backtest, through the command line as a user runs it.
        var run = CliRun.Invoke(null, "forecast", "--prometheus", url, "--backtest", "--range", $"{(int)Math.Ceiling((DateTimeOffset.UtcNow - first).TotalSeconds)}s",
            "--period", "10min", "--bucket", "5s", "--runs", "100");
        output.WriteLine(run.Out + run.Err);
        Assert.True(run.Code == 0, run.Err + run.Out);
        Assert.Contains("Backtest", run.Out, StringComparison.OrdinalIgnoreCase);
        output.WriteLine($"in all {clock.Elapsed.TotalSeconds:0} s");
        return null;
    }

    private void StopProcesses()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        _processes.Clear();
    }

    private sealed record ForecastFrom(ForecastInput Input, double Rate, ForecastResult Result);

    private static ForecastFrom Forecast(IRecordedHistory history, WorkloadFitOptions fitOptions, ForecastOptions options)
    {
        var input = ForecastInput.Read(history);
        var fit = WorkloadFitException.Fit(history.Name, input.Observations, fitOptions);
        return new ForecastFrom(input, fit.MedianRateAt(input.Now), Forecaster.Run(input, fit, options, WhatIf.CurrentTrend));
    }

    /// <summary>postgres_exporter on the cluster's socket with walsim's queries, and a Prometheus of its own (a temporary
    /// data directory) scraping it every second; both on loopback, waited for until Prometheus has the first point.</summary>
    private async Task StartExporterAndPrometheusAsync(ThrowawayCluster cluster, int attempt)
    {
        var queries = Path.Combine(RepoPaths.Root, "deploy", "postgres_exporter", "walsim-queries.yaml");
        var user = new NpgsqlConnectionStringBuilder(cluster.ConnectionString).Username;
        var exporter = new ProcessStartInfo("prometheus-postgres-exporter")
        {
            ArgumentList = { $"--web.listen-address=127.0.0.1:{ExporterPort}", $"--extend.query-path={queries}" },
            Environment = { ["DATA_SOURCE_NAME"] = $"postgresql://{user}@:5432/postgres?host={cluster.Directory}&sslmode=disable" },
        };
        Start(exporter, "exporter.log");
        var config = Path.Combine(_dir, $"prometheus-{attempt}.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: postgres
                static_configs:
                  - targets: ['127.0.0.1:{ExporterPort}']
            """);
        Start(new ProcessStartInfo("prometheus")
        {
            ArgumentList = { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir, $"tsdb-{attempt}")}", $"--web.listen-address=127.0.0.1:{PrometheusPort}" },
        }, "prometheus.log");
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var body = await http.GetStringAsync($"http://127.0.0.1:{PrometheusPort}/api/v1/query?query=walsim_wal_lsn_bytes");
                if (body.Contains("walsim_wal_lsn_bytes", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException) { }
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30),
                $"Prometheus has no walsim_wal_lsn_bytes after 30 s: {Tail("exporter.log")} {Tail("prometheus.log")}");
            await Task.Delay(250);
        }
    }

    private void Start(ProcessStartInfo psi, string log)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var p = Process.Start(psi)!;
        _processes.Add(p);
        var writer = new StreamWriter(Path.Combine(_dir, log)) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    private string Tail(string log)
    {
        try { return string.Join('\n', File.ReadLines(Path.Combine(_dir, log)).TakeLast(5)); }
        catch (IOException) { return ""; }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));



    /// <summary>Creates the slot 'late' <paramref name="after"/> into the recording; returns when it did (null if the
    /// recording ended first).</summary>
    private static async Task<DateTimeOffset?> CreateLaterAsync(ThrowawayCluster cluster, TimeSpan after, CancellationToken ct)
    {
        try { await Task.Delay(after, ct); } catch (OperationCanceledException) { return null; }
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        await Exec(c, "SELECT pg_create_physical_replication_slot('late', true)");
        return DateTimeOffset.UtcNow;
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}

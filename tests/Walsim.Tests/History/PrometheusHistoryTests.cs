using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.History;

/// <summary>
/// A Prometheus as a recorded history, against a small fake Prometheus that keeps series in memory and answers the
/// query shapes walsim sends (a range query returns each grid point's latest sample within five minutes, as
/// Prometheus does). Metric names as the exporter versions publish them (docs/cli.md, "Prometheus metric names").
/// </summary>
public sealed partial class PrometheusHistoryTests
{
    private static readonly DateTimeOffset End = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string Db1 = "instance=db1:9187,job=postgres";

    [Fact]
    public void Postgres_exporter_0_16_gives_restart_lsn_as_the_current_position_minus_the_slots_lag_and_wal_status_from_its_label()
    {
        // 10 minutes of 15 s scrapes: WAL at 1 MB/s (from 0/10000000); slot "cdc" stalled at 0/10000000, physical "rep"
        // 2 MB behind; cdc's wal_status turns extended after 5 minutes.
        var fake = new FakePrometheus();
        var t0 = End.AddMinutes(-10);
        for (var k = 0; k <= 40; k++)
        {
            var t = t0.AddSeconds(15 * k);
            var head = 0x10000000L + k * 15L * 1048576;
            fake.Add("pg_settings_server_version_num", Db1, t, 160004);
            fake.Add("pg_settings_wal_segment_size_bytes", Db1, t, 16 * 1048576);
            fake.Add("pg_settings_max_wal_size_bytes", Db1, t, 1024.0 * 1048576);
            fake.Add("pg_settings_max_slot_wal_keep_size_bytes", Db1, t, 10240.0 * 1048576);
            fake.Add("pg_settings_checkpoint_timeout_seconds", Db1, t, 300);
            fake.Add("pg_settings_wal_recycle", Db1, t, 1);
            fake.Add("pg_wal_segments", Db1, t, 70);
            fake.Add("pg_wal_size_bytes", Db1, t, 70.0 * 16 * 1048576);
            foreach (var (slot, type, restart) in new[] { ("cdc", "logical", 0x10000000L), ("rep", "physical", head - 2 * 1048576) })
            {
                var labels = $"{Db1},slot_name={slot},slot_type={type}";
                fake.Add("pg_replication_slots_slot_current_wal_lsn", labels, t, head);
                fake.Add("pg_replication_slots_pg_wal_lsn_diff", $"{Db1},slot_name={slot},database={(type == "logical" ? "app" : "")}", t, head - restart);
                fake.Add("pg_replication_slots_slot_is_active", labels, t, slot == "rep" ? 1 : 0);
                fake.Add("pg_replication_slots_wal_status", $"{labels},wal_status={(slot == "cdc" && k > 20 ? "extended" : "reserved")}", t, 1);
            }
        }

        var history = Open(fake, new PrometheusQuery { End = End, Range = TimeSpan.FromHours(1) });

        Assert.Equal("Prometheus history without walsim's custom queries (deploy/postgres_exporter/walsim-queries.yaml)", history.Kind);
        Assert.Equal(HistoryEvidence.WalPositions | HistoryEvidence.SlotPositions | HistoryEvidence.SlotStatus | HistoryEvidence.SlotInvalidations
            | HistoryEvidence.Settings, history.Shows);
        Assert.Equal((new PgVersion(16, 4), WalSegmentSize.FromMegabytes(16), TimeSpan.FromSeconds(15)), (history.Version!.Value, history.SegmentSize, history.Step));
        var frames = history.Frames().ToList();
        Assert.Equal(41, frames.Count);
        var last = frames[^1];
        Assert.Equal((End, new Lsn(0x10000000UL + 600 * 1048576UL), 70L), (last.Server.ServerTime, last.Server.WriteLsn, last.Server.PgWalFiles));
        Assert.Equal((Lsn.Invalid, (string?)null), (last.Server.RedoLsn, last.Server.OldestWalFile)); // not shown, not guessed
        var cdc = last.Slot("cdc")!.Value;
        var rep = last.Slot("rep")!.Value;
        Assert.Equal((SlotKind.Logical, new Lsn(0x10000000), false, WalStatus.Extended), (cdc.Kind, cdc.RestartLsn, cdc.Active, cdc.WalStatus));
        Assert.Equal((SlotKind.Physical, new Lsn(0x10000000UL + 598 * 1048576UL), true, WalStatus.Reserved), (rep.Kind, rep.RestartLsn, rep.Active, rep.WalStatus));
        Assert.Equal(WalStatus.Reserved, frames[20].Slot("cdc")!.Value.WalStatus);
        // Sizes come in bytes and times in seconds; the sidecar's form is setting + unit.
        Assert.Contains(history.Settings, s => s is { Name: "max_slot_wal_keep_size", Value: "10240", Unit: "MB", Sample: 0 });
        Assert.Contains(history.Settings, s => s is { Name: "checkpoint_timeout", Value: "300", Unit: "s" });
        Assert.Contains(history.Settings, s => s is { Name: "wal_recycle", Value: "on" });

        // A forecast does without the redo pointer and pg_wal, and says so; a what-if cannot, and says what it lacks.
        history.Require(HistoryUse.Forecast);
        Assert.Equal("http://prometheus:9090: a Prometheus history without walsim's custom queries (deploy/postgres_exporter/walsim-queries.yaml) does not show " +
            "the redo pointer at each reading and the files in pg_wal: the forecast starts as if a checkpoint began at the last reading (redo = the WAL " +
            "position then) and pg_wal held only the files from that segment up", history.Without(HistoryUse.Forecast));
        var e = Assert.Throws<HistorySourceException>(() => history.Require(HistoryUse.WhatIf));
        Assert.Contains("a what-if needs the redo pointer at each reading and the files in pg_wal, which a Prometheus history without walsim's custom queries", e.Message);
    }

    [Fact]
    public void A_range_longer_than_10000_steps_is_read_in_chunks_under_prometheus_11000_points_per_series_limit()
    {
        // 2 days of 15 s scrapes = 11,521 points: two chunks of at most 10,000.
        var fake = new FakePrometheus();
        var t0 = End.AddDays(-2);
        for (var k = 0; k <= 2 * 86400 / 15; k++)
        {
            var t = t0.AddSeconds(15 * k);
            fake.Add("walsim_wal_lsn_bytes", Db1, t, 1e9 + k * 8192.0);
            if (k % 40 == 0) fake.Add("pg_settings_server_version_num", Db1, t, 150010);
        }
        var history = Open(fake, new PrometheusQuery { End = End, Range = TimeSpan.FromDays(2) });

        var frames = history.Frames().ToList();

        Assert.Equal(2 * 86400 / 15 + 1, frames.Count);
        Assert.Equal(Enumerable.Range(0, frames.Count).Select(k => new Lsn((ulong)(1e9 + k * 8192.0))), frames.Select(f => f.Server.WriteLsn));
        Assert.True(fake.RangeQueries.Count > 0 && fake.RangeQueries.All(q => q.Points <= 10_000), string.Join(", ", fake.RangeQueries.Select(q => q.Points)));
    }

    [Fact]
    public void Postgres_exporter_0_11_without_walsims_queries_shows_no_wal_position_and_says_which_file_to_load()
    {
        var fake = new FakePrometheus();
        for (var k = 0; k < 10; k++)
        {
            fake.Add("pg_replication_slots_pg_wal_lsn_diff", $"{Db1},slot_name=cdc,database=app", End.AddSeconds(-15 * k), 1e6);
            fake.Add("pg_settings_server_version_num", Db1, End.AddSeconds(-15 * k), 150010);
        }

        var e = Assert.Throws<HistorySourceException>(() => Open(fake, new PrometheusQuery { End = End }));

        Assert.Equal(HistoryProblem.Unsuitable, e.Problem);
        Assert.Contains("no series of the current WAL position in the last 7d", e.Message);
        Assert.Contains("load deploy/postgres_exporter/walsim-queries.yaml with --extend.query-path", e.Message);
    }

    [Fact]
    public void Two_clusters_are_named_and_instance_picks_one()
    {
        var fake = new FakePrometheus();
        foreach (var instance in new[] { "db1:9187", "db2:9187" })
            for (var k = 0; k < 10; k++)
            {
                fake.Add("walsim_wal_lsn_bytes", $"instance={instance},job=postgres", End.AddSeconds(-15 * k), instance == "db1:9187" ? 1e9 : 2e9);
                fake.Add("pg_settings_server_version_num", $"instance={instance},job=postgres", End.AddSeconds(-15 * k), 170002);
            }

        var e = Assert.Throws<HistorySourceException>(() => Open(fake, new PrometheusQuery { End = End }));
        Assert.Contains("2 clusters have walsim_wal_lsn_bytes: {job=\"postgres\",instance=\"db1:9187\"}; {job=\"postgres\",instance=\"db2:9187\"}; pick one with --instance NAME", e.Message);

        var db2 = Open(fake, new PrometheusQuery { End = End, Match = "instance=\"db2:9187\"" });
        Assert.Equal(new Lsn(2_000_000_000), db2.Frames().Last().Server.WriteLsn);
    }

    // pgwatch 3's Prometheus sink: <namespace>_<metric>_<column>, its tag_ columns as labels. settings_num has every
    // pg_settings row as a number in pg_settings' own unit (MB, s, bytes for wal_segment_size), an enum as the 1-based
    // position of its value in enumvals: wal_level {minimal, replica, logical} → 3 is logical, archive_mode
    // {always, on, off} → 2 is on. A reload of max_wal_size from 1024 to 2048 MB 30 minutes in is a second row.
    private const string Pgwatch = "dbname=db1,instance=pgwatch:9187,job=pgwatch";

    private static FakePrometheus PgwatchFake(bool settingsNum)
    {
        var fake = new FakePrometheus();
        var t0 = End.AddHours(-1);
        for (var k = 0; k <= 60; k++)
        {
            var t = t0.AddMinutes(k);
            fake.Add("pgwatch_wal_xlog_location_b", $"{Pgwatch},sys_id=7710620091118143205", t, 0x20000000L + k * 60L * 65536);
            fake.Add("pgwatch_replication_slots_restart_lsn_lag_b", $"{Pgwatch},slot_name=cdc,plugin=pgoutput", t, k * 60L * 65536);
            fake.Add("pgwatch_replication_slots_active", $"{Pgwatch},slot_name=cdc,plugin=pgoutput", t, 0);
            if (!settingsNum || k % 10 != 0) continue; // settings_num runs less often than wal
            foreach (var (name, value) in new (string, double)[]
                     {
                         ("server_version_num", 170006), ("wal_segment_size", 64 * 1048576), ("max_wal_size", k >= 30 ? 2048 : 1024),
                         ("max_slot_wal_keep_size", 4096), ("checkpoint_timeout", 900), ("wal_recycle", 1), ("wal_level", 3), ("archive_mode", 2),
                     })
                fake.Add("pgwatch_settings_num_value", $"{Pgwatch},name={name}", t, value);
        }
        return fake;
    }

    [Fact]
    public void Pgwatch_settings_num_gives_the_version_segment_size_and_settings_with_enums_by_their_position_in_enumvals()
    {
        var history = Open(PgwatchFake(settingsNum: true), new PrometheusQuery { End = End, Range = TimeSpan.FromHours(2) });

        Assert.Equal((new PgVersion(17, 6), WalSegmentSize.FromMegabytes(64)), (history.Version!.Value, history.SegmentSize));
        Assert.True(history.Shows.HasFlag(HistoryEvidence.Settings));
        Assert.Contains(history.Settings, s => s is { Name: "wal_level", Value: "logical", Sample: 0 });
        Assert.Contains(history.Settings, s => s is { Name: "archive_mode", Value: "on" });
        Assert.Contains(history.Settings, s => s is { Name: "max_slot_wal_keep_size", Value: "4096", Unit: "MB" });
        Assert.Contains(history.Settings, s => s is { Name: "checkpoint_timeout", Value: "900", Unit: "s" });
        Assert.Contains(history.Settings, s => s is { Name: "wal_recycle", Value: "on" });
        var maxWal = history.Settings.Where(s => s.Name == "max_wal_size").ToList();
        Assert.Equal([("1024", 0L), ("2048", maxWal[1].Sample)], maxWal.Select(s => (s.Value, s.Sample)));
        Assert.Equal(End.AddMinutes(-30), maxWal[1].LocalTime);
        // The slot: the position minus its lag, i.e. stalled at 0/20000000; the cluster from pgwatch's sys_id label.
        var last = history.Frames().Last();
        Assert.Equal((new Lsn(0x20000000), 7710620091118143205UL), (last.Slot("cdc")!.Value.RestartLsn, last.Server.SystemIdentifier));
    }

    [Fact]
    public void Pgwatch_without_settings_num_needs_the_version_and_takes_pg_and_wal_segment_size_from_the_command_line()
    {
        var e = Assert.Throws<HistorySourceException>(() => Open(PgwatchFake(settingsNum: false), new PrometheusQuery { End = End, Range = TimeSpan.FromHours(2) }));
        Assert.Contains("no pg_settings_server_version_num or pgwatch_settings_num_value{name=\"server_version_num\"} series", e.Message);
        Assert.Contains("give --pg VERSION", e.Message);

        var history = Open(PgwatchFake(settingsNum: false), new PrometheusQuery
        {
            End = End, Range = TimeSpan.FromHours(2), Version = new PgVersion(16, 10), SegmentSize = WalSegmentSize.FromMegabytes(32),
        });
        Assert.Equal((new PgVersion(16, 10), WalSegmentSize.FromMegabytes(32)), (history.Version!.Value, history.SegmentSize));
        Assert.False(history.Shows.HasFlag(HistoryEvidence.Settings));
    }

    // What the exporter publishes wins over --pg: the flag is for a Prometheus that does not publish the version.
    [Fact]
    public void A_published_version_wins_over_the_command_lines()
    {
        var history = Open(PgwatchFake(settingsNum: true), new PrometheusQuery { End = End, Range = TimeSpan.FromHours(2), Version = new PgVersion(15, 1) });
        Assert.Equal(new PgVersion(17, 6), history.Version!.Value);
    }

    // postgres_exporter leaves enum parameters out; walsim-queries.yaml's walsim_setting exports them as labels, one
    // series per value: wal_level replica, then logical after a restart 40 minutes in.
    [Fact]
    public void Walsim_queries_give_wal_level_from_the_setting_label_and_its_change()
    {
        var fake = new FakePrometheus();
        var t0 = End.AddHours(-1);
        for (var k = 0; k <= 240; k++)
        {
            var t = t0.AddSeconds(15 * k);
            fake.Add("walsim_wal_lsn_bytes", Db1, t, 1e9 + k * 1e6);
            fake.Add("pg_settings_server_version_num", Db1, t, 160004);
            fake.Add("pg_settings_max_wal_size_bytes", Db1, t, 1024.0 * 1048576);
            fake.Add("walsim_setting_info", $"{Db1},name=wal_level,setting={(k < 160 ? "replica" : "logical")}", t, 1);
            fake.Add("walsim_setting_info", $"{Db1},name=archive_mode,setting=off", t, 1);
        }

        var history = Open(fake, new PrometheusQuery { End = End, Range = TimeSpan.FromHours(1) });

        var walLevel = history.Settings.Where(s => s.Name == "wal_level").ToList();
        Assert.Equal(["replica", "logical"], walLevel.Select(s => s.Value));
        Assert.Equal((0L, t0.AddSeconds(15 * 160)), (walLevel[0].Sample, walLevel[1].LocalTime));
        Assert.Contains(history.Settings, s => s is { Name: "archive_mode", Value: "off" });
    }

    // forecast --workload-from takes a Prometheus URL like every other history input, read with the --prometheus
    // options (here --range), through the one history opener: two hours of pgwatch scrapes (PostgreSQL 17.6, WAL at
    // 64 kB/s) served on loopback, the samples a PostgreSQL 15 trace. The fit is made from Prometheus (its name in
    // the report) and the major upgrade between them is warned about.
    [Fact]
    public void Forecast_workload_from_takes_a_prometheus_url_with_the_prometheus_options()
    {
        var now = DateTimeOffset.UtcNow;
        var fake = new FakePrometheus();
        for (var k = 0; k <= 480; k++)
        {
            var t = now.AddSeconds(-15 * (480 - k));
            fake.Add("pgwatch_wal_xlog_location_b", Pgwatch, t, 0x20000000L + k * 15L * 65536);
            if (k % 40 == 0)
                foreach (var (name, value) in new (string, double)[] { ("server_version_num", 170006), ("wal_segment_size", 16 * 1048576), ("max_wal_size", 1024) })
                    fake.Add("pgwatch_settings_num_value", $"{Pgwatch},name={name}", t, value);
        }
        var url = $"http://127.0.0.1:{LoopbackPorts.Free()}/"; // a port the system picks: no fixed port to collide with
        using var listener = new HttpListener();
        listener.Prefixes.Add(url);
        listener.Start();
        // Its own thread, not the pool's: the whole suite runs in parallel, and a starved pool left the CLI waiting.
        var serving = Task.Factory.StartNew(() => Serve(listener, fake), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var samples = Path.Combine(RepoPaths.Root, "scenarios", "traces", "diurnal-pg15", "samples.csv");

        var run = Walsim.Tests.Cli.CliRun.Invoke(null, "forecast", samples, "--workload-from", url, "--range", "3h", "--horizon", "1h", "--runs", "20");
        listener.Stop();

        Assert.True(run.Code == 0, run.Err);
        Assert.Contains($"walsim: warning: --workload-from {url} is from PostgreSQL 17.6, the samples from 15.18", run.Err);
        Assert.Contains(url, run.Out);
        Assert.True(fake.RangeQueries.Count > 0);
    }


    private static void Serve(HttpListener listener, FakePrometheus fake)
    {
        using var invoker = new HttpMessageInvoker(fake);
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = listener.GetContext();
            }
            catch (HttpListenerException)
            {
                return; // stopped
            }
            using var body = new StreamReader(context.Request.InputStream);
            using var request = new HttpRequestMessage(HttpMethod.Post, context.Request.Url) { Content = new StringContent(body.ReadToEnd(), Encoding.UTF8, "application/x-www-form-urlencoded") };
            using var response = invoker.Send(request, CancellationToken.None);
            var bytes = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = "application/json";
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        }
    }


    [Fact]
    public void A_prometheus_error_is_quoted_and_an_unreachable_one_named()
    {
        var failing = new FakePrometheus { Failure = (HttpStatusCode.BadRequest, """{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": parse error"}""") };
        var e = Assert.Throws<HistorySourceException>(() => Open(failing, new PrometheusQuery { End = End }));
        Assert.Equal("http://prometheus:9090: Prometheus answered api/v1/query with HTTP 400: bad_data: invalid parameter \"query\": parse error", e.Message);

        var refused = new FakePrometheus { Failure = (HttpStatusCode.Unauthorized, "Unauthorized") };
        e = Assert.Throws<HistorySourceException>(() => Open(refused, new PrometheusQuery { End = End }));
        Assert.Contains("give --bearer-token-file FILE, or WALSIM_PROMETHEUS_USER and WALSIM_PROMETHEUS_PASSWORD", e.Message);
    }

    private static PrometheusHistory Open(FakePrometheus fake, PrometheusQuery query) =>
        (PrometheusHistory)HistorySources.Open("http://prometheus:9090", HistoryUse.WorkloadFit, new HistoryOptions { Prometheus = query with { Handler = fake } });

    /// <summary>Series in memory, and the PromQL shapes <see cref="PrometheusHistory"/> sends, answered as Prometheus would.</summary>
    private sealed partial class FakePrometheus : HttpMessageHandler
    {
        private readonly List<(string Name, SortedDictionary<string, string> Labels, List<(long Ms, double V)> Points)> _series = [];
        public (HttpStatusCode Status, string Body)? Failure { get; init; }
        public List<(string Query, int Points)> RangeQueries { get; } = [];
        private const long LookbackMs = 5 * 60 * 1000;

        public void Add(string name, string labels, DateTimeOffset at, double value)
        {
            var set = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in labels.Split(',', StringSplitOptions.RemoveEmptyEntries)) set[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
            var key = name + string.Join(",", set);
            var s = _series.FirstOrDefault(x => x.Name + string.Join(",", x.Labels) == key);
            if (s.Points is null) _series.Add(s = (name, set, []));
            s.Points.Add((at.ToUnixTimeMilliseconds(), value));
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Failure is { } f) return new HttpResponseMessage(f.Status) { Content = new StringContent(f.Body) };
            var form = request.Content!.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult().Split('&')
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
            long Ms(string key) => (long)Math.Round(double.Parse(form[key], CultureInfo.InvariantCulture) * 1000);
            var q = form["query"];
            var result = request.RequestUri!.AbsolutePath.EndsWith("query_range", StringComparison.Ordinal)
                ? Range(q, Ms("start"), Ms("end"), Ms("step")) : Instant(q, Ms("time"));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{string.Join(",", result)}]}}}}") };
        }

        /// <summary>The series a query names (by name, or a __name__ regex), filtered by its other label matchers.</summary>
        private IEnumerable<(string Name, SortedDictionary<string, string> Labels, List<(long Ms, double V)> Points)> Selected(string q)
        {
            var names = NameRegex().Match(q) is { Success: true } m ? new Regex("^(?:" + m.Groups[1].Value + ")$") : null;
            var matchers = MatcherRegex().Matches(q).Select(x => (x.Groups[1].Value, x.Groups[2].Value)).ToList();
            return _series.Where(s => names?.IsMatch(s.Name) ?? Regex.IsMatch(q, $@"\b{s.Name}\{{"))
                .Where(s => matchers.All(mt => s.Labels.TryGetValue(mt.Item1, out var v) && v == mt.Item2));
        }

        private List<string> Instant(string q, long at)
        {
            if (q.StartsWith("count by", StringComparison.Ordinal))
                return [.. Selected(q).GroupBy(s => s.Name + Target(s.Labels)).Select(g => Json(g.First().Name, g.First().Labels.Where(l => l.Key is "job" or "instance"), [(at, g.Count())], instant: true))];
            var window = long.Parse(WindowRegex().Match(q).Groups[1].Value, CultureInfo.InvariantCulture) * 1000;
            var inWindow = Selected(q).Select(s => (s, Points: s.Points.Where(p => p.Ms > at - window && p.Ms <= at).ToList())).Where(x => x.Points.Count > 0);
            return q.StartsWith("last_over_time", StringComparison.Ordinal)
                ? [.. inWindow.Select(x => Json(null, x.s.Labels, [(at, x.Points[^1].V)], instant: true))]
                : [.. inWindow.Select(x => Json(x.s.Name, x.s.Labels, x.Points))];
        }

        private List<string> Range(string q, long start, long end, long step)
        {
            var grid = new List<long>();
            for (var t = start; t <= end; t += step) grid.Add(t);
            RangeQueries.Add((q, grid.Count));
            var stamps = q.StartsWith("timestamp(", StringComparison.Ordinal);
            var answers = new List<(string? Name, IEnumerable<KeyValuePair<string, string>> Labels, List<(long, double)> Points)>();
            foreach (var s in Selected(q))
            {
                var points = new List<(long, double)>();
                var j = -1; // the last point at or before t
                foreach (var t in grid)
                {
                    while (j + 1 < s.Points.Count && s.Points[j + 1].Ms <= t) j++;
                    if (j >= 0 && s.Points[j].Ms > t - LookbackMs) points.Add((t, stamps ? s.Points[j].Ms / 1000.0 : s.Points[j].V));
                }
                if (points.Count > 0) answers.Add((stamps ? null : s.Name, s.Labels, points));
            }
            if (q.StartsWith("max(", StringComparison.Ordinal))
                return answers.Count == 0 ? [] : [Json(null, [], [.. answers.SelectMany(a => a.Points).GroupBy(p => p.Item1).Select(g => (g.Key, g.Max(p => p.Item2))).OrderBy(p => p.Key)])];
            return [.. answers.Select(a => Json(a.Name, a.Labels, a.Points))];
        }

        private static string Target(IEnumerable<KeyValuePair<string, string>> labels) =>
            string.Join(",", labels.Where(l => l.Key is "job" or "instance").Select(l => l.Key + "=" + l.Value));

        private static string Json(string? name, IEnumerable<KeyValuePair<string, string>> labels, List<(long Ms, double V)> points, bool instant = false)
        {
            var all = (name is null ? labels : labels.Prepend(new("__name__", name))).Select(l => $"\"{l.Key}\":\"{l.Value}\"");
            var values = points.Select(p => string.Create(CultureInfo.InvariantCulture, $"[{p.Ms / 1000.0},\"{p.V}\"]"));
            return instant ? $"{{\"metric\":{{{string.Join(",", all)}}},\"value\":{values.Single()}}}" : $"{{\"metric\":{{{string.Join(",", all)}}},\"values\":[{string.Join(",", values)}]}}";
        }

        [GeneratedRegex("__name__=~\"([^\"]+)\"")]
        private static partial Regex NameRegex();

        [GeneratedRegex("([a-z_]+)=\"([^\"]*)\"")]
        private static partial Regex MatcherRegex();

        [GeneratedRegex(@"\[(\d+)s\]")]
        private static partial Regex WindowRegex();
    }
}

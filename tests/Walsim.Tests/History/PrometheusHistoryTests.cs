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

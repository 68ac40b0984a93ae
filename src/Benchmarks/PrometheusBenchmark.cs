using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Forecasting;

namespace Walsim.Benchmarks;

/// <summary>
/// Issue 16's scale target: 30 days of 15-second history for 100 slots, read from Prometheus, must load and fit in
/// under 30 s. An in-process fake Prometheus (an <see cref="HttpMessageHandler"/>) answers walsim's queries with the
/// series postgres_exporter and walsim-queries.yaml publish for a synthetic cluster: 2 MB/s of WAL on a daily cycle,
/// a checkpoint every 5 minutes, 90 slots whose consumers keep up and 10 that stall on day 20. Prints the time of the
/// raw queries alone (HTTP and JSON, of which the fake's own JSON writing), and the total of opening the history,
/// reading it as a forecast does (<see cref="ForecastInput.Read(IRecordedHistory, ReplayLimit)"/>) and fitting the
/// workload.
/// </summary>
internal static class PrometheusBenchmark
{
    public static void Run(int days, int slots, int stepSeconds)
    {
        var ci = CultureInfo.InvariantCulture;
        var end = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        var fake = new FakePrometheus(end.ToUnixTimeSeconds() - days * 86400L, end.ToUnixTimeSeconds(), stepSeconds, slots);
        Console.WriteLine(string.Create(ci,
            $"walsim Prometheus benchmark: {days} days of {stepSeconds} s history for {slots} slots ({days * 86400L / stepSeconds + 1:N0} scrapes), served by an in-process fake Prometheus"));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        var query = new PrometheusQuery { End = end, Range = TimeSpan.FromDays(days), Handler = fake, Match = "job=\"postgres\"" };
        var history = (PrometheusHistory)HistorySources.Open("http://prometheus.invalid:9090", HistoryUse.Forecast, new HistoryOptions { Prometheus = query });
        var input = ForecastInput.Read(history);
        var read = total.Elapsed;
        var fit = WorkloadFitException.Fit(history.Name, input.Observations, new WorkloadFitOptions());
        total.Stop();
        Console.WriteLine(string.Create(ci,
            $"read {input.Samples:N0} frames of {input.Slots.Count} slots, step {history.Step.TotalSeconds:0} s, in {history.QueryCalls} queries; {fake.Bytes / 1e9:0.00} GB of JSON"));
        Console.WriteLine(string.Create(ci,
            $"fit: median {ByteCount.Format((long)fit.Report.Rates.MedianBytesPerSecond)}/s, cycle {(fit.Report.Cycle.Accepted ? "accepted" : "rejected")}; stalled slots {input.Slots.Count(s => s.Consumer == ConsumerState.Stalled)}"));
        Console.WriteLine(string.Create(ci,
            $"raw queries {history.QueryTime.TotalSeconds:0.00} s (of which the fake server writing JSON {fake.Writing.TotalSeconds:0.00} s); frames {read.TotalSeconds:0.00} s; load and fit {total.Elapsed.TotalSeconds:0.00} s (target < 30 s), {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s of processor time{(fake.WritingCpu is { } w ? $" (the fake server's {w.TotalSeconds:0.00} s)" : "")}"));
    }

    /// <summary>Answers the queries <see cref="PrometheusHistory"/> sends (recognised by their shape) from a formula.</summary>
    private sealed class FakePrometheus(long startS, long endS, int stepS, int slots) : HttpMessageHandler
    {
        private const double Rate = 2 * 1048576.0;
        private const long Segment = 16 * 1048576;
        private const string Target = "\"instance\":\"db1:9187\",\"job\":\"postgres\"";
        private readonly Stopwatch _writing = new();
        private TimeSpan? _writingCpu = ThreadCpu() is null ? null : TimeSpan.Zero;

        public long Bytes { get; private set; }
        public TimeSpan Writing => _writing.Elapsed;

        /// <summary>The processor time of the fake's JSON writing (its thread's clock; null where there is none), so
        /// that walsim's own share of the run's processor time can be told.</summary>
        public TimeSpan? WritingCpu => _writingCpu;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var form = request.Content!.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult().Split('&')
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
            _writing.Start();
            var cpuBefore = ThreadCpu();
            var q = form["query"];
            var body = Interlocked.Exchange(ref _spare, null) ?? new MemoryStream(q.Contains("walsim_slot_", StringComparison.Ordinal) ? 160 << 20 : 1 << 20);
            body.SetLength(0);
            body.Write("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["u8);
            var first = true;
            if (request.RequestUri!.AbsolutePath.EndsWith("/query_range", StringComparison.Ordinal))
                Range(body, q, Seconds(form["start"]), Seconds(form["end"]), Seconds(form["step"]), ref first);
            else Instant(body, q, Seconds(form["time"]), ref first);
            body.Write("]}}"u8);
            _writing.Stop();
            if (ThreadCpu() - cpuBefore is { } spent) _writingCpu += spent;
            Bytes += body.Length;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new Answer(this, body) };
        }

        // One buffer for the answers, taken back when the client is done with one (walsim disposes each response
        // after reading it): a fresh 160 MB buffer per slot query cost the machine's two cores page faults.
        private MemoryStream? _spare;

        private sealed class Answer(FakePrometheus owner, MemoryStream body) : ByteArrayContent(body.GetBuffer(), 0, (int)body.Length)
        {
            protected override void Dispose(bool disposing)
            {
                if (disposing) owner._spare = body;
                base.Dispose(disposing);
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds, Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out Timespec time);

        /// <summary>The calling thread's processor time (Linux's CLOCK_THREAD_CPUTIME_ID); null elsewhere.</summary>
        private static TimeSpan? ThreadCpu()
        {
            if (!OperatingSystem.IsLinux()) return null;
            try
            {
                return ClockGetTime(3, out var t) == 0 ? TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100) : null;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return null;
            }
        }

        private static long Seconds(string s) => (long)double.Parse(s, CultureInfo.InvariantCulture);

        // ---- the synthetic cluster

        private double T(long t) => t - startS;
        private double Head(long t) => 1e9 + Rate * (T(t) + 0.5 * 86400 / (2 * Math.PI) * (1 - Math.Cos(2 * Math.PI * T(t) / 86400)));
        private bool Stalled(int slot) => slot >= slots - Math.Max(1, slots / 10);
        private long StallAt(int slot) => startS + 20 * 86400 + (slot % 10) * 3600;
        private double Restart(int slot, long t, double head) => Stalled(slot) && t > StallAt(slot) ? Head(StallAt(slot)) : head - (1 + slot % 10) * Rate;
        private long Redo(long t) => (long)Head(t / 300 * 300);
        private double Oldest(long t, double head)
        {
            var min = (double)Redo(t);
            for (var s = slots - 1; s >= 0 && Stalled(s); s--) min = Math.Min(min, Restart(s, t, head));
            return Math.Floor(min / Segment);
        }

        private static readonly (string Name, double Value)[] Settings =
        [
            ("pg_settings_max_wal_size_bytes", 1024.0 * 1048576), ("pg_settings_min_wal_size_bytes", 80.0 * 1048576),
            ("pg_settings_wal_keep_size_bytes", 0), ("pg_settings_max_slot_wal_keep_size_bytes", -1048576),
            ("pg_settings_checkpoint_timeout_seconds", 300), ("pg_settings_checkpoint_completion_target", 0.9),
            ("pg_settings_wal_recycle", 1), ("pg_settings_archive_timeout_seconds", 0), ("pg_settings_max_replication_slots", 200),
            ("pg_settings_log_checkpoints", 1),
        ];

        private static readonly string[] ServerFamilies =
            ["walsim_wal_lsn_bytes", "walsim_wal_insert_lsn_bytes", "walsim_checkpoint_redo_lsn_bytes", "walsim_checkpoint_lsn_bytes",
             "walsim_checkpoint_time_seconds", "walsim_checkpoint_timeline", "walsim_pg_wal_files", "walsim_pg_wal_bytes",
             "walsim_pg_wal_oldest_segno", "walsim_pg_wal_newest_segno"];

        private static readonly string[] SlotFamilies =
            ["walsim_slot_restart_lsn_bytes", "walsim_slot_confirmed_flush_lsn_bytes", "walsim_slot_active", "walsim_slot_safe_wal_size_bytes", "walsim_slot_wal_status"];

        private double Server(string family, long t, double head) => family switch
        {
            "walsim_wal_lsn_bytes" or "walsim_wal_insert_lsn_bytes" => head,
            "walsim_checkpoint_redo_lsn_bytes" => Redo(t),
            "walsim_checkpoint_lsn_bytes" => Redo(t) + 104,
            "walsim_checkpoint_time_seconds" => t / 300 * 300,
            "walsim_checkpoint_timeline" => 1,
            "walsim_pg_wal_files" => Math.Floor(head / Segment) + 3 - Oldest(t, head),
            "walsim_pg_wal_bytes" => (Math.Floor(head / Segment) + 3 - Oldest(t, head)) * Segment,
            "walsim_pg_wal_oldest_segno" => Oldest(t, head),
            "walsim_pg_wal_newest_segno" => Math.Floor(head / Segment) + 2,
            _ => throw new InvalidOperationException(family),
        };

        private double Slot(string family, int slot, long t, double head) => family switch
        {
            "walsim_slot_restart_lsn_bytes" => Restart(slot, t, head),
            "walsim_slot_confirmed_flush_lsn_bytes" => slot % 2 == 1 ? Restart(slot, t, head) + 64 : -1,
            "walsim_slot_active" => Stalled(slot) && t > StallAt(slot) ? 0 : 1,
            "walsim_slot_safe_wal_size_bytes" => -1,
            "walsim_slot_wal_status" => head - Restart(slot, t, head) > 1024.0 * 1048576 ? 2 : 1,
            _ => throw new InvalidOperationException(family),
        };

        private static string SlotLabels(int slot) =>
            $"\"slot_name\":\"slot{slot:D3}\",\"slot_type\":\"{(slot % 2 == 1 ? "logical" : "physical")}\",\"database\":\"{(slot % 2 == 1 ? "app" : "")}\"";

        // ---- answers

        private void Instant(MemoryStream body, string q, long at, ref bool first)
        {
            if (q.StartsWith("count by", StringComparison.Ordinal))
            {
                foreach (var f in ServerFamilies.Concat(SlotFamilies).Append("pg_settings_server_version_num").Append("pg_settings_max_wal_size_bytes"))
                    Series(body, $"\"__name__\":\"{f}\",{Target}", [at], _ => slots, ref first, instant: true);
            }
            else if (q.Contains("pg_settings_server_version_num", StringComparison.Ordinal))
                Series(body, Target, [at], _ => 150010, ref first, instant: true);
            else if (q.Contains("pg_settings_wal_segment_size_bytes", StringComparison.Ordinal))
                Series(body, Target, [at], _ => Segment, ref first, instant: true);
            else if (q.StartsWith("walsim_wal_lsn_bytes", StringComparison.Ordinal) && q.EndsWith("s]", StringComparison.Ordinal))
            {
                // Raw samples of the last hour: the scrape interval.
                var times = Enumerable.Range(0, 3600 / stepS).Select(k => at - 3600 + (long)k * stepS + stepS).ToArray();
                Series(body, $"\"__name__\":\"walsim_wal_lsn_bytes\",{Target}", times, k => Head(times[k]), ref first);
            }
            else throw new InvalidOperationException($"the fake Prometheus does not answer {q}");
        }

        private void Range(MemoryStream body, string q, long from, long to, long step, ref bool first)
        {
            var times = new List<long>();
            for (var t = from; t <= to; t += step)
                if (t >= startS && t <= endS) times.Add(t);
            var grid = times.ToArray();
            var heads = Array.ConvertAll(grid, Head);
            if (q.StartsWith("timestamp(", StringComparison.Ordinal))
                Series(body, Target, grid, k => grid[k], ref first);
            else if (q.StartsWith("walsim_wal_lsn_bytes", StringComparison.Ordinal))
                Series(body, $"\"__name__\":\"walsim_wal_lsn_bytes\",{Target}", grid, k => heads[k], ref first);
            else if (q.Contains("walsim_slot_", StringComparison.Ordinal))
            {
                // The points of a slot that keeps up depend on slot % 10 alone: each such series is formatted once and
                // its bytes copied for the other slots that share it (the same answer, at a ninth of the formatting).
                var shared = new Dictionary<(string, int), byte[]>();
                for (var s = 0; s < slots; s++)
                    foreach (var f in SlotFamilies)
                    {
                        var slot = s;
                        var labels = $"\"__name__\":\"{f}\",{Target},{SlotLabels(s)}";
                        if (Stalled(s)) Series(body, labels, grid, k => Slot(f, slot, grid[k], heads[k]), ref first);
                        else
                        {
                            if (!shared.TryGetValue((f, s % 10), out var points))
                            {
                                using var one = new MemoryStream();
                                Points(one, grid, k => Slot(f, slot, grid[k], heads[k]));
                                shared[(f, s % 10)] = points = one.ToArray();
                            }
                            Series(body, labels, points, ref first);
                        }
                    }
            }
            else if (q.Contains("pg_settings_", StringComparison.Ordinal))
            {
                foreach (var (name, value) in Settings)
                    Series(body, $"\"__name__\":\"{name}\",{Target}", grid, _ => value, ref first);
            }
            else if (q.Contains("walsim_", StringComparison.Ordinal))
            {
                foreach (var f in ServerFamilies.Where(f => f != "walsim_wal_lsn_bytes" && q.Contains(f, StringComparison.Ordinal)))
                    Series(body, $"\"__name__\":\"{f}\",{Target}", grid, k => Server(f, grid[k], heads[k]), ref first);
            }
            else throw new InvalidOperationException($"the fake Prometheus does not answer {q}");
        }

        private static void Series(MemoryStream body, string labels, long[] times, Func<int, double> valueAt, ref bool first, bool instant = false)
        {
            Open(body, labels, ref first, instant);
            Points(body, times, valueAt);
            if (!instant) body.WriteByte((byte)']');
            body.WriteByte((byte)'}');
        }

        private static void Series(MemoryStream body, string labels, byte[] points, ref bool first)
        {
            Open(body, labels, ref first, instant: false);
            body.Write(points);
            body.WriteByte((byte)']');
            body.WriteByte((byte)'}');
        }

        private static void Open(MemoryStream body, string labels, ref bool first, bool instant)
        {
            if (!first) body.WriteByte((byte)',');
            first = false;
            body.Write(Encoding.UTF8.GetBytes($"{{\"metric\":{{{labels}}},\"{(instant ? "value" : "values")}\":"));
            if (!instant) body.WriteByte((byte)'[');
        }

        /// <summary><c>[t,"v"],…</c>: the points at <paramref name="times"/>, the value of the k-th given by <paramref name="valueAt"/>(k).</summary>
        private static void Points(MemoryStream body, long[] times, Func<int, double> valueAt)
        {
            Span<byte> buffer = stackalloc byte[64];
            for (var k = 0; k < times.Length; k++)
            {
                if (k > 0) body.WriteByte((byte)',');
                var n = 0;
                buffer[n++] = (byte)'[';
                Utf8Formatter.TryFormat(times[k], buffer[n..], out var w);
                n += w;
                buffer[n++] = (byte)',';
                buffer[n++] = (byte)'"';
                var v = valueAt(k);
                if (v == Math.Floor(v) && Math.Abs(v) < 1e18) Utf8Formatter.TryFormat((long)v, buffer[n..], out w);
                else Utf8Formatter.TryFormat(v, buffer[n..], out w);
                n += w;
                buffer[n++] = (byte)'"';
                buffer[n++] = (byte)']';
                body.Write(buffer[..n]);
            }
        }
    }
}

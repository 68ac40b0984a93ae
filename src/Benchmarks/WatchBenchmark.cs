using System.Diagnostics;
using System.Globalization;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Watch;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Benchmarks;

/// <summary>
/// The watch benchmark of the watch issue: <c>walsim watch</c>'s <see cref="Watcher"/> fed a simulated day (by
/// default) of a PG15 primary with 100 slots sampled every 10 s — 8,640 samples, each as the sampler hands it over
/// (server part, 100 slot rows, the settings) — on a fake clock, with its defaults (6 h history, a forecast of 200
/// runs every 5 minutes, each awaited) and /metrics rendered every 30 s as a scraper would. The samples come from the
/// engine as the run goes (nothing is pre-built, so memory is the watcher's); the engine's own processor time is
/// measured alone first and taken off. Prints RSS and the managed heap through the day, processor time per sample,
/// and what that is as a share of one core at the real 10 s interval.
/// </summary>
internal static class WatchBenchmark
{
    public static void Run(double hours, int slotCount)
    {
        var ci = CultureInfo.InvariantCulture;
        var interval = SimDuration.FromSeconds(10);
        var version = BenchPrimary.Version;
        var slots = Enumerable.Range(0, slotCount).Select(i => new SlotSpec
        {
            Name = $"standby_{i:000}",
            Kind = i % 10 == 9 ? SlotKind.Logical : SlotKind.Physical,
            // A few consumers lag; one stops for good in the afternoon.
            Consumer = new ConsumerSpec
            {
                Lag = SimDuration.FromSeconds(i % 13),
                Outages = i == 42 ? [new Outage(SimTime.Zero + SimDuration.FromHours(hours / 2), SimTime.Never)] : [],
            },
        }).ToArray();
        var scenario = BenchPrimary.Scenario("watch-bench", slots, interval, SimDuration.FromHours(hours));
        var samples = (long)(hours * 3600 / interval.TotalSeconds);
        Console.WriteLine(string.Create(ci,
            $"walsim watch benchmark: {hours:0.#} simulated hours of PG {version} with {slotCount} slots sampled every 10 s ({samples:N0} samples) on a fake clock; history 6h, a 200-run forecast every 5min (awaited), /metrics every 30 s"));

        var me = Process.GetCurrentProcess();
        // The engine alone (its rows turned into samples and dropped), to take its processor time off.
        var engineCpu0 = me.TotalProcessorTime;
        var dry = new SampleFeed(scenario, version, null);
        Simulation.Run(scenario, version, dry);
        me.Refresh();
        var engineCpu = (me.TotalProcessorTime - engineCpu0).TotalSeconds;

        var clock = new FakeClock(SampleFeed.T0);
        var watcher = new Watcher(new WatchOptions("bench", TimeSpan.FromHours(6), interval.ToTimeSpan(), TimeSpan.FromMinutes(5),
            new ForecastOptions(SimDuration.FromHours(48), 200, 1, null), new WorkloadFitOptions()), clock, note: m => Console.WriteLine("  " + m));
        var feed = new SampleFeed(scenario, version, watcher) { Clock = clock };
        GC.Collect();
        me.Refresh();
        // "live MB": the managed heap after a full collection (what is really held); "committed MB": what the GC has
        // from the OS (the heap plus its allocation budget), most of RSS.
        Console.WriteLine($"  {"at",-9} {"samples",8} {"RSS MB",7} {"live MB",8} {"committed MB",13} {"history",8} {"forecasts",10} {"metrics kB",11}");
        void Print(string at)
        {
            var live = GC.GetTotalMemory(forceFullCollection: true);
            me.Refresh();
            var s = watcher.Snapshot();
            Console.WriteLine(string.Create(ci, $"  {at,-9} {s.Samples,8:N0} {me.WorkingSet64 / 1048576.0,7:0} {live / 1048576.0,8:0.0} {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0,13:0.0} {s.HistorySamples,8:N0} {s.Forecasts,10:N0} {feed.MetricsBytes / 1024.0,11:0.0}"));
        }
        Print("start");
        var marks = Enumerable.Range(1, 7).Select(k => (long)(samples * k / 8.0)).ToArray();
        feed.AtSample = n =>
        {
            var k = Array.IndexOf(marks, n);
            if (k >= 0) Print(string.Create(ci, $"{hours * (k + 1) / 8:0.#}h"));
        };
        var cpu0 = me.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        Simulation.Run(scenario, version, feed);
        watcher.PendingForecast?.Wait();
        wall.Stop();
        me.Refresh();
        var cpu = (me.TotalProcessorTime - cpu0).TotalSeconds;
        Print("end");
        var snapshot = watcher.Snapshot();
        var watchCpu = Math.Max(0, cpu - engineCpu);
        var perSample = watchCpu / snapshot.Samples;
        Console.WriteLine(string.Create(ci,
            $"  {snapshot.Samples:N0} samples, {snapshot.CheckpointsJudged:N0} checkpoints judged ({snapshot.Disagreements} disagreements), {snapshot.Forecasts} forecasts ({snapshot.ForecastFailures} failed), {feed.Scrapes:N0} scrapes in {wall.Elapsed.TotalSeconds:0.0} s"));
        Console.WriteLine(string.Create(ci,
            $"  CPU: {cpu:0.0} s in all, {engineCpu:0.0} s of it the engine making the samples; the watcher {watchCpu:0.0} s = {perSample * 1000:0.0} ms per sample = {perSample / interval.TotalSeconds * 100:0.00} % of a core at a 10 s interval; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB"));
    }

    /// <summary>The clock the watcher reads: set to each sample's time.</summary>
    private sealed class FakeClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Turns the engine's sample rows into what the sampler hands the watcher (<see cref="SimulatedSampler"/>,
    /// as <see cref="SimulatedSamples"/> does for a sample file), sets the clock, feeds the watcher, waits for a forecast
    /// it started, and renders the metrics every third sample.</summary>
    private sealed class SampleFeed(Scenario scenario, PgVersion version, Watcher? watcher) : ISimulationObserver
    {
        public static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
        private readonly SimulatedSampler _sampler = new(version, scenario.SegmentSize, T0);
        private readonly ServerSetting[] _settings = [.. scenario.Settings.Select(s => new ServerSetting(s.Key, s.Value, null))];

        public FakeClock? Clock { get; init; }
        public Action<long>? AtSample { get; set; }
        public long MetricsBytes { get; private set; }
        public long Scrapes { get; private set; }

        public void OnCheckpoint(CheckpointRecord checkpoint) => _sampler.OnCheckpoint(checkpoint);

        public void OnTimelineRow(TimelineRow row)
        {
            if (_sampler.Sample(row) is not { } server) return;
            var slots = new SlotSample[row.Slots.Count];
            for (var i = 0; i < slots.Length; i++) slots[i] = _sampler.Slot(row.Slots[i]);
            if (watcher is null) return;
            Clock!.Now = server.LocalTime;
            watcher.Write(new LiveSample(server, slots, _settings));
            watcher.PendingForecast?.Wait();
            if (server.Sample % 3 == 0)
            {
                MetricsBytes = WatchMetrics.Render(watcher.Snapshot()).Length;
                Scrapes++;
            }
            AtSample?.Invoke(server.Sample);
        }
    }
}

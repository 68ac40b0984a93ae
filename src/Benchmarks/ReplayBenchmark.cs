using System.Diagnostics;
using System.Globalization;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;

namespace Walsim.Benchmarks;

/// <summary>
/// The replay benchmark of the live-data issue: a sample file of N rows (default 10 million: three slots sampled every
/// 10 s for about 385 days of a simulated PG15 with a daily cycle and a consumer that stalls), written to a temporary
/// file by <see cref="SimulatedSamples"/>, then read and replayed; rows per second and memory are printed. Memory must
/// not grow with the file: the peak working set is printed next to the file size.
/// </summary>
internal static class ReplayBenchmark
{
    public static void Run(long rows)
    {
        var ci = CultureInfo.InvariantCulture;
        const int slots = 3;
        var samples = rows / slots;
        var interval = SimDuration.FromSeconds(10);
        var days = samples * interval.TotalSeconds / 86400.0;
        var version = BenchPrimary.Version;
        SlotSpec[] slotSpecs =
        [
            new SlotSpec { Name = "standby1", Consumer = new ConsumerSpec() },
            new SlotSpec { Name = "standby2", Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(30) } },
            // A CDC connector that is down for a day every 30 days; the 64GB cap outlasts 24 h at this rate.
            new SlotSpec
            {
                Name = "cdc", Kind = SlotKind.Logical,
                Consumer = new ConsumerSpec { Outages = [.. Enumerable.Range(0, (int)(days / 30) + 1).Select(k => new Outage(SimTime.Zero + SimDuration.FromDays(30 * k + 10), SimTime.Zero + SimDuration.FromDays(30 * k + 11)))] },
            },
        ];
        var scenario = BenchPrimary.Scenario("replay-bench", slotSpecs, interval, interval * (samples - 1) + SimDuration.FromSeconds(1));

        var path = Path.Combine(Path.GetTempPath(), $"walsim-replay-bench-{Environment.ProcessId}.csv");
        var settingsPath = SampleFile.SettingsPath(path);
        Console.WriteLine(string.Create(ci, $"walsim replay benchmark: {rows:N0} rows ({samples:N0} samples of {slots} slots every 10 s, {days:0} simulated days of PG {version})"));
        try
        {
            var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var write = Stopwatch.StartNew();
            long written;
            using (var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false), 1 << 20))
            {
                var sink = new SimulatedSamples(w, version, scenario.SegmentSize, t0);
                Simulation.Run(scenario, version, sink);
                written = sink.Rows;
            }
            using (var w = new StreamWriter(settingsPath)) SimulatedSamples.WriteSettings(w, scenario.Settings, t0);
            write.Stop();
            var size = new FileInfo(path).Length;
            Console.WriteLine(string.Create(ci, $"  written by the engine: {written:N0} rows, {size / 1048576.0:N0} MB in {write.Elapsed.TotalSeconds:0.0} s"));

            // Parse only, then the whole replay: both stream the file.
            // Wall-clock time, and this process's processor time (on a shared machine the steadier of the two).
            var me = Process.GetCurrentProcess();
            var cpu0 = me.TotalProcessorTime;
            var parse = Stopwatch.StartNew();
            long parsed = 0;
            foreach (var _ in SampleFile.Read(path)) parsed++;
            parse.Stop();
            me.Refresh();
            var parseCpu = (me.TotalProcessorTime - cpu0).TotalSeconds;
            Console.WriteLine(string.Create(ci, $"  read:   {parsed:N0} rows in {parse.Elapsed.TotalSeconds:0.00} s = {parsed / parse.Elapsed.TotalSeconds / 1e6:0.00} M rows/s ({parseCpu:0.00} s CPU = {parsed / parseCpu / 1e6:0.00} M rows/CPU-s)"));

            GC.Collect();
            // Opened as walsim replay opens it: recognised by its header, the sidecar read once.
            var history = HistorySources.Open(path, HistoryUse.ReplayDecisions);
            var settingRows = history.Settings;
            var replay = new LiveReplay(path, v => SampledSettings.From(settingRows, v));
            me.Refresh();
            var cpu1 = me.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            foreach (var frame in SampleFrames.ReadAhead(history.Frames())) replay.Add(frame);
            var summary = replay.Finish();
            sw.Stop();
            me.Refresh();
            var replayCpu = (me.TotalProcessorTime - cpu1).TotalSeconds;
            Console.WriteLine(string.Create(ci,
                $"  replay: {summary.Rows:N0} rows in {sw.Elapsed.TotalSeconds:0.00} s = {summary.Rows / sw.Elapsed.TotalSeconds / 1e6:0.00} M rows/s ({replayCpu:0.00} s CPU = {summary.Rows / replayCpu / 1e6:0.00} M rows/CPU-s); {summary.Checkpoints.Observed:N0} checkpoints, {summary.Agreed:N0}/{summary.Decisions:N0} decisions agree"));
            Console.WriteLine(string.Create(ci,
                $"  memory: peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB for a {size / 1048576.0:N0} MB file; GC heap after {GC.GetTotalMemory(true) / 1048576.0:0.0} MB"));
        }
        finally
        {
            File.Delete(path);
            File.Delete(settingsPath);
        }
    }
}

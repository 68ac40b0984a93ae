using System.Diagnostics;
using System.Globalization;
using Walsim.Simulator.Engine;

// Six benchmarks. Default (`Walsim.Benchmarks [days]`), the engine benchmark of the retention-engine issue: a
// one-year scenario, checkpoint_timeout=5min, 100 slots, every behaviour band; the timeline streamed to a file so
// memory must not grow with simulated time. `Walsim.Benchmarks forecast [runs] [buckets per step]`: Monte Carlo
// forecast-shaped runs (see ForecastBenchmark.cs). `Walsim.Benchmarks replay [rows]`: the replay benchmark of the
// live-data issue (a 10-million-row sample file by default; see ReplayBenchmark.cs). `Walsim.Benchmarks plan [runs]
// [threads] [scenario] [from-day-0]`: the capacity-planning sweep of the reports issue (see PlanBenchmark.cs).
// `Walsim.Benchmarks watch [hours] [slots]`: walsim watch's watcher on a fake clock (see WatchBenchmark.cs).
// `Walsim.Benchmarks log [MB]`: the log reader against pgbadger -j 1 on a generated stderr log (see LogBenchmark.cs).
if (args is ["watch", ..])
{
    Walsim.Benchmarks.WatchBenchmark.Run(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 24,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100);
    return;
}
if (args is ["log", ..])
{
    // log [MB] [--no-pgbadger] [--keep PATH]: PATH is written once and then reused (generating 1 GB takes a while).
    var keepAt = Array.IndexOf(args, "--keep");
    Walsim.Benchmarks.LogBenchmark.Run(args.Length > 1 && char.IsAsciiDigit(args[1][0]) ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1024,
        pgbadger: !args.Contains("--no-pgbadger"), keep: keepAt > 0 && keepAt + 1 < args.Length ? args[keepAt + 1] : null);
    return;
}
if (args is ["replay", ..])
{
    Walsim.Benchmarks.ReplayBenchmark.Run(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 10_000_000);
    return;
}
if (args is ["prometheus", ..])
{
    // `Walsim.Benchmarks prometheus [days] [slots] [step seconds]`: issue 16's 30 days of 15 s history for 100 slots.
    Walsim.Benchmarks.PrometheusBenchmark.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 15);
    return;
}
if (args is ["plan", ..])
{
    var planArgs = args.Skip(1).Where(a => a != "from-day-0").ToArray();
    Walsim.Benchmarks.PlanBenchmark.Run(planArgs.Length > 2 ? planArgs[2] : "scenarios/plan-cdc-and-standby-30d.yaml",
        planArgs.Length > 0 ? int.Parse(planArgs[0], CultureInfo.InvariantCulture) : 500,
        planArgs.Length > 1 ? int.Parse(planArgs[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount,
        fromDayZero: args.Contains("from-day-0"));
    return;
}
if (args.Length > 0 && args[0] == "forecast")
{
    ForecastBenchmark.Run(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1);
    return;
}
var days = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 365;
// BANDS=17,18 measures those majors' bands alone (a profile of one band); default every band.
var onlyMajors = Environment.GetEnvironmentVariable("BANDS")?.Split(',').Select(m => int.Parse(m, CultureInfo.InvariantCulture)).ToHashSet();
var bands = SupportedVersions.OnePerBand().Where(v => onlyMajors is null || onlyMajors.Contains(v.Major)).ToArray();
var scenario = OneYear(days);
var ci = CultureInfo.InvariantCulture;

Console.WriteLine(string.Create(ci, $"walsim engine benchmark: {days} simulated days, checkpoint_timeout=5min, {scenario.Slots.Count} slots, daily-cycle load, timeline every 5min streamed to a file"));
Console.WriteLine("warm-up ...");
// Every band, and for long enough (about two seconds) that the JIT's tiered recompilation, which waits for a quiet
// 100 ms, has finished: otherwise the first band measured pays for it. The bands take turns, two simulated hours
// each: the optimised code is compiled from a profile of the calls made while it was instrumented, and with one band
// after another (60 days each) that profile was band 12's alone — no wal_status, no last_saved_restart_lsn — so the
// paths the later bands take were compiled as never run (band 18's year: 0.95 s measured alone, 1.10 s after 12).
// BANDS=18 still measures a band alone.
var turn = scenario with { Duration = SimDuration.FromHours(2) };
for (var k = 0; k < Math.Min(days, 60) * 12; k++)
    foreach (var v in bands) Simulation.Run(turn, v, new CountingSink());

// "cpu s" is the engine run's processor time: steadier than wall-clock time when other work shares the machine.
Console.WriteLine($"{"version",-8} {"band",-10} {"engine s",9} {"cpu s",6} {"+file s",8} {"checkpoints",12} {"rows",9} {"alloc MB",9} {"peak pg_wal",12}");
var total = Stopwatch.StartNew();
foreach (var v in bands)
{
    // The engine alone, every row consumed (each slot's values read), then the same run streaming rows to a file.
    var counting = new CountingSink();
    var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var r = Simulation.Run(scenario, v, counting);
    sw.Stop();
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    var alloc = (GC.GetTotalAllocatedBytes(precise: true) - allocBefore) / 1048576.0;

    var path = Path.Combine(Path.GetTempPath(), $"walsim-bench-{v}.csv");
    var withFile = Stopwatch.StartNew();
    using (var sink = new FileSink(path)) Simulation.Run(scenario, v, sink);
    withFile.Stop();
    // ROWS_SHA256=1 prints a digest of each band's timeline file (after the timings): a speed change must leave it as it was.
    var digest = "";
    if (Environment.GetEnvironmentVariable("ROWS_SHA256") == "1")
        using (var file = File.OpenRead(path)) digest = " rows " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file))[..16];
    File.Delete(path);
    Console.WriteLine(string.Create(ci, $"{v,-8} {r.Policy.Band,-10} {sw.Elapsed.TotalSeconds,9:0.000} {cpu,6:0.00} {withFile.Elapsed.TotalSeconds,8:0.000} {r.Summary.Checkpoints + r.Summary.SkippedCheckpoints,12} {counting.Rows,9} {alloc,9:0} {r.Summary.PeakPgWalBytes,12}{digest}"));
}
total.Stop();
Console.WriteLine(string.Create(ci, $"all bands, both runs: {total.Elapsed.TotalSeconds:0.000} s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB; GC heap now {GC.GetTotalMemory(true) / 1048576.0:0.0} MB"));

static Scenario OneYear(double days)
{
    var slots = Enumerable.Range(0, int.Parse(Environment.GetEnvironmentVariable("SLOTS") ?? "100")).Select(i => new SlotSpec
    {
        Name = $"s{i:000}",
        Kind = i % 4 == 0 ? SlotKind.Logical : SlotKind.Physical,
        Consumer = new ConsumerSpec
        {
            Lag = SimDuration.FromSeconds(i % 7),
            ConfirmEvery = SimDuration.FromSeconds(10),
            // A few consumers go away for a while, one never comes back.
            Outages = i % 10 == 3 ? [new Outage(SimTime.FromSeconds(86400 * (i % 30 + 1)), SimTime.FromSeconds(86400 * (i % 30 + 1) + 6 * 3600))]
                : i == 99 ? [new Outage(SimTime.FromSeconds(86400 * 200), SimTime.Never)] : [],
        },
    }).ToList();
    return new Scenario
    {
        Name = "bench-one-year",
        Versions = [],
        Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "4GB", ["wal_level"] = "logical" },
        VersionSettings = [new VersionedSettings(VersionRange.Parse("13+"),
            new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "64GB" })],
        Workload = new Workload([new DailyCycle(3 * 1048576, 0.7, 14, SimDuration.FromMinutes(15))]),
        Slots = slots,
        Duration = SimDuration.FromDays(days),
        SampleInterval = SimDuration.FromMinutes(5),
    };
}

/// <summary>Reads every value of every row (so nothing is optimised away) and keeps nothing.</summary>
sealed class CountingSink : ISimulationObserver
{
    public long Rows { get; private set; }
    public ulong Checksum { get; private set; }
    public void OnTimelineRow(TimelineRow row)
    {
        Rows++;
        Checksum += row.InsertLsn.Value + (ulong)row.FilesInPgWal;
        foreach (var s in row.Slots) Checksum += s.RestartLsn.Value + (ulong)s.WalStatus + (ulong)(s.SafeWalSize?.Bytes ?? 0);
    }
}

/// <summary>Streams timeline rows to a CSV file (numbers formatted into a reused buffer), keeping nothing in memory.</summary>
sealed class FileSink(string path) : ISimulationObserver, IDisposable
{
    private readonly StreamWriter _w = new(path, false, new System.Text.UTF8Encoding(false), 1 << 16);
    private readonly char[] _buf = new char[32];

    private void Number(ulong v)
    {
        v.TryFormat(_buf, out var n, default, CultureInfo.InvariantCulture);
        _w.Write(_buf, 0, n);
    }

    public void OnTimelineRow(TimelineRow row)
    {
        Number((ulong)row.At.Microseconds);
        _w.Write(',');
        Number(row.InsertLsn.Value);
        _w.Write(',');
        Number((ulong)row.FilesInPgWal);
        foreach (var s in row.Slots)
        {
            _w.Write(',');
            Number(s.RestartLsn.Value);
            _w.Write(',');
            _w.Write(s.WalStatus.ToSql());
        }
        _w.Write('\n');
    }

    public void Dispose() => _w.Dispose();
}

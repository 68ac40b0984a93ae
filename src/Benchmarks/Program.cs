using System.Diagnostics;
using System.Globalization;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

// The engine benchmark of the retention-engine issue: a one-year scenario, checkpoint_timeout=5min, 100 slots,
// every behaviour band; the timeline streamed to a file so memory must not grow with simulated time.
var days = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 365;
var bands = new[] { "12", "13.3", "13.4", "14", "15", "16", "17", "18" }.Select(PgVersion.Parse).ToArray();
var scenario = OneYear(days);
var ci = CultureInfo.InvariantCulture;

Console.WriteLine(string.Create(ci, $"walsim engine benchmark: {days} simulated days, checkpoint_timeout=5min, {scenario.Slots.Count} slots, daily-cycle load, timeline every 5min streamed to a file"));
Console.WriteLine("warm-up ...");
Simulation.Run(scenario with { Duration = SimDuration.FromDays(3) }, bands[^1]);

Console.WriteLine($"{"version",-8} {"band",-10} {"seconds",8} {"checkpoints",12} {"rows",9} {"alloc MB",9} {"peak pg_wal",12}");
var total = Stopwatch.StartNew();
foreach (var v in bands)
{
    var path = Path.Combine(Path.GetTempPath(), $"walsim-bench-{v}.csv");
    using var sink = new FileSink(path);
    var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    var r = Simulation.Run(scenario, v, Environment.GetEnvironmentVariable("NOSINK") is null ? sink : null);
    sw.Stop();
    var alloc = (GC.GetTotalAllocatedBytes(precise: true) - allocBefore) / 1048576.0;
    Console.WriteLine(string.Create(ci, $"{v,-8} {r.Policy.Band,-10} {sw.Elapsed.TotalSeconds,8:0.000} {r.Summary.Checkpoints + r.Summary.SkippedCheckpoints,12} {sink.Rows,9} {alloc,9:0} {r.Summary.PeakPgWalBytes,12}"));
    sink.Dispose();
    File.Delete(path);
}
total.Stop();
Console.WriteLine(string.Create(ci, $"all bands: {total.Elapsed.TotalSeconds:0.000} s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB; GC heap now {GC.GetTotalMemory(true) / 1048576.0:0.0} MB"));

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
        VersionSettings = [new VersionedSettings(new VersionRange(new PgVersion(13, 0), new PgVersion(18, 99), "13+"),
            new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "64GB" })],
        Workload = new Workload([new DailyCycle(3 * 1048576, 0.7, 14, SimDuration.FromMinutes(15))]),
        Slots = slots,
        Duration = SimDuration.FromDays(days),
        SampleInterval = SimDuration.FromMinutes(5),
    };
}

/// <summary>Streams timeline rows to a CSV file, keeping nothing in memory.</summary>
sealed class FileSink(string path) : ISimulationObserver, IDisposable
{
    private readonly StreamWriter _w = new(path);
    public long Rows { get; private set; }
    public void OnTimelineRow(TimelineRow row)
    {
        Rows++;
        _w.Write(row.At.Microseconds);
        _w.Write(',');
        _w.Write(row.InsertLsn.ToString());
        _w.Write(',');
        _w.Write(row.FilesInPgWal);
        foreach (var s in row.Slots) { _w.Write(','); _w.Write(s.RestartLsn.ToString()); _w.Write(','); _w.Write(s.WalStatus.ToSql()); }
        _w.WriteLine();
    }
    public void Dispose() => _w.Dispose();
}

using System.Diagnostics;
using System.Globalization;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Planning;

namespace Walsim.Benchmarks;

/// <summary>
/// The capacity-planning benchmark of the reports issue: 20 caps × 20 outages × 500 Monte Carlo runs of a 30-day
/// workload (scenarios/plan-cdc-and-standby-30d.yaml, the CDC slot), target under 30 s on the 2-core machine. Prints
/// the wall time, the engine runs and simulated days they covered, and a checksum of the plan (the same on every
/// thread count).
/// </summary>
public static class PlanBenchmark
{
    public static void Run(string scenarioPath, int runs, int parallelism, bool fromDayZero = false)
    {
        var ci = CultureInfo.InvariantCulture;
        var scenario = ScenarioLoader.Load(scenarioPath);
        var caps = Geometric(1, 200, 20).Select(gb => SlotCap.Of(new ByteCount((long)(gb * ByteCount.GiB)))).ToList();
        var outages = Geometric(0.5, 48, 20).Select(h => SimDuration.FromMinutes(Math.Round(h * 60))).ToList();
        var options = new PlanOptions
        {
            Version = PgVersion.Parse("17"),
            Caps = caps,
            Outages = outages,
            Runs = runs,
            Seed = 1,
            Disk = scenario.Disk,
            WindowStart = SimTime.Zero + SimDuration.FromHours(1),
            WindowEnd = SimTime.Zero + scenario.Duration - outages[^1] - SimDuration.FromHours(2),
            // walsim plan's default: each run simulates the 6 hours before its outage, not the days before them
            // ("from-day-0" measures the same sweep with every run simulated from the start of the month).
            Warmup = fromDayZero ? null : SimDuration.FromHours(6),
            Slots = ["cdc"],
            Parallelism = parallelism,
        };
        Console.WriteLine(string.Create(ci, $"walsim plan benchmark: {caps.Count} caps x {outages.Count} outages x {runs} runs of a {scenario.Duration} workload ({scenarioPath}, slot cdc, PostgreSQL 17), {parallelism} thread(s), {(fromDayZero ? "every run from day 0" : "6h warm-up before each outage")}"));
        // Warm-up: the JIT's tiered compilation, on a few runs.
        CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options with { Runs = 2, Caps = caps.Take(2).ToList(), Parallelism = 1 });

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var plan = CapacityPlanner.Run(scenario, new DeclaredWorkload(scenario.Workload), options);
        sw.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var slot = plan.Slots[0];
        ulong h = 17;
        foreach (var c in slot.Caps)
            foreach (var cell in c.Cells) h = h * 31 + (ulong)(cell.SlotLost * 1000 + cell.DiskFull);
        var days = plan.SimulatedTime.TotalSeconds / 86400;
        Console.WriteLine(string.Create(ci, $"  {plan.EngineRuns} engine runs ({caps.Count} caps x {runs} runs; one run answers every outage length), {days:0} simulated days ({days / plan.EngineRuns:0.0} per run)"));
        Console.WriteLine(string.Create(ci, $"  wall {sw.Elapsed.TotalSeconds:0.00} s (target < 30 s), cpu {cpu:0.00} s, {sw.Elapsed.TotalMilliseconds / plan.EngineRuns:0.00} ms per engine run wall; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB"));
        Console.WriteLine(string.Create(ci, $"  recommendation: {slot.Recommendation.Reason}"));
        Console.WriteLine(string.Create(ci, $"  plan checksum {h:x16}"));
    }

    /// <summary><paramref name="n"/> values from <paramref name="from"/> to <paramref name="to"/>, evenly spaced on a log scale.</summary>
    private static IEnumerable<double> Geometric(double from, double to, int n) =>
        Enumerable.Range(0, n).Select(k => from * Math.Pow(to / from, (double)k / (n - 1)));
}

using System.Diagnostics;
using System.Globalization;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

/// <summary>
/// Forecast-shaped runs: a workload fitted to 7 days of synthetic readings (a daily cycle plus AR(1) noise, seeded),
/// then Monte Carlo over 30-day paths sampled from the fit, each run simulated with no timeline (only the outcome).
/// Every run's outcome goes into a checksum, so a change to the engine that changes any result shows.
/// </summary>
static class ForecastBenchmark
{
    private const int MasterSeed = 2026;
    private static readonly SimDuration Horizon = SimDuration.FromDays(30);
    private static readonly SimTime FitEnd = SimTime.FromSeconds(7 * 86400);
    private static readonly PgVersion Version = PgVersion.Parse("16");

    public static void Run(int runs, int bucketsPerStep)
    {
        var ci = CultureInfo.InvariantCulture;
        var fit = WorkloadFit.Fit(Observations());
        var scenario = Scenario();
        Console.WriteLine(string.Create(ci,
            $"walsim forecast benchmark: {runs} Monte Carlo runs of {Horizon.TotalHours / 24:0} days, PostgreSQL {Version}, checkpoint_timeout=5min, {scenario.Slots.Count} slots, rate steps of {fit.Bucket.TotalSeconds * bucketsPerStep / 60:0} min, no timeline"));
        Console.WriteLine(string.Create(ci,
            $"fitted workload: median {ByteCount.Format((long)fit.Report.Rates.MedianBytesPerSecond)}/s, cycle {(fit.Report.Cycle.Accepted ? "accepted" : "rejected")} (peak/trough x{fit.Report.Cycle.PeakToTroughRatio:0.00} at {fit.Report.Cycle.PeakHour:0.0} h), AR(1) phi={fit.Report.Noise.Ar1:0.00}"));

        Outcome Body(int run, Random rng) =>
            Outcome.Of(Simulation.Run(scenario with { Workload = fit.SamplePath(rng, FitEnd, Horizon, bucketsPerStep: bucketsPerStep) }, Version));

        Console.WriteLine("warm-up ...");
        MonteCarlo.Run(Math.Min(runs, 20), MasterSeed + 1, Body);

        // Sampling alone, for the share of the run it takes.
        var sampling = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) fit.SamplePath(new Random(MonteCarlo.RunSeed(MasterSeed, i)), FitEnd, Horizon, bucketsPerStep: bucketsPerStep);
        sampling.Stop();

        // "cpu s": processor time of all threads, steadier than wall-clock time when other work shares the machine.
        Console.WriteLine($"{"threads",7} {"runs/s",8} {"ms/run",7} {"total s",8} {"cpu s",7} {"alloc MB",9} {"sampling ms/run",16}  outcome checksum");
        Outcome[]? first = null;
        foreach (var threads in new[] { 1, 2 })
        {
            var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var outcomes = MonteCarlo.Run(runs, MasterSeed, Body, maxParallelism: threads);
            sw.Stop();
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var alloc = (GC.GetTotalAllocatedBytes(precise: true) - allocBefore) / 1048576.0;
            var checksum = Checksum(outcomes);
            if (first is not null && Checksum(first) != checksum) throw new InvalidOperationException("parallel runs differ from serial runs");
            first ??= outcomes;
            Console.WriteLine(string.Create(ci,
                $"{threads,7} {runs / sw.Elapsed.TotalSeconds,8:0.0} {sw.Elapsed.TotalMilliseconds / runs,7:0.00} {sw.Elapsed.TotalSeconds,8:0.000} {cpu,7:0.00} {alloc,9:0} {sampling.Elapsed.TotalMilliseconds / runs,16:0.00}  {checksum:x16}"));
        }

        var lost = new OutcomeSummary(first!.Select(o => o.StalledLost is { } t ? t - SimTime.Zero : (SimDuration?)null));
        var full = new OutcomeSummary(first!.Select(o => o.ReadOnly is { } t ? t - SimTime.Zero : (SimDuration?)null));
        Console.WriteLine(string.Create(ci,
            $"stalled slot lost: P50 {lost.P50?.ToString() ?? "never"}, P90 {lost.P90?.ToString() ?? "never"}, never {lost.NeverFraction:P0}; read-only: P50 {full.P50?.ToString() ?? "never"}, never {full.NeverFraction:P0}; max peak pg_wal {ByteCount.Format(first!.Max(o => o.PeakPgWal))}"));
        Console.WriteLine(string.Create(ci,
            $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB; GC heap now {GC.GetTotalMemory(true) / 1048576.0:0.0} MB"));
    }

    /// <summary>What a forecast keeps of a run.</summary>
    private readonly record struct Outcome(SimTime? StalledLost, SimTime? ReadOnly, SimTime? DiskFull, long PeakPgWal, ulong Hash)
    {
        public static Outcome Of(SimulationResult r)
        {
            var h = 14695981039346656037UL;
            void Mix(long v) { h ^= (ulong)v; h *= 1099511628211UL; }
            foreach (var s in r.Slots)
            {
                Mix(s.FirstExtended?.Microseconds ?? -1);
                Mix(s.FirstUnreserved?.Microseconds ?? -1);
                Mix(s.Lost?.Microseconds ?? -1);
                Mix(s.PeakRetained.Bytes);
            }
            var m = r.Summary;
            Mix(m.PeakPgWalBytes.Bytes); Mix(m.PeakPgWalFiles); Mix(m.PeakAt.Microseconds);
            Mix(m.DiskFull?.Microseconds ?? -1); Mix(m.ReadOnly?.Microseconds ?? -1);
            Mix(m.Checkpoints); Mix(m.SkippedCheckpoints); Mix(m.FilesAdded); Mix(m.FilesRemoved); Mix(m.FilesRecycled);
            Mix((long)m.FinalInsertLsn.Value); Mix(m.End.Microseconds);
            return new Outcome(r.Slots.First(s => s.Name == "analytics").Lost, m.ReadOnly, m.DiskFull, m.PeakPgWalBytes.Bytes, h);
        }
    }

    private static ulong Checksum(Outcome[] outcomes)
    {
        var h = 0UL;
        foreach (var o in outcomes) h = h * 31 + o.Hash;
        return h;
    }

    /// <summary>7 days of pg_current_wal_lsn() every minute: ~2 MiB/s mean, ±50 % daily cycle peaking at 14:00,
    /// AR(1) log-normal noise, a quiet minute now and then.</summary>
    private static List<WalObservation> Observations()
    {
        var rng = new Random(7);
        var list = new List<WalObservation>(7 * 1440 + 1);
        double lsn = 0x1_0000_0000, u = 0;
        list.Add(new WalObservation(SimTime.Zero, new Lsn((ulong)lsn)));
        for (var m = 1; m <= 7 * 1440; m++)
        {
            var hour = (m - 0.5) / 60 % 24;
            u = 0.6 * u + 0.25 * Normal(rng);
            var rate = rng.NextDouble() < 0.01 ? 0 : 2 * 1048576 * (1 + 0.5 * Math.Cos(2 * Math.PI * (hour - 14) / 24)) * Math.Exp(u);
            lsn += rate * 60;
            list.Add(new WalObservation(SimTime.FromSeconds(m * 60), new Lsn((ulong)lsn)));
        }
        return list;
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A primary with a standby and a CDC connector that keep up (10 s confirmations), and an analytics
    /// standby that stops on day 3 and never returns; capped at 200GB on a 400GB volume that a managed service
    /// turns read-only at 95 %.</summary>
    private static Scenario Scenario() => new()
    {
        Name = "bench-forecast",
        Versions = [Version],
        Settings = new Dictionary<string, string>
        {
            ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "4GB", ["wal_level"] = "logical", ["max_slot_wal_keep_size"] = "200GB",
        },
        Slots =
        [
            new SlotSpec { Name = "standby", Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10) } },
            new SlotSpec { Name = "cdc", Kind = SlotKind.Logical, Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10), Lag = SimDuration.FromSeconds(2) } },
            new SlotSpec
            {
                Name = "analytics",
                Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10), Outages = [new Outage(SimTime.FromSeconds(3 * 86400), SimTime.Never)] },
            },
        ],
        Disk = new DiskSpec(new ByteCount(400 * ByteCount.GiB), new ByteCount(20 * ByteCount.GiB), 0.95),
        Duration = Horizon,
        SampleInterval = SimDuration.Zero,
    };
}

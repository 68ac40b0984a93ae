using System.Globalization;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Simulator.Planning;

/// <summary>
/// <c>walsim plan</c>: how long each slot's consumer may be away under each candidate <c>max_slot_wal_keep_size</c>
/// before the slot is invalidated or the volume fills, over Monte Carlo runs of the workload.
/// <para>
/// Run i of a slot draws, from its own seeded generator, the moment the consumer stops (uniform in the window) and
/// the workload's path; every cap replays that same draw (common random numbers: the caps are compared on identical
/// futures, so a larger cap never looks worse by chance). In the run the consumer never returns, and other
/// consumers keep up. One run answers every outage length: up to the moment the consumer would have returned, a
/// run where it returns is the same run, so the slot is lost by an outage of D exactly when its invalidation came
/// within D; and the volume fills exactly when it filled before the first checkpoint that read the returned
/// consumer's position had ended and removed the WAL (<see cref="PlanRun.Outcome"/>). That is why a sweep of
/// caps × outages × runs costs caps × runs engine runs. Tests hold it against runs where the consumer does return.
/// </para>
/// </summary>
public static class CapacityPlanner
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The slots a plan studies by default: those whose consumer connects (a slot nobody consumes is
    /// stalled from the start; it stays in every run, as declared).</summary>
    public static IReadOnlyList<string> DefaultSlots(Scenario scenario) =>
        scenario.Slots.Where(s => s.Consumer.Connected).Select(s => s.Name).ToList();

    /// <param name="scenario">Settings, slots, start state; its workload is replaced by <paramref name="workload"/>'s paths.</param>
    /// <param name="workload">How each run's rate is drawn.</param>
    /// <param name="options">Caps, outages, runs, seed, disk, window.</param>
    /// <param name="progress">Called after each engine run with the number done so far (from any thread).</param>
    public static PlanResult Run(Scenario scenario, IWorkloadModel workload, PlanOptions options, Action<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(options);
        Validate(scenario, options);
        var slots = options.Slots.Count > 0 ? options.Slots : DefaultSlots(scenario);
        var policy = RetentionPolicy.For(options.Version);
        var caps = options.Caps;
        var runsPerCap = options.Runs;
        long done = 0;
        long simulatedUs = 0;

        // One task per (slot, run): it draws the outage start and the path once and replays them under every cap.
        var results = new PlanRun[slots.Count][][];
        for (var s = 0; s < slots.Count; s++)
        {
            results[s] = new PlanRun[caps.Count][];
            for (var c = 0; c < caps.Count; c++) results[s][c] = new PlanRun[runsPerCap];
        }
        // The settings of every cap, checked before any run: a version that rejects them says so once, by name.
        foreach (var cap in caps) Tail(RunScenario(scenario, options, slots[0], cap, new RunDraw(options.WindowStart, SimTime.Zero, options.WindowEnd, scenario.Workload)), options.Version);
        try
        {
            Parallel.For(0, slots.Count * runsPerCap, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism) }, task => RunTask(task));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first failure as itself (a setting a version rejects, a scenario the engine refuses), not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        void RunTask(int task)
        {
            var s = task / runsPerCap;
            var i = task % runsPerCap;
            var draw = Draw(scenario, options, workload, i);
            var length = (draw.End - draw.From).Microseconds;
            for (var c = 0; c < caps.Count; c++)
            {
                results[s][c][i] = RunOne(scenario, options, policy, slots[s], caps[c], draw);
                Interlocked.Add(ref simulatedUs, length);
                var n = Interlocked.Increment(ref done);
                progress?.Invoke(n);
            }
        }

        // Every run of one slot under one more cap (the refinement between two candidates), in parallel.
        CapPlan Evaluate(string slot, SlotCap cap)
        {
            var runs = new PlanRun[runsPerCap];
            try
            {
                Parallel.For(0, runsPerCap, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism) }, i =>
                {
                    var draw = Draw(scenario, options, workload, i);
                    runs[i] = RunOne(scenario, options, policy, slot, cap, draw);
                    Interlocked.Add(ref simulatedUs, (draw.End - draw.From).Microseconds);
                    var n = Interlocked.Increment(ref done); // not inside ?.Invoke(...): that would skip it without a listener
                    progress?.Invoke(n);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            return Summarise(cap, runs, options);
        }

        var plans = new List<SlotPlan>(slots.Count);
        for (var s = 0; s < slots.Count; s++)
        {
            var spec = scenario.Slots.First(x => x.Name == slots[s]);
            var capPlans = caps.Select((cap, c) => Summarise(cap, results[s][c], options)).ToList();
            var slotName = slots[s];
            var recommendation = Recommend(options, slotName, capPlans, cap => Evaluate(slotName, cap), scenario.SegmentSize);
            plans.Add(new SlotPlan(slots[s], spec.Kind, capPlans, recommendation));
        }
        return new PlanResult(options, plans, workload.IsRandom, done, new SimDuration(simulatedUs));
    }

    /// <summary>Engine runs a plan makes, about (for progress bars): slots × runs × (caps + the refinement's steps).</summary>
    public static long EngineRuns(Scenario scenario, PlanOptions options)
    {
        var slots = options.Slots.Count > 0 ? options.Slots.Count : DefaultSlots(scenario).Count;
        return (long)slots * options.Runs * (options.Caps.Count + RefinementSteps);
    }

    /// <summary>The bisection between two neighbouring candidate caps ends within 1 % of the cap: about six steps.</summary>
    private const int RefinementSteps = 6;

    /// <summary>
    /// Options a caller checks before (empty lists, ranges) are <see cref="ArgumentException"/>s: reaching them is a
    /// bug. What depends on the scenario is a domain error: <see cref="PlanSlotException"/>, <see cref="NothingToPlanException"/>.
    /// </summary>
    private static void Validate(Scenario scenario, PlanOptions options)
    {
        if (options.Caps.Count == 0) throw new ArgumentException("no candidate max_slot_wal_keep_size to plan for");
        if (options.Outages.Count == 0) throw new ArgumentException("no outage lengths to plan for");
        if (options.Runs < 1) throw new ArgumentException("a plan needs at least one run per cap");
        if (options.Risk is < 0 or >= 1) throw new ArgumentException($"the acceptable risk must be in [0, 1), not {options.Risk}");
        if (options.WindowEnd <= options.WindowStart)
            throw new ArgumentException($"the outage window [{options.WindowStart}, {options.WindowEnd}) is empty");
        for (var k = 1; k < options.Outages.Count; k++)
            if (options.Outages[k] <= options.Outages[k - 1]) throw new ArgumentException("outage lengths must be ascending");
        if (!options.Outages.Contains(options.TargetOutage))
            throw new ArgumentException($"the target outage {options.TargetOutage} must be one of the outages judged");
        var slots = options.Slots.Count > 0 ? options.Slots : DefaultSlots(scenario);
        if (slots.Count == 0)
            throw new NothingToPlanException("the scenario has no slot with a consumer: a plan is about how long a consumer may be away");
        foreach (var name in slots)
        {
            var spec = scenario.Slots.FirstOrDefault(x => x.Name == name)
                ?? throw new PlanSlotException(name, $"there is no slot \"{name}\" (slots: {string.Join(", ", scenario.Slots.Select(x => x.Name))})");
            if (!spec.Consumer.Connected)
                throw new PlanSlotException(name, $"slot \"{name}\" has no consumer in the scenario: it never moves, so no outage applies to it");
        }
    }

    /// <summary>Run <paramref name="i"/>'s draw, from its own seed only: when the consumer stops, where the run starts
    /// (a warm-up before the stop, or time 0), and the workload's path over the run.</summary>
    internal static RunDraw Draw(Scenario scenario, PlanOptions options, IWorkloadModel workload, int i)
    {
        var tail = Tail(scenario, options.Version);
        var rng = new Random(MonteCarlo.RunSeed(options.Seed, i));
        var span = (options.WindowEnd - options.WindowStart).Microseconds;
        var stop = options.WindowStart + new SimDuration((long)(rng.NextDouble() * span));
        var from = options.Warmup is { } w && CanStartLate(scenario) && stop - SimTime.Zero > w ? stop - w : SimTime.Zero;
        var end = stop + options.Outages[^1] + tail;
        return new RunDraw(stop, from, end, workload.Draw(rng, from, end - from));
    }

    /// <summary>One run's draw, on the workload's clock: the consumer stops at <paramref name="Stop"/>; the run
    /// simulates [<paramref name="From"/>, <paramref name="End"/>).</summary>
    internal readonly record struct RunDraw(SimTime Stop, SimTime From, SimTime End, Workload Path);

    /// <summary>Whether a run may start after time 0: nothing in the scenario happens at a time of its own.</summary>
    public static bool CanStartLate(Scenario scenario) =>
        scenario.Events.Count == 0 && scenario.Transactions.Count == 0 && scenario.Archiver.Failures.Count == 0
        && scenario.Slots.All(s => s.CreatedAt == SimTime.Zero);

    /// <summary>How long a run goes on past the longest outage: long enough for the checkpoint in progress at the
    /// return and the next one to finish (a spread checkpoint ends within checkpoint_timeout of its start).</summary>
    public static SimDuration Tail(Scenario scenario, PgVersion version)
    {
        var overrides = scenario.Settings.Concat(scenario.VersionSettings.Where(v => v.Versions.Contains(version)).SelectMany(v => v.Settings));
        var settings = ServerSettings.Create(RetentionPolicy.For(version), scenario.SegmentSize, overrides);
        return settings.CheckpointTimeout * 2 + SimDuration.FromMinutes(1);
    }

    /// <summary>The scenario of one run, on the run's clock (0 = <see cref="RunDraw.From"/>): this cap, the slot's
    /// consumer stopping for good, the other consumers keeping up, the volume watched rather than enforced (so the run
    /// goes on past the moment it would have filled, and shows the slot's invalidation and the largest pg_wal uncut).</summary>
    internal static Scenario RunScenario(Scenario scenario, PlanOptions options, string slot, SlotCap cap, RunDraw draw)
    {
        var settings = new Dictionary<string, string>(scenario.Settings, StringComparer.Ordinal);
        if (GucCatalog.All["max_slot_wal_keep_size"].ExistsIn(options.Version)) settings["max_slot_wal_keep_size"] = cap.SettingValue;
        else if (!cap.IsUnlimited) throw new ArgumentException($"PostgreSQL {options.Version} has no max_slot_wal_keep_size: the only candidate is unlimited");
        else settings.Remove("max_slot_wal_keep_size");
        var stop = SimTime.Zero + (draw.Stop - draw.From);
        var slots = scenario.Slots.Select(s =>
        {
            if (!s.Consumer.Connected) return s;
            var outages = s.Name == slot ? (IReadOnlyList<Outage>)[new Outage(stop, SimTime.Never)] : [];
            return s with { Consumer = s.Consumer with { Outages = outages } };
        }).ToList();
        return scenario with
        {
            Versions = [options.Version],
            Settings = settings,
            // A cap the scenario sets per version would override the candidate: the plan's cap wins.
            VersionSettings = scenario.VersionSettings
                .Select(v => v with { Settings = v.Settings.Where(kv => kv.Key != "max_slot_wal_keep_size").ToDictionary() })
                .ToList(),
            Slots = slots,
            Workload = draw.Path,
            Disk = options.Disk is { } disk ? disk with { Enforced = false } : null,
            Duration = draw.End - draw.From,
            SampleInterval = SimDuration.Zero,
            Expectations = [],
        };
    }

    internal static PlanRun RunOne(Scenario scenario, PlanOptions options, RetentionPolicy policy, string slot, SlotCap cap, RunDraw draw)
    {
        var run = RunScenario(scenario, options, slot, cap, draw);
        var start = SimTime.Zero + (draw.Stop - draw.From);
        var watch = new CheckpointWatch(start, policy.SlotMinimumSampling);
        var result = Simulation.Run(run, options.Version, watch);
        var summary = result.Slots.First(s => s.Name == slot);
        SimDuration? After(SimTime? t) => t is { IsNever: false } v && v >= start ? v - start : null;
        var diskFull = After(result.Summary.DiskFull);
        var readOnly = After(result.Summary.ReadOnly);
        return new PlanRun(draw.Stop,
            summary.Cause == InvalidationCause.WalRemoved ? After(summary.Lost) : null,
            After(summary.FirstUnreserved),
            diskFull, diskFull is null ? null : watch.SurvivesUpTo(result.Summary.DiskFull!.Value),
            readOnly, readOnly is null ? null : watch.SurvivesUpTo(result.Summary.ReadOnly!.Value),
            result.Summary.PeakPgWalBytes);
    }

    /// <summary>
    /// The checkpoints after the stop, as (when it read the slot minimum that decides removal, when it ended):
    /// KeepLogSeg's minimum is the one at the end of the checkpoint on older minors, the one captured at its start on
    /// newer ones, and on 18 the restart_lsn saved at its start (<see cref="SlotMinimumSampling"/>).
    /// </summary>
    private sealed class CheckpointWatch(SimTime stop, SlotMinimumSampling sampling) : ISimulationObserver
    {
        private readonly List<(SimTime Read, SimTime End)> _checkpoints = [];

        public void OnCheckpoint(CheckpointRecord c)
        {
            if (c.Skipped || c.End < stop) return;
            var read = sampling == SlotMinimumSampling.AtCheckpointEnd ? c.End : c.Start;
            if (read >= stop) _checkpoints.Add((read, c.End));
        }

        /// <summary>The longest outage after which a checkpoint still removes the WAL before <paramref name="full"/>:
        /// the latest read among checkpoints that ended by then (zero when none did).</summary>
        public SimDuration SurvivesUpTo(SimTime full)
        {
            var best = SimDuration.Zero;
            foreach (var (read, end) in _checkpoints)
                if (end <= full && read - stop > best) best = read - stop;
            return best;
        }
    }

    private static CapPlan Summarise(SlotCap cap, PlanRun[] runs, PlanOptions options)
    {
        var first = new Dictionary<PlanOutcome, int>();
        foreach (var o in Enum.GetValues<PlanOutcome>()) first[o] = 0;
        var peak = ByteCount.Zero;
        foreach (var r in runs)
        {
            first[r.GivesOutFirst]++;
            if (r.PeakPgWal > peak) peak = r.PeakPgWal;
        }
        var cells = options.Outages.Select(d =>
        {
            int lost = 0, full = 0, ro = 0;
            foreach (var r in runs)
            {
                switch (r.Outcome(d))
                {
                    case PlanOutcome.SlotLost: lost++; break;
                    case PlanOutcome.DiskFull: full++; break;
                    case PlanOutcome.ReadOnly: ro++; break;
                }
            }
            return new PlanCell(cap, d, runs.Length, lost, full, ro);
        }).ToList();
        static SimDuration? Volume(PlanRun r) =>
            r.DiskSurvivesUpTo is { } d ? (r.ReadOnlySurvivesUpTo is { } ro && ro < d ? ro : d) : r.ReadOnlySurvivesUpTo;
        return new CapPlan(cap, new OutcomeSummary(runs.Select(r => r.Survivable.IsInfinite ? (SimDuration?)null : r.Survivable)),
            first, peak, cells)
        {
            VolumeSurvivable = new OutcomeSummary(runs.Select(Volume)),
        };
    }

    /// <summary>
    /// The smallest cap under which the target outage costs the slot with probability at most the risk — the smallest
    /// candidate that does, then bisected down towards the largest candidate that does not (to within 1 % of the cap or
    /// a segment, on the same runs) — and the volume that cap needs: the largest pg_wal any run reached with it (the consumer stayed
    /// away until the slot was invalidated, so this is the cap plus what the server keeps anyway; the volume must hold
    /// it, or for outages longer than planned the disk fills before the cap protects it), plus what else lives on the
    /// volume, over the read-only fraction, plus the margin, rounded up to two significant digits.
    /// </summary>
    private static Recommendation Recommend(PlanOptions options, string slot, IReadOnlyList<CapPlan> caps, Func<SlotCap, CapPlan> evaluate,
        WalSegmentSize segment)
    {
        var target = options.TargetOutage;
        var risk = options.Risk;
        double Lost(CapPlan c) => c.Cells.Single(x => x.Outage == target).PSlotLost;
        var ordered = caps.OrderBy(c => c.Cap).ToList();
        var index = ordered.FindIndex(c => Lost(c) <= risk);
        if (index < 0)
        {
            var best = ordered.OrderBy(Lost).ThenByDescending(c => c.Cap).First();
            return new Recommendation(null, Lost(best), null, null, null,
                $"No candidate cap keeps slot {slot} through a {target.Display()} outage with a risk of {Percent(risk)} or less: " +
                $"the best, {best.Cap}, loses it in {Percent(Lost(best))} of runs. Try larger caps (--cap) or a shorter outage.");
        }

        var chosen = ordered[index];
        var refinedFrom = (SlotCap?)null;
        if (index > 0 && !chosen.Cap.IsUnlimited)
        {
            var lo = ordered[index - 1].Cap.Megabytes;
            var hi = chosen;
            // To 1 % of the cap (but not finer than a segment: KeepLogSeg counts whole segments); whole GB above 10GB.
            var segmentMb = Math.Max(1, segment.Bytes / ByteCount.MiB);
            while (hi.Cap.Megabytes - lo > Math.Max(segmentMb, hi.Cap.Megabytes / 100))
            {
                var mid = Math.Sqrt((double)lo * hi.Cap.Megabytes);
                var midMb = mid >= 10 * 1024 ? (long)Math.Round(mid / 1024) * 1024 : (long)Math.Round(mid);
                if (midMb <= lo || midMb >= hi.Cap.Megabytes) break;
                var plan = evaluate(SlotCap.Of(ByteCount.FromMegabytes(midMb)));
                if (Lost(plan) <= risk) hi = plan;
                else lo = midMb;
            }
            if (hi.Cap != chosen.Cap) refinedFrom = chosen.Cap;
            chosen = hi;
        }

        var cap = chosen.Cap;
        var lost = Lost(chosen);
        var peak = chosen.PeakPgWal;
        var other = options.Disk?.OtherUsage ?? ByteCount.Zero;
        var fraction = options.Disk?.ReadOnlyAtFraction ?? 1.0;
        var volume = RoundUp(new ByteCount((long)Math.Ceiling((peak.Bytes + other.Bytes) / fraction * (1 + options.Margin))));
        bool? enough = options.Disk is { } disk ? disk.Size >= volume : null;
        var capText = cap.IsUnlimited ? "No cap (max_slot_wal_keep_size = -1)" : $"max_slot_wal_keep_size = {cap}";
        var why = cap.IsUnlimited
            ? $"no candidate cap keeps slot {slot} through a {target.Display()} outage in {Percent(1 - risk)} of runs; without one it survives in {Percent(1 - lost)}"
            : $"the smallest with which slot {slot} outlives a {target.Display()} outage in {Percent(1 - lost)} of runs (risk at most {Percent(risk)})" +
              (refinedFrom is { } from ? $"; found between the candidates {ordered[index - 1].Cap} and {from}" : "");
        var volumeText = $"Provision a pg_wal volume of at least {volume}: pg_wal reached {peak} with that cap when the consumer stayed away" +
            (other.Bytes > 0 ? $", plus {other} of other files" : "") +
            (fraction < 1 ? $", under the {Percent(fraction)} read-only threshold" : "") +
            $", plus a {Percent(options.Margin)} margin";
        var diskText = "";
        if (options.Disk is { } d)
        {
            var fills = chosen.VolumeSurvivable.Quantile(risk);
            diskText = enough == true
                ? $"; the {d.Size} volume is enough"
                : fills is { } f
                    ? $"; the {d.Size} volume is not: with it, an outage longer than {f.Display()} (in {Percent(1 - risk)} of runs) fills it before the cap invalidates the slot"
                    : $"; the {d.Size} volume holds the peak but not the margin";
        }
        return new Recommendation(cap, lost, volume, peak, enough, $"{capText}: {why}. {volumeText}{diskText}.");
    }

    /// <summary>Up to two significant digits of the unit it is shown in (303.66GB → 310GB, 78.6GB → 79GB, 950MB → 950MB).</summary>
    internal static ByteCount RoundUp(ByteCount b)
    {
        var unit = b.Bytes >= 1024L * ByteCount.GiB ? 1024L * ByteCount.GiB : b.Bytes >= ByteCount.GiB ? ByteCount.GiB : ByteCount.MiB;
        var v = (double)b.Bytes / unit;
        var step = v >= 100 ? 10 : v >= 10 ? 1 : 0.1;
        return new ByteCount((long)Math.Ceiling(Math.Ceiling(v / step - 1e-9) * step * unit));
    }

    /// <summary>A probability as a percentage: 0 %, 0.2 %, 12.5 %, 100 %.</summary>
    public static string Percent(double p) => (p * 100).ToString(p is > 0 and < 0.001 ? "0.0##" : "0.#", Inv) + " %";
}

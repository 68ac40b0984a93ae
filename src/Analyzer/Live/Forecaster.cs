using System.Globalization;
using System.Text.RegularExpressions;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>
/// A what-if on top of the current trend: consumers that stop (now or later), a write-rate factor, settings changed
/// now. Parsed from text such as <c>slot cdc stops now</c>, <c>slot rep1 stops in 2h</c>, <c>rate x2</c>,
/// <c>set max_slot_wal_keep_size=10GB</c>; several joined with <c>;</c>.
/// </summary>
public sealed partial record WhatIf(string Text, IReadOnlyDictionary<string, SimDuration> StopSlots, double RateFactor,
    IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>A failing archiver is fixed this long from now (<c>archiver fixed</c>, <c>archiver fixed in 30min</c>);
    /// null = it goes on as the samples left it.</summary>
    public SimDuration? ArchiverFixedIn { get; init; }

    [GeneratedRegex(@"^archiver\s+(?:is\s+)?fixed(?:\s+(?:now|in\s+(?<in>\S+)))?$", RegexOptions.IgnoreCase)]
    private static partial Regex ArchiverPattern();

    public static readonly WhatIf CurrentTrend = new("current trend", new Dictionary<string, SimDuration>(), 1, new Dictionary<string, string>());

    [GeneratedRegex(@"^slot\s+(?<slot>\S+)\s+stops(?:\s+(?:now|in\s+(?<in>\S+)))?$", RegexOptions.IgnoreCase)]
    private static partial Regex StopPattern();

    [GeneratedRegex(@"^(?:write\s+)?rate\s*[x×*]\s*(?<f>[0-9.]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^(?:write\s+)?rate\s+doubles$", RegexOptions.IgnoreCase)]
    private static partial Regex DoublesPattern();

    [GeneratedRegex(@"^set\s+(?<name>[a-z_]+)\s*=\s*(?<value>\S+)$", RegexOptions.IgnoreCase)]
    private static partial Regex SetPattern();

    /// <summary>Parses a what-if; <paramref name="error"/> says what was expected.</summary>
    public static bool TryParse(string text, out WhatIf whatIf, out string? error)
    {
        whatIf = CurrentTrend;
        error = null;
        var stops = new Dictionary<string, SimDuration>(StringComparer.Ordinal);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var factor = 1.0;
        SimDuration? archiverFixed = null;
        foreach (var part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (StopPattern().Match(part) is { Success: true } stop)
            {
                var at = SimDuration.Zero;
                if (stop.Groups["in"].Success && !ValueParser.TryParseDuration(stop.Groups["in"].Value, out at, out var e))
                {
                    error = $"\"{part}\": {e}";
                    return false;
                }
                stops[stop.Groups["slot"].Value] = at;
            }
            else if (RatePattern().Match(part) is { Success: true } rate
                     && double.TryParse(rate.Groups["f"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 0)
                factor *= f;
            else if (DoublesPattern().IsMatch(part)) factor *= 2;
            else if (ArchiverPattern().Match(part) is { Success: true } fixedArchiver)
            {
                var at = SimDuration.Zero;
                if (fixedArchiver.Groups["in"].Success && !ValueParser.TryParseDuration(fixedArchiver.Groups["in"].Value, out at, out var e))
                {
                    error = $"\"{part}\": {e}";
                    return false;
                }
                archiverFixed = at;
            }
            else if (SetPattern().Match(part) is { Success: true } set) settings[set.Groups["name"].Value] = set.Groups["value"].Value;
            else
            {
                error = $"\"{part}\": expected \"slot NAME stops now\", \"slot NAME stops in 2h\", \"rate x2\", \"archiver fixed in 1h\" or \"set name=value\" (several joined with ';')";
                return false;
            }
        }
        whatIf = new WhatIf(text.Trim(), stops, factor, settings) { ArchiverFixedIn = archiverFixed };
        return true;
    }
}

/// <param name="Horizon">How far ahead.</param>
/// <param name="Runs">Monte Carlo runs.</param>
/// <param name="Seed">Master seed: the same seed, the same forecast.</param>
/// <param name="Disk">The pg_wal volume, when the user gave one.</param>
/// <param name="Parallelism">Threads for the runs (results do not depend on it).</param>
public sealed record ForecastOptions(SimDuration Horizon, int Runs, int Seed, DiskSpec? Disk, int Parallelism = 1)
{
    /// <summary>Also record pg_wal's size this often in every run (for backtests and charts); null = not at all.</summary>
    public SimDuration? TrajectoryEvery { get; init; }
}

/// <summary>pg_wal's size at one moment of the forecast, over the runs.</summary>
public readonly record struct TrajectoryPoint(SimDuration At, ByteCount P10, ByteCount P50, ByteCount P90);

/// <summary>A slot's times to each status over the runs, from the forecast's start.</summary>
public sealed record SlotForecast(string Name, SlotKind Kind, ConsumerState Consumer, WalStatus? StatusNow,
    OutcomeSummary Extended, OutcomeSummary Unreserved, OutcomeSummary Lost, SlotSummary? TypicalRun);

/// <summary>One forecast: the runs' outcomes under one what-if, and the run at the median rate.</summary>
public sealed record ForecastResult(WhatIf WhatIf, IReadOnlyList<SlotForecast> Slots, OutcomeSummary DiskFull, OutcomeSummary ReadOnly,
    IReadOnlyList<ByteCount> PeakPgWalBytes, RunSummary TypicalRun, IReadOnlyList<string> AlreadyLost)
{
    /// <summary>pg_wal's size every <see cref="ForecastOptions.TrajectoryEvery"/>, when asked for.</summary>
    public IReadOnlyList<TrajectoryPoint> PgWalTrajectory { get; init; } = [];
}

/// <summary>
/// Forecasts from samples: the cluster as the last sample saw it (pg_wal's files, the last checkpoint, each slot at
/// its position, consumers that keep up or have stalled) is the starting state of a scenario; the workload is a path
/// drawn from the fitted model per run (<see cref="WorkloadFit.SamplePath"/>), seeded; the engine decides the rest.
/// </summary>
public static class Forecaster
{
    /// <summary>How often a consumer that keeps up is taken to confirm: walreceiver and most CDC connectors report
    /// at least this often (wal_receiver_status_interval = 10s).</summary>
    private static readonly SimDuration ConfirmEvery = SimDuration.FromSeconds(10);

    /// <summary>The scenario every run shares; each run only replaces its workload.</summary>
    public static Scenario StartingScenario(ForecastInput input, ForecastOptions options, WhatIf whatIf)
    {
        var last = input.Last;
        var seg = input.SegmentSize;
        var settings = new Dictionary<string, string>(input.Settings, StringComparer.Ordinal);
        foreach (var (k, v) in whatIf.Settings) settings[k] = v;
        foreach (var name in whatIf.StopSlots.Keys)
            if (input.Slots.All(s => s.Name != name))
                throw new ArgumentException($"what-if \"{whatIf.Text}\": there is no slot \"{name}\" in the last sample (slots: {string.Join(", ", input.Slots.Select(s => s.Name))})");

        var slots = new List<SlotSpec>();
        foreach (var s in input.Slots.Where(s => s.Consumer != ConsumerState.Lost && s.RestartLsn.IsValid))
        {
            var consumer = ConsumerSpec.None;
            if (s.Consumer == ConsumerState.KeepsUp)
            {
                consumer = new ConsumerSpec { LagBytes = s.TypicalLag, ConfirmEvery = ConfirmEvery };
                if (whatIf.StopSlots.TryGetValue(s.Name, out var at))
                    consumer = consumer with { Outages = [new Outage(SimTime.Zero + at, SimTime.Never)] };
            }
            slots.Add(new SlotSpec
            {
                Name = s.Name,
                Kind = s.Kind,
                RestartLsn = s.RestartLsn,
                ConfirmedFlushLsn = s.ConfirmedFlushLsn.IsValid ? s.ConfirmedFlushLsn : null,
                Consumer = consumer,
                // Idle since the sampled inactive_since, not since the forecast's start (18's idle timeout counts it).
                InactiveFor = s.InactiveSince is { } since && since < last.ServerTime ? SimDuration.FromSeconds((last.ServerTime - since).TotalSeconds) : null,
            });
        }

        // An archiver failing at the last sample keeps failing (nothing in the samples says when it will be fixed),
        // frozen at the last segment it archived, unless the what-if fixes it.
        var archiver = ArchiverSpec.KeepsUp;
        var archiverNow = input.Archiver;
        if (archiverNow.Failing)
            archiver = new ArchiverSpec(SimDuration.Zero, [new Outage(SimTime.Zero, whatIf.ArchiverFixedIn is { } fixedIn ? SimTime.Zero + fixedIn : SimTime.Never)]);

        return new Scenario
        {
            Name = "forecast",
            Versions = [input.Version],
            SegmentSize = seg,
            Settings = settings,
            Slots = slots,
            Disk = options.Disk,
            Duration = options.Horizon,
            SampleInterval = SimDuration.Zero,
            Start = SampleStart.Of(last, input.LastRedoDistance) with { ArchivedThrough = archiverNow.Failing ? archiverNow.LastArchived : null },
            Archiver = archiver,
            // The write phase the samples' checkpoints showed: a server with few dirty buffers decides at once.
            CheckpointWrite = input.WritePhases.ForForecast,
        };
    }

    /// <summary>Runs the forecast for one what-if: <see cref="ForecastOptions.Runs"/> seeded paths, and one run at the
    /// fitted median rate (the "typical" column).</summary>
    /// <param name="input">The cluster now.</param>
    /// <param name="fit">The workload model.</param>
    /// <param name="options">Horizon, runs, seed, disk.</param>
    /// <param name="whatIf">The change forecast.</param>
    /// <param name="fitClockNow">"Now" on the clock the workload was fitted on, when it was fitted to another file
    /// (a longer history, a server log); default: the samples' own clock.</param>
    public static ForecastResult Run(ForecastInput input, WorkloadFit fit, ForecastOptions options, WhatIf whatIf, SimTime? fitClockNow = null)
    {
        var scenario = StartingScenario(input, options, whatIf);
        var now = fitClockNow ?? input.Now;
        var version = input.Version;
        var every = options.TrajectoryEvery is { } e && e > SimDuration.Zero ? e : (SimDuration?)null;
        var points = every is { } ev ? (int)(options.Horizon.Microseconds / ev.Microseconds) + 1 : 0;
        if (every is { } sampleEvery) scenario = scenario with { SampleInterval = sampleEvery };
        // A fine bucket over a long horizon: several buckets per engine step (same volume, fewer rate changes).
        var bucketsPerStep = Math.Max(1, fit.BucketsIn(options.Horizon) / 4096);
        var paused = scenario.Slots.Select(spec => input.Slots.Single(x => x.Name == spec.Name))
            .Where(x => x.Consumer == ConsumerState.KeepsUp && x.StopProbability > 0 && !whatIf.StopSlots.ContainsKey(x.Name)).ToList();
        var timeout = ServerSettings.Create(RetentionPolicy.For(version), input.SegmentSize, scenario.Settings).CheckpointTimeout;
        var runs = MonteCarlo.Run(options.Runs, options.Seed, (i, rng) =>
        {
            var workload = fit.SamplePath(rng, now, options.Horizon, whatIf.RateFactor, bucketsPerStep);
            // No observer unless the trajectory is wanted: an unobserved run builds no timeline rows at all.
            var recorder = every is null ? null : new PgWalRecorder(every, points);
            var run = paused.Count == 0 ? scenario : WithPauses(scenario, paused, new Random(MonteCarlo.RunSeed(options.Seed ^ PauseSeed, i)));
            run = run with { TimedCheckpointLateness = CheckpointTiming(input.TimedCheckpointLateness, timeout, options.Horizon, new Random(MonteCarlo.RunSeed(options.Seed ^ CheckpointSeed, i))) };
            // A phase below the samples' resolution is not known to be zero: this run's, from 0 to the resolution.
            if (input.WritePhases.UnresolvedUpTo is { Ticks: > 0 } unresolved)
                run = run with { CheckpointWrite = CheckpointWrite.Fixed(new SimDuration((long)(unresolved.Ticks / 10 * new Random(MonteCarlo.RunSeed(options.Seed ^ WritePhaseSeed, i)).NextDouble()))) };
            return (Result: Simulation.Run(run with { Workload = workload }, version, recorder), Bytes: recorder?.Bytes ?? []);
        }, options.Parallelism);
        var outcomes = runs.Select(r => r.Result).ToArray();

        // The median-rate run: the fitted level, trend and cycle without noise.
        var buckets = fit.BucketsIn(options.Horizon);
        var steps = new RateStep[buckets];
        for (var k = 0; k < buckets; k++)
        {
            var t = SimTime.Zero + fit.Bucket * k;
            steps[k] = new RateStep(t, fit.MedianRateAt(now + fit.Bucket * k + fit.Bucket * 0.5) * whatIf.RateFactor);
        }
        // The typical run takes each paused consumer's likelier fate: gone when that is at least an even chance.
        var typicalScenario = WithPauses(scenario, [.. paused.Where(p => p.StopProbability >= 0.5).Select(p => p with { StopProbability = 1 })], new Random(0));
        var typical = Simulation.Run(typicalScenario with { Workload = new Workload([new PiecewiseRate(steps)]) }, version);

        static SimDuration? Since(SimTime? t) => t is { IsNever: false } v ? v - SimTime.Zero : null;
        var slotForecasts = scenario.Slots.Select(spec =>
        {
            var atEnd = input.Slots.Single(s => s.Name == spec.Name);
            SlotSummary? Of(SimulationResult r) => r.Slots.FirstOrDefault(x => x.Name == spec.Name);
            return new SlotForecast(spec.Name, spec.Kind,
                whatIf.StopSlots.ContainsKey(spec.Name) ? ConsumerState.Stalled : atEnd.Consumer, atEnd.WalStatus,
                new OutcomeSummary(outcomes.Select(r => Since(Of(r)?.FirstExtended))),
                new OutcomeSummary(outcomes.Select(r => Since(Of(r)?.FirstUnreserved))),
                new OutcomeSummary(outcomes.Select(r => Since(Of(r)?.Lost))),
                Of(typical));
        }).ToList();
        return new ForecastResult(whatIf, slotForecasts,
            new OutcomeSummary(outcomes.Select(r => Since(r.Summary.DiskFull))),
            new OutcomeSummary(outcomes.Select(r => Since(r.Summary.ReadOnly))),
            outcomes.Select(r => r.Summary.PeakPgWalBytes).Order().ToList(),
            typical.Summary,
            input.Slots.Where(s => s.Consumer == ConsumerState.Lost).Select(s => s.Name).ToList())
        {
            PgWalTrajectory = Trajectory(runs.Select(r => r.Bytes).ToList(), every, points),
        };
    }

    /// <summary>Mixed into the master seed for the paused consumers' draws, so that the workload paths stay those of the
    /// same seed without a paused consumer.</summary>
    private const int PauseSeed = 0x5BD1E995;

    /// <summary>Mixed into the master seed for the checkpoint timing draws (the workload paths stay those of the seed).</summary>
    private const int CheckpointSeed = 0x27D4EB2F;

    /// <summary>Mixed into the master seed for the draws of a write phase below the samples' resolution.</summary>
    private const int WritePhaseSeed = 0x165667B1;

    /// <summary>
    /// One run's timing of its timed checkpoints (<see cref="Scenario.TimedCheckpointLateness"/>). <c>checkpoint_time</c>
    /// is <c>time(NULL)</c> at a checkpoint's start, whole seconds: the samples show how many whole seconds each timed
    /// checkpoint came after checkpoint_timeout (<see cref="ForecastInput.TimedCheckpointLateness"/>: mostly 0 — the
    /// checkpointer counts the timeout in whole seconds from the previous start — sometimes 1 or more when the machine
    /// was busy), but not where inside its second it started. So checkpoint n of the run starts at the last sampled
    /// <c>checkpoint_time</c> + n·checkpoint_timeout + the sum of n whole-second lateness values drawn with replacement
    /// from the samples' + a fraction of a second, uniform (CheckpointerMain sleeps from the end of a checkpoint that
    /// took d, so the fraction creeps by d a cycle and wraps). E.g. lateness seen {0, 0, 0, 1}, timeout 30 s: the
    /// fourth checkpoint comes 120–124 s after the last sampled one, not at exactly 120 s. The engine takes waits, so
    /// wait k is timeout + ℓₖ + fₖ₊₁ − fₖ (f₀ = 0: the engine starts from the truncated time). No lateness seen: only the
    /// fraction, once.
    /// </summary>
    public static IReadOnlyList<SimDuration> CheckpointTiming(IReadOnlyList<TimeSpan> observed, SimDuration timeout, SimDuration horizon, Random rng)
    {
        var waits = observed.Count == 0 ? 1 : (int)Math.Clamp(horizon.Microseconds / Math.Max(1, timeout.Microseconds) + 2, 1, 100_000);
        var lateness = new SimDuration[waits];
        var fraction = 0.0;
        for (var k = 0; k < waits; k++)
        {
            var whole = observed.Count == 0 ? TimeSpan.Zero : observed[rng.Next(observed.Count)];
            var next = rng.NextDouble();
            lateness[k] = SimDuration.FromSeconds(whole.TotalSeconds + next - fraction);
            fraction = next;
        }
        return lateness;
    }

    /// <summary>
    /// One run's fate of each paused consumer: with its <see cref="SlotAtEnd.StopProbability"/> it never comes back;
    /// otherwise it comes back when one of its earlier pauses at least as long would have ended (at once when none).
    /// </summary>
    private static Scenario WithPauses(Scenario scenario, IReadOnlyList<SlotAtEnd> paused, Random rng)
    {
        var slots = scenario.Slots.ToList();
        foreach (var p in paused)
        {
            var i = slots.FindIndex(x => x.Name == p.Name);
            var gone = rng.NextDouble() < p.StopProbability;
            var back = SimTime.Never;
            if (!gone)
            {
                if (p.EarlierPauses.Count == 0) continue;
                var pause = p.EarlierPauses[rng.Next(p.EarlierPauses.Count)];
                back = SimTime.Zero + SimDuration.FromSeconds(Math.Max(0, (pause - p.PausedFor).TotalSeconds));
            }
            slots[i] = slots[i] with { Consumer = slots[i].Consumer with { Outages = [new Outage(SimTime.Zero, back)] } };
        }
        return scenario with { Slots = slots };
    }

    private static List<TrajectoryPoint> Trajectory(List<long[]> runs, SimDuration? every, int points)
    {
        var list = new List<TrajectoryPoint>(points);
        if (every is not { } e || runs.Count == 0) return list;
        var column = new long[runs.Count];
        for (var k = 0; k < points; k++)
        {
            for (var i = 0; i < runs.Count; i++) column[i] = runs[i][k];
            Array.Sort(column);
            ByteCount Q(double p) => new(column[EmpiricalQuantile.Type1Index(column.Length, p)]);
            list.Add(new TrajectoryPoint(e * k, Q(0.1), Q(0.5), Q(0.9)));
        }
        return list;
    }

    /// <summary>pg_wal's size at each grid time of one run (a row is written at every multiple of the interval;
    /// between two, the last value holds).</summary>
    private sealed class PgWalRecorder : ISimulationObserver
    {
        private readonly long _everyUs;
        public long[] Bytes { get; }

        public PgWalRecorder(SimDuration? every, int points)
        {
            _everyUs = every?.Microseconds ?? 0;
            Bytes = new long[points];
            Array.Fill(Bytes, -1);
        }

        public void OnTimelineRow(TimelineRow row)
        {
            if (_everyUs == 0 || row.Reason != RowReason.Sample) return;
            var k = row.At.Microseconds / _everyUs;
            if (k < Bytes.Length) Bytes[k] = row.PgWalBytes.Bytes;
            // Fill any grid point the run skipped (none expected) with the value before it.
            for (var j = 1; j < Bytes.Length && j <= k; j++) if (Bytes[j] < 0) Bytes[j] = Bytes[j - 1];
        }
    }
}

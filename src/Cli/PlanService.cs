using Spectre.Console;
using Walsim.Analyzer.Planning;
using Walsim.Analyzer.Reports.Charts;
using Walsim.Simulator.Planning;

namespace Walsim.Cli;

/// <param name="Path">A scenario (YAML) or a sample file (CSV from <c>walsim sample</c>).</param>
/// <param name="Version">The version to plan for; null = the scenario's newest, or the sampled server's.</param>
/// <param name="Slots">Slots to plan for; empty = every slot with a consumer.</param>
/// <param name="Disk">The pg_wal volume, overriding the scenario's; null = the scenario's.</param>
/// <param name="NoDisk">Plan without a volume limit (the plan then sizes it).</param>
/// <param name="Outages">Outage lengths (<see cref="PlanGrid"/>).</param>
/// <param name="Caps">Candidate caps; null = from half the WAL of the shortest outage to twice the WAL of the longest (at the
/// mean rate), at most the volume, and unlimited.</param>
/// <param name="Steps">Values a range is cut into.</param>
/// <param name="Target">The outage the recommendation is for; null = the longest judged.</param>
/// <param name="Risk">The acceptable probability of losing the slot at the target outage.</param>
/// <param name="Margin">Free space above the largest pg_wal, as a fraction.</param>
/// <param name="Runs">Monte Carlo runs per slot and cap.</param>
/// <param name="Seed">Master seed.</param>
/// <param name="Window">How far into the workload an outage may start; null = the scenario's span, or 7 days of samples.</param>
/// <param name="Format">The stdout format: a name in <see cref="PlanRenderers.Registry"/>.</param>
/// <param name="OutDir">Where plan.md, plan.csv, plan.json and the charts as PNG go; null = nowhere.</param>
/// <param name="Html">The HTML report's path; "" = plan.html in the output directory; null = none.</param>
/// <param name="Threads">Threads for the runs (the plan does not depend on it).</param>
public sealed record PlanRequest(string Path, PgVersion? Version, IReadOnlyList<string> Slots, ByteCount? Disk, bool NoDisk,
    string Outages, string? Caps, int Steps, SimDuration? Target, double Risk, double Margin, int Runs, int Seed, SimDuration? Window,
    string Format, string? OutDir, string? Html, int Threads)
{
    /// <summary>For a Prometheus URL as <see cref="Path"/>: which cluster and stretch (<c>--prometheus</c>).</summary>
    public PrometheusQuery? Prometheus { get; init; }

    /// <summary>A managed service's read-only threshold, as a fraction of the volume.</summary>
    public double? ReadOnlyAt { get; init; }

    /// <summary>For samples: the cycle to fit (a day, unless the trace is compressed) and the fit's bucket.</summary>
    public SimDuration Period { get; init; } = SimDuration.FromDays(1);
    public SimDuration? Bucket { get; init; }

    /// <summary>For samples: look for the cycle in the data (no <c>--period</c> given), as forecast does.</summary>
    public bool DetectPeriod { get; init; }

    /// <summary>The chart images asked for (<c>--png</c>, <c>--svg</c>; in <see cref="OutDir"/>, else beside the page), and their size.</summary>
    public ChartOutput Charts { get; init; } = ChartOutput.None;
}

/// <summary><c>walsim plan</c>: a cap × outage sweep over Monte Carlo runs, and a recommended cap and volume per slot.</summary>
public sealed class PlanService(TextWriter stdout, TextWriter stderr, Func<string, Scenario> loadScenario, bool stderrIsTerminal)
{

    public ExitCode Run(PlanRequest request)
    {
        if (!PlanGrid.TryParseOutages(request.Outages, request.Steps, out var outages, out var error))
            return Usage($"--outage: {error}");
        if (request.Target is { } t && !outages.Contains(t)) outages = outages.Append(t).Order().ToList();

        return HistorySources.Recognises(request.Path)
            ? Failures.WithHistory(stderr, request.Path, HistoryUse.Plan, HistoryOptions.Default with { Prometheus = request.Prometheus }, ExitCode.UsageError, samples => Plan(request, outages, FromSamples(request, samples)))
            : Failures.Guard(stderr, () => Plan(request, outages, PlanSource.FromScenario(loadScenario(request.Path), request.Version)));
    }

    private PlanSource FromSamples(PlanRequest request, IRecordedHistory samples)
    {
        var input = ForecastInput.Read(samples);
        var fit = WorkloadFitException.Fit(request.Path, input.Observations, new WorkloadFitOptions { CyclePeriod = request.Period, Bucket = request.Bucket, DetectPeriod = request.DetectPeriod });
        return PlanSource.FromSamples(request.Path, input, fit, Disk(request, null));
    }

    private ExitCode Plan(PlanRequest request, IReadOnlyList<SimDuration> outages, PlanSource source)
    {
        var scenario = source.Scenario;
        var version = source.IsSamples && request.Version is { } asked && asked != source.Version
            ? asked // a what-if on the sampled cluster: the same workload and slots under another version's rules
            : source.Version;
        var disk = Disk(request, scenario.Disk);
        IReadOnlyList<SlotCap> caps;
        if (!RetentionPolicy.For(version).CapsSlotRetention)
        {
            if (request.Caps is not null) return Usage($"--cap: PostgreSQL {version.Major} has no max_slot_wal_keep_size; plan for 13+ (--pg) to compare caps");
            caps = [SlotCap.Unlimited];
        }
        else if (request.Caps is { } capText)
        {
            if (!PlanGrid.TryParseCaps(capText, request.Steps, out caps, out var error)) return Usage($"--cap: {error}");
        }
        else caps = DefaultCaps(source, disk, outages, request.Steps);

        var warmup = source.IsSamples ? (SimDuration?)null : PlanSource.DefaultWarmup;
        var (windowStart, windowEnd, note) = Window(source, version, outages[^1], warmup, request.Window);
        var options = new PlanOptions
        {
            Version = version,
            Caps = caps,
            Outages = outages,
            Runs = request.Runs,
            Seed = request.Seed,
            Disk = disk,
            WindowStart = windowStart,
            WindowEnd = windowEnd,
            Warmup = warmup,
            Slots = request.Slots,
            Target = request.Target,
            Risk = request.Risk,
            Margin = request.Margin,
            Parallelism = Math.Max(1, request.Threads),
        };
        if (note is not null) stderr.WriteLine($"walsim: note: {note}");
        // Before the runs: a report that cannot be written is known now, and then nothing is written.
        OutputPaths.CheckReports(PlanRenderers.Registry, request.OutDir, request.Html, Path.Combine("reports", scenario.Name), request.Charts.Any);

        PlanResult plan;
        try
        {
            plan = Failures.OnVersion(scenario, version, () => WithProgress(scenario, options, p => CapacityPlanner.Run(scenario, source.Workload, options, p)));
        }
        catch (PlanSlotException e)
        {
            return Usage($"--slot: {e.Message}");
        }
        catch (NothingToPlanException e)
        {
            stderr.WriteLine($"walsim: {request.Path}: {e.Message}");
            return ExitCode.InvalidScenario;
        }

        var registry = PlanRenderers.Registry;
        var format = registry.GetPrintable(request.Format);
        var report = new PlanReport(source, plan);
        format.Render(report, stdout);

        // All written before any is renamed: a failure leaves every earlier report as it was.
        var written = AtomicFile.WriteAll(report, registry.Files(report, request.OutDir, request.Html, Path.Combine("reports", scenario.Name), request.Charts));
        if (written.Count > 0 && format == registry.Default) stdout.WriteLine($"reports: {string.Join(", ", written.Select(ReportPaths.Relative))}");
        return ExitCode.Ok;
    }

    /// <summary>The volume: the one asked for, none when asked, else the scenario's.</summary>
    private static DiskSpec? Disk(PlanRequest request, DiskSpec? scenarioDisk)
    {
        if (request.NoDisk) return null;
        if (request.Disk is { } size) return new DiskSpec(size, scenarioDisk?.OtherUsage ?? ByteCount.Zero, request.ReadOnlyAt ?? scenarioDisk?.ReadOnlyAtFraction);
        if (scenarioDisk is { } d && request.ReadOnlyAt is { } ro) return d with { ReadOnlyAtFraction = ro };
        return scenarioDisk;
    }

    /// <summary>
    /// From half the WAL of the shortest outage to twice the WAL of the longest, at the workload's mean rate — the
    /// caps that can make a difference — but not above the volume; and unlimited, which shows what the volume alone
    /// would do.
    /// </summary>
    private static IReadOnlyList<SlotCap> DefaultCaps(PlanSource source, DiskSpec? disk, IReadOnlyList<SimDuration> outages, int steps)
    {
        const long Mb = ByteCount.MiB;
        var rate = Math.Max(source.MeanRate, 1);
        var lo = PlanGrid.NiceSize(new ByteCount((long)Math.Max(source.Scenario.SegmentSize.Bytes, rate * outages[0].TotalSeconds / 2))).Bytes;
        var hi = PlanGrid.NiceSize(new ByteCount((long)Math.Min(long.MaxValue / 4, rate * outages[^1].TotalSeconds * 2))).Bytes;
        if (disk is { } d && d.Size.Bytes < hi) hi = d.Size.Bytes; // the volume as given: a cap above it cannot act
        if (hi <= lo * 2) lo = Math.Max(Mb, hi / 16);
        PlanGrid.TryParseCaps($"{Math.Max(1, lo / Mb)}MB..{Math.Max(2, hi / Mb)}MB", steps, out var caps, out _);
        return [.. caps, SlotCap.Unlimited];
    }

    /// <summary>
    /// Where outages may start. Scenario: after the warm-up, leaving room in the scenario's span for the longest outage
    /// and the checkpoints after it; a scenario too short for that is extended past its end (its components hold for
    /// all time) over one day of start times, and the note says so. Samples: the next 7 days (or --window).
    /// </summary>
    private static (SimTime Start, SimTime End, string? Note) Window(PlanSource source, PgVersion version, SimDuration longest, SimDuration? warmup, SimDuration? window)
    {
        var start = SimTime.Zero + (warmup ?? SimDuration.Zero);
        if (window is { } w) return (start, start + w, null);
        if (source.IsSamples) return (start, start + PlanSource.SampleWindow, null);
        var span = source.Scenario.Duration;
        var end = SimTime.Zero + span - longest - CapacityPlanner.Tail(source.Scenario, version);
        if (end > start) return (start, end, null);
        var day = SimDuration.FromDays(1);
        return (start, start + day,
            $"{source.Scenario.Name} lasts {span}, less than the warm-up ({warmup}) and the longest outage ({longest}): outages start within one day after the warm-up and runs continue its workload past its end (--window to choose)");
    }

    private T WithProgress<T>(Scenario scenario, PlanOptions options, Func<Action<long>?, T> run)
    {
        // A bar on a terminal; nothing in CI or when stderr is redirected (the numbers go to stdout either way).
        if (!stderrIsTerminal || Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
            return run(null);
        var total = CapacityPlanner.EngineRuns(scenario, options);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        T result = default!;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{total} runs", maxValue: total);
                result = run(n => task.Value = n);
                task.Value = task.MaxValue; // the refinement's steps were estimated: the bar ends full
            });
        return result;
    }

    private ExitCode Usage(string message)
    {
        stderr.WriteLine($"walsim: {message}");
        return ExitCode.UsageError;
    }
}

namespace Walsim.Cli.Commands;

/// <summary><c>walsim plan</c>: its arguments, options, help examples and the action that hands them to <see cref="PlanService"/>.</summary>
internal static class PlanCommand
{
    public const string Examples = """
        walsim plan scenarios/plan-cdc-and-standby-30d.yaml
        walsim plan scenarios/plan-cdc-and-standby-30d.yaml --slot cdc --target 12h --cap 16GB..256GB --html
        walsim plan db1.csv --disk 500GB --outage 1h,4h,12h,24h --risk 5% --format markdown
        walsim plan scenarios/standby-stalled-past-cap.yaml --pg 15 --disk none --out reports/plan
        """;

    public static Command Create(PlanService service, TextWriter stderr)
    {
        var input = InputFile("input", "A scenario file (YAML), or a sample file written by walsim sample (.csv, its NAME.settings.csv beside it); or --prometheus URL.", InputKind.ScenarioOrSamples);
        var prometheus = PrometheusOptions.For(input, segmentSize: true);
        var pg = Version("--pg", "The version to plan for (with a --prometheus that does not publish it, pgwatch without settings_num: the server's). [default: the scenario's newest version, or the sampled server's]");
        var slot = new Option<string[]>("--slot") { Description = "A slot to plan for; repeatable. [default: every slot with a consumer]", HelpName = "name" };
        var disk = Disk("The pg_wal volume (250GB), instead of the scenario's; 'none' to plan without one (the plan then sizes it).", noneAllowed: true);
        var readOnly = ReadOnlyAt("A managed service's read-only threshold as a share of the volume (95%).");
        var outage = new Option<string>("--outage")
        {
            Description = "Outage lengths to judge: a range cut into --steps on a log scale (30min..48h), or a list (1h,6h,24h).",
            HelpName = "lengths",
            DefaultValueFactory = _ => "30min..48h",
        };
        var cap = new Option<string>("--cap")
        {
            Description = "Candidate max_slot_wal_keep_size values: a range (1GB..200GB) or a list (16GB,64GB,-1; -1 = unlimited). [default: from half the WAL the shortest outage writes to twice what the longest writes, at the mean rate, at most the volume; and unlimited]",
            HelpName = "sizes",
        };
        var steps = WholeNumber("--steps", "How many values a range is cut into.", 10, 2, 100);
        var target = Duration("--target", "The outage the recommendation must survive. [default: the longest judged]");
        var risk = Share("--risk", "The acceptable probability of losing the slot in the target outage.", "1%",
            f => f is >= 0 and < 1, "a probability from 0% up to (not including) 100%, like 1%");
        var margin = Share("--margin", "Free space to leave above the largest pg_wal when sizing the volume.", "20%",
            f => f >= 0, "a share of 0% or more, like 20%");
        var runs = Runs("Monte Carlo runs per slot and cap.", 500);
        var seed = Seed("Master seed: the same seed and input give the same plan.");
        var window = Duration("--window", "How far into the workload an outage may start. [default: the scenario's duration, leaving room for the longest outage; 7d for samples]");
        var period = Duration("--period", "Samples: the cycle to fit. [default: found in the data when the history is shorter than two days (every period from 4 buckets to the whole history tried: at least one cycle seen), else 24h]");
        var bucket = Duration("--bucket", "Samples: the fit's rate bucket. [default: 5min, or 4 sample intervals if longer]");
        var report = ReportOptions.Create(Walsim.Analyzer.Planning.PlanRenderers.Registry, "the plan",
            outDir: "Also write plan.md (showing the charts), plan.csv, plan.json and the charts as PNG (as --png) to this directory (all complete or none).",
            html: "Also write a self-contained HTML report: heatmaps of outage x cap, the longest outage survived against the cap, the recommendation. [default file: <--out or reports/<name>>/plan.html]",
            charts: "per slot, plan.survival-N-SLOT.png (the longest outage survived against the cap) and plan.p-slot-lost-N-SLOT.png (P(slot lost) by outage and cap), in --out or reports/<name>");
        var threads = Threads("Threads for the runs (the plan does not depend on it). [default: the processor count]");

        var command = new Command("plan", """
            Capacity planning: for each slot, how long its consumer may be away under each candidate max_slot_wal_keep_size before the slot is invalidated or the pg_wal volume fills, over seeded Monte Carlo runs of the workload (a scenario's declared noise, or the rate fitted to samples), and a recommended cap and volume size with the margin and the reason. Each run stops one consumer at a random time in the window and never brings it back; the other consumers keep up. On a terminal a progress bar shows on stderr.
            """) { input, pg, slot, disk, readOnly, outage, cap, steps, target, risk, margin, runs, seed, window, period, bucket };
        foreach (var o in report.All) command.Options.Add(o);
        command.Options.Add(threads);
        foreach (var o in prometheus.All) command.Options.Add(o);
        command.SetAction(r =>
        {
            // --pg is also the history's version where the Prometheus does not publish it (pgwatch).
            if (!prometheus.TryRead(r, stderr, out var path, out var query, version: r.GetValue(pg))) return (int)ExitCode.UsageError;
            return (int)service.Run(new PlanRequest(path, r.GetValue(pg), r.GetValue(slot) ?? [],
                r.GetValue(disk), NoDisk: r.GetResult(disk) is not null && r.GetValue(disk) is null,
                r.GetRequiredValue(outage), r.GetValue(cap), r.GetValue(steps), r.GetValue(target), ShareOf(r, risk), ShareOf(r, margin),
                r.GetValue(runs), r.GetValue(seed), r.GetValue(window),
                r.GetRequiredValue(report.Format), r.GetValue(report.OutDir), report.HtmlPath(r), r.GetValue(threads) ?? Environment.ProcessorCount)
            {
                ReadOnlyAt = r.GetValue(readOnly),
                Period = r.GetValue(period) ?? SimDuration.FromDays(1),
                DetectPeriod = r.GetValue(period) is null,
                Bucket = r.GetValue(bucket),
                Charts = report.Charts.From(r),
                Prometheus = query,
            });
        });
        return command;
    }
}

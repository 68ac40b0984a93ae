using System.CommandLine;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using static Walsim.Cli.Commands.CliOptions;

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
        var input = new Argument<string>("input") { Description = "A scenario file (YAML), or a sample file written by walsim sample (.csv, its NAME.settings.csv beside it)." };
        MustExist(input, File.Exists);
        var pg = new Option<PgVersion?>("--pg")
        {
            Description = "The version to plan for. [default: the scenario's newest version, or the sampled server's]",
            HelpName = "version",
            CustomParser = r => PgVersion.TryParse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "", out var v, out var e) ? v : Fail(r, $"--pg: {e}"),
        };
        var slot = new Option<string[]>("--slot") { Description = "A slot to plan for; repeatable. [default: every slot with a consumer]", HelpName = "name" };
        var disk = new Option<string>("--disk") { Description = "The pg_wal volume (250GB), instead of the scenario's; 'none' to plan without one (the plan then sizes it).", HelpName = "size" };
        var readOnly = new Option<string>("--read-only-at") { Description = "A managed service's read-only threshold as a share of the volume (95%).", HelpName = "share" };
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
        var steps = new Option<int>("--steps") { Description = "How many values a range is cut into.", DefaultValueFactory = _ => 10, HelpName = "n" };
        steps.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 2 or > 100) r.AddError("--steps: expected 2 to 100"); });
        var target = new Option<TimeSpan?>("--target")
        {
            Description = "The outage the recommendation must survive. [default: the longest judged]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--target"),
        };
        var risk = new Option<string>("--risk") { Description = "The acceptable probability of losing the slot in the target outage.", DefaultValueFactory = _ => "1%", HelpName = "share" };
        var margin = new Option<string>("--margin") { Description = "Free space to leave above the largest pg_wal when sizing the volume.", DefaultValueFactory = _ => "20%", HelpName = "share" };
        var runs = new Option<int>("--runs") { Description = "Monte Carlo runs per slot and cap.", DefaultValueFactory = _ => 500, HelpName = "n" };
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100_000) r.AddError("--runs: expected 1 to 100000"); });
        var seed = new Option<int>("--seed") { Description = "Master seed: the same seed and input give the same plan.", DefaultValueFactory = _ => 1, HelpName = "n" };
        var window = new Option<TimeSpan?>("--window")
        {
            Description = "How far into the workload an outage may start. [default: the scenario's duration, leaving room for the longest outage; 7d for samples]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--window"),
        };
        var period = new Option<TimeSpan?>("--period") { Description = "Samples: the cycle to fit. [default: 24h]", HelpName = "duration", CustomParser = r => ParseDuration(r, "--period") };
        var bucket = new Option<TimeSpan?>("--bucket") { Description = "Samples: the fit's rate bucket. [default: 5min, or 4 sample intervals if longer]", HelpName = "duration", CustomParser = r => ParseDuration(r, "--bucket") };
        var format = new Option<string>("--format")
        {
            Description = "How the plan is printed on stdout: a table, Markdown (a pull-request comment), CSV (one row per slot, cap and outage) or JSON.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "markdown", "csv", "json");
        var outDir = new Option<string>("--out") { Description = "Also write plan.md, plan.csv and plan.json to this directory (each complete or not at all).", HelpName = "dir" };
        outDir.AcceptLegalFilePathsOnly();
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report: heatmaps of outage x cap, the longest outage survived against the cap, the recommendation. [default file: <--out or reports/<name>>/plan.html]",
            HelpName = "file",
            Arity = ArgumentArity.ZeroOrOne,
        };
        html.AcceptLegalFilePathsOnly();
        var threads = new Option<int>("--threads") { Description = "Threads for the runs (the plan does not depend on it). [default: the processor count]", HelpName = "n" };

        var command = new Command("plan", """
            Capacity planning: for each slot, how long its consumer may be away under each candidate max_slot_wal_keep_size before the slot is invalidated or the pg_wal volume fills, over seeded Monte Carlo runs of the workload (a scenario's declared noise, or the rate fitted to samples), and a recommended cap and volume size with the margin and the reason. Each run stops one consumer at a random time in the window and never brings it back; the other consumers keep up. On a terminal a progress bar shows on stderr.
            """) { input, pg, slot, disk, readOnly, outage, cap, steps, target, risk, margin, runs, seed, window, period, bucket, format, outDir, html, threads };
        command.SetAction(r =>
        {
            ByteCount? size = null;
            var noDisk = false;
            if (r.GetValue(disk) is { } d)
            {
                if (d is "none" or "unlimited") noDisk = true;
                else if (!ValueParser.TryParseSize(d, out var s, out var e)) { stderr.WriteLine($"walsim: --disk: {e}"); return (int)ExitCode.UsageError; }
                else size = s;
            }
            double? ro = null;
            if (r.GetValue(readOnly) is { } t)
            {
                if (!ValueParser.TryParseFraction(t, out var f, out var e) || f is <= 0 or > 1) { stderr.WriteLine($"walsim: --read-only-at: {e ?? "expected a share between 0% and 100%"}"); return (int)ExitCode.UsageError; }
                ro = f;
            }
            if (!ValueParser.TryParseFraction(r.GetRequiredValue(risk), out var riskValue, out var riskError) || riskValue is < 0 or >= 1)
            {
                stderr.WriteLine($"walsim: --risk: {riskError ?? "expected a probability from 0% up to (not including) 100%"}");
                return (int)ExitCode.UsageError;
            }
            if (!ValueParser.TryParseFraction(r.GetRequiredValue(margin), out var marginValue, out var marginError) || marginValue < 0)
            {
                stderr.WriteLine($"walsim: --margin: {marginError ?? "expected a share of 0% or more"}");
                return (int)ExitCode.UsageError;
            }
            static SimDuration? Sim(TimeSpan? ts) => ts is { } v ? SimDuration.FromSeconds(v.TotalSeconds) : null;
            var htmlPath = r.GetResult(html) is { } hr ? (hr.Tokens.Count > 0 ? hr.Tokens[0].Value : "") : null;
            var threadCount = r.GetValue(threads) is > 0 and var n ? n : Environment.ProcessorCount;
            return (int)service.Run(new PlanRequest(r.GetRequiredValue(input), r.GetValue(pg), r.GetValue(slot) ?? [], size, noDisk,
                r.GetRequiredValue(outage), r.GetValue(cap), r.GetValue(steps), Sim(r.GetValue(target)), riskValue, marginValue,
                r.GetValue(runs), r.GetValue(seed), Sim(r.GetValue(window)),
                Enum.Parse<PlanFormat>(r.GetRequiredValue(format), ignoreCase: true), r.GetValue(outDir), htmlPath, threadCount)
            {
                ReadOnlyAt = ro,
                Period = Sim(r.GetValue(period)) ?? SimDuration.FromDays(1),
                Bucket = Sim(r.GetValue(bucket)),
            });
        });
        return command;
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Units;
using static Walsim.Cli.Commands.CliOptions;

namespace Walsim.Cli.Commands;

/// <summary><c>walsim forecast</c>: its arguments, options, help examples and the action that hands them to <see cref="ForecastService"/>.</summary>
internal static class ForecastCommand
{
    public const string Examples = """
        walsim forecast samples.csv
        walsim forecast db1.csv --horizon 30d --disk 200GB --what-if "slot cdc stops now" --what-if "rate x2"
        walsim forecast db1.csv --what-if "slot cdc stops now; set max_slot_wal_keep_size=50GB" --runs 1000 --seed 7
        walsim forecast db1.csv --workload-from /var/log/postgresql/postgresql-15-main.log
        walsim forecast scenarios/traces/diurnal-15/samples.csv --backtest --period 10min --bucket 20s
        """;

    public static Command Create(ForecastService service, TextWriter stderr)
    {
        var samples = new Argument<string>("samples") { Description = "A sample file written by walsim sample (its NAME.settings.csv must be beside it)." };
        MustExist(samples, File.Exists);
        var horizon = new Option<TimeSpan?>("--horizon")
        {
            Description = "How far ahead to forecast (6h, 7d, 30d). [default: 7d]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--horizon"),
        };
        var whatIf = new Option<IReadOnlyList<WhatIf>>("--what-if")
        {
            Description = "An alternative to the current trend, forecast on its own; repeatable: \"slot NAME stops now\", \"slot NAME stops in 2h\", \"rate x2\", \"set max_slot_wal_keep_size=10GB\"; several in one with ';'.",
            HelpName = "change",
            CustomParser = ParseWhatIfs,
        };
        var disk = new Option<string>("--disk") { Description = "The pg_wal volume's size (200GB): also forecast when it fills.", HelpName = "size" };
        var readOnly = new Option<string>("--read-only-at") { Description = "A managed service's read-only threshold as a share of --disk (95%).", HelpName = "share" };
        var runs = new Option<int>("--runs") { Description = "Monte Carlo runs.", DefaultValueFactory = _ => 500, HelpName = "n" };
        var seed = new Option<int>("--seed") { Description = "Master seed: the same seed and file give the same forecast.", DefaultValueFactory = _ => 1, HelpName = "n" };
        var until = UntilOption("Forecast from this point of the file instead of its end: a duration from the first sample or a UTC time.");
        var period = new Option<TimeSpan?>("--period")
        {
            Description = "The cycle to look for in the write rate. [default: 24h]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--period"),
        };
        var bucket = new Option<TimeSpan?>("--bucket")
        {
            Description = "The fit's rate bucket. [default: 5min, or 4 sample intervals if longer]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--bucket"),
        };
        var workloadFrom = new Option<string>("--workload-from")
        {
            Description = "Fit the workload to this file instead: a longer sample file, or a server log written with log_checkpoints = on (weeks of checkpoint distances show the daily cycle and the trend).",
            HelpName = "file",
        };
        workloadFrom.Validators.Add(r => { if (r.GetValueOrDefault<string>() is { } p && !File.Exists(p)) r.AddError($"{p}: no such file or directory"); });
        var backtest = new Option<bool>("--backtest") { Description = "Forecast from the first part of the file (up to --until, default half-way) and compare with what the rest shows, side by side with predict_linear." };
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100_000) r.AddError("--runs: expected 1 to 100000"); });

        var command = new Command("forecast", """
            Forecasts, from a sample file, when each slot becomes extended, unreserved and lost, when pg_wal fills the disk (or a managed service goes read-only), and how big pg_wal gets. Fits the WAL rate with a daily cycle and a trend where the data shows them, then runs seeded Monte Carlo futures of that workload through the model of the sampled version, starting from the cluster as the last sample saw it; consumers that kept up keep up, stalled ones stay stalled. Prints p10/p50/p90 under the current trend and under each --what-if.
            """) { samples, horizon, whatIf, disk, readOnly, runs, seed, until, period, bucket, workloadFrom, backtest };
        command.SetAction(r =>
        {
            ByteCount? size = null;
            if (r.GetValue(disk) is { } d)
            {
                if (!ValueParser.TryParseSize(d, out var s, out var e)) { stderr.WriteLine($"walsim: --disk: {e}"); return (int)ExitCode.UsageError; }
                size = s;
            }
            double? ro = null;
            if (r.GetValue(readOnly) is { } t)
            {
                if (!ValueParser.TryParseFraction(t, out var f, out var e)) { stderr.WriteLine($"walsim: --read-only-at: {e}"); return (int)ExitCode.UsageError; }
                if (size is null) { stderr.WriteLine("walsim: --read-only-at needs --disk"); return (int)ExitCode.UsageError; }
                ro = f;
            }
            return (int)service.Run(new ForecastRequest(r.GetRequiredValue(samples),
                SimDuration.FromSeconds((r.GetValue(horizon) ?? TimeSpan.FromDays(7)).TotalSeconds), r.GetValue(whatIf) ?? [], size, ro,
                r.GetValue(runs), r.GetValue(seed), r.GetValue(until),
                SimDuration.FromSeconds((r.GetValue(period) ?? TimeSpan.FromDays(1)).TotalSeconds),
                r.GetValue(bucket) is { } b ? SimDuration.FromSeconds(b.TotalSeconds) : null) { Backtest = r.GetValue(backtest), WorkloadFrom = r.GetValue(workloadFrom) });
        });
        return command;
    }

    private static IReadOnlyList<WhatIf> ParseWhatIfs(ArgumentResult result)
    {
        var list = new List<WhatIf>();
        foreach (var token in result.Tokens)
        {
            if (!WhatIf.TryParse(token.Value, out var w, out var error))
            {
                result.AddError($"--what-if: {error}");
                return [];
            }
            list.Add(w);
        }
        return list;
    }
}

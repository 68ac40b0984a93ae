using System.CommandLine.Parsing;

namespace Walsim.Cli.Commands;

/// <summary><c>walsim forecast</c>: its arguments, options, help examples and the action that hands them to <see cref="ForecastService"/>.</summary>
internal static class ForecastCommand
{
    public const string Examples = """
        walsim forecast samples.csv
        walsim forecast db1.csv --horizon 30d --disk 200GB --what-if "slot cdc stops now" --what-if "rate x2"
        walsim forecast db1.csv --what-if "slot cdc stops now; set max_slot_wal_keep_size=50GB" --runs 1000 --seed 7
        walsim forecast scenarios/traces/diurnal-pg15/samples.csv --workload-from scenarios/traces/diurnal-pg15/server.log --period 10min --bucket 20s
        walsim forecast scenarios/traces/diurnal-pg15/samples.csv --backtest --period 10min --bucket 20s
        walsim forecast --prometheus http://prometheus:9090 --instance db1:9187 --range 30d
        """;

    public static Command Create(ForecastService service, TextWriter stderr)
    {
        var samples = InputFile("samples", "A sample file written by walsim sample (its NAME.settings.csv must be beside it); or --prometheus URL.", InputKind.Samples);
        var prometheus = PrometheusOptions.For(samples, pg: true, segmentSize: true);
        var horizon = Duration("--horizon", "How far ahead to forecast (6h, 7d, 30d). [default: 7d]");
        var whatIf = new Option<IReadOnlyList<WhatIf>>("--what-if")
        {
            Description = "An alternative to the current trend, forecast on its own; repeatable: \"slot NAME stops now\", \"slot NAME stops in 2h\", \"rate x2\", \"set max_slot_wal_keep_size=10GB\"; several in one with ';'.",
            HelpName = "change",
            CustomParser = ParseWhatIfs,
        };
        var disk = Disk("The pg_wal volume's size (200GB): also forecast when it fills.");
        var readOnly = ReadOnlyAt("A managed service's read-only threshold as a share of --disk (95%).", needs: disk);
        var runs = Runs("Monte Carlo runs.", 500);
        var seed = Seed("Master seed: the same seed and file give the same forecast.");
        var until = Until("Forecast from this point of the file instead of its end: a duration from the first sample or a UTC time.");
        var period = Duration("--period", "The cycle to look for in the write rate. [default: found in the data when the history is shorter than two days (every period from 4 buckets to the whole history tried: at least one cycle seen), else 24h]");
        var bucket = Duration("--bucket", "The fit's rate bucket. [default: from the data: a 48th of the history, at most 5min (or 4 sample intervals if longer), at least 4 sample intervals]");
        var workloadFrom = InputFileOption("--workload-from", "Fit the workload to this file instead: a longer sample file, or a server log written with log_checkpoints = on (weeks of checkpoint distances show the daily cycle and the trend); or a Prometheus URL (read with the --prometheus options: --instance, --match, --range …).", InputKind.HistoryOrUrl);
        var logFormat = LogFormat();
        var logLinePrefix = LogLinePrefix();
        var backtest = new Option<bool>("--backtest") { Description = "Forecast from the first part of the file (up to --until, default half-way) and compare with what the rest shows, side by side with predict_linear." };

        var command = new Command("forecast", """
            Forecasts, from a sample file, when each slot becomes extended, unreserved and lost, when pg_wal fills the disk (or a managed service goes read-only), and how big pg_wal gets. Fits the WAL rate with a daily cycle and a trend where the data shows them, then runs seeded Monte Carlo futures of that workload through the model of the sampled version, starting from the cluster as the last sample saw it; consumers that kept up keep up, stalled ones stay stalled. Prints p10/p50/p90 under the current trend and under each --what-if.
            """) { samples, horizon, whatIf, disk, readOnly, runs, seed, until, period, bucket, workloadFrom, logFormat, logLinePrefix, backtest };
        foreach (var o in prometheus.All) command.Options.Add(o);
        command.SetAction(r =>
        {
            if (!TryLogOptions(r, logFormat, logLinePrefix, stderr, out var format, out var prefix)) return (int)ExitCode.UsageError;
            if (!prometheus.TryRead(r, stderr, out var path, out var query, otherHistory: r.GetValue(workloadFrom))) return (int)ExitCode.UsageError;
            return (int)service.Run(new ForecastRequest(path,
                r.GetValue(horizon) ?? SimDuration.FromDays(7), r.GetValue(whatIf) ?? [], r.GetValue(disk), r.GetValue(readOnly),
                r.GetValue(runs), r.GetValue(seed), r.GetValue(until), r.GetValue(period) ?? SimDuration.FromDays(1), r.GetValue(bucket))
            {
                Backtest = r.GetValue(backtest), DetectPeriod = r.GetValue(period) is null, WorkloadFrom = r.GetValue(workloadFrom), LogFormat = format, LogLinePrefix = prefix,
                Prometheus = query,
            });
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
            // A value PostgreSQL would refuse is refused here, naming the what-if (applied in the runs, it would
            // surface mid-forecast as if the samples' settings were wrong).
            foreach (var (name, value) in w.Settings)
            {
                var problem = !GucCatalog.All.TryGetValue(name, out var def)
                    ? $"unrecognized configuration parameter \"{name}\" (walsim knows: {string.Join(", ", GucCatalog.All.Keys.Order())})"
                    : GucCatalog.TryParse(def, value, out _, out var invalid) ? null : invalid;
                if (problem is not null)
                {
                    result.AddError($"--what-if: \"{token.Value}\": {problem}");
                    return [];
                }
            }
            list.Add(w);
        }
        return list;
    }
}

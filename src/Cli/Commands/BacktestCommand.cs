namespace Walsim.Cli.Commands;

/// <summary><c>walsim backtest DIR</c>: forecasts every recorded history of a corpus from several splits and scores them.</summary>
internal static class BacktestCommand
{
    public const string Examples = """
        walsim backtest scenarios/histories
        walsim backtest scenarios/histories --splits 0.5 --runs 100 --format markdown
        """;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var dir = new Argument<string>("dir") { Description = "A folder of recorded histories: sub-folders each holding samples.csv or samples.csv.gz and its samples.settings.csv (scenarios/histories)." };
        var splits = new Option<string>("--splits") { Description = "Where each forecast starts, as fractions of each history, comma-separated. [default: 0.35,0.5,0.65]", HelpName = "fractions" };
        var runs = Runs("Monte Carlo runs per forecast.", 200);
        var seed = Seed("Master seed: the same seed and corpus give the same table.");
        var period = Duration("--period", "The cycle to look for in the write rate. [default: found in the data when the history is shorter than two days (every period from 4 buckets to the whole history tried: at least one cycle seen), else 24h]");
        var format = Format(ForecastRenderers.Corpus, $"How the table is printed: {ForecastRenderers.Corpus.DescribePrintable()}.");
        var command = new Command("backtest", """
            Scores walsim's forecasts on a corpus of real recorded histories: for each history and each split, forecasts from the samples before the split and compares with what the rest shows. For every slot lost after the split: the pinball loss of walsim's p10, p50 and p90 time to loss and of predict_linear's point forecast, whether the actual time fell inside p10-p90, and the interval's width; and pg_wal's size error. Exit code 3 when the folder holds no history or a history cannot be read.
            """) { dir, splits, runs, seed, period, format };
        command.SetAction(r =>
        {
            var fractions = new List<double>();
            foreach (var part in (r.GetValue(splits) ?? "0.35,0.5,0.65").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) || f <= 0 || f >= 1)
                {
                    stderr.WriteLine($"walsim: --splits: expected fractions between 0 and 1 like 0.35,0.5, got \"{part}\"");
                    return (int)ExitCode.UsageError;
                }
                fractions.Add(f);
            }
            var path = r.GetRequiredValue(dir);
            if (!Directory.Exists(path) || BacktestCorpus.Histories(path).Count == 0)
            {
                stderr.WriteLine($"walsim: {path}: no recorded history (a folder with samples.csv or samples.csv.gz, or sub-folders with one)");
                return (int)ExitCode.UsageError;
            }
            try
            {
                var fit = new WorkloadFitOptions { CyclePeriod = r.GetValue(period) ?? SimDuration.FromDays(1), DetectPeriod = r.GetValue(period) is null };
                var report = BacktestCorpus.Run(path, fractions, fit, r.GetValue(runs), r.GetValue(seed), Environment.ProcessorCount);
                ForecastRenderers.Corpus.GetPrintable(r.GetValue(format) ?? "table").Render(report, stdout);
                return (int)ExitCode.Ok;
            }
            catch (Exception e) when (e is SampleFileException or HistorySourceException or WorkloadFitException)
            {
                stderr.WriteLine($"walsim: {e.Message}");
                return (int)ExitCode.UsageError;
            }
        });
        return command;
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Walsim.Analyzer.History;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>One scored forecast of the corpus: a slot lost after a split of a history.</summary>
/// <param name="History">The history's folder name.</param>
/// <param name="Version">Its PostgreSQL version.</param>
/// <param name="Split">Where the forecast started, as a fraction of the history.</param>
/// <param name="Slot">The slot.</param>
/// <param name="StoppedAtSplit">Its consumer had already stopped for good at the split.</param>
/// <param name="Score">The loss time forecast, scored.</param>
public sealed record CorpusCase(string History, string Version, double Split, string Slot, bool StoppedAtSplit, ForecastScore Score)
{
    /// <summary>walsim's median error is at most half predict_linear's (the bar for a consumer that had stopped).</summary>
    public bool HalfOfLinear => Score.P50Error <= 0.5 * Score.LinearError;
}

/// <summary>pg_wal's size after one split of one history: the mean absolute error of each method.</summary>
public sealed record CorpusSize(string History, double Split, SizeBacktest Size);

/// <summary>The corpus backtest: every history under a folder, forecast from each split, scored.</summary>
public sealed record CorpusReport(string Directory, IReadOnlyList<double> Splits, int Runs, int Seed,
    IReadOnlyList<CorpusCase> Cases, IReadOnlyList<CorpusSize> Sizes)
{
    public int Covered => Cases.Count(c => c.Score.Covered);
    public double Coverage => Cases.Count == 0 ? 0 : (double)Covered / Cases.Count;
    public IReadOnlyList<CorpusCase> Stopped => [.. Cases.Where(c => c.StoppedAtSplit)];
    public double MeanPinball => Cases.Count == 0 ? 0 : Cases.Average(c => c.Score.Pinball3);
    public double MeanLinearPinball => Cases.Count == 0 ? 0 : Cases.Average(c => c.Score.LinearPinball);
    public double MeanP50Pinball => Cases.Count == 0 ? 0 : Cases.Average(c => c.Score.PinballP50);
    public double MeanWidth => Cases.Count == 0 ? 0 : Cases.Average(c => c.Score.Width);
}

/// <summary>
/// Backtests a corpus of recorded histories (scenarios/histories): each folder holding a sample file
/// (<c>samples.csv</c> or <c>samples.csv.gz</c>, its settings sidecar beside it) is forecast from each split (a fraction
/// of its length) with <see cref="Backtest.Run"/>, and every slot lost after the split is scored.
/// </summary>
public static class BacktestCorpus
{
    /// <summary>The sample files of <paramref name="directory"/>: its own, or one per sub-folder, by folder name.</summary>
    public static IReadOnlyList<string> Histories(string directory)
    {
        static string? SampleFileIn(string dir) =>
            new[] { "samples.csv", "samples.csv.gz" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
        if (SampleFileIn(directory) is { } own) return [own];
        return [.. Directory.GetDirectories(directory).Order(StringComparer.Ordinal).Select(SampleFileIn).OfType<string>()];
    }

    public static CorpusReport Run(string directory, IReadOnlyList<double> splits, WorkloadFitOptions fitOptions, int runs, int seed, int parallelism,
        Action<string>? progress = null)
    {
        var cases = new List<CorpusCase>();
        var sizes = new List<CorpusSize>();
        foreach (var path in Histories(directory))
        {
            var history = HistorySources.Open(path, HistoryUse.Forecast);
            var name = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? path;
            DateTimeOffset? first = null, last = null;
            foreach (var f in history.Frames()) { first ??= f.Server.ServerTime; last = f.Server.ServerTime; }
            if (first is null || last is null) continue;
            foreach (var split in splits)
            {
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{name} at {split:0.##}"));
                var limit = new ReplayLimit(null, (last.Value - first.Value) * split);
                var b = Backtest.Run(path, history.Frames, history.Settings, limit, fitOptions, runs, seed, parallelism);
                sizes.Add(new CorpusSize(name, split, b.Size));
                foreach (var slot in b.Slots)
                    if (slot.Score is { } score)
                        cases.Add(new CorpusCase(name, b.Input.Version.ToString(), split, slot.Name, slot.StoppedAtSplit, score));
            }
        }
        return new CorpusReport(directory, splits, runs, seed, cases, sizes);
    }
}

/// <summary>The corpus backtest as a table, Markdown (docs/forecast-quality.md) or JSON.</summary>
public static class CorpusWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Summary(CorpusReport r)
    {
        var stopped = r.Stopped;
        return string.Create(Inv,
            $"{r.Cases.Count} lost slots scored over {r.Sizes.Count} (history, split) pairs; actual inside p10-p90: {r.Covered}/{r.Cases.Count} ({r.Coverage:P0}); mean width {r.MeanWidth:0} s; " +
            $"mean pinball loss walsim p10/p50/p90 {r.MeanPinball:0.0} s (p50 alone {r.MeanP50Pinball:0.0} s), predict_linear {r.MeanLinearPinball:0.0} s; " +
            $"consumer already stopped at the split: inside p10-p90 {stopped.Count(c => c.Score.Covered)}/{stopped.Count}, walsim's p50 error at most half of predict_linear's in {stopped.Count(c => c.HalfOfLinear)}/{stopped.Count}");
    }

    public static void WriteTable(TextWriter w, CorpusReport r)
    {
        w.WriteLine(string.Create(Inv, $"Backtest of {r.Directory}: splits {string.Join(", ", r.Splits.Select(s => s.ToString("0.##", Inv)))}; {r.Runs} runs, seed {r.Seed}. Times in seconds after the split."));
        w.WriteLine($"  {"history",-24} {"split",5} {"slot",-10} {"stopped",7} {"actual",7} {"p10",7} {"p50",7} {"p90",7} {"in",3} {"width",7} {"pinball",8} {"linear",7} {"lin.pb",7} {"p50err",7} {"lin.err",7}");
        foreach (var c in r.Cases)
        {
            var s = c.Score;
            w.WriteLine(string.Create(Inv,
                $"  {c.History,-24} {c.Split,5:0.##} {c.Slot,-10} {(c.StoppedAtSplit ? "yes" : "no"),7} {s.Actual,7:0} {s.P10,7:0} {s.P50,7:0} {s.P90,7:0} {(s.Covered ? "y" : "n"),3} {s.Width,7:0} {s.Pinball3,8:0.0} {s.Linear,7:0} {s.LinearPinball,7:0.0} {s.P50Error,7:0} {s.LinearError,7:0}"));
        }
        w.WriteLine();
        w.WriteLine($"  {"pg_wal size",-24} {"split",5} {"walsim MAE",12} {"linear MAE",12} {"actual peak",12} {"walsim peak",12}");
        foreach (var z in r.Sizes)
            w.WriteLine(string.Create(Inv, $"  {z.History,-24} {z.Split,5:0.##} {z.Size.WalsimMae,12} {z.Size.LinearMae,12} {z.Size.ActualPeak,12} {z.Size.WalsimPeakP50,12}"));
        w.WriteLine();
        w.WriteLine("  " + Summary(r));
        w.WriteLine("  pinball = mean pinball loss of p10, p50, p90; lin.pb = predict_linear's at τ=0.5 (half its error); a quantile or line beyond the history counts as its end.");
    }

    public static void WriteMarkdown(TextWriter w, CorpusReport r)
    {
        w.WriteLine(string.Create(Inv, $"Backtest of `{r.Directory}`: splits {string.Join(", ", r.Splits.Select(s => s.ToString("0.##", Inv)))}; {r.Runs} runs, seed {r.Seed}. Times in seconds after the split."));
        w.WriteLine();
        w.WriteLine("| history | split | slot | stopped | actual | p10 | p50 | p90 | in p10–p90 | width | pinball (p10/p50/p90 mean) | predict_linear | its pinball | p50 error | linear error |");
        w.WriteLine("|---|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var c in r.Cases)
        {
            var s = c.Score;
            w.WriteLine(string.Create(Inv,
                $"| {c.History} | {c.Split:0.##} | {c.Slot} | {(c.StoppedAtSplit ? "yes" : "no")} | {s.Actual:0} | {s.P10:0} | {s.P50:0} | {s.P90:0} | {(s.Covered ? "yes" : "no")} | {s.Width:0} | {s.Pinball3:0.0} | {s.Linear:0} | {s.LinearPinball:0.0} | {s.P50Error:0} | {s.LinearError:0} |"));
        }
        w.WriteLine();
        w.WriteLine("| history | split | pg_wal walsim MAE | predict_linear MAE | actual peak | walsim peak (p50) |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var z in r.Sizes)
            w.WriteLine(string.Create(Inv, $"| {z.History} | {z.Split:0.##} | {z.Size.WalsimMae} | {z.Size.LinearMae} | {z.Size.ActualPeak} | {z.Size.WalsimPeakP50} |"));
        w.WriteLine();
        w.WriteLine(Summary(r) + ".");
    }

    public static void WriteJson(TextWriter w, CorpusReport r)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            j.WriteStartObject();
            j.WriteString("directory", r.Directory);
            j.WriteStartArray("splits");
            foreach (var s in r.Splits) j.WriteNumberValue(s);
            j.WriteEndArray();
            j.WriteNumber("runs", r.Runs);
            j.WriteNumber("seed", r.Seed);
            j.WriteStartObject("summary");
            j.WriteNumber("cases", r.Cases.Count);
            j.WriteNumber("covered", r.Covered);
            j.WriteNumber("mean_pinball_s", Math.Round(r.MeanPinball, 3));
            j.WriteNumber("mean_p50_pinball_s", Math.Round(r.MeanP50Pinball, 3));
            j.WriteNumber("mean_linear_pinball_s", Math.Round(r.MeanLinearPinball, 3));
            j.WriteNumber("mean_width_s", Math.Round(r.MeanWidth, 3));
            j.WriteNumber("stopped_cases", r.Stopped.Count);
            j.WriteNumber("stopped_covered", r.Stopped.Count(c => c.Score.Covered));
            j.WriteNumber("stopped_p50_at_most_half_linear", r.Stopped.Count(c => c.HalfOfLinear));
            j.WriteEndObject();
            j.WriteStartArray("cases");
            foreach (var c in r.Cases)
            {
                var s = c.Score;
                j.WriteStartObject();
                j.WriteString("history", c.History);
                j.WriteString("version", c.Version);
                j.WriteNumber("split", c.Split);
                j.WriteString("slot", c.Slot);
                j.WriteBoolean("stopped_at_split", c.StoppedAtSplit);
                j.WriteNumber("actual_s", Math.Round(s.Actual, 3));
                j.WriteNumber("p10_s", Math.Round(s.P10, 3));
                j.WriteNumber("p50_s", Math.Round(s.P50, 3));
                j.WriteNumber("p90_s", Math.Round(s.P90, 3));
                j.WriteNumber("linear_s", Math.Round(s.Linear, 3));
                j.WriteNumber("horizon_s", Math.Round(s.Horizon, 3));
                j.WriteBoolean("covered", s.Covered);
                j.WriteNumber("pinball_p10", Math.Round(s.PinballP10, 3));
                j.WriteNumber("pinball_p50", Math.Round(s.PinballP50, 3));
                j.WriteNumber("pinball_p90", Math.Round(s.PinballP90, 3));
                j.WriteNumber("pinball_linear", Math.Round(s.LinearPinball, 3));
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteStartArray("pg_wal");
            foreach (var z in r.Sizes)
            {
                j.WriteStartObject();
                j.WriteString("history", z.History);
                j.WriteNumber("split", z.Split);
                j.WriteNumber("walsim_mae_bytes", z.Size.WalsimMae.Bytes);
                j.WriteNumber("linear_mae_bytes", z.Size.LinearMae.Bytes);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        w.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

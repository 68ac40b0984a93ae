using Walsim.Analyzer.Reports;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>What <c>walsim forecast</c> reports.</summary>
/// <param name="File">The sample file.</param>
/// <param name="Input">The cluster as the samples show it.</param>
/// <param name="Fit">The workload fitted.</param>
/// <param name="Options">Horizon, runs, seed, volume.</param>
/// <param name="History">Where the workload was fitted instead of <paramref name="File"/> (<c>--workload-from</c>); null = the file.</param>
/// <param name="Results">The current trend, then each what-if. The CLI passes a sequence computed as it is enumerated,
/// so that each forecast is printed as soon as its runs finish: render it once.</param>
public sealed record ForecastOutcome(string File, ForecastInput Input, WorkloadFit Fit, ForecastOptions Options, WorkloadHistory? History,
    IEnumerable<ForecastResult> Results);

/// <summary>What <c>walsim forecast --backtest</c> reports.</summary>
public sealed record BacktestOutcome(string File, BacktestResult Result, int Runs, int Seed);

/// <summary>The formats of <c>walsim forecast</c> and <c>walsim forecast --backtest</c>.</summary>
public static class ForecastRenderers
{
    public static readonly RendererRegistry<ForecastOutcome> Forecast = new("forecast",
    [
        new TextRenderer<ForecastOutcome>("text", "txt", (w, r) =>
        {
            ForecastReport.WriteHeader(w, r.File, r.Input, r.Fit, r.Options, r.History);
            foreach (var result in r.Results) ForecastReport.WriteResult(w, result, r.Options);
            ForecastReport.WriteFooter(w);
        }),
    ]);

    public static readonly RendererRegistry<BacktestOutcome> Backtest = new("backtest",
        [new TextRenderer<BacktestOutcome>("text", "txt", (w, r) => BacktestReport.Write(w, r.File, r.Result, r.Runs, r.Seed))]);

    /// <summary>The formats of <c>walsim backtest DIR</c>: the corpus's scored forecasts.</summary>
    public static readonly RendererRegistry<CorpusReport> Corpus = new("backtest",
    [
        new TextRenderer<CorpusReport>("table", "txt", CorpusWriter.WriteTable, "a table"),
        new TextRenderer<CorpusReport>("markdown", "md", CorpusWriter.WriteMarkdown, "Markdown"),
        new TextRenderer<CorpusReport>("json", "json", CorpusWriter.WriteJson, "JSON"),
    ]);
}

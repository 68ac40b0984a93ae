using System.Globalization;
using Walsim.Analyzer.History;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>
/// The WAL history a workload is fitted to, from a walsim sample file (a position per sample) or a server log with
/// <c>log_checkpoints</c> (a position per checkpoint start, from the redo LSN or summed distances), each on its own
/// clock: <see cref="Origin"/> is that clock's zero.
/// </summary>
public sealed record WorkloadHistory(string File, string Kind, DateTimeOffset Origin, IReadOnlyList<WalObservation> Observations)
{
    /// <summary>A wall-clock time on this history's clock (where the fit places its cycle and trend).</summary>
    public SimTime Clock(DateTimeOffset t) => new((t - Origin).Ticks / 10);

    /// <summary>The write positions <paramref name="history"/> shows (per sample, or per logged checkpoint), on a clock
    /// whose zero is its first reading.</summary>
    public static WorkloadHistory Read(IRecordedHistory history)
    {
        var workload = new WorkloadObserver(keepPositions: true);
        foreach (var frame in history.Frames()) workload.Observe(frame);
        if (workload.First is not { } first || workload.Positions.Count < 2)
            throw new WorkloadFitException(history.Name, string.Create(CultureInfo.InvariantCulture,
                $"only {workload.Positions.Count} reading(s) ({history.Readings}) in this {history.Kind}: a rate needs two"));
        return new WorkloadHistory(history.Name, history.Readings, first.ServerTime, workload.Positions);
    }
}

/// <summary>The samples (or log) do not let the workload be fitted: too short, or every interval a gap.</summary>
public sealed class WorkloadFitException(string file, string reason, Exception? inner = null)
    : Exception($"{file}: cannot fit the workload: {reason} (sample for longer, or give a smaller --bucket)", inner)
{
    /// <summary><see cref="WorkloadFit.Fit"/>, its refusal named after <paramref name="file"/>.</summary>
    public static WorkloadFit Fit(string file, IReadOnlyList<WalObservation> observations, WorkloadFitOptions options)
    {
        try
        {
            return WorkloadFit.Fit(observations, options);
        }
        catch (WorkloadDataException e)
        {
            throw new WorkloadFitException(file, e.Message, e);
        }
    }
}

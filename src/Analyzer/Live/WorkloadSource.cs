using Walsim.Analyzer.Sources;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;

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

    /// <summary>Reads <paramref name="path"/>: a sample file if it starts with walsim's header, else a server log.</summary>
    public static WorkloadHistory Read(string path)
    {
        string first;
        using (var r = new StreamReader(path)) first = r.ReadLine() ?? "";
        if (first.StartsWith(SampleCsv.Header[..Math.Min(SampleCsv.Header.Length, 20)], StringComparison.Ordinal))
        {
            var observations = new List<WalObservation>();
            DateTimeOffset? origin = null;
            foreach (var f in SampleFrames.Group(SampleFile.Read(path)))
            {
                origin ??= f.Server.ServerTime;
                observations.Add(new WalObservation(new SimTime((f.Server.ServerTime - origin.Value).Ticks / 10), f.Server.HeadLsn, f.Server.Gap && observations.Count > 0));
            }
            if (origin is null) throw new SampleFileException(path, 0, "", "no samples");
            return new WorkloadHistory(path, "samples", origin.Value, observations);
        }
        var positions = CheckpointLogAnalysis.WalPositions(CheckpointLog.ReadEvents(path)).ToList();
        if (positions.Count < 2)
            throw new SampleFileException(path, 0, "", "fewer than two checkpoints in this log: nothing to fit a workload to (is log_checkpoints on?)");
        return new WorkloadHistory(path, "log_checkpoints", positions[0].Origin, [.. positions.Select(p => p.Observation)]);
    }
}

/// <summary>The samples (or log) do not let the workload be fitted: too short, or every interval a gap.</summary>
public sealed class WorkloadFitException(string file, string reason, Exception inner)
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

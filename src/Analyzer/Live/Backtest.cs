using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Live;

/// <summary>What really happened to one slot after the split, against both forecasts.</summary>
/// <param name="Name">The slot.</param>
/// <param name="ActualUnreserved">Time after the split of the first sample showing <c>unreserved</c> or <c>lost</c> (null: never).</param>
/// <param name="ActualLost">Time after the split of the first sample showing <c>lost</c>.</param>
/// <param name="Walsim">The Monte Carlo forecast of the slot.</param>
/// <param name="LinearLost">When <c>predict_linear(safe_wal_size[window])</c> reaches 0 (null: never; 13+ only).</param>
/// <param name="HasSafeWalSize">The samples had safe_wal_size for it (13+, a cap set), so the linear forecast exists.</param>
public sealed record SlotBacktest(string Name, SimDuration? ActualUnreserved, SimDuration? ActualLost, SlotForecast Walsim, SimDuration? LinearLost,
    bool HasSafeWalSize)
{
    /// <summary>The consumer had already stopped for good at the split: the slot's position never moved after it.</summary>
    public bool StoppedAtSplit { get; init; }

    /// <summary>The forecast of the loss scored as a forecast, when the slot was lost after the split.</summary>
    public ForecastScore? Score { get; init; }
}

/// <summary>
/// A time-to-loss forecast scored against what happened (seconds after the split): the pinball loss of walsim's
/// p10, p50 and p90 and of predict_linear's point forecast (scored at τ = 0.5: half its absolute error), whether the
/// actual time fell inside p10–p90, and that interval's width. A quantile or a line that does not reach the event
/// within the rest of the history counts as the history's end (so its loss is a lower bound).
/// </summary>
/// <param name="Actual">When the first sample showing the slot lost was taken.</param>
/// <param name="ActualEarliest">When the sample before it was taken: the loss happened in between, so an interval
/// that reaches into (<paramref name="ActualEarliest"/>, <paramref name="Actual"/>] covers it.</param>
/// <param name="P10">walsim's 10th percentile.</param>
/// <param name="P50">Its median.</param>
/// <param name="P90">Its 90th percentile.</param>
/// <param name="Linear">predict_linear's point forecast.</param>
/// <param name="Horizon">The rest of the history after the split: where a forecast that does not reach the event is put.</param>
public sealed record ForecastScore(double Actual, double ActualEarliest, double P10, double P50, double P90, double Linear, double Horizon)
{
    /// <summary>The pinball (quantile) loss of <paramref name="q"/> as the τ-quantile of an outcome <paramref name="y"/>:
    /// τ·(y − q) when the outcome is above it, (1 − τ)·(q − y) when below.</summary>
    public static double Pinball(double y, double q, double tau) => y >= q ? tau * (y - q) : (1 - tau) * (q - y);

    public double PinballP10 => Pinball(Actual, P10, 0.1);
    public double PinballP50 => Pinball(Actual, P50, 0.5);
    public double PinballP90 => Pinball(Actual, P90, 0.9);
    /// <summary>The mean of the three: a discrete approximation of the CRPS of the forecast.</summary>
    public double Pinball3 => (PinballP10 + PinballP50 + PinballP90) / 3;
    public double LinearPinball => Pinball(Actual, Linear, 0.5);
    public double P50Error => Math.Abs(P50 - Actual);
    public double LinearError => Math.Abs(Linear - Actual);
    /// <summary>Inside p10–p90 to the resolution of the observation: the interval reaches into the samples' window
    /// around the loss, widened by <see cref="Resolution"/> either side.</summary>
    public bool Covered => P10 - Resolution <= Actual && ActualEarliest - Resolution <= P90;

    /// <summary>How precisely the samples place the loss: checkpoint_time is in whole seconds and a checkpoint's end is
    /// seen a sampling interval late, so two sampling intervals and at least 2 s.</summary>
    public double Resolution => Math.Max(2, 2 * (Actual - ActualEarliest));
    public double Width => P90 - P10;

    public static ForecastScore Of(SimDuration actual, SimDuration sampleBefore, OutcomeSummary walsim, SimDuration? linear, SimDuration horizon)
    {
        double S(SimDuration? d) => d is { } v && v <= horizon ? v.TotalSeconds : horizon.TotalSeconds;
        return new ForecastScore(actual.TotalSeconds, sampleBefore.TotalSeconds, S(walsim.Quantile(0.1)), S(walsim.P50), S(walsim.P90), S(linear), horizon.TotalSeconds);
    }
}

/// <summary>pg_wal size after the split: each method's error against the samples.</summary>
/// <param name="Points">Samples after the split compared.</param>
/// <param name="WalsimMae">Mean absolute error of the Monte Carlo median of pg_wal bytes.</param>
/// <param name="LinearMae">Mean absolute error of <c>predict_linear(pg_wal_bytes[window])</c>.</param>
/// <param name="WalsimMaxError">Largest absolute error of the median.</param>
/// <param name="LinearMaxError">Largest absolute error of the line.</param>
/// <param name="ActualAtEnd">pg_wal at the last sample.</param>
/// <param name="WalsimAtEnd">The median forecast there.</param>
/// <param name="LinearAtEnd">The line there.</param>
/// <param name="ActualPeak">The largest pg_wal after the split.</param>
/// <param name="WalsimPeakP50">The median over runs of each run's peak.</param>
public sealed record SizeBacktest(int Points, ByteCount WalsimMae, ByteCount LinearMae, ByteCount WalsimMaxError, ByteCount LinearMaxError,
    ByteCount ActualAtEnd, ByteCount WalsimAtEnd, ByteCount LinearAtEnd, ByteCount ActualPeak, ByteCount WalsimPeakP50);

public sealed record BacktestResult(DateTimeOffset From, DateTimeOffset Split, DateTimeOffset To, SimDuration LinearWindow,
    ForecastInput Input, WorkloadFit Fit, SizeBacktest Size, IReadOnlyList<SlotBacktest> Slots);

/// <summary>
/// The forecast judged against what happened: fit and forecast from the samples up to a split point, then compare
/// with the samples after it — pg_wal's size, and when each slot became unreserved and lost — side by side with what
/// monitoring tools extrapolate, Prometheus' <c>predict_linear</c> over a window before the split.
/// </summary>
public static class Backtest
{
    /// <param name="fileName">Names the sample file in errors.</param>
    /// <param name="frames">Reads the sample file from its start (it is read three times: its span, up to the split, all).</param>
    /// <param name="settings">The settings sidecar's rows.</param>
    /// <param name="split">Where the forecast starts; the default is half-way through the file.</param>
    /// <param name="fitOptions">How to fit the workload (period, bucket).</param>
    /// <param name="runs">Monte Carlo runs.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="parallelism">Threads.</param>
    /// <param name="linearWindow">predict_linear's range; default: the last hour before the split, or its last half if shorter.</param>
    /// <param name="losses">Slot losses the histories record (<see cref="Walsim.Analyzer.History.IRecordedHistory.SlotLosses"/>):
    /// each one after the split is what happened, when it is earlier than the first sample showing it.</param>
    public static BacktestResult Run(string fileName, Func<IEnumerable<SampleFrame>> frames, IReadOnlyList<SettingSample> settings,
        ReplayLimit split, WorkloadFitOptions fitOptions, int runs, int seed, int parallelism, SimDuration? linearWindow = null,
        IReadOnlyList<Walsim.Analyzer.History.RecordedSlotLoss>? losses = null)
    {
        // Where the file starts and ends, and so where "half-way" is.
        DateTimeOffset? first = null, last = null;
        foreach (var f in frames()) { first ??= f.Server.ServerTime; last = f.Server.ServerTime; }
        if (first is null || last is null) throw new SampleFileException(fileName, 0, "", "no samples to backtest");
        var limit = split.At is null && split.After is null ? new ReplayLimit(null, (last.Value - first.Value) / 2) : split;

        var input = ForecastInput.Read(fileName, frames(), settings, limit);
        var splitAt = input.Last.ServerTime;
        if (last.Value - splitAt < TimeSpan.FromSeconds(1))
            throw new SampleFileException(fileName, 0, "", "nothing after the split to compare with: choose an earlier --until");
        var fit = WorkloadFitException.Fit(fileName, input.Observations, fitOptions with { Bucket = fitOptions.Bucket ?? WorkloadFit.BucketFromData(input.Observations) });
        var horizon = SimDuration.FromSeconds((last.Value - splitAt).TotalSeconds);
        var window = linearWindow ?? SimDuration.FromSeconds(Math.Min(3600, (splitAt - first.Value).TotalSeconds / 2));

        // walsim: the Monte Carlo forecast, with pg_wal's size recorded on a grid of 200 points for the size errors.
        var grid = horizon * (1.0 / 200);
        var options = new ForecastOptions(horizon, runs, seed, null, parallelism) { TrajectoryEvery = grid };
        var forecast = Forecaster.Run(input, fit, options, WhatIf.CurrentTrend);

        // What happened, and predict_linear's view from before the split.
        var sizeBefore = new List<TimedValue>();
        var safeBefore = new Dictionary<string, List<TimedValue>>(StringComparer.Ordinal);
        var actualUnreserved = new Dictionary<string, SimDuration>(StringComparer.Ordinal);
        var actualLost = new Dictionary<string, SimDuration>(StringComparer.Ordinal);
        var after = new List<(SimDuration At, long Bytes)>();
        var lostAfter = new Dictionary<string, SimDuration>(StringComparer.Ordinal);
        var atSplit = new Dictionary<string, Lsn>(StringComparer.Ordinal);
        var movedAfter = new HashSet<string>(StringComparer.Ordinal);
        static Lsn Position(SlotSample slot) => slot.Kind == SlotKind.Logical && slot.ConfirmedFlushLsn.IsValid ? slot.ConfirmedFlushLsn : slot.RestartLsn;
        foreach (var f in frames())
        {
            var s = f.Server;
            var t = input.Clock(s.ServerTime);
            if (s.ServerTime <= splitAt)
            {
                sizeBefore.Add(new TimedValue(t, s.PgWalBytes.Bytes));
                foreach (var slot in f.Slots)
                    if (slot.SafeWalSize is { } safe)
                        (safeBefore.TryGetValue(slot.Name, out var l) ? l : safeBefore[slot.Name] = []).Add(new TimedValue(t, safe.Bytes));
                foreach (var slot in f.Slots) atSplit[slot.Name] = Position(slot);
                continue;
            }
            var since = t - input.Now;
            after.Add((since, s.PgWalBytes.Bytes));
            foreach (var slot in f.Slots)
            {
                if (slot.WalStatus >= WalStatus.Unreserved) actualUnreserved.TryAdd(slot.Name, since);
                if (slot.WalStatus == WalStatus.Lost && actualLost.TryAdd(slot.Name, since))
                    lostAfter[slot.Name] = after.Count > 1 ? after[^2].At : SimDuration.Zero;
                var pos = Position(slot);
                if (pos.IsValid && slot.WalStatus != WalStatus.Lost && atSplit.TryGetValue(slot.Name, out var was) && pos != was) movedAfter.Add(slot.Name);
            }
        }

        foreach (var loss in losses ?? [])
        {
            if (loss.At <= splitAt) continue;
            var since = input.Clock(loss.At) - input.Now;
            if (!actualLost.TryGetValue(loss.Slot, out var seen) || since < seen) actualLost[loss.Slot] = since;
        }

        var linear = LinearExtrapolation.FitWindow(sizeBefore, input.Now, window);
        var trajectory = forecast.PgWalTrajectory;
        long walsimErr = 0, linearErr = 0, walsimMax = 0, linearMax = 0;
        foreach (var (at, bytes) in after)
        {
            var w = MedianAt(trajectory, at);
            var l = linear is null ? sizeBefore[^1].Value : linear.ValueAt(input.Now + at);
            var ew = Math.Abs(w - bytes);
            var el = (long)Math.Abs(l - bytes);
            walsimErr += ew; linearErr += el;
            walsimMax = Math.Max(walsimMax, ew); linearMax = Math.Max(linearMax, el);
        }
        var n = Math.Max(1, after.Count);
        var end = after[^1];
        var peaks = forecast.PeakPgWalBytes;
        var size = new SizeBacktest(after.Count, new ByteCount(walsimErr / n), new ByteCount(linearErr / n), new ByteCount(walsimMax), new ByteCount(linearMax),
            new ByteCount(end.Bytes), new ByteCount(MedianAt(trajectory, end.At)),
            new ByteCount((long)(linear?.ValueAt(input.Now + end.At) ?? sizeBefore[^1].Value)),
            new ByteCount(after.Max(a => a.Bytes)), peaks.Count > 0 ? peaks[EmpiricalQuantile.Type1Index(peaks.Count, 0.5)] : ByteCount.Zero);

        var slots = forecast.Slots.Select(sf =>
        {
            SimDuration? linearLost = null;
            var has = safeBefore.TryGetValue(sf.Name, out var points);
            if (has && LinearExtrapolation.FitWindow(points!, input.Now, window) is { } line && line.SlopePerSecond < 0)
                linearLost = line.TimeToReach(0, input.Now) is { IsNever: false } at ? at - input.Now : null;
            var lostAt = actualLost.TryGetValue(sf.Name, out var lost) ? lost : (SimDuration?)null;
            return new SlotBacktest(sf.Name,
                actualUnreserved.TryGetValue(sf.Name, out var u) ? u : null,
                lostAt, sf, linearLost, has)
            {
                StoppedAtSplit = !movedAfter.Contains(sf.Name),
                Score = lostAt is { } y ? ForecastScore.Of(y, lostAfter[sf.Name], sf.Lost, linearLost, horizon) : null,
            };
        }).ToList();
        return new BacktestResult(first.Value, splitAt, last.Value, window, input, fit, size, slots);
    }

    /// <summary>The median trajectory's value at <paramref name="at"/>: the last grid point at or before it.</summary>
    private static long MedianAt(IReadOnlyList<TrajectoryPoint> trajectory, SimDuration at)
    {
        var v = trajectory.Count > 0 ? trajectory[0].P50.Bytes : 0;
        foreach (var p in trajectory)
        {
            if (p.At > at) break;
            v = p.P50.Bytes;
        }
        return v;
    }
}

using System.Globalization;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>
/// Whether an HA run kept the pace the model is given: a row every 100 ms and a consumer call at every whole second
/// (<see cref="HaDriver"/>). The model writes at one constant rate and consumes at whole seconds; a run whose client
/// loops were held up writes and consumes in bursts that neither describes, so it is run again, never judged. A CI
/// run's test of a Patroni crash stretched its 16-s run to 103 s and wrote 103 rows in 106 s where one every 100 ms was due, a rate of 724 B/s
/// against the ~11.6 kB/s of a run at pace, and the copy lag, the WAL held and the rows received twice all out of
/// tolerance: a host too busy to keep a 100-ms loop's pace, the stall the real-server recording tests also run again.
/// </summary>
public static class HaPace
{
    /// <summary>How often the workload writes a row (<see cref="HaDriver"/>).</summary>
    public const double WritePeriod = 0.1;

    /// <summary>The longest time between two rows written a run may show: a hole shifts the WAL of the seconds after
    /// it by its rows, so what matters is a stall of the host, the 4 s the recording tests call one.</summary>
    public const double WriteGapLimit = 4.0;

    /// <summary>The longest time between two consumer calls (planned: <see cref="HaDriver.ConsumerPeriod"/>, 1 s) a run
    /// may show, and how late the consumer may stop: one call missed (and half a second more) moves the copy by one
    /// call's WAL, which the copy fields' tolerance holds; two would not.</summary>
    public const double CallGapLimit = 2.5;

    /// <summary>Why the run cannot be judged, or null (times in seconds from the workload's start): the consumer
    /// stopped more than <see cref="CallGapLimit"/> after <paramref name="consumerStopDue"/>; fewer than half the rows
    /// due were written by <paramref name="writesStoppedAt"/>; or a hole in the writes or the consumer calls from the
    /// start to each one's stop is over its limit.</summary>
    public static string? Stall(IReadOnlyList<double> writes, double writesStoppedAt, IReadOnlyList<double> calls, double consumerStoppedAt, double consumerStopDue)
    {
        if (consumerStoppedAt - consumerStopDue > CallGapLimit)
            return string.Create(CultureInfo.InvariantCulture,
                $"the consumer stopped at {consumerStoppedAt:0.0} s, due at {consumerStopDue:0.0} s");
        var due = writesStoppedAt / WritePeriod;
        if (writes.Count < due / 2)
            return string.Create(CultureInfo.InvariantCulture,
                $"{writes.Count} rows written in {writesStoppedAt:0.0} s, where one every {WritePeriod:0.0} s was due ({due:0})");
        return Hole("row written", writes, writesStoppedAt, WriteGapLimit) ?? Hole("consumer call", calls, consumerStoppedAt, CallGapLimit);
    }

    /// <summary>The longest time between 0, the <paramref name="times"/> before <paramref name="until"/> and
    /// <paramref name="until"/>, said when over <paramref name="limit"/>; else null.</summary>
    public static string? Hole(string what, IReadOnlyList<double> times, double until, double limit)
    {
        var (at, gap) = (0.0, 0.0);
        var previous = 0.0;
        foreach (var t in times.Where(t => t > 0 && t < until).Order().Append(until))
        {
            if (t - previous > gap) (at, gap) = (previous, t - previous);
            previous = t;
        }
        return gap <= limit ? null : string.Create(CultureInfo.InvariantCulture,
            $"no {what} for {gap:0.0} s from {at:0.0} s into the run (at most {limit:0.0} s expected)");
    }
}

using Walsim.Simulator.Forecasting;

namespace Walsim.Simulator.Engine;

/// <summary>Stretches of a declared workload, with a random path of its <see cref="Workload.Noise"/>, for Monte Carlo.</summary>
public static class WorkloadPaths
{
    /// <summary>
    /// The workload over [<paramref name="from"/>, <paramref name="from"/> + <paramref name="duration"/>), moved to
    /// start at time 0: the declared rate (every component summed, exactly as a single run sees it, the daily cycle in
    /// its phase) times, when the workload declares noise, each bucket's random factor, as one piecewise rate.
    /// Periodic writes keep their phase. A noise-free workload from time 0 is returned unchanged.
    /// </summary>
    public static Workload Window(Workload workload, SimTime from, SimDuration duration, Random rng)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(rng);
        if (workload.Noise is null && from == SimTime.Zero) return workload;
        if (duration <= SimDuration.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "the stretch must be positive");
        if (from < SimTime.Zero) throw new ArgumentOutOfRangeException(nameof(from), from, "the stretch cannot start before time 0");

        var rate = new RateFunction(workload);
        var noise = workload.Noise;
        var sigma = noise?.Sigma ?? 0;
        var phi = noise?.Phi ?? 0;
        var innovation = sigma * Math.Sqrt(1 - phi * phi);
        var normal = new Gaussian(rng);
        // The AR(1) starts in its stationary distribution: a stretch that starts later is no calmer than one at 0.
        var u = noise is null ? 0 : sigma * normal.Next();
        var factor = Math.Exp(u - sigma * sigma / 2);

        var end = from + duration;
        var bucketEnd = noise is null ? SimTime.Never : from + noise.Bucket;
        var steps = new List<RateStep>((int)Math.Min(1_000_000, duration.Microseconds / (noise?.Bucket ?? duration).Microseconds + 2));
        var t = from;
        while (t < end)
        {
            var next = SimTime.Min(SimTime.Min(rate.NextChange(t), bucketEnd), end);
            var r = Math.Min(WorkloadFit.MaxBytesPerSecond, rate.RateAt(t) * factor);
            // Equal neighbours (a constant rate between noise buckets) are one step.
            if (steps.Count == 0 || steps[^1].BytesPerSecond != r) steps.Add(new RateStep(new SimTime(t.Microseconds - from.Microseconds), r));
            t = next;
            if (t == bucketEnd)
            {
                u = phi * u + innovation * normal.Next();
                factor = Math.Exp(u - sigma * sigma / 2);
                bucketEnd += noise!.Bucket;
            }
        }
        var periodic = workload.PeriodicWrites.Select(p => Shift(p, from)).OfType<PeriodicWrite>().ToList();
        return new Workload([new PiecewiseRate(steps.ToArray())]) { PeriodicWrites = periodic };
    }

    /// <summary>The declared mean write rate over [0, <paramref name="span"/>) in bytes/s: the components' rates
    /// integrated exactly (noise keeps the mean; periodic writes are left out, being bytes rather than a rate).</summary>
    public static double MeanRate(Workload workload, SimDuration span)
    {
        if (span <= SimDuration.Zero) throw new ArgumentOutOfRangeException(nameof(span), span, "the span must be positive");
        return Bytes(workload, SimTime.Zero, SimTime.Zero + span) / span.TotalSeconds;
    }

    /// <summary>The WAL the declared rate writes over [<paramref name="from"/>, <paramref name="to"/>), in bytes
    /// (the components integrated exactly; periodic writes left out).</summary>
    public static double Bytes(Workload workload, SimTime from, SimTime to)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var rate = new RateFunction(workload);
        double bytes = 0;
        for (var t = from; t < to;)
        {
            var next = SimTime.Min(rate.NextChange(t), to);
            bytes += rate.RateAt(t) * (next - t).TotalSeconds;
            t = next;
        }
        return bytes;
    }

    /// <summary>A periodic write seen from <paramref name="from"/>: its next occurrence at or after it becomes its
    /// first; null when it has ended by then.</summary>
    private static PeriodicWrite? Shift(PeriodicWrite p, SimTime from)
    {
        if (p.Until <= from) return null;
        var first = p.From;
        if (first < from)
        {
            var every = p.Every.Microseconds;
            var k = (from.Microseconds - first.Microseconds + every - 1) / every;
            first = new SimTime(first.Microseconds + k * every);
        }
        var until = p.Until.IsNever ? SimTime.Never : new SimTime(p.Until.Microseconds - from.Microseconds);
        var start = new SimTime(first.Microseconds - from.Microseconds);
        return start < until ? p with { From = start, Until = until } : null;
    }
}

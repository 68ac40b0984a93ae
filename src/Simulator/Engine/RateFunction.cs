using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;

namespace Walsim.Simulator.Engine;

/// <summary>
/// The workload's WAL rate as a piecewise-constant function of time (the sum of its components), so the insert
/// position between two breakpoints is exact and the time a position is reached can be solved for.
/// </summary>
internal sealed class RateFunction
{
    private readonly IReadOnlyList<RateComponent> _components;

    public RateFunction(Workload workload) => _components = workload.Components;

    /// <summary>Bytes per second during [t, <see cref="NextChange"/>(t)).</summary>
    public double RateAt(SimTime t)
    {
        double r = 0;
        foreach (var c in _components)
        {
            switch (c)
            {
                case ConstantRate k when t >= k.From && t < k.Until:
                    r += k.BytesPerSecond;
                    break;
                case PiecewiseRate p:
                    var at = LastAtOrBefore(p.Steps, t);
                    if (at >= 0) r += p.Steps[at].BytesPerSecond;
                    break;
                case DailyCycle d:
                    var res = d.Resolution.Microseconds;
                    var mid = t.Microseconds / res * res + res / 2;
                    var hour = mid % 86_400_000_000L / 3_600_000_000d;
                    r += d.MeanBytesPerSecond * (1 + d.Amplitude * Math.Cos(2 * Math.PI * (hour - d.PeakHour) / 24));
                    break;
                case Burst b when t >= b.At && t < b.At + b.Duration:
                    r += b.BytesPerSecond;
                    break;
            }
        }
        return Math.Max(0, r);
    }

    /// <summary>
    /// Index of the last step at or before <paramref name="t"/> (−1 if none), by binary search: steps are in strictly
    /// increasing time order (the scenario reader enforces it), and a Monte Carlo path has thousands of them, which a
    /// linear scan per rate change would make quadratic.
    /// </summary>
    private static int LastAtOrBefore(IReadOnlyList<RateStep> steps, SimTime t)
    {
        int lo = 0, hi = steps.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (steps[mid].At <= t) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    /// <summary>The first time after <paramref name="t"/> at which the rate may change.</summary>
    public SimTime NextChange(SimTime t)
    {
        var next = SimTime.Never;
        void Consider(SimTime x) { if (x > t && x < next) next = x; }
        foreach (var c in _components)
        {
            switch (c)
            {
                case ConstantRate k: Consider(k.From); Consider(k.Until); break;
                case PiecewiseRate p:
                    var after = LastAtOrBefore(p.Steps, t) + 1;
                    if (after < p.Steps.Count) Consider(p.Steps[after].At);
                    break;
                case DailyCycle d:
                    var res = d.Resolution.Microseconds;
                    Consider(new SimTime((t.Microseconds / res + 1) * res));
                    break;
                case Burst b: Consider(b.At); Consider(b.At + b.Duration); break;
            }
        }
        return next;
    }
}

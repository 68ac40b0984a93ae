namespace Walsim.Simulator.Engine;

/// <summary>
/// The workload's WAL rate as a piecewise-constant function of time (the sum of its components), so the insert
/// position between two breakpoints is exact and the time a position is reached can be solved for.
/// </summary>
internal sealed class RateFunction
{
    private readonly RateComponent[] _components;
    private readonly RateStep[]?[] _steps;   // per component: a PiecewiseRate's steps as an array, else null
    private readonly int[] _cursor;          // per component: a PiecewiseRate's index of the step last found (−1: none)

    // The last segment asked about: the rate is _segmentRate on [_segmentFrom, _segmentUntil). The engine asks for
    // the rate and the next change several times per instant and thousands of instants fall within one segment
    // (checkpoints, consumer reports), so most questions are answered from here without looking at the components.
    private bool _hasSegment;
    private SimTime _segmentFrom, _segmentUntil;
    private double _segmentRate;

    public RateFunction(Workload workload)
    {
        _components = [.. workload.Components];
        _steps = new RateStep[]?[_components.Length];
        _cursor = new int[_components.Length];
        for (var i = 0; i < _components.Length; i++)
        {
            _cursor[i] = -1;
            // A Monte Carlo path's steps are already an array (no copy); a scenario's list is copied once.
            if (_components[i] is PiecewiseRate p) _steps[i] = p.Steps as RateStep[] ?? [.. p.Steps];
        }
    }

    /// <summary>Bytes per second during [t, <see cref="NextChange"/>(t)).</summary>
    public double RateAt(SimTime t)
    {
        if (!InSegment(t)) Locate(t);
        return _segmentRate;
    }

    /// <summary>The first time after <paramref name="t"/> at which the rate may change.</summary>
    public SimTime NextChange(SimTime t)
    {
        if (!InSegment(t)) Locate(t);
        return _segmentUntil;
    }

    // Within [from, until) no component changes (until is the first change point after from), so the rate there is
    // the rate at from and the first change after any such t is until: the cached answers are the computed ones.
    private bool InSegment(SimTime t) => _hasSegment && t >= _segmentFrom && t < _segmentUntil;

    private void Locate(SimTime t)
    {
        _segmentRate = ComputeRateAt(t);
        _segmentUntil = ComputeNextChange(t);
        _segmentFrom = t;
        _hasSegment = true;
    }

    private double ComputeRateAt(SimTime t)
    {
        double r = 0;
        for (var i = 0; i < _components.Length; i++)
        {
            switch (_components[i])
            {
                case ConstantRate k when t >= k.From && t < k.Until:
                    r += k.BytesPerSecond;
                    break;
                case PiecewiseRate:
                    var steps = _steps[i]!;
                    var at = LastAtOrBefore(steps, ref _cursor[i], t);
                    if (at >= 0) r += steps[at].BytesPerSecond;
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

    private SimTime ComputeNextChange(SimTime t)
    {
        var next = SimTime.Never;
        void Consider(SimTime x) { if (x > t && x < next) next = x; }
        for (var i = 0; i < _components.Length; i++)
        {
            switch (_components[i])
            {
                case ConstantRate k: Consider(k.From); Consider(k.Until); break;
                case PiecewiseRate:
                    var steps = _steps[i]!;
                    var after = LastAtOrBefore(steps, ref _cursor[i], t) + 1;
                    if (after < steps.Length) Consider(steps[after].At);
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

    /// <summary>
    /// Index of the last step at or before <paramref name="t"/> (−1 if none); steps are in strictly increasing time
    /// order (the scenario reader enforces it). The engine's clock only moves forward, so the answer is found by
    /// stepping on from the previous one (<paramref name="cursor"/>): O(1) per rate change over a Monte Carlo path
    /// of thousands of steps. An earlier time falls back to a binary search.
    /// </summary>
    private static int LastAtOrBefore(RateStep[] steps, ref int cursor, SimTime t)
    {
        if (cursor >= 0 && steps[cursor].At > t)
        {
            int lo = 0, hi = cursor - 1, found = -1;
            while (lo <= hi)
            {
                var mid = lo + (hi - lo) / 2;
                if (steps[mid].At <= t) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            cursor = found;
        }
        while (cursor + 1 < steps.Length && steps[cursor + 1].At <= t) cursor++;
        return cursor;
    }
}

namespace Walsim.Simulator.Forecasting;

/// <summary>Standard normal deviates by Marsaglia's polar method from the given <see cref="Random"/> (own code, so
/// a path does not change when a library changes its sampler).</summary>
internal ref struct Gaussian(Random rng)
{
    private double _spare;
    private bool _hasSpare;

    public double Next()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double a, b, s;
        do
        {
            a = 2 * rng.NextDouble() - 1;
            b = 2 * rng.NextDouble() - 1;
            s = a * a + b * b;
        } while (s >= 1 || s == 0);
        var m = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = b * m;
        _hasSpare = true;
        return a * m;
    }
}

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// The future of a load that steps between levels, as a renewal process of the history's own levels. The current
/// level has already lasted its age a: it goes on for D − a more buckets, D drawn from the durations of the history's
/// completed levels longer than a (the residual life of a renewal process — a level that is nearly as old as the
/// levels used to last ends soon, not a whole mean duration later). When it has outlasted every completed level the
/// history tells nothing more: it ends after a geometric number of buckets with the mean length of all the levels
/// seen (memoryless). Then other levels follow — a level ends by changing, so the next one is never the level that
/// just ended — recent ones likelier (weight halving every quarter of the history, by where the level ended), each for
/// a duration drawn from the completed levels'. A completed level is one the history saw both begin and end (not the
/// first, which began before the history, nor the current one). Pure: randomness only from the <see cref="Random"/>
/// passed in.
/// </summary>
internal sealed class LevelSequence
{
    private readonly int[] _durations;
    private readonly double[] _cumulativeWeight;
    private readonly double _meanLength;

    private LevelSequence(IReadOnlyList<(int Start, int End)> levels, int[] durations, double meanLength, double[] cumulativeWeight)
    {
        Levels = levels;
        _durations = durations;
        _meanLength = meanLength;
        _cumulativeWeight = cumulativeWeight;
    }

    /// <summary>The history's levels in time order as [Start, End) bucket ranges; the last is the current one.</summary>
    public IReadOnlyList<(int Start, int End)> Levels { get; }

    /// <summary>How long the current level has lasted, in buckets.</summary>
    public int Age => Levels[^1].End - Levels[^1].Start;

    /// <param name="buckets">The history's length in buckets.</param>
    /// <param name="shifts">Where a new level began, ascending, each inside (0, <paramref name="buckets"/>).</param>
    public static LevelSequence Of(int buckets, IReadOnlyList<int> shifts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shifts.Count, 1);
        var bounds = new List<int> { 0 };
        bounds.AddRange(shifts);
        bounds.Add(buckets);
        var levels = bounds.Zip(bounds.Skip(1), (a, b) => (Start: a, End: b)).ToList();
        var durations = levels.Skip(1).SkipLast(1).Select(l => l.End - l.Start).Order().ToArray();
        var halfLife = Math.Max(1.0, buckets / 4.0);
        var cumulative = new double[levels.Count];
        double sum = 0;
        for (var i = 0; i < levels.Count; i++)
        {
            sum += Math.Pow(0.5, (buckets - levels[i].End) / halfLife);
            cumulative[i] = sum;
        }
        return new LevelSequence(levels, durations, levels.Average(l => l.End - l.Start), cumulative);
    }

    /// <summary>How many more buckets the current level lasts (at least one).</summary>
    public int RemainingOfCurrent(Random rng)
    {
        var age = Age;
        var first = Array.FindIndex(_durations, d => d > age);
        return first >= 0 ? _durations[first + rng.Next(_durations.Length - first)] - age : Geometric(rng);
    }

    /// <summary>How long a level that follows lasts, in buckets (at least one).</summary>
    public int Duration(Random rng) => _durations.Length > 0 ? _durations[rng.Next(_durations.Length)] : Geometric(rng);

    /// <summary>The level that follows <paramref name="ended"/>: any other, by recency weight.</summary>
    public int Next(Random rng, int ended)
    {
        var before = ended > 0 ? _cumulativeWeight[ended - 1] : 0;
        var own = _cumulativeWeight[ended] - before;
        var u = rng.NextDouble() * (_cumulativeWeight[^1] - own);
        if (u >= before) u += own;
        var i = WeightedPick.At(_cumulativeWeight, u);
        return i == ended ? (ended + 1) % Levels.Count : i;
    }

    // 1 + a geometric count with mean _meanLength buckets.
    private int Geometric(Random rng) =>
        1 + (int)Math.Floor(Math.Log(1 - rng.NextDouble()) / Math.Log(1 - 1 / Math.Max(1.0001, _meanLength)));
}

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// WAL rates per fixed bucket. The bytes of each observed interval (ΔLSN between two readings) are spread evenly
/// over that interval and shared among the buckets it overlaps; a bucket's rate is its bytes over its covered time,
/// kept only when the covered time is at least <see cref="WorkloadFitOptions.MinBucketCoverage"/> of the bucket.
/// Marked gaps, intervals longer than <see cref="WorkloadFitOptions.MaxIntervalBuckets"/> buckets and intervals
/// where the position went backwards (a failover, a new cluster) contribute nothing: a rate is never made up.
/// </summary>
internal sealed class RateBuckets
{
    private RateBuckets(SimTime start, long widthUs, double[] rates)
    {
        Start = start;
        WidthMicroseconds = widthUs;
        Rates = rates;
    }

    /// <summary>Start of bucket 0 (aligned to whole buckets after midnight).</summary>
    public SimTime Start { get; }
    public long WidthMicroseconds { get; }
    /// <summary>Bytes per second per bucket; NaN where the bucket was not measured.</summary>
    public double[] Rates { get; }
    public int Count => Rates.Length;

    public SimTime BucketStart(int k) => new(Start.Microseconds + k * WidthMicroseconds);
    public SimTime BucketMiddle(int k) => new(Start.Microseconds + k * WidthMicroseconds + WidthMicroseconds / 2);

    /// <summary>The maximum number of buckets a series may span (a 5-minute bucket over 95 years).</summary>
    public const int MaxBuckets = 10_000_000;

    public static RateBuckets Build(IReadOnlyList<WalObservation> observations, SimDuration width, WorkloadFitOptions options)
    {
        var w = width.Microseconds;
        if (w <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "the bucket must be longer than zero");
        if (observations.Count < 2) throw new WorkloadDataException("at least two observations are needed to measure a rate");
        for (var i = 1; i < observations.Count; i++)
            if (observations[i].At < observations[i - 1].At)
                throw new WorkloadDataException($"observation {i}: time goes backwards ({observations[i].At} after {observations[i - 1].At})");

        var midnight = options.MidnightAt.Microseconds;
        var first = observations[0].At.Microseconds;
        var last = observations[^1].At.Microseconds;
        var start = midnight + FloorDiv(first - midnight, w) * w;
        var countLong = (last - start + w - 1) / w;
        if (countLong > MaxBuckets)
            throw new WorkloadDataException($"{countLong} buckets of {width}: choose a longer bucket");
        var count = (int)Math.Max(1, countLong);

        var bytes = new double[count];
        var covered = new long[count];
        var maxInterval = options.MaxIntervalBuckets * w;
        for (var i = 1; i < observations.Count; i++)
        {
            var (prev, cur) = (observations[i - 1], observations[i]);
            long a = prev.At.Microseconds, b = cur.At.Microseconds;
            if (cur.AfterGap || b <= a || b - a > maxInterval || cur.Position < prev.Position) continue;
            var perUs = (double)(cur.Position.Value - prev.Position.Value) / (b - a);
            for (var k = (int)((a - start) / w); k < count && start + k * w < b; k++)
            {
                var lo = Math.Max(a, start + k * w);
                var hi = Math.Min(b, start + (k + 1) * w);
                if (hi <= lo) continue;
                bytes[k] += perUs * (hi - lo);
                covered[k] += hi - lo;
            }
        }

        var rates = new double[count];
        var need = options.MinBucketCoverage * w;
        for (var k = 0; k < count; k++)
            rates[k] = covered[k] > 0 && covered[k] >= need ? bytes[k] / covered[k] * 1e6 : double.NaN;
        return new RateBuckets(new SimTime(start), w, rates);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}

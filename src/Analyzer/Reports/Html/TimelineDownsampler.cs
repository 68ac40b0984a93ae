using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Reports.Html;

/// <summary>
/// One instant of the charted state: time, <c>pg_wal</c> files and bytes, and per slot its retained bytes and
/// <c>wal_status</c> (null when the slot does not exist at that instant).
/// </summary>
public sealed record ChartPoint(long AtMicroseconds, long PgWalBytes, long Files, long?[] Retained, WalStatus?[] Status)
{
    /// <summary>pg_wal's bytes per <see cref="WalHoldReason"/> (the slot entry unused: see <see cref="SlotHeld"/>);
    /// null when the row carried no breakdown.</summary>
    public long[]? ReasonBytes { get; init; }

    /// <summary>Per slot, the bytes the breakdown attributes to it (<see cref="WalHoldReason.Slot"/>); null as above.</summary>
    public long[]? SlotHeld { get; init; }
}

/// <summary>
/// Keeps a bounded, peak-preserving subset of a streamed timeline, so an HTML report of a year-long run costs the
/// same memory as one of a minute.
/// <para>
/// Time is cut into buckets of equal width. Each bucket keeps only the rows at which some series reaches its minimum
/// or maximum in that bucket (<c>pg_wal</c> bytes, each slot's retained bytes), plus, per slot, the first row with
/// the bucket's worst <c>wal_status</c> — so peaks, troughs and a short <c>unreserved</c> or <c>lost</c> episode all
/// survive. Whenever there are more than <see cref="MaxBuckets"/> buckets, the width doubles and neighbouring buckets
/// merge (the extremes of a union are among the extremes of its parts). Until the first merge every instant is kept.
/// At most <c>(2 + 3 × slots) × MaxBuckets</c> rows are held; the default budget is about 5,000 points per series.
/// </para>
/// </summary>
public sealed class TimelineDownsampler
{
    private readonly int _slots;
    private readonly SortedDictionary<long, List<ChartPoint>> _buckets = [];
    private long _width = 1; // microseconds; 1 = one bucket per distinct instant, i.e. no downsampling yet
    private ChartPoint? _last;

    public TimelineDownsampler(IReadOnlyList<string> slotNames, int maxBuckets = 2_500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBuckets, 2);
        SlotNames = slotNames;
        _slots = slotNames.Count;
        MaxBuckets = maxBuckets;
        _index = slotNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
    }

    private readonly Dictionary<string, int> _index;

    public IReadOnlyList<string> SlotNames { get; }
    public int MaxBuckets { get; }

    /// <summary>Rows seen, and whether any were dropped (the report says so).</summary>
    public long RowsSeen { get; private set; }

    public bool Downsampled => _width > 1;

    /// <summary>The bucket width in microseconds once downsampling started; 1 before.</summary>
    public long BucketMicroseconds => _width;

    public void Add(TimelineRow row)
    {
        RowsSeen++;
        var retained = new long?[_slots];
        var status = new WalStatus?[_slots];
        foreach (var s in row.Slots)
        {
            if (!_index.TryGetValue(s.Name, out var i))
                throw new InvalidOperationException($"timeline row at {row.At} has slot \"{s.Name}\" that the scenario does not define");
            retained[i] = s.RetainedBytes.Bytes;
            status[i] = s.WalStatus;
        }
        long[]? reasons = null, held = null;
        if (row.Breakdown is { } breakdown)
        {
            reasons = new long[ReasonCount];
            held = new long[_slots];
            foreach (var t in breakdown)
                if (t.Reason != WalHoldReason.Slot) reasons[(int)t.Reason] += t.Bytes.Bytes;
                else if (t.Slot is { } name && _index.TryGetValue(name, out var i)) held[i] += t.Bytes.Bytes;
                else reasons[(int)WalHoldReason.Other] += t.Bytes.Bytes; // a slot the scenario does not name: never hidden
        }
        var point = new ChartPoint(row.At.Microseconds, row.PgWalBytes.Bytes, row.FilesInPgWal, retained, status)
        {
            ReasonBytes = reasons,
            SlotHeld = held,
        };
        _last = point;

        var key = point.AtMicroseconds / _width;
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            bucket = [];
            _buckets.Add(key, bucket);
        }
        bucket.Add(point);
        if (bucket.Count > KeptPerBucket) Reduce(bucket);
        while (_buckets.Count > MaxBuckets) Coarsen();
    }

    /// <summary>The kept rows in time order, always ending with the last row seen.</summary>
    public IReadOnlyList<ChartPoint> Points()
    {
        var all = _buckets.Values.SelectMany(b => b).OrderBy(p => p.AtMicroseconds).ToList();
        if (_last is { } last && !all.Any(p => ReferenceEquals(p, last))) all.Add(last);
        return all;
    }

    /// <summary>How many <see cref="WalHoldReason"/> values there are (the length of <see cref="ChartPoint.ReasonBytes"/>).</summary>
    public static readonly int ReasonCount = Enum.GetValues<WalHoldReason>().Length;

    private int KeptPerBucket => 2 + 3 * _slots;

    private void Coarsen()
    {
        _width *= 2;
        var merged = new SortedDictionary<long, List<ChartPoint>>();
        foreach (var (key, points) in _buckets)
        {
            var k = points[0].AtMicroseconds / _width;
            if (!merged.TryGetValue(k, out var into)) merged.Add(k, into = []);
            into.AddRange(points);
        }
        _buckets.Clear();
        foreach (var (k, points) in merged)
        {
            Reduce(points);
            _buckets.Add(k, points);
        }
    }

    // Keeps, in time order, the rows holding each series' extremes and each slot's first worst status.
    private void Reduce(List<ChartPoint> points)
    {
        if (points.Count <= 1) return;
        var keep = new HashSet<ChartPoint>(ReferenceEqualityComparer.Instance)
        {
            MinBy(points, p => p.PgWalBytes),
            MaxBy(points, p => p.PgWalBytes),
        };
        for (var i = 0; i < _slots; i++)
        {
            var slot = i;
            var present = points.Where(p => p.Retained[slot] is not null).ToList();
            if (present.Count == 0) continue;
            keep.Add(MinBy(present, p => p.Retained[slot]!.Value));
            keep.Add(MaxBy(present, p => p.Retained[slot]!.Value));
            keep.Add(MaxBy(present, p => (long)(p.Status[slot] ?? WalStatus.Null)));
        }
        points.RemoveAll(p => !keep.Contains(p));
    }

    // The first point with the smallest / largest value (stable, so the earliest instant of a plateau is kept).
    private static ChartPoint MinBy(List<ChartPoint> points, Func<ChartPoint, long> value)
    {
        var best = points[0];
        foreach (var p in points) if (value(p) < value(best)) best = p;
        return best;
    }

    private static ChartPoint MaxBy(List<ChartPoint> points, Func<ChartPoint, long> value)
    {
        var best = points[0];
        foreach (var p in points) if (value(p) > value(best)) best = p;
        return best;
    }
}

using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Planning;

namespace Walsim.Analyzer.Planning;

/// <summary>
/// The values a plan sweeps, from the command line: a list (<c>1h,6h,24h</c>; <c>16GB,64GB,-1</c>) or a range
/// (<c>30min..48h</c>; <c>1GB..200GB</c>) cut into steps evenly spaced on a log scale — outage costs and WAL sizes grow
/// by factors, not by increments — and snapped to values a DBA would type: outages to whole minutes, quarter hours
/// or hours as they grow; caps to 2ᵏ or 1.5 × 2ᵏ MB (1GB, 1.5GB, 2GB, 3GB, …, 96GB, 128GB, 192GB). A range's ends
/// are kept as written.
/// </summary>
public static class PlanGrid
{
    /// <summary>Parses outage lengths; <paramref name="error"/> says what was expected.</summary>
    public static bool TryParseOutages(string text, int steps, out IReadOnlyList<SimDuration> outages, out string? error)
    {
        outages = [];
        if (SplitRange(text) is { } range)
        {
            if (!ValueParser.TryParseDuration(range.From, out var from, out error) || !ValueParser.TryParseDuration(range.To, out var to, out error))
                return false;
            if (from <= SimDuration.Zero || to <= from)
            {
                error = $"expected a range of outage lengths like 30min..48h (from > 0, to > from), got \"{text}\"";
                return false;
            }
            outages = Spread(from.Microseconds, to.Microseconds, steps, SnapDuration).Select(us => new SimDuration(us)).ToList();
            return true;
        }
        var list = new List<SimDuration>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!ValueParser.TryParseDuration(part, out var d, out error)) return false;
            if (d <= SimDuration.Zero) { error = $"an outage must be longer than 0, got \"{part}\""; return false; }
            list.Add(d);
        }
        if (list.Count == 0) { error = "expected outage lengths like 30min..48h or 1h,6h,24h"; return false; }
        outages = list.Distinct().Order().ToList();
        error = null;
        return true;
    }

    /// <summary>Parses candidate caps (<c>-1</c> or <c>unlimited</c> for none); <paramref name="error"/> says what was expected.</summary>
    public static bool TryParseCaps(string text, int steps, out IReadOnlyList<SlotCap> caps, out string? error)
    {
        caps = [];
        if (SplitRange(text) is { } range)
        {
            if (!ValueParser.TryParseSize(range.From, out var from, out error) || !ValueParser.TryParseSize(range.To, out var to, out error))
                return false;
            if (from.Bytes < ByteCount.MiB || to <= from)
            {
                error = $"expected a range of sizes like 1GB..200GB (from at least 1MB, to > from), got \"{text}\"";
                return false;
            }
            caps = Spread(from.Bytes, to.Bytes, steps, SnapSize).Select(b => SlotCap.Of(new ByteCount(b))).Distinct().ToList();
            return true;
        }
        var list = new List<SlotCap>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is "-1" or "unlimited" or "none") { list.Add(SlotCap.Unlimited); continue; }
            if (!ValueParser.TryParseSize(part, out var size, out error)) return false;
            if (size.Bytes < ByteCount.MiB) { error = $"max_slot_wal_keep_size is in whole MB: \"{part}\" is less than 1MB"; return false; }
            list.Add(SlotCap.Of(size));
        }
        if (list.Count == 0) { error = "expected caps like 1GB..200GB or 16GB,64GB,-1"; return false; }
        caps = list.Distinct().Order().ToList();
        error = null;
        return true;
    }

    private static (string From, string To)? SplitRange(string text)
    {
        var i = text.IndexOf("..", StringComparison.Ordinal);
        return i < 0 ? null : (text[..i].Trim(), text[(i + 2)..].Trim());
    }

    /// <summary><paramref name="steps"/> values from <paramref name="from"/> to <paramref name="to"/> evenly spaced on a
    /// log scale, the inner ones snapped, duplicates dropped.</summary>
    private static List<long> Spread(long from, long to, int steps, Func<double, long> snap)
    {
        steps = Math.Max(2, steps);
        var values = new SortedSet<long> { from, to };
        for (var k = 1; k < steps - 1; k++)
        {
            var v = snap(from * Math.Pow((double)to / from, (double)k / (steps - 1)));
            if (v > from && v < to) values.Add(v);
        }
        return [.. values];
    }

    /// <summary>Whole minutes under an hour, quarter hours under 12 hours, then whole hours.</summary>
    private static long SnapDuration(double micros)
    {
        const long Minute = 60_000_000, Hour = 60 * Minute;
        var unit = micros < Hour ? Minute : micros < 12 * Hour ? 15 * Minute : Hour;
        return Math.Max(1, (long)Math.Round(micros / unit)) * unit;
    }

    /// <summary>The nearest 2ᵏ or 1.5 × 2ᵏ MB to <paramref name="size"/> (on a log scale): 3.5GB → 3GB, 200GB → 192GB.</summary>
    public static ByteCount NiceSize(ByteCount size) => new(SnapSize(size.Bytes));

    /// <summary>The nearest 2ᵏ or 1.5 × 2ᵏ MB (on a log scale).</summary>
    private static long SnapSize(double bytes)
    {
        var mb = Math.Max(1, bytes / ByteCount.MiB);
        var k = Math.Floor(Math.Log2(mb));
        var best = 0d;
        foreach (var c in new[] { Math.Pow(2, k), 1.5 * Math.Pow(2, k), Math.Pow(2, k + 1) })
            if (best == 0 || Math.Abs(Math.Log(c / mb)) < Math.Abs(Math.Log(best / mb))) best = c;
        return (long)best * ByteCount.MiB;
    }
}

using System.Globalization;

namespace Walsim.Simulator.Units;

/// <summary>
/// A WAL segment number (<c>XLogSegNo</c>): <c>lsn / wal_segment_size</c>. Only a <see cref="WalSegmentSize"/>
/// converts between LSNs and segments. Arithmetic is unsigned as in PostgreSQL; callers that mirror a
/// guarded subtraction say so.
/// </summary>
public readonly record struct SegmentNumber(ulong Value) : IComparable<SegmentNumber>
{
    public int CompareTo(SegmentNumber other) => Value.CompareTo(other.Value);
    public static SegmentNumber operator +(SegmentNumber s, ulong n) => new(checked(s.Value + n));
    public static SegmentNumber operator -(SegmentNumber s, ulong n) => new(checked(s.Value - n));
    public static bool operator <(SegmentNumber a, SegmentNumber b) => a.Value < b.Value;
    public static bool operator >(SegmentNumber a, SegmentNumber b) => a.Value > b.Value;
    public static bool operator <=(SegmentNumber a, SegmentNumber b) => a.Value <= b.Value;
    public static bool operator >=(SegmentNumber a, SegmentNumber b) => a.Value >= b.Value;
    public static SegmentNumber Min(SegmentNumber a, SegmentNumber b) => a <= b ? a : b;
    public static SegmentNumber Max(SegmentNumber a, SegmentNumber b) => a >= b ? a : b;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

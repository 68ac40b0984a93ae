using System.Globalization;

namespace Walsim.Simulator.Units;

/// <summary>An amount of bytes (signed, like <c>pg_lsn - pg_lsn</c> and <c>safe_wal_size</c>).</summary>
public readonly record struct ByteCount(long Bytes) : IComparable<ByteCount>
{
    public const long KiB = 1024;
    public const long MiB = 1024 * 1024;
    public const long GiB = 1024L * 1024 * 1024;

    public static readonly ByteCount Zero = new(0);
    public static ByteCount FromMegabytes(long mb) => new(checked(mb * MiB));
    public static ByteCount FromKilobytes(long kb) => new(checked(kb * KiB));

    public int CompareTo(ByteCount other) => Bytes.CompareTo(other.Bytes);
    public static ByteCount operator +(ByteCount a, ByteCount b) => new(checked(a.Bytes + b.Bytes));
    public static ByteCount operator -(ByteCount a, ByteCount b) => new(checked(a.Bytes - b.Bytes));
    public static ByteCount operator -(ByteCount a) => new(-a.Bytes);
    public static ByteCount operator *(ByteCount a, long n) => new(checked(a.Bytes * n));
    public static bool operator <(ByteCount a, ByteCount b) => a.Bytes < b.Bytes;
    public static bool operator >(ByteCount a, ByteCount b) => a.Bytes > b.Bytes;
    public static bool operator <=(ByteCount a, ByteCount b) => a.Bytes <= b.Bytes;
    public static bool operator >=(ByteCount a, ByteCount b) => a.Bytes >= b.Bytes;

    /// <summary>Human form in PostgreSQL's unit spelling (<c>16MB</c>, <c>1.5GB</c>); exact bytes when small.</summary>
    public override string ToString() => Format(Bytes);

    public static string Format(long bytes)
    {
        var abs = Math.Abs((double)bytes);
        string Fmt(double v, string unit) =>
            (v % 1 == 0 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture)) + unit;
        var sign = bytes < 0 ? -1 : 1;
        if (abs >= 1024d * GiB) return Fmt(sign * abs / (1024d * GiB), "TB");
        if (abs >= GiB) return Fmt(sign * abs / GiB, "GB");
        if (abs >= MiB) return Fmt(sign * abs / MiB, "MB");
        if (abs >= KiB) return Fmt(sign * abs / KiB, "kB");
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}

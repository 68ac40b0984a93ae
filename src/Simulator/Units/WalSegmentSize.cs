using System.Globalization;
using System.Runtime.CompilerServices;

namespace Walsim.Simulator.Units;

/// <summary>
/// <c>wal_segment_size</c>, fixed at initdb: a power of two from 1 MB to 1 GB. Owns every LSN ↔ segment
/// conversion (<c>XLByteToSeg</c>, <c>XLByteToPrevSeg</c>, <c>XLogSegNoOffsetToRecPtr</c>, <c>XLogMBVarToSegs</c>).
/// </summary>
public readonly record struct WalSegmentSize
{
    public long Bytes { get; }

    // log2(Bytes): conversions are shifts and masks, not 64-bit divisions (they run per slot per row).
    private readonly int _shift;

    public WalSegmentSize(long bytes)
    {
        if (!IsValid(bytes))
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "wal_segment_size must be a power of two between 1MB and 1GB");
        Bytes = bytes;
        _shift = System.Numerics.BitOperations.Log2((ulong)bytes);
    }

    public static bool IsValid(long bytes) =>
        bytes >= ByteCount.MiB && bytes <= ByteCount.GiB && (bytes & (bytes - 1)) == 0;

    public static WalSegmentSize Default => new(16 * ByteCount.MiB);
    public static WalSegmentSize FromMegabytes(int mb) => new(mb * ByteCount.MiB);

    public ByteCount Size => new(Bytes);

    /// <summary><c>XLByteToSeg</c>: the segment holding byte <paramref name="lsn"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per slot per row: see Lsn's comparisons
    public SegmentNumber SegmentOf(Lsn lsn) => new(lsn.Value >> _shift);

    /// <summary><c>XLByteToPrevSeg</c>: the segment holding the byte just before <paramref name="lsn"/>.</summary>
    public SegmentNumber PrevSegmentOf(Lsn lsn) => new((lsn.Value - 1) >> _shift);

    /// <summary><c>XLogSegNoOffsetToRecPtr(n, 0)</c>.</summary>
    public Lsn StartOf(SegmentNumber segment) => new(checked(segment.Value * (ulong)Bytes));

    /// <summary><c>XLogSegmentOffset</c>.</summary>
    public long OffsetOf(Lsn lsn) => (long)(lsn.Value & (ulong)(Bytes - 1));

    /// <summary><c>XLogMBVarToSegs</c> / <c>ConvertToXSegs</c>: a size GUC in MB to whole segments, rounded down.</summary>
    public ulong MegabytesToSegments(long megabytes) =>
        megabytes <= 0 ? 0 : (ulong)megabytes >> (_shift - 20);

    /// <summary>The 24-hex-digit file name of <paramref name="segment"/> on <paramref name="timeline"/>.</summary>
    public string FileName(SegmentNumber segment, uint timeline = 1)
    {
        var perId = 0x1_0000_0000UL / (ulong)Bytes;
        return string.Create(CultureInfo.InvariantCulture,
            $"{timeline:X8}{(uint)(segment.Value / perId):X8}{(uint)(segment.Value % perId):X8}");
    }

    /// <summary>
    /// <c>XLogFromFileName</c>: the segment a 24-hex-digit file name (TTTTTTTTXXXXXXXXYYYYYYYY) stands for,
    /// X · (4 GiB / segment size) + Y; false for anything else (a <c>.history</c> file, a partial name).
    /// </summary>
    public bool TryParseFileName(ReadOnlySpan<char> name, out SegmentNumber segment)
    {
        segment = default;
        if (name.Length != 24) return false;
        foreach (var ch in name) if (!char.IsAsciiHexDigitUpper(ch) && !char.IsAsciiDigit(ch)) return false;
        var hi = ulong.Parse(name.Slice(8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var lo = ulong.Parse(name.Slice(16, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var perId = 0x1_0000_0000UL / (ulong)Bytes;
        if (lo >= perId) return false;
        segment = new SegmentNumber(hi * perId + lo);
        return true;
    }

    public override string ToString() => ByteCount.Format(Bytes);
}

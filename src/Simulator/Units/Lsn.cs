using System.Globalization;
using System.Runtime.CompilerServices;

namespace Walsim.Simulator.Units;

/// <summary>
/// A WAL location (PostgreSQL <c>XLogRecPtr</c> / <c>pg_lsn</c>): an unsigned 64-bit byte position,
/// written <c>X/X</c> (high and low 32 bits in hex). A point, not an amount: <c>Lsn - Lsn</c> is a signed
/// <see cref="ByteCount"/> as <c>pg_lsn - pg_lsn</c> is in SQL; <c>Lsn + Lsn</c> does not exist.
/// <see cref="Invalid"/> (0/0) is <c>InvalidXLogRecPtr</c>, shown as NULL by the server.
/// </summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    public static readonly Lsn Invalid = new(0);

    public bool IsValid { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Value != 0; } // as the comparisons below

    public static Lsn Parse(string text) =>
        TryParse(text, out var lsn) ? lsn : throw new FormatException($"expected an LSN like 0/16B3748, got \"{text}\"");

    public static bool TryParse(string? text, out Lsn lsn) => TryParse(text.AsSpan(), out lsn);

    /// <summary>As <see cref="TryParse(string?, out Lsn)"/>, without allocating (sample files are read a cell at a time).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Lsn lsn)
    {
        lsn = Invalid;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8) return false;
        if (!Hex(text[..slash], out var hi) || !Hex(text[(slash + 1)..], out var lo)) return false;
        lsn = new Lsn((hi << 32) | lo);
        return true;
    }

    // pg_lsn's output: up to 8 hex digits each side, either case (a digit loop: sample files hold millions of LSNs).
    private static bool Hex(ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        foreach (var ch in s)
        {
            int d = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'A' and <= 'F' => ch - 'A' + 10,
                >= 'a' and <= 'f' => ch - 'a' + 10,
                _ => -1,
            };
            if (d < 0) return false;
            value = (value << 4) | (uint)d;
        }
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    public static ByteCount operator -(Lsn a, Lsn b) => new(unchecked((long)(a.Value - b.Value)));
    public static Lsn operator +(Lsn a, ByteCount b) => new(checked((ulong)((long)a.Value + b.Bytes)));
    public static Lsn operator -(Lsn a, ByteCount b) => new(checked((ulong)((long)a.Value - b.Bytes)));
    // Compared per slot at every row and recompute. Left to itself the JIT inlines them, or not, by the profile of the
    // first work a process runs: after a band-12 simulation (no wal_status, no last_saved_restart_lsn) the comparisons
    // on band 18's paths were calls (band-year benchmark, band 18 after 12: 1.08 -> 1.00 s with these four and the
    // wal_status helpers marked).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;
    public static Lsn Max(Lsn a, Lsn b) => a >= b ? a : b;
    public static Lsn Min(Lsn a, Lsn b) => a <= b ? a : b;
}

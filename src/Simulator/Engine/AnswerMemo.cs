using System.Runtime.CompilerServices;

namespace Walsim.Simulator.Engine;

/// <summary>
/// The state an answer was computed from: answers with another stamp are stale. Each user says which counters make
/// it up (the simulated instant, a generation bumped whenever the data it reads changes).
/// </summary>
internal readonly record struct MemoStamp(long A, long B = 0, long C = 0);

/// <summary>
/// Recent answers to a question whose answer is a function of its key and of the state a <see cref="MemoStamp"/>
/// identifies. The engine asks the same questions many times at one instant: every consumer that reports with the same
/// lag looks up the same past insert position, and the walsenders of logical slots that confirmed the same position read
/// the same running_xacts records (the band-year benchmark: 100 slots, 7 lags). A fixed table indexed by a hash of the
/// key; a colliding question replaces the older answer, which is then computed again if asked.
/// </summary>
internal sealed class AnswerMemo<TValue>
{
    public struct Entry
    {
        private MemoStamp _stamp;
        private long _key1, _key2;
        private bool _filled;
        /// <summary>The answer, once <see cref="Answers"/>; a reference value may be reused when the entry is refilled.</summary>
        public TValue Value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Answers(MemoStamp stamp, long key1, long key2) =>
            _filled && _key1 == key1 && _key2 == key2 && _stamp.A == stamp.A && _stamp.B == stamp.B && _stamp.C == stamp.C;

        /// <summary>Marks <see cref="Value"/> (set by the caller) as the answer for this key and stamp.</summary>
        public void Holds(MemoStamp stamp, long key1, long key2) => (_stamp, _key1, _key2, _filled) = (stamp, key1, key2, true);
    }

    private const int Size = 64; // 2^6: Index keeps the top 6 bits of the mixed key
    private readonly Entry[] _entries = new Entry[Size];

    /// <summary>The one entry that may hold the answer for this key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry For(long key1, long key2 = 0) => ref _entries[Index(key1 ^ unchecked(key2 * 31))];

    // MurmurHash3's 64-bit finaliser: keys a whole number of seconds apart, and nearby positions, spread over the table.
    private static int Index(long key)
    {
        var x = (ulong)key;
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        return (int)(x >> 58);
    }
}

namespace Walsim.Simulator.Engine;

/// <summary>
/// Recent insert positions, so consumers can confirm "the position of <c>lag</c> ago". Each entry holds the
/// position just after the events of its instant and the rate that held until the next entry; entries older
/// than the window consumers can look back are dropped, so memory does not grow with simulated time.
/// </summary>
internal sealed class LsnHistory
{
    private readonly record struct Entry(SimTime At, double Lsn, double Rate);

    private Entry[] _entries = new Entry[64]; // a ring; the length stays a power of two so indexes wrap with a mask
    private int _mask = 63;
    private int _head;
    private int _count;
    /// <summary>Bumped whenever an answer may change (every <see cref="Record"/>, every entry <see cref="Prune"/> drops).</summary>
    private long _generation;
    // At one instant the consumers that report with the same lag ask the same time, the logical slots' walsenders
    // the same confirmed positions: each answered once.
    private readonly AnswerMemo<Lsn> _atMemo = new();
    private readonly AnswerMemo<SimTime> _timeOfMemo = new();

    /// <summary>Changes whenever an answer of <see cref="At"/> or <see cref="TimeOf"/> may have changed.</summary>
    public long Generation => _generation;

    public void Record(SimTime at, double lsn, double rate)
    {
        _generation++;
        if (_count > 0)
        {
            ref var last = ref _entries[(_head + _count - 1) & _mask];
            if (last.At == at) { last = new Entry(at, lsn, rate); return; }
        }
        if (_count == _entries.Length) Grow();
        _entries[(_head + _count) & _mask] = new Entry(at, lsn, rate);
        _count++;
    }

    /// <summary>Forget entries not needed to answer questions about times at or after <paramref name="horizon"/>.</summary>
    public void Prune(SimTime horizon)
    {
        while (_count > 1 && _entries[(_head + 1) & _mask].At <= horizon)
        {
            _head = (_head + 1) & _mask;
            _count--;
            _generation++;
        }
    }

    /// <summary>The insert position at time <paramref name="t"/> (clamped to the oldest remembered entry).</summary>
    public Lsn At(SimTime t)
    {
        ref var memo = ref _atMemo.For(t.Microseconds);
        var stamp = new MemoStamp(_generation);
        if (!memo.Answers(stamp, t.Microseconds, 0))
        {
            memo.Value = Find(t);
            memo.Holds(stamp, t.Microseconds, 0);
        }
        return memo.Value;
    }

    private Lsn Find(SimTime t)
    {
        // Search from the newest end: lookups are almost always a few seconds back.
        for (var i = _count - 1; i >= 0; i--)
        {
            var e = _entries[(_head + i) & _mask];
            if (e.At <= t)
            {
                var v = e.Lsn + e.Rate * (t - e.At).TotalSeconds;
                if (i < _count - 1)
                {
                    var next = _entries[(_head + i + 1) & _mask];
                    if (v > next.Lsn) v = next.Lsn;
                }
                return new Lsn((ulong)v);
            }
        }
        return _count == 0 ? Lsn.Invalid : new Lsn((ulong)_entries[_head].Lsn);
    }

    /// <summary>The earliest time at which the insert position was at or past <paramref name="lsn"/> (clamped to the window).</summary>
    public SimTime TimeOf(Lsn lsn)
    {
        var key = (long)lsn.Value;
        ref var memo = ref _timeOfMemo.For(key);
        var stamp = new MemoStamp(_generation);
        if (!memo.Answers(stamp, key, 0))
        {
            memo.Value = FindTime(lsn);
            memo.Holds(stamp, key, 0);
        }
        return memo.Value;
    }

    private SimTime FindTime(Lsn lsn)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            var e = _entries[(_head + i) & _mask];
            if (e.Lsn <= lsn.Value)
            {
                if (e.Lsn == lsn.Value || e.Rate <= 0) return e.At;
                var dt = (lsn.Value - e.Lsn) / e.Rate;
                return e.At + SimDuration.FromSeconds(dt);
            }
        }
        return _count == 0 ? SimTime.Zero : _entries[_head].At;
    }

    private void Grow()
    {
        var bigger = new Entry[_entries.Length * 2];
        for (var i = 0; i < _count; i++) bigger[i] = _entries[(_head + i) & _mask];
        _entries = bigger;
        _mask = bigger.Length - 1;
        _head = 0;
    }
}

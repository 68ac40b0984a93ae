namespace Walsim.Simulator.Engine;

/// <summary>
/// The WAL a primary wrote, as its standbys see it: the insert position over the whole run (piecewise linear
/// between the engine's instants, with the jumps of records inserted at an instant) and every checkpoint it
/// completed (redo, record, end). Kept only for topology runs; about a dozen bytes per engine instant.
/// </summary>
public sealed class WalLog
{
    private long[] _at = new long[256];
    private double[] _lsn = new double[256];
    private double[] _rate = new double[256];
    private int _count;
    private readonly List<CheckpointRecord> _checkpoints = [];

    /// <summary>The checkpoints the primary completed (not the skipped ones), in order.</summary>
    public IReadOnlyList<CheckpointRecord> Checkpoints => _checkpoints;

    internal void Record(SimTime at, double lsn, double rate)
    {
        if (_count > 0 && _at[_count - 1] == at.Microseconds)
        {
            _lsn[_count - 1] = lsn;
            _rate[_count - 1] = rate;
            return;
        }
        if (_count == _at.Length)
        {
            Array.Resize(ref _at, _count * 2);
            Array.Resize(ref _lsn, _count * 2);
            Array.Resize(ref _rate, _count * 2);
        }
        _at[_count] = at.Microseconds;
        _lsn[_count] = lsn;
        _rate[_count] = rate;
        _count++;
    }

    internal void AddCheckpoint(CheckpointRecord c) => _checkpoints.Add(c);

    private readonly Dictionary<string, List<SlotPoint>> _slots = new(StringComparer.Ordinal);
    private readonly List<string> _slotOrder = [];

    /// <summary>A primary slot's position from <see cref="At"/> on (as its consumer's report at that time left it).</summary>
    public readonly record struct SlotPoint(SimTime At, Lsn RestartLsn, Lsn ConfirmedFlush, bool Failover, bool Invalidated, bool Exists,
        bool Logical = true, bool Permanent = false);

    internal void RecordSlot(string name, SlotPoint p)
    {
        if (!_slots.TryGetValue(name, out var list)) { _slots[name] = list = []; _slotOrder.Add(name); }
        if (list.Count > 0)
        {
            var last = list[^1];
            if (last with { At = p.At } == p) return; // unchanged
            if (last.At == p.At) { list[^1] = p; return; }
        }
        list.Add(p);
    }

    /// <summary>The primary's slots in creation order (the slot array order the sync worker walks).</summary>
    public IReadOnlyList<string> SlotNames => _slotOrder;

    /// <summary>Slot <paramref name="name"/> as it stood at <paramref name="t"/>; null when it did not exist yet.</summary>
    public SlotPoint? SlotAt(string name, SimTime t)
    {
        if (!_slots.TryGetValue(name, out var list) || list.Count == 0 || list[0].At > t) return null;
        int lo = 0, hi = list.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (list[mid].At <= t) lo = mid; else hi = mid - 1;
        }
        return list[lo].Exists ? list[lo] : null;
    }

    /// <summary>The first time after <paramref name="after"/> at which any primary slot changed (for a sync worker's schedule).</summary>
    public SimTime? NextSlotChange(SimTime after)
    {
        SimTime? best = null;
        foreach (var list in _slots.Values)
        {
            int lo = 0, hi = list.Count;
            while (lo < hi) { var mid = (lo + hi) / 2; if (list[mid].At <= after) lo = mid + 1; else hi = mid; }
            if (lo < list.Count && (best is null || list[lo].At < best)) best = list[lo].At;
        }
        return best;
    }

    /// <summary>The insert position at <paramref name="t"/> (the first recorded one before the log starts).</summary>
    public Lsn At(SimTime t)
    {
        if (_count == 0) return Lsn.Invalid;
        var i = Array.BinarySearch(_at, 0, _count, t.Microseconds);
        if (i < 0) i = ~i - 1;
        if (i < 0) return new Lsn((ulong)_lsn[0]);
        var v = _lsn[i] + _rate[i] * (t.Microseconds - _at[i]) / 1e6;
        if (i + 1 < _count && v > _lsn[i + 1]) v = _lsn[i + 1];
        return new Lsn((ulong)v);
    }

    /// <summary>The earliest time the insert position was at or past <paramref name="lsn"/>; null if never in the log.</summary>
    public SimTime? TimeOf(Lsn lsn)
    {
        if (_count == 0 || _lsn[_count - 1] < lsn.Value && _rate[_count - 1] <= 0) return null;
        // Positions only grow: binary search on the recorded positions.
        int lo = 0, hi = _count - 1;
        if (_lsn[0] >= lsn.Value) return new SimTime(_at[0]);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_lsn[mid] <= lsn.Value) lo = mid; else hi = mid - 1;
        }
        // Entry lo is at or before lsn; the next entry (if any) is past it.
        if (_lsn[lo] == lsn.Value) return new SimTime(_at[lo]);
        if (_rate[lo] <= 0) return lo + 1 < _count ? new SimTime(_at[lo + 1]) : null;
        var t = _at[lo] + (long)Math.Ceiling((lsn.Value - _lsn[lo]) / _rate[lo] * 1e6);
        if (lo + 1 < _count && t > _at[lo + 1]) t = _at[lo + 1];
        return new SimTime(t);
    }
}

using System.Runtime.CompilerServices;

namespace Walsim.Simulator.Engine;

/// <summary>What <see cref="Retention.RemoveOldXlogFiles"/> did.</summary>
public readonly record struct RemovalResult(int Removed, int Recycled, WalDirectory After, SegmentNumber LastRemoved);

/// <summary>
/// The per-checkpoint retention arithmetic of xlog.c, one static function per PostgreSQL function, each taking
/// only values (no engine state) so that tests can feed the spec's worked numbers directly.
/// </summary>
public static class Retention
{
    /// <summary>
    /// <c>KeepLogSeg</c>: the oldest segment this checkpoint must keep, given the candidate
    /// <paramref name="logSegNo"/> (normally the redo segment), the end of the checkpoint record
    /// <paramref name="recptr"/> and the slot minimum <paramref name="slotMin"/> (<see cref="Lsn.Invalid"/> = no slot).
    /// PG12 (retention-model.md §5.1): <c>wal_keep_segments</c> and the slot minimum, both unlimited.
    /// PG13+ (retention-model.md §5.2): the slot minimum capped by <c>max_slot_wal_keep_size</c>, then <c>wal_keep_size</c> as a floor;
    /// 13.11+/14.8+/15.3+/16+ ignore a slot minimum at or past <paramref name="recptr"/> (before that, the unsigned
    /// subtraction wraps and the floor is skipped — TV-13).
    /// </summary>
    public static SegmentNumber KeepLogSeg(ServerSettings settings, Lsn recptr, Lsn slotMin, SegmentNumber logSegNo)
    {
        var size = settings.SegmentSize;
        var curr = size.SegmentOf(recptr).Value;
        var segno = curr;

        if (settings.Policy.KeepKnob == WalKeepKnob.WalKeepSegments)
        {
            var keepSegs = (ulong)settings.WalKeepSegments;
            if (keepSegs > 0)
                segno = segno <= keepSegs ? 1 : segno - keepSegs;
            if (settings.MaxReplicationSlots > 0 && slotMin.IsValid)
            {
                var s = size.SegmentOf(slotMin).Value;
                if (s <= 0) segno = 1;
                else if (s < segno) segno = s;
            }
            return SegmentNumber.Min(logSegNo, new SegmentNumber(segno));
        }

        var guard = settings.Policy.KeepLogSegUnderflowGuard;
        if (slotMin.IsValid && (!guard || slotMin < recptr))
        {
            segno = size.SegmentOf(slotMin).Value;
            if (settings.MaxSlotWalKeepSizeMb >= 0)
            {
                var k = size.MegabytesToSegments(settings.MaxSlotWalKeepSizeMb);
                if (unchecked(curr - segno) > k) segno = unchecked(curr - k);
            }
        }
        if (settings.WalKeepSizeMb > 0)
        {
            var k = size.MegabytesToSegments(settings.WalKeepSizeMb);
            if (unchecked(curr - segno) < k) segno = curr <= k ? 1 : curr - k;
        }
        return SegmentNumber.Min(logSegNo, new SegmentNumber(segno));
    }

    /// <summary>
    /// <c>UpdateCheckPointDistanceEstimate</c> (retention-model.md §8.3): jumps up to a larger distance at once, decays towards a
    /// smaller one by 10 % per checkpoint.
    /// </summary>
    public static double UpdateCheckPointDistanceEstimate(double estimate, long nbytes) =>
        estimate < nbytes ? nbytes : 0.90 * estimate + 0.10 * nbytes;

    /// <summary>
    /// <c>XLOGfileslop</c> (retention-model.md §8.2): the highest segment number a removable file may be recycled to, from the
    /// distance estimate, clamped to [redo + min_wal_size − 1, redo + max_wal_size − 1] (max wins).
    /// </summary>
    public static SegmentNumber XLogFileSlop(ServerSettings settings, Lsn lastRedo, double estimate)
    {
        var size = settings.SegmentSize;
        var redoSeg = size.SegmentOf(lastRedo).Value;
        var minSegNo = redoSeg + size.MegabytesToSegments(settings.MinWalSizeMb) - 1;
        var maxSegNo = redoSeg + size.MegabytesToSegments(settings.MaxWalSizeMb) - 1;
        // Doubles in source order, as the C code evaluates them (spec U-8).
        var distance = (1.0 + settings.CheckpointCompletionTarget) * estimate;
        distance *= 1.10;
        var recycleSegNo = (ulong)Math.Ceiling((lastRedo.Value + distance) / size.Bytes);
        if (recycleSegNo < minSegNo) recycleSegNo = minSegNo;
        if (recycleSegNo > maxSegNo) recycleSegNo = maxSegNo;
        return new SegmentNumber(recycleSegNo);
    }

    /// <summary>
    /// <c>RemoveOldXlogFiles</c> (retention-model.md §8.1): every file at or below <paramref name="cutoff"/> that archiving no longer
    /// needs (segment ≤ <paramref name="archivedThrough"/>) goes; it is recycled into the lowest free name in
    /// [segno(<paramref name="endptr"/>), <paramref name="recycleSegNo"/>] while one exists, else deleted.
    /// Files archiving still needs stay silently and do not move <c>lastRemovedSegNo</c>.
    /// </summary>
    public static RemovalResult RemoveOldXlogFiles(
        WalDirectory dir, SegmentNumber cutoff, SegmentNumber recycleSegNo, Lsn endptr,
        SegmentNumber archivedThrough, bool recycleEnabled, SegmentNumber lastRemoved, WalSegmentSize size)
    {
        var top = SegmentNumber.Min(cutoff, archivedThrough);
        if (dir.Oldest > top) return new RemovalResult(0, 0, dir, lastRemoved);

        var removable = top.Value - dir.Oldest.Value + 1;
        // Free names: the run above the newest file, starting no lower than the end segment.
        var endSeg = size.SegmentOf(endptr);
        var firstFree = SegmentNumber.Max(dir.Newest + 1, endSeg);
        var freeNames = recycleEnabled && recycleSegNo >= firstFree ? recycleSegNo.Value - firstFree.Value + 1 : 0UL;
        var recycled = Math.Min(removable, freeNames);
        var removed = removable - recycled;

        var after = new WalDirectory(top + 1, recycled > 0 ? firstFree + (recycled - 1) : dir.Newest);
        if (after.Oldest > after.Newest) after = new WalDirectory(after.Newest, after.Newest); // cannot happen: the insert segment is kept
        return new RemovalResult(checked((int)removed), checked((int)recycled), after, SegmentNumber.Max(lastRemoved, top));
    }

    /// <summary>
    /// <c>PreallocXlogFiles</c> (retention-model.md §8.4): once the insert position is at least 75 % into its segment, the next
    /// segment is created if it does not exist. Returns the number of files added (0 or 1).
    /// </summary>
    public static int PreallocXlogFiles(ref WalDirectory dir, Lsn endptr, WalSegmentSize size)
    {
        var seg = size.PrevSegmentOf(endptr);
        var offset = size.OffsetOf(new Lsn(endptr.Value - 1));
        if (offset < (long)(uint)(0.75 * size.Bytes)) return 0;
        var next = seg + 1;
        if (dir.Contains(next)) return 0;
        dir = dir.Through(next);
        return 1;
    }

    /// <summary>
    /// <c>GetXLogWriteRecPtr()</c> on a standby: recovery never advances the write result, so it is 0, and
    /// pg_replication_slots computes a standby slot's wal_status (<c>reserved</c> however far behind) and safe_wal_size
    /// from it (docs/design/failover.md D-8; observed on 13–18 by the standby validation tests).
    /// </summary>
    public static readonly Lsn StandbyWritePosition = Lsn.Invalid;

    /// <summary>
    /// <c>GetWALAvailability</c> (retention-model.md §9.1) for a slot at <paramref name="target"/>, seen at WAL write position
    /// <paramref name="writePos"/> with the current global slot minimum and <c>lastRemovedSegNo</c>.
    /// </summary>
    public static WalStatus GetWalAvailability(ServerSettings settings, Lsn target, Lsn writePos, Lsn slotMin, SegmentNumber lastRemoved) =>
        WalAvailability.At(settings, writePos, slotMin, lastRemoved).StatusOf(target);

    /// <summary>
    /// <c>safe_wal_size</c> (retention-model.md §9.2): bytes that can still be written before the slot would be lost, or null when
    /// <c>max_slot_wal_keep_size</c> is -1 (or the slot is lost). Signed: negative once past the limit.
    /// </summary>
    public static ByteCount? SafeWalSize(ServerSettings settings, Lsn restartLsn, Lsn writePos) =>
        WalAvailability.At(settings, writePos, Lsn.Invalid, default).SafeWalSizeOf(restartLsn);

    /// <summary><c>CheckPointSegments</c> request point (retention-model.md §3.2): the write position at which a WAL-volume checkpoint is requested.</summary>
    public static Lsn CheckpointRequestLsn(ServerSettings settings, Lsn redo) =>
        settings.SegmentSize.StartOf(settings.SegmentSize.SegmentOf(redo) + settings.CheckPointSegments);
}

/// <summary>
/// <c>pg_get_replication_slots</c>' view of WAL availability at one write position (retention-model.md §9.1, §9.2): the parts of
/// <c>GetWALAvailability</c> and <c>safe_wal_size</c> that do not depend on the slot are computed once, so a row
/// of a hundred slots costs a hundred comparisons.
/// </summary>
public readonly struct WalAvailability
{
    private readonly WalSegmentSize _size;
    private readonly ulong _oldestSlotSeg;   // KeepLogSeg(currpos, slot minimum)
    private readonly ulong _oldestSeg;       // XLogGetLastRemovedSegno() + 1
    private readonly ulong _oldestSegMax;    // currSeg - (MBtoSegs(max_wal_size) + 1), at least 1
    private readonly ulong _safeKeepSegs;    // max(MBtoSegs(max_slot_wal_keep_size), MBtoSegs(wal_keep_size))
    private readonly bool _capped;           // max_slot_wal_keep_size >= 0
    private readonly long _writePos;

    private WalAvailability(WalSegmentSize size, ulong oldestSlotSeg, ulong oldestSeg, ulong oldestSegMax, ulong safeKeepSegs, bool capped, long writePos)
    {
        _size = size;
        _oldestSlotSeg = oldestSlotSeg;
        _oldestSeg = oldestSeg;
        _oldestSegMax = oldestSegMax;
        _safeKeepSegs = safeKeepSegs;
        _capped = capped;
        _writePos = writePos;
    }

    public static WalAvailability At(ServerSettings settings, Lsn writePos, Lsn slotMin, SegmentNumber lastRemoved) =>
        At(settings, writePos, Retention.KeepLogSeg(settings, writePos, slotMin, settings.SegmentSize.SegmentOf(writePos)), lastRemoved);

    /// <summary>As above, with <c>KeepLogSeg(currpos)</c> for the current slot minimum already known.</summary>
    public static WalAvailability At(ServerSettings settings, Lsn writePos, SegmentNumber oldestSlotSeg, SegmentNumber lastRemoved)
    {
        var size = settings.SegmentSize;
        var currSeg = size.SegmentOf(writePos).Value;
        var keepSegs = size.MegabytesToSegments(settings.MaxWalSizeMb) + 1;
        var safeKeep = Math.Max(size.MegabytesToSegments(settings.MaxSlotWalKeepSizeMb), size.MegabytesToSegments(settings.WalKeepSizeMb));
        return new WalAvailability(size, oldestSlotSeg.Value, lastRemoved.Value + 1, currSeg > keepSegs ? currSeg - keepSegs : 1,
            safeKeep, settings.MaxSlotWalKeepSizeMb >= 0, (long)writePos.Value);
    }

    /// <summary><c>GetWALAvailability(target)</c>: reserved, extended, unreserved or lost (null for an invalid target).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per slot per row: see Lsn's comparisons
    public WalStatus StatusOf(Lsn target)
    {
        if (!target.IsValid) return WalStatus.Null;
        var t = _size.SegmentOf(target).Value;
        if (t >= _oldestSlotSeg) return t >= _oldestSegMax ? WalStatus.Reserved : WalStatus.Extended;
        return t >= _oldestSeg ? WalStatus.Unreserved : WalStatus.Lost;
    }

    /// <summary>
    /// The <c>wal_status</c> and <c>safe_wal_size</c> columns of <c>pg_get_replication_slots</c> for one slot: an
    /// invalidated slot is <c>lost</c>; a slot whose WAL is gone but whose walsender is still attached shows
    /// <c>unreserved</c> (it may yet catch up before the next checkpoint); <c>safe_wal_size</c> is NULL when lost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per slot per row: see Lsn's comparisons
    public (WalStatus Status, ByteCount? SafeWalSize) SlotColumns(Lsn restartLsn, bool invalidated, bool active)
    {
        var status = invalidated ? WalStatus.Lost : StatusOf(restartLsn);
        if (status == WalStatus.Lost && restartLsn.IsValid && active) status = WalStatus.Unreserved;
        var safe = status != WalStatus.Lost && !(invalidated && status == WalStatus.Unreserved) ? SafeWalSizeOf(restartLsn) : null;
        return (status, safe);
    }

    /// <summary><c>safe_wal_size</c> of a slot at <paramref name="restartLsn"/>: null without a cap; negative past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per slot per row: see Lsn's comparisons
    public ByteCount? SafeWalSizeOf(Lsn restartLsn)
    {
        if (!_capped) return null;
        var limitSeg = _size.SegmentOf(restartLsn).Value + _safeKeepSegs + 1;
        return new ByteCount(unchecked((long)(limitSeg * (ulong)_size.Bytes) - _writePos));
    }
}

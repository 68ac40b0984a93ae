using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// Invariants of the retention arithmetic over random settings and positions (FsCheck). Runs are seeded, so a
/// failure is replayable: FsCheck prints the counter-example; set WALSIM_PROPERTY_SEED to another number to explore.
/// </summary>
public class PropertyTests
{
    private static readonly ulong Seed =
        ulong.TryParse(Environment.GetEnvironmentVariable("WALSIM_PROPERTY_SEED"), out var s) ? s : 0x5EED_2026UL;

    private static Config Seeded(int maxTest = 1000) =>
        Config.QuickThrowOnFailure
            .WithMaxTest(maxTest)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(Seed), FSharpOption<int>.None)));

    private static readonly string[] Versions =
        ["12.22", "13.0", "13.3", "13.4", "13.10", "13.11", "13.23", "14.7", "14.8", "14.23", "15.2", "15.3", "15.18", "16.3", "16.14", "17.10", "18.0", "18.4"];
    private static readonly int[] SegmentMbs = [1, 2, 16, 64, 1024];

    /// <summary>Valid settings for the version and segment size (min/max_wal_size at least two segments).</summary>
    private static ServerSettings Base(string version, int segMb) =>
        ServerSettings.Create(RetentionPolicy.For(PgVersion.Parse(version)), WalSegmentSize.FromMegabytes(segMb),
            new Dictionary<string, string>
            {
                ["min_wal_size"] = $"{Math.Max(80, 2 * segMb)}MB",
                ["max_wal_size"] = $"{Math.Max(1024, 2 * segMb)}MB",
            });

    private static Gen<ulong> Between(ulong lo, ulong hi) =>
        hi <= lo ? Gen.Constant(lo) : Gen.Choose(0, (int)Math.Min(hi - lo, int.MaxValue - 1)).Select(x => lo + (ulong)x);

    // ------------------------------------------------------------------------------------------------ RemoveOldXlogFiles

    public sealed record RemovalCase(
        int SegMb, ulong Oldest, ulong Newest, ulong Keep, ulong EndSeg, ulong RecycleSegNo, ulong ArchivedThrough,
        bool Recycle, ulong LastRemoved)
    {
        public ulong Cutoff => Keep - 1;
    }

    // A directory [oldest, newest]; keep ≤ segno(endptr) ≤ newest (the insert segment exists and is never below the
    // redo segment, which is ≥ keep); recycleSegNo anywhere around the directory; archiving holding some files or none.
    private static readonly Gen<RemovalCase> Removals =
        from segMb in Gen.Elements(SegmentMbs)
        from oldest in Between(1, 200_000)
        from count in Gen.Choose(1, 400)
        let newest = oldest + (ulong)count - 1
        from keep in Between(oldest > 20 ? oldest - 20 : 1, newest)
        from endSeg in Between(Math.Max(keep, oldest), newest)
        from recycleSegNo in Between(endSeg > 10 ? endSeg - 10 : 0, newest + 200)
        from archiving in Gen.Choose(0, 2)
        from archivedThrough in archiving == 0 ? Gen.Constant(ulong.MaxValue) : Between(oldest > 5 ? oldest - 5 : 0, newest)
        from recycle in Gen.Elements(true, true, true, false)
        from lastRemoved in Between(0, oldest - 1)
        select new RemovalCase(segMb, oldest, newest, keep, endSeg, recycleSegNo, archivedThrough, recycle, lastRemoved);

    private static RemovalResult Engine(RemovalCase c)
    {
        var size = WalSegmentSize.FromMegabytes(c.SegMb);
        return Retention.RemoveOldXlogFiles(new WalDirectory(new(c.Oldest), new(c.Newest)), new(c.Cutoff), new(c.RecycleSegNo),
            size.StartOf(new SegmentNumber(c.EndSeg)) + new ByteCount(0x28), new(c.ArchivedThrough), c.Recycle, new(c.LastRemoved), size);
    }

    /// <summary>The literal loop of retention-model.md §8.1 (RemoveOldXlogFiles → XLogArchiveCheckDone → RemoveXlogFile →
    /// InstallXLogFileSegment(find_free, max_segno = recycleSegNo)) over an explicit set of file names.</summary>
    private static (int Removed, int Recycled, SortedSet<ulong> After, ulong LastRemoved) Reference(RemovalCase c)
    {
        var files = new SortedSet<ulong>();
        for (var f = c.Oldest; f <= c.Newest; f++) files.Add(f);
        var end = c.EndSeg;
        var lastRemoved = c.LastRemoved;
        int removed = 0, recycled = 0;
        foreach (var f in files.Where(f => f <= c.Cutoff).ToList())
        {
            if (f > c.ArchivedThrough) continue;                 // .ready: skipped silently, retried next checkpoint
            lastRemoved = Math.Max(lastRemoved, f);              // UpdateLastRemovedPtr, even when recycled
            var installed = false;
            if (c.Recycle && end <= c.RecycleSegNo)
            {
                var n = end;
                var found = true;
                while (files.Contains(n))
                {
                    if (n >= c.RecycleSegNo) { found = false; break; }
                    n++;
                }
                if (found) { files.Add(n); end = n + 1; installed = true; }
            }
            files.Remove(f);
            if (installed) recycled++; else removed++;
        }
        return (removed, recycled, files, lastRemoved);
    }

    // RemoveOldXlogFiles (retention-model.md §8.1): files with segno > cutoff are skipped — nothing at or after keep is ever removed.
    [Fact]
    public void No_file_at_or_after_the_keep_segment_is_ever_removed() =>
        Check.One(Seeded(), Prop.ForAll(Arb.From(Removals), (Action<RemovalCase>)(c =>
        {
            var r = Engine(c);
            if (c.Keep >= c.Oldest) Assert.True(r.After.Oldest.Value <= c.Keep, $"oldest after {r.After.Oldest} > keep {c.Keep}");
            for (var f = Math.Max(c.Keep, c.Oldest); f <= c.Newest; f++) Assert.True(r.After.Contains(new(f)), $"file {f} ≥ keep {c.Keep} removed");
            var heldByArchive = Math.Min(c.Cutoff, c.ArchivedThrough);
            var removable = heldByArchive >= c.Oldest ? (long)(Math.Min(heldByArchive, c.Newest) - c.Oldest + 1) : 0;
            Assert.Equal(removable, r.Removed + r.Recycled);
        })));

    // RemoveXlogFile → InstallXLogFileSegment: a file is recycled only into a free name in [segno(endptr), recycleSegNo].
    [Fact]
    public void Recycled_files_never_exceed_the_free_names()
    {
        Check.One(Seeded(), Prop.ForAll(Arb.From(Removals), (Action<RemovalCase>)(c =>
        {
            var r = Engine(c);
            ulong free = 0;
            for (var n = c.EndSeg; n <= c.RecycleSegNo; n++)
                if (n < c.Oldest || n > c.Newest) free++;
            Assert.True((ulong)r.Recycled <= free, $"recycled {r.Recycled} > free names {free}");
            if (!c.Recycle) Assert.Equal(0, r.Recycled);
            Assert.True(r.After.Newest.Value <= Math.Max(c.Newest, c.RecycleSegNo), "a file was recycled above recycleSegNo");
        })));
    }

    // The contiguous-run shortcut in walsim agrees with the file-by-file loop of the C code (counts, names, horizon).
    [Fact]
    public void RemoveOldXlogFiles_agrees_with_the_file_by_file_loop_of_xlog_c() =>
        Check.One(Seeded(), Prop.ForAll(Arb.From(Removals), (Action<RemovalCase>)(c =>
        {
            var r = Engine(c);
            var expected = Reference(c);
            Assert.Equal((expected.Removed, expected.Recycled), (r.Removed, r.Recycled));
            Assert.Equal(expected.After.Count, r.After.Count);
            Assert.Equal(expected.After.Min, r.After.Oldest.Value);
            Assert.Equal(expected.After.Max, r.After.Newest.Value);
            Assert.Equal(expected.LastRemoved, r.LastRemoved.Value);
        })));

    // ------------------------------------------------------------------------------------------------ KeepLogSeg

    public sealed record KeepCase(
        string Version, int SegMb, long WalKeep, long MaxSlot, ulong RecptrSeg, uint RecptrOffsetFraction, ulong Candidate,
        int SlotDelta, bool HasSlot)
    {
        public override string ToString() =>
            $"{Version} seg={SegMb}MB walKeep={WalKeep} maxSlot={MaxSlot} recptrSeg={RecptrSeg} candidate={Candidate} slotDelta={SlotDelta} hasSlot={HasSlot}";
    }

    private static readonly Gen<KeepCase> Keeps =
        from version in Gen.Elements(Versions)
        from segMb in Gen.Elements(SegmentMbs)
        from walKeep in Gen.Elements(0L, 0L, 1L, 16L, 64L, 100L, 256L, 1024L, 5000L, 100_000L)
        from maxSlot in Gen.Elements(-1L, -1L, 0L, 1L, 16L, 64L, 128L, 1000L, 10_240L)
        from recptrSeg in Between(1, 5_000_000)
        from frac in Gen.Choose(0, 1000)
        from candidate in Between(0, recptrSeg + 3)
        from slotDelta in Gen.Choose(-50, 3000)
        from hasSlot in Gen.Elements(true, true, false)
        select new KeepCase(version, segMb, walKeep, maxSlot, recptrSeg, (uint)frac, candidate, slotDelta, hasSlot);

    private static (ServerSettings S, Lsn Recptr, Lsn SlotMin) Inputs(KeepCase c)
    {
        var s = Base(c.Version, c.SegMb);
        s = s.Policy.KeepKnob == WalKeepKnob.WalKeepSegments
            ? s with { WalKeepSegments = c.WalKeep }
            : s with { WalKeepSizeMb = c.WalKeep, MaxSlotWalKeepSizeMb = c.MaxSlot };
        var size = s.SegmentSize;
        var recptr = size.StartOf(new(c.RecptrSeg)) + new ByteCount(size.Bytes * c.RecptrOffsetFraction / 1001);
        var slotSeg = (long)c.RecptrSeg - c.SlotDelta;
        var slotMin = c.HasSlot && slotSeg >= 0
            ? size.StartOf(new((ulong)slotSeg)) + new ByteCount(size.Bytes / 3)
            : Lsn.Invalid;
        return (s, recptr, slotMin);
    }

    // KeepLogSeg only ever lowers *logSegNo (retention-model.md §5: "*logSegNo = min(*logSegNo, segno)"), in every version.
    [Fact]
    public void KeepLogSeg_never_returns_above_the_candidate_segment() =>
        Check.One(Seeded(2000), Prop.ForAll(Arb.From(Keeps), (Action<KeepCase>)(c =>
        {
            var (s, recptr, slotMin) = Inputs(c);
            var keep = Retention.KeepLogSeg(s, recptr, slotMin, new(c.Candidate));
            Assert.True(keep.Value <= c.Candidate, $"keep {keep} > candidate {c.Candidate}");
        })));

    // retention-model.md §5.2 consequence: slots are invalidated only when they fall behind max(max_slot_wal_keep_size, wal_keep_size);
    // a slot whose segment is within k of segno(recptr) satisfies segno(restart_lsn) ≥ KeepLogSeg(...), so
    // InvalidateObsoleteReplicationSlots (restart_lsn < segstart(keep)) never picks it.
    [Fact]
    public void Slot_within_max_of_max_slot_wal_keep_size_and_wal_keep_size_of_recptr_is_never_obsolete()
    {
        var cases =
            from c in Keeps
            where c.Version != "12.22" && c.MaxSlot >= 0
            from otherSlotsOlder in Gen.Choose(0, 200)
            select (c, otherSlotsOlder);
        Check.One(Seeded(2000), Prop.ForAll(Arb.From(cases), (Action<(KeepCase C, int OtherSlotsOlder)>)(x =>
        {
            var c = x.C;
            var (s, recptr, _) = Inputs(c);
            var size = s.SegmentSize;
            var k = Math.Max(size.MegabytesToSegments(s.MaxSlotWalKeepSizeMb), size.MegabytesToSegments(s.WalKeepSizeMb));
            var curr = size.SegmentOf(recptr).Value;
            // The slot: somewhere in a segment within k of curr (never segment 0, which does not exist).
            var back = k == 0 ? 0UL : (ulong)Math.Abs(c.SlotDelta) % (k + 1);
            if (back >= curr) back = curr - 1;
            var restart = size.StartOf(new(curr - back)) + new ByteCount(size.Bytes / 3);
            if (restart >= recptr && back == 0) restart = size.StartOf(new(curr)); // at or before recptr
            // The global minimum is this slot or an older one.
            var older = (ulong)x.OtherSlotsOlder;
            var slotMin = older == 0 || size.SegmentOf(restart).Value <= older ? restart : restart - size.Size * (long)older;
            var candidate = new SegmentNumber(Math.Min(c.Candidate, curr)); // the redo segment is never past recptr
            var keep = Retention.KeepLogSeg(s, recptr, slotMin, candidate);
            Assert.True(restart >= size.StartOf(keep),
                $"slot {restart} (segment {size.SegmentOf(restart)}) within {k} segments of {curr} is obsolete at keep {keep}");
        })));
    }

    // ------------------------------------------------------------------------------------------------ wal_status

    // GetWALAvailability (xlog.c, 13+), branch by branch as the source reads, against the per-row WalAvailability
    // that the engine computes once for all slots; safe_wal_size as pg_get_replication_slots computes it.
    [Fact]
    public void WalAvailability_agrees_with_GetWALAvailability_and_safe_wal_size_as_written_in_the_source()
    {
        var cases =
            from c in Keeps
            where c.Version != "12.22"
            from targetBack in Gen.Choose(-2, 400)
            from removedBack in Gen.Choose(0, 400)
            select (c, targetBack, removedBack);
        Check.One(Seeded(2000), Prop.ForAll(Arb.From(cases), (Action<(KeepCase C, int TargetBack, int RemovedBack)>)(x =>
        {
            var (s, currpos, slotMin) = Inputs(x.C);
            var size = s.SegmentSize;
            var currSeg = size.SegmentOf(currpos).Value;
            var targetSeg = (ulong)Math.Max(1, (long)currSeg - x.TargetBack);
            var target = size.StartOf(new(targetSeg)) + new ByteCount(size.Bytes / 2);
            var lastRemoved = new SegmentNumber((ulong)Math.Max(0, (long)currSeg - x.RemovedBack));

            // xlog.c GetWALAvailability
            var oldestSeg = lastRemoved.Value + 1;
            var oldestSlotSeg = Retention.KeepLogSeg(s, currpos, slotMin, new(currSeg)).Value;
            var keepSegs = size.MegabytesToSegments(s.MaxWalSizeMb) + 1;
            var oldestSegMaxWalSize = currSeg > keepSegs ? currSeg - keepSegs : 1;
            var expected = targetSeg >= oldestSlotSeg
                ? (targetSeg >= oldestSegMaxWalSize ? WalStatus.Reserved : WalStatus.Extended)
                : targetSeg >= oldestSeg ? WalStatus.Unreserved : WalStatus.Lost;

            // slotfuncs.c pg_get_replication_slots: failLSN = segstart(segno(restart) + max(slotKeep, walKeep) + 1)
            ByteCount? expectedSafe = null;
            if (s.MaxSlotWalKeepSizeMb >= 0)
            {
                var k = Math.Max(size.MegabytesToSegments(s.MaxSlotWalKeepSizeMb), size.MegabytesToSegments(s.WalKeepSizeMb));
                expectedSafe = new ByteCount((long)((targetSeg + k + 1) * (ulong)size.Bytes) - (long)currpos.Value);
            }

            var view = WalAvailability.At(s, currpos, slotMin, lastRemoved);
            Assert.Equal(expected, view.StatusOf(target));
            Assert.Equal(expectedSafe, view.SafeWalSizeOf(target));
            Assert.Equal(WalStatus.Null, view.StatusOf(Lsn.Invalid));
        })));
    }

    // ------------------------------------------------------------------------------------------------ XLOGfileslop

    // XLOGfileslop clamps to [redo + min_wal_size − 1, redo + max_wal_size − 1], max winning when min > max.
    [Fact]
    public void XLOGfileslop_stays_within_the_min_and_max_wal_size_horizon()
    {
        var cases =
            from segMb in Gen.Elements(SegmentMbs)
            from redoSeg in Between(1, 1_000_000)
            from minMul in Gen.Choose(2, 200)
            from maxMul in Gen.Choose(2, 200)
            from estimateSegs in Gen.Choose(0, 500)
            from cct in Gen.Elements(0.0, 0.5, 0.9, 1.0)
            select (segMb, redoSeg, minMul, maxMul, estimateSegs, cct);
        Check.One(Seeded(), Prop.ForAll(Arb.From(cases), (Action<(int SegMb, ulong RedoSeg, int MinMul, int MaxMul, int EstimateSegs, double Cct)>)(c =>
        {
            var s = Base("15.18", c.SegMb) with
            {
                MinWalSizeMb = (long)c.MinMul * c.SegMb,
                MaxWalSizeMb = (long)c.MaxMul * c.SegMb,
                CheckpointCompletionTarget = c.Cct,
            };
            var size = s.SegmentSize;
            var redo = size.StartOf(new(c.RedoSeg)) + new ByteCount(0x28);
            var r = Retention.XLogFileSlop(s, redo, (double)c.EstimateSegs * size.Bytes).Value;
            var min = c.RedoSeg + (ulong)c.MinMul - 1;
            var max = c.RedoSeg + (ulong)c.MaxMul - 1;
            Assert.True(r <= max, $"{r} > maxSegNo {max}");
            if (min <= max) Assert.True(r >= min, $"{r} < minSegNo {min}");
        })));
    }
}

using System.Globalization;

namespace Walsim.Simulator.Engine;

/// <summary>Why one segment file is in pg_wal (<c>walsim explain</c>): each file has exactly one.</summary>
public enum WalHoldReason
{
    /// <summary>From the last checkpoint's redo segment to the insert segment: crash recovery replays it.</summary>
    Redo,
    /// <summary>A standby's WAL received but not yet replayed (past the replay segment).</summary>
    NotReplayed,
    /// <summary>Within <c>wal_keep_size</c> (13+) / <c>wal_keep_segments</c> (12) of the insert segment.</summary>
    WalKeep,
    /// <summary>At or past a replication slot's restart_lsn segment and below the next slot's (stacked: each slot
    /// holds what advancing it to the next one would free; the last one, up to the redo segment).</summary>
    Slot,
    /// <summary>Not yet archived (<c>.ready</c>): <c>XLogArchiveCheckDone</c> keeps it whatever else says.</summary>
    Archiver,
    /// <summary>Past the insert segment: recycled ahead by <c>RemoveOldXlogFiles</c> or pre-allocated.</summary>
    RecycledAhead,
    /// <summary>Nothing holds it: no checkpoint has run since it was released; the next one removes or recycles it.</summary>
    Removable,
    /// <summary>Kept by <c>KeepLogSeg</c> for no reason walsim can name: reported, never hidden.</summary>
    Other,
}

public static class WalHoldReasonText
{
    /// <summary>The label a metric and JSON use (<c>walsim_pg_wal_bytes{reason="wal_keep"}</c>).</summary>
    public static string Label(this WalHoldReason r) => r switch
    {
        WalHoldReason.Redo => "redo",
        WalHoldReason.NotReplayed => "not_replayed",
        WalHoldReason.WalKeep => "wal_keep",
        WalHoldReason.Slot => "slot",
        WalHoldReason.Archiver => "archiver",
        WalHoldReason.RecycledAhead => "recycled_ahead",
        WalHoldReason.Removable => "removable",
        _ => "other",
    };
}

/// <summary>One segment file as pg_wal shows it (<c>pg_ls_waldir()</c>: name and size): a value the caller hands in —
/// the engine's model of pg_wal, or rows a sampler read at the edge — never a directory this assembly reads
/// (EnginePurityTests checks the compiled IL).</summary>
public readonly record struct WalFile(SegmentNumber Segment, string Name, ByteCount Size);

/// <summary>A replication slot as <c>walsim explain</c> reads it.</summary>
/// <remarks>Slot: What <see cref="CheckpointDecision"/> reads of it (restart_lsn; invalid for a lost slot).</remarks>
/// <remarks>WalStatus: <c>wal_status</c> as the server showed it (13+), null when not shown.</remarks>
public readonly record struct ExplainSlot(CheckpointSlot Slot, WalStatus? WalStatus = null)
{
    public string Name => Slot.Name;
}

/// <summary>
/// The state a server shows, as values: what <see cref="WalBreakdown.Of"/> explains. Built from a live server, a
/// sample, or the engine at an instant.
/// </summary>
public sealed record WalState
{
    public required ServerSettings Settings { get; init; }

    /// <summary>Every segment file in pg_wal (any timeline), any order.</summary>
    public required IReadOnlyList<WalFile> Files { get; init; }

    /// <summary>The insert position (a standby: the received, else replayed, position).</summary>
    public required Lsn Insert { get; init; }

    /// <summary><c>pg_control_checkpoint().redo_lsn</c>: the redo of the last completed checkpoint (restartpoint).</summary>
    public required Lsn Redo { get; init; }

    /// <summary>The redo the next checkpoint will have: a running checkpoint's when the engine knows it; null = a
    /// checkpoint started now (the insert position).</summary>
    public Lsn? NextRedo { get; init; }

    /// <summary><c>CheckPointDistanceEstimate</c> in bytes; null when unknown (a live server does not show it: the
    /// log's <c>estimate=… kB</c> does).</summary>
    public double? Estimate { get; init; }

    public IReadOnlyList<ExplainSlot> Slots { get; init; } = [];

    /// <summary>The slot minimum <c>KeepLogSeg</c> reads, when it differs from the slots' (the engine's refresh
    /// points); null = the minimum of the slots' required LSNs.</summary>
    public Lsn? SlotMinimum { get; init; }

    /// <summary>The newest segment archiving no longer needs (the oldest <c>.ready</c> − 1); default: all of them.</summary>
    public SegmentNumber ArchivedThrough { get; init; } = new(ulong.MaxValue);

    /// <summary><c>XLogCtl->lastRemovedSegNo</c> (or the oldest file − 1).</summary>
    public SegmentNumber LastRemoved { get; init; }

    /// <summary>A standby's replay position (<see cref="Lsn.Invalid"/> on a primary).</summary>
    public Lsn ReplayLsn { get; init; }

    /// <summary>A standby: its WAL goes at restartpoints, which this does not predict.</summary>
    public bool InRecovery { get; init; }

    /// <summary>This state as the next checkpoint (restartpoint) reads it, over <paramref name="files"/>; an unknown estimate as 0.</summary>
    public NodeWalState Node(WalDirectory files) => new(Redo, Estimate ?? 0, LastRemoved, files);
}

/// <summary>The files and bytes of one reason (and slot).</summary>
public readonly record struct WalReasonTotal(WalHoldReason Reason, string? Slot, long Files, ByteCount Bytes)
{
    public string Label => Reason.Label();
}

/// <summary>One file and why it is there.</summary>
/// <remarks>PastCap: A slot's file below <c>max_slot_wal_keep_size</c>'s limit: the next checkpoint invalidates
/// the slot and lets it go.</remarks>
public readonly record struct WalFileReason(WalFile WalFile, WalHoldReason Reason, string? Slot, bool PastCap);

/// <summary>A slot and what it holds.</summary>
/// <remarks>Files: Files attributed to it (stacked: see <see cref="WalHoldReason.Slot"/>).</remarks>
/// <remarks>Retained: Insert − restart_lsn: all the WAL it needs, shared with the slots behind it.</remarks>
/// <remarks>OverCapBy: 16+ "exceeds the limit by N bytes" if the next checkpoint invalidates it, else null.</remarks>
public readonly record struct WalSlotHold(string Name, Lsn RestartLsn, WalStatus? WalStatus, long Files, ByteCount Bytes,
    ByteCount Retained, ByteCount? OverCapBy);

/// <summary>Which bound set <c>XLOGfileslop</c>'s recycle limit.</summary>
public enum RecycleBound { Estimate, MinWalSize, MaxWalSize, Unknown }

/// <summary>Why the recycled-ahead files are there and how many the last checkpoint's rule allows (<c>XLOGfileslop</c>).</summary>
/// <remarks>Limit: The highest name a file may be recycled to, from the last redo and the estimate.</remarks>
/// <remarks>MinSegNo: redo segment + min_wal_size − 1.</remarks>
/// <remarks>MaxSegNo: redo segment + max_wal_size − 1.</remarks>
/// <remarks>AllowedAhead: Names past the insert segment up to Limit.</remarks>
public readonly record struct RecycleExplanation(SegmentNumber Limit, SegmentNumber MinSegNo, SegmentNumber MaxSegNo, RecycleBound Bound,
    double? Estimate, long AllowedAhead);

/// <summary>What the next checkpoint (started now) does, from <see cref="CheckpointDecision.Decide"/>.</summary>
/// <remarks>Redo: The redo it was given.</remarks>
/// <remarks>Keep: The oldest segment it keeps (final <c>KeepLogSeg</c>).</remarks>
/// <remarks>Going: Per reason (and slot), the files it removes or recycles.</remarks>
/// <remarks>EstimateAssumed: The estimate was unknown: assumed 0 (the checkpoint's own distance then sets it).</remarks>
public sealed record NextCheckpoint(Lsn Redo, SegmentNumber Keep, int Removed, int Recycled, int Added,
    IReadOnlyList<CheckpointInvalidation> Invalidated, IReadOnlyList<WalReasonTotal> Going, long FilesAfter, bool EstimateAssumed);

/// <summary>
/// <c>walsim explain</c>'s answer: every segment file in pg_wal with exactly one reason, their totals (adding up to
/// the files and bytes the server shows), what each slot holds, why the recycled-ahead files are there, and what the
/// next checkpoint will do. A pure value, built by <see cref="Of"/>, reused by reports and metrics.
/// </summary>
public sealed record WalBreakdown(
    IReadOnlyList<WalFileReason> Files,
    IReadOnlyList<WalReasonTotal> Totals,
    long FileCount,
    ByteCount Bytes,
    SegmentNumber RedoSegment,
    SegmentNumber InsertSegment,
    SegmentNumber KeepNow,
    SegmentNumber WalKeepFloor,
    IReadOnlyList<WalSlotHold> Slots,
    RecycleExplanation Recycle,
    NextCheckpoint? Next,
    IReadOnlyList<string> Notes)
{
    /// <summary>The slot holding the oldest WAL, and the next one behind it (null when fewer slots hold WAL).</summary>
    public WalSlotHold? MinimumSlot => Slots.Count > 0 ? Slots[0] : null;
    public WalSlotHold? NextSlot => Slots.Count > 1 ? Slots[1] : null;

    /// <summary>
    /// Explains <paramref name="state"/>. Each file gets the first reason that holds it, in this order: past the
    /// insert segment (recycled ahead); received, not replayed (standby); from the redo segment on; within
    /// <c>wal_keep_size</c>; a slot's; not yet archived; else removable — and a file <c>KeepLogSeg</c> keeps that none
    /// of those names is "other". The order asks what would still hold a file if the later reasons went away.
    /// </summary>
    public static WalBreakdown Of(WalState state)
    {
        var settings = state.Settings;
        var notes = new List<string>();
        var c = new Classifier(state);
        var insertSeg = c.InsertSeg;
        var redoSeg = c.RedoSeg;
        var holding = c.Holding;
        var keepNow = c.KeepNow;
        var walKeepFloor = c.WalKeepFloor;

        var files = state.Files.OrderBy(f => f.Segment.Value).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();
        var reasons = new List<WalFileReason>(files.Count);
        foreach (var f in files)
        {
            var (reason, slot, pastCap) = c.Classify(f.Segment);
            reasons.Add(new(f, reason, slot, pastCap));
        }
        if (reasons.Any(r => r.Reason == WalHoldReason.Other))
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{reasons.Count(r => r.Reason == WalHoldReason.Other)} file(s) at or past KeepLogSeg's segment {keepNow} are held by no reason walsim names"));

        var totals = TotalsOf(reasons);
        var slots = new List<WalSlotHold>();
        var recycle = RecycleOf(settings, state.Redo, state.Estimate, insertSeg);

        NextCheckpoint? next = null;
        if (files.Count > 0)
            next = state.InRecovery ? PredictRestartpoint(state, settings, files, reasons, notes) : PredictNext(state, settings, files, reasons, notes);

        foreach (var h in holding)
        {
            var mine = reasons.Where(r => r.Reason == WalHoldReason.Slot && r.Slot == h.Name).ToList();
            var over = next?.Invalidated.FirstOrDefault(i => i.Name == h.Name && i.Cause == InvalidationCause.WalRemoved);
            slots.Add(new WalSlotHold(h.Name, h.Slot.RestartLsn.IsValid ? h.Slot.RestartLsn : h.Slot.RequiredLsn, h.WalStatus, mine.Count,
                Sum(mine.Select(m => m.WalFile.Size)), state.Insert - h.Slot.RequiredLsn, over is { Name: not null } o ? o.ExceedsBy : null));
        }
        return new WalBreakdown(reasons, totals, files.Count, Sum(files.Select(f => f.Size)), redoSeg, insertSeg, keepNow, walKeepFloor,
            slots, recycle, next, notes);
    }

    /// <summary>
    /// The totals of <see cref="Of"/> for a pg_wal that is one run of full segments, <paramref name="oldest"/> to
    /// <paramref name="newest"/> (the engine's directory), without a value per file: every reason is decided by
    /// comparing the segment with a few bounds, so between two neighbouring bounds all files share one reason, and one
    /// file per stretch decides it. Costs O(slots), whatever the file count: the HTML report takes it at every row.
    /// </summary>
    public static IReadOnlyList<WalReasonTotal> TotalsOfRun(WalState state, SegmentNumber oldest, SegmentNumber newest)
    {
        if (newest < oldest) return [];
        var c = new Classifier(state);
        var size = state.Settings.SegmentSize.Size.Bytes;
        // Each bound is the first segment of a stretch: a reason can change only there.
        var starts = new List<ulong>(12 + c.Holding.Count) { oldest.Value };
        void Bound(ulong b)
        {
            if (b > oldest.Value && b <= newest.Value) starts.Add(b);
        }
        Bound(c.InsertSeg.Value + 1);
        if (c.ReplaySeg is { } rs) Bound(rs.Value + 1);
        Bound(c.RedoSeg.Value);
        Bound(c.WalKeepFloor.Value);
        Bound(c.SlotFloor.Value);
        Bound(c.KeepNow.Value);
        if (c.SlotMinSeg is { } ms) Bound(ms.Value);
        foreach (var h in c.Holding) Bound(c.Seg.SegmentOf(h.Slot.RequiredLsn).Value);
        if (state.ArchivedThrough.Value < ulong.MaxValue) Bound(state.ArchivedThrough.Value + 1);
        starts.Sort();
        var distinct = starts.Distinct().ToList();
        var totals = new Dictionary<(WalHoldReason, string?), long>();
        for (var i = 0; i < distinct.Count; i++)
        {
            var end = i + 1 < distinct.Count ? distinct[i + 1] : newest.Value + 1;
            var (reason, slot, _) = c.Classify(new SegmentNumber(distinct[i]));
            totals[(reason, slot)] = totals.GetValueOrDefault((reason, slot)) + (long)(end - distinct[i]);
        }
        return totals.Select(t => new WalReasonTotal(t.Key.Item1, t.Key.Item2, t.Value, new ByteCount(t.Value * size)))
            .OrderBy(t => t.Reason).ThenBy(t => t.Slot, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The bounds every file is compared with, and the comparison: a file gets the first reason that holds it, in
    /// this order: past the insert segment (recycled ahead); received, not replayed (standby); from the redo segment
    /// on; within <c>wal_keep_size</c>; a slot's; not yet archived; else removable — and a file <c>KeepLogSeg</c> keeps
    /// that none of those names is "other".
    /// </summary>
    private sealed class Classifier
    {
        private readonly WalState _state;
        private readonly bool _guard;
        public readonly WalSegmentSize Seg;
        public readonly SegmentNumber InsertSeg, RedoSeg, KeepNow, WalKeepFloor, SlotFloor;
        public readonly SegmentNumber? ReplaySeg, SlotMinSeg;
        public readonly List<ExplainSlot> Holding;

        public Classifier(WalState state)
        {
            _state = state;
            var settings = state.Settings;
            Seg = settings.SegmentSize;
            _guard = settings.Policy.KeepLogSegUnderflowGuard;
            InsertSeg = Seg.SegmentOf(state.Insert);
            RedoSeg = Seg.SegmentOf(state.Redo);
            ReplaySeg = state.ReplayLsn.IsValid && state.InRecovery ? Seg.SegmentOf(state.ReplayLsn) : null;
            // Holding slots, oldest first (ReplicationSlotsComputeRequiredLSN reads RequiredLsn).
            Holding = state.Slots.Where(s => s.Slot.RequiredLsn.IsValid).OrderBy(s => s.Slot.RequiredLsn.Value)
                .ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
            var slotMin = state.SlotMinimum ?? CheckpointDecision.MinRestart(Holding.Select(s => s.Slot.RequiredLsn));
            SlotMinSeg = slotMin.IsValid ? Seg.SegmentOf(slotMin) : null;
            // KeepLogSeg as a checkpoint at the insert position would call it (GetWALAvailability's view): with the
            // slots, and without them (what wal_keep_size/wal_keep_segments alone keep).
            KeepNow = Retention.KeepLogSeg(settings, state.Insert, slotMin, RedoSeg);
            WalKeepFloor = Retention.KeepLogSeg(settings, state.Insert, Lsn.Invalid, RedoSeg);
            // Where the cap cuts the slots off (13+ with max_slot_wal_keep_size >= 0): files below it are past the cap.
            SlotFloor = SegmentNumber.Min(KeepNow, WalKeepFloor);
        }

        public (WalHoldReason Reason, string? Slot, bool PastCap) Classify(SegmentNumber s)
        {
            if (s > InsertSeg) return (WalHoldReason.RecycledAhead, null, false);
            if (ReplaySeg is { } rs && s > rs) return (WalHoldReason.NotReplayed, null, false);
            if (s >= RedoSeg) return (WalHoldReason.Redo, null, false);
            if (s >= WalKeepFloor && WalKeepFloor < RedoSeg) return (WalHoldReason.WalKeep, null, false);
            // KeepLogSeg reads only the global minimum: below it no slot holds a file, whatever a slot's own position.
            if (SlotMinSeg is { } ms && s >= ms && SlotFor(Holding, s, Seg, _state.Insert, _guard) is { } slot)
                return (WalHoldReason.Slot, slot, s < SlotFloor);
            if (s > _state.ArchivedThrough) return (WalHoldReason.Archiver, null, false);
            if (s >= KeepNow) return (WalHoldReason.Other, null, false);
            return (WalHoldReason.Removable, null, false);
        }
    }

    /// <summary>The slot a file below the redo and wal_keep floors is attributed to: the newest holding slot whose
    /// restart segment is at or before it (16+: a slot at or past the insert position holds nothing, TV-13).</summary>
    private static string? SlotFor(List<ExplainSlot> holding, SegmentNumber s, WalSegmentSize seg, Lsn insert, bool guard)
    {
        string? owner = null;
        foreach (var h in holding)
        {
            if (guard && h.Slot.RequiredLsn >= insert) continue;
            if (seg.SegmentOf(h.Slot.RequiredLsn) <= s) owner = h.Name;
            else break;
        }
        return owner;
    }

    /// <summary>
    /// <c>XLOGfileslop</c> from the last checkpoint's redo and the estimate: the highest name a removed file could be
    /// recycled to (retention-model.md §8.2), and which clamp decided it.
    /// </summary>
    private static RecycleExplanation RecycleOf(ServerSettings settings, Lsn redo, double? estimate, SegmentNumber insertSeg)
    {
        var seg = settings.SegmentSize;
        var redoSeg = seg.SegmentOf(redo).Value;
        var min = new SegmentNumber(redoSeg + seg.MegabytesToSegments(settings.MinWalSizeMb) - 1);
        var max = new SegmentNumber(redoSeg + seg.MegabytesToSegments(settings.MaxWalSizeMb) - 1);
        if (estimate is not { } e)
            return new RecycleExplanation(max, min, max, RecycleBound.Unknown, null, max > insertSeg ? (long)(max.Value - insertSeg.Value) : 0);
        var limit = Retention.XLogFileSlop(settings, redo, e);
        var bound = limit == max ? RecycleBound.MaxWalSize : limit == min ? RecycleBound.MinWalSize : RecycleBound.Estimate;
        return new RecycleExplanation(limit, min, max, bound, e, limit > insertSeg ? (long)(limit.Value - insertSeg.Value) : 0);
    }

    /// <summary>The next checkpoint, started now: <see cref="CheckpointDecision.Decide"/> on the state, and which of
    /// today's files it takes (those below its keep segment that archiving no longer needs).</summary>
    private static NextCheckpoint PredictNext(WalState state, ServerSettings settings, List<WalFile> files, List<WalFileReason> reasons, List<string> notes)
    {
        var seg = settings.SegmentSize;
        var redo = state.NextRedo ?? state.Insert;
        // Only the checkpoint record's start is not known: its end is at least the smallest record past it.
        var recptr = CheckpointDecision.RecPtrAfter(redo);
        var dir = new WalDirectory(files[0].Segment, SegmentNumber.Max(files[^1].Segment, seg.SegmentOf(state.Insert)));
        var distinct = files.Select(f => f.Segment).Distinct().Count();
        if (distinct != (long)dir.Count)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"pg_wal's segments are not one run ({distinct} distinct in {dir}): the next checkpoint's counts assume one"));
        var outcome = CheckpointDecision.Decide(settings, new CheckpointInputs(state.Node(dir), redo, recptr)
        {
            Slots = state.Slots.Select(s => s.Slot).ToArray(),
            KeepSlotMinimum = state.SlotMinimum,
            ArchivedThrough = state.ArchivedThrough,
        });
        if (state.Estimate is null)
            notes.Add("CheckPointDistanceEstimate is not known (give --estimate from the log's \"estimate=… kB\"): the next checkpoint's recycling assumes its own distance");
        return NextOf(state, redo, outcome, reasons);
    }

    /// <summary>
    /// A standby's next restartpoint (<see cref="RestartpointDecision.Decide"/>): it runs when the startup process has
    /// replayed a primary checkpoint newer than the last restartpoint, with that checkpoint's redo, which no view shows.
    /// Taken as a checkpoint whose redo is the replay position (the newest it can be): its <c>KeepLogSeg</c> then keeps
    /// the least, so the files it shows going are the most the next restartpoint can remove.
    /// </summary>
    private static NextCheckpoint? PredictRestartpoint(WalState state, ServerSettings settings, List<WalFile> files, List<WalFileReason> reasons, List<string> notes)
    {
        var seg = settings.SegmentSize;
        var redo = state.NextRedo ?? state.ReplayLsn;
        var node = state.Node(new WalDirectory(files[0].Segment, files[^1].Segment));
        var outcome = RestartpointDecision.Decide(settings, new RestartpointInputs(node, redo, state.Insert, state.ReplayLsn)
        {
            Slots = state.Slots.Where(s => s.Slot.RequiredLsn.IsValid).Select(s => new RestartpointSlot(s.Name, s.Slot.RequiredLsn)).ToList(),
            KeepSlotMinimum = state.SlotMinimum,
        });
        if (outcome is null)
        {
            notes.Add("nothing has been replayed past the last restartpoint's redo: the next restartpoint is skipped");
            return null;
        }
        notes.Add(state.NextRedo is null
            ? "a standby removes WAL at restartpoints: shown is the next one as if the primary's checkpoint replayed next had its redo at the replay position (the most it can remove)"
            : "a standby removes WAL at restartpoints: shown is the next one, from the primary checkpoint already replayed");
        return NextOf(state, redo, outcome.Checkpoint, reasons);
    }

    /// <summary>Which of today's files a checkpoint (restartpoint) takes: those below its keep segment that archiving no longer needs.</summary>
    private static NextCheckpoint NextOf(WalState state, Lsn redo, CheckpointOutcome outcome, List<WalFileReason> reasons)
    {
        var cutoff = outcome.Keep.Value > 0 ? outcome.Keep - 1 : outcome.Keep;
        var top = SegmentNumber.Min(cutoff, state.ArchivedThrough);
        var going = TotalsOf(reasons.Where(r => r.WalFile.Segment <= top && outcome.Keep.Value > 0));
        return new NextCheckpoint(redo, outcome.Keep, outcome.Removed, outcome.Recycled, outcome.Added, outcome.Invalidated, going,
            outcome.After.Count, state.Estimate is null);
    }

    private static List<WalReasonTotal> TotalsOf(IEnumerable<WalFileReason> reasons) =>
        reasons.GroupBy(r => (r.Reason, r.Slot))
            .Select(g => new WalReasonTotal(g.Key.Reason, g.Key.Slot, g.Count(), Sum(g.Select(r => r.WalFile.Size))))
            .OrderBy(t => t.Reason).ThenBy(t => t.Slot, StringComparer.Ordinal).ToList();

    private static ByteCount Sum(IEnumerable<ByteCount> sizes)
    {
        long total = 0;
        foreach (var s in sizes) total += s.Bytes;
        return new ByteCount(total);
    }
}

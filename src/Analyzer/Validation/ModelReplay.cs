using System.Globalization;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// Feeds what a real server was observed to do (the positions actually written, the slot positions actually
/// reached, the checkpoints that actually ran) through walsim's retention functions and compares each decision
/// with the server's: per checkpoint <see cref="CheckpointDecision"/>'s <c>KeepLogSeg</c> →
/// <c>InvalidateObsoleteReplicationSlots</c> → <c>RemoveOldXlogFiles</c>/<c>PreallocXlogFiles</c> (removed, recycled,
/// added, the files left, distance and estimate), and after every step each slot's <c>wal_status</c> and
/// <c>safe_wal_size</c>. Pure: no I/O.
/// </summary>
public sealed class ModelReplay
{
    private readonly RetentionPolicy _policy;
    private readonly WalSegmentSize _seg;
    private ServerSettings _settings;
    private double _estimate;                   // CheckPointDistanceEstimate: 0 when the postmaster starts
    private SegmentNumber _lastRemoved;         // XLogCtl->lastRemovedSegNo: 0 at start, raised by RemoveOldXlogFiles
    private readonly HashSet<string> _invalidated = new(StringComparer.Ordinal);
    /// <summary>Slots whose part of the global minimum (XLogCtl->replicationSlotMinLSN) is not their restart_lsn:
    /// moved by decoding without a recompute (<see cref="Decoded"/>). Absent: the minimum has their restart_lsn.</summary>
    private readonly Dictionary<string, Lsn> _required = new(StringComparer.Ordinal);
    /// <summary>Where each observed checkpoint logged its running_xacts: at its redo, after the 32 B
    /// XLOG_CHECKPOINT_REDO record on 17+ (the restart points a decoder can take).</summary>
    private readonly List<Lsn> _runningXacts = [];
    private int _checkpoints;

    public ModelReplay(RetentionPolicy policy, ServerSettings settings)
    {
        _policy = policy;
        _settings = settings;
        _seg = settings.SegmentSize;
    }

    public List<Decision> Decisions { get; } = [];
    public ServerSettings Settings => _settings;
    public int CheckpointsCompared => _checkpoints;

    /// <summary>A reload with changed settings (the scenario's <c>set</c>).</summary>
    public void Reload(IEnumerable<KeyValuePair<string, string>> changes) => _settings = _settings.With(changes);

    /// <summary>Something ran <c>ReplicationSlotsComputeRequiredLSN</c> (slot created, dropped or advanced): the
    /// minimum has every slot's restart_lsn again.</summary>
    public void MinimumRecomputed() => _required.Clear();

    /// <summary>
    /// <c>pg_logical_slot_get_changes</c>/<c>peek_changes</c> decoded a logical slot, or its streaming consumer's
    /// reports moved it between two observations (one running_xacts per step: validate waits for each catch-up)
    /// (retention-model.md §12.2):
    /// the engine's rule, <see cref="LogicalSlotMinimum"/> (retention-model.md §12.3), read from what was observed:
    /// catalog_xmin moved or not; the record was taken at once when the new restart_lsn is at or before the old
    /// confirmed_flush (then the recompute saw the restart point the decoder had taken just before: the previous
    /// checkpoint's running_xacts it passed, or where it started), else applied with the final confirmation.
    /// </summary>
    public void Decoded(ObservedSlot before, ObservedSlot after)
    {
        var held = _required.TryGetValue(before.Name, out var r) ? r : before.RestartLsn;
        if (after.RestartLsn == before.RestartLsn) return;
        var atOnce = after.RestartLsn <= before.ConfirmedFlush;
        var prior = before.RestartLsn;
        if (atOnce) foreach (var rx in _runningXacts) if (rx > prior && rx < after.RestartLsn) prior = rx;
        if (LogicalSlotMinimum.RecomputedWith(after.CatalogXmin != before.CatalogXmin, atOnce, prior, after.RestartLsn) is not { } seen)
        {
            _required[before.Name] = held;
            return;
        }
        // A recompute: every other slot's restart_lsn is in the minimum again.
        _required.Clear();
        if (seen != after.RestartLsn) _required[before.Name] = seen;
    }

    /// <summary>What a slot contributes to the server's minimum: its restart_lsn unless decoding left the minimum behind.</summary>
    private Lsn Required(ObservedSlot s) => _required.TryGetValue(s.Name, out var r) && r < s.RestartLsn ? r : s.RestartLsn;

    /// <summary>
    /// One checkpoint that completed between <paramref name="before"/> and <paramref name="after"/> (and no other did):
    /// the model's decisions from the observed inputs, compared with the log line and the snapshot after.
    /// </summary>
    public void Checkpoint(int step, ServerSnapshot before, ServerSnapshot after, LoggedCheckpoint logged)
    {
        var n = ++_checkpoints;
        var redo = logged.RedoLsn ?? after.RedoLsn;
        // The end of the checkpoint record, which KeepLogSeg and PreallocXlogFiles use, is not observable.
        var recptr = CheckpointDecision.RecPtrAfter(logged.CheckpointLsn ?? after.CheckpointLsn);
        _runningXacts.Add(_policy.WritesCheckpointRedoRecord ? redo + new ByteCount(CheckpointDecision.RedoRecordBytes) : redo);
        var prior = before.RedoLsn;

        // The slots as they stood before the checkpoint (the model's minimum for KeepLogSeg), without those it knows lost.
        // 18's idle_replication_slot_timeout is checked at the checkpoint's end (CreateCheckPoint, after CheckPointGuts):
        // how long the slot had been inactive then: now − inactive_since read after it, less the time since the
        // "checkpoint complete" line (a spread checkpoint may have ended seconds before the observation).
        var sinceEnd = after.Clock is { } clock && logged.CompletedAt is { } end && clock > end ? (clock - end).TotalSeconds : 0;
        var slots = before.Slots.Where(s => s.RestartLsn.IsValid && !_invalidated.Contains(s.Name))
            .Select(s => CheckpointSlot.Holding(s.Name, s.RestartLsn, s.Active) with
            {
                IdleFor = !s.Active && after.Slot(s.Name) is { IdleSeconds: { } idle } ? SimDuration.FromSeconds(Math.Floor(idle - sinceEnd)) : null,
            }).ToArray();
        // RemoveOldXlogFiles runs over the files that existed then: those seen before, plus the segments written since
        // (up to the checkpoint record's).
        var dir = new WalDirectory(before.OldestFile, SegmentNumber.Max(before.NewestFile, _seg.SegmentOf(recptr)));
        // The minimum KeepLogSeg reads, when decoding left it behind a slot's restart_lsn (else the slots' own).
        var stale = before.Slots.Where(s => s.RestartLsn.IsValid && !_invalidated.Contains(s.Name)).ToArray();
        Lsn? keepMinimum = stale.Any(s => Required(s) != s.RestartLsn) ? CheckpointDecision.MinRestart(stale.Select(Required)) : null;
        var node = new NodeWalState(prior, _estimate, _lastRemoved, dir);
        var o = CheckpointDecision.Decide(_settings, new CheckpointInputs(node, redo, recptr) { Slots = slots, KeepSlotMinimum = keepMinimum });
        // A streaming logical consumer that has confirmed all WAL races this checkpoint (retention-model.md §12.2): where
        // the checkpoint's running_xacts sits at its redo (12-16), that is the consumer's confirmed_flush, so its
        // walsender takes the record's restart point and xmin at once when it decodes it (LogicalIncreaseXminForSlot
        // recomputes the minimum with restart_lsn as it stood, then LogicalIncreaseRestartDecodingForSlot moves
        // restart_lsn), and the record may be decoded before this checkpoint's KeepLogSeg and
        // InvalidateObsoleteReplicationSlots or after them. Both outcomes are the model's; the server's log says which ran.
        var racing = before.Slots.Where(s => s.Active && s.ConfirmedFlush.IsValid && s.RestartLsn.IsValid && !_invalidated.Contains(s.Name)
                && s.ConfirmedFlush >= redo && s.RestartLsn < redo && after.Slot(s.Name)?.RestartLsn == redo)
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var raced = false;
        if (racing.Count > 0 && !Matches(o, logged))
        {
            Lsn RacedRequired(ObservedSlot s) => !racing.Contains(s.Name) ? Required(s)
                : after.Slot(s.Name)!.CatalogXmin != s.CatalogXmin ? s.RestartLsn : Required(s);
            var racedSlots = slots.Select(x => racing.Contains(x.Name) ? CheckpointSlot.Holding(x.Name, redo, x.Active) with { IdleFor = x.IdleFor } : x).ToArray();
            var racedMinimum = CheckpointDecision.MinRestart(stale.Select(RacedRequired));
            var alternative = CheckpointDecision.Decide(_settings, new CheckpointInputs(node, redo, recptr) { Slots = racedSlots, KeepSlotMinimum = racedMinimum });
            if (Matches(alternative, logged)) (o, keepMinimum, raced) = (alternative, racedMinimum, true);
        }
        (_, _estimate, _lastRemoved, _) = node.After(redo, o);
        foreach (var i in o.Invalidated) _invalidated.Add(i.Name);

        var slotMin = keepMinimum ?? CheckpointDecision.MinRestart(slots.Select(s => s.RestartLsn));
        var inputs = string.Create(CultureInfo.InvariantCulture,
            $"{(raced ? $"decoded its running_xacts first ({string.Join(",", racing.Order(StringComparer.Ordinal))}): " : "")}redo={redo} prior_redo={prior} recptr~{recptr} slot_min={(slotMin.IsValid ? slotMin.ToString() : "none")} files_before={dir.Oldest.Value:X}..{dir.Newest.Value:X} keep={o.KeepBeforeInvalidation.Value:X}{(o.Keep != o.KeepBeforeInvalidation ? $"->{o.Keep.Value:X}" : "")} recycleSegNo={o.RecycleSegNo.Value:X} estimate={_estimate:0} settings: max_wal_size={_settings.MaxWalSizeMb}MB min_wal_size={_settings.MinWalSizeMb}MB wal_keep={(_policy.KeepKnob == WalKeepKnob.WalKeepSegments ? _settings.WalKeepSegments + "segs" : _settings.WalKeepSizeMb + "MB")} max_slot_wal_keep_size={_settings.MaxSlotWalKeepSizeMb}MB");
        void Compare(string field, string predicted, string observed) =>
            Decisions.Add(new Decision(DecisionPoint.AtStep(step), n, $"checkpoint {n} ({Cause(logged.Cause)})", field, predicted, observed, predicted == observed, inputs));
        static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

        Compare("distance_kB", Num(o.DistanceKb), Num(logged.DistanceKb));
        Compare("estimate_kB", Num(o.EstimateKb), Num(logged.EstimateKb));
        Compare("invalidated", Decision.Names(o.Invalidated.Select(i => i.Name)), Decision.Names(logged.Invalidations.Select(i => i.Slot)));
        // retention-model.md §7.3: an invalidated slot that a walsender holds is released by terminating that process first.
        Compare("terminated", Decision.Names(o.Invalidated.Where(i => i.Terminated).Select(i => i.Name)), Decision.Names(logged.Terminations.Select(t => t.Slot)));
        Compare("removed", Num(o.Removed), Num(logged.Removed));
        Compare("recycled", Num(o.Recycled), Num(logged.Recycled));
        Compare("added", Num(o.Added), Num(logged.Added));
        // RemoveOldXlogFiles(_logSegNo - 1): the server names the cut-off with timeline 0 in its DEBUG2 line.
        if (logged.RemovalCutoff is { } cutoff)
            Compare("cutoff", _seg.FileName(o.Keep.Value > 0 ? o.Keep - 1 : o.Keep, timeline: 0), cutoff);
        Compare("oldest_file", Segment(o.After.Oldest), Segment(after.OldestFile));
        // The first file kept, counted from the redo segment (0: pg_wal starts at the redo segment; -3: three before it).
        var redoSeg = _seg.SegmentOf(redo);
        Compare("oldest_vs_redo", Relative(o.After.Oldest, redoSeg), Relative(after.OldestFile, redoSeg));
        Compare("files", Num(o.After.Count), Num(after.Files));
    }

    /// <summary>Whether a checkpoint outcome is the one the server logged: what it invalidated, removed and recycled.</summary>
    private bool Matches(CheckpointOutcome o, LoggedCheckpoint logged) =>
        Decision.Names(o.Invalidated.Select(i => i.Name)) == Decision.Names(logged.Invalidations.Select(i => i.Slot))
        && o.Removed == logged.Removed && o.Recycled == logged.Recycled
        && (logged.RemovalCutoff is not { } cutoff || _seg.FileName(o.Keep.Value > 0 ? o.Keep - 1 : o.Keep, timeline: 0) == cutoff);

    /// <summary>After a step: each slot's wal_status and safe_wal_size as pg_replication_slots shows them (13+).</summary>
    public void Slots(int step, ServerSnapshot snap)
    {
        if (!_policy.ReportsWalStatus) return;
        var valid = snap.Slots.Where(s => s.RestartLsn.IsValid && !_invalidated.Contains(s.Name));
        var availability = WalAvailability.At(_settings, snap.WriteLsn, CheckpointDecision.MinRestart(valid.Select(Required)), _lastRemoved);
        foreach (var s in snap.Slots)
        {
            var (status, safe) = availability.SlotColumns(s.RestartLsn, _invalidated.Contains(s.Name), s.Active);
            var inputs = string.Create(CultureInfo.InvariantCulture,
                $"write={snap.WriteLsn} restart_lsn={(s.RestartLsn.IsValid ? s.RestartLsn.ToString() : "null")} last_removed={_lastRemoved.Value:X} active={s.Active}");
            Decisions.Add(new Decision(DecisionPoint.AtStep(step), null, $"slot {s.Name}", "wal_status", status == WalStatus.Null ? "null" : status.ToSql(), s.WalStatus ?? "null",
                (status == WalStatus.Null ? "null" : status.ToSql()) == (s.WalStatus ?? "null"), inputs));
            var predictedSafe = safe is { } b ? b.Bytes.ToString(CultureInfo.InvariantCulture) : "null";
            var observedSafe = s.SafeWalSize is { } o ? o.ToString(CultureInfo.InvariantCulture) : "null";
            Decisions.Add(new Decision(DecisionPoint.AtStep(step), null, $"slot {s.Name}", "safe_wal_size", predictedSafe, observedSafe, predictedSafe == observedSafe, inputs));
        }
    }

    /// <summary>A step's own outcome as the model and the server give it (an advance the server must refuse).</summary>
    public void StepOutcome(int step, string subject, string field, string predicted, string observed, string inputs) =>
        Decisions.Add(new Decision(DecisionPoint.AtStep(step), null, subject, field, predicted, observed, predicted == observed, inputs));

    /// <summary>
    /// Checkpoints that completed together between two snapshots: their inputs were not observed one by one, so
    /// they are not compared; the estimate and the removal horizon follow the server's own figures.
    /// </summary>
    public void Unobserved(IReadOnlyList<LoggedCheckpoint> logged, ServerSnapshot after)
    {
        foreach (var c in logged)
        {
            _checkpoints++;
            _estimate = c.EstimateKb * 1024.0;
            foreach (var i in c.Invalidations) _invalidated.Add(i.Slot);
        }
        if (after.Files > 0 && after.OldestFile.Value > 0) _lastRemoved = SegmentNumber.Max(_lastRemoved, after.OldestFile - 1);
    }

    private string Segment(SegmentNumber s) => _seg.FileName(s);

    private static string Relative(SegmentNumber s, SegmentNumber redo) =>
        (unchecked((long)s.Value - (long)redo.Value)).ToString("+0;-0;0", CultureInfo.InvariantCulture);

    private static string Cause(CheckpointCause c) => c switch
    {
        CheckpointCause.Wal => "wal",
        CheckpointCause.Immediate => "immediate",
        _ => "time",
    };
}

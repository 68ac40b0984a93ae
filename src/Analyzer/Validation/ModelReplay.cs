using System.Globalization;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Analyzer.Validation;

/// <summary>One decision compared: what the model predicts from the observed inputs, and what the server did.</summary>
public sealed record Decision(
    int Step,
    int? Checkpoint,
    string Subject,
    string Field,
    string Predicted,
    string Observed,
    bool Agrees,
    string Inputs);

/// <summary>
/// Feeds what a real server was observed to do (the positions actually written, the slot positions actually
/// reached, the checkpoints that actually ran) through walsim's retention functions and compares each decision
/// with the server's: per checkpoint <c>KeepLogSeg</c> → <c>InvalidateObsoleteReplicationSlots</c> →
/// <c>RemoveOldXlogFiles</c>/<c>PreallocXlogFiles</c> (removed, recycled, added, the files left, distance and
/// estimate), and after every step each slot's <c>wal_status</c> and <c>safe_wal_size</c>. Pure: no I/O.
/// </summary>
public sealed class ModelReplay
{
    // The end of the checkpoint record, which KeepLogSeg and PreallocXlogFiles use, is not observable; the record is
    // 114–130 bytes (XLogRecord + CheckPoint), so its start plus 114 lies in the segment of its end unless the record
    // straddles a boundary by less than 16 bytes.
    private const long MinCheckpointRecordBytes = 114;

    private readonly RetentionPolicy _policy;
    private readonly WalSegmentSize _seg;
    private ServerSettings _settings;
    private double _estimate;                   // CheckPointDistanceEstimate: 0 when the postmaster starts
    private SegmentNumber _lastRemoved;         // XLogCtl->lastRemovedSegNo: 0 at start, raised by RemoveOldXlogFiles
    private readonly HashSet<string> _invalidated = new(StringComparer.Ordinal);
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

    /// <summary>
    /// One checkpoint that completed between <paramref name="before"/> and <paramref name="after"/> (and no other did):
    /// the model's decisions from the observed inputs, compared with the log line and the snapshot after.
    /// </summary>
    public void Checkpoint(int step, ServerSnapshot before, ServerSnapshot after, LoggedCheckpoint logged)
    {
        var n = ++_checkpoints;
        var redo = logged.RedoLsn ?? after.RedoLsn;
        var ckptLsn = logged.CheckpointLsn ?? after.CheckpointLsn;
        var recptr = ckptLsn + new ByteCount(MinCheckpointRecordBytes);
        var prior = before.RedoLsn;

        // CreateCheckPoint: distance and estimate first (UpdateCheckPointDistanceEstimate).
        var distance = (redo - prior).Bytes;
        _estimate = Retention.UpdateCheckPointDistanceEstimate(_estimate, distance);

        // KeepLogSeg from the redo segment with the minimum over valid slots as they stood before the checkpoint.
        var slots = before.Slots.Where(s => s.RestartLsn.IsValid && !_invalidated.Contains(s.Name)).ToList();
        var slotMin = MinRestart(slots);
        var redoSeg = _seg.SegmentOf(redo);
        var invalidated = new List<string>();
        var (firstKeep, keep) = Retention.CheckpointHorizon(_settings, recptr, redoSeg, slotMin, oldest =>
        {
            invalidated.AddRange(slots.Where(s => s.RestartLsn < oldest).Select(s => s.Name));
            foreach (var name in invalidated) _invalidated.Add(name);
            return invalidated.Count > 0 ? MinRestart(slots.Where(s => !invalidated.Contains(s.Name))) : null;
        });

        // RemoveOldXlogFiles over the files that existed when it ran: those seen before, plus the segments written
        // since (up to the checkpoint record's); then PreallocXlogFiles.
        var dir = new WalDirectory(before.OldestFile, SegmentNumber.Max(before.NewestFile, _seg.SegmentOf(recptr)));
        var cutoff = keep.Value > 0 ? keep - 1 : keep;
        var slop = Retention.XLogFileSlop(_settings, redo, _estimate);
        var removal = Retention.RemoveOldXlogFiles(dir, cutoff, slop, recptr, new SegmentNumber(ulong.MaxValue),
            _settings.WalRecycle, _lastRemoved, _seg);
        var afterDir = removal.After;
        var added = Retention.PreallocXlogFiles(ref afterDir, recptr, _seg);
        _lastRemoved = removal.LastRemoved;

        var inputs = string.Create(CultureInfo.InvariantCulture,
            $"redo={redo} prior_redo={prior} recptr~{recptr} slot_min={(slotMin.IsValid ? slotMin.ToString() : "none")} files_before={dir.Oldest.Value:X}..{dir.Newest.Value:X} keep={firstKeep.Value:X}{(keep != firstKeep ? $"->{keep.Value:X}" : "")} recycleSegNo={slop.Value:X} estimate={_estimate:0} settings: max_wal_size={_settings.MaxWalSizeMb}MB min_wal_size={_settings.MinWalSizeMb}MB wal_keep={(_policy.KeepKnob == WalKeepKnob.WalKeepSegments ? _settings.WalKeepSegments + "segs" : _settings.WalKeepSizeMb + "MB")} max_slot_wal_keep_size={_settings.MaxSlotWalKeepSizeMb}MB");
        void Compare(string field, string predicted, string observed) =>
            Decisions.Add(new Decision(step, n, $"checkpoint {n} ({Cause(logged.Cause)})", field, predicted, observed, predicted == observed, inputs));
        static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

        Compare("distance_kB", Num((long)(distance / 1024.0)), Num(logged.DistanceKb));
        Compare("estimate_kB", Num((long)(_estimate / 1024.0)), Num(logged.EstimateKb));
        Compare("invalidated", Names(invalidated), Names(logged.Invalidations.Select(i => i.Slot)));
        // §7.3: an invalidated slot that a walsender holds is released by terminating that process first.
        var active = before.Slots.Where(s => s.Active).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        Compare("terminated", Names(invalidated.Where(active.Contains)), Names(logged.Terminations.Select(t => t.Slot)));
        Compare("removed", Num(removal.Removed), Num(logged.Removed));
        Compare("recycled", Num(removal.Recycled), Num(logged.Recycled));
        Compare("added", Num(added), Num(logged.Added));
        Compare("oldest_file", Segment(afterDir.Oldest), Segment(after.OldestFile));
        Compare("files", Num(afterDir.Count), Num(after.Files));
    }

    /// <summary>After a step: each slot's wal_status and safe_wal_size as pg_replication_slots shows them (13+).</summary>
    public void Slots(int step, ServerSnapshot snap)
    {
        if (!_policy.ReportsWalStatus) return;
        var valid = snap.Slots.Where(s => s.RestartLsn.IsValid && !_invalidated.Contains(s.Name));
        var availability = WalAvailability.At(_settings, snap.WriteLsn, MinRestart(valid), _lastRemoved);
        foreach (var s in snap.Slots)
        {
            var (status, safe) = availability.SlotColumns(s.RestartLsn, _invalidated.Contains(s.Name), s.Active);
            var inputs = string.Create(CultureInfo.InvariantCulture,
                $"write={snap.WriteLsn} restart_lsn={(s.RestartLsn.IsValid ? s.RestartLsn.ToString() : "null")} last_removed={_lastRemoved.Value:X} active={s.Active}");
            Decisions.Add(new Decision(step, null, $"slot {s.Name}", "wal_status", status == WalStatus.Null ? "null" : status.ToSql(), s.WalStatus ?? "null",
                (status == WalStatus.Null ? "null" : status.ToSql()) == (s.WalStatus ?? "null"), inputs));
            var predictedSafe = safe is { } b ? b.Bytes.ToString(CultureInfo.InvariantCulture) : "null";
            var observedSafe = s.SafeWalSize is { } o ? o.ToString(CultureInfo.InvariantCulture) : "null";
            Decisions.Add(new Decision(step, null, $"slot {s.Name}", "safe_wal_size", predictedSafe, observedSafe, predictedSafe == observedSafe, inputs));
        }
    }

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

    private static Lsn MinRestart(IEnumerable<ObservedSlot> slots)
    {
        var min = Lsn.Invalid;
        foreach (var s in slots) if (!min.IsValid || s.RestartLsn < min) min = s.RestartLsn;
        return min;
    }

    private static string Names(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "-" : string.Join(",", list);
    }

    private string Segment(SegmentNumber s) => _seg.FileName(s);

    private static string Cause(CheckpointCause c) => c switch
    {
        CheckpointCause.Wal => "wal",
        CheckpointCause.Immediate => "immediate",
        _ => "time",
    };
}

using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Simulator.Engine;

internal sealed partial class Server
{
    /// <summary><c>CreateCheckPoint</c>, first half: the idle skip, the redo pointer, the slot minimum at start.</summary>
    private void StartCheckpoint(CheckpointCause cause)
    {
        _lastCheckpointStart = _now;
        var force = cause == CheckpointCause.Immediate;
        // §3.4: no FORCE and nothing important written since the last checkpoint record → skipped, nothing else.
        if (!force && _lastImportant == _controlCheckPoint)
        {
            _skipped++;
            ++_checkpointNumber;
            if (_observed)
            {
                _observer.OnCheckpoint(new CheckpointRecord(_checkpointNumber, cause, _now, _now, true, _controlRedo, _controlCheckPoint,
                    Insert, _lastKeep, _lastKeep, default, 0, 0, 0, _dir.Count, 0, (long)(_estimate / 1024.0), [], _currentStep));
            }
            return;
        }

        UpdateSlots();
        // §3.5: 12–16 redo = insert position (past a page header); 17+ inserts XLOG_CHECKPOINT_REDO and redo = its start.
        _ckptRedo = _policy.WritesCheckpointRedoRecord ? InsertRecord(RedoRecordBytes, important: true) : PageAdjusted(Insert);
        _redoRecPtr = _ckptRedo;
        _ckptCause = cause;
        _ckptStart = _now;
        _ckptRunning = true;
        _ckptSlotMinAtStart = _slotMin;
        if (_policy.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn)
        {
            // CheckPointReplicationSlots saves dirty slots: last_saved_restart_lsn := restart_lsn (ca307d5cec).
            var changed = false;
            foreach (var s in Slots)
                if (s.LastSavedRestartLsn != s.RestartLsn) { s.LastSavedRestartLsn = s.RestartLsn; changed = true; }
            if (changed) ComputeRequiredLsn();
        }

        if (cause == CheckpointCause.Immediate)
        {
            FinishCheckpoint();
            return;
        }
        (_ckptEndByTime, _ckptEndByLsn) = WritePhaseEnd(_scenario.CheckpointWrite, _settings, _now, Insert);
        if (_ckptEndByTime <= _now) FinishCheckpoint();
    }

    /// <summary>
    /// When the write phase of a checkpoint (or restartpoint) started at <paramref name="now"/> ends: §3.6, a spread one
    /// after cct × checkpoint_timeout or once cct × CheckPointSegments segments of WAL have gone by since
    /// <paramref name="progressFrom"/> (<c>IsCheckpointOnSchedule</c>: inserted WAL on a primary, replayed on a
    /// standby), whichever is first; a fixed one after its duration; an instant one at once (no LSN limit then).
    /// </summary>
    internal static (SimTime ByTime, Lsn ByLsn) WritePhaseEnd(CheckpointWrite write, ServerSettings settings, SimTime now, Lsn progressFrom)
    {
        switch (write.Kind)
        {
            case CheckpointWriteKind.Spread:
                var cct = settings.CheckpointCompletionTarget;
                return (now + settings.CheckpointTimeout * cct,
                    progressFrom + new ByteCount((long)(cct * settings.CheckPointSegments * settings.SegmentSize.Bytes)));
            case CheckpointWriteKind.Fixed:
                return (now + write.FixedDuration, Lsn.Invalid);
            default:
                return (now, Lsn.Invalid);
        }
    }

    /// <summary><c>CreateCheckPoint</c>, second half: the checkpoint record and the retention pipeline (§4.1).</summary>
    private void FinishCheckpoint()
    {
        if (!_ckptRunning) return;
        _ckptRunning = false;
        _ckptEndByLsn = Lsn.Invalid;
        UpdateSlots();

        if (_settings.WalLevel != "minimal") { var rx = InsertRecord(RunningXactsBytes, important: false); _checkpointRunningXacts.Add(rx); }
        var ckptLsn = InsertRecord(CheckpointRecordBytes, important: true);
        var recptr = Insert;
        var redo = _ckptRedo;

        var prior = _controlRedo;
        _controlCheckPoint = ckptLsn;
        _controlRedo = redo;
        long distance = 0;
        if (prior.IsValid)
        {
            distance = (redo - prior).Bytes;
            _estimate = Retention.UpdateCheckPointDistanceEstimate(_estimate, distance);
        }

        var redoSeg = _seg.SegmentOf(redo);
        var slotMin = _policy.SlotMinimumSampling == SlotMinimumSampling.AtCheckpointStart ? _ckptSlotMinAtStart : _slotMin;
        _invalidatedNow = NoSlots;
        var (keepFirst, keep) = Retention.CheckpointHorizon(_settings, recptr, redoSeg, slotMin, this, static (server, oldest) =>
        {
            server._invalidatedNow = server.InvalidateObsoleteReplicationSlots(oldest);
            return server._invalidatedNow.Count > 0 ? server._slotMin : null;
        });
        var invalidated = _invalidatedNow;

        var recycleSegNo = Retention.XLogFileSlop(_settings, redo, _estimate);
        var cutoff = keep.Value > 0 ? keep - 1 : keep;
        var removal = Retention.RemoveOldXlogFiles(_dir, cutoff, recycleSegNo, recptr, ArchivedThrough(),
            _settings.WalRecycle, _lastRemoved, _seg);
        _dir = removal.After;
        _lastRemoved = removal.LastRemoved;
        var added = Retention.PreallocXlogFiles(ref _dir, recptr, _seg);
        _lastKeep = keep;

        _checkpoints++;
        _added += added;
        _removed += removal.Removed;
        _recycled += removal.Recycled;
        TrackPeak();
        ++_checkpointNumber;
        // The record is built only for an observer or a step's expectations (a run nobody watches has 8,640 a month).
        if (_observed || _currentStep is not null || _walLog is not null)
        {
            var rec = new CheckpointRecord(_checkpointNumber, _ckptCause, _ckptStart, _now, false, redo, ckptLsn, recptr,
                keepFirst, keep, recycleSegNo, added, removal.Removed, removal.Recycled, _dir.Count,
                (long)(distance / 1024.0), (long)(_estimate / 1024.0), invalidated, _currentStep);
            _observer.OnCheckpoint(rec);
            _walLog?.AddCheckpoint(rec);
            if (_currentStep is { } step) _checkpointsByStep[step] = rec;
        }
        EmitRow(RowReason.CheckpointEnd);

        // A request that arrived while this one ran (WAL volume, or a timed one that came due) starts now.
        if (_pendingRequest is null && _now - _lastCheckpointStart >= _settings.CheckpointTimeout) _pendingRequest = CheckpointCause.Time;
    }

    private static readonly IReadOnlyList<string> NoSlots = [];
    private IReadOnlyList<string> _invalidatedNow = NoSlots;   // the slots the current checkpoint invalidated

    /// <summary>
    /// <c>InvalidateObsoleteReplicationSlots</c> (§7): every slot whose restart_lsn is before <paramref name="oldest"/>
    /// (the start of the keep segment) is invalidated (its walsender terminated first); PG18 also times out idle slots.
    /// </summary>
    private IReadOnlyList<string> InvalidateObsoleteReplicationSlots(Lsn oldest)
    {
        List<string>? names = null;
        // Asked once, not per slot at every checkpoint.
        var idleTimeout = _policy.HasIdleReplicationSlotTimeout && _settings.IdleReplicationSlotTimeout > SimDuration.Zero;
        foreach (var s in Slots)
        {
            if (s.Invalidated != InvalidationCause.None) continue;
            var cause = InvalidationCause.None;
            if (s.RestartLsn.IsValid && s.RestartLsn < oldest) cause = InvalidationCause.WalRemoved;
            else if (idleTimeout
                     && s.RestartLsn.IsValid && !s.Active && s.InactiveSince is { } since
                     && (long)Math.Floor((_now - since).TotalSeconds) >= (long)_settings.IdleReplicationSlotTimeout.TotalSeconds)
                cause = InvalidationCause.IdleTimeout;
            if (cause == InvalidationCause.None) continue;

            if (s.Active)
            {
                // The owner is signalled and the slot re-read once it is released (§7.3); in this model no time passes
                // in between, so the re-check sees the same position and both variants invalidate.
                Log("terminate", s.Name, _policy.TerminationMessage(s.Pid, s.Name));
                s.Active = s.Held = false;
                s.InactiveSince = _policy.ReportsInactiveSince ? _now : null;
            }
            var restart = s.RestartLsn;
            s.Invalidated = cause;
            if (cause == InvalidationCause.WalRemoved)
            {
                s.InvalidatedAt = restart;
                s.RestartLsn = Lsn.Invalid;
                s.LastSavedRestartLsn = Lsn.Invalid;
                Log("invalidate", s.Name, _policy.InvalidationMessage(s.Name, restart, oldest));
            }
            else
            {
                Log("invalidate", s.Name,
                    $"invalidating obsolete replication slot \"{s.Name}\"; DETAIL: The slot's idle time of {(long)(_now - s.InactiveSince!.Value).TotalSeconds}s exceeds the configured \"idle_replication_slot_timeout\" duration of {(long)_settings.IdleReplicationSlotTimeout.TotalSeconds}s.");
            }
            s.Lost ??= _now;
            _invalidations++;
            (names ??= []).Add(s.Name);
        }
        // 13.0–13.3 did not refresh the minimum here: the stale value keeps capping retention (§6.1, TV-02).
        if (names is not null && _policy.RecomputesHorizonAfterInvalidation) ComputeRequiredLsn();
        return names ?? NoSlots;
    }
}

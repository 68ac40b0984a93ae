using System.Runtime.CompilerServices;

namespace Walsim.Simulator.Engine;

internal sealed partial class Server
{
    /// <summary><c>CreateCheckPoint</c>, first half: the idle skip, the redo pointer, the slot minimum at start.</summary>
    private void StartCheckpoint(CheckpointCause cause)
    {
        _lastCheckpointStart = _now;
        _checkpointsStarted++;
        var force = cause == CheckpointCause.Immediate;
        // retention-model.md §3.4: no FORCE and nothing important written since the last checkpoint record → skipped, nothing else.
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
        // retention-model.md §3.5: 12–16 redo = insert position (past a page header); 17+ inserts XLOG_CHECKPOINT_REDO and redo = its start.
        _ckptRedo = _policy.WritesCheckpointRedoRecord ? InsertRecord(RedoRecordBytes, important: true) : PageAdjusted(Insert);
        _redoRecPtr = _ckptRedo;
        _ckptCause = cause;
        _ckptStart = _now;
        _ckptRunning = true;
        _ckptSlotMinAtStart = _slotMin;
        // BufferSync writes the buffers dirty at the start (BM_CHECKPOINT_NEEDED); later ones wait for the next checkpoint.
        var write = _scenario.CheckpointWrite.WithDirtyBuffers(_dirtyBuffers);
        _dirtyBuffers = false;
        if (_minimumUsesLastSaved)
        {
            // CheckPointReplicationSlots saves dirty slots: last_saved_restart_lsn := restart_lsn (ca307d5cec); the
            // minimum is then recomputed when one was saved. That recompute (ComputeRequiredLsn, no slot seen elsewhere)
            // is gathered in the saving loop: a second pass over every slot at every checkpoint was band 18's extra cost.
            var changed = false;
            var min = Lsn.Invalid;
            foreach (var s in Slots)
            {
                if (s.LastSavedRestartLsn != s.RestartLsn) { s.LastSavedRestartLsn = s.RestartLsn; changed = true; }
                min = LowerRequired(min, RequiredLsn(s, lastSaved: true, _minimumSkipsInvalidated));
            }
            if (changed) SetSlotMinimum(min);
        }

        if (cause == CheckpointCause.Immediate)
        {
            FinishCheckpoint();
            return;
        }
        (_ckptEndByTime, _ckptEndByLsn) = WritePhaseEnd(write, _settings, _now, Insert);
        if (_ckptEndByTime <= _now) FinishCheckpoint();
    }

    /// <summary>
    /// When the write phase of a checkpoint (or restartpoint) started at <paramref name="now"/> ends: retention-model.md §3.6, a spread one
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

    /// <summary><c>CreateCheckPoint</c>, second half: the checkpoint record and the retention pipeline (retention-model.md §4.1).</summary>
    private void FinishCheckpoint()
    {
        if (!_ckptRunning) return;
        _ckptRunning = false;
        _ckptEndByLsn = Lsn.Invalid;
        UpdateSlots();

        if (_settings.WalLevel != "minimal") LogRunningXacts();
        var ckptLsn = InsertRecord(CheckpointRecordBytes, important: true);
        var recptr = Insert;
        var redo = _ckptRedo;

        var node = new NodeWalState(_controlRedo, _estimate, _lastRemoved, _dir);
        _controlCheckPoint = ckptLsn;

        var outcome = CheckpointDecision.Decide(_settings, new CheckpointInputs(node, redo, recptr)
        {
            KeepSlotMinimum = _policy.SlotMinimumSampling == SlotMinimumSampling.AtCheckpointStart ? _ckptSlotMinAtStart : _slotMin,
            ArchivedThrough = ArchivedThrough(),
        }, new DecisionSlots(this));
        (_controlRedo, _estimate, _lastRemoved, _dir) = node.After(redo, outcome);
        var invalidated = Invalidate(outcome.Invalidated);
        _lastKeep = outcome.Keep;

        _checkpoints++;
        _added += outcome.Added;
        _removed += outcome.Removed;
        _recycled += outcome.Recycled;
        TrackPeak();
        ++_checkpointNumber;
        // The record is built only for an observer or a step's expectations (a run nobody watches has 8,640 a month).
        if (_observed || _currentStep is not null || _walLog is not null)
        {
            var rec = new CheckpointRecord(_checkpointNumber, _ckptCause, _ckptStart, _now, false, redo, ckptLsn, recptr,
                outcome.KeepBeforeInvalidation, outcome.Keep, outcome.RecycleSegNo, outcome.Added, outcome.Removed, outcome.Recycled,
                _dir.Count, outcome.DistanceKb, outcome.EstimateKb, invalidated, _currentStep);
            _observer.OnCheckpoint(rec);
            _walLog?.AddCheckpoint(rec);
            if (_currentStep is { } step) _checkpointsByStep[step] = rec;
        }
        EmitRow(RowReason.CheckpointEnd);

        // A request that arrived while this one ran (WAL volume, or a timed one that came due) starts now.
        if (_pendingRequest is null && _now - _lastCheckpointStart >= TimedCheckpointWait) _pendingRequest = CheckpointCause.Time;
    }

    private static readonly IReadOnlyList<string> NoSlots = [];

    /// <summary>The slots as this checkpoint's <see cref="CheckpointDecision"/> sees them, read in place.</summary>
    private readonly ref struct DecisionSlots(Server server) : ICheckpointSlots
    {
        private readonly ReadOnlySpan<SlotState> _slots = server.Slots;
        private readonly SimTime _now = server._now;
        private readonly bool _lastSaved = server._policy.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn;
        private readonly bool _skipInvalidated = server._policy.MinimumSkipsInvalidatedSlots;
        // Idle time only matters where a timeout can expire it.
        private readonly bool _idleTimeout = server._policy.HasIdleReplicationSlotTimeout && server._settings.IdleReplicationSlotTimeout > SimDuration.Zero;

        public int Count => _slots.Length;

        // An invalidated slot is not invalidated again (13–15 count it in the minimum if a standby moved it since).
        // Read for every slot at every checkpoint; left to itself the JIT calls it instead of inlining it.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Lsn RestartLsn(int index)
        {
            var s = _slots[index];
            return s.Invalidated == InvalidationCause.None ? s.RestartLsn : Lsn.Invalid;
        }

        public CheckpointSlot this[int index]
        {
            get
            {
                var s = _slots[index];
                return new CheckpointSlot(s.Name, RestartLsn(index), RequiredLsn(s, _lastSaved, _skipInvalidated), s.Active,
                    _idleTimeout && s.InactiveSince is { } since ? _now - since : null);
            }
        }
    }

    /// <summary>
    /// The side effects of the slots a checkpoint invalidated (<c>InvalidatePossiblyObsoleteSlot</c>, retention-model.md §7): an active
    /// slot's walsender is terminated first (its slot released); the slot is marked, its restart_lsn cleared for lost
    /// WAL; the policy's LOG lines; then on 13.4+ the slot minimum is recomputed (13.0–13.3 keep the stale one, retention-model.md §6.1).
    /// </summary>
    private IReadOnlyList<string> Invalidate(IReadOnlyList<CheckpointInvalidation> invalidations)
    {
        if (invalidations.Count == 0) return NoSlots;
        var names = new List<string>(invalidations.Count);
        var slots = Slots;
        var i = 0;
        foreach (var inv in invalidations)
        {
            while (!string.Equals(slots[i].Name, inv.Name, StringComparison.Ordinal)) i++; // listed in slot order
            var s = slots[i];
            if (inv.Terminated)
            {
                // The owner is signalled and the slot re-read once it is released (retention-model.md §7.3); in this model no time passes
                // in between, so the re-check sees the same position and both variants invalidate.
                Log("terminate", s.Name, _policy.TerminationMessage(s.Pid, s.Name));
                s.Active = s.Held = false;
                s.InactiveSince = _policy.ReportsInactiveSince ? _now : null;
            }
            s.Invalidated = inv.Cause;
            if (inv.Cause == InvalidationCause.WalRemoved)
            {
                s.InvalidatedAt = inv.RestartLsn;
                s.RestartLsn = Lsn.Invalid;
                s.LastSavedRestartLsn = Lsn.Invalid;
                Log("invalidate", s.Name, _policy.InvalidationMessage(s.Name, inv.RestartLsn, inv.OldestKept));
            }
            else
            {
                Log("invalidate", s.Name, _policy.IdleTimeoutMessage(s.Name, inv.IdleFor, _settings.IdleReplicationSlotTimeout));
            }
            s.Lost ??= _now;
            _invalidations++;
            names.Add(s.Name);
        }
        // 13.0–13.3 did not refresh the minimum here: the stale value keeps capping retention (retention-model.md §6.1, TV-02).
        if (_policy.RecomputesHorizonAfterInvalidation) ComputeRequiredLsn();
        return names;
    }
}

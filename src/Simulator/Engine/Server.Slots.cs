using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Simulator.Engine;

internal sealed partial class Server
{
    private SegmentNumber? _archiverFrozen;

    /// <summary>
    /// The newest segment the archiver has finished (<c>.done</c>): segments completed <c>lag</c> ago, frozen while
    /// archive_command fails. pgarch works oldest-first, so everything at or below it is done. Unlimited when
    /// archiving is off (retention-model.md §10, <c>XLogArchiveCheckDone</c>).
    /// </summary>
    private SegmentNumber ArchivedThrough()
    {
        if (_settings.ArchiveMode == Settings.ArchiveMode.Off) return new SegmentNumber(ulong.MaxValue);
        if (_archiverFrozen is { } frozen) return frozen;
        var at = _history.At(_now - _scenario.Archiver.Lag);
        var seg = _seg.SegmentOf(at);
        return seg.Value == 0 ? seg : seg - 1;
    }

    private SlotState? Find(string name) => _slots.Find(s => s.Name == name);

    private void CreateSlot(SlotSpec spec)
    {
        if (Find(spec.Name) is not null)
            throw new ScenarioValidationException($"replication slot \"{spec.Name}\" already exists", spec.Location, "create_slot");
        var s = new SlotState(spec, _nextPid++);
        if (spec.RestartLsn is { } existing)
        {
            // A slot that existed before the scenario began: where the samples left it.
            s.RestartLsn = existing;
            if (spec.Kind == SlotKind.Logical) s.ConfirmedFlush = spec.ConfirmedFlushLsn ?? existing;
        }
        else if (spec.Kind == SlotKind.Logical)
        {
            // ReplicationSlotReserveWal on a primary: the current insert position, then a running_xacts is logged.
            s.RestartLsn = Insert;
            s.ConfirmedFlush = Insert;
            var rx = InsertRecord(RunningXactsBytes, important: false);
            _checkpointRunningXacts.Add(rx);
        }
        else if (spec.Reserve)
        {
            s.RestartLsn = _redoRecPtr; // GetRedoRecPtr(): redo of the latest started checkpoint
        }
        s.LastSavedRestartLsn = s.RestartLsn;
        s.Active = spec.Consumer.Connected && !InOutage(spec, _now);
        s.ConnectedSince = _now;
        if (!s.Active && _policy.ReportsInactiveSince) s.InactiveSince = _now - (spec.InactiveFor ?? SimDuration.Zero);
        _slots.Add(s);
        _allSlots.Add(s);
        ComputeRequiredLsn();
    }

    private static bool InOutage(SlotSpec spec, SimTime t) =>
        spec.Consumer.Outages.Any(o => t >= o.From && t < o.Until);

    private void Disconnect(string name)
    {
        if (Find(name) is not { } s || !s.Active) return;
        UpdateSlot(s, _now, beforeDisconnect: true);
        ComputeRequiredLsn();
        s.Active = false;
        if (_policy.ReportsInactiveSince) s.InactiveSince = _now;
    }

    private void Reconnect(string name)
    {
        if (Find(name) is not { } s || s.Active || !s.Spec.Consumer.Connected) return;
        // A consumer cannot use an invalidated slot: the standby or connector must be rebuilt (18 refuses outright;
        // 13–17 reconnects only if its WAL still exists, which walsim does not assume).
        if (s.Invalidated != InvalidationCause.None) return;
        s.Active = true;
        s.ConnectedSince = _now;
        s.InactiveSince = null;
        _slotsUpdatedAt = new SimTime(-1);
        _slotInputs++;
    }

    /// <summary>Moves every connected consumer's slot to where its last report put it, then refreshes the minimum if any moved.</summary>
    private SimTime _slotsUpdatedAt = new(-1);
    private double _slotsUpdatedInsert = -1;
    /// <summary>Bumped when something other than a consumer's report can move a slot (a transaction pin ends, a reconnect).</summary>
    private int _slotInputs;

    private void UpdateSlots()
    {
        // Called several times per instant (checkpoint start/end, rows); positions only change with time or WAL.
        if (_slotsUpdatedAt == _now && _slotsUpdatedInsert == _insert) return;
        _slotsUpdatedAt = _now;
        _slotsUpdatedInsert = _insert;
        var moved = false;
        // Physical slots first: a failover slot's consumer may wait for them (synchronized_standby_slots).
        foreach (var s in Slots) if (s.Kind == SlotKind.Physical) moved |= UpdateSlot(s, _now, beforeDisconnect: false);
        foreach (var s in Slots) if (s.Kind == SlotKind.Logical) moved |= UpdateSlot(s, _now, beforeDisconnect: false);
        if (moved) ComputeRequiredLsn();
    }

    private void MarkSlotsChanged() => _statusWatchDirty = true;

    private bool UpdateSlot(SlotState s, SimTime now, bool beforeDisconnect)
    {
        if (!s.Active || s.Held || s.Invalidated != InvalidationCause.None) return false;
        // The last report: every ConfirmEvery since the connection began (none at the instant of disconnecting).
        var report = now.Microseconds;
        if (s.ConfirmEveryMicros > 0)
        {
            var since = report - s.ConnectedSince.Microseconds - (beforeDisconnect ? 1 : 0);
            if (since < 0) return false;
            report = s.ConnectedSince.Microseconds + since / s.ConfirmEveryMicros * s.ConfirmEveryMicros;
        }
        // The same report as last time confirms the same position, unless it is "the insert position now" (no lag,
        // and WAL was inserted within this instant) or a pin on the slot changed since.
        var live = report == now.Microseconds && s.LagMicros == 0;
        // A consumer held back by synchronized_standby_slots moves when the standbys do, between its own reports.
        var held = s.Spec.Failover && _settings.SynchronizedStandbySlots.Count > 0;
        if (!live && !held && report == s.LastReport.Microseconds && s.LastInputs == _slotInputs) return false;
        s.LastReport = new SimTime(report);
        s.LastInputs = _slotInputs;
        var target = live ? Insert : _history.At(new SimTime(report - s.LagMicros));
        if (s.Spec.Failover && _settings.SynchronizedStandbySlots.Count > 0) target = Lsn.Min(target, StandbySlotsFlushed());
        return Advance(s, target.Value > s.LagBytes ? new Lsn(target.Value - s.LagBytes) : Lsn.Invalid);
    }

    /// <summary>
    /// <c>StandbySlotsHaveCaughtup</c> (17+): the walsender of a failover slot sends WAL only up to what every standby
    /// in <c>synchronized_standby_slots</c> has flushed — its physical slot's restart_lsn; a listed slot that is missing,
    /// invalidated or never reserved makes it wait (a WARNING each time), so nothing is sent.
    /// </summary>
    private Lsn StandbySlotsFlushed()
    {
        var min = new Lsn(ulong.MaxValue);
        foreach (var name in _settings.SynchronizedStandbySlots)
        {
            if (Find(name) is not { Kind: SlotKind.Physical } s || s.Invalidated != InvalidationCause.None || !s.RestartLsn.IsValid)
                return Lsn.Invalid;
            if (s.RestartLsn < min) min = s.RestartLsn;
        }
        return min;
    }

    /// <summary>Moves a slot forward to a confirmed position (never back); returns whether restart_lsn changed.</summary>
    private bool Advance(SlotState s, Lsn confirmed)
    {
        if (!confirmed.IsValid) return false;
        if (s.Kind == SlotKind.Physical)
        {
            // PhysicalConfirmReceivedLocation: restart_lsn := the standby's flush position.
            if (confirmed <= s.RestartLsn) return false;
            s.RestartLsn = confirmed;
            return true;
        }
        // Logical (retention-model.md §12.2): restart_lsn moves to the newest decoded running_xacts at or before the confirmed
        // position, held back by the oldest transaction that was open there.
        if (confirmed > s.ConfirmedFlush) s.ConfirmedFlush = confirmed;
        var candidate = LatestRunningXactsAtOrBefore(s.ConfirmedFlush);
        foreach (var pin in _txPins.Values) if (pin < candidate) candidate = pin;
        if (candidate <= s.RestartLsn) return false;
        s.RestartLsn = candidate;
        // LogicalConfirmReceivedLocation saves the slot when restart_lsn moves (PG18: last_saved_restart_lsn follows).
        s.LastSavedRestartLsn = candidate;
        return true;
    }

    /// <summary>The newest xl_running_xacts at or before <paramref name="lsn"/>: logged at checkpoints, at logical slot
    /// creation, and by the bgwriter every 15 s when important WAL was written (LOG_SNAPSHOT_INTERVAL_MS).</summary>
    private Lsn LatestRunningXactsAtOrBefore(Lsn lsn)
    {
        var best = Lsn.Invalid;
        // Appended in LSN order: the newest one at or before lsn is the first found from the end.
        for (var i = _checkpointRunningXacts.Count - 1; i >= 0; i--)
            if (_checkpointRunningXacts[i] <= lsn) { best = _checkpointRunningXacts[i]; break; }
        var t = _history.TimeOf(lsn);
        var tick = new SimTime(t.Microseconds / BgWriterSnapshotInterval.Microseconds * BgWriterSnapshotInterval.Microseconds);
        var atTick = _history.At(tick);
        if (atTick <= lsn && atTick > best) best = atTick;
        return best;
    }

    /// <summary>
    /// <c>ReplicationSlotsComputeRequiredLSN</c> (retention-model.md §6.1): the minimum restart_lsn over valid slots (PG18: each
    /// persistent slot counts min(restart_lsn, last_saved_restart_lsn)).
    /// </summary>
    private void ComputeRequiredLsn()
    {
        var min = Lsn.Invalid;
        var lastSaved = _policy.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn;
        var skipInvalidated = _policy.MinimumSkipsInvalidatedSlots;
        foreach (var s in Slots)
        {
            var r = RequiredLsn(s, lastSaved, skipInvalidated);
            if (r.IsValid && (!min.IsValid || r < min)) min = r;
        }
        _slotMin = min;
        _statusWatchDirty = true;
    }

    /// <summary>What one slot adds to <see cref="ComputeRequiredLsn"/>'s minimum (<see cref="Lsn.Invalid"/> = nothing).</summary>
    private static Lsn RequiredLsn(SlotState s, bool lastSaved, bool skipInvalidated)
    {
        if (skipInvalidated && s.Invalidated != InvalidationCause.None) return Lsn.Invalid;
        var r = s.RestartLsn;
        return lastSaved && s.LastSavedRestartLsn.IsValid && r > s.LastSavedRestartLsn ? s.LastSavedRestartLsn : r;
    }

    private Lsn? _statusWatch;
    private bool _statusWatchDirty = true;

    /// <summary>
    /// The lowest insert position at which some slot's wal_status would next change if slots stayed put (retention-model.md §9.1):
    /// <c>extended</c> past max_wal_size + 1 segments, <c>unreserved</c> past max(max_slot_wal_keep_size, wal_keep_size).
    /// Cached; marked dirty whenever a slot, a setting or a milestone changes.
    /// </summary>
    private Lsn? ComputeStatusWatch()
    {
        if (!_policy.ReportsWalStatus) return null;
        var keepSegs = _seg.MegabytesToSegments(_settings.MaxWalSizeMb) + 1;
        var capped = _settings.MaxSlotWalKeepSizeMb >= 0;
        var k = Math.Max(_seg.MegabytesToSegments(_settings.MaxSlotWalKeepSizeMb), _seg.MegabytesToSegments(_settings.WalKeepSizeMb));
        ulong best = ulong.MaxValue;
        foreach (var s in Slots)
        {
            if (s.Invalidated != InvalidationCause.None || !s.RestartLsn.IsValid) continue;
            var t = _seg.SegmentOf(s.RestartLsn).Value;
            // With a cap below max_wal_size a slot goes from reserved straight to unreserved: watch both.
            if (s.FirstExtended is null) best = Math.Min(best, t + keepSegs + 1);
            if (s.FirstUnreserved is null && capped) best = Math.Min(best, t + k + 1);
        }
        return best == ulong.MaxValue ? null : _seg.StartOf(new SegmentNumber(best));
    }

    private readonly SlotViewBuffer _rowSlots = new();

    /// <summary>
    /// Brings the slots up to date, records their milestones and hands the row to the observer. Returns the row only
    /// when it is observed or <paramref name="keep"/> asks for it (a probe): otherwise it is not built.
    /// </summary>
    private TimelineRow? EmitRow(RowReason reason, int? step = null, bool keep = false)
    {
        UpdateSlots();
        var insert = Insert;
        var availability = WalAvailability.At(_settings, insert, _slotMin, _lastRemoved);
        var slots = Slots;
        var views = _rowSlots.Reset(slots.Length);
        for (var i = 0; i < slots.Length; i++)
        {
            var s = slots[i];
            // pg_get_replication_slots (retention-model.md §9.2) for this slot, constructed in place in the reused row buffer: built by a
            // separate method, each 80-byte view was returned on the stack and block-copied, per slot per row.
            var (status, safe) = _reportsWalStatus
                ? availability.SlotColumns(s.RestartLsn, s.Invalidated != InvalidationCause.None, s.Active)
                : (WalStatus.Null, null);
            var retained = s.RestartLsn.IsValid ? insert - s.RestartLsn : ByteCount.Zero;
            views[i] = new SlotView(s.Name, s.Kind, s.RestartLsn, s.Kind == SlotKind.Logical ? s.ConfirmedFlush : Lsn.Invalid,
                s.Active, status, safe, retained, s.Invalidated, _reportsInactiveSince ? s.InactiveSince : null);
            if (status is WalStatus.Extended or WalStatus.Unreserved or WalStatus.Lost && s.FirstExtended is null) { s.FirstExtended = _now; _statusWatchDirty = true; }
            if (status is WalStatus.Unreserved or WalStatus.Lost && s.FirstUnreserved is null) { s.FirstUnreserved = _now; _statusWatchDirty = true; }
            if (status == WalStatus.Lost) s.Lost ??= _now;
            if (retained > s.PeakRetained) s.PeakRetained = retained;
        }
        if (!_observed && !keep) return null;
        var row = new TimelineRow(_now, reason, step, Insert, _controlRedo, _lastKeep, _dir.Count, _dir.Bytes(_seg),
            _dir.Oldest, _dir.Newest, _lastRemoved, _rowSlots);
        _observer.OnTimelineRow(row);
        return row;
    }

    /// <summary>The slot list of the row being emitted, reused from row to row (see <see cref="TimelineRow"/>).</summary>
    private sealed class SlotViewBuffer : IReadOnlyList<SlotView>
    {
        private SlotView[] _items = [];
        public int Count { get; private set; }
        public SlotView this[int index] => (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

        /// <summary>Makes the buffer hold <paramref name="count"/> views and returns them for filling in.</summary>
        public Span<SlotView> Reset(int count)
        {
            if (_items.Length < count) _items = new SlotView[Math.Max(count, _items.Length * 2)];
            Count = count;
            return _items.AsSpan(0, count);
        }

        // Hand-written rather than an iterator block: that one stored each 80-byte view in its own field before
        // Current copied it out again, two block copies per slot per row for every observer that reads a row.
        public IEnumerator<SlotView> GetEnumerator() => new Enumerator(this);

        private sealed class Enumerator(SlotViewBuffer buffer) : IEnumerator<SlotView>
        {
            private int _index = -1;
            public SlotView Current => buffer._items[_index];
            object System.Collections.IEnumerator.Current => Current;
            public bool MoveNext() => ++_index < buffer.Count;
            public void Reset() => _index = -1;
            public void Dispose() { }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Applies one scenario event at the current instant.</summary>
    private void Apply(ScenarioEvent e)
    {
        switch (e)
        {
            case WriteWal w when !_readOnly:
                InsertRecord(w.Bytes.Bytes, important: true);
                break;
            case WriteSegments ws when !_readOnly:
                // TAP advance_wal, n times "a small record, then pg_switch_wal()": each ends exactly at the next
                // segment boundary. One segment at a time, because XLogWrite tests the checkpoint request as each one
                // is finished and an idle checkpointer acts on it before the next is written.
                for (var i = 0; i < ws.Segments && !_readOnly; i++)
                {
                    var start = PageAdjusted(Insert);
                    InsertRecord((_seg.StartOf(_seg.SegmentOf(start) + 1) - start).Bytes, important: true);
                    if (CheckDisk()) break;
                    CheckWalTriggers();
                }
                break;
            case SwitchWal:
                SwitchSegment(important: true);
                break;
            case RequestCheckpoint:
                // CHECKPOINT is IMMEDIATE|FORCE|WAIT: a running checkpoint finishes at once, then a new one runs.
                if (_ckptRunning) FinishCheckpoint();
                _pendingRequest = null;
                StartCheckpoint(CheckpointCause.Immediate);
                break;
            case ChangeSettings cs when cs.Versions.Contains(_policy.Version):
                _settings = _settings.With(cs.Settings);
                MarkSlotsChanged();
                break;
            case CreateSlot c:
                CreateSlot(c.Slot);
                break;
            case DropSlot d:
                var drop = Find(d.Slot) ?? throw Unknown(d.Slot, e);
                if (drop.Held)
                    throw new ScenarioValidationException($"replication slot \"{d.Slot}\" is active for PID {drop.Pid} at {e.At} (held by hold_slot): release_slot first", e.Location, "drop_slot");
                _slots.Remove(drop);
                _walLog?.RecordSlot(drop.Name, new WalLog.SlotPoint(_now, Lsn.Invalid, Lsn.Invalid, false, false, Exists: false));
                ComputeRequiredLsn();
                break;
            case AdvanceSlot a:
                var slot = Find(a.Slot) ?? throw Unknown(a.Slot, e);
                if (slot.Invalidated == InvalidationCause.None && Advance(slot, Lsn.Min(a.Target ?? Insert, Insert)))
                    ComputeRequiredLsn();
                break;
            case StopConsumer stop:
                _ = Find(stop.Slot) ?? throw Unknown(stop.Slot, e);
                Disconnect(stop.Slot);
                break;
            case StartConsumer start:
                var st = Find(start.Slot) ?? throw Unknown(start.Slot, e);
                if (!st.Spec.Consumer.Connected)
                    throw new ScenarioValidationException($"slot \"{start.Slot}\" has no consumer to start", e.Location, "start_consumer");
                Reconnect(start.Slot);
                break;
            case BeginTransaction b:
                BeginTransaction(b.Name);
                break;
            case EndTransaction t:
                EndTransaction(t.Name);
                break;
            case HoldSlot hold:
                var held = Find(hold.Slot) ?? throw Unknown(hold.Slot, e);
                // START_REPLICATION on an invalidated slot is refused; the event then does nothing, as the server would.
                if (held.Active || held.Invalidated != InvalidationCause.None) break;
                held.Active = held.Held = true;
                held.Pid = _nextPid++;
                held.InactiveSince = null;
                MarkSlotsChanged();
                break;
            case ReleaseSlot release:
                var released = Find(release.Slot) ?? throw Unknown(release.Slot, e);
                if (!released.Held) break;
                released.Held = released.Active = false;
                if (_policy.ReportsInactiveSince) released.InactiveSince = _now;
                MarkSlotsChanged();
                break;
        }
    }

    private static ScenarioValidationException Unknown(string slot, ScenarioEvent e) =>
        new($"replication slot \"{slot}\" does not exist at {e.At}", e.Location, "slot");
}

using System.Runtime.CompilerServices;

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
            // DecodingContextFindStartpoint: consistent at once at that record; confirmed_flush = its end.
            s.RestartLsn = Insert;
            LogRunningXacts();
            s.ConfirmedFlush = Insert;
            s.CatalogXmin = XminAt(Insert);
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
        _slotsCreated++;
        ComputeRequiredLsn();
    }

    private static bool InOutage(SlotSpec spec, SimTime t) =>
        spec.Consumer.Outages.Any(o => t >= o.From && t < o.Until);

    private void Disconnect(string name)
    {
        if (Find(name) is not { } s || !s.Active) return;
        // ReplicationSlotRelease does not recompute the minimum: the consumer's last report did, or did not (a logical
        // slot whose catalog_xmin stayed put, retention-model.md §12.3).
        if (UpdateSlot(s, _now, beforeDisconnect: true))
        {
            if (s.Kind == SlotKind.Logical) ComputeRequiredLsn(s, _followSeen);
            else ComputeRequiredLsn();
        }
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
        // Later in the same instant, with only WAL inserted since (a checkpoint's own records), each consumer's last
        // report is the one the earlier pass applied: only a consumer that confirms the insert position itself (no
        // lag) or waits for the standbys can move, so the others are not looked at again.
        var onlyUnlagged = _slotsUpdatedAt == _now && _slotsUpdatedInputs == _slotInputs && _slotsUpdatedCreated == _slotsCreated;
        _slotsUpdatedAt = _now;
        _slotsUpdatedInsert = _insert;
        _slotsUpdatedInputs = _slotInputs;
        _slotsUpdatedCreated = _slotsCreated;
        var recompute = false;
        // Physical slots first: a failover slot's consumer may wait for them (synchronized_standby_slots).
        foreach (var s in Slots)
            if (s.Kind == SlotKind.Physical && (!onlyUnlagged || MovesWithinInstant(s))) recompute |= UpdateSlot(s, _now, beforeDisconnect: false);
        // A logical slot's confirmation recomputes the minimum by itself, or not at all (Follow). Of this pass's
        // recomputes (the physical slots', then each logical slot's) the last one stands, and it saw the logical slots
        // that moved after it where they stood before: one recompute with that view gives the same minimum as one per
        // slot (25 streaming slots: 25 times fewer).
        _followPass++;
        SlotState? last = null;
        var lastSeen = Lsn.Invalid;
        foreach (var s in Slots)
            if (s.Kind == SlotKind.Logical && (!onlyUnlagged || MovesWithinInstant(s)) && UpdateSlot(s, _now, beforeDisconnect: false))
                (last, lastSeen) = (s, _followSeen);
        if (last is not null) ComputeRequiredLsn(last, lastSeen, laterLogicalAsBefore: true);
        else if (recompute) ComputeRequiredLsn();
    }

    private int _slotsUpdatedInputs, _slotsUpdatedCreated, _slotsCreated;

    /// <summary>Whether a slot's consumer can move it with no new report (see <see cref="UpdateSlot"/>): one without lag
    /// confirms the insert position, a failover slot's waits for the standbys' slots.</summary>
    private bool MovesWithinInstant(SlotState s) => s.LagMicros == 0 || (s.Spec.Failover && _settings.SynchronizedStandbySlots.Count > 0);

    /// <summary>The restart_lsn the recompute of the last <see cref="Follow"/> that recomputed saw for its slot.</summary>
    private Lsn _followSeen;
    /// <summary>Counts <see cref="UpdateSlots"/>' passes over the logical slots (<see cref="SlotState.FollowPass"/>).</summary>
    private long _followPass;

    private void MarkSlotsChanged() => _statusWatchDirty = true;

    /// <summary>Moves a connected consumer's slot to its last report; returns whether the global minimum must be recomputed
    /// now: a physical slot moved (<c>PhysicalConfirmReceivedLocation</c>), or a logical slot's confirmation recomputes
    /// it (<see cref="Follow"/>; seeing that slot at <see cref="_followSeen"/>).</summary>
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
        var confirmed = target.Value > s.LagBytes ? new Lsn(target.Value - s.LagBytes) : Lsn.Invalid;
        if (s.Kind == SlotKind.Physical) return Advance(s, confirmed);
        if (Follow(s, confirmed) is not { } seen) return false;
        _followSeen = seen;
        return true;
    }

    /// <summary>
    /// A streaming consumer's confirmation, at the granularity walsim keeps for timed scenarios (retention-model.md
    /// §12.2, §15 U-6): restart_lsn moves to the newest running_xacts restart point at or before the confirmed
    /// position. The global minimum follows PostgreSQL's rule (<see cref="LogicalSlotMinimum"/>, §12.3): the walsender
    /// decoded each running_xacts record since restart_lsn as it was written, taking it at once if the consumer had
    /// already confirmed its position (the end of WAL reported before this instant: 12–16's checkpoint record on a
    /// server idle since the consumer's last report), else keeping it for this confirmation; a record that moved
    /// catalog_xmin recomputes the minimum — with restart_lsn as it stood before that record if taken at once, with
    /// the new one if applied now — and a move without one leaves the minimum alone. The SQL functions
    /// (<see cref="Decode"/>) follow the snapshot builder's candidates record by record instead.
    /// </summary>
    /// <returns>The restart_lsn the recompute this confirmation does sees for the slot, or null when it does none.</returns>
    private Lsn? Follow(SlotState s, Lsn confirmed)
    {
        if (!confirmed.IsValid) return null;
        // What the consumer had confirmed before this instant: WAL written now (a checkpoint's records) reaches the
        // walsender before any report that covers it. Positions a page header apart have no WAL between them.
        if (s.ConfirmedBeforeAt != _now) { s.ConfirmedBefore = s.ConfirmedFlush; s.ConfirmedBeforeAt = _now; }
        var atOnceUpTo = PageAdjusted(s.ConfirmedBefore);
        if (confirmed > s.ConfirmedFlush) s.ConfirmedFlush = confirmed;
        var candidate = LatestRunningXactsAtOrBefore(s.ConfirmedFlush);
        if (_txPins.Count > 0) foreach (var pin in _txPins.Values) if (pin < candidate) candidate = pin;
        if (candidate <= s.RestartLsn) return null;
        Lsn? recomputedWith = null;
        var restart = s.RestartLsn;
        var pendingXmin = false;
        foreach (var rx in RunningXactsBetween(s.RestartLsn, s.ConfirmedFlush + new ByteCount(1)))
        {
            var xminMoved = rx.Xmin > s.CatalogXmin;
            if (xminMoved) s.CatalogXmin = rx.Xmin;
            if (rx.At > atOnceUpTo) { pendingXmin |= xminMoved; continue; }
            recomputedWith = LogicalSlotMinimum.RecomputedWith(xminMoved, takenAtOnce: true, restart, candidate) ?? recomputedWith;
            var point = Lsn.Min(rx.RestartPoint, candidate);
            if (point > restart) restart = point;
        }
        recomputedWith = LogicalSlotMinimum.RecomputedWith(pendingXmin, takenAtOnce: false, restart, candidate) ?? recomputedWith;
        (s.RequiredBeforeFollow, s.FollowPass) = (RequiredLsn(s, _minimumUsesLastSaved, _minimumSkipsInvalidated), _followPass);
        SetRestart(s, candidate);
        return recomputedWith;
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

    /// <summary>
    /// Moves a physical slot forward to a confirmed position (never back); a logical slot as
    /// <c>pg_replication_slot_advance</c> does (decode, confirm). Returns whether the global minimum must be
    /// recomputed: a physical slot's restart_lsn moved, or always after a logical advance (slotfuncs.c recomputes
    /// at the end of <c>pg_replication_slot_advance</c>).
    /// </summary>
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
        Decode(s, confirmed, confirm: true);
        return true;
    }

    /// <summary>
    /// The snapshot builder and the slot's candidates while a logical slot is decoded from its restart_lsn up to
    /// <paramref name="upTo"/>, then (unless peeking) the confirmation of <paramref name="upTo"/>
    /// (retention-model.md §12.2). For each running_xacts record R decoded, in WAL order:
    /// <c>LogicalIncreaseXminForSlot</c>: a newer xmin is taken at once when R is at or before confirmed_flush (and
    /// the global minimum is recomputed then, with restart_lsn as it stands before R's restart point is applied),
    /// else it becomes the pending candidate if none is pending;
    /// <c>LogicalIncreaseRestartDecodingForSlot</c>: R's restart point (R itself, or the restart point of the oldest
    /// transaction running at R) is ignored if not past restart_lsn, taken at once when R is at or before
    /// confirmed_flush, else pending if none is, else dropped.
    /// <c>LogicalConfirmReceivedLocation(upTo)</c> then applies the pending candidates valid by then and recomputes
    /// the minimum only if the xmin moved. Returns whether the minimum was recomputed.
    /// </summary>
    private bool Decode(SlotState s, Lsn upTo, bool confirm)
    {
        var recomputed = false;
        foreach (var rx in RunningXactsBetween(s.RestartLsn, upTo))
        {
            if (rx.Xmin > s.CatalogXmin)
            {
                if (rx.At <= s.ConfirmedFlush)
                {
                    s.CatalogXmin = rx.Xmin;
                    s.PendingXminValid = Lsn.Invalid;
                    // Taken at once: the recompute sees restart_lsn before R's restart point (retention-model.md §12.3).
                    ComputeRequiredLsn(s, LogicalSlotMinimum.RecomputedWith(xminMoved: true, takenAtOnce: true, s.RestartLsn, rx.RestartPoint)!.Value);
                    recomputed = true;
                }
                else if (!s.PendingXminValid.IsValid) { s.PendingXminValid = rx.At; s.PendingXmin = rx.Xmin; }
            }
            if (rx.RestartPoint <= s.RestartLsn) continue;
            if (rx.At <= s.ConfirmedFlush)
            {
                SetRestart(s, rx.RestartPoint);
                s.PendingRestartValid = Lsn.Invalid;
            }
            else if (!s.PendingRestartValid.IsValid) { s.PendingRestartValid = rx.At; s.PendingRestart = rx.RestartPoint; }
        }
        if (!confirm) return recomputed;
        if (upTo > s.ConfirmedFlush) s.ConfirmedFlush = upTo;
        var xminMoved = false;
        if (s.PendingXminValid.IsValid && s.PendingXminValid <= upTo)
        {
            xminMoved = s.PendingXmin > s.CatalogXmin;
            if (xminMoved) s.CatalogXmin = s.PendingXmin;
            s.PendingXminValid = Lsn.Invalid;
        }
        if (s.PendingRestartValid.IsValid && s.PendingRestartValid <= upTo)
        {
            SetRestart(s, s.PendingRestart);
            s.PendingRestartValid = Lsn.Invalid;
        }
        if (LogicalSlotMinimum.RecomputedWith(xminMoved, takenAtOnce: false, s.RestartLsn, s.RestartLsn) is not { } seen) return recomputed;
        ComputeRequiredLsn(s, seen);
        return true;
    }

    private static void SetRestart(SlotState s, Lsn restart)
    {
        if (restart <= s.RestartLsn) return;
        s.RestartLsn = restart;
        // LogicalConfirmReceivedLocation saves the slot when restart_lsn moves (PG18: last_saved_restart_lsn follows).
        s.LastSavedRestartLsn = restart;
    }

    /// <summary>
    /// Logs an xl_running_xacts at the insert position (<c>LogStandbySnapshot</c>): at checkpoints and logical slot
    /// creation. It records the restart point a decoder gets there (the oldest open transaction's, else its own
    /// position) and the xmin it proposes (the oldest open transaction's first write, else the last xid assigned).
    /// </summary>
    private void LogRunningXacts()
    {
        var at = InsertRecord(RunningXactsBytes, important: false);
        var restart = at;
        foreach (var pin in _txPins.Values) if (pin < restart) restart = pin;
        _runningXacts.Add(new RunningXacts(at, restart, XminAt(at)));
        _recordsGeneration++;
    }

    private Lsn XminAt(Lsn at)
    {
        var xmin = _lastXid;
        foreach (var (_, began, ended) in _txSpans) if (began < at && ended > at && began < xmin) xmin = began;
        return xmin;
    }

    /// <summary>The running_xacts records a decoder reads after <paramref name="from"/> and before
    /// <paramref name="upTo"/>, in WAL order: those logged explicitly and the bgwriter's (every 15 s, when WAL was written).</summary>
    /// <remarks>The list returned is reused by later calls: read it before asking again. A streaming consumer asks at
    /// every move, so neither a new list nor a pass over all kept records per move (appended in LSN order: the range
    /// is found from the end, where a following consumer's lies), and the walsenders whose slots stand at the same
    /// positions at one instant (consumers with the same lag) get the list the first one read.</remarks>
    private List<RunningXacts> RunningXactsBetween(Lsn from, Lsn upTo)
    {
        ref var memo = ref _runningXactsMemo.For((long)from.Value, (long)upTo.Value);
        var stamp = RecordsStamp;
        if (memo.Answers(stamp, (long)from.Value, (long)upTo.Value)) return memo.Value;
        var list = memo.Value ??= [];
        list.Clear();
        memo.Holds(stamp, (long)from.Value, (long)upTo.Value);
        var i = _runningXacts.Count;
        while (i > _runningXactsFrom && _runningXacts[i - 1].At > from) i--;
        for (; i < _runningXacts.Count && _runningXacts[i].At < upTo; i++) list.Add(_runningXacts[i]);
        var explicitRecords = list.Count;
        // The ticks after from: found back from upTo's, as a following consumer's range holds one to three of them.
        var last = _history.TimeOf(upTo).Microseconds / BgWriterSnapshotInterval.Microseconds;
        var oldest = Math.Max(1, (_now - _historyWindow).Microseconds / BgWriterSnapshotInterval.Microseconds);
        var first = last;
        while (first >= oldest && BgWriterTick(first).Position > from) first--;
        var bgwriter = false;
        for (var k = Math.Max(first + 1, oldest); k <= last; k++)
        {
            if (BgWriterTick(k).Record is not { } at || at <= from || at >= upTo) continue;
            var (restart, xmin) = (at, at);
            if (_txSpans.Count > 0)
                foreach (var (pin, began, ended) in _txSpans)
                    if (began < at && ended > at) (restart, xmin) = (Lsn.Min(restart, pin), Lsn.Min(xmin, began));
            list.Add(new RunningXacts(at, restart, xmin));
            bgwriter = true;
        }
        if (bgwriter && explicitRecords > 0) list.Sort(ByPosition); // each kind is in WAL order already
        return list;
    }

    // The records of the range a logical slot's walsender reads, and the newest at or before a position, depend on the
    // instant (the bgwriter ticks within reach), the insert history and the records logged or transactions begun or ended.
    private readonly AnswerMemo<List<RunningXacts>> _runningXactsMemo = new();
    private readonly AnswerMemo<Lsn> _latestRunningXactsMemo = new();
    /// <summary>Bumped when a running_xacts is logged or forgotten, a transaction begins or ends, or the settings change.</summary>
    private long _recordsGeneration;
    private MemoStamp RecordsStamp => new(_now.Microseconds, _history.Generation, _recordsGeneration);

    /// <summary>
    /// The insert position at the bgwriter's <paramref name="k"/>-th 15 s tick since the server started, and its
    /// xl_running_xacts there, or null when it logs none: <c>BackgroundWriterMain</c> (bgwriter.c, the same in 12–18) logs only when
    /// <c>XLogStandbyInfoActive()</c> (wal_level replica or logical), LOG_SNAPSHOT_INTERVAL_MS has passed since its last
    /// one, and <c>last_snapshot_lsn &lt;= GetLastImportantRecPtr()</c> — WAL was inserted since its previous record
    /// (last_snapshot_lsn starts invalid, so the first tick always logs). A tick that logs nothing inserted nothing,
    /// so "since the tick before" is "since its previous record". The record's own bytes are not inserted (walsim
    /// places it at the position the history gives for the tick; retention-model.md §12.2). One rule for timed and step
    /// scenarios; on a real idle server the bgwriter hibernates (10 s naps), so a record can come up to 25 s after the last.
    /// </summary>
    private (Lsn Position, Lsn? Record) BgWriterTick(long k)
    {
        if (k < 1) return (Lsn.Invalid, null);
        // Every streaming logical slot asks for the same recent ticks at each move; a tick in the past has its
        // position and record (or none) for good, so the last few are remembered.
        var cached = (int)(k & (BgWriterTicksRemembered - 1));
        if (_bgWriterTicks[cached].K == k) return (_bgWriterTicks[cached].Position, _bgWriterTicks[cached].Record);
        var tick = new SimTime(k * BgWriterSnapshotInterval.Microseconds);
        var at = _history.At(tick);
        Lsn? record = _settings.WalLevel != "minimal" && (k == 1 || at > _history.At(tick - BgWriterSnapshotInterval)) ? at : null;
        if (tick <= _now) _bgWriterTicks[cached] = (k, at, record);
        return (at, record);
    }

    /// <summary>The newest xl_running_xacts at or before <paramref name="lsn"/>: logged at checkpoints, at logical slot
    /// creation, and by the bgwriter every 15 s when important WAL was written (LOG_SNAPSHOT_INTERVAL_MS). A tick the
    /// bgwriter skipped (<see cref="BgWriterTick"/>) sits where its last record does, so the tick's position is
    /// that record's; before the first tick, the start position stands in (nothing before it can be decoded).</summary>
    private Lsn LatestRunningXactsAtOrBefore(Lsn lsn)
    {
        ref var memo = ref _latestRunningXactsMemo.For((long)lsn.Value);
        var stamp = RecordsStamp;
        if (!memo.Answers(stamp, (long)lsn.Value, 0))
        {
            memo.Value = FindLatestRunningXactsAtOrBefore(lsn);
            memo.Holds(stamp, (long)lsn.Value, 0);
        }
        return memo.Value;
    }

    private Lsn FindLatestRunningXactsAtOrBefore(Lsn lsn)
    {
        var best = Lsn.Invalid;
        // Appended in LSN order: the newest one at or before lsn is the first found from the end.
        for (var i = _runningXacts.Count - 1; i >= _runningXactsFrom; i--)
            if (_runningXacts[i].At <= lsn) { best = _runningXacts[i].At; break; }
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
    /// <param name="seen">A slot <paramref name="seenAt"/> stands for: where it stood when a recompute ran before its
    /// restart_lsn moved (retention-model.md §12.3).</param>
    /// <param name="seenAt">The restart_lsn that recompute saw for <paramref name="seen"/>.</param>
    /// <param name="laterLogicalAsBefore">Logical slots after <paramref name="seen"/> count where they stood before
    /// this pass moved them (<see cref="SlotState.RequiredBeforeFollow"/>; see <see cref="UpdateSlots"/>).</param>
    private void ComputeRequiredLsn(SlotState? seen = null, Lsn seenAt = default, bool laterLogicalAsBefore = false)
    {
        var min = Lsn.Invalid;
        var lastSaved = _minimumUsesLastSaved;
        var skipInvalidated = _minimumSkipsInvalidated;
        var passed = false;
        foreach (var s in Slots)
        {
            Lsn r;
            if (s == seen) (r, passed) = (seenAt, true);
            else r = passed && laterLogicalAsBefore && s.FollowPass == _followPass ? s.RequiredBeforeFollow : RequiredLsn(s, lastSaved, skipInvalidated);
            min = LowerRequired(min, r);
        }
        SetSlotMinimum(min);
    }

    /// <summary>A recompute's result (<c>XLogSetReplicationSlotMinimumLSN</c>); the wal_status watch follows the slots.</summary>
    private void SetSlotMinimum(Lsn min)
    {
        _slotMin = min;
        _statusWatchDirty = true;
    }

    /// <summary>The lower of a minimum so far and what one slot adds to it; <see cref="Lsn.Invalid"/> adds nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lsn LowerRequired(Lsn min, Lsn r) => r.IsValid && (!min.IsValid || r < min) ? r : min;

    /// <summary>What one slot adds to <see cref="ComputeRequiredLsn"/>'s minimum (<see cref="Lsn.Invalid"/> = nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // once per slot per recompute
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
        if (!_reportsWalStatus) return null;
        var keepSegs = _seg.MegabytesToSegments(_settings.MaxWalSizeMb) + 1;
        var capped = _settings.MaxSlotWalKeepSizeMb >= 0;
        var k = Math.Max(_seg.MegabytesToSegments(_settings.MaxSlotWalKeepSizeMb), _seg.MegabytesToSegments(_settings.WalKeepSizeMb));
        // The slot that changes first is the lowest restart_lsn not yet extended (and, with a cap, not yet unreserved):
        // the segment of the lowest position is the lowest segment, so one comparison per slot and one conversion after
        // (run whenever a slot moved, up to three times per checkpoint on 17+).
        ulong notExtended = ulong.MaxValue, notUnreserved = ulong.MaxValue;
        foreach (var s in Slots)
        {
            if (s.Invalidated != InvalidationCause.None || !s.RestartLsn.IsValid) continue;
            var r = s.RestartLsn.Value;
            // With a cap below max_wal_size a slot goes from reserved straight to unreserved: watch both.
            if (r < notExtended && s.FirstExtended is null) notExtended = r;
            if (capped && r < notUnreserved && s.FirstUnreserved is null) notUnreserved = r;
        }
        var best = ulong.MaxValue;
        if (notExtended != ulong.MaxValue) best = _seg.SegmentOf(new Lsn(notExtended)).Value + keepSegs + 1;
        if (notUnreserved != ulong.MaxValue) best = Math.Min(best, _seg.SegmentOf(new Lsn(notUnreserved)).Value + k + 1);
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
            _dir.Oldest, _dir.Newest, _lastRemoved, _rowSlots)
        {
            Breakdown = _breakdown && _dir.Count > 0 ? WalBreakdown.TotalsOfRun(ExplainState(update: false), _dir.Oldest, _dir.Newest) : null,
        };
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
                _dirtyBuffers |= w.Dirty;
                _lastXid = InsertRecord(w.Bytes.Bytes, important: true);
                break;
            case WriteSegments ws when !_readOnly:
                // TAP advance_wal, n times "a small record, then pg_switch_wal()": each ends exactly at the next
                // segment boundary. One segment at a time, because XLogWrite tests the checkpoint request as each one
                // is finished and an idle checkpointer acts on it before the next is written.
                for (var i = 0; i < ws.Segments && !_readOnly; i++)
                {
                    var start = PageAdjusted(Insert);
                    _lastXid = InsertRecord((_seg.StartOf(_seg.SegmentOf(start) + 1) - start).Bytes, important: true);
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
                _recordsGeneration++;
                MarkSlotsChanged();
                break;
            case CreateSlot c:
                CreateSlot(c.Slot);
                break;
            case DropSlot d:
                var drop = Existing(d.Slot, e);
                if (drop.Held)
                    throw new ScenarioValidationException($"replication slot \"{d.Slot}\" is active for PID {drop.Pid} at {e.At} (held by hold_slot): release_slot first", e.Location, "drop_slot");
                _slots.Remove(drop);
                _walLog?.RecordSlot(drop.Name, new WalLog.SlotPoint(_now, Lsn.Invalid, Lsn.Invalid, false, false, Exists: false));
                ComputeRequiredLsn();
                break;
            case AdvanceSlot a:
                var slot = Existing(a.Slot, e);
                if (AdvanceRefused(slot, a, e) is { } refused)
                {
                    // As on the server: the call fails and the slot is left as it was (a never-reserved slot stays
                    // unreserved: restart_lsn, wal_status and safe_wal_size's target NULL, never invalidated).
                    if (a.ExpectError != refused)
                        throw new ScenarioValidationException(
                            $"replication slot \"{a.Slot}\" cannot be advanced at {e.At}: this slot has never previously reserved WAL " +
                            "(pg_replication_slot_advance fails with SQLSTATE 55000); write error: 55000 if that is the point, " +
                            "or via: walsender to move it as a standby's flush report does", e.Location, "advance_slot");
                    break;
                }
                if (a.ExpectError is { } expected)
                    throw new ScenarioValidationException(
                        $"advance_slot of \"{a.Slot}\" at {e.At} declares error: {expected}, but the slot {(slot.Invalidated != InvalidationCause.None ? "was invalidated (the model leaves it alone)" : $"has reserved WAL at {slot.RestartLsn}: the server would advance it")}",
                        e.Location, "error");
                if (slot.Invalidated == InvalidationCause.None && Advance(slot, Lsn.Min(Target(a.Target, a.ToMark) ?? Insert, Insert)))
                    ComputeRequiredLsn();
                break;
            case ConsumeSlot d:
                var decoded = Existing(d.Slot, e);
                // pg_logical_slot_get_changes / peek_changes: no recompute of their own (logicalfuncs.c).
                if (decoded.Invalidated == InvalidationCause.None) Decode(decoded, Lsn.Min(Target(d.Target, d.ToMark) ?? Insert, Insert), confirm: !d.Peek);
                MarkSlotsChanged();
                break;
            case StopConsumer stop:
                _ = Existing(stop.Slot, e);
                Disconnect(stop.Slot);
                break;
            case StartConsumer start:
                var st = Existing(start.Slot, e);
                if (!st.Spec.Consumer.Connected)
                    throw new ScenarioValidationException($"slot \"{start.Slot}\" has no consumer to start", e.Location, "start_consumer");
                Reconnect(start.Slot);
                break;
            case BeginTransaction b:
                BeginTransaction(b.Name);
                // Its first statement (an INSERT) writes WAL inside the transaction: that record takes the xid.
                if (b.Write.Bytes > 0 && !_readOnly) _lastXid = InsertRecord(b.Write.Bytes, important: true);
                break;
            case MarkPosition m:
                _marks[m.Name] = Insert;
                break;
            case EndTransaction t:
                EndTransaction(t.Name);
                break;
            case HoldSlot hold:
                var held = Existing(hold.Slot, e);
                // START_REPLICATION on an invalidated slot is refused; the event then does nothing, as the server would.
                if (held.Active || held.Invalidated != InvalidationCause.None) break;
                held.Active = held.Held = true;
                held.Pid = _nextPid++;
                held.InactiveSince = null;
                MarkSlotsChanged();
                break;
            case ReleaseSlot release:
                var released = Existing(release.Slot, e);
                if (!released.Held) break;
                released.Held = released.Active = false;
                if (_policy.ReportsInactiveSince) released.InactiveSince = _now;
                MarkSlotsChanged();
                break;
        }
    }

    /// <summary>An xl_running_xacts as the snapshot builder uses it: where it is, the restart point it offers, the xmin it proposes.</summary>
    private readonly record struct RunningXacts(Lsn At, Lsn RestartPoint, Lsn Xmin);

    /// <summary>
    /// The SQLSTATE <c>pg_replication_slot_advance</c> answers with, or null when it advances: "A slot whose
    /// restart_lsn has never been reserved cannot be advanced" (slotfuncs.c, 12–18: ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE).
    /// A walsender's flush report has no such check (<c>PhysicalConfirmReceivedLocation</c> sets restart_lsn).
    /// </summary>
    private static string? AdvanceRefused(SlotState slot, AdvanceSlot a, ScenarioEvent e)
    {
        if (a.Via == AdvanceVia.Walsender)
        {
            if (slot.Kind != SlotKind.Physical)
                throw new ScenarioValidationException($"via: walsender moves a physical slot; \"{a.Slot}\" is logical", e.Location, "via");
            return null;
        }
        return slot.Invalidated == InvalidationCause.None && !slot.RestartLsn.IsValid ? "55000" : null;
    }

    /// <summary>Where a mark remembered the insert position (<see cref="MarkPosition"/> steps).</summary>
    private readonly Dictionary<string, Lsn> _marks = new(StringComparer.Ordinal);

    /// <summary>An advance's or decode's target: an LSN, a mark ± bytes resolved against this server's mark, or null (now).</summary>
    private Lsn? Target(Lsn? lsn, MarkOffset? mark) => mark is { } m ? m.Resolve(_marks[m.Mark]) : lsn;

    /// <summary>The slot an event names; a scenario error at the event when no such slot exists then.</summary>
    private SlotState Existing(string slot, ScenarioEvent e) =>
        Find(slot) ?? throw new ScenarioValidationException($"replication slot \"{slot}\" does not exist at {e.At}", e.Location, "slot");
}

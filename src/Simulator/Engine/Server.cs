using System.Runtime.InteropServices;

namespace Walsim.Simulator.Engine;

/// <summary>
/// One simulated primary: WAL insertion, the checkpointer, slots and their consumers, the archiver and the pg_wal
/// volume. Event-driven: time jumps from one thing that can change a decision to the next (an event, a checkpoint
/// start or end, a rate change, the WAL position reaching a threshold), so cost grows with checkpoints and events,
/// not with simulated seconds.
/// </summary>
internal sealed partial class Server
{
    // Record sizes (bytes reserved, MAXALIGNed): retention-model.md §3.5 and retention-model.md §14.1.
    private const long CheckpointRecordBytes = 120;
    private const long RedoRecordBytes = CheckpointDecision.RedoRecordBytes;
    private const long RunningXactsBytes = 56;
    private const long XLogBlockSize = 8192;
    private static readonly SimDuration BgWriterSnapshotInterval = SimDuration.FromSeconds(15); // LOG_SNAPSHOT_INTERVAL_MS

    private readonly Scenario _scenario;
    private readonly RetentionPolicy _policy;
    private readonly bool _reportsWalStatus, _reportsInactiveSince; // read per slot per row: the policy's answers, once
    private readonly bool _minimumUsesLastSaved, _minimumSkipsInvalidated; // read per slot per recompute (RequiredLsn)
    private readonly ISimulationObserver _observer;
    // False for a run nobody watches (a Monte Carlo run wants only the result): then no checkpoint record or timeline
    // row is built unless the result itself keeps it (a step's checkpoint, a probe).
    private readonly bool _observed;
    private readonly bool _breakdown;
    private readonly RateFunction _rate;
    private readonly LsnHistory _history = new();
    private readonly WalSegmentSize _seg;
    private ServerSettings _settings;

    private SimTime _now = SimTime.Zero;
    private readonly SimTime _end;
    private double _insert;                 // insert position, exact (fractional bytes of a rate carried)
    private Lsn Insert => new((ulong)_insert);
    private Lsn _lastImportant;             // start of the last important record (GetLastImportantRecPtr)
    private SimTime _lastSegSwitchTime;
    private Lsn _lastSegSwitchLsn;
    private bool _segmentFinished;          // a segment was completed since CheckWalTriggers last looked
    private bool _readOnly;
    private SimTime? _diskFull;
    private SimTime? _readOnlyAt;

    // pg_control and checkpointer memory.
    private Lsn _controlCheckPoint;
    private Lsn _controlRedo;
    private Lsn _redoRecPtr;                // XLogCtl->RedoRecPtr: redo of the latest *started* checkpoint
    private double _estimate;               // CheckPointDistanceEstimate
    private SegmentNumber _lastRemoved;     // XLogCtl->lastRemovedSegNo
    private WalDirectory _dir;
    private SimTime _lastCheckpointStart = SimTime.Zero;
    private int _checkpointsStarted;        // starts (skipped ones too) this run: which TimedCheckpointLateness entry applies
    private SegmentNumber _lastKeep;

    // The checkpoint in progress.
    private bool _ckptRunning;
    private CheckpointCause _ckptCause;
    private SimTime _ckptStart;
    private SimTime _ckptEndByTime;
    private Lsn _ckptEndByLsn;
    /// <summary>A <c>write: … dirty: true</c> since the last checkpoint started: buffers its write phase must write.</summary>
    private bool _dirtyBuffers;
    private Lsn _ckptRedo;
    private Lsn _ckptSlotMinAtStart;
    private CheckpointCause? _pendingRequest;
    private int _checkpointNumber;

    // Slots.
    private readonly List<SlotState> _slots = [];
    // The slots for the loops that run per row and per checkpoint: a List<T> enumerator (or indexer) over a reference
    // type is shared generic code that the JIT does not inline, a call per slot. No loop changes the list it reads.
    private ReadOnlySpan<SlotState> Slots => CollectionsMarshal.AsSpan(_slots);
    private readonly List<SlotState> _allSlots = [];
    private Lsn _slotMin;                   // XLogCtl->replicationSlotMinLSN, refreshed only when PostgreSQL does
    private int _nextPid = 4100;
    private readonly List<RunningXacts> _runningXacts = [];
    /// <summary>The index of the oldest record in <see cref="_runningXacts"/> still remembered (see <see cref="ForgetOldRunningXacts"/>).</summary>
    private int _runningXactsFrom;
    private const int RunningXactsKept = 256;
    private const int BgWriterTicksRemembered = 64; // a power of two: tick k is kept at k & 63
    private readonly (long K, Lsn Position, Lsn? Record)[] _bgWriterTicks = Enumerable.Repeat((-1L, Lsn.Invalid, (Lsn?)null), BgWriterTicksRemembered).ToArray();
    private static readonly Comparison<RunningXacts> ByPosition = (a, b) => a.At.CompareTo(b.At);
    private readonly Dictionary<string, Lsn> _txPins = [];
    /// <summary>Transactions that wrote WAL, open or ended (their pin and when they began and ended): what a bgwriter
    /// running_xacts, computed after the fact, listed as running.</summary>
    private readonly List<(Lsn Pin, Lsn Began, Lsn Ended)> _txSpans = [];
    private readonly Dictionary<string, int> _txOpen = [];
    /// <summary>The start of the last write that took an xid (stands in for nextXid: grows exactly when one is assigned).</summary>
    private Lsn _lastXid;

    // Scheduling.
    private readonly List<(SimTime At, int Order, Action Act, int? Step)> _agenda = [];
    private int _agendaNext;
    private readonly SimTime[] _periodicNext;
    private SimTime _nextSample;
    private readonly List<SimTime> _probeTimes;
    private int _probeNext;
    private int? _currentStep;
    private readonly SimDuration _historyWindow;

    // Results.
    private readonly List<TimelineRow> _probes = [];
    private readonly Dictionary<int, CheckpointRecord> _checkpointsByStep = [];
    private ByteCount _peakBytes;
    private long _peakFiles;
    private SimTime _peakAt;
    private int _checkpoints, _skipped, _invalidations;
    private long _added, _removed, _recycled;

    /// <summary>For topology runs: every insert position and checkpoint, for the standbys; null otherwise.</summary>
    private readonly WalLog? _walLog;

    public Server(Scenario scenario, RetentionPolicy policy, ISimulationObserver observer, WalLog? walLog = null)
    {
        _walLog = walLog;
        _scenario = scenario;
        _policy = policy;
        _reportsWalStatus = policy.ReportsWalStatus;
        _reportsInactiveSince = policy.ReportsInactiveSince;
        _minimumUsesLastSaved = policy.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn;
        _minimumSkipsInvalidated = policy.MinimumSkipsInvalidatedSlots;
        _observer = observer;
        _observed = observer is not NullObserver;
        _breakdown = observer.WantsWalBreakdown;
        _seg = scenario.SegmentSize;
        _settings = ServerSettings.Create(policy, _seg, SettingsFor(scenario.Settings, scenario.VersionSettings));
        _rate = new RateFunction(scenario.Workload);
        _end = SimTime.Zero + scenario.Duration;

        var initial = scenario.Start.For(policy, _settings.WalLevel);
        var start = initial.InsertLsn ?? _seg.StartOf(new SegmentNumber(1)) + new ByteCount(40);
        _insert = start.Value;
        _lastImportant = start;
        var redo = initial.RedoLsn is { } r && r <= start ? r : start;
        _controlCheckPoint = redo;
        _controlRedo = redo;
        _redoRecPtr = redo;
        _estimate = initial.DistanceEstimate.Bytes;
        _lastCheckpointStart = SimTime.Zero - initial.SinceLastCheckpoint;
        _lastSegSwitchLsn = _seg.StartOf(_seg.SegmentOf(start));
        var startSeg = _seg.SegmentOf(start);
        var oldest = initial.OldestFile is { } o && o <= startSeg ? o : startSeg;
        _dir = new WalDirectory(oldest, startSeg + (ulong)Math.Max(0, initial.FilesAhead));
        if (oldest.Value > 0) _lastRemoved = oldest - 1;
        _lastKeep = oldest;

        _periodicNext = scenario.Workload.PeriodicWrites.Select(p => p.From).ToArray();
        _nextSample = scenario.SampleInterval > SimDuration.Zero ? SimTime.Zero : SimTime.Never;
        _probeTimes = scenario.Expectations.OfType<PointExpectation>()
            .Where(e => e.Point.At is not null && e.Versions.Contains(policy.Version))
            .Select(e => e.Point.At!.Value).Distinct().Order().ToList();

        var maxLag = scenario.Slots.Select(s => s.Consumer.Lag + s.Consumer.ConfirmEvery)
            .Concat(scenario.Events.OfType<CreateSlot>().Select(c => c.Slot.Consumer.Lag + c.Slot.Consumer.ConfirmEvery))
            .DefaultIfEmpty(SimDuration.Zero).Max();
        // A sleep step keeps the position of the bgwriter's running_xacts logged during it within reach of a decode after it.
        var longestSleep = scenario.Events.OfType<Sleep>().Select(s => s.Duration).DefaultIfEmpty(SimDuration.Zero).Max();
        _historyWindow = maxLag + scenario.Archiver.Lag + BgWriterSnapshotInterval + longestSleep + SimDuration.FromSeconds(1);

        BuildAgenda();
        _history.Record(_now, _insert, CurrentRate());
        _walLog?.Record(_now, _insert, CurrentRate());
    }

    private IEnumerable<KeyValuePair<string, string>> SettingsFor(
        IReadOnlyDictionary<string, string> common, IReadOnlyList<VersionedSettings> versioned) =>
        common.Concat(versioned.Where(v => v.Versions.Contains(_policy.Version)).SelectMany(v => v.Settings));

    private void BuildAgenda()
    {
        var order = 0;
        void Add(SimTime at, Action act, int? step = null) => _agenda.Add((at, order++, act, step));

        foreach (var s in _scenario.Slots) Add(s.CreatedAt, () => CreateSlot(s));
        foreach (var s in _scenario.Slots) AddOutages(s, Add);
        foreach (var f in _scenario.Archiver.Failures)
        {
            // A failure already under way at the start (a forecast from samples) stays where the samples left it.
            Add(f.From, () => _archiverFrozen = f.From == SimTime.Zero && _scenario.Start.ArchivedThrough is { } done
                ? SegmentNumber.Min(done, ArchivedThrough()) : ArchivedThrough());
            if (!f.Until.IsNever) Add(f.Until, () => _archiverFrozen = null);
        }
        foreach (var tx in _scenario.Transactions)
        {
            Add(tx.Begin, () => BeginTransaction(tx.Name));
            if (!tx.End.IsNever) Add(tx.End, () => EndTransaction(tx.Name));
        }
        foreach (var e in _scenario.Events)
        {
            Add(e.At, () => Apply(e), e.Step);
            if (e is CreateSlot cs) AddOutages(cs.Slot, Add);
        }
        _agenda.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Order.CompareTo(b.Order));
    }

    // A transaction with an xid: the decoder's restart point cannot pass the running_xacts logged before it began.
    private void BeginTransaction(string name)
    {
        var pin = LatestRunningXactsAtOrBefore(Insert);
        _txPins[name] = pin;
        _txOpen[name] = _txSpans.Count;
        _txSpans.Add((pin, Insert, new Lsn(ulong.MaxValue)));
        _slotInputs++;
        _recordsGeneration++;
    }

    private void EndTransaction(string name)
    {
        _txPins.Remove(name);
        if (_txOpen.Remove(name, out var i)) _txSpans[i] = _txSpans[i] with { Ended = Insert };
        _slotInputs++;
        _recordsGeneration++;
    }

    private void AddOutages(SlotSpec s, Action<SimTime, Action, int?> add)
    {
        foreach (var o in s.Consumer.Outages)
        {
            add(o.From, () => Disconnect(s.Name), null);
            if (!o.Until.IsNever) add(o.Until, () => Reconnect(s.Name), null);
        }
    }

    public SimulationResult Run()
    {
        while (true)
        {
            var rate = CurrentRate();
            var tFixed = NextFixedTime();
            var lsnTarget = NextLsnWatch();
            var t = tFixed;
            Lsn? reached = null;
            if (rate > 0 && lsnTarget is { } target && target.Value > _insert)
            {
                var seconds = (target.Value - _insert) / rate;
                var micros = Math.Ceiling(seconds * 1_000_000);
                if (micros <= (t - _now).Microseconds) { t = _now + new SimDuration(Math.Max(1, (long)micros)); reached = target; }
            }
            if (t > _end) { t = _end; reached = null; }
            AdvanceTo(t, rate);
            // Rounding to whole microseconds overshoots by less than a microsecond of writing: land on the threshold.
            if (reached is { } exact && _insert > exact.Value) _insert = exact.Value;
            if (ProcessInstant()) break;
            if (_now >= _end) { EmitRow(RowReason.End); break; }
        }
        return BuildResult();
    }

    private double CurrentRate() => _readOnly || (_diskFull is not null && _scenario.Disk!.Enforced) ? 0 : _rate.RateAt(_now);

    /// <summary>
    /// For a topology: the WAL position, and each slot as its consumer's latest report left it, at every
    /// instant (and every report is an instant, <see cref="NextLogicalReport"/>), so standbys' slot sync workers
    /// read the primary's slots as they stood whenever they look.
    /// </summary>
    private void RecordForStandbys()
    {
        _walLog!.Record(_now, _insert, CurrentRate());
        UpdateSlots();
        foreach (var s in Slots)
            _walLog.RecordSlot(s.Name, new WalLog.SlotPoint(_now, s.RestartLsn, s.ConfirmedFlush, s.Spec.Failover, s.Invalidated != InvalidationCause.None, true,
                s.Kind == SlotKind.Logical, s.Spec.Permanent));
    }

    /// <summary>The next moment a logical slot's consumer reports (its confirmations every confirm_every since it connected).</summary>
    private SimTime NextLogicalReport()
    {
        var best = SimTime.Never;
        foreach (var s in Slots)
        {
            if (s.Kind != SlotKind.Logical || !s.Active || s.Held || s.ConfirmEveryMicros <= 0) continue;
            var since = _now.Microseconds - s.ConnectedSince.Microseconds;
            var next = s.ConnectedSince.Microseconds + (since / s.ConfirmEveryMicros + 1) * s.ConfirmEveryMicros;
            if (next < best.Microseconds) best = new SimTime(next);
        }
        return best;
    }

    /// <summary>checkpoint_timeout, plus this wait's lateness when the scenario gives one (<see cref="Scenario.TimedCheckpointLateness"/>).</summary>
    private SimDuration TimedCheckpointWait
    {
        get
        {
            var lateness = _scenario.TimedCheckpointLateness;
            if (_checkpointsStarted >= lateness.Count) return _settings.CheckpointTimeout;
            var wait = _settings.CheckpointTimeout + lateness[_checkpointsStarted];
            return wait > SimDuration.Zero ? wait : SimDuration.Zero;
        }
    }

    private SimTime NextFixedTime()
    {
        var t = _end;
        if (_agendaNext < _agenda.Count) t = SimTime.Min(t, _agenda[_agendaNext].At);
        if (_ckptRunning) t = SimTime.Min(t, _ckptEndByTime);
        else t = SimTime.Min(t, _pendingRequest is not null ? _now : _lastCheckpointStart + TimedCheckpointWait);
        t = SimTime.Min(t, _rate.NextChange(_now));
        t = SimTime.Min(t, _nextSample);
        if (_probeNext < _probeTimes.Count) t = SimTime.Min(t, _probeTimes[_probeNext]);
        for (var i = 0; i < _periodicNext.Length; i++) t = SimTime.Min(t, _periodicNext[i]);
        if (_settings.ArchiveTimeout > SimDuration.Zero) t = SimTime.Min(t, SimTime.Max(_now, _lastSegSwitchTime + _settings.ArchiveTimeout));
        if (_walLog is not null) t = SimTime.Min(t, NextLogicalReport());
        return SimTime.Max(t, _now);
    }

    /// <summary>The lowest insert position at which something decides: a WAL-volume checkpoint request, a
    /// checkpoint's write phase ending, the disk filling, a slot's wal_status changing.</summary>
    private Lsn? NextLsnWatch()
    {
        Lsn? best = null;
        void Consider(Lsn x) { if (x.Value > _insert && (best is null || x < best)) best = x; }
        if (_pendingRequest is null)
        {
            // The request is tested only when a segment is finished: once past the request point (after a skipped
            // checkpoint left the redo pointer behind), the next chance is the end of the current segment.
            var request = Retention.CheckpointRequestLsn(_settings, _redoRecPtr);
            Consider(request.Value > _insert ? request : _seg.StartOf(_seg.SegmentOf(Insert) + 1));
        }
        if (_ckptRunning && _ckptEndByLsn.IsValid) Consider(_ckptEndByLsn);
        if (_scenario.Disk is { } disk)
        {
            if (_diskFull is null && MaxFiles(disk) is { } max) Consider(_seg.StartOf(_dir.Oldest + (ulong)max));
            if (_readOnlyAt is null && ReadOnlyFiles(disk) is { } ro && ro > 0) Consider(_seg.StartOf(_dir.Oldest + (ulong)(ro - 1)));
        }
        if (_statusWatchDirty) { _statusWatch = ComputeStatusWatch(); _statusWatchDirty = false; }
        if (_statusWatch is { } w) Consider(w);
        return best;
    }

    private long? MaxFiles(DiskSpec d)
    {
        var avail = d.Size.Bytes - d.OtherUsage.Bytes;
        return avail < 0 ? 0 : avail / _seg.Bytes;
    }

    private long? ReadOnlyFiles(DiskSpec d)
    {
        if (d.ReadOnlyAtFraction is not { } f) return null;
        var bytes = f * d.Size.Bytes - d.OtherUsage.Bytes;
        return bytes <= 0 ? 1 : (long)Math.Ceiling(bytes / _seg.Bytes);
    }

    private void AdvanceTo(SimTime t, double rate)
    {
        if (t <= _now) return;
        var from = _now;
        _now = t; // before OnInserted, so a peak reached in this interval is stamped with its end
        if (rate > 0)
        {
            var before = _insert;
            _insert += rate * (t - from).TotalSeconds;
            OnInserted(before, from, rate, important: true);
            _lastXid = _lastImportant; // a workload's writes are transactions that take xids
        }
    }

    /// <summary>Bookkeeping after WAL was inserted from <paramref name="before"/> to the current position.</summary>
    private void OnInserted(double before, SimTime startedAt, double rate, bool important)
    {
        var oldSeg = _seg.SegmentOf(new Lsn((ulong)before));
        var newSeg = _seg.SegmentOf(Insert);
        if (newSeg > oldSeg)
        {
            _lastSegSwitchLsn = _seg.StartOf(newSeg);
            _lastSegSwitchTime = rate > 0
                ? startedAt + SimDuration.FromSeconds((_lastSegSwitchLsn.Value - before) / rate)
                : _now;
            _dir = _dir.Through(newSeg);
            _segmentFinished = true;
        }
        if (important) _lastImportant = new Lsn((ulong)Math.Max(before, _insert - 1));
        TrackPeak();
    }

    private void TrackPeak()
    {
        var bytes = _dir.Bytes(_seg);
        // The segment whose creation finds no space never exists: the server PANICs instead (see CheckDisk).
        if (_scenario.Disk is { Enforced: true } disk && bytes + disk.OtherUsage > disk.Size) return;
        if (bytes > _peakBytes) { _peakBytes = bytes; _peakFiles = _dir.Count; _peakAt = _now; if (CapturePeak) CapturePeakState(); }
    }

    /// <summary>Inserts a record of <paramref name="bytes"/> at the current instant; returns its start.</summary>
    private Lsn InsertRecord(long bytes, bool important)
    {
        var start = PageAdjusted(Insert);
        var before = _insert;
        _insert = start.Value + (double)bytes;
        OnInserted(before, _now, 0, important: false);
        if (important) _lastImportant = start;
        return start;
    }

    /// <summary>A record cannot start on a page boundary: it starts after the page header (24 bytes, 40 on a segment's first page).</summary>
    private Lsn PageAdjusted(Lsn at)
    {
        if (at.Value % XLogBlockSize != 0) return at;
        return at + new ByteCount(_seg.OffsetOf(at) == 0 ? 40 : 24);
    }

    /// <summary>Handles everything due at <see cref="_now"/>; returns true when the run must stop (disk full).</summary>
    private bool ProcessInstant()
    {
        // 1. Positions reached: disk, read-only, checkpoint request and checkpoint end by WAL volume.
        if (CheckDisk()) return true;
        CheckWalTriggers();
        if (_ckptRunning && _now >= _ckptEndByTime) FinishCheckpoint();

        // 2. Scenario and internal events, in file order.
        List<int>? stepsSeen = null;
        while (_agendaNext < _agenda.Count && _agenda[_agendaNext].At <= _now)
        {
            var (_, _, act, step) = _agenda[_agendaNext++];
            _currentStep = step;
            act();
            if (step is { } s && !(stepsSeen ??= []).Contains(s)) stepsSeen.Add(s);
            if (CheckDisk()) return true;
            CheckWalTriggers();
        }
        _currentStep = null;

        // 3. Periodic writes and archive_timeout.
        for (var i = 0; i < _periodicNext.Length; i++)
        {
            var p = _scenario.Workload.PeriodicWrites[i];
            if (_periodicNext[i] > _now) continue;
            if (_periodicNext[i] < p.Until && !_readOnly) { _lastXid = InsertRecord(p.Bytes.Bytes, important: true); CheckWalTriggers(); }
            _periodicNext[i] = _periodicNext[i] + p.Every;
            if (_periodicNext[i] >= p.Until) _periodicNext[i] = SimTime.Never;
        }
        CheckArchiveTimeout();
        if (CheckDisk()) return true;

        // 4. The checkpointer: a queued request, or a timed checkpoint that is due.
        if (!_ckptRunning)
        {
            if (_pendingRequest is { } cause) { _pendingRequest = null; StartCheckpoint(cause); }
            else if (_now - _lastCheckpointStart >= TimedCheckpointWait) StartCheckpoint(CheckpointCause.Time);
        }

        // 5. Observations. Slot positions are brought up to date only where a decision or a row reads them: the
        // watch below was computed from positions that can only have moved forward since, so it is early, never late.
        if (_statusWatchDirty) { _statusWatch = ComputeStatusWatch(); _statusWatchDirty = false; }
        if (_statusWatch is { } watch && watch <= Insert)
        {
            UpdateSlots();
            if (_statusWatchDirty) { _statusWatch = ComputeStatusWatch(); _statusWatchDirty = false; }
            if (_statusWatch is { } still && still <= Insert) EmitRow(RowReason.StatusChange);
        }
        if (stepsSeen is not null) foreach (var s in stepsSeen) _probes.Add(EmitRow(RowReason.Step, s, keep: true)!.Detach());
        while (_probeNext < _probeTimes.Count && _probeTimes[_probeNext] <= _now)
        {
            _probeNext++;
            _probes.Add(EmitRow(RowReason.Probe, keep: true)!.Detach());
        }
        if (_now >= _nextSample)
        {
            EmitRow(RowReason.Sample);
            var interval = _scenario.SampleInterval.Microseconds;
            _nextSample = new SimTime((_now.Microseconds / interval + 1) * interval);
        }

        _history.Record(_now, _insert, CurrentRate());
        if (_walLog is not null) RecordForStandbys();
        _history.Prune(_now - _historyWindow);
        if (_runningXacts.Count - _runningXactsFrom > RunningXactsKept) ForgetOldRunningXacts();
        return false;
    }

    /// <summary>
    /// Keeps the newest <see cref="RunningXactsKept"/> running_xacts records, so memory does not grow with simulated
    /// time. The older ones are passed over by index and removed in bulk: removing the oldest at each instant moved
    /// the 255 others (a year of 5-minute checkpoints: 105,000 times, 6 KB each).
    /// </summary>
    private void ForgetOldRunningXacts()
    {
        _runningXactsFrom = _runningXacts.Count - RunningXactsKept;
        if (_runningXactsFrom >= RunningXactsKept)
        {
            _runningXacts.RemoveRange(0, _runningXactsFrom);
            _runningXactsFrom = 0;
        }
        _recordsGeneration++;
    }

    private void CheckWalTriggers()
    {
        // XLogWrite → XLogCheckpointNeeded, evaluated only as a segment is finished: finishing segment
        // segno(RedoRecPtr) + CheckPointSegments - 1 or later requests one. Between segment ends nothing asks, so an
        // idle server whose last request was skipped does not ask again.
        var finished = _segmentFinished;
        _segmentFinished = false;
        if (finished && _pendingRequest is null && Insert >= Retention.CheckpointRequestLsn(_settings, _redoRecPtr))
        {
            _pendingRequest = CheckpointCause.Wal;
            if (!_ckptRunning) { _pendingRequest = null; StartCheckpoint(CheckpointCause.Wal); }
        }
        if (_ckptRunning && _ckptEndByLsn.IsValid && Insert >= _ckptEndByLsn) FinishCheckpoint();
    }

    private bool CheckDisk()
    {
        if (_scenario.Disk is not { } disk) return false;
        if (!disk.Enforced)
        {
            // A volume being sized: note the first crossings, write on.
            var size = _dir.Bytes(_seg) + disk.OtherUsage;
            if (_readOnlyAt is null && disk.ReadOnlyAtFraction is { } rf && size.Bytes >= rf * disk.Size.Bytes) _readOnlyAt = _now;
            if (_diskFull is null && size > disk.Size) _diskFull = _now;
            return false;
        }
        if (_diskFull is not null) return true;
        var used = _dir.Bytes(_seg) + disk.OtherUsage;
        if (!_readOnly && disk.ReadOnlyAtFraction is { } f && used.Bytes >= f * disk.Size.Bytes)
        {
            _readOnly = true;
            _readOnlyAt = _now;
            Log("read_only", null, $"pg_wal volume at {used} of {disk.Size} ({f:P0} threshold): the service makes the server read-only; WAL writes stop");
        }
        if (used > disk.Size)
        {
            _diskFull = _now;
            // The segment that did not fit was never created: pg_wal holds what fitted, which is also the peak.
            var fits = MaxFiles(disk) ?? 0;
            if (fits >= 1 && _dir.Count > fits) _dir = _dir with { Newest = _dir.Oldest + (ulong)(fits - 1) };
            TrackPeak();
            Log("disk_full", null, "PANIC: could not write to file \"pg_wal/xlogtemp\": No space left on device");
            EmitRow(RowReason.End);
            return true;
        }
        return false;
    }

    private void CheckArchiveTimeout()
    {
        // CheckArchiveTimeout: switch segments if archive_timeout passed since the last switch and important
        // WAL was written since. The switch record is unimportant and does not defeat the idle checkpoint skip.
        if (_settings.ArchiveTimeout <= SimDuration.Zero || _now - _lastSegSwitchTime < _settings.ArchiveTimeout) return;
        if (_lastImportant > _lastSegSwitchLsn && _seg.OffsetOf(Insert) != 0) SwitchSegment(important: false);
        else _lastSegSwitchTime = _now;
    }

    private void SwitchSegment(bool important)
    {
        var rec = InsertRecord(24, important);
        var next = _seg.StartOf(_seg.SegmentOf(rec) + 1);
        var before = _insert;
        _insert = next.Value;
        OnInserted(before, _now, 0, important: false);
        _lastSegSwitchLsn = next;
        _lastSegSwitchTime = _now;
        if (important) _lastImportant = rec;
        CheckWalTriggers();
    }

    private void Log(string kind, string? slot, string message) => _observer.OnLogEvent(new LogEvent(_now, kind, slot, message));

    /// <summary>The server as it stopped (a switchover's old primary, for its rejoin): pg_wal, the last checkpoint's
    /// redo, lastRemovedSegNo, the distance estimate, and its valid slots where they were.</summary>
    internal (WalDirectory Dir, Lsn Redo, SegmentNumber LastRemoved, double Estimate, IReadOnlyList<SlotSpec> Slots) FinalState() =>
        (_dir, _controlRedo, _lastRemoved, _estimate,
         _slots.Where(s => s.Invalidated == InvalidationCause.None && s.RestartLsn.IsValid)
             .Select(s => s.Spec with { RestartLsn = s.RestartLsn, ConfirmedFlushLsn = s.Kind == SlotKind.Logical ? s.ConfirmedFlush : null, Consumer = ConsumerSpec.None, CreatedAt = SimTime.Zero })
             .ToList());

    private SimulationResult BuildResult()
    {
        var summary = new RunSummary(_now, _peakBytes, _peakFiles, _peakAt, _diskFull, _readOnlyAt,
            _checkpoints, _skipped, _invalidations, _added, _removed, _recycled, Insert);
        var slots = _allSlots.Select(s => new SlotSummary(s.Name, s.Kind, s.FirstExtended, s.FirstUnreserved, s.Lost,
            s.Invalidated, s.PeakRetained)).ToList();
        return new SimulationResult(_scenario, _policy, summary, slots, _probes, _checkpointsByStep);
    }
}

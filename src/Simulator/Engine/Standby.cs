namespace Walsim.Simulator.Engine;

/// <summary>
/// A physical standby streaming from the primary (docs/design/failover.md §2, §3.2): it receives what the primary
/// wrote <c>lag</c> ago (nothing during a link outage, all of it at once when the link is back), replays it, and runs
/// <c>CreateRestartPoint</c> with its own settings, slots and pg_wal. A standby does not change the primary, so it
/// runs after the primary over the primary's <see cref="WalLog"/>.
/// <para>
/// Restartpoints (<c>CheckpointerMain</c>, <c>CreateRestartPoint</c>): attempted every <c>checkpoint_timeout</c> (start
/// to start), and on a WAL-volume request when replay finishes segment segno(RedoRecPtr) + CheckPointSegments − 1 or
/// later (<c>XLogCheckpointNeeded</c>, counted in replayed WAL); performed only if a primary checkpoint newer than the
/// last restartpoint has been replayed, else skipped and a timed one retried 15 s later. The redo is that checkpoint's;
/// the write phase is paced by replay; at the end the pipeline of a checkpoint runs with endptr = max(received,
/// replayed) where a checkpoint has its insert position: <c>KeepLogSeg</c>, <c>InvalidateObsoleteReplicationSlots</c>
/// (13+) and its recompute (13.4+), <c>RemoveOldXlogFiles</c> (recycling only while streaming on 13.21+/14.18+/15+),
/// <c>PreallocXlogFiles</c>. The walreceiver creates segment files as WAL arrives.
/// </para>
/// </summary>
internal sealed partial class StandbyServer
{
    private const long RetryMicros = 15_000_000; // a skipped restartpoint is retried 15 s later (CheckpointerMain)

    private readonly Scenario _scenario;
    private readonly NodeSpec _node;
    private readonly RetentionPolicy _policy;
    private readonly ServerSettings _settings;
    private readonly WalSegmentSize _seg;
    private readonly WalLog _upstream;
    private readonly ISimulationObserver _observer;
    private readonly SimTime _end;
    private readonly LinkSpec _link;
    private readonly List<StandbySlot> _slots;
    private readonly List<SimTime> _probeTimes;

    private SimTime _now;
    private WalDirectory _dir;
    private SegmentNumber _lastRemoved;
    private SegmentNumber _lastKeep;
    private Lsn _controlRedo;            // pg_control's redo: the last restartpoint's (or the base backup's)
    private Lsn _redoRecPtr;             // RedoRecPtr: the redo of the restartpoint last started
    private double _estimate;
    private SimTime _lastAttempt;
    private bool _running;
    private CheckpointCause _cause;
    private SimTime _rpStart;
    private SimTime _rpEndByTime;
    private Lsn _rpEndByReplay;
    private CheckpointRecord? _rpCheckpoint;
    private Lsn _rpSlotMin;
    private int _number;

    private ByteCount _peakBytes;
    private long _peakFiles;
    private SimTime _peakAt;
    private SimTime? _diskFull, _readOnlyAt;
    private int _restartpoints, _skipped, _invalidations;
    private ByteCount _peakHeldByCopies;
    private long _added, _removed, _recycled;
    private readonly List<TimelineRow> _probes = [];

    // The slot sync worker (17+ native): its next cycle and its current sleep (wait_for_slot_activity).
    private static readonly SimDuration MinSleep = SimDuration.FromSeconds(0.2);
    private static readonly SimDuration MaxSleep = SimDuration.FromSeconds(30);
    private SimTime _nextCycle = SimTime.Never;
    private SimDuration _sleep = MinSleep;
    private readonly Dictionary<string, SimTime> _readySeen = new(StringComparer.Ordinal); // first sync-ready, per slot name
    private readonly Dictionary<string, SimTime> _lostSeen = new(StringComparer.Ordinal);  // first invalidation of a copy, per slot name

    /// <summary>A standby that was a primary until a switchover (a rejoin): it starts at <see cref="At"/> on its
    /// upstream's clock with its own pg_wal, redo, estimate and slots (stale copies among them).</summary>
    internal sealed record RejoinState(SimTime At, WalDirectory Dir, Lsn Redo, SegmentNumber LastRemoved, double Estimate, IReadOnlyList<SlotSpec> Slots);

    private readonly SimTime _start = SimTime.Zero;

    public StandbyServer(Scenario scenario, NodeSpec node, RetentionPolicy policy, WalLog upstream, ISimulationObserver observer, RejoinState? rejoin = null)
    {
        _scenario = scenario;
        _node = node;
        _policy = policy;
        _seg = scenario.SegmentSize;
        _settings = ServerSettings.Create(policy, _seg, Topology.SettingsOf(scenario, node, policy.Version));
        _upstream = upstream;
        _observer = observer;
        _end = SimTime.Zero + scenario.Duration;
        _link = node.Link;

        // A base backup at time 0: the primary's pg_wal then (its insert segment) and its checkpoint's redo.
        var start = upstream.At(SimTime.Zero);
        var startSeg = _seg.SegmentOf(start);
        _dir = new WalDirectory(startSeg, startSeg);
        _lastRemoved = startSeg.Value > 0 ? startSeg - 1 : startSeg;
        _lastKeep = startSeg;
        _controlRedo = scenario.Start.RedoLsn ?? start;
        _redoRecPtr = _controlRedo;
        _lastAttempt = SimTime.Zero;
        _slots = node.Slots.Select(s => new StandbySlot(s)).ToList();
        if (rejoin is not null)
        {
            _start = rejoin.At;
            _dir = rejoin.Dir;
            _lastRemoved = rejoin.LastRemoved;
            _lastKeep = rejoin.Dir.Oldest;
            _controlRedo = rejoin.Redo;
            _redoRecPtr = rejoin.Redo;
            _estimate = rejoin.Estimate;
            _lastAttempt = rejoin.At;
            _slots.AddRange(rejoin.Slots.Select(x => new StandbySlot(x)));
        }
        if (node.SlotSync == SlotSyncMechanism.Native && !policy.SyncsFailoverSlots)
            throw new ScenarioValidationException($"node {node.Name}: slot_sync: native needs PostgreSQL 17 or later (sync_replication_slots), not {policy.Version}", node.Location, "slot_sync");
        // The worker (or Patroni's replica loop, after_leader after the leader's) starts with the standby, unless the
        // scenario gives the phase (first_cycle).
        _nextCycle = node.SlotSync switch
        {
            SlotSyncMechanism.None => SimTime.Never,
            _ when node.SlotSyncOptions.FirstCycle is { } first => _start + first,
            SlotSyncMechanism.Patroni => _start + PatroniAfterLeader,
            _ => _start,
        };
        _probeTimes = scenario.Expectations.OfType<PointExpectation>()
            .Where(e => e.Node == node.Name && e.Point.At is not null && e.Versions.Contains(policy.Version))
            .Select(e => e.Point.At!.Value).Distinct().Order().ToList();
    }

    // ---- The link: what the standby has received and replayed at a time, and when it gets to a position.

    /// <summary>What the walreceiver has flushed at <paramref name="t"/>: the upstream's position <c>lag</c> earlier,
    /// frozen from the start of an outage until its end.</summary>
    private Lsn Received(SimTime t)
    {
        var from = t;
        foreach (var o in _link.Outages)
            if (t >= o.From && t < o.Until) { from = o.From; break; }
        var at = from - _link.Lag;
        return _upstream.At(at < SimTime.Zero ? SimTime.Zero : at);
    }

    /// <summary>The standby's slot synchronization.</summary>
    public SlotSyncMechanism Mechanism => _node.SlotSync;

    /// <summary>What the standby had received at <paramref name="t"/> (a failover's switch point).</summary>
    public Lsn ReceivedAt(SimTime t) => Received(t);

    private Lsn Replayed(SimTime t) => Received(t - _link.ReplayLag < SimTime.Zero ? SimTime.Zero : t - _link.ReplayLag);

    private bool Streaming(SimTime t) => !_link.Outages.Any(o => t >= o.From && t < o.Until);

    /// <summary>The first time at or after now at which the standby has received <paramref name="lsn"/>; Never if not within the run.</summary>
    private SimTime ReceivedTimeOf(Lsn lsn)
    {
        if (_upstream.TimeOf(lsn) is not { } written) return SimTime.Never;
        var t = written + _link.Lag;
        // Inside an outage it arrives when the link is back (the catch-up is immediate at this granularity).
        foreach (var o in _link.Outages)
            if (t >= o.From && t < o.Until) t = o.Until;
        return t < _now ? _now : t;
    }

    private SimTime ReplayedTimeOf(Lsn lsn)
    {
        var t = ReceivedTimeOf(lsn);
        return t.IsNever ? t : t + _link.ReplayLag;
    }

    // ---- The run.

    public SimulationResult Run()
    {
        _now = _start;
        foreach (var s in _slots) s.Create(this, _now);
        var probe = 0;
        // Timeline rows every sample_interval (for reports), as the primary writes them.
        var every = _scenario.SampleInterval.Microseconds;
        var nextSample = every > 0 ? new SimTime((_start.Microseconds + every - 1) / every * every) : SimTime.Never;
        while (true)
        {
            var next = _end;
            void Consider(SimTime t) { if (t > _now && t < next) next = t; }
            Consider(_running ? _rpEndByTime : _lastAttempt + _settings.CheckpointTimeout);
            if (_running && _rpEndByReplay.IsValid) Consider(ReplayedTimeOf(_rpEndByReplay));
            if (!_running) Consider(ReplayedTimeOf(NextRequestLsn()));
            if (_scenario.Disk is not null || _node.Disk is not null) Consider(DiskWatchTime());
            foreach (var o in _link.Outages) { Consider(o.From); Consider(o.Until); }
            foreach (var s in _slots) s.ConsiderTimes(Consider);
            if (probe < _probeTimes.Count) Consider(_probeTimes[probe]);
            Consider(nextSample);
            if (_nextCycle >= _now) next = SimTime.Min(next, SimTime.Max(_nextCycle, _now));

            _now = next;
            Grow();
            if (_now >= _nextCycle)
            {
                if (_node.SlotSync == SlotSyncMechanism.Native) SyncCycle();
                else if (_node.SlotSync == SlotSyncMechanism.PgFailoverSlots) FailoverSlotsCycle();
                else PatroniLoop();
            }
            if (_running && (_now >= _rpEndByTime || _rpEndByReplay.IsValid && Replayed(_now) >= _rpEndByReplay)) FinishRestartpoint();
            if (!_running && (_now >= _lastAttempt + _settings.CheckpointTimeout)) StartRestartpoint(CheckpointCause.Time);
            if (!_running && Replayed(_now) >= NextRequestLsn()) StartRestartpoint(CheckpointCause.Wal);
            while (probe < _probeTimes.Count && _probeTimes[probe] <= _now) { probe++; _probes.Add(Row(RowReason.Probe).Detach()); }
            if (_now >= nextSample)
            {
                _observer.OnTimelineRow(Row(RowReason.Sample));
                nextSample = new SimTime((_now.Microseconds / every + 1) * every);
            }
            if (_now >= _end) break;
        }
        _observer.OnTimelineRow(Row(RowReason.End));
        return Result();
    }

    /// <summary>
    /// The replay position at which the next WAL-volume request comes: the start of segment
    /// segno(RedoRecPtr) + CheckPointSegments (finishing the segment before it asks), or the next segment once past
    /// it (each finished segment asks again; a request that found nothing new to restart from is not repeated).
    /// </summary>
    private Lsn NextRequestLsn()
    {
        var threshold = _seg.StartOf(_seg.SegmentOf(_redoRecPtr) + _settings.CheckPointSegments);
        var replayed = Replayed(_now);
        return replayed < threshold ? threshold : _seg.StartOf(_seg.SegmentOf(replayed) + 1);
    }

    /// <summary>The walreceiver writes what it receives into segment files (<c>XLogFileInit</c> reuses recycled ones).</summary>
    private void Grow()
    {
        var received = Received(_now);
        // The walreceiver has written up to received: the segment holding its last byte (at a boundary the next
        // segment's file does not exist yet).
        if (received.IsValid) _dir = _dir.Through(_seg.PrevSegmentOf(received));
        TrackPeak();
        CheckDisk();
    }

    private DiskSpec? Disk => _node.Disk;

    private SimTime DiskWatchTime()
    {
        if (Disk is not { } d) return SimTime.Never;
        var best = SimTime.Never;
        var avail = d.Size.Bytes - d.OtherUsage.Bytes;
        if (_diskFull is null && avail >= 0) best = SimTime.Min(best, ReceivedTimeOf(_seg.StartOf(_dir.Oldest + (ulong)(avail / _seg.Bytes))));
        if (_readOnlyAt is null && d.ReadOnlyAtFraction is { } f)
        {
            var files = Math.Max(1, (long)Math.Ceiling((f * d.Size.Bytes - d.OtherUsage.Bytes) / _seg.Bytes));
            best = SimTime.Min(best, ReceivedTimeOf(_seg.StartOf(_dir.Oldest + (ulong)(files - 1))));
        }
        return best;
    }

    private void CheckDisk()
    {
        if (Disk is not { } d) return;
        var used = _dir.Bytes(_seg) + d.OtherUsage;
        if (_readOnlyAt is null && d.ReadOnlyAtFraction is { } f && used.Bytes >= f * d.Size.Bytes) _readOnlyAt = _now;
        if (_diskFull is null && used > d.Size)
        {
            _diskFull = _now;
            _observer.OnLogEvent(new LogEvent(_now, "disk_full", null,
                $"{_node.Name}: FATAL: could not write to file \"pg_wal/xlogtemp\": No space left on device (the walreceiver stops)"));
        }
    }

    private void TrackPeak()
    {
        var bytes = _dir.Bytes(_seg);
        if (bytes > _peakBytes) { _peakBytes = bytes; _peakFiles = _dir.Count; _peakAt = _now; }
    }

    // ---- Restartpoints.

    /// <summary><c>CreateRestartPoint</c>, first half: the newest replayed primary checkpoint, or a skip.</summary>
    private void StartRestartpoint(CheckpointCause cause)
    {
        _lastAttempt = _now;
        var replayed = Replayed(_now);
        CheckpointRecord? last = null;
        foreach (var c in _upstream.Checkpoints)
        {
            if (c.RecPtr > replayed) break;
            last = c;
        }
        if (last is null || last.Redo <= _controlRedo)
        {
            // "skipping restartpoint, already performed at …": a timed attempt comes again in 15 s.
            _skipped++;
            if (cause == CheckpointCause.Time)
                _lastAttempt = new SimTime(_now.Microseconds - _settings.CheckpointTimeout.Microseconds + RetryMicros);
            return;
        }
        _running = true;
        _cause = cause;
        _rpStart = _now;
        _lastRestartpointStart = _now;
        _rpCheckpoint = last;
        _redoRecPtr = last.Redo;
        foreach (var s in _slots) s.Update(this, _now);
        _rpSlotMin = SlotMinimum();
        // IsCheckpointOnSchedule measures a restartpoint's progress in replayed WAL.
        (_rpEndByTime, _rpEndByReplay) = Server.WritePhaseEnd(_scenario.CheckpointWrite, _settings, _now, replayed);
        if (_rpEndByTime <= _now) FinishRestartpoint();
    }

    /// <summary><c>CreateRestartPoint</c>, second half: pg_control, the estimate, and the retention pipeline at endptr,
    /// decided by <see cref="RestartpointDecision.Decide"/> — the function the real-server validation checks.</summary>
    private void FinishRestartpoint()
    {
        _running = false;
        var ckpt = _rpCheckpoint!;
        var redo = ckpt.Redo;
        var received = Received(_now);
        var replayed = Replayed(_now);
        _dir = _dir.Through(_seg.PrevSegmentOf(received));
        TrackPeak();
        foreach (var s in _slots) s.Update(this, _now);
        var node = new NodeWalState(_controlRedo, _estimate, _lastRemoved, _dir);
        var outcome = RestartpointDecision.Decide(_settings, new RestartpointInputs(node, redo, received, replayed)
        {
            Slots = _slots.Where(x => !x.Invalidated && x.RestartLsn.IsValid).Select(x => new RestartpointSlot(x.Spec.Name, x.RestartLsn)).ToList(),
            Streaming = Streaming(_now),
            KeepSlotMinimum = _policy.SlotMinimumSampling == SlotMinimumSampling.AtCheckpointEnd ? null : _rpSlotMin,
        })!; // never null: the start found a checkpoint newer than pg_control's redo
        var endptr = outcome.EndPtr;
        var keep = outcome.Checkpoint.Keep;
        var keepFirst = outcome.Checkpoint.KeepBeforeInvalidation;
        (_controlRedo, _estimate, _lastRemoved, _) = node.After(redo, outcome.Checkpoint);
        var distance = outcome.Checkpoint.DistanceBytes;
        var invalidated = new List<string>();
        foreach (var inv in outcome.Invalidated)
        {
            var s = _slots.First(x => x.Spec.Name == inv.Name);
            s.Invalidate(_now);
            if (s.Synced) _lostSeen.TryAdd(s.Spec.Name, _now); // the copy will be dropped and re-created: remember when it was lost
            invalidated.Add(inv.Name);
            _invalidations++;
            _observer.OnLogEvent(new LogEvent(_now, "slot_invalidated", inv.Name,
                $"{_node.Name}: invalidating obsolete replication slot \"{inv.Name}\" (restartpoint): its restart_lsn {inv.RestartLsn} exceeds the limit by {inv.ExceedsBy} bytes"));
        }
        var recycleSegNo = outcome.Checkpoint.RecycleSegNo;
        var removal = (Removed: outcome.Checkpoint.Removed, Recycled: outcome.Checkpoint.Recycled);
        var added = outcome.Checkpoint.Added;
        _dir = outcome.Checkpoint.After;
        _lastKeep = keep;
        _restartpoints++;
        // What the synchronized copies cost this standby (docs/design/failover.md §3.6 retained_by_copies): the segments this restartpoint
        // kept that KeepLogSeg would have let go without them.
        var withoutCopies = Lsn.Invalid;
        foreach (var sl in _slots)
            if (!sl.Synced && !sl.Invalidated && sl.RestartLsn.IsValid && (!withoutCopies.IsValid || sl.RestartLsn < withoutCopies)) withoutCopies = sl.RestartLsn;
        var keepWithout = Retention.KeepLogSeg(_settings, endptr, withoutCopies, _seg.SegmentOf(redo));
        if (keepWithout > keep)
        {
            var held = _seg.Size * (long)(keepWithout.Value - keep.Value);
            if (held > _peakHeldByCopies) _peakHeldByCopies = held;
        }
        _added += added;
        _removed += removal.Removed;
        _recycled += removal.Recycled;
        foreach (var s in _slots) s.Observe(this, endptr, SlotMinimum());
        var rec = new CheckpointRecord(++_number, _cause, _rpStart, _now, false, redo, ckpt.CheckpointLsn, endptr,
            keepFirst, keep, recycleSegNo, added, removal.Removed, removal.Recycled, _dir.Count,
            (long)(distance / 1024.0), (long)(_estimate / 1024.0), invalidated, null) { Restartpoint = true };
        _observer.OnCheckpoint(rec);
        _observer.OnTimelineRow(Row(RowReason.CheckpointEnd));
    }

    private SimTime _lastRestartpointStart = SimTime.Zero;

    /// <summary>
    /// The standby at the end of its run, as a promoted primary starts from it: its pg_wal (oldest and newest files),
    /// the last restartpoint's redo and when it started, its distance estimate, and its own physical slots.
    /// </summary>
    public (StartState Start, IReadOnlyList<SlotSpec> OwnSlots) PromotionState(Lsn switchPoint)
    {
        var seg = _seg.SegmentOf(switchPoint);
        var start = new StartState
        {
            InsertLsn = switchPoint,
            OldestFile = _dir.Oldest <= seg ? _dir.Oldest : seg,
            FilesAhead = _dir.Newest > seg ? (int)Math.Min(int.MaxValue, _dir.Newest.Value - seg.Value) : 0,
            RedoLsn = _controlRedo <= switchPoint ? _controlRedo : switchPoint,
            SinceLastCheckpoint = _now - _lastRestartpointStart,
            DistanceEstimate = new ByteCount((long)_estimate),
        };
        var own = _slots.Where(x => !x.Synced && x.Created && !x.Invalidated && x.RestartLsn.IsValid)
            .Select(x => x.Spec with { RestartLsn = x.RestartLsn, CreatedAt = SimTime.Zero }).ToList();
        return (start, own);
    }

    /// <summary>The copies the slot sync worker made (persistent or temporary), by remote name.</summary>
    public IEnumerable<(string Name, Lsn Restart, Lsn Confirmed, bool Temporary, bool Invalidated)> Copies =>
        _slots.Where(s => s.Synced).Select(s => (s.Spec.Name, s.RestartLsn, s.Confirmed, s.Temporary, s.Invalidated));

    /// <summary>
    /// One cycle of the 17+ slot sync worker (<c>synchronize_slots</c>, docs/design/failover.md §1.5, §3.3): copies of
    /// the primary's failover slots are dropped when the remote is gone or the local copy was invalidated while the
    /// remote is valid; then, in the primary's slot order, each remote whose confirmed_flush the standby has received
    /// is copied: a new copy is created temporary, reserving WAL at the remote restart_lsn (17.8+/18.2+: not before the
    /// standby's redo or slot minimum; before: not in a removed segment) and becomes persistent ("sync-ready") once the
    /// remote is at or past it and has moved since the copy was made (the catalog_xmin condition, approximated, U-F1);
    /// a persistent copy takes the remote's positions unless the remote is behind it. No cycle while the link is down.
    /// The worker then sleeps 200 ms after a cycle that changed something, else twice its last sleep, at most 30 s.
    /// </summary>
    private void SyncCycle()
    {
        if (!Streaming(_now))
        {
            // The worker cannot reach the primary; it tries again when the link is back.
            var back = _link.Outages.Where(o => _now >= o.From && _now < o.Until).Select(o => o.Until).DefaultIfEmpty(SimTime.Never).Min();
            _nextCycle = back;
            return;
        }
        var updated = false;
        var received = Received(_now);
        foreach (var copy in _slots.Where(x => x.Synced).ToList())
        {
            var r = _upstream.SlotAt(copy.Spec.Name, _now);
            if (r is not { Failover: true } || copy.Invalidated && !r.Value.Invalidated)
            {
                _slots.Remove(copy); // drop_local_obsolete_slots
                _observer.OnLogEvent(new LogEvent(_now, "sync_dropped", copy.Spec.Name, $"{_node.Name}: dropped replication slot \"{copy.Spec.Name}\" of database with OID 5"));
                updated = true;
            }
        }
        foreach (var name in _upstream.SlotNames)
        {
            if (_upstream.SlotAt(name, _now) is not { Failover: true } r) continue;
            var copy = _slots.FirstOrDefault(x => x.Spec.Name == name);
            if (copy is { Synced: false })
            {
                // "exiting from slot synchronization because same name slot … already exists on the standby"
                _observer.OnLogEvent(new LogEvent(_now, "slotsync_error", name, $"{_node.Name}: exiting from slot synchronization because same name slot \"{name}\" already exists on the standby"));
                _nextCycle = _now + SimDuration.FromSeconds(10);
                return;
            }
            if (r.Invalidated)
            {
                if (copy is { Invalidated: false }) { copy.Invalidate(_now); updated = true; }
                continue;
            }
            if (r.ConfirmedFlush > received) continue; // the standby has not received that far yet
            if (copy is null)
            {
                copy = StandbySlot.SyncedCopy(name, Reserve(r.RestartLsn), _now);
                _slots.Add(copy);
                updated = true;
            }
            if (copy.Invalidated) continue;
            if (copy.Temporary)
            {
                // The catalog_xmin condition, approximated (U-F1): the remote moved after the copy was made, or another
                // valid persistent copy already holds the standby's catalog horizon back (observed on 17.10/18.4).
                var horizonHeld = _slots.Any(x => x != copy && x.Synced && !x.Temporary && !x.Invalidated);
                if (NativeSlotSync.CanPersist(r.RestartLsn, copy.RestartLsn, r.At > copy.CreatedTime, horizonHeld))
                {
                    copy.Temporary = false;
                    copy.RestartLsn = r.RestartLsn;
                    copy.Confirmed = r.ConfirmedFlush;
                    copy.FirstSyncReady ??= _now;
                    _readySeen.TryAdd(name, _now);
                    _observer.OnLogEvent(new LogEvent(_now, "sync_ready", name, $"{_node.Name}: newly created replication slot \"{name}\" is sync-ready now"));
                    updated = true;
                }
            }
            else if (r.RestartLsn >= copy.RestartLsn && (r.RestartLsn != copy.RestartLsn || r.ConfirmedFlush != copy.Confirmed))
            {
                copy.RestartLsn = r.RestartLsn;
                copy.Confirmed = r.ConfirmedFlush;
                updated = true;
            }
        }
        _sleep = updated ? MinSleep : _sleep * 2 > MaxSleep ? MaxSleep : _sleep * 2;
        _nextCycle = _now + _sleep;
    }

    private string? _blockedOn; // pg_failover_slots: the new slot whose remote must catch up before anything else syncs

    /// <summary>
    /// One pass of the <c>pg_failover_slots</c> worker (docs/design/failover.md §1.4, §3.3; model only): every logical
    /// slot of the primary is copied; all copies take L, the restart_lsn of the furthest-behind remote (an invalidated
    /// one counts as 0 and then no copy moves); confirmed_flush is capped at what the standby has received; a copy never
    /// moves back. A new copy reserves at the standby's replay position (its redo before 16); if the remote is behind
    /// that, the worker waits for it (polling every 5 s) and syncs nothing else meanwhile. Every worker_nap_time;
    /// 10 s later when the standby has not received L yet.
    /// </summary>
    private void FailoverSlotsCycle()
    {
        var interval = _node.SlotSyncOptions.Interval;
        if (!Streaming(_now)) { _nextCycle = _now + SimDuration.FromSeconds(10); return; }
        var received = Received(_now);
        var remotes = _upstream.SlotNames.Select(n => (Name: n, Point: _upstream.SlotAt(n, _now))).Where(x => x.Point is { Logical: true }).Select(x => (x.Name, P: x.Point!.Value)).ToList();
        foreach (var copy in _slots.Where(x => x.Synced && remotes.All(r => r.Name != x.Spec.Name)).ToList()) _slots.Remove(copy);
        var l = Lsn.Invalid;
        var zero = false;
        foreach (var (_, p) in remotes)
        {
            if (p.Invalidated || !p.RestartLsn.IsValid) { zero = true; break; }
            if (!l.IsValid || p.RestartLsn < l) l = p.RestartLsn;
        }
        if (l.IsValid && received < l) { _nextCycle = _now + SimDuration.FromSeconds(10); return; }
        foreach (var (name, p) in remotes)
        {
            if (_blockedOn is { } blocked && blocked != name) continue;
            var conf = Lsn.Min(p.ConfirmedFlush, received);
            var rst = zero ? Lsn.Invalid : Lsn.Min(p.RestartLsn, l);
            var copy = _slots.FirstOrDefault(x => x.Spec.Name == name);
            if (copy is null)
            {
                var at = _policy.LogicalSlotOnStandbyReservesAtReplay ? Replayed(_now) : _redoRecPtr;
                copy = StandbySlot.SyncedCopy(name, at, _now);
                _slots.Add(copy);
            }
            if (copy.Temporary)
            {
                // wait_for_primary_slot_catchup: the remote must reach the copy's reservation.
                if (!rst.IsValid || rst < copy.RestartLsn) { _blockedOn = name; _nextCycle = _now + SimDuration.FromSeconds(5); return; }
                _blockedOn = null;
                copy.Temporary = false;
                copy.FirstSyncReady ??= _now;
                _readySeen.TryAdd(name, _now);
            }
            if (copy.Invalidated || !rst.IsValid || rst < copy.RestartLsn) continue; // "would move it backward"
            copy.RestartLsn = rst;
            if (conf > copy.Confirmed) copy.Confirmed = conf;
        }
        _nextCycle = _now + interval;
    }

    private readonly Dictionary<string, (SimTime At, Lsn Confirmed, Lsn Restart)> _published = new(StringComparer.Ordinal);

    /// <summary>How long after the leader's loop Patroni's replica loop runs (after_leader; half a loop by default).</summary>
    private SimDuration PatroniAfterLeader => _node.SlotSyncOptions.AfterLeader ?? _node.SlotSyncOptions.Interval * 0.5;

    /// <summary>
    /// Patroni's HA loop for permanent logical slots (docs/design/failover.md §1.3, §3.3; model only): the leader
    /// publishes each slot's confirmed_flush every loop_wait; after_leader later (half a loop unless the scenario says,
    /// e.g. 0 for a replica woken by its watch of the leader key) the replica copies a slot it lacks (a
    /// restart of the standby, copy_restart; usable only after that and one status interval, U-F3) or advances its copy
    /// to the published position, capped at its replay position; an invalidated copy is dropped and copied again.
    /// </summary>
    private void PatroniLoop()
    {
        var loop = _node.SlotSyncOptions.Interval;
        // The leader's loop after_leader ago (half a loop unless given) published the positions of then; none before
        // the scenario's start.
        var leaderAt = SimTime.Max(_now - PatroniAfterLeader, SimTime.Zero);
        foreach (var name in _upstream.SlotNames)
            if (_upstream.SlotAt(name, leaderAt) is { Logical: true, Permanent: true, Invalidated: false } p)
                _published[name] = (leaderAt, p.ConfirmedFlush, p.RestartLsn);
        var replayed = Replayed(_now);
        // Patroni 3.0's SlotsAdvanceThread.sync_slot re-copies only on SQLSTATE 58P01; an invalidated copy fails its
        // advance with 55000 and stays (lost_copy: keep). Later versions drop a lost permanent slot and copy it again.
        if (_node.SlotSyncOptions.RecopiesLostCopy)
            foreach (var copy in _slots.Where(x => x.Synced && x.Invalidated).ToList()) _slots.Remove(copy);
        foreach (var (name, pub) in _published)
        {
            var copy = _slots.FirstOrDefault(x => x.Spec.Name == name);
            if (copy is null)
            {
                if (!Streaming(_now)) continue;
                copy = StandbySlot.SyncedCopy(name, Lsn.Min(pub.Restart, replayed), _now);
                copy.Confirmed = Lsn.Min(pub.Confirmed, replayed);
                copy.ReadyAt = _now + _node.SlotSyncOptions.CopyRestart + _link.StatusInterval;
                _slots.Add(copy);
                continue;
            }
            var target = Lsn.Min(pub.Confirmed, replayed);
            if (!copy.Invalidated && target > copy.Confirmed)
            {
                copy.Confirmed = target;
                // pg_replication_slot_advance on the replica: restart_lsn follows, to at most the published restart_lsn.
                var restart = Lsn.Min(pub.Restart, target);
                if (restart > copy.RestartLsn) copy.RestartLsn = restart;
            }
            if (copy.Temporary && copy.ReadyAt is { } ready && _now >= ready)
            {
                copy.Temporary = false;
                copy.FirstSyncReady ??= _now;
                _readySeen.TryAdd(name, _now);
            }
        }
        _nextCycle = _now + loop;
    }

    /// <summary><c>reserve_wal_for_local_slot</c> for a new copy of a remote slot at <paramref name="remote"/>.</summary>
    private Lsn Reserve(Lsn remote) => NativeSlotSync.Reserve(_policy, remote, _redoRecPtr, SlotMinimum(), _lastRemoved, _seg);

    private Lsn SlotMinimum()
    {
        var min = Lsn.Invalid;
        foreach (var s in _slots)
            if (!s.Invalidated && s.RestartLsn.IsValid && (!min.IsValid || s.RestartLsn < min)) min = s.RestartLsn;
        return min;
    }

    private TimelineRow Row(RowReason reason)
    {
        var received = Received(_now);
        var slotMin = SlotMinimum();
        // pg_replication_slots on a standby: from a write position of 0 (Retention.StandbyWritePosition).
        var availability = WalAvailability.At(_settings, Retention.StandbyWritePosition, slotMin, _lastRemoved);
        var views = _slots.Select(s =>
        {
            var (status, safe) = _policy.ReportsWalStatus ? availability.SlotColumns(s.RestartLsn, s.Invalidated, s.Active(_now)) : (WalStatus.Null, null);
            return new SlotView(s.Spec.Name, s.Spec.Kind, s.RestartLsn, Lsn.Invalid, s.Active(_now), status, safe,
                s.RestartLsn.IsValid ? received - s.RestartLsn : ByteCount.Zero, s.Invalidated ? InvalidationCause.WalRemoved : InvalidationCause.None, null);
        }).ToList();
        return new TimelineRow(_now, reason, null, received, _controlRedo, _lastKeep, _dir.Count, _dir.Bytes(_seg),
            _dir.Oldest, _dir.Newest, _lastRemoved, views);
    }

    private SimulationResult Result()
    {
        var summary = new RunSummary(_now, _peakBytes, _peakFiles, _peakAt, _diskFull, _readOnlyAt,
            _restartpoints, _skipped, _invalidations, _added, _removed, _recycled, Received(_now));
        // Copies dropped during the run are gone from the list; what a failover finds is what is left.
        var slots = _slots.Select(s => new SlotSummary(s.Spec.Name, s.Spec.Kind, s.FirstExtended, s.FirstUnreserved,
            s.Synced && _lostSeen.TryGetValue(s.Spec.Name, out var lostAt) ? lostAt : s.Lost,
            s.Invalidated ? InvalidationCause.WalRemoved : InvalidationCause.None, s.PeakRetained)
        {
            Synced = s.Synced, FirstSyncReady = _readySeen.TryGetValue(s.Spec.Name, out var ready) ? ready : null,
        }).ToList();
        // The standby as a scenario of its own, for reports: its settings (the scenario's, its versions', its node's), volume and slots.
        var nodeScenario = _scenario with
        {
            Settings = Topology.SettingsOf(_scenario, _node, _policy.Version).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            VersionSettings = [],
            Disk = _node.Disk,
            Slots = _node.Slots,
            Nodes = [],
        };
        return new SimulationResult(nodeScenario, _policy, summary, slots, _probes, new Dictionary<int, CheckpointRecord>())
        {
            PeakRetainedBySyncedSlots = _peakHeldByCopies,
        };
    }

    /// <summary>
    /// A physical slot on the standby (a cascading standby's, or one a tool created): reserved at creation at the
    /// standby's RedoRecPtr (<c>ReplicationSlotReserveWal</c> in recovery), then moved by its consumer to what this
    /// standby had received <c>lag</c> ago, except during the consumer's outages; invalidated by the standby's own
    /// restartpoints (13+).
    /// </summary>
    private sealed class StandbySlot(SlotSpec spec)
    {
        public SlotSpec Spec { get; } = spec;
        public Lsn RestartLsn;
        public bool Invalidated;
        public bool Created;
        /// <summary>A copy made by the slot sync worker: its positions come from the primary's slot, not a consumer.</summary>
        public bool Synced;
        public bool Temporary;
        public Lsn Confirmed;
        public SimTime CreatedTime;
        public SimTime? FirstSyncReady;
        /// <summary>Patroni: when the copy becomes usable (after the standby's restart and a status report).</summary>
        public SimTime? ReadyAt;

        public static StandbySlot SyncedCopy(string name, Lsn restart, SimTime now) =>
            new(new SlotSpec { Name = name, Kind = SlotKind.Logical, Failover = true, Consumer = ConsumerSpec.None, CreatedAt = now })
            {
                Synced = true, Temporary = true, Created = true, RestartLsn = restart, CreatedTime = now,
            };
        public SimTime? FirstExtended, FirstUnreserved, Lost;
        public ByteCount PeakRetained;

        public bool Active(SimTime t) => Created && !Invalidated && Spec.Consumer.Connected && !Spec.Consumer.Outages.Any(o => t >= o.From && t < o.Until);

        public void Create(StandbyServer s, SimTime t)
        {
            if (Spec.CreatedAt > t) return;
            Created = true;
            RestartLsn = Spec.RestartLsn ?? (Spec.Reserve ? s._redoRecPtr : Lsn.Invalid);
            Update(s, t);
        }

        public void ConsiderTimes(Action<SimTime> consider)
        {
            if (!Created) consider(Spec.CreatedAt);
            foreach (var o in Spec.Consumer.Outages) { consider(o.From); if (!o.Until.IsNever) consider(o.Until); }
        }

        /// <summary>Where its consumer has confirmed by <paramref name="t"/> (never backwards).</summary>
        public void Update(StandbyServer s, SimTime t)
        {
            if (!Created && Spec.CreatedAt <= t) Create(s, t);
            if (!Created || Invalidated || !Spec.Consumer.Connected) return;
            var at = t;
            foreach (var o in Spec.Consumer.Outages)
                if (t >= o.From && t < o.Until) { at = o.From; break; }
            var confirmed = s.Received(at - Spec.Consumer.Lag < SimTime.Zero ? SimTime.Zero : at - Spec.Consumer.Lag);
            if (confirmed.Value > (ulong)Spec.Consumer.LagBytes.Bytes) confirmed = new Lsn(confirmed.Value - (ulong)Spec.Consumer.LagBytes.Bytes);
            if (confirmed > RestartLsn) RestartLsn = confirmed;
        }

        public void Invalidate(SimTime t)
        {
            // An invalidated slot's restart_lsn reads NULL (InvalidatePossiblyObsoleteSlot); it holds nothing.
            Invalidated = true;
            Lost ??= t;
            RestartLsn = Lsn.Invalid;
        }

        /// <summary>The slot's wal_status as the standby would show it after a restartpoint (milestones).</summary>
        public void Observe(StandbyServer s, Lsn writePos, Lsn slotMin)
        {
            if (!Created || !RestartLsn.IsValid) return;
            var retained = writePos - RestartLsn;
            if (retained > PeakRetained) PeakRetained = retained;
            if (!s._policy.ReportsWalStatus) return;
            // As the standby's pg_replication_slots shows it: from a write position of 0, a valid slot is reserved.
            var status = Retention.GetWalAvailability(s._settings, RestartLsn, Retention.StandbyWritePosition, slotMin, s._lastRemoved);
            if (Invalidated) status = WalStatus.Lost;
            if (status is WalStatus.Extended or WalStatus.Unreserved or WalStatus.Lost) FirstExtended ??= s._now;
            if (status is WalStatus.Unreserved or WalStatus.Lost) FirstUnreserved ??= s._now;
        }
    }
}

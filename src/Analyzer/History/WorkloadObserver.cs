using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.History;

/// <summary>
/// Reconstructs, frame by frame, the workload a recorded history shows: the WAL rate between readings, the
/// checkpoint rhythm, the write positions a workload is fitted to, and how each slot's consumer behaved — what
/// <c>replay</c> summarises and <c>forecast</c> and <c>plan</c> start from. One pass, in memory that does not grow
/// with the history, except the write positions, kept only when asked (<c>keepPositions</c>) for a fit (and the write
/// phases of the last <see cref="CheckpointWritePhases.Kept"/> checkpoints).
/// </summary>
/// <remarks>
/// The rate and the checkpoints are measured only between two readings of the same run of a primary: not across a
/// gap (a reconnect, a restart, an appended run), a timeline change, or on a standby.
/// </remarks>
public sealed class WorkloadObserver(bool keepPositions = false)
{
    private readonly List<WalObservation> _positions = [];
    private readonly RateStats _rates = new();
    private readonly Dictionary<string, SlotTrack> _slots = new(StringComparer.Ordinal);
    private SampleFrame? _last;
    private WalSegmentSize _seg;
    private int _checkpoints, _checkpointsByWal;
    private DateTimeOffset? _firstCheckpointTime, _lastCheckpointTime;
    private readonly Queue<(WritePhaseBounds, TimeSpan)> _writePhases = new();
    private readonly Queue<TimeSpan> _timedLateness = new();

    /// <summary>The timed checkpoints' lateness kept (the most recent: the machine's load now).</summary>
    public const int LatenessKept = 120;

    /// <summary>The first reading observed; null before any.</summary>
    public ServerSample? First { get; private set; }

    /// <summary>The last reading observed; null before any.</summary>
    public ServerSample? Last => _last?.Server;

    /// <summary>The last frame observed (its slots are those <see cref="SlotsAtEnd"/> describes).</summary>
    public SampleFrame? LastFrame => _last;

    /// <summary>Readings observed.</summary>
    public long Samples { get; private set; }

    /// <summary>
    /// The write position at each reading, on a clock whose zero is the first (server time); a reading after a gap is
    /// <c>AfterGap</c>. Empty unless the observer keeps positions.
    /// </summary>
    public IReadOnlyList<WalObservation> Positions => _positions;

    /// <summary>The redo distance of the last checkpoint seen (not across a gap): the best guess of
    /// <c>CheckPointDistanceEstimate</c>.</summary>
    public ByteCount LastRedoDistance { get; private set; } = ByteCount.Zero;

    /// <summary><paramref name="t"/> on the positions' clock (microseconds since the first reading).</summary>
    public SimTime Clock(DateTimeOffset t) => new((long)((t - First!.Value.ServerTime).Ticks / 10));

    /// <summary>
    /// Observes the next frame. <paramref name="settings"/>, the settings in force at it, tell a checkpoint requested
    /// by WAL volume (a new redo at or past <see cref="Retention.CheckpointRequestLsn"/> of the previous one) from others; without them none is counted so.
    /// </summary>
    public void Observe(SampleFrame frame, ServerSettings? settings = null)
    {
        var s = frame.Server;
        if (_last is { Server: var p })
        {
            var sameRun = !s.Gap && s.TimelineId == p.TimelineId && s.InRecovery == p.InRecovery && !s.InRecovery;
            if (sameRun)
            {
                var dt = (s.ServerTime - p.ServerTime).TotalSeconds;
                var written = s.HeadLsn - p.HeadLsn;
                if (dt > 0 && written.Bytes >= 0) _rates.Add(written.Bytes, dt);
                if (s.RedoLsn != p.RedoLsn) Checkpoint(p, s, settings);
            }
            if (!s.Gap && s.RedoLsn > p.RedoLsn) LastRedoDistance = s.RedoLsn - p.RedoLsn;
        }
        else
        {
            First = s;
            _seg = s.SegmentSize;
        }
        Samples++;
        if (keepPositions) _positions.Add(new WalObservation(Clock(s.ServerTime), s.HeadLsn, AfterGap: s.Gap && _positions.Count > 0));
        foreach (var slot in frame.Slots)
        {
            if (!_slots.TryGetValue(slot.Name, out var t)) _slots[slot.Name] = t = new SlotTrack(slot.Name, slot.Kind, s.ServerTime);
            t.Observe(s, slot, _seg, Samples);
        }
        _last = frame;
    }

    private void Checkpoint(ServerSample before, ServerSample after, ServerSettings? settings)
    {
        _checkpoints++;
        _firstCheckpointTime ??= after.CheckpointTime;
        _lastCheckpointTime = after.CheckpointTime;
        // Requested by WAL volume when the new redo is past the point XLogWrite requests one at: the start of the
        // segment CheckPointSegments after the previous redo's (retention-model.md §3.2) — up to a segment sooner than
        // a full CheckPointSegments of distance, which undercounted them. One rule, the engine's.
        var byWal = settings is not null && after.RedoLsn >= Retention.CheckpointRequestLsn(settings, before.RedoLsn);
        if (byWal) _checkpointsByWal++;
        // A timed one (not requested by WAL volume) right after the checkpoint the reading before showed: how late it
        // came after checkpoint_timeout. Both times are time(NULL) at the start (CreateCheckPoint's checkPoint.time).
        else if (settings is not null)
        {
            var timeout = TimeSpan.FromTicks(settings.CheckpointTimeout.Microseconds * 10);
            var interval = after.CheckpointTime - before.CheckpointTime;
            if (interval >= timeout - TimeSpan.FromSeconds(1) && interval < timeout * 1.5)
            {
                _timedLateness.Enqueue(interval - timeout);
                if (_timedLateness.Count > LatenessKept) _timedLateness.Dequeue();
            }
        }
        _writePhases.Enqueue((WritePhaseBounds.Between(before.ServerTime, after.ServerTime, after.CheckpointTime), after.ServerTime - before.ServerTime));
        if (_writePhases.Count > CheckpointWritePhases.Kept) _writePhases.Dequeue();
    }

    /// <summary>The WAL rate between consecutive readings of one run (gaps excluded).</summary>
    public WalRateSummary Rates => _rates.Summary();

    /// <summary>Checkpoints seen (a new redo pointer between two readings of one run), and the mean interval.</summary>
    public CheckpointRhythm Rhythm =>
        new(_checkpoints, _checkpointsByWal, _checkpoints > 1 && _firstCheckpointTime is { } f && _lastCheckpointTime is { } l ? (l - f) / (_checkpoints - 1) : null);

    /// <summary>How much later than checkpoint_timeout after the one before each of the last timed checkpoints started
    /// (whole seconds: checkpoint_time is <c>time(NULL)</c>; negative across a second boundary), only where one
    /// checkpoint lay between the two readings and the interval was less than one and a half timeouts (a longer one
    /// hides a skipped checkpoint of an idle server). What a forecast's checkpoints draw their timing from.</summary>
    public IReadOnlyList<TimeSpan> TimedLateness => [.. _timedLateness];

    /// <summary>How long the last checkpoints seen took to write (bounded by the readings around each), and so the write
    /// phase a forecast assumes.</summary>
    public CheckpointWritePhases WritePhases => CheckpointWritePhases.Of(_writePhases);

    /// <summary>Every slot seen, by name: how its consumer behaved over the whole history.</summary>
    public IReadOnlyList<SlotBehaviour> SlotBehaviours =>
        [.. _slots.Values.Select(t => t.Behaviour()).OrderBy(x => x.Name, StringComparer.Ordinal)];

    /// <summary>The slots of the last frame, each with its consumer's state there (what a forecast carries forward).</summary>
    public IReadOnlyList<SlotAtEnd> SlotsAtEnd()
    {
        if (_last is not { } last) return [];
        return [.. last.Slots.Select(s => _slots[s.Name].AtEnd(s, last.Server, last.Server.SegmentSize))];
    }

    /// <summary>
    /// One slot's consumer, two ways. Over the whole history (<see cref="SlotBehaviour"/>): how far behind, how often
    /// connected, its longest stall (restart_lsn not moving while a segment or more was written), its wal_status
    /// milestones. And recently (<see cref="SlotAtEnd"/>): its lag over the last readings and whether it is stalled
    /// now; that view starts again when the slot is dropped and created again.
    /// </summary>
    private sealed class SlotTrack(string name, SlotKind kind, DateTimeOffset firstSeen)
    {
        // Over the whole history.
        private long _samples, _active;
        private long _maxBehind;
        private Lsn _lastRestart;
        private readonly DateTimeOffset _firstSeen = firstSeen;
        private DateTimeOffset _lastSeen = firstSeen;
        private DateTimeOffset? _stallSince;
        private TimeSpan _longestStall;
        private DateTimeOffset? _longestStallFrom;
        private DateTimeOffset? _firstExtended, _firstUnreserved, _firstLost;
        private WalStatus? _lastStatus;

        // Recently, since the slot last appeared.
        private long _lastReading;                     // the observer's reading number it was last in
        private readonly Queue<long> _lags = new();    // the last 60 readings
        private Lsn _position;
        private bool _moved;                           // its position changed since it appeared
        private DateTimeOffset _movedAt;
        private Lsn _headAtMove;
        private TimeSpan _longestPause;                // the longest time between two moves while it kept moving
        private readonly List<TimeSpan> _pauses = [];  // every time between two moves longer than its rhythm's (PauseThreshold), since it appeared
        private readonly Queue<TimeSpan> _gaps = new(); // the last 60 times between two moves (its usual confirmation rhythm)
        private readonly List<long> _gapTicks = [];    // the same in ticks, ascending: PauseThreshold runs at every move of every slot
        private int _readingsSinceMove;                // readings since its position last changed

        public void Observe(ServerSample s, SlotSample slot, WalSegmentSize seg, long reading)
        {
            _samples++;
            if (slot.Active) _active++;
            var head = s.HeadLsn;
            if (slot.RestartLsn.IsValid && head.IsValid) _maxBehind = Math.Max(_maxBehind, (head - slot.RestartLsn).Bytes);
            // A stall: restart_lsn did not move while at least a segment of WAL was written.
            if (slot.RestartLsn == _lastRestart && slot.RestartLsn.IsValid)
            {
                if (_stallSince is null && (head - slot.RestartLsn).Bytes >= seg.Bytes) _stallSince = _lastSeen;
            }
            else _stallSince = null;
            if (_stallSince is { } since && s.ServerTime - since > _longestStall)
            {
                _longestStall = s.ServerTime - since;
                _longestStallFrom = since;
            }
            if (slot.WalStatus is { } w)
            {
                if (w >= WalStatus.Extended) _firstExtended ??= s.ServerTime;
                if (w >= WalStatus.Unreserved) _firstUnreserved ??= s.ServerTime;
                if (w == WalStatus.Lost) _firstLost ??= s.ServerTime;
                _lastStatus = w;
            }
            _lastRestart = slot.RestartLsn;
            _lastSeen = s.ServerTime;

            // Missing from the reading before: dropped meanwhile, so this is another consumer.
            if (_lastReading != 0 && _lastReading != reading - 1) ForgetRecent();
            _lastReading = reading;
            // The consumer's own position: confirmed_flush_lsn for a logical slot (restart_lsn trails it by design).
            var pos = slot.Kind == SlotKind.Logical && slot.ConfirmedFlushLsn.IsValid ? slot.ConfirmedFlushLsn : slot.RestartLsn;
            if (pos != _position)
            {
                if (_position.IsValid)
                {
                    var gap = s.ServerTime - _movedAt;
                    _longestPause = TimeSpan.FromTicks(Math.Max(_longestPause.Ticks, gap.Ticks));
                    _moved = true;
                    if (gap > PauseThreshold()) _pauses.Add(gap);
                    AddGap(gap);
                }
                _position = pos;
                _movedAt = s.ServerTime;
                _headAtMove = s.HeadLsn;
                _readingsSinceMove = 0;
            }
            else _readingsSinceMove++;
            if (pos.IsValid && s.HeadLsn.IsValid)
            {
                _lags.Enqueue(Math.Max(0, (s.HeadLsn - pos).Bytes));
                if (_lags.Count > 60) _lags.Dequeue();
            }
        }

        private void ForgetRecent()
        {
            _lags.Clear();
            _position = default;
            _moved = false;
            _movedAt = default;
            _headAtMove = default;
            _longestPause = default;
            _pauses.Clear();
            _gaps.Clear();
            _gapTicks.Clear();
        }

        private void AddGap(TimeSpan gap)
        {
            _gaps.Enqueue(gap);
            Insert(_gapTicks, gap.Ticks);
            if (_gaps.Count > 60) _gapTicks.RemoveAt(_gapTicks.BinarySearch(_gaps.Dequeue().Ticks));

            static void Insert(List<long> sorted, long ticks)
            {
                var at = sorted.BinarySearch(ticks);
                sorted.Insert(at < 0 ? ~at : at, ticks);
            }
        }

        public SlotBehaviour Behaviour() => new(name, kind, _firstSeen, _lastSeen, _samples, _samples == 0 ? 0 : (double)_active / _samples,
            new ByteCount(_maxBehind), _longestStall, _longestStallFrom, _stallSince is not null, _firstExtended, _firstUnreserved, _firstLost, _lastStatus);

        public SlotAtEnd AtEnd(SlotSample slot, ServerSample s, WalSegmentSize seg)
        {
            // Stalled: not moved for longer than three times its longest time between moves, and three of its pause
            // thresholds (its own rhythm, not a fixed minute: a consumer that confirms every second and has stopped
            // is seen as stopped within seconds, so a loss soon after the stop can be forecast), while a segment or
            // more was written — a consumer that confirms every 10 s is not stalled between two confirmations. A slot
            // nobody is connected to that never moved since it appeared has no consumer to wait for: stalled from its
            // first reading (a slot created and forgotten), however short the history.
            var unmoved = s.ServerTime - _movedAt;
            var threshold = TimeSpan.FromTicks(Math.Max(3 * PauseThreshold().Ticks, 3 * _longestPause.Ticks));
            var neverConsumed = _position.IsValid && !_moved && !slot.Active;
            var state = slot.WalStatus == WalStatus.Lost || slot.InvalidationReason is not null ? ConsumerState.Lost
                : !_position.IsValid || neverConsumed || (unmoved > threshold && (s.HeadLsn - _headAtMove).Bytes >= seg.Bytes) ? ConsumerState.Stalled
                : ConsumerState.KeepsUp;
            var (paused, stop, resumed) = state == ConsumerState.KeepsUp ? CurrentPause(unmoved, (s.HeadLsn - _headAtMove).Bytes >= seg.Bytes) : (TimeSpan.Zero, 0.0, (IReadOnlyList<TimeSpan>)[]);
            // A paused consumer that comes back keeps the lag it kept before the pause, not the one the pause built up.
            var lags = (paused > TimeSpan.Zero ? _lags.Take(Math.Max(0, _lags.Count - _readingsSinceMove)) : _lags).Order().ToList();
            var typical = lags.Count == 0 ? 0 : lags[(lags.Count - 1) / 2];
            return new SlotAtEnd(slot.Name, slot.Kind, slot.RestartLsn, slot.ConfirmedFlushLsn, slot.Active, slot.WalStatus, state,
                new ByteCount(typical), state == ConsumerState.Stalled ? _movedAt : null)
            {
                NeverMoved = state == ConsumerState.Stalled && neverConsumed,
                InactiveSince = slot.Active ? null : slot.InactiveSince,
                PausedFor = paused,
                StopProbability = state == ConsumerState.Stalled ? 1 : stop,
                EarlierPauses = resumed,
                PausesSeen = _pauses.Count,
            };
        }

        /// <summary>Before the consumer has shown a rhythm (no time between two moves yet): two of
        /// wal_receiver_status_interval's default 10 s (a consumer that confirms every 10 s does not pause between two
        /// confirmations).</summary>
        private static readonly TimeSpan PauseWithoutRhythm = TimeSpan.FromSeconds(20);

        /// <summary>
        /// A pause is a time between two moves longer than every one of the consumer's recent ordinary ones (the last
        /// 60 times between moves, those within three times their median): if its ordinary times are alike, the next
        /// exceeds the longest of N of them with probability 1 / (N + 1) — under 2 % for 60 — so a longer silence is a
        /// pause or a stop, not its rhythm. E.g. times of 1 s (×331), 2 s (×68) and 3 s (×2) between moves: a pause
        /// is over 3 s, and a 13-s hiccup of a busy machine is one. Before any rhythm is seen:
        /// <see cref="PauseWithoutRhythm"/>.
        /// </summary>
        private TimeSpan PauseThreshold()
        {
            if (_gapTicks.Count == 0) return PauseWithoutRhythm;
            var usual = TimeSpan.FromTicks(_gapTicks[(_gapTicks.Count - 1) / 2]);
            var limit = (3 * usual).Ticks;
            // The largest time at or under the limit, read off the sorted copy (sorting the 60 at every move of 100
            // slots on every scrape was a fifth of reading a month of Prometheus history).
            var at = _gapTicks.BinarySearch(limit);
            if (at < 0) at = ~at - 1;
            return at >= 0 ? TimeSpan.FromTicks(_gapTicks[at]) : _gaps.Where(g => g <= 3 * usual).Max(); // none (negative times): Max's own error
        }

        /// <summary>
        /// A consumer that keeps up by the stall rule but has not moved for a while, with WAL written meanwhile, may
        /// have stopped for good. Bayes, with even odds that a pause is the final one: a pause that ends lasts this
        /// long with the chance its earlier pauses show, S = (n + 1) / (k + 2) when n of its k earlier pauses lasted
        /// as long (Laplace's rule), so P(final) = 1 / (1 + S) = (k + 2) / (k + n + 3) — two thirds for a consumer
        /// that never paused before, 0.8 for one whose two earlier pauses were both shorter, falling as more earlier
        /// pauses outlasted this one. A pause counts once it is longer than <see cref="PauseThreshold"/>.
        /// </summary>
        private (TimeSpan Paused, double StopProbability, IReadOnlyList<TimeSpan> Resumed) CurrentPause(TimeSpan unmoved, bool walWritten)
        {
            if (!walWritten || !_position.IsValid || unmoved <= PauseThreshold()) return (TimeSpan.Zero, 0, []);
            var longer = _pauses.Where(p => p >= unmoved).ToList();
            return (unmoved, (_pauses.Count + 2.0) / (_pauses.Count + longer.Count + 3), longer);
        }

        /// <summary>Pauses (<see cref="PauseThreshold"/>) since the slot appeared.</summary>
        public int PausesSeen => _pauses.Count;
    }

    /// <summary>The WAL rate between consecutive readings: total, peak, and a log-scale histogram for quantiles.</summary>
    private sealed class RateStats
    {
        private const int PerDecade = 20;
        private readonly long[] _buckets = new long[12 * PerDecade]; // 1 B/s .. 10^12 B/s
        private double _bytes, _seconds, _peak;
        private long _intervals;

        public void Add(long bytes, double seconds)
        {
            _bytes += bytes;
            _seconds += seconds;
            _intervals++;
            var rate = bytes / seconds;
            _peak = Math.Max(_peak, rate);
            var i = rate < 1 ? 0 : Math.Clamp((int)(Math.Log10(rate) * PerDecade), 0, _buckets.Length - 1);
            _buckets[i]++;
        }

        public WalRateSummary Summary() => new(new ByteCount((long)_bytes), TimeSpan.FromSeconds(_seconds),
            _seconds > 0 ? _bytes / _seconds : 0, Quantile(0.5), Quantile(0.95), _peak, _intervals);

        // The geometric middle of the bucket holding the quantile: within ±6 % of the true value.
        private double Quantile(double q)
        {
            if (_intervals == 0) return 0;
            var target = (long)Math.Ceiling(q * _intervals);
            long seen = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                seen += _buckets[i];
                if (seen >= target) return i == 0 ? 0 : Math.Pow(10, (i + 0.5) / PerDecade);
            }
            return _peak;
        }
    }
}

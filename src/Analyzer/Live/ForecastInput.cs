using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Analyzer.Live;

/// <summary>How a slot's consumer behaved at the end of the samples, which a forecast carries forward.</summary>
public enum ConsumerState
{
    /// <summary>restart_lsn (or confirmed_flush_lsn) kept moving: the consumer keeps up, with the lag it showed.</summary>
    KeepsUp,
    /// <summary>It has not moved while at least a segment of WAL was written: the consumer is gone, for now.</summary>
    Stalled,
    /// <summary>Already invalidated: nothing left to forecast.</summary>
    Lost,
}

/// <summary>A slot as the last sample showed it, and its consumer's recent behaviour.</summary>
public sealed record SlotAtEnd(string Name, SlotKind Kind, Lsn RestartLsn, Lsn ConfirmedFlushLsn, bool Active,
    WalStatus? WalStatus, ConsumerState Consumer, ByteCount TypicalLag, DateTimeOffset? StalledSince);

/// <summary>
/// What a forecast starts from, read from a sample file up to a point: the WAL positions over time (for the workload
/// fit), the settings in force, and the cluster as the last sample saw it — pg_wal's files, the last checkpoint, each
/// slot and whether its consumer keeps up.
/// </summary>
public sealed class ForecastInput
{
    private ForecastInput(List<WalObservation> observations, ServerSample first, ServerSample last, IReadOnlyDictionary<string, string> settings,
        IReadOnlyList<SlotAtEnd> slots, long samples, ByteCount lastRedoDistance)
    {
        LastRedoDistance = lastRedoDistance;
        Observations = observations;
        First = first;
        Last = last;
        Settings = settings;
        Slots = slots;
        Samples = samples;
    }

    /// <summary>The write position at each sample, on a clock whose zero is the first sample (server time).</summary>
    public IReadOnlyList<WalObservation> Observations { get; }
    public ServerSample First { get; }
    public ServerSample Last { get; }
    /// <summary>The retention settings in force at the last sample, as PostgreSQL text values.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }
    public IReadOnlyList<SlotAtEnd> Slots { get; }
    public long Samples { get; }
    /// <summary>The redo distance of the last checkpoint seen: the best guess of <c>CheckPointDistanceEstimate</c>.</summary>
    public ByteCount LastRedoDistance { get; }
    public PgVersion Version => Last.Version;
    public WalSegmentSize SegmentSize => Last.SegmentSize;

    /// <summary>The sample clock's time of the last sample (the forecast's "now").</summary>
    public SimTime Now => Clock(Last.ServerTime);

    public SimTime Clock(DateTimeOffset t) => new((long)((t - First.ServerTime).Ticks / 10));

    /// <summary>Reads <paramref name="frames"/> (one primary's samples) up to <paramref name="until"/>.</summary>
    public static ForecastInput Read(string fileName, IEnumerable<SampleFrame> frames, IReadOnlyList<SettingSample> settingRows,
        ReplayLimit until = default)
    {
        var observations = new List<WalObservation>();
        ServerSample? first = null;
        SampleFrame? last = null;
        var tracks = new Dictionary<string, Track>(StringComparer.Ordinal);
        long samples = 0;
        var lastDistance = ByteCount.Zero;
        foreach (var frame in frames)
        {
            var s = frame.Server;
            if (first is { } f0 && until.Reached(f0.ServerTime, s.ServerTime)) break;
            if (s.InRecovery)
                throw new SampleFileException(fileName, 0, "in_recovery", $"sample {s.Sample} is from a standby: forecasts are for a primary's slots and pg_wal (sample the primary)");
            if (first is { } f && (s.Version.Major != f.Version.Major || s.SegmentSize != f.SegmentSize))
                throw new SampleFileException(fileName, 0, "server_version", $"sample {s.Sample}: the server changed from PostgreSQL {f.Version} to {s.Version}; forecast from one major version's samples");
            if (last is { } prev && !s.Gap && s.RedoLsn != prev.Server.RedoLsn && s.RedoLsn > prev.Server.RedoLsn)
                lastDistance = s.RedoLsn - prev.Server.RedoLsn;
            first ??= s;
            samples++;
            var at = new SimTime((long)((s.ServerTime - first.Value.ServerTime).Ticks / 10));
            if (observations.Count > 0 && at < observations[^1].At)
                throw new SampleFileException(fileName, 0, "server_time", $"sample {s.Sample}: the server's clock went back; forecasts need a steady clock");
            observations.Add(new WalObservation(at, s.HeadLsn, AfterGap: s.Gap && observations.Count > 0));
            foreach (var slot in frame.Slots)
            {
                if (!tracks.TryGetValue(slot.Name, out var t)) tracks[slot.Name] = t = new Track();
                t.Observe(s, slot);
            }
            // Slots dropped since are forgotten.
            if (tracks.Count > frame.Slots.Count)
                foreach (var name in tracks.Keys.Where(n => frame.Slot(n) is null).ToList()) tracks.Remove(name);
            last = frame;
        }
        if (first is null || last is null) throw new SampleFileException(fileName, 0, "", "no samples to forecast from");

        var settings = SampledSettings.From(settingRows, last.Server.Version).ChangesThrough(last.Server.Sample)
            .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        var seg = last.Server.SegmentSize;
        var slots = last.Slots.Select(s => tracks[s.Name].AtEnd(s, last.Server, seg)).ToList();
        return new ForecastInput(observations, first.Value, last.Server, settings, slots, samples, lastDistance);
    }

    /// <summary>Per slot: the recent lag behind the write position, and how long it has not moved.</summary>
    private sealed class Track
    {
        private readonly Queue<long> _lags = new();    // the last 60 readings
        private Lsn _position;
        private DateTimeOffset _movedAt;
        private Lsn _headAtMove;
        private TimeSpan _longestPause;                // the longest time between two moves while it kept moving

        public void Observe(ServerSample s, SlotSample slot)
        {
            // The consumer's own position: confirmed_flush_lsn for a logical slot (restart_lsn trails it by design).
            var pos = slot.Kind == SlotKind.Logical && slot.ConfirmedFlushLsn.IsValid ? slot.ConfirmedFlushLsn : slot.RestartLsn;
            if (pos != _position)
            {
                if (_position.IsValid) _longestPause = TimeSpan.FromTicks(Math.Max(_longestPause.Ticks, (s.ServerTime - _movedAt).Ticks));
                _position = pos;
                _movedAt = s.ServerTime;
                _headAtMove = s.HeadLsn;
            }
            if (pos.IsValid && s.HeadLsn.IsValid)
            {
                _lags.Enqueue(Math.Max(0, (s.HeadLsn - pos).Bytes));
                if (_lags.Count > 60) _lags.Dequeue();
            }
        }

        public SlotAtEnd AtEnd(SlotSample slot, ServerSample s, WalSegmentSize seg)
        {
            // Stalled: not moved for longer than three of its usual pauses (at least a minute) while a segment or more
            // was written — a consumer that confirms every 10 s is not stalled between two confirmations.
            var unmoved = s.ServerTime - _movedAt;
            var threshold = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, 3 * _longestPause.Ticks));
            var state = slot.WalStatus == WalStatus.Lost || slot.InvalidationReason is not null ? ConsumerState.Lost
                : !_position.IsValid || (unmoved > threshold && (s.HeadLsn - _headAtMove).Bytes >= seg.Bytes) ? ConsumerState.Stalled
                : ConsumerState.KeepsUp;
            var lags = _lags.Order().ToList();
            var typical = lags.Count == 0 ? 0 : lags[(lags.Count - 1) / 2];
            return new SlotAtEnd(slot.Name, slot.Kind, slot.RestartLsn, slot.ConfirmedFlushLsn, slot.Active, slot.WalStatus, state,
                new ByteCount(typical), state == ConsumerState.Stalled ? _movedAt : null);
        }
    }
}

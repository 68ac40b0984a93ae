using Walsim.Analyzer.History;
using Walsim.Simulator.Forecasting;

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
    WalStatus? WalStatus, ConsumerState Consumer, ByteCount TypicalLag, DateTimeOffset? StalledSince)
{
    /// <summary>Stalled because it is inactive and never moved since it was first seen: its stall began before that
    /// (<see cref="StalledSince"/> is its first reading), perhaps when it was created and forgotten.</summary>
    public bool NeverMoved { get; init; }

    /// <summary>The sampled <c>inactive_since</c> (17+) of a slot nobody is connected to: what 18's
    /// <c>idle_replication_slot_timeout</c> counts from.</summary>
    public DateTimeOffset? InactiveSince { get; init; }

    /// <summary>A consumer that keeps up but has not moved for a while: how long (zero when it is not paused).</summary>
    public TimeSpan PausedFor { get; init; }

    /// <summary>The chance that the consumer does not come back: 1 when <see cref="ConsumerState.Stalled"/>, 0 when it
    /// keeps up unpaused, in between for a current pause (<see cref="PausedFor"/>): (k + 2) / (k + n + 3) with k
    /// <see cref="PausesSeen"/> and n of them as long as this one (<see cref="EarlierPauses"/>).</summary>
    public double StopProbability { get; init; }

    /// <summary>The consumer's earlier pauses at least as long as the current one, all of which ended: how long the
    /// current one may last if it ends too.</summary>
    public IReadOnlyList<TimeSpan> EarlierPauses { get; init; } = [];

    /// <summary>All the consumer's earlier pauses (silences longer than its usual rhythm between moves), those that ended sooner included.</summary>
    public int PausesSeen { get; init; }
}

/// <summary>The archiver as the last sample showed it (<c>pg_stat_archiver</c>).</summary>
/// <param name="Failing">archive_command fails now: the last WAL it failed on is newer than the last it archived
/// (pgarch archives oldest first, so it is stuck on that one).</param>
/// <param name="LastArchived">The newest segment archived, when it names one.</param>
/// <param name="FailedCount">failed_count at the last sample.</param>
public sealed record ArchiverAtEnd(bool Failing, SegmentNumber? LastArchived, long FailedCount)
{
    public static ArchiverAtEnd Of(ServerSample s)
    {
        var seg = s.SegmentSize;
        SegmentNumber? archived = s.LastArchivedWal is { } a && a.Length >= 24 && seg.TryParseFileName(a.AsSpan(0, 24), out var an) ? an : null;
        SegmentNumber? failed = s.LastFailedWal is { } f && f.Length >= 24 && seg.TryParseFileName(f.AsSpan(0, 24), out var fn) ? fn : null;
        return new ArchiverAtEnd(failed is { } x && (archived is not { } y || x > y), archived, s.ArchiveFailedCount);
    }
}

/// <summary>
/// What a forecast starts from, read from a sample file up to a point: the WAL positions over time (for the workload
/// fit), the settings in force, and the cluster as the last sample saw it — pg_wal's files, the last checkpoint, each
/// slot and whether its consumer keeps up.
/// </summary>
public sealed class ForecastInput(IReadOnlyList<WalObservation> observations, ServerSample first, ServerSample last,
    IReadOnlyDictionary<string, string> settings, IReadOnlyList<SlotAtEnd> slots, long samples, ByteCount lastRedoDistance,
    CheckpointRhythm checkpoints, CheckpointWritePhases writePhases)
{
    /// <summary>The write position at each sample, on a clock whose zero is the first sample (server time).</summary>
    public IReadOnlyList<WalObservation> Observations { get; } = observations;
    public ServerSample First { get; } = first;
    public ServerSample Last { get; } = last;
    /// <summary>The retention settings in force at the last sample, as PostgreSQL text values.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; } = settings;
    public IReadOnlyList<SlotAtEnd> Slots { get; } = slots;
    public long Samples { get; } = samples;
    /// <summary>The redo distance of the last checkpoint seen: the best guess of <c>CheckPointDistanceEstimate</c>.</summary>
    public ByteCount LastRedoDistance { get; } = lastRedoDistance;
    /// <summary>The checkpoints the samples show: how many, how many requested by WAL volume, how often.</summary>
    public CheckpointRhythm Checkpoints { get; } = checkpoints;
    /// <summary>How late after checkpoint_timeout the timed ones came (<see cref="WorkloadObserver.TimedLateness"/>).</summary>
    public IReadOnlyList<TimeSpan> TimedCheckpointLateness { get; init; } = [];
    /// <summary>How long they took to write, and so the <see cref="CheckpointWrite"/> the forecast assumes.</summary>
    public CheckpointWritePhases WritePhases { get; } = writePhases;
    public PgVersion Version => Last.Version;
    public WalSegmentSize SegmentSize => Last.SegmentSize;

    /// <summary>The archiver at the last sample: failing or not.</summary>
    public ArchiverAtEnd Archiver => ArchiverAtEnd.Of(Last);

    /// <summary>The sample clock's time of the last sample (the forecast's "now").</summary>
    public SimTime Now => Clock(Last.ServerTime);

    public SimTime Clock(DateTimeOffset t) => new((long)((t - First.ServerTime).Ticks / 10));

    /// <summary>Reads <paramref name="history"/> (one primary's) up to <paramref name="until"/>.</summary>
    public static ForecastInput Read(IRecordedHistory history, ReplayLimit until = default) =>
        Read(history.Name, history.Frames(), history.Settings, until);

    /// <summary>Reads <paramref name="frames"/> (one primary's samples) up to <paramref name="until"/>.</summary>
    public static ForecastInput Read(string fileName, IEnumerable<SampleFrame> frames, IReadOnlyList<SettingSample> settingRows,
        ReplayLimit until = default)
    {
        var workload = new WorkloadObserver(keepPositions: true);
        var inForce = new SettingsInForce(settingRows);
        foreach (var frame in frames)
        {
            var s = frame.Server;
            if (workload.First is { } f0 && until.Reached(f0.ServerTime, s.ServerTime)) break;
            if (s.InRecovery)
                throw new SampleFileException(fileName, 0, "in_recovery", $"sample {s.Sample} is from a standby: forecasts are for a primary's slots and pg_wal (sample the primary)");
            if (workload.First is { } f && (s.Version.Major != f.Version.Major || s.SegmentSize != f.SegmentSize))
                throw new SampleFileException(fileName, 0, "server_version", $"sample {s.Sample}: the server changed from PostgreSQL {f.Version} to {s.Version}; forecast from one major version's samples");
            if (workload.Positions.Count > 0 && workload.Clock(s.ServerTime) < workload.Positions[^1].At)
                throw new SampleFileException(fileName, 0, "server_time", $"sample {s.Sample}: the server's clock went back; forecasts need a steady clock");
            workload.Observe(frame, inForce.At(s));
        }
        if (workload.First is not { } first || workload.Last is not { } last) throw new SampleFileException(fileName, 0, "", "no samples to forecast from");

        var settings = SampledSettings.From(settingRows, last.Version).ChangesThrough(last.Sample)
            .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        return new ForecastInput(workload.Positions, first, last, settings, workload.SlotsAtEnd(), workload.Samples, workload.LastRedoDistance,
            workload.Rhythm, workload.WritePhases) { TimedCheckpointLateness = workload.TimedLateness };
    }

    /// <summary>
    /// The settings at each reading, which tell a checkpoint requested by WAL volume from a timed one. Settings (or a
    /// version) the model refuses only leave that count out here: they are reported where the scenario is built.
    /// </summary>
    private sealed class SettingsInForce(IReadOnlyList<SettingSample> rows)
    {
        private SampledSettings? _sampled;
        private ServerSettings? _settings;
        private bool _refused;

        public ServerSettings? At(ServerSample s)
        {
            if (_refused) return null;
            try
            {
                if (_sampled is null)
                {
                    _sampled = SampledSettings.From(rows, s.Version);
                    _settings = ServerSettings.Create(RetentionPolicy.For(s.Version), s.SegmentSize, _sampled.ChangesThrough(s.Sample));
                }
                else if (_sampled.ChangesThrough(s.Sample) is { Count: > 0 } changes) _settings = _settings!.With(changes);
                return _settings;
            }
            catch (Exception e) when (e is SettingException or ArgumentOutOfRangeException)
            {
                _refused = true;
                return null;
            }
        }
    }
}

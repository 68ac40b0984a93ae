using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;

namespace Walsim.Analyzer.History;

/// <summary>
/// A PostgreSQL server log written with <c>log_checkpoints = on</c> (stderr, csvlog or jsonlog, told apart by its
/// first lines, not its name), read by <see cref="CheckpointLog"/>. It shows the checkpoints, the WAL position at
/// each one's start (its redo pointer: an LSN on 16+ and for restartpoints, else the logged distances summed) and the
/// slots they invalidated; not the files in pg_wal, the slot positions, the segment size or the settings before the
/// first reload (see <see cref="CheckpointLog.SourceDescription"/>). Its frames are one per checkpoint, with no slots.
/// </summary>
public sealed class ServerLogHistory : IRecordedHistory
{
    public static readonly HistorySource Source = new(
        "a PostgreSQL server log written with log_checkpoints = on and lc_messages = 'C' (stderr with a time in log_line_prefix, csvlog or jsonlog)",
        Recognises, Open);

    private PgVersion? _version;
    private bool _versionRead;
    private IReadOnlyList<SettingSample>? _settings;

    private ServerLogHistory(string path, LogFormat format, HistoryOptions options)
    {
        Name = path;
        Format = format;
        Options = options;
    }

    public string Name { get; }
    public string Kind => "server log";
    public string Readings => "log_checkpoints";
    public HistoryEvidence Shows => HistoryEvidence.WalPositions | HistoryEvidence.Checkpoints | HistoryEvidence.SlotInvalidations;

    /// <summary>stderr, csvlog or jsonlog: as the user said (<c>--log-format</c>), else as the first lines show (each
    /// file of a rotated set is judged by its own).</summary>
    public LogFormat Format { get; }

    /// <summary>What the user said about the server that the log does not.</summary>
    public HistoryOptions Options { get; }

    public string SettingsOrigin => "--set";

    /// <summary>The version given, else the first "starting PostgreSQL" line's (read up to that line).</summary>
    public PgVersion? Version
    {
        get
        {
            if (_versionRead) return _version;
            _version = Options.Version ?? Events().OfType<ServerLifecycle>().Select(l => Parse(l.Version)).FirstOrDefault(v => v is not null);
            _versionRead = true;
            return _version;
        }
    }

    /// <summary>The settings given (before the first frame), then each reload's change from the checkpoint after it.</summary>
    public IReadOnlyList<SettingSample> Settings
    {
        get
        {
            if (_settings is not null) return _settings;
            var rows = Options.Settings.Select(kv => new SettingSample(0, DateTimeOffset.MinValue, kv.Key, kv.Value, null)).ToList();
            foreach (var _ in Read(rows)) { }
            return _settings = rows;
        }
    }

    /// <summary>Every event of the log (checkpoints, starts and stops, reloads), streamed.</summary>
    public IEnumerable<ServerLogEvent> Events() => CheckpointLog.ReadEvents(Name, Options.LogFormat, Options.LogLinePrefix);

    /// <summary>Every "invalidating … slot" line (logged whether or not log_checkpoints is on), with its DETAIL.</summary>
    public IEnumerable<RecordedSlotLoss> SlotLosses() =>
        Events().OfType<SlotLost>().Select(l => new RecordedSlotLoss(l.Slot, l.At, l.RestartLsn,
            l.ExceedsBy is { } b ? new ByteCount(b) : null, $"{Path.GetFileName(l.File)}:{l.Line}"));

    public IEnumerable<SampleFrame> Frames() => Read(null);

    /// <summary>
    /// One frame per WAL position <see cref="CheckpointLogAnalysis.WalPositions"/> derives (a checkpoint's start; a
    /// restart, a missing checkpoint or a clock step back is a gap), carrying the version the log named last. Reloads
    /// seen on the way are added to <paramref name="settings"/> numbered with the frame after them.
    /// </summary>
    private IEnumerable<SampleFrame> Read(List<SettingSample>? settings)
    {
        var version = Options.Version;
        long sample = 0;
        var events = Events().Select(e =>
        {
            if (Options.Version is null && e is ServerLifecycle { Version: { } text } && Parse(text) is { } v) version = v;
            if (e is SettingChanged c) settings?.Add(new SettingSample(sample + 1, c.At, c.Name, c.Value, null));
            return e;
        });
        foreach (var p in CheckpointLogAnalysis.WalPositions(events))
        {
            var c = p.Checkpoint;
            var at = p.Origin.AddTicks(p.Observation.At.Microseconds * 10);
            var position = p.Observation.Position;
            // A restartpoint's redo pointer is a replayed position, a checkpoint's the insert position at its start.
            var server = new ServerSample(
                Sample: ++sample, Gap: p.Observation.AfterGap, LocalTime: at, ServerTime: at, SystemIdentifier: 0,
                Version: version ?? default, SegmentSize: Options.SegmentSize ?? WalSegmentSize.Default, InRecovery: c.IsRestartpoint, TimelineId: 0,
                WriteLsn: Lsn.Invalid, InsertLsn: c.IsRestartpoint ? Lsn.Invalid : position, ReceiveLsn: Lsn.Invalid,
                ReplayLsn: c.IsRestartpoint ? position : Lsn.Invalid, CheckpointLsn: Lsn.Invalid, RedoLsn: c.RedoLsn ?? Lsn.Invalid,
                CheckpointTime: c.Start, PgWalFiles: 0, PgWalBytes: ByteCount.Zero, OldestWalFile: null, NewestWalFile: null,
                ArchivedCount: 0, LastArchivedWal: null, ArchiveFailedCount: 0, LastFailedWal: null, StatWalBytes: null);
            yield return new SampleFrame(server, []);
        }
    }

    // Any minor the log names ("starting PostgreSQL 15.20 (Debian …)"): consumers model a newer one as the newest known.
    private static PgVersion? Parse(string? text) => PgVersion.TryParseReported(text, out var v) ? v : null;

    /// <summary>A log line with a time and a level, a csvlog record or a jsonlog object among the first lines, the
    /// format judged from the content alone (a csvlog need not be called .csv).</summary>
    private static bool Recognises(HistoryProbe probe) => probe.Url is null && CheckpointLog.IsLikely("", probe.Head);


    private static IRecordedHistory Open(HistoryProbe probe, HistoryUse use, HistoryOptions options)
    {
        _ = use; // nothing beside the log itself to check: what it lacks, HistorySources.Open says
        var first = probe.Lines.FirstOrDefault(l => l.Trim().Length > 0);
        return new ServerLogHistory(probe.Target, options.LogFormat ?? LogRecords.Detect(probe.Target, first), options);
    }
}

using System.Text;

namespace Walsim.Analyzer.Live;

/// <summary>
/// Writes a simulation's timeline as a sample file, the rows <c>walsim sample</c> would have recorded had the
/// simulated server been real: one row per slot every <see cref="Scenario.SampleInterval"/>. Used to benchmark
/// <c>replay</c> on files of any length and to check that replaying the engine's own timeline agrees with it (two
/// implementations of the same decisions: the engine's event loop and the replay's per-checkpoint arithmetic).
/// </summary>
public sealed class SimulatedSamples : ISimulationObserver
{
    private readonly TextWriter _out;
    private readonly SimulatedSampler _sampler;
    private readonly StringBuilder _line = new();

    /// <param name="output">Receives the header and the rows.</param>
    /// <param name="version">The version the scenario runs on (the file's server_version).</param>
    /// <param name="segmentSize">The scenario's segment size.</param>
    /// <param name="t0">The wall-clock time of simulated time zero.</param>
    public SimulatedSamples(TextWriter output, PgVersion version, WalSegmentSize segmentSize, DateTimeOffset t0)
    {
        _out = output;
        _sampler = new SimulatedSampler(version, segmentSize, t0);
        _out.Write(SampleCsv.Header);
        _out.Write('\n');
    }

    /// <summary>Rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>The sidecar a scenario's settings make (one row per setting, at sample 1).</summary>
    public static void WriteSettings(TextWriter w, IReadOnlyDictionary<string, string> settings, DateTimeOffset t0)
    {
        w.Write(SampleCsv.SettingsHeader);
        w.Write('\n');
        var b = new StringBuilder();
        foreach (var (name, value) in settings)
        {
            b.Clear();
            SampleCsv.AppendSetting(b, new SettingSample(1, t0, name, value, null));
            w.Write(b.Append('\n'));
        }
    }

    public void OnCheckpoint(CheckpointRecord checkpoint) => _sampler.OnCheckpoint(checkpoint);

    public void OnTimelineRow(TimelineRow row)
    {
        if (_sampler.Sample(row) is not { } server) return;
        if (row.Slots.Count == 0) Write(server, null);
        foreach (var s in row.Slots) Write(server, _sampler.Slot(s));
    }

    private void Write(in ServerSample server, in SlotSample? slot)
    {
        _line.Clear();
        SampleCsv.AppendRow(_line, server, slot);
        _line.Append('\n');
        _out.Write(_line);
        Rows++;
    }
}

/// <summary>
/// The engine's sample rows as <c>walsim sample</c> would read them from the simulated server: the server part of each
/// sample (numbered from 1, with the last checkpoint's record and start time) and each slot's row. What
/// <see cref="SimulatedSamples"/> writes to a file, and what the watch benchmark hands its watcher.
/// </summary>
public sealed class SimulatedSampler(PgVersion version, WalSegmentSize segmentSize, DateTimeOffset t0)
{
    private readonly bool _walStatus = RetentionPolicy.For(version).ReportsWalStatus; // 13+: the columns exist
    private long _sample;
    private Lsn _checkpointLsn;
    private SimTime _checkpointStart;

    /// <summary>Remembers the last checkpoint performed: pg_control_checkpoint() shows its record and start time.</summary>
    public void OnCheckpoint(CheckpointRecord checkpoint)
    {
        if (checkpoint.Skipped) return;
        _checkpointLsn = checkpoint.CheckpointLsn;
        _checkpointStart = checkpoint.Start;
    }

    /// <summary>The next sample's server part for a sampling row; null for the engine's other rows.</summary>
    public ServerSample? Sample(TimelineRow row)
    {
        if (row.Reason != RowReason.Sample) return null;
        var at = t0.AddTicks(row.At.Microseconds * 10);
        return new ServerSample(++_sample, false, at, at, 7_000_000_000_000_000_001, version, segmentSize, false, 1,
            row.InsertLsn, row.InsertLsn, Lsn.Invalid, Lsn.Invalid,
            _checkpointLsn.IsValid ? _checkpointLsn : row.RedoLsn, row.RedoLsn, t0.AddTicks(_checkpointStart.Microseconds * 10),
            row.FilesInPgWal, row.PgWalBytes, segmentSize.FileName(row.OldestFile), segmentSize.FileName(row.NewestFile), 0, null, 0, null, null);
    }

    /// <summary>A slot's row of the sample (a logical slot decodes with pgoutput in database postgres).</summary>
    public SlotSample Slot(SlotView s) =>
        new(s.Name, s.Kind, s.Kind == SlotKind.Logical ? "pgoutput" : null, s.Kind == SlotKind.Logical ? "postgres" : null,
            false, s.Active, s.Active ? 4100 : null, s.RestartLsn, s.ConfirmedFlushLsn,
            s.WalStatus == WalStatus.Null || !_walStatus ? null : s.WalStatus, _walStatus ? s.SafeWalSize : null,
            null, null, null, null, null, null);
}

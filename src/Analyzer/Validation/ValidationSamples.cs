using System.Globalization;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// What <c>walsim replay</c>'s code made of the samples a validate run recorded: its decisions compared per field,
/// those that disagree, its notes, and the moments a sample fell between a checkpoint's slot invalidation and its
/// file removal (<see cref="Races"/>: the window <c>replay</c> must tolerate; none when no sample happened to fall in
/// it, which a run cannot force).
/// </summary>
/// <param name="SampleFile">Where the sample file was kept (its settings sidecar beside it); null when not kept.</param>
/// <param name="Samples">Samples recorded and replayed.</param>
/// <param name="Checkpoints">Checkpoints replay saw (a new redo_lsn between two samples).</param>
/// <param name="Fields">Replay's decisions per field (wal_status, safe_wal_size, files, oldest_file, invalidated).</param>
/// <param name="Disagreements">The decisions that disagree.</param>
/// <param name="Notes">Replay's notes (e.g. a checkpoint whose removal no sample showed alone).</param>
/// <param name="Races">Samples caught between an invalidation and its checkpoint's file removal.</param>
public sealed record ReplayCheck(
    string? SampleFile,
    long Samples,
    int Checkpoints,
    IReadOnlyList<FieldAgreement> Fields,
    IReadOnlyList<Decision> Disagreements,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Races)
{
    public long Decisions => Fields.Sum(f => f.Decisions);
    public long Agreed => Fields.Sum(f => f.Agreed);
    public bool Agrees => Decisions == Agreed;

    /// <summary>
    /// Replays a sample file with <c>walsim replay</c>'s code (<see cref="LiveReplay"/> over the file and its settings
    /// sidecar, read as <c>replay</c> reads them) and looks for the invalidation/removal race in it.
    /// </summary>
    public static ReplayCheck Of(string samplesPath, string? keptAs)
    {
        var settingRows = Live.SampleFile.ReadSettings(Live.SampleFile.SettingsPath(samplesPath)).ToList();
        var replay = new LiveReplay(samplesPath, v => SampledSettings.From(settingRows, v));
        foreach (var frame in SampleFrames.ReadAhead(SampleFrames.Group(Live.SampleFile.Read(samplesPath)))) replay.Add(frame);
        var summary = replay.Finish();
        var races = InvalidationRemovalRaces(SampleFrames.Group(Live.SampleFile.Read(samplesPath)));
        return new ReplayCheck(keptAs, summary.Samples, summary.Checkpoints.Observed, summary.Fields, summary.Disagreements, summary.Notes, races);
    }

    /// <summary>
    /// Samples caught between a checkpoint's invalidation of a slot and its removal of the slot's files:
    /// CreateCheckPoint updates pg_control, then InvalidateObsoleteReplicationSlots, then RemoveOldXlogFiles
    /// (retention-model.md §9), and a sample reads pg_control and pg_wal in its first statement, the slots in its
    /// second. Such a sample shows a slot newly lost while pg_wal still holds files the next sample shows gone (all
    /// of them, or the rest of a removal under way). Its pg_control may show the new redo or, read a moment earlier,
    /// the old one (then the next sample is the first to show the checkpoint); either way only one checkpoint is
    /// involved.
    /// </summary>
    internal static IReadOnlyList<string> InvalidationRemovalRaces(IEnumerable<SampleFrame> frames)
    {
        var races = new List<string>();
        SampleFrame? before = null, prev = null;
        foreach (var f in frames)
        {
            if (before is not null && prev is not null && !f.Server.Gap && !prev.Server.Gap
                && Oldest(prev) is { } po && Oldest(f) is { } o && string.CompareOrdinal(o, po) > 0
                && (f.Server.RedoLsn == prev.Server.RedoLsn || prev.Server.RedoLsn == before.Server.RedoLsn))
            {
                foreach (var s in prev.Slots)
                    if (s.WalStatus == WalStatus.Lost && before.Slot(s.Name) is { } was && was.WalStatus != WalStatus.Lost)
                        races.Add(string.Create(CultureInfo.InvariantCulture,
                            $"sample {prev.Server.Sample}: slot {s.Name} already lost while pg_wal still began at {po} (redo {prev.Server.RedoLsn}); sample {f.Server.Sample} (redo {f.Server.RedoLsn}) shows it begin at {o}"));
            }
            before = prev;
            prev = f;
        }
        return races;
    }

    private static string? Oldest(SampleFrame f) => f.Server.OldestWalFile is { Length: >= 24 } n ? n[8..] : null;
}

/// <summary>
/// Records a validate run as <c>walsim sample</c> would have sampled the server: one sample at every observation
/// of the step driver (the snapshots around every step) and more from a background loop in between, densely while a
/// checkpoint is under way (<see cref="Dense"/>) so that samples also fall inside checkpoints. One connection and
/// one <see cref="SampleFileWriter"/>, taken in turn, so the samples are in the order they were read.
/// </summary>
public sealed class ValidationSampler : IAsyncDisposable
{
    /// <summary>Between two background samples while no checkpoint is under way.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Between two background samples while a checkpoint is under way.</summary>
    public static readonly TimeSpan DenseInterval = TimeSpan.FromMilliseconds(1);

    private readonly NpgsqlSampleSource _source;
    private readonly SampleFileWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private volatile bool _dense;

    private ValidationSampler(NpgsqlSampleSource source, SampleFileWriter writer, string path)
    {
        _source = source;
        _writer = writer;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Samples written so far.</summary>
    public long Written => _writer.Written;

    /// <summary>A checkpoint is under way (the driver saw its "checkpoint starting" line and not yet its end).</summary>
    public bool Dense { set => _dense = value; }

    /// <summary>Connects to the cluster and starts the background loop; the first sample is taken at once.</summary>
    public static async Task<ValidationSampler> StartAsync(string connectionString, string path, CancellationToken ct)
    {
        var source = new NpgsqlSampleSource(LiveConnection.Create(connectionString, _ => null));
        await source.ConnectAsync(ct);
        var sampler = new ValidationSampler(source, SampleFileWriter.Open(path, append: false), path);
        await sampler.TakeAsync(ct);
        sampler._loop = Task.Run(() => sampler.LoopAsync(sampler._stop.Token), CancellationToken.None);
        return sampler;
    }

    /// <summary>Takes one sample now (after a step's observation).</summary>
    public async Task TakeAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var sample = await _source.ReadAsync(DateTimeOffset.UtcNow, ct);
            _writer.Write(sample with { Server = sample.Server with { Sample = _writer.LastSample + 1, Gap = false } });
        }
        finally { _gate.Release(); }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(_dense ? DenseInterval : Interval, ct);
                await TakeAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Stops the background loop (a failure in it surfaces here) and closes the file.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is { } loop) await loop;
        _loop = null;
        _writer.Dispose();
    }

    /// <summary>Copies the sample file and its sidecar to <paramref name="path"/> (and its sidecar name), each
    /// written under a temporary name and renamed.</summary>
    public void CopyTo(string path)
    {
        foreach (var (from, to) in new[] { (Path, path), (Live.SampleFile.SettingsPath(Path), Live.SampleFile.SettingsPath(path)) })
        {
            if (!File.Exists(from)) continue;
            using var file = AtomicFile.Create(to);
            using (var input = File.OpenRead(from)) input.CopyTo(file.Stream);
            file.Commit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_loop is not null)
        {
            await _stop.CancelAsync();
            try { await _loop; }
            catch (Exception) { /* the run already failed; the sampler's own error is secondary */ }
        }
        _writer.Dispose();
        await _source.DisposeAsync();
        _stop.Dispose();
        _gate.Dispose();
    }
}

using System.Diagnostics;
using Walsim.Analyzer.Explain;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Watch;

/// <summary>What <c>walsim watch</c> keeps and how often it forecasts.</summary>
/// <param name="Name">Names the server in messages and in the forecast's errors (<see cref="LiveConnection.Describe"/>: no password).</param>
/// <param name="History">The rolling history the forecast is fitted to (<c>--history</c>).</param>
/// <param name="Interval">The sampling interval: with <paramref name="History"/> it sizes the ring.</param>
/// <param name="ForecastEvery">How often the workload is refitted and the forecast re-run (<c>--forecast-every</c>).</param>
/// <param name="Forecast">Horizon, runs, seed and disk of each forecast.</param>
/// <param name="Fit">The workload fit's bucket and cycle.</param>
public sealed record WatchOptions(string Name, TimeSpan History, TimeSpan Interval, TimeSpan ForecastEvery, ForecastOptions Forecast, WorkloadFitOptions Fit)
{
    /// <summary>Settings the model is told instead of those the server shows (to see the disagreement counter work:
    /// a model fed a wrong <c>max_slot_wal_keep_size</c> must disagree). Empty in normal use.</summary>
    public IReadOnlyDictionary<string, string> ModelSettingOverrides { get; init; } = new Dictionary<string, string>();

    /// <summary>The ring's capacity: the history's samples at the interval, and a tenth more for late ones.</summary>
    public int Capacity => (int)Math.Clamp(History / Interval * 1.1 + 2, 2, 10_000_000);
}

/// <summary>Why the watcher last failed at something, as a metric label (the message itself can name hosts and
/// is only written to stderr, scrubbed).</summary>
public enum WatchErrorKind { ConnectionLost, Replay, Forecast }

/// <summary>One forecast the watcher made: when, from which sample, its result and the fit's quality.</summary>
public sealed record WatchForecast(DateTimeOffset StartedAt, DateTimeOffset AsOf, ForecastResult Result, FitReport Fit, TimeSpan Took, SimDuration Horizon, bool HasDisk);

/// <summary>
/// The heart of <c>walsim watch</c>: takes each sample from the <see cref="Sampler"/> (as a <see cref="ISampleSink"/>),
/// optionally appends it to a sample file, keeps the last <see cref="WatchOptions.History"/> of samples in a ring,
/// re-decides every checkpoint against the model (a <see cref="LiveReplay"/>: its disagreements are the model-health
/// counter), and every <see cref="WatchOptions.ForecastEvery"/> starts a forecast of the ring on the thread pool —
/// never on the sampling path. <see cref="Snapshot"/> gives the metrics' view; all of it is guarded by one lock held
/// only for bookkeeping. Time comes from the <see cref="TimeProvider"/>, so a fake clock drives a simulated day.
/// </summary>
public sealed class Watcher : ISampleSink
{
    private readonly object _lock = new();
    private readonly WatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ISampleSink? _file;
    private readonly Action<string> _note;
    private readonly FrameRing _ring;
    private readonly List<SettingSample> _settingRows = [];
    private readonly Dictionary<string, (string Value, string? Unit)> _settingNow = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal); // one string per slot name

    private LiveReplay? _replay;
    private SampledSettings? _replaySettings;
    private long _replayBase;                    // counters of replays ended (a version change restarts the replay)
    private int _checkpointBase;
    private long _decisionBase;
    private long _last;
    private SampleFrame? _previous;
    private double? _rate;
    private double? _estimate;                   // CheckPointDistanceEstimate replayed from the redo pointers seen
    private Task? _forecastTask;
    private DateTimeOffset? _forecastStarted;
    private WatchForecast? _forecast;

    private long _samples, _rows, _gaps, _lost, _reconnects, _replayRestarts, _forecasts, _forecastFailures;
    private readonly Dictionary<WatchErrorKind, DateTimeOffset> _lastError = [];
    private bool _connected;

    /// <param name="options">What to keep and how often to forecast.</param>
    /// <param name="time">The clock (forecast schedule and ages).</param>
    /// <param name="file">Also append every sample here (<c>--append FILE</c>); numbering continues the file's.</param>
    /// <param name="note">Where to say what went wrong (stderr; the text names no password).</param>
    public Watcher(WatchOptions options, TimeProvider time, ISampleSink? file = null, Action<string>? note = null)
    {
        _options = options;
        _time = time;
        _file = file;
        _note = note ?? (_ => { });
        _ring = new FrameRing(options.History, options.Capacity);
        _last = file?.LastSample ?? 0;
    }

    public WatchOptions Options => _options;

    public long LastSample => _file?.LastSample ?? _last;
    public long Written { get { lock (_lock) return _samples; } }
    public long RowsWritten { get { lock (_lock) return _rows; } }

    /// <summary>The forecast running now, if any (tests and the benchmark wait for it).</summary>
    public Task? PendingForecast { get { lock (_lock) return _forecastTask; } }

    /// <summary>
    /// Loads the history a previous run appended to the file (<c>--append</c>), the samples within
    /// <see cref="WatchOptions.History"/> of its last one, so that a restarted watcher forecasts at once. The next
    /// sample it takes is a gap after these.
    /// </summary>
    public void Preload(IEnumerable<SampleFrame> frames, IReadOnlyList<SettingSample> settings)
    {
        lock (_lock)
        {
            foreach (var row in settings)
            {
                _settingNow[row.Name] = (row.Value, row.Unit);
                _settingRows.Add(row);
            }
            foreach (var f in frames) Take(new SampleFrame(f.Server, Intern(f.Slots)), fromFile: true);
        }
    }

    public void Write(LiveSample sample)
    {
        _file?.Write(sample);
        lock (_lock)
        {
            _last = sample.Server.Sample;
            foreach (var setting in sample.Settings)
            {
                if (_settingNow.TryGetValue(setting.Name, out var old) && old == (setting.Value, setting.Unit)) continue;
                _settingNow[setting.Name] = (setting.Value, setting.Unit);
                var row = new SettingSample(sample.Server.Sample, sample.Server.LocalTime, setting.Name, setting.Value, setting.Unit);
                _settingRows.Add(row);
                if (!_options.ModelSettingOverrides.ContainsKey(setting.Name)) _replaySettings?.Add(row);
            }
            _connected = true;
            Take(new SampleFrame(sample.Server, Intern(sample.Slots)), fromFile: false);
        }
        MaybeForecast();
    }

    public void ConnectionLost(DateTimeOffset at)
    {
        lock (_lock)
        {
            _lost++;
            _connected = false;
            _lastError[WatchErrorKind.ConnectionLost] = at;
        }
    }

    public void Reconnected(DateTimeOffset at)
    {
        lock (_lock)
        {
            _reconnects++;
            _connected = true;
        }
    }

    private void Take(SampleFrame frame, bool fromFile)
    {
        var s = frame.Server;
        if (!fromFile)
        {
            _samples++;
            _rows += Math.Max(1, frame.Slots.Count);
            if (s.Gap) _gaps++;
        }
        _rate = null;
        if (_previous is { } p && !s.Gap && p.Server.TimelineId == s.TimelineId && s.HeadLsn >= p.Server.HeadLsn && s.LocalTime > p.Server.LocalTime)
        {
            _rate = (s.HeadLsn - p.Server.HeadLsn).Bytes / (s.LocalTime - p.Server.LocalTime).TotalSeconds;
            if (p.Server.RedoLsn.IsValid && s.RedoLsn.IsValid && s.RedoLsn != p.Server.RedoLsn)
                _estimate = Retention.UpdateCheckPointDistanceEstimate(_estimate ?? 0, (s.RedoLsn - p.Server.RedoLsn).Bytes);
        }
        _previous = frame;
        _ring.Add(frame);
        // A preloaded history is for the forecast: the model judges what this watcher sees itself.
        if (!fromFile) Judge(frame);
    }

    /// <summary>Feeds the replay; a replay that cannot go on (the server came back as another major version) is
    /// ended and a new one starts from this sample.</summary>
    private void Judge(SampleFrame frame)
    {
        try
        {
            _replay ??= NewReplay();
            _replay.Add(frame);
        }
        catch (Exception e) when (e is SampleFileException or SettingException or ArgumentException)
        {
            _lastError[WatchErrorKind.Replay] = frame.Server.LocalTime;
            _note($"walsim: the model's replay restarts at sample {frame.Server.Sample}: {e.Message}");
            EndReplay();
            _replayRestarts++;
        }
    }

    private LiveReplay NewReplay() => new(_options.Name, version =>
    {
        _replaySettings = SampledSettings.From(ModelRows(), version);
        return _replaySettings;
    });

    /// <summary>The setting rows the model is told: the server's, with <see cref="WatchOptions.ModelSettingOverrides"/>
    /// in place of what the server said.</summary>
    private List<SettingSample> ModelRows()
    {
        var rows = _settingRows.Where(r => !_options.ModelSettingOverrides.ContainsKey(r.Name)).ToList();
        foreach (var (name, value) in _options.ModelSettingOverrides) rows.Add(new SettingSample(0, DateTimeOffset.UnixEpoch, name, value, null));
        rows.Sort((a, b) => a.Sample.CompareTo(b.Sample));
        return rows;
    }

    private void EndReplay()
    {
        if (_replay is { } r)
        {
            _checkpointBase += r.CheckpointsSeen;
            _decisionBase += r.DecisionsCompared;
            _replayBase += r.DisagreementCount;
        }
        _replay = null;
        _replaySettings = null;
    }

    private IReadOnlyList<SlotSample> Intern(IReadOnlyList<SlotSample> slots)
    {
        if (slots.Count == 0) return [];
        var copy = new SlotSample[slots.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            var s = slots[i];
            if (!_names.TryGetValue(s.Name, out var name))
            {
                if (_names.Count > 100_000) _names.Clear(); // slots created and dropped for months: stay bounded
                _names[s.Name] = name = s.Name;
            }
            copy[i] = s with { Name = name };
        }
        return copy;
    }

    /// <summary>Starts a forecast of the ring on the thread pool when the last one is older than
    /// <see cref="WatchOptions.ForecastEvery"/> and none is running.</summary>
    private void MaybeForecast()
    {
        var now = _time.GetUtcNow();
        SampleFrame[] frames;
        SettingSample[] rows;
        lock (_lock)
        {
            if (_forecastTask is { IsCompleted: false }) return;
            if (_forecastStarted is { } t && now - t < _options.ForecastEvery) return;
            if (_ring.Count < 2) return;
            _forecastStarted = now;
            frames = _ring.ToArray();
            rows = _settingRows.ToArray();
            _forecastTask = Task.Run(() => Forecast(frames, rows, now));
        }
    }

    /// <summary>Runs one forecast now, on the caller's thread (<c>--once</c>, check-slots).</summary>
    public WatchForecast? ForecastNow()
    {
        SampleFrame[] frames;
        SettingSample[] rows;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            frames = _ring.ToArray();
            rows = _settingRows.ToArray();
            _forecastStarted = now;
        }
        Forecast(frames, rows, now);
        lock (_lock) return _forecast;
    }

    private void Forecast(SampleFrame[] frames, SettingSample[] rows, DateTimeOffset startedAt)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var input = ForecastInput.Read(_options.Name, frames, rows);
            var fit = WorkloadFitException.Fit(_options.Name, input.Observations, _options.Fit);
            var result = Forecaster.Run(input, fit, _options.Forecast, WhatIf.CurrentTrend);
            var made = new WatchForecast(startedAt, input.Last.LocalTime, result, fit.Report, clock.Elapsed, _options.Forecast.Horizon, _options.Forecast.Disk is not null);
            lock (_lock)
            {
                _forecast = made;
                _forecasts++;
            }
        }
        catch (Exception e) when (e is WorkloadFitException or SampleFileException or SettingException or ArgumentException or InvalidOperationException)
        {
            lock (_lock)
            {
                _forecastFailures++;
                _lastError[WatchErrorKind.Forecast] = _time.GetUtcNow();
            }
            _note($"walsim: no forecast at {startedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}: {e.Message}");
        }
    }

    /// <summary>What the metrics show, taken under the lock: the newest sample, the counters, the last forecast.</summary>
    public WatchSnapshot Snapshot()
    {
        lock (_lock)
        {
            var newest = _ring.Newest;
            WalBreakdown? breakdown = null;
            ServerSettings? settings = null;
            if (newest is not null)
            {
                try
                {
                    var sampled = SampledSettings.From(_settingRows, newest.Server.Version).ChangesThrough(newest.Server.Sample);
                    settings = ServerSettings.Create(RetentionPolicy.For(newest.Server.Version), newest.Server.SegmentSize, sampled);
                    breakdown = WalBreakdown.Of(ExplainSources.StateAt(newest, settings, _estimate));
                }
                catch (Exception e) when (e is SettingException or ArgumentException)
                {
                    breakdown = null;
                }
            }
            var r = _replay;
            return new WatchSnapshot(_time.GetUtcNow(), newest, _ring.Count, _ring.Oldest?.Server.LocalTime, _rate, breakdown, settings,
                _samples, _gaps, _lost, _reconnects, _connected,
                _checkpointBase + (r?.CheckpointsSeen ?? 0), _decisionBase + (r?.DecisionsCompared ?? 0), _replayBase + (r?.DisagreementCount ?? 0),
                _replayRestarts, _forecast, _forecasts, _forecastFailures, new Dictionary<WatchErrorKind, DateTimeOffset>(_lastError));
        }
    }
}

/// <summary>The watcher's state at one scrape.</summary>
public sealed record WatchSnapshot(
    DateTimeOffset Now,
    SampleFrame? Newest,
    int HistorySamples,
    DateTimeOffset? HistoryFrom,
    double? WalRate,
    WalBreakdown? Breakdown,
    ServerSettings? Settings,
    long Samples,
    long Gaps,
    long ConnectionsLost,
    long Reconnects,
    bool Connected,
    long CheckpointsJudged,
    long Decisions,
    long Disagreements,
    long ReplayRestarts,
    WatchForecast? Forecast,
    long Forecasts,
    long ForecastFailures,
    IReadOnlyDictionary<WatchErrorKind, DateTimeOffset> LastErrors);

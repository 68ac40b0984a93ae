namespace Walsim.Analyzer.Reports;

/// <summary>
/// Streams one run's timeline and events to <c>timeline-VERSION.csv</c> and <c>events-VERSION.csv</c> in a
/// directory, so memory stays flat however long the simulated time. Both files appear only on <see cref="Commit"/>;
/// disposing without it (the run failed) removes the partial output.
/// </summary>
public sealed class CsvReportObserver : ISimulationObserver, IDisposable
{
    private readonly AtomicFile _timelineFile;
    private readonly AtomicFile _eventsFile;
    private readonly TimelineCsvWriter _timeline;
    private readonly EventsCsvWriter _events;

    private bool _committed;

    /// <param name="directory">Where the files go.</param>
    /// <param name="scenario">The run's scenario (its slots are the timeline's columns).</param>
    /// <param name="version">The version run.</param>
    /// <param name="node">A topology's standby: its files are <c>timeline-VERSION-NODE.csv</c> and <c>events-VERSION-NODE.csv</c>.</param>
    public CsvReportObserver(string directory, Scenario scenario, PgVersion version, string? node = null)
    {
        var suffix = node is null ? $"{version}" : $"{version}-{node}";
        _timelineFile = AtomicFile.Create(Path.Combine(directory, $"timeline-{suffix}.csv"));
        try
        {
            _eventsFile = AtomicFile.Create(Path.Combine(directory, $"events-{suffix}.csv"));
            _timeline = new TimelineCsvWriter(_timelineFile.Writer, TimelineCsvWriter.SlotNames(scenario));
            _events = new EventsCsvWriter(_eventsFile.Writer);
        }
        catch
        {
            _eventsFile?.Dispose();
            _timelineFile.Dispose();
            throw;
        }
    }

    public string TimelinePath => _timelineFile.Path;
    public string EventsPath => _eventsFile.Path;

    public void OnTimelineRow(TimelineRow row) => _timeline.Write(row);
    public void OnCheckpoint(CheckpointRecord checkpoint) => _events.Write(checkpoint);
    public void OnLogEvent(LogEvent logEvent) => _events.Write(logEvent);

    public void Commit()
    {
        // The CSV writers flush on dispose, so they go before the files are closed and renamed.
        _timeline.Dispose();
        _events.Dispose();
        _timelineFile.Commit();
        _eventsFile.Commit();
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed)
        {
            _timeline.Dispose();
            _events.Dispose();
        }
        _timelineFile.Dispose();
        _eventsFile.Dispose();
    }
}

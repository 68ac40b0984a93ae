namespace Walsim.Analyzer.Live;

/// <summary>
/// Where <see cref="Sampler"/> puts each sample: a sample file (<see cref="SampleFileWriter"/>, for
/// <c>walsim sample</c>) or a watcher's rolling history (<c>walsim watch</c>, which may also write a file).
/// </summary>
public interface ISampleSink
{
    /// <summary>The number of the last sample already held (0 when none); the next sample is this + 1.</summary>
    long LastSample { get; }

    /// <summary>Samples written by this sink.</summary>
    long Written { get; }

    /// <summary>Rows written (one per slot per sample, at least one per sample).</summary>
    long RowsWritten { get; }

    /// <summary>Takes one numbered sample.</summary>
    void Write(LiveSample sample);

    /// <summary>The connection was lost at <paramref name="at"/> (the next sample is marked as a gap).</summary>
    void ConnectionLost(DateTimeOffset at) { }

    /// <summary>The connection was re-established at <paramref name="at"/>.</summary>
    void Reconnected(DateTimeOffset at) { }
}

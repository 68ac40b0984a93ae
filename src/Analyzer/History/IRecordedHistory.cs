using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.History;

/// <summary>
/// A cluster's recorded past, whatever recorded it: the file <c>walsim sample</c> writes, the server's own log, and
/// later a Prometheus that scraped postgres_exporter. Every source gives the same <see cref="SampleFrame"/>s a sample
/// file gives and says once, in <see cref="Shows"/>, which parts of a frame it can fill: a part it cannot show holds
/// its "unknown" value (<c>Lsn.Invalid</c>, 0, null, no slots) and is not an observation. Commands ask whether a
/// history can serve them (<see cref="HistoryUse"/>) rather than guess from its type or its file name.
/// <see cref="HistorySources.Open"/> recognises a source by its content and opens it.
/// </summary>
public interface IRecordedHistory
{
    /// <summary>The path or URL as the user gave it: names the source in messages and reports.</summary>
    string Name { get; }

    /// <summary>What it is, in words for messages: "sample file", "server log".</summary>
    string Kind { get; }

    /// <summary>What one frame is, as reports name it: "samples" (one per sample), "log_checkpoints" (one per
    /// checkpoint the log reports).</summary>
    string Readings { get; }

    /// <summary>What this source can show; anything else in a frame is unknown.</summary>
    HistoryEvidence Shows { get; }

    /// <summary>The server's version as the source names it (or as the user gave it); null when neither does.</summary>
    PgVersion? Version { get; }

    /// <summary>The settings over time: each row applies from the frame whose <see cref="ServerSample.Sample"/> is
    /// its <see cref="SettingSample.Sample"/> (or the first frame, for a row numbered before it).</summary>
    IReadOnlyList<SettingSample> Settings { get; }

    /// <summary>Where <see cref="Settings"/> come from, named when a version rejects one (a sidecar's path, <c>--set</c>).</summary>
    string SettingsOrigin { get; }

    /// <summary>The frames in time order, read from the start on each call and streamed: a sample file can be
    /// gigabytes, so nothing is kept but the frame being built.</summary>
    IEnumerable<SampleFrame> Frames();

    /// <summary>Each slot the history shows lost, the first time it shows it, in time order; empty when it shows none
    /// (or cannot: <see cref="HistoryEvidence.SlotInvalidations"/> not in <see cref="Shows"/>). Streams like
    /// <see cref="Frames"/>.</summary>
    IEnumerable<RecordedSlotLoss> SlotLosses();
}

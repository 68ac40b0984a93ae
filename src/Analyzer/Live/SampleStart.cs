namespace Walsim.Analyzer.Live;

/// <summary>A sampled primary as the engine's starting state: what forecasts, plans and what-ifs from samples start from.</summary>
public static class SampleStart
{
    /// <summary>
    /// The cluster as <paramref name="s"/> saw it: the insert position, pg_wal's oldest file (so lastRemovedSegNo is
    /// the one before it) and the files already pre-allocated past the insert segment, the last checkpoint's redo and
    /// how long ago it started (the next timed one comes checkpoint_timeout after it), and the distance estimate.
    /// </summary>
    public static StartState Of(ServerSample s, ByteCount distanceEstimate)
    {
        var seg = s.SegmentSize;
        var head = s.HeadLsn;
        var headSeg = seg.SegmentOf(head);
        SegmentNumber? oldest = s.OldestWalFile is { } o && seg.TryParseFileName(o, out var os) ? os : null;
        var newest = s.NewestWalFile is { } n && seg.TryParseFileName(n, out var ns) ? ns : headSeg;
        return new StartState
        {
            InsertLsn = head,
            OldestFile = oldest,
            FilesAhead = newest > headSeg ? (int)Math.Min(int.MaxValue, newest.Value - headSeg.Value) : 0,
            RedoLsn = s.RedoLsn.IsValid ? s.RedoLsn : null,
            SinceLastCheckpoint = new SimDuration(Math.Max(0, (s.ServerTime - s.CheckpointTime).Ticks / 10)),
            DistanceEstimate = distanceEstimate,
        };
    }
}

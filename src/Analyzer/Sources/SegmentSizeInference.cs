using System.Globalization;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// What a log's checkpoints say of <c>wal_segment_size</c>, which no log line states: the size, how many checkpoints
/// fit it exactly, and how many fit the next best size.
/// </summary>
public sealed record SegmentSizeEvidence(WalSegmentSize Size, int Fits, int Considered, int RunnerUpFits)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"wal_segment_size {Size.Size} inferred: at {Fits} of {Considered} checkpoints that retired files the count equals the segments between their redo pointers at that size ({(RunnerUpFits == 0 ? "no other size fits any" : $"the next best size fits {RunnerUpFits}")}); --wal-segment-size overrides");
}

/// <summary>
/// Infers <c>wal_segment_size</c> from a 16+ log, whose "checkpoint complete" lines give each redo pointer
/// (<c>redo lsn=</c>) and the files removed and recycled. <c>CreateCheckPoint</c> and <c>CreateRestartPoint</c> pass
/// <c>RemoveOldXlogFiles</c> the segment before the new redo's, moved earlier only by <c>KeepLogSeg</c> (slots,
/// wal_keep_size): with nothing kept, the previous checkpoint left no file before its redo's segment, so this one retires
/// exactly the segments from the previous redo's to this one's — XLByteToSeg(redo) − XLByteToSeg(previous redo) at
/// the server's size, a count the other sizes (powers of two) give only by chance. A checkpoint that retired nothing is
/// no evidence (a slot may have held everything); one that a slot held in part fits no size.
/// </summary>
public sealed class SegmentSizeInference
{
    /// <summary>Checkpoints that must fit the size, and how many times more than any other size.</summary>
    public const int MinFits = 3, Margin = 2;

    private static readonly WalSegmentSize[] Candidates =
        [.. Enumerable.Range(0, 11).Select(k => new WalSegmentSize(ByteCount.MiB << k))];

    private readonly int[] _fits = new int[Candidates.Length];
    private int _considered;
    private LogCheckpoint? _prev;

    /// <summary>The size <paramref name="checkpoints"/> support (in log order), or null.</summary>
    public static SegmentSizeEvidence? Infer(IEnumerable<LogCheckpoint> checkpoints)
    {
        var inference = new SegmentSizeInference();
        foreach (var c in checkpoints) inference.Add(c);
        return inference.Result();
    }

    /// <summary>The next checkpoint or restartpoint of the log, as it is read (a replay feeds it from its own pass).</summary>
    public void Add(LogCheckpoint c)
    {
        var last = _prev;
        _prev = c;
        if (last?.RedoLsn is not { } a || c.RedoLsn is not { } b || last.IsRestartpoint != c.IsRestartpoint
            || !CheckpointLogAnalysis.DistanceMatchesRedo(last, c))
            return;
        var retired = (ulong)(c.Stats.Removed + c.Stats.Recycled);
        if (retired == 0) return;
        _considered++;
        for (var i = 0; i < Candidates.Length; i++)
            if (Candidates[i].SegmentOf(b).Value - Candidates[i].SegmentOf(a).Value == retired) _fits[i]++;
    }

    /// <summary>The size the checkpoints so far support, or null when they support none clearly (no redo pointers
    /// before 16, too few checkpoints that retired files, or slots holding WAL at most of them).</summary>
    public SegmentSizeEvidence? Result()
    {
        var best = Array.IndexOf(_fits, _fits.Max());
        var runnerUp = _fits.Where((_, i) => i != best).Max();
        return _fits[best] >= MinFits && _fits[best] > Margin * runnerUp
            ? new SegmentSizeEvidence(Candidates[best], _fits[best], _considered, runnerUp)
            : null;
    }
}

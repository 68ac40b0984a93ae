namespace Walsim.Analyzer.History;

/// <summary>What a command does with a history, and the evidence it cannot do without.</summary>
/// <param name="Purpose">The command's work as a noun phrase for messages ("a forecast").</param>
/// <param name="Needs">What the history must show.</param>
/// <param name="Instead">What to give instead, for the message when a history lacks something.</param>
public sealed record HistoryUse(string Purpose, HistoryEvidence Needs, string Instead)
{
    /// <summary>What the use takes when a history shows it and does without otherwise, saying so once
    /// (<see cref="RecordedHistoryExtensions.Without"/>): a Prometheus without walsim's custom queries shows neither
    /// the redo pointer nor pg_wal, and a forecast can still start from the positions it does show.</summary>
    public HistoryEvidence Optional { get; init; }

    /// <summary>What the use assumes in place of <see cref="Optional"/> evidence a history lacks, in words.</summary>
    public string? Assumes { get; init; }

    private const string SampleFile = "give a sample file written by walsim sample";

    /// <summary>Any replay: the checkpoints are what it checks (a server log's replay checks what its lines decide).</summary>
    public static readonly HistoryUse Replay = new("a replay", HistoryEvidence.Checkpoints, SampleFile + " or a server log written with log_checkpoints = on");

    /// <summary>The replay of every checkpoint decision (slots invalidated, files removed) and every slot's wal_status.</summary>
    public static readonly HistoryUse ReplayDecisions = new("a replay of each checkpoint's decisions", StateOfCluster, SampleFile);

    /// <summary>Fitting the workload: the write position over time is enough.</summary>
    public static readonly HistoryUse WorkloadFit = new("a workload fit", HistoryEvidence.WalPositions, SampleFile + " or a server log written with log_checkpoints = on");

    /// <summary>A forecast starts from the cluster as last recorded: pg_wal, the last checkpoint, each slot.</summary>
    public static readonly HistoryUse Forecast = new("a forecast", StateOfCluster & ~StartingFiles, SampleFile + " (a server log can give the workload: --workload-from)")
    {
        Optional = StartingFiles,
        Assumes = "the forecast starts as if a checkpoint began at the last reading (redo = the WAL position then) and pg_wal held only the files from that segment up",
    };

    /// <summary>A backtest compares pg_wal's size as forecast with the size recorded: it needs pg_wal itself.</summary>
    public static readonly HistoryUse Backtest = new("a backtest", StateOfCluster, SampleFile);

    /// <summary>Where a forecast's files begin: a source without them can still give the positions.</summary>
    private const HistoryEvidence StartingFiles = HistoryEvidence.RedoPointer | HistoryEvidence.PgWalListing;

    /// <summary>A what-if replays the recorded WAL and slot movements under other versions.</summary>
    public static readonly HistoryUse WhatIf = new("a what-if", StateOfCluster, SampleFile + ", or a scenario");

    /// <summary>A plan starts from the cluster as last recorded, like a forecast.</summary>
    public static readonly HistoryUse Plan = new("a capacity plan", StateOfCluster, SampleFile + ", or a scenario");

    /// <summary>The cluster's state reading by reading: where WAL is written, the last checkpoint, pg_wal, each slot.</summary>
    private const HistoryEvidence StateOfCluster = HistoryEvidence.WalPositions | HistoryEvidence.RedoPointer | HistoryEvidence.PgWalListing
        | HistoryEvidence.SlotPositions | HistoryEvidence.Settings;

    /// <summary>The evidence in words: "the files in pg_wal, each slot's restart_lsn … and the settings from the start".</summary>
    public static string Describe(HistoryEvidence evidence)
    {
        var words = Words.Where(w => evidence.HasFlag(w.Flag)).Select(w => w.Text).ToList();
        return words.Count switch
        {
            0 => "nothing",
            1 => words[0],
            _ => string.Join(", ", words[..^1]) + " and " + words[^1],
        };
    }

    private static readonly (HistoryEvidence Flag, string Text)[] Words =
    [
        (HistoryEvidence.WalPositions, "the WAL write position over time"),
        (HistoryEvidence.Checkpoints, "the checkpoints"),
        (HistoryEvidence.RedoPointer, "the redo pointer at each reading"),
        (HistoryEvidence.PgWalListing, "the files in pg_wal"),
        (HistoryEvidence.SlotPositions, "each slot's restart_lsn and confirmed_flush_lsn"),
        (HistoryEvidence.SlotStatus, "each slot's wal_status and safe_wal_size"),
        (HistoryEvidence.SlotInvalidations, "the slots invalidated"),
        (HistoryEvidence.Settings, "the settings from the start"),
    ];
}

/// <summary>Whether a history can serve a command, asked the same way by every command.</summary>
public static class RecordedHistoryExtensions
{
    /// <summary>True when <paramref name="history"/> shows everything <paramref name="use"/> needs.</summary>
    public static bool CanServe(this IRecordedHistory history, HistoryUse use) => (history.Shows & use.Needs) == use.Needs;

    /// <summary>What <paramref name="use"/> does without because <paramref name="history"/> cannot show it, as one
    /// sentence for stderr; null when it shows everything the use takes.</summary>
    public static string? Without(this IRecordedHistory history, HistoryUse use)
    {
        var lacking = use.Optional & ~history.Shows;
        return lacking == HistoryEvidence.None ? null
            : $"{history.Name}: a {history.Kind} does not show {HistoryUse.Describe(lacking)}: {use.Assumes}";
    }

    /// <summary>Throws, naming what is missing, unless <paramref name="history"/> can serve <paramref name="use"/>.</summary>
    public static void Require(this IRecordedHistory history, HistoryUse use)
    {
        if (history.CanServe(use)) return;
        // The optional evidence is named too: it is what the command would use, and what to look for instead.
        var missing = (use.Needs | use.Optional) & ~history.Shows;
        throw new HistorySourceException(history.Name, HistoryProblem.Unsuitable,
            $"{use.Purpose} needs {HistoryUse.Describe(missing)}, which a {history.Kind} does not show; {use.Instead}");
    }
}

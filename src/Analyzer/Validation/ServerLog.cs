using System.Text.RegularExpressions;
using Walsim.Analyzer.Sources;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// A checkpoint or restartpoint as <c>log_checkpoints</c> reported it (LogCheckpointStart/LogCheckpointEnd in
/// xlog.c), as validation compares it. For a restartpoint <c>RedoLsn</c> is the "recovery restart point at" line's
/// (every version; 16+ also print it as "redo lsn=").
/// </summary>
public sealed record LoggedCheckpoint(
    CheckpointCause Cause,
    string Flags,
    int Added,
    int Removed,
    int Recycled,
    long DistanceKb,
    long EstimateKb,
    Lsn? CheckpointLsn,        // 16+ (not 15): "; lsn=X, redo lsn=Y"
    Lsn? RedoLsn,
    IReadOnlyList<LoggedInvalidation> Invalidations,
    IReadOnlyList<LoggedTermination> Terminations)
{
    /// <summary>When the "checkpoint starting" / "restartpoint starting" line was logged; null without one.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the "checkpoint complete" line was logged (just after InvalidateObsoleteReplicationSlots and
    /// RemoveOldXlogFiles ran); null when the prefix's time could not be read.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The file <c>RemoveOldXlogFiles</c> removed up to ("attempting to remove WAL segments older than log
    /// file …", DEBUG2; the cluster runs with <c>log_min_messages = debug2</c>); null when it was not logged.</summary>
    public string? RemovalCutoff { get; init; }
}

/// <summary>"skipping restartpoint, already performed at X" (DEBUG2) and when it was logged (null: a time the log
/// prefix did not let walsim read).</summary>
public sealed record LoggedSkip(Lsn PerformedAt, DateTimeOffset? At);

/// <summary>
/// Reads a PostgreSQL server log written with <c>log_line_prefix = '%m [%p] '</c> and picks out what validation
/// compares. On a primary: completed checkpoints with their added/removed/recycled counts and distance/estimate, and
/// the slot invalidations and walsender terminations that happened inside them. On a standby: the same for
/// restartpoints, the restartpoints it skipped ("skipping restartpoint, already performed at", DEBUG2: the standby
/// runs with <c>log_min_messages = debug2</c>), slot synchronization (17+) and promotion. Fed line by line as the log
/// grows; a checkpoint is reported once its "checkpoint complete" line has been read, a restartpoint once the
/// "recovery restart point at" line that follows it has. Shutdown and end-of-recovery checkpoints are not the
/// scenario's and are reported with their flags, for the caller to skip. The messages themselves are read by
/// <see cref="CheckpointMessages"/> and <see cref="ReplicationMessages"/>, shared with the general log reader
/// <see cref="CheckpointLog"/>.
/// </summary>
public sealed partial class ServerLog
{
    // error_severity() prints every DEBUGn level as "DEBUG".
    [GeneratedRegex(@"^(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+) \[(?<pid>\d+)\] (?<level>[A-Z]+):  (?<msg>.*)$")]
    private static partial Regex LinePattern();

    private readonly List<LoggedCheckpoint> _completed = [];
    private readonly List<LoggedCheckpoint> _restartpoints = [];
    private readonly List<LoggedSkip> _skipped = [];
    private readonly List<LoggedSlotSync> _slotSync = [];
    private string? _startFlags;
    private DateTimeOffset? _startedAt;
    private bool _startIsRestartpoint;
    private LoggedCheckpoint? _restartpointAwaitingRedo;
    private readonly List<LoggedInvalidation> _invalidations = [];
    private readonly List<LoggedTermination> _terminated = [];
    private string? _removalCutoff;
    // A message whose DETAIL line is still to come, and the process that logs it (its DETAIL follows in the same write).
    private (string Pid, Action<string> Join)? _awaitingDetail;
    private string _partial = "";

    /// <summary>Checkpoints completed so far, in log order.</summary>
    public IReadOnlyList<LoggedCheckpoint> Checkpoints => _completed;

    /// <summary>Restartpoints completed so far (a standby's), in log order.</summary>
    public IReadOnlyList<LoggedCheckpoint> Restartpoints => _restartpoints;

    /// <summary>Restartpoints skipped so far, each with the redo it says was "already performed" (the newest replayed
    /// checkpoint's; 0/0 when none was replayed).</summary>
    public IReadOnlyList<LoggedSkip> SkippedRestartpoints => _skipped;

    /// <summary>Slot synchronization messages (17+ standby), in log order.</summary>
    public IReadOnlyList<LoggedSlotSync> SlotSync => _slotSync;

    /// <summary>"received promote request" was logged.</summary>
    public bool PromoteRequested { get; private set; }

    /// <summary>The timeline "selected new timeline ID" named at the end of recovery; null before a promotion.</summary>
    public int? NewTimeline { get; private set; }

    /// <summary>Every line read (for a disagreement report).</summary>
    public List<string> Lines { get; } = [];

    /// <summary>Appends a chunk of log text (possibly ending mid-line).</summary>
    public void Append(string chunk)
    {
        var text = _partial + chunk;
        var start = 0;
        int nl;
        while ((nl = text.IndexOf('\n', start)) >= 0)
        {
            ReadLine(text[start..nl].TrimEnd('\r'));
            start = nl + 1;
        }
        _partial = text[start..];
    }

    public void ReadLine(string line)
    {
        Lines.Add(line);
        var m = LinePattern().Match(line);
        if (!m.Success) return;
        var pid = m.Groups["pid"].Value;
        var time = LogTimestamp.TryParse(m.Groups["time"].Value, out var t, out _) ? t : (DateTimeOffset?)null;
        var level = m.Groups["level"].Value;
        var msg = m.Groups["msg"].Value;

        if (level == "DETAIL")
        {
            if (_awaitingDetail is { } pending && pending.Pid == pid)
            {
                pending.Join(msg);
                _awaitingDetail = null;
            }
            return;
        }
        if (level is "HINT" or "CONTEXT" or "STATEMENT") return;
        if (_awaitingDetail?.Pid == pid) _awaitingDetail = null;

        switch (level)
        {
            case "DEBUG":
                if (CheckpointMessages.ParseRemovalCutoff(msg) is { } cutoff) _removalCutoff = cutoff;
                else if (CheckpointMessages.ParseSkippedRestartpoint(msg) is { } performedAt) _skipped.Add(new LoggedSkip(performedAt, time));
                else ReadSlotSync(pid, msg); // "could not synchronize" is DEBUG1 for a persistent copy
                return;
            case "ERROR":
                ReadSlotSync(pid, msg);
                return;
            case "LOG":
                ReadLog(pid, time, msg);
                return;
        }
    }

    private void ReadLog(string pid, DateTimeOffset? time, string msg)
    {
        if (CheckpointMessages.TryParseStart(msg, out var restartpoint, out var startFlags))
        {
            _startFlags = startFlags;
            _startedAt = time;
            _removalCutoff = null;
            _startIsRestartpoint = restartpoint;
            return;
        }
        if (CheckpointMessages.ParseComplete(msg) is { } done)
        {
            var flags = _startFlags is not null && _startIsRestartpoint == done.IsRestartpoint ? _startFlags : "";
            var logged = new LoggedCheckpoint(
                CheckpointMessages.CauseOf(flags), flags,
                done.Added, done.Removed, done.Recycled, done.DistanceKb, done.EstimateKb,
                done.CheckpointLsn, done.RedoLsn,
                [.. _invalidations], [.. _terminated])
            {
                StartedAt = _startFlags is not null && _startIsRestartpoint == done.IsRestartpoint ? _startedAt : null,
                RemovalCutoff = _removalCutoff,
                CompletedAt = time,
            };
            // CreateRestartPoint logs "recovery restart point at" right after: the restartpoint is reported with it.
            if (done.IsRestartpoint) _restartpointAwaitingRedo = logged;
            else _completed.Add(logged);
            _startFlags = null;
            _removalCutoff = null;
            _invalidations.Clear();
            _terminated.Clear();
            return;
        }
        if (CheckpointMessages.ParseRecoveryRestartPoint(msg) is { } redo)
        {
            if (_restartpointAwaitingRedo is { } rp) _restartpoints.Add(rp with { RedoLsn = rp.RedoLsn ?? redo });
            _restartpointAwaitingRedo = null;
            return;
        }
        if (CheckpointMessages.ParseInvalidation(msg, out var detailFollows) is { } inv)
        {
            _invalidations.Add(inv);
            var index = _invalidations.Count - 1;
            if (detailFollows) _awaitingDetail = (pid, detail => _invalidations[index] = CheckpointMessages.WithDetail(_invalidations[index], detail));
            return;
        }
        if (CheckpointMessages.ParseTermination(msg) is { } term)
        {
            _terminated.Add(term);
            return;
        }
        if (ReplicationMessages.IsPromoteRequest(msg))
        {
            PromoteRequested = true;
            return;
        }
        if (ReplicationMessages.ParseNewTimeline(msg) is { } tli)
        {
            NewTimeline = tli;
            return;
        }
        ReadSlotSync(pid, msg);
    }

    private void ReadSlotSync(string pid, string msg)
    {
        if (ReplicationMessages.ParseSlotSync(msg, out var detailFollows) is not { } sync) return;
        _slotSync.Add(sync);
        var index = _slotSync.Count - 1;
        if (detailFollows) _awaitingDetail = (pid, detail => _slotSync[index] = ReplicationMessages.WithDetail(_slotSync[index], detail));
    }

    /// <summary>True while a "checkpoint starting" (or "restartpoint starting") has not been completed yet, or a
    /// restartpoint's "recovery restart point at" line is still to come.</summary>
    public bool CheckpointInProgress => _startFlags is not null || _restartpointAwaitingRedo is not null;

    /// <summary>A shutdown or end-of-recovery checkpoint: written by the server's life cycle, not by the scenario.</summary>
    public static bool IsLifecycle(LoggedCheckpoint c) => CheckpointMessages.IsLifecycle(c.Flags);
}

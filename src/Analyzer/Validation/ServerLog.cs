using System.Text.RegularExpressions;
using Walsim.Analyzer.Sources;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Analyzer.Validation;

/// <summary>A checkpoint as <c>log_checkpoints</c> reported it (LogCheckpointStart/LogCheckpointEnd in xlog.c), as validation compares it.</summary>
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
    IReadOnlyList<LoggedTermination> Terminations);

/// <summary>
/// Reads a PostgreSQL server log written with <c>log_line_prefix = '%m [%p] '</c> and picks out what validation
/// compares: completed checkpoints with their added/removed/recycled counts and distance/estimate, and the slot
/// invalidations and walsender terminations that happened inside them. Fed line by line as the log grows; a
/// checkpoint is reported once its "checkpoint complete" line has been read. Shutdown and end-of-recovery
/// checkpoints are not the scenario's and are reported with their flags, for the caller to skip. The messages
/// themselves are read by <see cref="CheckpointMessages"/>, shared with the general log reader <see cref="CheckpointLog"/>.
/// </summary>
public sealed partial class ServerLog
{
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(?<pid>\d+)\] (?<level>[A-Z]+):  (?<msg>.*)$")]
    private static partial Regex LinePattern();

    private readonly List<LoggedCheckpoint> _completed = [];
    private string? _startFlags;
    private readonly List<LoggedInvalidation> _invalidations = [];
    private readonly List<LoggedTermination> _terminated = [];
    private LoggedInvalidation? _awaitingDetail;
    private string _partial = "";

    /// <summary>Checkpoints completed so far, in log order.</summary>
    public IReadOnlyList<LoggedCheckpoint> Checkpoints => _completed;

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
        var level = m.Groups["level"].Value;
        var msg = m.Groups["msg"].Value;

        if (level == "DETAIL" && _awaitingDetail is { } pending)
        {
            _invalidations[^1] = CheckpointMessages.WithDetail(pending, msg);
            _awaitingDetail = null;
            return;
        }
        if (level != "LOG") return;
        _awaitingDetail = null;

        // Validation runs primaries only: restartpoint lines are not its checkpoints.
        if (CheckpointMessages.TryParseStart(msg, out var restartpoint, out var startFlags) && !restartpoint)
        {
            _startFlags = startFlags;
            return;
        }
        if (CheckpointMessages.ParseComplete(msg) is { IsRestartpoint: false } done)
        {
            var flags = _startFlags ?? "";
            _completed.Add(new LoggedCheckpoint(
                CheckpointMessages.CauseOf(flags), flags,
                done.Added, done.Removed, done.Recycled, done.DistanceKb, done.EstimateKb,
                done.CheckpointLsn, done.RedoLsn,
                [.. _invalidations], [.. _terminated]));
            _startFlags = null;
            _invalidations.Clear();
            _terminated.Clear();
            return;
        }
        if (CheckpointMessages.ParseInvalidation(msg, out var detailFollows) is { } inv)
        {
            _invalidations.Add(inv);
            if (detailFollows) _awaitingDetail = inv;
            return;
        }
        if (CheckpointMessages.ParseTermination(msg) is { } term)
            _terminated.Add(term);
    }

    /// <summary>True while a "checkpoint starting" has no "checkpoint complete" yet.</summary>
    public bool CheckpointInProgress => _startFlags is not null;

    /// <summary>A shutdown or end-of-recovery checkpoint: written by the server's life cycle, not by the scenario.</summary>
    public static bool IsLifecycle(LoggedCheckpoint c) => CheckpointMessages.IsLifecycle(c.Flags);
}

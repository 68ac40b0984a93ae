using System.Globalization;
using System.Text.RegularExpressions;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;

namespace Walsim.Analyzer.Validation;

/// <summary>A checkpoint as <c>log_checkpoints</c> reported it (LogCheckpointStart/LogCheckpointEnd in xlog.c).</summary>
public sealed record LoggedCheckpoint(
    CheckpointCause Cause,
    string Flags,
    int Added,
    int Removed,
    int Recycled,
    long DistanceKb,
    long EstimateKb,
    Lsn? CheckpointLsn,        // 16+: "; lsn=X, redo lsn=Y"
    Lsn? RedoLsn,
    IReadOnlyList<LoggedInvalidation> Invalidations,
    IReadOnlyList<LoggedTermination> Terminations);

/// <summary>A slot invalidation message: 13–15 one LOG line, 16+ a LOG line and a DETAIL line.</summary>
/// <summary>"terminating process N to release replication slot": the walsender an invalidation killed first.</summary>
public sealed record LoggedTermination(int Pid, string Slot);

public sealed record LoggedInvalidation(string Slot, Lsn? RestartLsn, string Text);

/// <summary>
/// Reads a PostgreSQL server log written with <c>log_line_prefix = '%m [%p] '</c> and picks out what validation
/// compares: completed checkpoints with their added/removed/recycled counts and distance/estimate, and the slot
/// invalidations and walsender terminations that happened inside them. Fed line by line as the log grows; a
/// checkpoint is reported once its "checkpoint complete" line has been read. Shutdown and end-of-recovery
/// checkpoints are not the scenario's and are reported with their flags, for the caller to skip.
/// </summary>
public sealed partial class ServerLog
{
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(?<pid>\d+)\] (?<level>[A-Z]+):  (?<msg>.*)$")]
    private static partial Regex LinePattern();

    [GeneratedRegex(@"^checkpoint starting:(?<flags>.*)$")]
    private static partial Regex StartPattern();

    [GeneratedRegex(@"^checkpoint complete: .*?(?<added>\d+) WAL file\(s\) added, (?<removed>\d+) removed, (?<recycled>\d+) recycled;.*distance=(?<distance>\d+) kB, estimate=(?<estimate>\d+) kB(?:; lsn=(?<lsn>[0-9A-F]+/[0-9A-F]+), redo lsn=(?<redo>[0-9A-F]+/[0-9A-F]+))?")]
    private static partial Regex CompletePattern();

    // 13–15: invalidating slot "s1" because its restart_lsn 0/6C4990 exceeds max_slot_wal_keep_size
    [GeneratedRegex(@"^invalidating slot ""(?<slot>[^""]+)"" because its restart_lsn (?<lsn>[0-9A-F]+/[0-9A-F]+) exceeds max_slot_wal_keep_size")]
    private static partial Regex OldInvalidationPattern();

    // 16+: invalidating obsolete replication slot "s1" / DETAIL: The slot's restart_lsn 0/5DDE50 exceeds the limit by N bytes.
    [GeneratedRegex(@"^invalidating obsolete replication slot ""(?<slot>[^""]+)""")]
    private static partial Regex NewInvalidationPattern();

    [GeneratedRegex(@"restart_lsn (?<lsn>[0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex DetailLsnPattern();

    [GeneratedRegex(@"^terminating process (?<pid>\d+) to release replication slot ""(?<slot>[^""]+)""")]
    private static partial Regex TerminatePattern();

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
            var lsn = DetailLsnPattern().Match(msg);
            _invalidations[^1] = pending with { RestartLsn = lsn.Success ? Lsn.Parse(lsn.Groups["lsn"].Value) : null, Text = pending.Text + " DETAIL: " + msg };
            _awaitingDetail = null;
            return;
        }
        if (level != "LOG") return;
        _awaitingDetail = null;

        if (StartPattern().Match(msg) is { Success: true } start)
        {
            _startFlags = start.Groups["flags"].Value.Trim();
            return;
        }
        if (CompletePattern().Match(msg) is { Success: true } done)
        {
            var flags = _startFlags ?? "";
            _completed.Add(new LoggedCheckpoint(
                CauseOf(flags), flags,
                Int(done, "added"), Int(done, "removed"), Int(done, "recycled"),
                long.Parse(done.Groups["distance"].Value, CultureInfo.InvariantCulture),
                long.Parse(done.Groups["estimate"].Value, CultureInfo.InvariantCulture),
                done.Groups["lsn"].Success ? Lsn.Parse(done.Groups["lsn"].Value) : null,
                done.Groups["redo"].Success ? Lsn.Parse(done.Groups["redo"].Value) : null,
                [.. _invalidations], [.. _terminated]));
            _startFlags = null;
            _invalidations.Clear();
            _terminated.Clear();
            return;
        }
        if (OldInvalidationPattern().Match(msg) is { Success: true } old)
        {
            _invalidations.Add(new LoggedInvalidation(old.Groups["slot"].Value, Lsn.Parse(old.Groups["lsn"].Value), msg));
            return;
        }
        if (NewInvalidationPattern().Match(msg) is { Success: true } inv)
        {
            var entry = new LoggedInvalidation(inv.Groups["slot"].Value, null, msg);
            _invalidations.Add(entry);
            _awaitingDetail = entry;
            return;
        }
        if (TerminatePattern().Match(msg) is { Success: true } term)
            _terminated.Add(new LoggedTermination(int.Parse(term.Groups["pid"].Value, CultureInfo.InvariantCulture), term.Groups["slot"].Value));
    }

    /// <summary>True while a "checkpoint starting" has no "checkpoint complete" yet.</summary>
    public bool CheckpointInProgress => _startFlags is not null;

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    // LogCheckpointStart prints the flags: "immediate force wait", "wal", "time", "shutdown immediate", "end-of-recovery".
    private static CheckpointCause CauseOf(string flags)
    {
        var words = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Contains("wal") || words.Contains("xlog")) return CheckpointCause.Wal;
        if (words.Contains("immediate") || words.Contains("force")) return CheckpointCause.Immediate;
        return CheckpointCause.Time;
    }

    /// <summary>A shutdown or end-of-recovery checkpoint: written by the server's life cycle, not by the scenario.</summary>
    public static bool IsLifecycle(LoggedCheckpoint c) => c.Flags.Contains("shutdown") || c.Flags.Contains("end-of-recovery");
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// What one <c>log_checkpoints</c> "checkpoint complete" (or "restartpoint complete") message says, as
/// <c>LogCheckpointEnd</c> (xlog.c) prints it. Times are the logged milliseconds; distance and estimate are the
/// logged <c>(int)(bytes / 1024.0)</c>, i.e. floored to whole kB.
/// </summary>
public sealed record CheckpointStats(
    bool IsRestartpoint,
    int BuffersWritten,
    int? SlruBuffersWritten,   // 18+: "wrote N SLRU buffers"
    int Added,
    int Removed,
    int Recycled,
    TimeSpan Write,
    TimeSpan Sync,
    TimeSpan Total,
    long DistanceKb,
    long EstimateKb,
    Lsn? CheckpointLsn,        // 16+: "; lsn=X/X, redo lsn=X/X"
    Lsn? RedoLsn);

/// <summary>"terminating process N to release replication slot": the walsender an invalidation killed first.</summary>
public sealed record LoggedTermination(int Pid, string Slot);

/// <summary>A slot invalidation message: 13–15 one LOG line, 16+ a LOG line and a DETAIL line with the restart_lsn.</summary>
public sealed record LoggedInvalidation(string Slot, Lsn? RestartLsn, string Text)
{
    /// <summary>16+ WAL-removed DETAIL: "exceeds the limit by N bytes" (the oldest LSN kept − restart_lsn); null on 13–15.</summary>
    public long? ExceedsBy { get; init; }
}

/// <summary>How a server start or stop shows in the log.</summary>
public enum LifecycleKind
{
    /// <summary>"starting PostgreSQL 15.18 on …" (postmaster start; the checkpointer starts with it).</summary>
    Starting,
    /// <summary>"all server processes terminated; reinitializing": a crash restart, every child started again.</summary>
    Reinitializing,
    /// <summary>"database system is ready to accept (read-only) connections".</summary>
    Ready,
    /// <summary>"database system is shut down".</summary>
    ShutDown,
    /// <summary>"terminating any other active server processes", "… was terminated by signal": a crash.</summary>
    Crashed,
}

/// <summary>
/// The message-level grammar of the server log lines walsim reads, shared by the validation harness
/// (<c>Validation.ServerLog</c>) and the log reader (<see cref="CheckpointLog"/>): the text after the
/// <c>LOG:  </c> (or <c>DETAIL:  </c>) marker, whatever the line prefix or the file format. The format strings
/// are PostgreSQL's, read per release 12–18 (REL_xx_STABLE): <c>LogCheckpointStart</c>/<c>LogCheckpointEnd</c>
/// and <c>CreateRestartPoint</c> in xlog.c, <c>InvalidatePossiblyObsoleteSlot</c> in slot.c,
/// <c>ProcessConfigFileInternal</c> in guc-file.l / guc.c. English only (<c>lc_messages = 'C'</c>): translated
/// messages do not match.
/// </summary>
public static partial class CheckpointMessages
{
    // LogCheckpointStart, 12–18: "checkpoint starting:" + one " word" per flag (shutdown end-of-recovery immediate
    // force wait wal time flush-all); the standby prints "restartpoint" instead.
    // Azure Database for PostgreSQL prints a number in parentheses before the colon ("checkpoint complete (212): …").
    [GeneratedRegex(@"^(?<kind>checkpoint|restartpoint) starting(?: \(\d+\))?:(?<flags>[ a-z-]*)$")]
    private static partial Regex StartPattern();

    // LogCheckpointEnd. 12–15: "...; distance=%d kB, estimate=%d kB"; 16+ adds "; lsn=%X/%X, redo lsn=%X/%X"
    // (commit 62c46eee22, first released in 16.0: REL_15_STABLE does not print it); 18 adds ", wrote %d SLRU
    // buffers" after the buffer percentage; the development branch after 18 prints the flags again
    // ("checkpoint complete: fast force wait: wrote …") and LSNs as %X/%08X, both accepted here.
    [GeneratedRegex(@"^(?<kind>checkpoint|restartpoint) complete(?: \(\d+\))?:(?:(?<flags>[ a-z-]+):)? wrote (?<buffers>\d+) buffers \([0-9.]+%\)(?:, wrote (?<slru>\d+) SLRU buffers)?; (?<added>\d+) WAL file\(s\) added, (?<removed>\d+) removed, (?<recycled>\d+) recycled; write=(?<write>\d+\.\d{3}) s, sync=(?<sync>\d+\.\d{3}) s, total=(?<total>\d+\.\d{3}) s; sync files=\d+, longest=\d+\.\d{3} s, average=\d+\.\d{3} s; distance=(?<distance>\d+) kB, estimate=(?<estimate>\d+) kB(?:; lsn=(?<lsn>[0-9A-F]+/[0-9A-F]+), redo lsn=(?<redo>[0-9A-F]+/[0-9A-F]+))?")]
    private static partial Regex CompletePattern();

    // CreateRestartPoint (12–18), right after LogCheckpointEnd: the restartpoint's redo pointer, which 12–15 do not
    // print in "restartpoint complete".
    [GeneratedRegex(@"^recovery restart point at (?<lsn>[0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex RecoveryRestartPointPattern();

    // CreateRestartPoint (12–18), DEBUG2: no primary checkpoint replayed since the last restartpoint; the LSN is
    // lastCheckPoint.redo, the newest replayed checkpoint's redo.
    [GeneratedRegex(@"^skipping restartpoint, already performed at (?<lsn>[0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex SkippedRestartpointPattern();

    // 13–15: invalidating slot "s1" because its restart_lsn 0/6C4990 exceeds max_slot_wal_keep_size
    [GeneratedRegex(@"^invalidating slot ""(?<slot>[^""]+)"" because its restart_lsn (?<lsn>[0-9A-F]+/[0-9A-F]+) exceeds max_slot_wal_keep_size")]
    private static partial Regex OldInvalidationPattern();

    // 16+: invalidating obsolete replication slot "s1" / DETAIL: The slot's restart_lsn 0/5DDE50 exceeds the limit by N bytes.
    [GeneratedRegex(@"^invalidating obsolete replication slot ""(?<slot>[^""]+)""")]
    private static partial Regex NewInvalidationPattern();

    [GeneratedRegex(@"restart_lsn (?<lsn>[0-9A-F]+/[0-9A-F]+)(?: exceeds the limit by (?<bytes>\d+) bytes)?")]
    private static partial Regex DetailLsnPattern();

    [GeneratedRegex(@"^terminating process (?<pid>\d+) to release replication slot ""(?<slot>[^""]+)""")]
    private static partial Regex TerminatePattern();

    // ProcessConfigFileInternal on SIGHUP: parameter "max_wal_size" changed to "6MB"
    [GeneratedRegex(@"^parameter ""(?<name>[^""]+)"" changed to ""(?<value>[^""]*)""")]
    private static partial Regex ParameterChangedPattern();

    // CheckXLogRemoved (xlog.c) and WALRead's caller in xlogutils.c, 12–18.
    [GeneratedRegex(@"^requested WAL segment (?<seg>[0-9A-F]{24}) has already been removed")]
    private static partial Regex SegmentRemovedPattern();

    // The same error as a standby's walreceiver logs it, its upstream's message quoted (libpqwalreceiver.c
    // libpqrcv_startstreaming / libpqrcv_receive, 12–18; FATAL, a walreceiver's ERROR being fatal to it).
    [GeneratedRegex(@"^could not (?:start WAL streaming|receive data from WAL stream): ERROR:  requested WAL segment (?<seg>[0-9A-F]{24}) has already been removed")]
    private static partial Regex UpstreamSegmentRemovedPattern();

    [GeneratedRegex(@"^starting PostgreSQL (?<version>\d+(?:\.\d+)?)")]
    private static partial Regex StartingPattern();

    /// <summary>"checkpoint starting: wal" → (false, "wal"); "restartpoint starting: time" → (true, "time").</summary>
    public static bool TryParseStart(string message, out bool isRestartpoint, out string flags)
    {
        var m = StartPattern().Match(message);
        isRestartpoint = m.Success && m.Groups["kind"].Value == "restartpoint";
        flags = m.Success ? m.Groups["flags"].Value.Trim() : "";
        return m.Success;
    }

    /// <summary>True when the message claims to be a checkpoint or restartpoint end, parseable or not.</summary>
    public static bool LooksLikeComplete(string message) =>
        (message.StartsWith("checkpoint complete", StringComparison.Ordinal) || message.StartsWith("restartpoint complete", StringComparison.Ordinal))
        && message.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon && colon < 32;

    /// <summary>A 9.x "checkpoint complete" ("… transaction log file(s) added …"; 10 renamed it "WAL file(s)").</summary>
    public static bool IsBefore10(string message) =>
        LooksLikeComplete(message) && message.Contains(" transaction log file(s) added", StringComparison.Ordinal);

    /// <summary>"requested WAL segment 000000010000000000000003 has already been removed" → the segment's name.</summary>
    public static string? ParseSegmentRemoved(string message) =>
        SegmentRemovedPattern().Match(message) is { Success: true } m ? m.Groups["seg"].Value : null;

    /// <summary>"could not receive data from WAL stream: ERROR:  requested WAL segment 000000010000000000000003 has
    /// already been removed" (a standby's walreceiver; also "could not start WAL streaming: …") → the segment's name.</summary>
    public static string? ParseUpstreamSegmentRemoved(string message) =>
        message.StartsWith("could not ", StringComparison.Ordinal) && UpstreamSegmentRemovedPattern().Match(message) is { Success: true } m ? m.Groups["seg"].Value : null;

    /// <summary>The counts of a "checkpoint complete" / "restartpoint complete" message; null when it is not one.</summary>
    public static CheckpointStats? ParseComplete(string message)
    {
        if (!LooksLikeComplete(message)) return null;
        var m = CompletePattern().Match(message);
        if (!m.Success) return null;
        return new CheckpointStats(
            m.Groups["kind"].Value == "restartpoint",
            Int(m, "buffers"),
            m.Groups["slru"].Success ? Int(m, "slru") : null,
            Int(m, "added"), Int(m, "removed"), Int(m, "recycled"),
            Seconds(m, "write"), Seconds(m, "sync"), Seconds(m, "total"),
            long.Parse(m.Groups["distance"].Value, CultureInfo.InvariantCulture),
            long.Parse(m.Groups["estimate"].Value, CultureInfo.InvariantCulture),
            m.Groups["lsn"].Success ? Lsn.Parse(m.Groups["lsn"].Value) : null,
            m.Groups["redo"].Success ? Lsn.Parse(m.Groups["redo"].Value) : null);
    }

    /// <summary>What the complete message looks like, for errors about one that does not parse.</summary>
    public const string CompleteShape =
        "checkpoint complete: wrote N buffers (P%); N WAL file(s) added, N removed, N recycled; write=S s, sync=S s, total=S s; sync files=N, longest=S s, average=S s; distance=N kB, estimate=N kB[; lsn=X/X, redo lsn=X/X]";

    /// <summary>"recovery restart point at 0/1700028" → that redo LSN.</summary>
    public static Lsn? ParseRecoveryRestartPoint(string message) =>
        RecoveryRestartPointPattern().Match(message) is { Success: true } m ? Lsn.Parse(m.Groups["lsn"].Value) : null;

    /// <summary>"skipping restartpoint, already performed at 0/600028" (DEBUG2) → the replayed checkpoint's redo it names.</summary>
    /// <summary>
    /// <c>RemoveOldXlogFiles</c>' DEBUG2 "attempting to remove WAL segments older than log file %s": the cut-off file,
    /// named with timeline 0 (<c>XLogFileName(lastoff, 0, segno)</c>); files whose segment part sorts at or below it go.
    /// </summary>
    public static string? ParseRemovalCutoff(string message) =>
        RemovalCutoffPattern().Match(message) is { Success: true } m ? m.Groups["file"].Value : null;

    [GeneratedRegex(@"^attempting to remove WAL segments older than log file (?<file>[0-9A-F]{24})$")]
    private static partial Regex RemovalCutoffPattern();

    public static Lsn? ParseSkippedRestartpoint(string message) =>
        SkippedRestartpointPattern().Match(message) is { Success: true } m ? Lsn.Parse(m.Groups["lsn"].Value) : null;

    /// <summary>
    /// A slot invalidation: 13–15 carry the restart_lsn in the message itself; 16+ put it in the DETAIL that follows
    /// (<paramref name="detailFollows"/> is then true and <see cref="WithDetail"/> joins it).
    /// </summary>
    public static LoggedInvalidation? ParseInvalidation(string message, out bool detailFollows)
    {
        detailFollows = false;
        if (OldInvalidationPattern().Match(message) is { Success: true } old)
            return new LoggedInvalidation(old.Groups["slot"].Value, Lsn.Parse(old.Groups["lsn"].Value), message);
        if (NewInvalidationPattern().Match(message) is { Success: true } inv)
        {
            detailFollows = true;
            return new LoggedInvalidation(inv.Groups["slot"].Value, null, message);
        }
        return null;
    }

    /// <summary>The 16+ DETAIL of an invalidation joined to it, with the restart_lsn when the detail names one.</summary>
    public static LoggedInvalidation WithDetail(LoggedInvalidation invalidation, string detail)
    {
        var lsn = DetailLsnPattern().Match(detail);
        return invalidation with
        {
            RestartLsn = lsn.Success ? Lsn.Parse(lsn.Groups["lsn"].Value) : invalidation.RestartLsn,
            ExceedsBy = lsn.Groups["bytes"].Success ? long.Parse(lsn.Groups["bytes"].Value, CultureInfo.InvariantCulture) : invalidation.ExceedsBy,
            Text = invalidation.Text + " DETAIL: " + detail,
        };
    }

    public static LoggedTermination? ParseTermination(string message) =>
        TerminatePattern().Match(message) is { Success: true } m
            ? new LoggedTermination(Int(m, "pid"), m.Groups["slot"].Value)
            : null;

    /// <summary>parameter "x" changed to "y" (a reload); the value as postgresql.conf gave it (units included).</summary>
    public static bool TryParseParameterChanged(string message, out string name, out string value)
    {
        var m = ParameterChangedPattern().Match(message);
        name = m.Success ? m.Groups["name"].Value : "";
        value = m.Success ? m.Groups["value"].Value : "";
        return m.Success;
    }

    /// <summary>A server start or stop line (postmaster.c, xlog.c), with the version "starting PostgreSQL" names.</summary>
    public static LifecycleKind? ParseLifecycle(string message, out string? version)
    {
        version = null;
        if (StartingPattern().Match(message) is { Success: true } s)
        {
            version = s.Groups["version"].Value;
            return LifecycleKind.Starting;
        }
        if (message.StartsWith("all server processes terminated; reinitializing", StringComparison.Ordinal)) return LifecycleKind.Reinitializing;
        if (message.StartsWith("database system is ready to accept", StringComparison.Ordinal)) return LifecycleKind.Ready;
        if (message.StartsWith("database system is shut down", StringComparison.Ordinal)) return LifecycleKind.ShutDown;
        if (message.StartsWith("terminating any other active server processes", StringComparison.Ordinal)
            || (message.StartsWith("server process (PID", StringComparison.Ordinal) && message.Contains("was terminated by signal", StringComparison.Ordinal))
            || message.StartsWith("received immediate shutdown request", StringComparison.Ordinal))
            return LifecycleKind.Crashed;
        return null;
    }

    /// <summary>
    /// What started a checkpoint, from <c>LogCheckpointStart</c>'s flags: <c>wal</c> (CHECKPOINT_CAUSE_XLOG) →
    /// <see cref="CheckpointCause.Wal"/>; <c>immediate</c>/<c>force</c> (a CHECKPOINT command, a base backup, …) →
    /// <see cref="CheckpointCause.Immediate"/>; otherwise (<c>time</c>, or no start line) <see cref="CheckpointCause.Time"/>.
    /// </summary>
    public static CheckpointCause CauseOf(string flags)
    {
        var words = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Contains("wal") || words.Contains("xlog")) return CheckpointCause.Wal;
        if (words.Contains("immediate") || words.Contains("fast") || words.Contains("force")) return CheckpointCause.Immediate;
        return CheckpointCause.Time;
    }

    /// <summary>A shutdown or end-of-recovery checkpoint: written by the server's life cycle, not by the workload.</summary>
    public static bool IsLifecycle(string flags) =>
        flags.Contains("shutdown", StringComparison.Ordinal) || flags.Contains("end-of-recovery", StringComparison.Ordinal);

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    // "%ld.%03d s": whole milliseconds.
    private static TimeSpan Seconds(Match m, string group) =>
        TimeSpan.FromMilliseconds(Math.Round(double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) * 1000));
}

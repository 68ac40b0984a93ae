using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Sources;

/// <summary>
/// Reads PostgreSQL server logs written with <c>log_checkpoints = on</c> (stderr with any <c>log_line_prefix</c>
/// that has <c>%m</c> or <c>%t</c>, csvlog, jsonlog; 12–18) into completed checkpoints and restartpoints, server
/// starts and stops, and reloaded settings. Streaming: events are produced as the lines are enumerated and nothing
/// is kept but the checkpoint in progress, so memory does not grow with the file. A log without a single checkpoint
/// line is an error that says what to set (<c>log_checkpoints</c>, <c>lc_messages</c>); any other problem is a
/// <see cref="LogFileException"/> naming file, line and column.
/// </summary>
public static partial class CheckpointLog
{
    /// <summary>What a server log gives walsim and what it lacks (for <c>replay</c>/<c>forecast</c> to print).</summary>
    public const string SourceDescription =
        "A server log with log_checkpoints = on gives, per completed checkpoint (and standby restartpoint): when it " +
        "started and completed, what started it (time, wal, immediate, shutdown), buffers written, the WAL files " +
        "added, removed and recycled, the write/sync/total seconds, the distance between this and the previous redo " +
        "pointer and the checkpointer's distance estimate (both in kB), the checkpoint and redo LSNs (16+; " +
        "restartpoints on every version), the slots it invalidated with their restart_lsn (13+) and the walsenders it " +
        "terminated; also server starts, stops and crashes, and settings changed by a reload (parameter \"x\" changed " +
        "to \"y\"). It lacks: WAL positions between checkpoints (the WAL rate is known per checkpoint interval only), " +
        "slot positions except when a slot is invalidated, the absolute number of files in pg_wal (only the change " +
        "each checkpoint makes, not the segments created as WAL is written), the segment size, and the settings in " +
        "force before the first reload in the log (give them with --settings).";

    /// <summary>The checkpoints and restartpoints of the log at <paramref name="path"/>, read lazily.</summary>
    public static IEnumerable<LogCheckpoint> Read(string path) => ReadEvents(path).OfType<LogCheckpoint>();

    /// <summary>The checkpoints and restartpoints of a log read from <paramref name="reader"/>; <paramref name="fileName"/>
    /// names it in errors and decides csvlog (<c>.csv</c>) or jsonlog (<c>.json</c>), else the first line does.</summary>
    public static IEnumerable<LogCheckpoint> Read(TextReader reader, string fileName) =>
        ReadEvents(reader, fileName).OfType<LogCheckpoint>();

    /// <summary>Every event of the log at <paramref name="path"/> (checkpoints, starts and stops, setting changes, slot
    /// losses, notes), lazily. <paramref name="path"/> may name a rotated set (a directory or a glob, see
    /// <see cref="LogFiles"/>): its files are read in time order as one log, each in the format its content shows
    /// unless <paramref name="format"/> says.</summary>
    public static IEnumerable<ServerLogEvent> ReadEvents(string path, LogFormat? format = null, LogLinePrefix? logLinePrefix = null)
    {
        var files = LogFiles.Resolve(path);
        var assembler = new CheckpointAssembler(files[0]);
        var output = new List<ServerLogEvent>();
        if (files.Count > 1)
            assembler.Note(0, null, string.Create(CultureInfo.InvariantCulture,
                $"read {files.Count} files in time order (by the first time each holds): {string.Join(", ", files.Select(Path.GetFileName))}"), output);
        foreach (var file in files)
        {
            assembler.File = file;
            using var reader = LogFiles.OpenText(file);
            foreach (var e in ReadFile(reader, file, format, logLinePrefix, LogReadOptions.For(file), assembler, output)) yield return e;
        }
        assembler.Finish(output);
        foreach (var e in output) yield return e;
    }

    /// <summary>Every event of a log read from <paramref name="reader"/>, in time order; <paramref name="format"/>
    /// overrides the detection, <paramref name="logLinePrefix"/> (stderr only) the prefix detection;
    /// <paramref name="options"/> give a BSD syslog header its year (default: the current year).</summary>
    public static IEnumerable<ServerLogEvent> ReadEvents(TextReader reader, string fileName, LogFormat? format = null, LogLinePrefix? logLinePrefix = null,
        LogReadOptions? options = null)
    {
        var assembler = new CheckpointAssembler(fileName);
        var output = new List<ServerLogEvent>();
        foreach (var e in ReadFile(reader, fileName, format, logLinePrefix, options ?? LogReadOptions.For(fileName), assembler, output)) yield return e;
        assembler.Finish(output);
        foreach (var e in output) yield return e;
    }

    private static IEnumerable<ServerLogEvent> ReadFile(TextReader reader, string fileName, LogFormat? format, LogLinePrefix? logLinePrefix,
        LogReadOptions options, CheckpointAssembler assembler, List<ServerLogEvent> output)
    {
        // Detection needs the first line; it is read here and put back in front of the rest.
        var first = reader.ReadLine();
        if (first is null)
            throw new LogFileException(fileName, 0, 0, "", "the file is empty: " + NothingFoundHint);
        var fmt = format ?? LogRecords.Detect(fileName, first);
        var records = LogRecords.Read(new PrependedReader(first, reader), fileName, fmt, logLinePrefix, options);
        foreach (var record in LogOrder.Forward(records, (line, text) => assembler.Note(line, null, text, output)))
        {
            assembler.Accept(record, output);
            foreach (var e in output) yield return e;
            output.Clear();
        }
    }

    /// <summary>
    /// Format sniffing for a command that takes "a file": true when <paramref name="firstLines"/> (the first few
    /// lines of <paramref name="path"/>) look like a PostgreSQL server log in any of the three formats.
    /// </summary>
    public static bool IsLikely(string path, string firstLines)
    {
        var lines = firstLines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) return false;
        var format = LogRecords.Detect(path, lines[0]);
        foreach (var line in lines.Take(50))
        {
            switch (format)
            {
                case LogFormat.Jsonlog when line.Contains("\"error_severity\"", StringComparison.Ordinal) || line.Contains("\"textPayload\"", StringComparison.Ordinal)
                                             || line.Contains("\"log_time\"", StringComparison.Ordinal) || line.Contains("\"errorLevel\"", StringComparison.Ordinal):
                    return true;
                case LogFormat.Csvlog when CsvSeverity().IsMatch(line):
                    return true;
                case LogFormat.Stderr:
                    try
                    {
                        if (LogRecords.Parse(line, 1, path) is { Time: not null }) return true;
                    }
                    catch (LogFileException)
                    {
                        // A malformed time is still a log line; Read will report it properly.
                        return true;
                    }
                    break;
            }
        }
        return false;
    }

    /// <summary>The first of <paramref name="lines"/> (1-based) that would be a stderr log line but for one space after
    /// its level ("2021-05-27 17:00:00 UTC:…:[24743]:LOG: duration: …"): null when there is none.</summary>
    public static int? CollapsedLevelLine(IReadOnlyList<string> lines)
    {
        for (var i = 0; i < lines.Count && i < 50; i++)
            if (CollapsedLevel().IsMatch(lines[i])) return i + 1;
        return null;
    }

    [GeneratedRegex(@"^\S*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*?(?<![A-Za-z])(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DETAIL|HINT|STATEMENT): \S")]
    private static partial Regex CollapsedLevel();

    // A csvlog record has the severity as its 12th column: ",LOG,00000," (error_severity, sql_state_code).
    [GeneratedRegex(@",(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?),[0-9A-Z]{5},")]
    private static partial Regex CsvSeverity();

    internal const string NothingFoundHint =
        "walsim reads PostgreSQL server logs written with log_checkpoints = on (the default from 15) and " +
        "lc_messages = 'C' (English): set both in postgresql.conf, reload, and collect the log again";

    /// <summary>A reader that yields one already-read line, then the rest of another reader.</summary>
    private sealed class PrependedReader(string first, TextReader rest) : TextReader
    {
        private string? _first = first;

        public override string? ReadLine()
        {
            if (_first is null) return rest.ReadLine();
            var line = _first;
            _first = null;
            return line;
        }

        public override int Peek() => _first is null ? rest.Peek() : _first.Length > 0 ? _first[0] : '\n';

        public override int Read()
        {
            if (_first is null) return rest.Read();
            if (_first.Length == 0)
            {
                _first = null;
                return '\n';
            }
            var c = _first[0];
            _first = _first[1..];
            return c;
        }
    }
}

/// <summary>
/// The state machine behind <see cref="CheckpointLog"/>: pairs "checkpoint starting" with "checkpoint complete",
/// collects the invalidations and terminations logged in between (joining a 16+ invalidation with its DETAIL from
/// the same process, whatever other processes log in between), attaches "recovery restart point at" to the
/// restartpoint it follows, notes server starts (the checkpointer's estimate restarts from 0) and infers the ones a
/// log does not show (a shutdown checkpoint, or a checkpointer with another process ID than the one before). Slot
/// losses are events of their own too, for logs written without <c>log_checkpoints</c>.
/// </summary>
internal sealed partial class CheckpointAssembler(string fileName)
{
    // An English message any running server logs sooner or later: tells "log_checkpoints is off" from "not English".
    [GeneratedRegex(@"^(?:database system |checkpoints are occurring|connection (?:received|authorized)|duration: |statement: |automatic (?:vacuum|analyze)|shutting down|received \w+ shutdown request|listening on|starting PostgreSQL|parameter ""|redo |could not |relation |terminating |archive )")]
    private static partial Regex EnglishPattern();

    private const int MaxHeld = 1000;

    /// <summary>The file being read (a rotated set changes it between files).</summary>
    public string File { get; set; } = fileName;

    private (DateTimeOffset Time, string Flags, bool Restartpoint)? _start;
    private readonly List<LoggedInvalidation> _invalidations = [];
    private readonly List<LoggedTermination> _terminations = [];
    private int? _detailPid;
    private bool _awaitingDetail;
    private (LogRecord Record, string File)? _pendingLoss;
    private readonly List<int> _terminatedSinceLoss = [];
    private LogCheckpoint? _held;
    private readonly List<ServerLogEvent> _queue = [];
    private bool _afterStart;
    private bool _startSinceStop;
    private bool _sawCheckpointLine;
    private bool _sawEnglish;
    private int _slotEvents;
    private int _records;
    private int? _checkpointerPid;
    private bool _lastWasShutdown;
    private readonly HashSet<string> _noted = new(StringComparer.Ordinal);

    /// <summary>Says <paramref name="text"/> once (a note of the same text again is dropped).</summary>
    public void Note(int line, DateTimeOffset? at, string text, List<ServerLogEvent> output)
    {
        if (_noted.Add(text)) Emit(new LogNote(File, line, at ?? DateTimeOffset.MinValue, text), output);
    }

    public void Accept(LogRecord r, List<ServerLogEvent> output)
    {
        _records++;
        if (r.Time is not null && r.TimeSource != LogTimeSource.Server) NoteTimeSource(r, output);
        if (r.Level == "DETAIL")
        {
            if (_awaitingDetail && (_detailPid is null || r.Pid is null || _detailPid == r.Pid))
            {
                _invalidations[^1] = CheckpointMessages.WithDetail(_invalidations[^1], r.Message);
                _awaitingDetail = false;
                EmitLoss(_invalidations[^1], output);
            }
            return;
        }
        if (r.Level == "ERROR" && CheckpointMessages.ParseSegmentRemoved(r.Message) is { } segment)
        {
            _slotEvents++;
            Emit(new WalSegmentRemoved(File, r.Line, TimeOf(r), segment, r.Pid), output);
            return;
        }
        if (r.Level is "FATAL" or "ERROR" && CheckpointMessages.ParseUpstreamSegmentRemoved(r.Message) is { } needed)
        {
            _slotEvents++;
            Emit(new WalSegmentRemoved(File, r.Line, TimeOf(r), needed, r.Pid) { Upstream = true }, output);
            return;
        }
        if (r.Level != "LOG") return;
        if (_awaitingDetail && (_detailPid is null || _detailPid == r.Pid))
        {
            _awaitingDetail = false;
            EmitLoss(_invalidations[^1], output);
        }
        var msg = r.Message;
        if (!_sawEnglish && EnglishPattern().IsMatch(msg)) _sawEnglish = true;
        if (!MayBeRead(msg)) return;

        if (CheckpointMessages.TryParseStart(msg, out var restartpoint, out var flags))
        {
            _sawCheckpointLine = true;
            Release(output);
            InferRestart(r, flags, output);
            _start = (TimeOf(r), flags, restartpoint);
            _invalidations.Clear();
            _terminations.Clear();
            return;
        }
        if (CheckpointMessages.LooksLikeComplete(msg))
        {
            _sawCheckpointLine = true;
            if (CheckpointMessages.IsBefore10(msg))
                throw new LogFileException(File, r.Line, 0, "message",
                    "logs from before PostgreSQL 10 are not supported (this checkpoint line counts \"transaction log file(s)\", as 9.x wrote it); walsim models 12-18");
            var stats = CheckpointMessages.ParseComplete(msg)
                ?? throw new LogFileException(File, r.Line, 0, "message", $"expected {CheckpointMessages.CompleteShape}, got \"{msg}\"");
            Release(output);
            if (_start is null) InferRestart(r, "", output);
            Complete(r, stats, output);
            return;
        }
        if (CheckpointMessages.ParseRecoveryRestartPoint(msg) is { } redo)
        {
            if (_held is { } held)
            {
                _held = held with { RedoLsn = redo };
                Release(output);
            }
            return;
        }
        if (CheckpointMessages.ParseInvalidation(msg, out var detailFollows) is { } inv)
        {
            _slotEvents++;
            _pendingLoss = (r, File);
            if (detailFollows && r.Detail is { } inlineDetail) inv = CheckpointMessages.WithDetail(inv, inlineDetail);
            else if (detailFollows) { _awaitingDetail = true; _detailPid = r.Pid; }
            _invalidations.Add(inv);
            if (!_awaitingDetail) EmitLoss(inv, output);
            return;
        }
        if (CheckpointMessages.ParseTermination(msg) is { } term)
        {
            _slotEvents++;
            _terminations.Add(term);
            _terminatedSinceLoss.Add(term.Pid);
            return;
        }
        if (CheckpointMessages.TryParseParameterChanged(msg, out var name, out var value))
        {
            Emit(new SettingChanged(File, r.Line, TimeOf(r), name, value), output);
            return;
        }
        if (CheckpointMessages.ParseLifecycle(msg, out var version) is { } kind)
        {
            if (version is not null && int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) && major < 10)
                throw new LogFileException(File, r.Line, 0, "message", $"logs from before PostgreSQL 10 are not supported (the server says \"starting PostgreSQL {version}\"); walsim models 12-18");
            switch (kind)
            {
                case LifecycleKind.Starting or LifecycleKind.Reinitializing:
                    _afterStart = _startSinceStop = true;
                    _checkpointerPid = null;
                    _lastWasShutdown = false;
                    break;
                case LifecycleKind.Ready:
                    // A log that begins after the "starting PostgreSQL" line (rotation) still shows the start here.
                    if (!_startSinceStop) _afterStart = _startSinceStop = true;
                    _lastWasShutdown = false;
                    break;
                case LifecycleKind.ShutDown or LifecycleKind.Crashed:
                    _startSinceStop = false;
                    // A checkpoint in progress at a crash never completes.
                    if (kind == LifecycleKind.Crashed) _start = null;
                    break;
            }
            Emit(new ServerLifecycle(File, r.Line, TimeOf(r), kind, version), output);
        }
    }

    // The first words of every LOG message read below (each parser is anchored at the message's start): the bulk of
    // a busy log ("duration: …", "statement: …", "connection authorized: …") is passed over after one look instead
    // of going through each parser in turn. A parser added below needs its first words here.
    private static bool MayBeRead(string msg) => msg.Length > 0 && msg[0] switch
    {
        'c' => msg.StartsWith("checkpoint ", StringComparison.Ordinal),
        'r' => msg.StartsWith("restartpoint ", StringComparison.Ordinal) || msg.StartsWith("recovery restart point at ", StringComparison.Ordinal)
               || msg.StartsWith("received immediate shutdown", StringComparison.Ordinal),
        'i' => msg.StartsWith("invalidating ", StringComparison.Ordinal),
        't' => msg.StartsWith("terminating ", StringComparison.Ordinal),
        'p' => msg.StartsWith("parameter \"", StringComparison.Ordinal),
        's' => msg.StartsWith("starting PostgreSQL", StringComparison.Ordinal) || msg.StartsWith("server process (PID", StringComparison.Ordinal),
        'a' => msg.StartsWith("all server processes terminated", StringComparison.Ordinal),
        'd' => msg.StartsWith("database system is ", StringComparison.Ordinal),
        _ => false,
    };

    // A checkpoint after a shutdown checkpoint, or from another checkpointer process, comes after a restart the log
    // does not show (its start lines grepped away, or in another file): the estimate starts again from 0, and the
    // interval is no rate. A pid reused by chance after a restart escapes this; a start line, when present, does not.
    private void InferRestart(LogRecord r, string flags, List<ServerLogEvent> output)
    {
        // 12–14 write the end-of-recovery checkpoint from the startup process, not the checkpointer.
        var byStartup = flags.Contains("end-of-recovery", StringComparison.Ordinal);
        var newPid = !byStartup && r.Pid is { } p && _checkpointerPid is { } q && p != q;
        if ((newPid || _lastWasShutdown) && !_afterStart)
        {
            Note(r.Line, r.Time, $"restarts the log does not show are inferred where {(newPid ? "the checkpointer's process ID changes" : "a shutdown checkpoint is followed by another checkpoint")} (first at {Path.GetFileName(File)}:{r.Line})", output);
            Emit(new ServerLifecycle(File, r.Line, TimeOf(r), LifecycleKind.Starting, null) { Inferred = true }, output);
            _afterStart = true;
        }
        if (r.Pid is not null && !byStartup) _checkpointerPid = r.Pid;
        _lastWasShutdown = false;
    }

    private void NoteTimeSource(LogRecord r, List<ServerLogEvent> output)
    {
        var text = r.TimeSource == LogTimeSource.SyslogNoYear
            ? string.Create(CultureInfo.InvariantCulture,
                $"times are the syslog headers' (the lines carry no time of the server's: add %m to log_line_prefix), which have no year and no zone: assumed {r.Time!.Value.Year} (from the file's last change) and UTC")
            : "times are a collector's (the ISO time in front of each line), not the server's: the lines carry none of their own (add %m to log_line_prefix)";
        Note(r.Line, r.Time, text, output);
    }

    private void EmitLoss(LoggedInvalidation inv, List<ServerLogEvent> output)
    {
        if (_pendingLoss is not { } pending) return;
        _pendingLoss = null;
        Emit(new SlotLost(pending.File, pending.Record.Line, TimeOf(pending.Record), inv.Slot, inv.RestartLsn, inv.ExceedsBy, [.. _terminatedSinceLoss]), output);
        _terminatedSinceLoss.Clear();
    }

    public void Finish(List<ServerLogEvent> output)
    {
        if (_pendingLoss is not null) EmitLoss(_invalidations[^1], output);
        Release(output);
        if (_sawCheckpointLine || _slotEvents > 0) return;
        var reason = _records == 0
            ? $"no PostgreSQL log lines found (expected a line prefix with a time such as %m or %t, then a level like \"LOG:  \"; csvlog files as .csv, jsonlog as .json): {CheckpointLog.NothingFoundHint}"
            : _sawEnglish
                ? string.Create(CultureInfo.InvariantCulture, $"no checkpoint lines among {_records} log messages: the server ran with log_checkpoints = off; set log_checkpoints = on (the default from PostgreSQL 15), reload, and collect the log again")
                : string.Create(CultureInfo.InvariantCulture, $"no checkpoint lines and no English messages among {_records} log messages: the server seems to log in another language (lc_messages), which walsim cannot parse; set lc_messages = 'C' and log_checkpoints = on in postgresql.conf, reload, and collect the log again");
        throw new LogFileException(File, 0, 0, "", reason);
    }

    private void Complete(LogRecord r, CheckpointStats stats, List<ServerLogEvent> output)
    {
        var complete = TimeOf(r);
        var started = _start is { } s && s.Restartpoint == stats.IsRestartpoint ? s : ((DateTimeOffset, string, bool)?)null;
        var checkpoint = new LogCheckpoint(
            File, r.Line,
            started?.Item1 ?? complete - stats.Total, started is not null, complete,
            started?.Item2 ?? "", stats, stats.RedoLsn,
            [.. _invalidations], [.. _terminations], _afterStart);
        _start = null;
        _invalidations.Clear();
        _terminations.Clear();
        _awaitingDetail = false;
        _afterStart = false;
        _lastWasShutdown = checkpoint.Flags.Contains("shutdown", StringComparison.Ordinal);
        if (r.Pid is not null && !checkpoint.Flags.Contains("end-of-recovery", StringComparison.Ordinal)) _checkpointerPid = r.Pid;
        // 12–15 restartpoints name their redo pointer on the next line ("recovery restart point at"): hold them.
        if (stats.IsRestartpoint && stats.RedoLsn is null) _held = checkpoint;
        else output.Add(checkpoint);
    }

    private void Emit(ServerLogEvent e, List<ServerLogEvent> output)
    {
        if (_held is null)
        {
            output.Add(e);
            return;
        }
        _queue.Add(e);
        if (_queue.Count >= MaxHeld) Release(output);
    }

    private void Release(List<ServerLogEvent> output)
    {
        if (_held is null) return;
        output.Add(_held);
        output.AddRange(_queue);
        _held = null;
        _queue.Clear();
    }

    private DateTimeOffset TimeOf(LogRecord r) => r.Time
        ?? throw new LogFileException(File, r.Line, 1, "timestamp",
            "no time before the level: walsim needs %m or %t in log_line_prefix (e.g. log_line_prefix = '%m [%p] ')");
}

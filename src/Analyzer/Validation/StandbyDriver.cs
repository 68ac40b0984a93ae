using Npgsql;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// Drives a <see cref="ReplicaSet"/> one step at a time — WAL and checkpoints on the primary, replay, pauses and
/// <c>CHECKPOINT</c>s on the standby — and after every step observes both servers and feeds every restartpoint the
/// standby logged, performed or skipped, to a <see cref="RestartpointReplay"/> (docs/design/failover.md §4.2).
/// <para>
/// The primary's checkpoints are taken from its pg_control after each step, so a step may make at most one (the
/// primary runs with <c>checkpoint_timeout = 1d</c> and its default <c>max_wal_size</c>, so only the steps' own
/// <c>CHECKPOINT</c>s happen). The newest of them whose record the standby has replayed is the checkpoint a restartpoint
/// must restart from. A standby checkpointer that skipped a restartpoint tries again 15 s later on its own and
/// restarts then if a newer checkpoint has been replayed; such a restartpoint is compared like any other, from the
/// observations around the step it fell in.
/// </para>
/// </summary>
public sealed class StandbyDriver : IAsyncDisposable
{
    // Polls for replay, receipt and log lines end well inside this on a loaded 2-core machine.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ReplicaSet _set;
    private readonly WalSegmentSize _seg;
    private readonly NpgsqlConnection _primary;
    private readonly NpgsqlConnection _standby;
    private readonly RestartpointReplay _replay;
    private readonly List<(Lsn Record, Lsn Redo)> _primaryCheckpoints = [];
    private readonly List<string> _notes = [];
    private StandbySnapshot _snap;
    private int _step;
    private int _restartpointsSeen;
    private int _skipsSeen;
    private int _primaryCheckpointsLogged;

    private StandbyDriver(ReplicaSet set, WalSegmentSize seg, NpgsqlConnection primary, NpgsqlConnection standby, RestartpointReplay replay, StandbySnapshot snap)
    {
        _set = set;
        _seg = seg;
        _primary = primary;
        _standby = standby;
        _replay = replay;
        _snap = snap;
    }

    /// <summary>
    /// Takes over a started replica set. The model's settings are the standby's: the ones walsim models among the
    /// primary's <paramref name="primarySettings"/> (copied with the data directory) and the set's standby settings.
    /// </summary>
    public static async Task<StandbyDriver> StartAsync(ReplicaSet set, WalSegmentSize seg,
        IEnumerable<KeyValuePair<string, string>> primarySettings, CancellationToken ct)
    {
        var policy = RetentionPolicy.For(set.Install.Version);
        var modelled = primarySettings.Concat(set.StandbySettings).Where(s => GucCatalog.All.ContainsKey(s.Key));
        var replay = new RestartpointReplay(ServerSettings.Create(policy, seg, modelled));
        var primary = await set.Primary.ConnectAsync(ct);
        NpgsqlConnection? standby = null;
        try
        {
            standby = await set.Standby.ConnectAsync(ct);
            var snap = await StandbySnapshot.ReadAsync(standby, set.Install.Major, seg, ct);
            var driver = new StandbyDriver(set, seg, primary, standby, replay, snap);
            await driver.RecordPrimaryCheckpointAsync(ct);
            set.Primary.ReadLog();
            set.Standby.ReadLog();
            driver._primaryCheckpointsLogged = set.Primary.Log.Checkpoints.Count;
            driver._restartpointsSeen = set.Standby.Log.Restartpoints.Count;
            driver._skipsSeen = set.Standby.Log.SkippedRestartpoints.Count;
            return driver;
        }
        catch
        {
            await primary.DisposeAsync();
            if (standby is not null) await standby.DisposeAsync();
            throw;
        }
    }

    /// <summary>The standby as observed after the last step.</summary>
    public StandbySnapshot Standby => _snap;

    /// <summary>The harness's own sessions, for what a caller reads between steps (slot rows); a statement run on them
    /// is not a step and is not observed.</summary>
    public NpgsqlConnection PrimarySession => _primary;
    public NpgsqlConnection StandbySession => _standby;

    /// <summary>The standby's settings as the model holds them.</summary>
    public ServerSettings StandbySettings => _replay.Settings;

    /// <summary>Restartpoints compared field by field, and those the observations could not pin.</summary>
    public int RestartpointsCompared => _replay.Compared;
    public int RestartpointsUnobserved => _replay.Unobserved;

    /// <summary>Statements on the primary (one step).</summary>
    public Task PrimaryAsync(string sql, CancellationToken ct) => StepAsync(() => StepDriver.ExecAsync(_primary, sql, ct), ct);

    /// <summary>Statements on the standby (one step).</summary>
    public Task StandbyAsync(string sql, CancellationToken ct) => StepAsync(() => StepDriver.ExecAsync(_standby, sql, ct), ct);

    /// <summary>
    /// <paramref name="segments"/> segments on the primary, each a small message then a switch (TAP's advance_wal;
    /// a switch of an empty segment does nothing), one step; then waits for the standby to replay them (to receive
    /// them while its replay is paused), so that the restartpoints its replay requests (XLogCheckpointNeeded) fall in
    /// this step.
    /// </summary>
    public Task WriteSegmentsAsync(int segments, CancellationToken ct) => StepAsync(async () =>
    {
        for (var i = 0; i < segments; i++)
            await StepDriver.ExecAsync(_primary, "SELECT pg_logical_emit_message(true, 'walsim', 'x'), pg_switch_wal()", ct);
        await WaitForStandbyAsync(await ReplayPausedAsync(ct) ? "pg_last_wal_receive_lsn()" : "pg_last_wal_replay_lsn()", ct);
    }, ct);

    /// <summary>A small record on the primary, so that what the standby receives next ends inside a segment, not at
    /// the boundary a switch leaves (where endptr's segment file does not exist yet).</summary>
    public Task WriteRecordAsync(CancellationToken ct) =>
        PrimaryAsync("SELECT pg_logical_emit_message(true, 'walsim', 'x')", ct);

    /// <summary>Waits (one step) until the standby has replayed everything the primary has flushed.</summary>
    public Task WaitForReplayAsync(CancellationToken ct) => StepAsync(() => WaitForStandbyAsync("pg_last_wal_replay_lsn()", ct), ct);

    /// <summary>Waits (one step) until the standby has received and flushed everything the primary has flushed.</summary>
    public Task WaitForReceiveAsync(CancellationToken ct) => StepAsync(() => WaitForStandbyAsync("pg_last_wal_receive_lsn()", ct), ct);

    /// <summary>
    /// <c>pg_wal_replay_pause()</c>: the startup process stops before the next record, the walreceiver goes on, so the
    /// standby receives ahead of what it replays (<c>endptr</c> = the received position).
    /// </summary>
    public Task PauseReplayAsync(CancellationToken ct) => StandbyAsync("SELECT pg_wal_replay_pause()", ct);

    /// <summary><c>pg_wal_replay_resume()</c>, then waits until everything received is replayed.</summary>
    public Task ResumeReplayAsync(CancellationToken ct) => StepAsync(async () =>
    {
        await StepDriver.ExecAsync(_standby, "SELECT pg_wal_replay_resume()", ct);
        await WaitForStandbyAsync("pg_last_wal_replay_lsn()", ct);
    }, ct);

    /// <summary>
    /// Waits (one step) until the standby performs a restartpoint on its own — its checkpointer's attempt 15 s after a
    /// skipped one, or a timed one — or <paramref name="timeout"/> passes; returns whether one came.
    /// </summary>
    public async Task<bool> WaitForRestartpointAsync(TimeSpan timeout, CancellationToken ct)
    {
        var seen = _set.Standby.Log.Restartpoints.Count;
        await StepAsync(() => Poll.UntilAsync(() =>
        {
            _set.Standby.ReadLog();
            return Task.FromResult(_set.Standby.Log.Restartpoints.Count > seen);
        }, timeout, TimeSpan.FromMilliseconds(100), ct), ct);
        return _set.Standby.Log.Restartpoints.Count > seen;
    }

    /// <summary>
    /// <c>CHECKPOINT</c> on the standby (a restartpoint request, IMMEDIATE|WAIT): compared with the model's "performed
    /// or skipped" from the newest replayed primary checkpoint and pg_control before it. Returns whether a restartpoint
    /// was performed.
    /// </summary>
    public async Task<bool> StandbyCheckpointAsync(CancellationToken ct)
    {
        var before = _snap;
        var restartpoints = _set.Standby.Log.Restartpoints.Count;
        await StandbyAsync("CHECKPOINT", ct);
        var performed = _set.Standby.Log.Restartpoints.Count > restartpoints;
        _replay.Requested(_step, before, NewestReplayed(before.Replayed), performed);
        return performed;
    }

    /// <summary>The outcome: every decision compared, with the notes on what could not be compared.</summary>
    public ValidationRun Result(string name)
    {
        _set.Standby.ReadLog();
        return new ValidationRun(name, _set.Install.Version, _replay.Decisions, _replay.Compared, _replay.Unobserved,
            [.. _notes, .. _replay.Notes], _set.Standby.Log.Lines);
    }

    /// <summary>One step: the action, then (once no checkpoint or restartpoint is running) an observation of both
    /// servers, and every restartpoint the standby logged meanwhile compared.</summary>
    private async Task StepAsync(Func<Task> action, CancellationToken ct)
    {
        var step = ++_step;
        var before = _snap;
        var replayedBefore = NewestReplayed(before.Replayed);
        await action();
        await SettleAsync(step, ct);
        await RecordPrimaryCheckpointAsync(ct);
        _snap = await StandbySnapshot.ReadAsync(_standby, _set.Install.Major, _seg, ct);
        if (!_snap.Files.Contiguous) _notes.Add($"step {step}: the standby's pg_wal files are not contiguous");
        _set.Standby.ReadLog();

        // A checkpoint record replayed during the step leaves open which one the standby's checkpointer saw.
        var replayedAfter = NewestReplayed(_snap.Replayed);
        Lsn? newest = replayedAfter == replayedBefore ? replayedAfter : null;

        var log = _set.Standby.Log;
        foreach (var skip in log.SkippedRestartpoints.Skip(_skipsSeen)) _replay.Skipped(step, before, newest, skip.PerformedAt);
        _skipsSeen = log.SkippedRestartpoints.Count;
        var done = log.Restartpoints.Skip(_restartpointsSeen).ToList();
        _restartpointsSeen = log.Restartpoints.Count;
        if (done.Count == 1) _replay.Restartpoint(step, before, _snap, done[0], newest);
        else if (done.Count > 1) _replay.Unobservable(step, done);
        _replay.Slots(step, _snap);
    }

    /// <summary>Waits until neither server has a checkpoint or restartpoint under way (the step's own, or one the
    /// standby's replay requested), so that what is observed next is its result.</summary>
    private async Task SettleAsync(int step, CancellationToken ct)
    {
        var settled = await Poll.UntilAsync(() =>
        {
            _set.Primary.ReadLog();
            _set.Standby.ReadLog();
            return Task.FromResult(!_set.Primary.Log.CheckpointInProgress && !_set.Standby.Log.CheckpointInProgress);
        }, Patience, TimeSpan.FromMilliseconds(20), ct);
        if (!settled) _notes.Add($"step {step}: a checkpoint or restartpoint was still running after {Patience.TotalSeconds:0} s");
    }

    /// <summary>Adds the primary's checkpoint to the list when its pg_control shows a new one; notes when the log
    /// shows more checkpoints than were seen (one would be missing from the list).</summary>
    private async Task RecordPrimaryCheckpointAsync(CancellationToken ct)
    {
        await using (var cmd = new NpgsqlCommand("SELECT checkpoint_lsn::text, redo_lsn::text FROM pg_control_checkpoint()", _primary))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            var record = Lsn.Parse(r.GetString(0));
            if (_primaryCheckpoints.Count == 0 || _primaryCheckpoints[^1].Record != record)
                _primaryCheckpoints.Add((record, Lsn.Parse(r.GetString(1))));
        }
        _set.Primary.ReadLog();
        var logged = _set.Primary.Log.Checkpoints.Count;
        if (logged - _primaryCheckpointsLogged > 1)
            _notes.Add($"step {_step}: the primary completed {logged - _primaryCheckpointsLogged} checkpoints in one step; only the last is known");
        _primaryCheckpointsLogged = logged;
    }

    /// <summary>The redo of the newest known primary checkpoint whose record starts before <paramref name="replayed"/>
    /// (the replay position is the end of the last record replayed, so that record has been replayed).</summary>
    private Lsn NewestReplayed(Lsn replayed)
    {
        var redo = Lsn.Invalid;
        foreach (var (record, r) in _primaryCheckpoints)
            if (record < replayed) redo = r;
        return redo;
    }

    private async Task<bool> ReplayPausedAsync(CancellationToken ct)
    {
        // 14+ tell "requested" from "paused"; 12–13 only whether a pause was requested, which is what matters here.
        var sql = _set.Install.Major >= 14 ? "SELECT pg_get_wal_replay_pause_state() <> 'not paused'" : "SELECT pg_is_wal_replay_paused()";
        await using var cmd = new NpgsqlCommand(sql, _standby);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Polls the standby's <paramref name="position"/> (receive or replay LSN) until it reaches the primary's
    /// flush position as it was when the wait began.</summary>
    private async Task WaitForStandbyAsync(string position, CancellationToken ct)
    {
        Lsn target;
        await using (var cmd = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn()::text", _primary))
            target = Lsn.Parse((string)(await cmd.ExecuteScalarAsync(ct))!);
        var reached = await Poll.UntilAsync(async () =>
        {
            await using var cmd = new NpgsqlCommand($"SELECT {position}::text", _standby);
            return await cmd.ExecuteScalarAsync(ct) is string s && Lsn.Parse(s) >= target;
        }, Patience, TimeSpan.FromMilliseconds(10), ct);
        if (!reached)
            throw new ValidationEnvironmentException($"the standby's {position} did not reach the primary's flush position {target} within {Patience.TotalSeconds:0} s");
    }

    public async ValueTask DisposeAsync()
    {
        await _primary.DisposeAsync();
        await _standby.DisposeAsync();
    }
}

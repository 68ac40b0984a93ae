using System.Globalization;
using Npgsql;
using Npgsql.Replication;

namespace Walsim.Analyzer.Validation;

/// <summary>The outcome of replaying one scenario on one real server.</summary>
public sealed record ValidationRun(
    string Scenario,
    PgVersion Version,
    IReadOnlyList<Decision> Decisions,
    int Checkpoints,
    int UnobservedCheckpoints,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> ServerLog)
{
    public int Agreed => Decisions.Count(d => d.Agrees);
    public int Disagreed => Decisions.Count(d => !d.Agrees);
    /// <summary>Every decision agrees, and so does <c>walsim replay</c> over the samples the run recorded.</summary>
    public bool Agrees => Disagreed == 0 && Replay?.Agrees != false;

    /// <summary><c>walsim replay</c>'s code over the samples recorded during the run (step scenarios); null for runs
    /// that record none (a standby's).</summary>
    public ReplayCheck? Replay { get; init; }

    /// <summary>Agreement per compared field (removed, recycled, cutoff, wal_status, …), in the order first compared.</summary>
    public IReadOnlyList<(string Field, int Compared, int Agreed)> Fields =>
        Decisions.GroupBy(d => d.Field, StringComparer.Ordinal).Select(g => (g.Key, g.Count(), g.Count(d => d.Agrees))).ToList();
}

/// <summary>
/// Drives a step scenario on a real server, one step at a time, and feeds what it observes to a
/// <see cref="ModelReplay"/>. <c>write_segments: n</c> is driven as n single switches (TAP's advance_wal) with an
/// observation after each, so that a checkpoint requested by WAL volume is bracketed by observations.
/// </summary>
public sealed class StepDriver
{
    private readonly Scenario _scenario;
    private readonly PostgresInstall _install;
    private readonly RetentionPolicy _policy;
    private readonly ModelReplay _replay;
    private readonly List<string> _notes = [];
    private int _unobserved;
    private int _logCheckpointsSeen;
    private readonly Dictionary<string, HeldWalsender> _held = new(StringComparer.Ordinal);
    /// <summary>Slots whose streaming consumer (<c>consumer:</c>) is connected now, and how often each reports.</summary>
    private readonly Dictionary<string, SlotStream> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConsumerSpec> _consumerSpecs = new(StringComparer.Ordinal);
    /// <summary>Slots with a consumer that decode (logical): their moves are judged by <see cref="ModelReplay.Decoded"/>.</summary>
    private readonly HashSet<string> _logicalConsumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NpgsqlConnection> _transactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Lsn> _marks = new(StringComparer.Ordinal);
    /// <summary>A <c>dirty: true</c> write since the last checkpoint completed: a checkpoint now spreads its write
    /// phase over cct × checkpoint_timeout (or CheckPointSegments of WAL), across the steps that follow.</summary>
    private bool _dirtyPending;
    private ValidationSampler? _sampler;

    /// <summary>Where to keep the run's sample file (<c>NAME-pgMAJOR.csv</c> and its settings sidecar); null: not kept.</summary>
    public string? SamplesDirectory { get; init; }

    public StepDriver(Scenario scenario, PostgresInstall install)
    {
        _scenario = scenario;
        _install = install;
        _policy = RetentionPolicy.For(install.Version);
        _replay = new ModelReplay(_policy, ServerSettings.Create(_policy, scenario.SegmentSize, InitialSettings(scenario, install.Version)));
    }

    /// <summary>What validate can drive: steps of these kinds, and nothing continuous or timed.</summary>
    public static IReadOnlyList<string> Unsupported(Scenario s)
    {
        var problems = new List<string>();
        if (s.Workload.Components.Count > 0 || s.Workload.PeriodicWrites.Count > 0) problems.Add("a workload (validate drives step lists; WAL is written by the steps)");
        if (s.Events.Any(e => e.Step is null)) problems.Add("timed events (use steps)");
        if (s.Transactions.Count > 0) problems.Add("timed transactions (use begin_transaction and end_transaction steps)");
        if (s.Archiver.Failures.Count > 0 || s.Settings.ContainsKey("archive_mode")) problems.Add("archiving");
        if (s.Disk is not null) problems.Add("a disk");
        foreach (var slot in s.Slots.Concat(s.Events.OfType<CreateSlot>().Select(c => c.Slot)))
            if (slot.Consumer.Connected && ConsumerProblem(slot) is { } why) problems.Add($"the consumer of slot \"{slot.Name}\": {why}");
        var logical = s.Slots.Concat(s.Events.OfType<CreateSlot>().Select(c => c.Slot))
            .Where(x => x.Kind == SlotKind.Logical).Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var e in s.Events)
        {
            if (e is HoldSlot h && logical.Contains(h.Slot)) problems.Add($"step {e.Step}: hold_slot on logical slot \"{h.Slot}\" (physical slots only)");
        }
        return problems;
    }

    /// <summary>
    /// What validate cannot drive of a streaming consumer. The driver waits after every step until the consumer has
    /// confirmed all WAL flushed by then, so a checkpoint never races a report; that is what the model says of a
    /// consumer with no lag reporting at least once a step (steps are one second apart): at every step it has
    /// confirmed the position of the step before. A logical slot's consumer decodes with test_decoding
    /// (<see cref="LogicalStreamingConsumer"/>).
    /// </summary>
    private static string? ConsumerProblem(SlotSpec slot)
    {
        var c = slot.Consumer;
        if (c.Lag > SimDuration.Zero || c.LagBytes > ByteCount.Zero) return "lag and lag_bytes must be 0 (validate waits for every report to catch up)";
        if (c.ConfirmEvery > SimDuration.FromSeconds(1)) return $"confirm_every {c.ConfirmEvery} is longer than a step (1s); use at most 1s";
        if (c.Outages.Count > 0) return "outages (use stop_consumer and start_consumer steps)";
        return null;
    }

    public static IEnumerable<KeyValuePair<string, string>> InitialSettings(Scenario s, PgVersion v) =>
        s.Settings.Concat(s.VersionSettings.Where(x => x.Versions.Contains(v)).SelectMany(x => x.Settings));

    public async Task<ValidationRun> RunAsync(bool keep, Action<string> progress, CancellationToken ct)
    {
        await using var cluster = await ThrowawayCluster.StartAsync(_install, _scenario.SegmentSize,
            InitialSettings(_scenario, _install.Version), keep, ct);
        if (keep) progress($"cluster kept in {cluster.Directory}");
        await using var c = await cluster.ConnectAsync(ct);
        var samplesDir = Directory.CreateTempSubdirectory("walsim-validate-samples-").FullName;
        try
        {
            // What walsim sample would have recorded of this run, replayed by walsim replay's code at the end.
            _sampler = await ValidationSampler.StartAsync(cluster.ConnectionString, Path.Combine(samplesDir, "samples.csv"), ct);
            var run = await DriveAsync(cluster, c, progress, ct);
            await _sampler.StopAsync();
            string? kept = null;
            if (SamplesDirectory is { } dir)
            {
                kept = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{_scenario.Name}-pg{_install.Major}.csv"));
                _sampler.CopyTo(kept);
            }
            var check = ReplayCheck.Of(_sampler.Path, kept);
            progress($"{_install.Version}: replay of {check.Samples} samples: {check.Agreed}/{check.Decisions} decisions agree" +
                $"; invalidation/removal race caught in {check.Races.Count} sample(s)");
            return run with { Replay = check };
        }
        finally
        {
            if (_sampler is not null) await _sampler.DisposeAsync();
            _sampler = null;
            try { Directory.Delete(samplesDir, recursive: true); }
            catch (IOException) { }
            foreach (var h in _held.Values) await h.DisposeAsync();
            _held.Clear();
            foreach (var consumer in _consumers.Values) await consumer.DisposeAsync();
            _consumers.Clear();
            foreach (var tx in _transactions.Values) await tx.DisposeAsync();
            _transactions.Clear();
        }
    }

    private async Task<ValidationRun> DriveAsync(ThrowawayCluster cluster, NpgsqlConnection c, Action<string> progress, CancellationToken ct)
    {

        // The declared slots exist from the start, like the model's.
        foreach (var slot in _scenario.Slots)
        {
            await CreateSlotAsync(c, slot, ct);
            await StartConsumerAsync(cluster, c, slot, 0, ct);
        }
        if (_consumers.Count > 0) await CatchUpAsync(c, 0, ct);
        var snap = await ObserveAsync(cluster, c, null, 0, ct);

        foreach (var e in _scenario.Events.Where(e => e.Step is not null).OrderBy(e => e.Step))
        {
            var step = e.Step!.Value;
            try
            {
            switch (e)
            {
                case WriteSegments ws:
                    for (var i = 0; i < ws.Segments; i++)
                    {
                        await ExecAsync(c, "SELECT pg_logical_emit_message(true, 'walsim', 'x'), pg_switch_wal()", ct);
                        snap = await ObserveAsync(cluster, c, snap, step, ct);
                    }
                    continue;
                case WriteWal { Dirty: true } w:
                    await WriteDirtyAsync(c, w.Bytes, ct);
                    _dirtyPending = true;
                    break;
                case WriteWal w:
                    // A message of the declared size (its record header adds a few dozen bytes).
                    await ExecAsync(c, $"SELECT pg_logical_emit_message(true, 'walsim', repeat('x', {MessageBytes(w.Bytes)}))", ct);
                    break;
                case SwitchWal:
                    await ExecAsync(c, "SELECT pg_switch_wal()", ct);
                    break;
                case RequestCheckpoint:
                    await ExecAsync(c, "CHECKPOINT", ct);
                    _dirtyPending = false; // an immediate checkpoint writes every dirty buffer before it returns
                    break;
                case ChangeSettings cs when cs.Versions.Contains(_install.Version):
                    foreach (var (name, value) in cs.Settings)
                        await ExecAsync(c, $"ALTER SYSTEM SET {name} = '{value.Replace("'", "''", StringComparison.Ordinal)}'", ct);
                    await ExecAsync(c, "SELECT pg_reload_conf()", ct);
                    // The checkpointer reads the file on its own SIGHUP; nothing shows when it has: give it time.
                    await Task.Delay(300, ct);
                    _replay.Reload(cs.Settings);
                    break;
                case CreateSlot cr:
                    await CreateSlotAsync(c, cr.Slot, ct);
                    _replay.MinimumRecomputed();
                    await StartConsumerAsync(cluster, c, cr.Slot, step, ct);
                    break;
                case StopConsumer sc:
                    if (_consumers.Remove(sc.Slot, out var stopped)) await stopped.DisposeAsync();
                    await WaitForActiveAsync(c, sc.Slot, false, ct);
                    break;
                case StartConsumer sc:
                    if (_consumerSpecs.TryGetValue(sc.Slot, out var spec) && !_consumers.ContainsKey(sc.Slot))
                    {
                        // Like the model, a consumer does not come back to an invalidated slot (it must be rebuilt).
                        if (snap.Slot(sc.Slot) is not { RestartLsn.IsValid: true } back || back.WalStatus == "lost")
                            _notes.Add($"step {step}: {sc.Slot}'s consumer not started (invalidated or absent), as in the model");
                        else
                            _consumers[sc.Slot] = await ConnectConsumerAsync(cluster, c, sc.Slot, back.RestartLsn, spec.ConfirmEvery, ct);
                    }
                    break;
                case DropSlot d:
                    if (_consumers.Remove(d.Slot, out var dropped))
                    {
                        await dropped.DisposeAsync();
                        await WaitForActiveAsync(c, d.Slot, false, ct);
                    }
                    await ExecAsync(c, $"SELECT pg_drop_replication_slot('{d.Slot}')", ct);
                    _replay.MinimumRecomputed();
                    break;
                case AdvanceSlot a:
                    await AdvanceAsync(cluster, c, a, snap, ct);
                    _replay.MinimumRecomputed();
                    break;
                case ConsumeSlot d:
                    if (snap.Slot(d.Slot) is not { RestartLsn.IsValid: true } decodedBefore)
                    {
                        _notes.Add($"step {step}: {d.Slot} not decoded (invalidated or absent), as in the model");
                        break;
                    }
                    var upto = Target(d.Target, d.ToMark) is { } u ? $"'{u}'::pg_lsn" : "NULL";
                    await ExecAsync(c, $"SELECT count(*) FROM pg_logical_slot_{(d.Peek ? "peek" : "get")}_changes('{d.Slot}', {upto}, NULL)", ct);
                    snap = await ObserveAsync(cluster, c, snap, step, ct, decodedBefore);
                    continue;
                case BeginTransaction b:
                    // Its own session, and a first record in the transaction: the decoder pins its restart point only
                    // for a transaction it has seen a record of (an xid alone, without WAL, pins nothing). With write:
                    // that first record has the declared size (a transactional message, as an INSERT would write).
                    var session = await cluster.ConnectAsync(ct);
                    _transactions[b.Name] = session;
                    await ExecAsync(session, b.Write.Bytes > 0
                        ? $"BEGIN; SELECT pg_logical_emit_message(true, 'walsim', repeat('x', {MessageBytes(b.Write)}))"
                        : "BEGIN; SELECT pg_logical_emit_message(true, 'walsim', 'begin')", ct);
                    break;
                case MarkPosition m:
                    _marks[m.Name] = await InsertLsnAsync(c, ct);
                    break;
                case Sleep z:
                    // Real time on the server: its timed checkpoints, the bgwriter's running_xacts, idle timeouts.
                    // Meanwhile the background samples thicken while a (timed) checkpoint is under way.
                    var awake = DateTime.UtcNow + z.Duration.ToTimeSpan();
                    for (var left = awake - DateTime.UtcNow; left > TimeSpan.Zero; left = awake - DateTime.UtcNow)
                    {
                        await Task.Delay(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50), ct);
                        cluster.ReadLog();
                        if (_sampler is not null) _sampler.Dense = cluster.Log.CheckpointInProgress;
                    }
                    break;
                case EndTransaction t:
                    if (_transactions.Remove(t.Name, out var done))
                    {
                        await ExecAsync(done, "COMMIT", ct);
                        await done.DisposeAsync();
                    }
                    break;
                case HoldSlot h:
                    if (snap.Slot(h.Slot) is not { RestartLsn.IsValid: true } held)
                    {
                        _notes.Add($"step {step}: {h.Slot} not held (invalidated, absent or never reserved), as in the model");
                        break;
                    }
                    _held[h.Slot] = await HeldWalsender.StartAsync(cluster.ConnectionString, c, h.Slot, held.RestartLsn, ct);
                    break;
                case ReleaseSlot r:
                    if (_held.Remove(r.Slot, out var release)) await release.DisposeAsync();
                    await WaitForActiveAsync(c, r.Slot, false, ct);
                    break;
            }
            }
            catch (PostgresException pe)
            {
                throw new ValidationEnvironmentException($"{_scenario.SourceFile}: step {step} on PostgreSQL {_install.Version}: the server said: {pe.MessageText}");
            }
            snap = await ObserveAsync(cluster, c, snap, step, ct);
        }
        progress($"{_install.Version}: {_replay.CheckpointsCompared} checkpoint(s), {_replay.Decisions.Count} decisions compared");
        cluster.ReadLog();
        return new ValidationRun(_scenario.Name, _install.Version, _replay.Decisions, _replay.CheckpointsCompared, _unobserved,
            _notes, cluster.Log.Lines);
    }

    /// <summary>
    /// <c>write: … dirty: true</c>: WAL written by a table write, which leaves its pages dirty in shared buffers (the
    /// next checkpoint's BufferSync must write them, paced by CheckpointWriteDelay). Rows of 1000 uncompressed bytes
    /// (STORAGE PLAIN: no TOAST, no compression), about seven to a page, for roughly three quarters of the size; then
    /// a message tops the WAL up to the declared size, measured from the insert position, as a plain write does.
    /// </summary>
    private static async Task WriteDirtyAsync(NpgsqlConnection c, ByteCount bytes, CancellationToken ct)
    {
        var start = await InsertLsnAsync(c, ct);
        await ExecAsync(c, "CREATE TABLE IF NOT EXISTS walsim_dirty (v text); ALTER TABLE walsim_dirty ALTER COLUMN v SET STORAGE PLAIN", ct);
        var rows = Math.Max(1, bytes.Bytes * 3 / 4 / 1100);
        await ExecAsync(c, $"INSERT INTO walsim_dirty SELECT repeat('x', 1000) FROM generate_series(1, {rows})", ct);
        var written = (await InsertLsnAsync(c, ct)).Value - start.Value;
        var rest = bytes.Bytes - (long)written;
        if (rest > 128)
            await ExecAsync(c, $"SELECT pg_logical_emit_message(true, 'walsim', repeat('x', {MessageBytes(new ByteCount(rest))}))", ct);
    }

    /// <summary>A message's payload for a record of about <paramref name="bytes"/> (its header adds a few dozen bytes).</summary>
    private static long MessageBytes(ByteCount bytes) => Math.Max(1, bytes.Bytes - 64);

    /// <summary>An advance's or decode's target on this server: an LSN, or a mark ± bytes resolved against the position
    /// this server's <c>mark</c> step read (pg_current_wal_insert_lsn()); null = now / the end of WAL.</summary>
    private Lsn? Target(Lsn? lsn, MarkOffset? mark) => mark is { } m ? m.Resolve(_marks[m.Mark]) : lsn;

    internal static async Task ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task CreateSlotAsync(NpgsqlConnection c, SlotSpec slot, CancellationToken ct)
    {
        var sql = slot.Kind == SlotKind.Logical
            ? $"SELECT pg_create_logical_replication_slot('{slot.Name}', 'test_decoding')"
            : $"SELECT pg_create_physical_replication_slot('{slot.Name}', {(slot.Reserve ? "true" : "false")})";
        await ExecAsync(c, sql, ct);
    }

    /// <summary>
    /// Moves a slot to the current (or given) position: with pg_replication_slot_advance (which refuses a slot that
    /// never reserved WAL: <c>error: 55000</c> compares that refusal), or <c>via: walsender</c> the way a standby
    /// moves it: a walsender on the slot receives a flush position (PhysicalConfirmReceivedLocation).
    /// </summary>
    private async Task AdvanceAsync(ThrowawayCluster cluster, NpgsqlConnection c, AdvanceSlot a, ServerSnapshot snap, CancellationToken ct)
    {
        var slot = snap.Slot(a.Slot);
        var target = Target(a.Target, a.ToMark) is { } t ? t.ToString() : null;
        var call = $"SELECT pg_replication_slot_advance('{a.Slot}', {(target is null ? "pg_current_wal_lsn()" : $"'{target}'::pg_lsn")})";
        if (a.ExpectError is { } expected)
        {
            // The scenario says the server refuses (a slot that never reserved WAL): compare the SQLSTATE it answers with.
            string observed;
            try
            {
                await ExecAsync(c, call, ct);
                observed = "none";
            }
            catch (PostgresException pe)
            {
                observed = pe.SqlState;
            }
            _replay.StepOutcome(a.Step!.Value, $"advance_slot {a.Slot}", "error", expected, observed,
                $"pg_replication_slot_advance on restart_lsn={(slot?.RestartLsn.IsValid == true ? slot.RestartLsn.ToString() : "null")}");
            return;
        }
        if (slot is null || slot.WalStatus == "lost") { _notes.Add($"step {a.Step}: {a.Slot} not advanced (invalidated or absent), as in the model"); return; }
        if (a.Via == AdvanceVia.Function)
        {
            await ExecAsync(c, call, ct);
            return;
        }
        Lsn to;
        await using (var cmd = new NpgsqlCommand(target is null ? "SELECT pg_current_wal_lsn()::text" : $"SELECT '{target}'::pg_lsn::text", c))
            to = Lsn.Parse((string)(await cmd.ExecuteScalarAsync(ct))!);
        await using var rc = new PhysicalReplicationConnection(cluster.ConnectionString);
        await rc.Open(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stream = rc.StartReplication(new PhysicalReplicationSlot(a.Slot), new NpgsqlTypes.NpgsqlLogSequenceNumber(to.Value), stop.Token);
        var it = stream.GetAsyncEnumerator(stop.Token);
        var pending = it.MoveNextAsync().AsTask(); // sends START_REPLICATION
        var lsn = new NpgsqlTypes.NpgsqlLogSequenceNumber(to.Value);
        // Feedback can be sent once the walsender has the slot (active) and streaming has begun.
        await WaitForActiveAsync(c, a.Slot, true, ct);
        if (pending.IsFaulted) await pending; // START_REPLICATION refused: let the error surface
        await Task.Delay(50, ct);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            rc.SetReplicationStatus(lsn);
            await rc.SendStatusUpdate(ct);
            await Task.Delay(50, ct);
            await using var cmd = new NpgsqlCommand($"SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '{a.Slot}'", c);
            if (await cmd.ExecuteScalarAsync(ct) is string s && Lsn.Parse(s) >= to) break;
        }
        await stop.CancelAsync();
        try
        {
            while (await pending) pending = it.MoveNextAsync().AsTask(); // drain until the cancellation ends the stream
        }
        catch (OperationCanceledException) { }
        catch (NpgsqlException) { }
        try { await it.DisposeAsync(); }
        catch (NotSupportedException) { }
        // The walsender must be gone before the next step, or the slot would count as active.
        await WaitForActiveAsync(c, a.Slot, false, ct);
    }

    /// <summary>Polls pg_replication_slots until the slot is (in)active or gone, for at most five seconds.</summary>
    internal static async Task WaitForActiveAsync(NpgsqlConnection c, string slot, bool active, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 250; attempt++)
        {
            await using var cmd = new NpgsqlCommand("SELECT active FROM pg_replication_slots WHERE slot_name = $1", c);
            cmd.Parameters.AddWithValue(slot);
            var value = await cmd.ExecuteScalarAsync(ct);
            if (value is null || value is DBNull || (bool)value == active) return;
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Waits until no checkpoint is running (one requested by WAL volume starts within milliseconds of the write that
    /// crossed CheckPointSegments; the model says when to expect one), then observes and compares.
    /// </summary>
    private async Task<ServerSnapshot> ObserveAsync(ThrowawayCluster cluster, NpgsqlConnection c, ServerSnapshot? before, int step, CancellationToken ct,
        ObservedSlot? decoded = null)
    {
        if (before is not null)
        {
            var expectWal = ExpectWalCheckpoint(before, await InsertLsnAsync(c, ct));
            var deadline = DateTime.UtcNow.AddSeconds(expectWal ? 10 : 2);
            await Task.Delay(expectWal ? 20 : 30, ct);
            while (true)
            {
                cluster.ReadLog();
                var fresh = cluster.Log.Checkpoints.Count - _logCheckpointsSeen;
                if (!cluster.Log.CheckpointInProgress && (!expectWal || fresh > 0)) break;
                // A checkpoint writing dirty buffers spans the next steps, as on the server: observe it under way
                // (the slots as its end will find them); it is compared at the observation after it completes.
                if (cluster.Log.CheckpointInProgress && _sampler is not null) _sampler.Dense = true;
                if (cluster.Log.CheckpointInProgress && _dirtyPending) break;
                if (DateTime.UtcNow > deadline) { _notes.Add($"step {step}: waited in vain for a checkpoint to {(expectWal ? "start" : "finish")}"); break; }
                await Task.Delay(20, ct);
            }
        }
        if (before is not null && _consumers.Count > 0) await CatchUpAsync(c, step, ct);
        var snap = await ServerSnapshot.ReadAsync(c, _install.Major, _scenario.SegmentSize, ct);
        if (_sampler is not null) await _sampler.TakeAsync(ct);
        if (decoded is not null && snap.Slot(decoded.Name) is { } decodedAfter) _replay.Decoded(decoded, decodedAfter);
        if (!snap.FilesContiguous) _notes.Add($"step {step}: pg_wal files are not contiguous");
        cluster.ReadLog();
        var logged = cluster.Log.Checkpoints.Skip(_logCheckpointsSeen).Where(x => !ServerLog.IsLifecycle(x)).ToList();
        _logCheckpointsSeen = cluster.Log.Checkpoints.Count;
        if (_sampler is not null) _sampler.Dense = cluster.Log.CheckpointInProgress;
        if (logged.Count > 0 && !cluster.Log.CheckpointInProgress) _dirtyPending = false;
        if (before is not null)
        {
            if (logged.Count == 1) _replay.Checkpoint(step, before, snap, logged[0]);
            else if (logged.Count > 1)
            {
                _unobserved += logged.Count;
                _notes.Add($"step {step}: {logged.Count} checkpoints completed between two observations; not compared");
                _replay.Unobserved(logged, snap);
            }
            // What a logical consumer's confirmations did since the last observation: after the checkpoint, whose
            // KeepLogSeg read the minimum before its own running_xacts could be decoded and confirmed (the WAL before
            // it was confirmed at the previous observation). Then the slots' columns, from the minimum as it is now.
            foreach (var name in _logicalConsumers)
                if (before.Slot(name) is { RestartLsn.IsValid: true } was && snap.Slot(name) is { RestartLsn.IsValid: true } now)
                    _replay.Decoded(was, now);
            _replay.Slots(step, snap);
        }
        return snap;
    }

    /// <summary>
    /// Starts the streaming consumer of a slot that has one (<c>consumer:</c>), from its restart_lsn, as the model
    /// connects it when the slot is created.
    /// </summary>
    private async Task StartConsumerAsync(ThrowawayCluster cluster, NpgsqlConnection c, SlotSpec slot, int step, CancellationToken ct)
    {
        if (!slot.Consumer.Connected) return;
        _consumerSpecs[slot.Name] = slot.Consumer;
        if (slot.Kind == SlotKind.Logical) _logicalConsumers.Add(slot.Name);
        await using var cmd = new NpgsqlCommand($"SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '{slot.Name}'", c);
        if (await cmd.ExecuteScalarAsync(ct) is not string restart)
        {
            _notes.Add($"step {step}: {slot.Name}'s consumer not started (the slot reserved no WAL)");
            return;
        }
        _consumers[slot.Name] = await ConnectConsumerAsync(cluster, c, slot.Name, Lsn.Parse(restart), slot.Consumer.ConfirmEvery, ct);
    }

    private async Task<SlotStream> ConnectConsumerAsync(ThrowawayCluster cluster, NpgsqlConnection c, string slot, Lsn restart,
        SimDuration confirmEvery, CancellationToken ct) =>
        _logicalConsumers.Contains(slot)
            ? await LogicalStreamingConsumer.StartAsync(cluster.ConnectionString, c, slot, confirmEvery, ct)
            : await StreamingConsumer.StartAsync(cluster.ConnectionString, c, slot, restart, confirmEvery, ct);

    /// <summary>
    /// Waits until every connected consumer has confirmed all WAL flushed now (restart_lsn ≥ pg_current_wal_flush_lsn()
    /// for a physical slot, confirmed_flush_lsn ≥ it for a logical one, whose restart_lsn stays at a running_xacts),
    /// so that no report moves a slot between this observation and the next step's checkpoint (the model's consumer
    /// has confirmed the previous step's position by the next step). A physical report moves the slot with
    /// PhysicalConfirmReceivedLocation, which recomputes the global minimum; a logical one with
    /// LogicalConfirmReceivedLocation, which may not (judged per observation by ModelReplay.Decoded, not here). A
    /// consumer whose walsender the server terminated (an invalidation) is dropped: its slot is lost.
    /// </summary>
    private async Task CatchUpAsync(NpgsqlConnection c, int step, CancellationToken ct)
    {
        Lsn flush;
        await using (var cmd = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn()::text", c))
            flush = Lsn.Parse((string)(await cmd.ExecuteScalarAsync(ct))!);
        foreach (var (name, consumer) in _consumers.ToList())
        {
            var longest = _consumerSpecs[name].ConfirmEvery.ToTimeSpan() + TimeSpan.FromSeconds(10);
            var deadline = DateTime.UtcNow + longest;
            var logical = _logicalConsumers.Contains(name);
            string? restart = null;
            while (true)
            {
                // A logical slot that lost its WAL keeps confirmed_flush_lsn but no restart_lsn.
                await using var cmd = new NpgsqlCommand(logical
                    ? $"SELECT CASE WHEN restart_lsn IS NOT NULL THEN confirmed_flush_lsn::text END FROM pg_replication_slots WHERE slot_name = '{name}'"
                    : $"SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '{name}'", c);
                restart = await cmd.ExecuteScalarAsync(ct) as string;
                if (restart is null || consumer.Ended)
                {
                    _consumers.Remove(name);
                    await consumer.DisposeAsync();
                    _notes.Add($"step {step}: {name}'s consumer ended (the server terminated its walsender)");
                    break;
                }
                if (Lsn.Parse(restart) >= flush) break;
                if (DateTime.UtcNow > deadline)
                    throw new ValidationEnvironmentException(
                        $"{_scenario.SourceFile}: step {step} on PostgreSQL {_install.Version}: the consumer of slot \"{name}\" did not catch up " +
                        $"within {longest.TotalSeconds:0.#} s ({(logical ? "confirmed_flush_lsn" : "restart_lsn")} {restart}, flushed WAL ends at {flush}); is the server overloaded?");
                await Task.Delay(20, ct);
            }
        }
        if (_consumers.Keys.Any(n => !_logicalConsumers.Contains(n))) _replay.MinimumRecomputed();
    }

    private bool ExpectWalCheckpoint(ServerSnapshot before, Lsn insert)
    {
        // XLogWrite asks XLogCheckpointNeeded only when it finishes a segment: finishing segment
        // segno(RedoRecPtr) + CheckPointSegments − 1 or later requests a checkpoint.
        var seg = _scenario.SegmentSize;
        if (seg.SegmentOf(insert) <= seg.SegmentOf(before.InsertLsn)) return false;
        var request = Simulator.Engine.Retention.CheckpointRequestLsn(_replay.Settings, before.RedoLsn);
        return insert >= request;
    }

    private static async Task<Lsn> InsertLsnAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()::text", c);
        return Lsn.Parse((string)(await cmd.ExecuteScalarAsync(ct))!);
    }
}

/// <summary>
/// A walsender that holds a physical slot and never confirms: a replication connection streams from the slot's
/// restart_lsn and drains what it receives, but no flush position is ever set, so the periodic status updates carry
/// none and the slot does not move (ProcessStandbyReplyMessage only confirms a valid flush position).
/// </summary>
internal sealed class HeldWalsender : IAsyncDisposable
{
    private readonly PhysicalReplicationConnection _connection;
    private readonly CancellationTokenSource _stop;
    private readonly Task _drain;

    private HeldWalsender(PhysicalReplicationConnection connection, CancellationTokenSource stop, Task drain)
    {
        _connection = connection;
        _stop = stop;
        _drain = drain;
    }

    public static async Task<HeldWalsender> StartAsync(string connectionString, NpgsqlConnection observer, string slot, Lsn from, CancellationToken ct)
    {
        var rc = new PhysicalReplicationConnection(connectionString);
        await rc.Open(ct);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stream = rc.StartReplication(new PhysicalReplicationSlot(slot), new NpgsqlTypes.NpgsqlLogSequenceNumber(from.Value), stop.Token);
        var drain = Task.Run(async () =>
        {
            // Ends when released (cancelled) or when the server terminates the walsender (the invalidation).
            try { await foreach (var _ in stream) { } }
            catch (OperationCanceledException) { }
            catch (NpgsqlException) { }
        }, CancellationToken.None);
        var held = new HeldWalsender(rc, stop, drain);
        await StepDriver.WaitForActiveAsync(observer, slot, true, ct);
        if (drain.IsCompleted) { await held.DisposeAsync(); throw new ValidationEnvironmentException($"hold_slot: the server refused to stream from slot \"{slot}\""); }
        return held;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _drain; }
        catch (Exception) { /* the stream's end is not an error here */ }
        try { await _connection.DisposeAsync(); }
        catch (NpgsqlException) { }
        catch (IOException) { }
        _stop.Dispose();
    }
}

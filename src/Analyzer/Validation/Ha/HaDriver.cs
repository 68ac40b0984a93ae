using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>One node as seen at one moment of an HA run (<c>At</c>: seconds from the workload's start): whether it is
/// the primary, its position (the primary's insert LSN, a standby's received LSN), the slot cdc's restart_lsn and
/// confirmed_flush_lsn there (invalid when absent), and pg_wal's size and file count (<c>pg_ls_waldir()</c>).</summary>
public sealed record HaSample(double At, string Node, bool Primary, Lsn Position, Lsn SlotRestart, Lsn SlotConfirmed, long PgWalBytes, long PgWalFiles);

/// <summary>What one HA run observed (docs/design/failover.md §4.4): the workload, the consumer, the event and what
/// the consumer got from the new primary. S = the consumer's last confirmed position on the old primary; P = the
/// new primary's switch point (its timeline history); C = the slot on the new primary at promotion.
/// <c>BgWriterRunningXacts</c>: the first xl_running_xacts the bgwriter logged on a after the workload started (invalid
/// if none): the phase of its 15 s clock, which the run does not control and the model is given. <c>CopySyncedAt</c>:
/// the last time before b's promotion that b's copy of the slot moved (seconds from the workload's start, the middle of the
/// 100 ms between the two polls that saw it; null if it never moved): a cycle of the mechanism (Patroni's replica
/// advance, pg_failover_slots' worker), whose phase the run does not control either and the model is given.
/// <c>Stalled</c>: why the run lost the pace the model is given (<see cref="HaPace"/>), or null.</summary>
public sealed record HaObservation(
    HaMechanism Mechanism, HaEvent Event, string Description, TimeSpan Interval, PgVersion Version,
    double WriteBytesPerSecond, double ConsumerPeriod, double ConsumerStoppedAt, double EventAt,
    Lsn ConsumerConfirmed, Lsn OldPrimaryInsert, Lsn SwitchPoint,
    bool SlotOnNewPrimary, Lsn CopyRestart, Lsn CopyConfirmed, Lsn RecreatedAt,
    int RowsCommitted, int RowsBefore, int RowsAfter, int RowsTwice, int RowsMissed, int RowsTwiceByPosition,
    long PeakCopyLagBytes, IReadOnlyList<HaSample> Samples, Lsn BgWriterRunningXacts, double? CopySyncedAt = null,
    string? Stalled = null)
{
    /// <summary>Where decoding resumed: the copy's confirmed_flush (the consumer asks for 0/0), or a re-created slot's start.</summary>
    public Lsn ResumeAt => SlotOnNewPrimary ? CopyConfirmed : RecreatedAt;
    private Lsn Floor => Lsn.Min(ConsumerConfirmed, SwitchPoint);
    public long ReceivedTwiceBytes => Floor > ResumeAt ? (Floor - ResumeAt).Bytes : 0;
    public long MissedBytes => ResumeAt > Floor ? (ResumeAt - Floor).Bytes : 0;
    /// <summary>WAL the copy made the new primary keep at promotion: P − its restart_lsn.</summary>
    public long HeldByCopyBytes => SlotOnNewPrimary && CopyRestart.IsValid ? (SwitchPoint - CopyRestart).Bytes : 0;
}

/// <summary>
/// Runs one case on an <see cref="IHaCluster"/>: a write workload on a (a 1 kB row every 100 ms), a logical consumer
/// calling <c>pg_logical_slot_get_changes('cdc', NULL, NULL)</c> on a at every whole <see cref="ConsumerPeriod"/> of the run (each call
/// confirms everything decoded), a sampler reading both nodes every 500 ms (position, the slot's restart_lsn and
/// confirmed_flush_lsn, pg_wal's size). After three intervals the consumer stops; half an interval later the writes stop
/// and the event happens; once b accepts writes, the slot on b is read and the consumer reconnects to it, and every
/// row on b is matched with what the consumer received before and after (missed, received twice).
/// </summary>
public static partial class HaDriver
{
    public static readonly TimeSpan ConsumerPeriod = TimeSpan.FromSeconds(1);
    /// <summary>How often the copy on b is polled for the mechanism's phase (<see cref="WatchCopyAsync"/>).</summary>
    public static readonly TimeSpan CopyPoll = TimeSpan.FromMilliseconds(100);
    /// <summary>How long after the set-up saw the copy move the run's clock starts: the move came up to a
    /// <see cref="CopyPoll"/> before it was seen, so the mechanism's cycles fall 0.45-0.55 s before a whole second.</summary>
    public static readonly TimeSpan CyclePhase = TimeSpan.FromMilliseconds(450);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private const string Slot = IHaCluster.SlotName;

    [GeneratedRegex(@"id\[bigint\]:(\d+)")]
    private static partial Regex RowId();

    private sealed record Change(long Xid, long Id, Lsn CommitEnd);

    public static async Task<HaObservation> RunAsync(IHaCluster cluster, HaEvent ev, Action<string> log, CancellationToken ct)
    {
        var a = cluster.ConnectionString("a");
        var b = cluster.ConnectionString("b");
        await using (var c = await Open(a, ct))
        {
            await Exec(c, "CREATE TABLE t (id bigint PRIMARY KEY, pad text)", ct);
            await Exec(c, "CREATE EXTENSION IF NOT EXISTS pg_walinspect", ct);
            await cluster.CreateSlotAsync(c, ct);
        }
        // The copy must exist on b before the run, and already follow the primary's slot, as the model's copy does
        // after its warm-up: Patroni copies it at its first loops, pg_failover_slots at a nap.
        // pg_failover_slots creates its copy only once the primary's slot has passed the copy's own start (its
        // catalog_xmin too: "waiting for remote slot cdc lsn ... and catalog xmin ... to pass local slot"), which an
        // unconsumed new slot never does. Patroni's copy is a file copy without the primary's serialized snapshots, so
        // pg_replication_slot_advance on b moves its restart_lsn only once decoding there has become consistent at a
        // running-xacts record; left to the bgwriter's (one every 15 s) that may not happen before the event, and the
        // copy then holds everything since the slot was made (a CI run saw 401696 bytes held where the model said
        // 42846). So, every two seconds while waiting, a transaction takes an xid, a CHECKPOINT logs a running-xacts
        // record with nothing in progress, and the slot is consumed, until b's copy exists and its restart_lsn moved.
        var nudged = Stopwatch.StartNew();
        var firstCopyRestart = Lsn.Invalid;
        async Task<bool> CopyOnB()
        {
            var copy = await SlotAsync(b, ct);
            if (copy.Confirmed.IsValid && copy.Restart.IsValid)
            {
                if (!firstCopyRestart.IsValid) firstCopyRestart = copy.Restart;
                else if (copy.Restart > firstCopyRestart) return true;
            }
            if (nudged.Elapsed < TimeSpan.FromSeconds(2)) return false;
            nudged.Restart();
            try
            {
                await using var c = await Open(a, ct);
                await Exec(c, "SELECT txid_current()", ct);
                await Exec(c, "CHECKPOINT", ct);
                await Exec(c, $"SELECT count(*) FROM pg_logical_slot_get_changes('{Slot}', NULL, NULL)", ct);
            }
            catch (NpgsqlException)
            {
                // a refused the connection for a moment (once in a test run on the shared CI machine, 4 s into a Patroni
                // case; Patroni restarts its members' PostgreSQL in the set-up): nudge again at the next poll, the
                // patience above still bounds the wait.
            }
            return false;
        }
        if (!await Poll.UntilAsync(CopyOnB, Patience, CopyPoll, ct))
            throw new ValidationEnvironmentException(firstCopyRestart.IsValid
                ? $"{cluster.Mechanism}: the copy of slot {Slot} on b kept restart_lsn {firstCopyRestart} for {Patience.TotalSeconds:0} s while the primary's slot was consumed; {cluster.Diagnostics()}"
                : $"{cluster.Mechanism}: no copy of slot {Slot} appeared on b within {Patience.TotalSeconds:0} s; {cluster.Diagnostics()}");
        // The move just seen was a cycle of the mechanism, and its next cycles keep that phase (every loop_wait or
        // worker_nap_time); the consumer calls at the run's whole seconds. Started at once, the run had its cycles
        // within a poll of its calls (pg_failover_slots' last moves at 14.86-15.06 s), where the poll's ±50 ms and the
        // cycle's own query decide whether a call came before it: one call of WAL apart from the model in two of ten
        // cases. Starting the clock CyclePhase later puts the cycles half a second before a call.
        await Task.Delay(CyclePhase, ct);
        log($"{cluster.Description}: copy of {Slot} on b; workload and consumer start");

        var clock = Stopwatch.StartNew();
        double Now() => clock.Elapsed.TotalSeconds;
        var samples = new List<HaSample>();
        var before = new List<Change>();
        using var stopWrites = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopConsumer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var startLsn = await ScalarLsn(a, "SELECT pg_current_wal_insert_lsn()", ct);
        var writes = new List<double>();
        var calls = new List<double>();
        var writer = WriteAsync(a, writes, Now, stopWrites.Token);
        var sampler = SampleAsync(a, b, samples, Now, stopSampling.Token);
        var consumer = ConsumeAsync(a, before, calls, Now, stopConsumer.Token);
        var watcher = WatchCopyAsync(b, Now, stopWatch.Token);

        var run = cluster.Interval * 3 + TimeSpan.FromSeconds(1);
        await Task.Delay(run, ct);
        stopConsumer.Cancel();
        await consumer;
        var stoppedAt = Now();
        var s = (await SlotAsync(a, ct)).Confirmed;
        await Task.Delay(cluster.Interval / 2, ct);
        stopWrites.Cancel();
        var rows = await writer;
        var writesStoppedAt = Now();
        var oldInsert = await ScalarLsn(a, "SELECT pg_current_wal_insert_lsn()", ct);
        var eventAt = Now();
        var rate = SteadyRate(samples, oldInsert, eventAt) ?? (oldInsert - startLsn).Bytes / eventAt;
        var bgwriterRx = await FirstBgWriterRunningXacts(b, startLsn, ct);
        log($"{ev}: consumer stopped at {stoppedAt:0.0} s (confirmed {s}), {rows} rows written, event at {eventAt:0.0} s (a at {oldInsert}, {rate:0} B/s; the bgwriter's first running_xacts at {bgwriterRx}, read on b)");
        if (ev == HaEvent.Switchover) await cluster.SwitchoverAsync(ct);
        else await cluster.CrashAsync(ct);
        if (!await Poll.UntilAsync(() => HaEnvironment.WritableAsync(b, ct), Patience, TimeSpan.FromMilliseconds(250), ct))
            throw new ValidationEnvironmentException($"{cluster.Mechanism} {ev}: b did not become a primary within {Patience.TotalSeconds:0} s; {cluster.Diagnostics()}");
        // The copy can still move after eventAt: Patroni's loop that handles a switchover publishes the slots first
        // (Ha.process_healthy_cluster: update_lock(True), then process_manual_failover_from_leader), and b advances
        // its copy while a shuts down. So b is watched until it is the primary.
        stopWatch.Cancel();
        var synced = await watcher;
        log($"b is primary {Now() - eventAt:0.0} s after the event; b's copy last moved at {(synced is { } sa ? sa.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "no time")}");
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        stopSampling.Cancel();
        await sampler;

        // P: where b's new timeline starts (the history file names the switch point of timeline 1).
        var history = await Scalar<string>(b, "SELECT pg_read_file('pg_wal/00000002.history')", ct);
        var p = Lsn.Parse(history.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('1')).Split('\t')[1]);
        var copy = await SlotAsync(b, ct);
        var recreated = Lsn.Invalid;
        if (!copy.Confirmed.IsValid)
        {
            // The slot is gone: a consumer re-creates it and starts from b's position then.
            await using var c = await Open(b, ct);
            await Exec(c, $"SELECT pg_create_logical_replication_slot('{Slot}', 'test_decoding')", ct);
            recreated = (await SlotAsync(b, ct)).Confirmed;
        }
        var after = new List<Change>();
        await using (var c = await Open(b, ct)) await GetChangesAsync(c, after, ct);
        var onB = new HashSet<long>();
        await using (var c = await Open(b, ct))
        await using (var cmd = new NpgsqlCommand("SELECT id FROM t", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) onB.Add(r.GetInt64(0));
        var got = before.Select(x => x.Id).ToHashSet();
        var again = after.Select(x => x.Id).ToHashSet();
        var resume = copy.Confirmed.IsValid ? copy.Confirmed : recreated;
        var peak = PeakLag(samples, 2 * cluster.Interval.TotalSeconds, stoppedAt);
        return new HaObservation(cluster.Mechanism, ev, cluster.Description, cluster.Interval, cluster.Version,
            rate, ConsumerPeriod.TotalSeconds, stoppedAt, eventAt, s, oldInsert, p,
            copy.Confirmed.IsValid, copy.Restart, copy.Confirmed, recreated,
            onB.Count, got.Count, again.Count, got.Intersect(again).Count(), onB.Count(id => !got.Contains(id) && !again.Contains(id)),
            before.Count(x => x.CommitEnd > resume), peak, samples, bgwriterRx, synced,
            HaPace.Stall(writes, writesStoppedAt, calls, stoppedAt, run.TotalSeconds));
    }

    /// <summary>
    /// Polls b's copy of the slot every <see cref="CopyPoll"/> until cancelled (at b's promotion) and returns when it last
    /// moved: the middle of the two polls between which its confirmed_flush changed, or null (it never moved, or its
    /// last move was seen across a gap of more than three polls). Only the mechanism moves
    /// the copy (Patroni's <c>pg_replication_slot_advance</c> on b after the leader's loop published the slot's
    /// confirmed_flush — the replica's loop wakes on the leader's refresh of its key, <c>Etcd.watch</c>; pg_failover_slots'
    /// worker after its query of a), and the consumer changes a's slot every second while it runs, so each cycle shows.
    /// The 500 ms samples are too coarse for this: the copy's lag at the event is decided by which consumer call came
    /// before the mechanism's last cycle.
    /// </summary>
    private static async Task<double?> WatchCopyAsync(string b, Func<double> now, CancellationToken ct)
    {
        double? moved = null;
        var last = Lsn.Invalid;
        var lastAt = 0.0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = await Open(b, ct);
                await using var cmd = new NpgsqlCommand($"SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{Slot}'", c);
                while (!ct.IsCancellationRequested)
                {
                    var at = now();
                    var v = await cmd.ExecuteScalarAsync(ct) is string lsn ? Lsn.Parse(lsn) : Lsn.Invalid;
                    // A move seen across a gap (b's connection lost in between, or polls a loaded host held up) is not
                    // timed to within a poll: the phase is then unknown until the next timed move, not the previous
                    // move's, which a cycle delayed by the load no longer shares (the likely cause of a CI run, 37 s
                    // into a loaded test suite, whose model copy lagged 2.75 s of writes where the server's lagged 0.65 s).
                    if (last.IsValid && v.IsValid && v != last) moved = at - lastAt < 3 * CopyPoll.TotalSeconds ? (lastAt + at) / 2 : null;
                    if (v.IsValid) { last = v; lastAt = at; }
                    await Task.Delay(CopyPoll, ct);
                }
            }
            catch (OperationCanceledException) { break; }
            catch (NpgsqlException)
            {
                // b's connection was terminated (57P01: a restart of b by Patroni) or refused meanwhile: connect again.
                try { await Task.Delay(CopyPoll, ct); } catch (OperationCanceledException) { break; }
            }
        }
        return moved;
    }

    /// <summary>
    /// The first xl_running_xacts after <paramref name="from"/> that the bgwriter logged (<c>BackgroundWriterMain</c>:
    /// every LOG_SNAPSHOT_INTERVAL_MS while important WAL is written, on a clock its last record of the set-up
    /// started), read with pg_walinspect from the WAL the standby replayed; a checkpoint's own (<c>CreateCheckPoint</c>
    /// logs it just before the checkpoint record, whose prev_lsn it is) is skipped. Invalid if there is none. Read on
    /// the standby, not on a: the first call after CREATE EXTENSION sets hint bits on catalog pages, which a primary
    /// with wal_log_hints (Patroni's default) logs as full-page images — up to 32 kB between the last row and P.
    /// </summary>
    private static async Task<Lsn> FirstBgWriterRunningXacts(string cs, Lsn from, CancellationToken ct)
    {
        await using var c = await Open(cs, ct);
        await using var cmd = new NpgsqlCommand(
            $"""
            WITH w AS MATERIALIZED (SELECT start_lsn, prev_lsn, record_type FROM pg_get_wal_records_info('{from}', pg_last_wal_replay_lsn()))
            SELECT min(r.start_lsn)::text FROM w r
            WHERE r.record_type = 'RUNNING_XACTS' AND NOT EXISTS (SELECT 1 FROM w k WHERE k.record_type = 'CHECKPOINT_ONLINE' AND k.prev_lsn = r.start_lsn)
            """, c);
        return await cmd.ExecuteScalarAsync(ct) is string lsn ? Lsn.Parse(lsn) : Lsn.Invalid;
    }

    /// <summary>The largest lag of b's copy behind a's slot (confirmed_flush) while the consumer ran, from samples of
    /// the same tick, after the first <paramref name="from"/> seconds (the first confirmation jumps over the set-up's WAL).</summary>
    private static long PeakLag(List<HaSample> samples, double from, double until)
    {
        long peak = 0;
        foreach (var g in samples.Where(x => x.At >= from && x.At <= until).GroupBy(x => Math.Round(x.At * 2)))
        {
            var pa = g.FirstOrDefault(x => x.Node == "a");
            var pb = g.FirstOrDefault(x => x.Node == "b");
            if (pa is null || pb is null || !pa.SlotConfirmed.IsValid || !pb.SlotConfirmed.IsValid) continue;
            peak = Math.Max(peak, (pa.SlotConfirmed - pb.SlotConfirmed).Bytes);
        }
        return peak;
    }

    /// <summary>The workload: a 1 kB row every 100 ms until cancelled; <paramref name="at"/> gets each row's time.</summary>
    private static async Task<int> WriteAsync(string cs, List<double> at, Func<double> now, CancellationToken ct)
    {
        var n = 0;
        await using var c = await Open(cs, CancellationToken.None);
        while (!ct.IsCancellationRequested)
        {
            await Exec(c, $"INSERT INTO t VALUES ({++n}, repeat('x', 1000))", CancellationToken.None);
            at.Add(now());
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { break; }
        }
        return n;
    }

    /// <summary>Where the steady write rate is measured from (seconds into the workload): <see cref="SteadyRate"/>.</summary>
    public const double SteadyFrom = 4.0;

    /// <summary>
    /// a's WAL rate from the first sample at or after <see cref="SteadyFrom"/> to the old primary's last insert, or
    /// null without such a sample. The model writes at one constant rate; the run's first seconds write more: the
    /// first changes after the set-up's CHECKPOINT log full-page images (of hint bits too, with Patroni's
    /// wal_log_hints), so the rate over the whole run was 14.2–14.7 kB/s on Patroni's nodes where a's position rose by
    /// 11.6–12.0 kB/s from the 4th second on. The fields compare WAL between moments of the run's second half (the
    /// copy's position, the consumer's stop, P), which the steady rate gives; the whole run's put a copy 3 s behind
    /// the stop 44177 bytes behind in the model where the server's was 35640.
    /// </summary>
    private static double? SteadyRate(List<HaSample> samples, Lsn oldInsert, double eventAt)
    {
        HaSample? from;
        lock (samples) from = samples.Where(x => x.Node == "a" && x.Primary && x.Position.IsValid && x.At >= SteadyFrom).MinBy(x => x.At);
        return from is null || from.At >= eventAt - 1 || from.Position >= oldInsert ? null : (oldInsert - from.Position).Bytes / (eventAt - from.At);
    }

    /// <summary>The consumer: a call at every whole <see cref="ConsumerPeriod"/> of the run's clock, as the model's
    /// consumer reports, then a last one at the stop. A delay of a period after each call drifted by the calls' own
    /// time: in one run the call of the 15th second came after a worker cycle at 15.02 s that the model's report of
    /// 15 s preceded, one call of WAL apart.</summary>
    private static async Task ConsumeAsync(string cs, List<Change> into, List<double> calls, Func<double> now, CancellationToken ct)
    {
        await using var c = await Open(cs, CancellationToken.None);
        var period = ConsumerPeriod.TotalSeconds;
        while (true)
        {
            calls.Add(now());
            await GetChangesAsync(c, into, CancellationToken.None);
            var next = (Math.Floor(now() / period) + 1) * period;
            try { await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, next - now())), ct); } catch (OperationCanceledException) { break; }
        }
        await GetChangesAsync(c, into, CancellationToken.None); // a last call: what it confirmed is S
    }

    /// <summary>One <c>pg_logical_slot_get_changes</c> call: every INSERT of t with its xid and its commit's end LSN.</summary>
    private static async Task GetChangesAsync(NpgsqlConnection c, List<Change> into, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT lsn::text, xid::text::bigint, data FROM pg_logical_slot_get_changes('{Slot}', NULL, NULL)", c);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var pending = new List<(long Xid, long Id)>();
        while (await r.ReadAsync(ct))
        {
            var data = r.GetString(2);
            if (RowId().Match(data) is { Success: true } m) pending.Add((r.GetInt64(1), long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
            else if (data.StartsWith("COMMIT", StringComparison.Ordinal))
            {
                var end = Lsn.Parse(r.GetString(0));
                into.AddRange(pending.Select(x => new Change(x.Xid, x.Id, end)));
                pending.Clear();
            }
        }
    }

    private static async Task SampleAsync(string a, string b, List<HaSample> into, Func<double> now, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var at = now();
            foreach (var (node, cs) in new[] { ("a", a), ("b", b) })
            {
                try
                {
                    await using var c = await Open(cs, CancellationToken.None);
                    await using var cmd = new NpgsqlCommand(
                        $"""
                        SELECT NOT pg_is_in_recovery(),
                               (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_insert_lsn() END)::text,
                               (SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '{Slot}'),
                               (SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{Slot}'),
                               (SELECT coalesce(sum(size), 0)::bigint FROM pg_ls_waldir()), (SELECT count(*) FROM pg_ls_waldir())
                        """, c);
                    await using var r = await cmd.ExecuteReaderAsync(CancellationToken.None);
                    await r.ReadAsync(CancellationToken.None);
                    Lsn L(int i) => r.IsDBNull(i) ? Lsn.Invalid : Lsn.Parse(r.GetString(i));
                    lock (into) into.Add(new HaSample(at, node, r.GetBoolean(0), L(1), L(2), L(3), r.GetInt64(4), r.GetInt64(5)));
                }
                catch (NpgsqlException) { /* a node that is down has no sample */ }
                catch (InvalidOperationException) { }
            }
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { break; }
        }
    }

    private static async Task<(Lsn Restart, Lsn Confirmed)> SlotAsync(string cs, CancellationToken ct)
    {
        try
        {
            await using var c = await Open(cs, ct);
            await using var cmd = new NpgsqlCommand($"SELECT restart_lsn::text, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{Slot}'", c);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return (Lsn.Invalid, Lsn.Invalid);
            return (r.IsDBNull(0) ? Lsn.Invalid : Lsn.Parse(r.GetString(0)), r.IsDBNull(1) ? Lsn.Invalid : Lsn.Parse(r.GetString(1)));
        }
        catch (NpgsqlException) { return (Lsn.Invalid, Lsn.Invalid); }
    }

    private static async Task<NpgsqlConnection> Open(string cs, CancellationToken ct)
    {
        var c = new NpgsqlConnection(cs);
        await c.OpenAsync(ct);
        return c;
    }

    private static async Task Exec(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(string cs, string sql, CancellationToken ct)
    {
        await using var c = await Open(cs, ct);
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<Lsn> ScalarLsn(string cs, string sql, CancellationToken ct) => Lsn.Parse(await Scalar<string>(cs, sql + "::text", ct));
}

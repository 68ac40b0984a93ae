using System.Globalization;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// The standby counterpart of <see cref="ModelReplay"/>: feeds what a real standby was observed to do through
/// <see cref="RestartpointDecision"/> and compares each decision with the standby's. A <c>CHECKPOINT</c> on the standby
/// must restart from the newest replayed primary checkpoint or be skipped when there is none newer than the last
/// restartpoint; every restartpoint the standby logs is replayed from the observed inputs — the replayed checkpoint's
/// redo, the prior redo, <c>endptr = max(received, replayed)</c>, the standby's slots, its settings and the model's
/// running distance estimate — and its distance, estimate, invalidated slots, removed/recycled/added files and the
/// pg_wal left behind are compared. Pure: no I/O.
/// </summary>
public sealed class RestartpointReplay(ServerSettings settings)
{
    private ServerSettings _settings = settings;
    private double _estimate;                   // CheckPointDistanceEstimate of the standby's checkpointer: 0 at start
    private SegmentNumber _lastRemoved;
    private readonly HashSet<string> _invalidated = new(StringComparer.Ordinal);
    private int _restartpoints;

    public List<Decision> Decisions { get; } = [];
    public List<string> Notes { get; } = [];
    public ServerSettings Settings => _settings;

    /// <summary>Restartpoints compared field by field.</summary>
    public int Compared { get; private set; }

    /// <summary>Restartpoints whose inputs the observations did not pin (see <see cref="Restartpoint"/>).</summary>
    public int Unobserved { get; private set; }

    /// <summary>A reload of the standby with changed settings.</summary>
    public void Reload(IEnumerable<KeyValuePair<string, string>> changes) => _settings = _settings.With(changes);

    /// <summary>
    /// A <c>CHECKPOINT</c> run on the standby while nothing was replayed: performed exactly when a primary checkpoint
    /// newer than pg_control's redo had been replayed (<paramref name="newestReplayedRedo"/>). <paramref name="performed"/>:
    /// a restartpoint completed during the step (by this request, or by the checkpointer's 15 s retry just before it).
    /// </summary>
    public void Requested(int step, StandbySnapshot before, Lsn newestReplayedRedo, bool performed)
    {
        var skips = RestartpointDecision.Skips(newestReplayedRedo, before.RedoLsn);
        var inputs = $"newest replayed checkpoint redo={Show(newestReplayedRedo)} pg_control redo={before.RedoLsn}";
        Add(step, null, "standby CHECKPOINT", "outcome", skips ? "skipped" : "performed", performed ? "performed" : "skipped", inputs);
    }

    /// <summary>
    /// "skipping restartpoint, already performed at X": X is the newest replayed checkpoint's redo
    /// (<c>lastCheckPoint.redo</c>), which is not newer than pg_control's. <paramref name="newestReplayedRedo"/> is null
    /// when a checkpoint record was replayed during the step, so which one the skip saw is not known.
    /// </summary>
    public void Skipped(int step, StandbySnapshot before, Lsn? newestReplayedRedo, Lsn performedAt)
    {
        if (newestReplayedRedo is not { } redo)
        {
            Notes.Add($"step {step}: a restartpoint skipped (already performed at {performedAt}) while a checkpoint was replayed; not compared");
            return;
        }
        var inputs = $"newest replayed checkpoint redo={Show(redo)} pg_control redo={before.RedoLsn}";
        Add(step, null, "skipped restartpoint", "already_performed_at", Show(redo), Show(performedAt), inputs);
    }

    /// <summary>
    /// One restartpoint that completed between <paramref name="before"/> and <paramref name="after"/> (and no other
    /// did). Its redo is the logged one; <paramref name="newestReplayedRedo"/>, when the step replayed no checkpoint
    /// record, is the redo it must have restarted from. <c>endptr</c> was not sampled at the instant the restartpoint
    /// read it: it lies between the replayed checkpoint record and what the standby had received after the step.
    /// When the model decides the same at both ends, the decision is compared; otherwise the restartpoint is counted
    /// as unobserved, the model takes the server's figures, and a note says so.
    /// </summary>
    public void Restartpoint(int step, StandbySnapshot before, StandbySnapshot after, LoggedCheckpoint logged, Lsn? newestReplayedRedo)
    {
        var n = ++_restartpoints;
        var redo = logged.RedoLsn ?? after.RedoLsn;
        var checkpointRecord = logged.CheckpointLsn ?? after.CheckpointLsn;
        var slots = before.Slots
            .Where(s => s.RestartLsn.IsValid && s.WalStatus != "lost" && !_invalidated.Contains(s.Name))
            .Select(s => new RestartpointSlot(s.Name, s.RestartLsn)).ToList();
        var node = new NodeWalState(before.RedoLsn, _estimate, _lastRemoved, new WalDirectory(before.Files.Oldest, before.Files.Newest));
        RestartpointInputs At(Lsn endptr) => new(node, redo, Received: endptr, Replayed: Lsn.Invalid) { Slots = slots };
        var low = Lsn.Max(before.EndPtr, checkpointRecord);
        var high = Lsn.Max(after.EndPtr, low);
        var atLow = RestartpointDecision.Decide(_settings, At(low));
        var atHigh = RestartpointDecision.Decide(_settings, At(high));
        var subject = $"restartpoint {n} ({logged.Flags})";
        if (atLow is null || atHigh is null)
        {
            // The log says it restarted from a redo not newer than pg_control's: impossible by CreateRestartPoint.
            Add(step, n, subject, "outcome", "skipped", "performed", $"redo={redo} pg_control redo before={before.RedoLsn}");
            FollowServer(logged);
            return;
        }
        if (Observable(atLow, after) != Observable(atHigh, after))
        {
            Unobserved++;
            Notes.Add($"step {step}: {subject}: endptr between {low} and {high}, where the model decides differently; not compared");
            FollowServer(logged);
            return;
        }

        Compared++;
        var o = atHigh;
        (_, _estimate, _lastRemoved, _) = node.After(redo, o.Checkpoint);
        foreach (var i in o.Invalidated) _invalidated.Add(i.Name);
        var inputs = string.Create(CultureInfo.InvariantCulture,
            $"redo={redo} prior_redo={before.RedoLsn} endptr={low}..{high} (received {after.Received}, replayed {after.Replayed}) slots={(slots.Count == 0 ? "none" : string.Join(",", slots.Select(s => $"{s.Name}@{s.RestartLsn}")))} files_before={before.Files.Oldest.Value:X}..{before.Files.Newest.Value:X} keep={o.Checkpoint.KeepBeforeInvalidation.Value:X}{(o.Checkpoint.Keep != o.Checkpoint.KeepBeforeInvalidation ? $"->{o.Checkpoint.Keep.Value:X}" : "")} recycleSegNo={o.Checkpoint.RecycleSegNo.Value:X} estimate={o.Checkpoint.Estimate:0} settings: max_wal_size={_settings.MaxWalSizeMb}MB min_wal_size={_settings.MinWalSizeMb}MB wal_keep={(_settings.Policy.KeepKnob == Simulator.Versions.WalKeepKnob.WalKeepSegments ? _settings.WalKeepSegments + "segs" : _settings.WalKeepSizeMb + "MB")} max_slot_wal_keep_size={_settings.MaxSlotWalKeepSizeMb}MB");
        void Compare(string field, string predicted, string observed) => Add(step, n, subject, field, predicted, observed, inputs);

        if (newestReplayedRedo is { } expected) Compare("redo", expected.ToString(), redo.ToString());
        Compare("distance_kB", Num(o.Checkpoint.DistanceKb), Num(logged.DistanceKb));
        Compare("estimate_kB", Num(o.Checkpoint.EstimateKb), Num(logged.EstimateKb));
        Compare("invalidated", Decision.Names(o.Invalidated.Select(i => i.Name)), Decision.Names(logged.Invalidations.Select(i => i.Slot)));
        foreach (var i in logged.Invalidations.Where(i => i.ExceedsBy is not null))
        {
            var predicted = o.Invalidated.FirstOrDefault(p => p.Name == i.Slot);
            Compare($"exceeds_by {i.Slot}", predicted.Name is null ? "-" : Num(predicted.ExceedsBy), Num(i.ExceedsBy!.Value));
        }
        Compare("removed", Num(o.Checkpoint.Removed), Num(logged.Removed));
        Compare("recycled", Num(o.Checkpoint.Recycled), Num(logged.Recycled));
        Compare("added", Num(o.Checkpoint.Added), Num(logged.Added));
        var (oldest, files) = Fields(o, after);
        Compare("oldest_file", oldest, _settings.SegmentSize.FileName(after.Files.Oldest));
        Compare("files", files, Num(after.Files.Count));
    }

    /// <summary>
    /// After a step: each of the standby's slots' <c>wal_status</c> and <c>safe_wal_size</c> (13+). The server computes
    /// both from <c>GetXLogWriteRecPtr()</c>, which on a standby is 0 — recovery never advances the write result — so a
    /// valid slot shows <c>reserved</c> however far behind it is, and <c>safe_wal_size</c> = (segment of restart_lsn +
    /// max(<c>max_slot_wal_keep_size</c>, <c>wal_keep_size</c>) + 1) segments, until a restartpoint invalidates it
    /// (docs/design/failover.md D-8).
    /// </summary>
    public void Slots(int step, StandbySnapshot snap)
    {
        if (!_settings.Policy.ReportsWalStatus) return;
        var min = CheckpointDecision.MinRestart(snap.Slots.Where(s => !_invalidated.Contains(s.Name)).Select(s => s.RestartLsn));
        var availability = WalAvailability.At(_settings, StandbyWritePosition, min, _lastRemoved);
        foreach (var s in snap.Slots)
        {
            var (status, safe) = availability.SlotColumns(s.RestartLsn, _invalidated.Contains(s.Name), s.Active);
            var inputs = string.Create(CultureInfo.InvariantCulture,
                $"write=0/0 (standby) restart_lsn={Show(s.RestartLsn)} last_removed={_lastRemoved.Value:X} invalidated={_invalidated.Contains(s.Name)}");
            var predicted = status == WalStatus.Null ? "null" : status.ToSql();
            Add(step, null, $"slot {s.Name}", "wal_status", predicted, s.WalStatus ?? "null", inputs);
            Add(step, null, $"slot {s.Name}", "safe_wal_size", safe is { } b ? Num(b.Bytes) : "null", s.SafeWalSize is { } o ? Num(o) : "null", inputs);
        }
    }

    /// <summary>The standby's write position as pg_replication_slots sees it (<see cref="Retention.StandbyWritePosition"/>).</summary>
    public static readonly Lsn StandbyWritePosition = Retention.StandbyWritePosition;

    /// <summary>Several restartpoints between two observations: not compared; the model follows the last one's figures.</summary>
    public void Unobservable(int step, IReadOnlyList<LoggedCheckpoint> logged)
    {
        _restartpoints += logged.Count;
        Unobserved += logged.Count;
        Notes.Add($"step {step}: {logged.Count} restartpoints completed between two observations; not compared");
        FollowServer(logged[^1]);
        foreach (var i in logged.SelectMany(l => l.Invalidations)) _invalidated.Add(i.Slot);
    }

    // Everything compared that depends on endptr, to tell whether the two ends of its range decide alike.
    private string Observable(RestartpointOutcome o, StandbySnapshot after) =>
        $"{Decision.Names(o.Invalidated.Select(i => $"{i.Name}:{i.ExceedsBy}"))} {o.Checkpoint.Removed} {o.Checkpoint.Recycled} {o.Checkpoint.Added} {Fields(o, after)}";

    // The pg_wal the standby is left with: the restartpoint's, plus what the walreceiver wrote after it.
    private (string Oldest, string Files) Fields(RestartpointOutcome o, StandbySnapshot after)
    {
        var dir = after.Received.IsValid ? o.Checkpoint.After.Through(_settings.SegmentSize.PrevSegmentOf(after.Received)) : o.Checkpoint.After;
        return (_settings.SegmentSize.FileName(dir.Oldest), Num(dir.Count));
    }

    private void FollowServer(LoggedCheckpoint logged)
    {
        _estimate = logged.EstimateKb * 1024.0;
        foreach (var i in logged.Invalidations) _invalidated.Add(i.Slot);
    }

    private void Add(int step, int? n, string subject, string field, string predicted, string observed, string inputs) =>
        Decisions.Add(new Decision(DecisionPoint.AtStep(step), n, subject, field, predicted, observed, predicted == observed, inputs));

    private static string Show(Lsn lsn) => lsn.IsValid ? lsn.ToString() : "0/0";
    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Live;

/// <summary>
/// Replays a real cluster's samples through walsim's retention model, the way <c>walsim validate</c> replays a
/// throwaway cluster: every checkpoint seen in the samples (a new <c>redo_lsn</c>) is re-decided from the inputs
/// observed just before it — the slot positions, the files in pg_wal, the redo pointers — with the sampled
/// version's <c>KeepLogSeg</c> → <c>InvalidateObsoleteReplicationSlots</c> → <c>RemoveOldXlogFiles</c> →
/// <c>PreallocXlogFiles</c>, and compared with what the next sample shows (slots invalidated, the oldest file, the
/// number of files); every sample's <c>wal_status</c> and <c>safe_wal_size</c> are recomputed with
/// <c>GetWALAvailability</c>. After each comparison the replay adopts the server's state, so one disagreement is
/// reported once, not carried forward. Its summary of the workload (the WAL rate, the checkpoint rhythm, how each
/// slot's consumer behaved) is a <see cref="WorkloadObserver"/>'s, the one forecast and plan start from. Pure and
/// streaming: one sample is held at a time.
/// </summary>
public sealed class LiveReplay
{
    private readonly Func<PgVersion, SampledSettings> _settingsFor;
    private readonly Action<Decision>? _onDecision;
    private readonly string _fileName;
    private readonly ReplayLimit _until;
    private readonly List<string> _notes = [];

    private RetentionPolicy? _policy;
    private ServerSettings? _settings;
    // The settings before the last reload and the sample that first read it (see CompareSlotColumns).
    private (long Sample, ServerSettings Before)? _reload;
    private SampledSettings? _sampledSettings;
    private WalSegmentSize _seg;
    private SampleFrame? _prev;
    private readonly Queue<(Lsn Head, IReadOnlyList<SlotSample> Slots)> _recentSlots = new(); // since the current redo pointer: where the next checkpoint starts
    private Lsn _recentRedo;
    private WalDirectory? _filesSinceRedo;      // see RememberDirectory
    private (long Sample, WalDirectory Files)? _filesAfterMove; // see RememberDirectory and FilesBefore
    private PendingCheckpoint? _pending;         // judged once more on the next sample before a disagreement is reported
    private SegmentNumber _lastRemoved;
    private double? _estimate;                  // CheckPointDistanceEstimate; unknown until the first checkpoint seen
    private readonly HashSet<string> _invalidated = new(StringComparer.Ordinal);
    // Slots a sample showed lost before any sample showed the checkpoint that invalidated them (the slot rows are
    // read after pg_control in each sample): the next checkpoint is judged as if they were still there, at the
    // restart_lsn they last had (an invalidated slot's restart_lsn reads NULL).
    private readonly Dictionary<string, Lsn> _lostEarly = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Lsn> _lastRestart = new(StringComparer.Ordinal);
    private bool _standbyNoted;
    // Each logical slot's restart_lsn as of the last moment the global slot minimum was certainly recomputed (see
    // TrackMinimumRecompute): KeepLogSeg's minimum may still count it there.
    private readonly Dictionary<string, Lsn> _logicalAtRecompute = new(StringComparer.Ordinal);

    // What was seen, for the summary.
    private ServerSample _first, _last;
    private long _samples, _rows, _gaps;
    private readonly WorkloadObserver _workload = new();
    private int _checkpoints;                   // numbers the checkpoints compared
    private readonly Dictionary<string, (long Decisions, long Agreed)> _byField = new(StringComparer.Ordinal);
    private readonly List<CheckpointComparison> _checkpointLines = [];
    private long _checkpointLinesDropped;
    private readonly List<Decision> _disagreements = [];
    private long _disagreementsDropped;
    private long _peakFiles;
    private DateTimeOffset _peakFilesAt;

    /// <param name="fileName">Names the sample file in errors.</param>
    /// <param name="settingsFor">The sidecar's settings for the version the samples show.</param>
    /// <param name="onDecision">Called with every decision compared, in order (to stream them to a CSV file).</param>
    /// <param name="until">Samples past this limit are not replayed.</param>
    public LiveReplay(string fileName, Func<PgVersion, SampledSettings> settingsFor, Action<Decision>? onDecision = null, ReplayLimit until = default)
    {
        _fileName = fileName;
        _settingsFor = settingsFor;
        _onDecision = onDecision;
        _until = until;
    }

    /// <summary>The checkpoint and disagreement lists the summary keeps (the CSV stream has all of them).</summary>
    public int KeepAtMost { get; init; } = 1000;

    /// <summary>Checkpoints seen so far (a new redo_lsn between two samples without a gap), each judged.</summary>
    public int CheckpointsSeen => _checkpoints;

    /// <summary>Decisions compared so far (checkpoint outcomes, wal_status, safe_wal_size).</summary>
    public long DecisionsCompared
    {
        get { long n = 0; foreach (var f in _byField.Values) n += f.Decisions; return n; }
    }

    /// <summary>Decisions so far on which the model and the server disagreed (a watcher's counter).</summary>
    public long DisagreementCount => _disagreements.Count + _disagreementsDropped;

    /// <summary>Feeds the next sample; false once past <c>--until</c> (the caller can stop reading).</summary>
    public bool Add(SampleFrame frame)
    {
        var s = frame.Server;
        if (_policy is not null && _until.Reached(_first.ServerTime, s.ServerTime)) return false;
        if (_policy is null) Start(frame);
        else if (s.SegmentSize != _seg || s.Version.Major != _policy.Version.Major)
            throw new SampleFileException(_fileName, 0, "server_version", string.Create(CultureInfo.InvariantCulture,
                $"sample {s.Sample}: the server changed from PostgreSQL {_policy.Version} ({_seg} segments) to {s.Version} ({s.SegmentSize}); replay one major version at a time"));

        _samples++;
        _rows += Math.Max(1, frame.Slots.Count);
        _last = s;
        if (s.PgWalFiles > _peakFiles) { _peakFiles = s.PgWalFiles; _peakFilesAt = s.ServerTime; }

        var prev = _prev;
        var gap = prev is null || s.Gap || s.TimelineId != prev.Server.TimelineId || s.InRecovery != prev.Server.InRecovery;
        if (prev is not null)
        {
            // The slot columns of the previous sample, now that this one bounds the write position they were read at —
            // with the settings that sample saw: a reload first seen in this sample applies from this sample on.
            CompareSlotColumns(prev, gap ? prev.Server.WriteLsn : s.WriteLsn);
            if (gap) _gaps++;
        }
        // The settings this sample saw (the sidecar records a reload at the first sample that read the new value):
        // from here on they judge this sample's slot columns and the checkpoint first seen in it.
        var changes = _sampledSettings!.ChangesThrough(s.Sample);
        if (changes.Count > 0)
        {
            _reload = (s.Sample, _settings!);
            _settings = _settings!.With(changes);
        }

        var settledHere = false;                  // a checkpoint's outcome was judged on this sample
        if (_pending is { } pending)
        {
            // The retry is fair only if nothing else happened in between: no gap, no newer checkpoint.
            var clean = !gap && s.RedoLsn == prev!.Server.RedoLsn;
            // RemoveOldXlogFiles can outlast a sampling interval (142 removed and 28 recycled took 1.6 s on
            // batch-forgotten-pg13): while the oldest file still moves up between two samples it is running, and
            // the sample after judges the checkpoint instead.
            var removing = clean && Oldest(s) is { } o && Oldest(prev!.Server) is { } po && o > po;
            if (!(removing && !Judge(pending, frame, final: false)))
            {
                if (!removing) Judge(pending, clean ? frame : prev!, final: true);
                _pending = null;
                settledHere = clean;
            }
        }

        if (s.InRecovery)
        {
            if (!_standbyNoted) _notes.Add($"sample {s.Sample}: a standby (in recovery): restartpoints are not replayed yet, only recorded");
            _standbyNoted = true;
        }
        else if (gap)
        {
            Resync(frame);
        }
        else
        {
            if (s.RedoLsn != prev!.Server.RedoLsn) Checkpoint(prev, frame);
        }
        // After a checkpoint (once its removal is seen done), pg_wal starts again from this sample's listing.
        RememberDirectory(frame, prev is null || gap || settledHere || (s.RedoLsn != prev.Server.RedoLsn && _pending is null));
        _workload.Observe(frame, _settings);
        if (settledHere || (prev is not null && !gap && s.RedoLsn != prev.Server.RedoLsn && _pending is null)) _lostEarly.Clear();
        TrackMinimumRecompute(prev, frame, gap);
        AdoptObservedInvalidations(frame, checkpointSeen: prev is not null && s.RedoLsn != prev.Server.RedoLsn, comparable: prev is not null && !gap && !s.InRecovery);
        RememberSlots(frame);
        _prev = frame;
        return true;
    }

    /// <summary>Ends the replay: the last sample's slot columns, then the summary.</summary>
    public ReplaySummary Finish()
    {
        if (_policy is null) throw new SampleFileException(_fileName, 0, "", "no samples to replay (only a header?)");
        if (_pending is { } pending && _prev is { } last) { Judge(pending, last, final: true); _pending = null; }
        if (_prev is { } p) CompareSlotColumns(p, p.Server.WriteLsn);
        var fields = _byField.Select(kv => new FieldAgreement(kv.Key, kv.Value.Decisions, kv.Value.Agreed)).ToList();
        return new ReplaySummary(_policy.Version, _seg, _first.SystemIdentifier, _samples, _rows, _first.ServerTime, _last.ServerTime, _gaps,
            _workload.Rates, _workload.Rhythm, _workload.SlotBehaviours,
            _peakFiles, _peakFilesAt, _settings!, fields, _checkpointLines, _checkpointLinesDropped, _disagreements, _disagreementsDropped, _notes);
    }

    private void Start(SampleFrame frame)
    {
        var s = frame.Server;
        _first = s;
        _policy = RetentionPolicy.For(s.Version);
        _seg = s.SegmentSize;
        _sampledSettings = _settingsFor(s.Version);
        _settings = ServerSettings.Create(_policy, _seg, _sampledSettings.ChangesThrough(s.Sample));
    }

    /// <summary>At the start, after a gap, a restart or a promotion: what happened meanwhile was not seen, so the
    /// removal horizon is taken from the oldest file present, and nothing is compared until the next checkpoint.</summary>
    /// <summary>
    /// pg_wal as it stood before the next checkpoint: the oldest and newest files seen since the last redo change.
    /// Only a checkpoint removes files, yet a sample can list pg_wal while one is removing them, its pg_control read
    /// (a moment earlier in the same statement) still showing the previous redo — and a directory listing taken
    /// during a rename can miss the renamed file. The widest listing since the last checkpoint is the one before it.
    /// </summary>
    private void RememberDirectory(SampleFrame frame, bool newCheckpoint)
    {
        if (Oldest(frame.Server) is not { } o || Newest(frame.Server) is not { } n) { _filesSinceRedo = null; _filesAfterMove = null; return; }
        // Insertion only adds files above the newest; removal (and the recycling that comes with it, which adds
        // names above the newest too) moves the oldest up. So a listing whose oldest moved up was taken while a
        // checkpoint was removing files: the last listing before that one is what the checkpoint started from.
        if (newCheckpoint || _filesSinceRedo is not { } d || o < d.Oldest) { _filesSinceRedo = new WalDirectory(o, n); _filesAfterMove = null; }
        else if (o == d.Oldest) _filesSinceRedo = new WalDirectory(o, SegmentNumber.Max(d.Newest, n));
        else
        {
            // ...unless that checkpoint is the one seen last, already judged on a sample that showed its redo and a
            // listing taken before its RemoveOldXlogFiles (its files fell inside the model's range): then pg_wal
            // starts again from this listing. FilesBefore tells the two apart once the next checkpoint is seen.
            _filesAfterMove = _filesAfterMove is { } m && o >= m.Files.Oldest
                ? (m.Sample, new WalDirectory(o, SegmentNumber.Max(m.Files.Newest, n)))
                : (frame.Server.Sample, new WalDirectory(o, n));
        }
    }

    /// <summary>
    /// pg_wal before the checkpoint first seen in the sample after <paramref name="before"/>. When the oldest file
    /// moved up without a new redo: if <paramref name="before"/> is that very sample, the move was this checkpoint's
    /// removal (its pg_control read a moment before its update) and it started from the listing before; if samples
    /// with the moved listing came before it, the move was the previous checkpoint finishing, and this one started
    /// from the moved listing.
    /// </summary>
    private WalDirectory? FilesBefore(SampleFrame before) =>
        _filesAfterMove is { } m && before.Server.Sample > m.Sample ? m.Files : _filesSinceRedo;

    private void Resync(SampleFrame frame)
    {
        if (Oldest(frame.Server) is { } oldest && oldest.Value > 0) _lastRemoved = oldest - 1;
    }

    /// <summary>A checkpoint completed between <paramref name="before"/> and <paramref name="after"/>: the model's
    /// decisions from what <paramref name="before"/> shows, judged against <paramref name="after"/>.</summary>
    private void Checkpoint(SampleFrame before, SampleFrame after)
    {
        var settings = _settings!;
        var b = before.Server;
        var a = after.Server;
        _checkpoints++;

        // The redo distance (UpdateCheckPointDistanceEstimate's; the estimate itself is decided below).
        var distance = (a.RedoLsn - b.RedoLsn).Bytes;
        var byWal = distance >= (long)settings.CheckPointSegments * _seg.Bytes;

        // InvalidateObsoleteReplicationSlots judges each slot at the end, from the slots as sampled just before:
        // a slot whose consumer stalled has not moved since, one that keeps up is near the insert position.
        var slots = ModelSlots(before.Slots);
        // The checkpoint record's end is not sampled: its start (checkpoint_lsn) plus the smallest record size.
        var recptr = CheckpointDecision.RecPtrAfter(a.CheckpointLsn);

        // KeepLogSeg's slot minimum is read at a moment no sample caught (the checkpoint's start on 13.22+/14.19+/
        // 15.14+/16.10+/17.6+, its end before; on 18 each slot's last saved restart_lsn): the samples on either side
        // of that moment bracket it, and the model's outcome for each end brackets the server's.
        var (lowSlots, highSlots) = SlotMinimumBracket(before, after, a.RedoLsn);
        var (minLow, minHigh) = (MinRestart(lowSlots), MinRestart(highSlots));
        // ...and a logical slot counts in that minimum only as far as the last recompute saw it: the low side keeps
        // from there.
        var staleLow = StaleLogicalMinimum(slots) is { IsValid: true } stale && minLow.IsValid && stale < minLow;
        if (staleLow) minLow = StaleLogicalMinimum(slots);
        // A streaming logical consumer that had confirmed the checkpoint's running_xacts position races the checkpoint
        // (retention-model.md §12.2, as ModelReplay): its walsender may take that record's restart point before
        // InvalidateObsoleteReplicationSlots reads the slot (the xmin it brings recomputes the minimum with the old
        // restart_lsn, so KeepLogSeg's bracket stays). A sample after it showing the slot alive at that record says it did.
        var racing = RacedRunningXacts(slots, after, a.RedoLsn);
        if (racing.Count > 0) slots = [.. slots.Select(s => racing.Contains(s.Name) ? s with { RestartLsn = RunningXactsAt(a.RedoLsn) } : s)];
        // 18 reads each slot's last saved restart_lsn for the recomputed minimum too; earlier versions the current one.
        var lastSaved = _policy!.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn;
        // RemoveOldXlogFiles runs over the files present when it ran (those sampled before, plus the segments written
        // up to the checkpoint record); after a gap they are unknown, and only the slots are judged.
        var recSeg = _seg.SegmentOf(recptr);
        var filesBefore = FilesBefore(before);
        var files = filesBefore is { } known
            ? new WalDirectory(known.Oldest, SegmentNumber.Max(known.Newest, recSeg))
            : new WalDirectory(recSeg, recSeg);
        // The estimate is unknown before the first checkpoint seen, which seeds it.
        var node = new NodeWalState(b.RedoLsn, _estimate ?? 0, _lastRemoved, files);
        // 18's idle_replication_slot_timeout is checked by InvalidateObsoleteReplicationSlots at the checkpoint's end
        // (after CheckPointGuts, a spread checkpoint's whole write phase), with GetCurrentTimestamp() then: between this
        // sample and the one before. Each end of that window is one side of the bracket: idle measured to the earlier
        // sample times out fewer slots (keeps more, like the lower slot minimum).
        CheckpointOutcome Decide(IReadOnlyList<SlotSample> minimumOf, Lsn slotMin, DateTimeOffset checkedAt) => CheckpointDecision.Decide(settings, new CheckpointInputs(node, a.RedoLsn, recptr)
        {
            Slots = DecisionSlots(slots, lastSaved ? minimumOf : null, checkedAt),
            KeepSlotMinimum = slotMin,
            ArchivedThrough = ArchivedThrough(b),
        });
        var low = Decide(lowSlots, minLow, b.ServerTime);
        var idleBracketed = IdleWindowMatters(settings, slots, b.ServerTime, a.ServerTime);
        var bracketed = !ReferenceEquals(lowSlots, highSlots) || idleBracketed || staleLow;
        var high = bracketed ? Decide(highSlots, minHigh, a.ServerTime) : low;
        _estimate = low.Estimate;

        static string Min(Lsn l) => l.IsValid ? l.ToString() : "none";
        static string Keep(CheckpointOutcome x) =>
            string.Create(CultureInfo.InvariantCulture, $"{x.KeepBeforeInvalidation.Value:X}{(x.Keep != x.KeepBeforeInvalidation ? $"->{x.Keep.Value:X}" : "")}");
        var inputs = string.Create(CultureInfo.InvariantCulture,
            $"{(racing.Count > 0 ? $"decoded its running_xacts first ({string.Join(",", racing.Order(StringComparer.Ordinal))}): " : "")}redo={a.RedoLsn} prior_redo={b.RedoLsn} recptr~{recptr} slot_min={Min(minLow)}{(minHigh != minLow ? $"..{Min(minHigh)}" : "")} files_before={(filesBefore is { } fb ? $"{_seg.FileName(fb.Oldest)}..{_seg.FileName(fb.Newest)}" : "-")} keep={Keep(low)}{(bracketed ? $"..{Keep(high)}" : "")} recycleSegNo={low.RecycleSegNo.Value:X} estimate~{_estimate:0} restart_lsn: {string.Join(" ", slots.Select(s => $"{s.Name}={s.RestartLsn}"))}");
        // Slots invalidated for sure (the lower bracket's), and those an idle timeout may also have reached by the end.
        var certain = low.Invalidated.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var possible = certain.Union(high.Invalidated.Where(i => i.Cause == InvalidationCause.IdleTimeout).Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        var prediction = new PendingCheckpoint(_checkpoints, b, a, new ByteCount(distance), byWal, certain, possible, low, high,
            filesBefore?.Oldest,
            before.Slots.Select(x => x.Name).ToHashSet(StringComparer.Ordinal),
            _invalidated.Where(n => !_lostEarly.ContainsKey(n)).ToHashSet(StringComparer.Ordinal), inputs);
        if (!Judge(prediction, after, final: false)) _pending = prediction;
    }

    /// <summary>Where an immediate checkpoint with redo <paramref name="redo"/> logs its running_xacts on an idle server:
    /// at the redo, after the 32 B XLOG_CHECKPOINT_REDO record on 17+.</summary>
    private Lsn RunningXactsAt(Lsn redo) =>
        _policy!.WritesCheckpointRedoRecord ? redo + new ByteCount(CheckpointDecision.RedoRecordBytes) : redo;

    /// <summary>
    /// The active logical slots whose consumer had confirmed the checkpoint's running_xacts before the checkpoint (so
    /// its walsender took that record at once, <c>LogicalIncreaseRestartDecodingForSlot</c>) and that a sample after
    /// it shows alive at that record: the walsender moved them before the checkpoint's invalidation check.
    /// </summary>
    private HashSet<string> RacedRunningXacts(List<SlotSample> slots, SampleFrame after, Lsn redo)
    {
        var at = RunningXactsAt(redo);
        var raced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in slots)
        {
            if (s.Kind != SlotKind.Logical || !s.Active || s.RestartLsn >= at || !s.ConfirmedFlushLsn.IsValid || s.ConfirmedFlushLsn < at) continue;
            if (after.Slots.Any(x => x.Name == s.Name && x.RestartLsn == at && x.InvalidationReason is null)) raced.Add(s.Name);
        }
        return raced;
    }

    /// <summary>
    /// The slots as the checkpoint decision sees them: those sampled before it are the ones it may invalidate; the
    /// minimum recomputed after counts their restart_lsn, or on 18 (<paramref name="savedAt"/>) each slot's as sampled
    /// where KeepLogSeg's minimum was read — its last saved restart_lsn — slots seen only there included.
    /// </summary>
    private static CheckpointSlot[] DecisionSlots(List<SlotSample> slots, IReadOnlyList<SlotSample>? savedAt, DateTimeOffset checkedAt)
    {
        if (savedAt is null) return slots.Select(s => CheckpointSlot.Holding(s.Name, s.RestartLsn, s.Active) with { IdleFor = IdleFor(s, checkedAt) }).ToArray();
        var saved = new Dictionary<string, Lsn>(StringComparer.Ordinal);
        foreach (var s in savedAt) saved[s.Name] = s.RestartLsn;
        var list = new List<CheckpointSlot>(slots.Count + savedAt.Count);
        foreach (var s in slots)
            list.Add(new CheckpointSlot(s.Name, s.RestartLsn, saved.Remove(s.Name, out var r) ? r : Lsn.Invalid, s.Active, IdleFor(s, checkedAt)));
        foreach (var s in savedAt)
            if (saved.ContainsKey(s.Name)) list.Add(new CheckpointSlot(s.Name, Lsn.Invalid, s.RestartLsn));
        return [.. list];
    }

    /// <summary>now − <c>inactive_since</c> (17+) of a released slot at <paramref name="at"/>; null while in use or unknown.</summary>
    private static SimDuration? IdleFor(SlotSample s, DateTimeOffset at) =>
        !s.Active && s.InactiveSince is { } since && at > since ? SimDuration.FromSeconds((at - since).TotalSeconds) : null;

    /// <summary>Whether some released slot's idle time crosses <c>idle_replication_slot_timeout</c> between the two
    /// samples a checkpoint ended between (18): then the checkpoint's end decides, and both outcomes are possible.</summary>
    private static bool IdleWindowMatters(ServerSettings settings, List<SlotSample> slots, DateTimeOffset from, DateTimeOffset to)
    {
        if (!settings.Policy.HasIdleReplicationSlotTimeout || settings.IdleReplicationSlotTimeout <= SimDuration.Zero) return false;
        var timeout = (long)settings.IdleReplicationSlotTimeout.TotalSeconds;
        foreach (var s in slots)
            if (IdleFor(s, to) is { } late && (long)Math.Floor(late.TotalSeconds) >= timeout
                && (IdleFor(s, from) is not { } early || (long)Math.Floor(early.TotalSeconds) < timeout))
                return true;
        return false;
    }

    /// <summary>
    /// The slots whose minimum <c>KeepLogSeg</c> used, as sampled on either side of the moment it was read: the
    /// checkpoint's start (the last sample at or before the new redo pointer, and the next one) where the version
    /// captures it then, or its end (the samples before and after it); 18 (each slot's last saved restart_lsn) from
    /// the start to the end. Low is the side that keeps more WAL.
    /// </summary>
    private (IReadOnlyList<SlotSample> Low, IReadOnlyList<SlotSample> High) SlotMinimumBracket(SampleFrame before, SampleFrame after, Lsn redo)
    {
        var endLow = Valid(before.Slots);
        var endHigh = Valid(after.Slots);
        if (_policy!.SlotMinimumSampling == SlotMinimumSampling.AtCheckpointEnd) return Ordered(endLow, endHigh);

        IReadOnlyList<SlotSample>? startLow = null, startHigh = null;
        foreach (var (head, slotList) in _recentSlots)
        {
            if (head <= redo) startLow = slotList;
            else if (startLow is not null) { startHigh = slotList; break; }
        }
        startLow = startLow is null ? (_recentSlots.Count > 0 ? _recentSlots.Peek().Slots : endLow) : Valid(startLow);
        // No sample after the start before the one that shows the checkpoint done: it started (and ended) in between.
        startHigh = startHigh is null ? endHigh : Valid(startHigh);
        return _policy.SlotMinimumSampling == SlotMinimumSampling.LastSavedRestartLsn ? Ordered(startLow, endHigh) : Ordered(startLow, startHigh);

        List<SlotSample> Valid(IEnumerable<SlotSample> list) => ModelSlots(list);
        (IReadOnlyList<SlotSample>, IReadOnlyList<SlotSample>) Ordered(IReadOnlyList<SlotSample> x, IReadOnlyList<SlotSample> y)
        {
            var (mx, my) = (MinRestart(x), MinRestart(y));
            if (mx == my) return (x, x);
            // No slot (Invalid) keeps least: it sorts last.
            return !mx.IsValid ? (y, x) : !my.IsValid ? (x, y) : mx < my ? (x, y) : (y, x);
        }
    }

    /// <summary>
    /// Compares a checkpoint's predicted outcome with <paramref name="frame"/>. pg_control is updated before the
    /// slots are invalidated and the files removed (<c>CreateCheckPoint</c>), so a sample can fall in between: a
    /// disagreement is judged again on the next sample (<paramref name="final"/>) before it is reported.
    /// </summary>
    private bool Judge(PendingCheckpoint p, SampleFrame frame, bool final)
    {
        var a = frame.Server;
        string? filesVerdict = null, predictedOldest = null, predictedFiles = null;
        var okFiles = true;
        var oldestAgrees = false;
        // CreateCheckPoint updates pg_control, then invalidates slots, then removes files: the only sample left to judge
        // the checkpoint by (the next is past another checkpoint, or the file ends) may have caught it before the
        // removal — pg_wal exactly as before, where the model removes something. Like the other races, that is not a
        // disagreement: the files are not judged, and the next checkpoint starts from the model's pg_wal.
        var removalUnseen = final && a.Sample == p.Completed.Sample && p.OldestBefore is { } ob && Oldest(a) == ob && p.Low.After.Oldest > ob;
        if (removalUnseen)
        {
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"sample {a.Sample}: checkpoint {p.Number} caught between its invalidations and its file removal, and no later sample shows it alone: its files were not judged"));
            var head = _seg.SegmentOf(a.WriteLsn.IsValid ? a.WriteLsn : a.HeadLsn);
            _filesSinceRedo = p.Low.After.Through(head);
            _filesAfterMove = null;
            _lastRemoved = SegmentNumber.Max(_lastRemoved, p.Low.LastRemoved);
        }
        else if (p.FilesKnown && Oldest(a) is { } observedOldest)
        {
            var (dl, dh) = (p.Low.After, p.High.After);
            // The segments insertion reached after the checkpoint, up to this sample.
            var head = _seg.SegmentOf(a.WriteLsn.IsValid ? a.WriteLsn : a.HeadLsn);
            var gl = dl.Through(head);
            var gh = dh.Through(head);
            // A lower slot minimum keeps more: low keeps from the older file.
            var (oLo, oHi) = (SegmentNumber.Min(gl.Oldest, gh.Oldest), SegmentNumber.Max(gl.Oldest, gh.Oldest));
            var (fLo, fHi) = (Math.Min(gl.Count, gh.Count), Math.Max(gl.Count, gh.Count));
            predictedOldest = oLo == oHi ? _seg.FileName(oLo, a.TimelineId) : $"{_seg.FileName(oLo, a.TimelineId)}..{_seg.FileName(oHi, a.TimelineId)}";
            predictedFiles = fLo == fHi ? fLo.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{fLo}..{fHi}");
            oldestAgrees = observedOldest >= oLo && observedOldest <= oHi;
            okFiles = oldestAgrees && a.PgWalFiles >= fLo && a.PgWalFiles <= fHi;
            if (!okFiles) filesVerdict = $"files: model {predictedFiles} from {predictedOldest}, server {a.PgWalFiles} from {a.OldestWalFile}";
        }
        string? seen = null;
        var okSlots = true;
        if (_policy!.CapsSlotRetention)
        {
            var seenNames = frame.Slots.Where(s => IsInvalidatedByCheckpoint(s) && !p.LostBefore.Contains(s.Name) && p.SlotsBefore.Contains(s.Name))
                .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            seen = Decision.Names(seenNames);
            okSlots = p.Certain.IsSubsetOf(seenNames) && seenNames.IsSubsetOf(p.Possible);
        }
        if (!final && !(okFiles && okSlots)) return false;

        var note = frame.Server.Sample != p.Completed.Sample ? $" (seen at sample {frame.Server.Sample}: the first sample after it caught the checkpoint finishing)" : "";
        if (predictedOldest is not null)
        {
            Record(new Decision(DecisionPoint.AtSample(a.Sample, a.ServerTime), p.Number, $"checkpoint {p.Number}", "oldest_file", predictedOldest, a.OldestWalFile ?? "-", oldestAgrees, p.Inputs + note));
            Record(new Decision(DecisionPoint.AtSample(a.Sample, a.ServerTime), p.Number, $"checkpoint {p.Number}", "files", predictedFiles!, a.PgWalFiles.ToString(CultureInfo.InvariantCulture), okFiles, p.Inputs + note));
        }
        if (seen is not null)
            Record(new Decision(DecisionPoint.AtSample(a.Sample, a.ServerTime), p.Number, $"checkpoint {p.Number}", "invalidated", p.Invalidated, seen, okSlots, p.Inputs + note));

        // The horizon the server settled on (lastRemovedSegNo: the file before the oldest left) — the model's when it
        // agrees, the server's when not — so that the next checkpoint is judged on its own.
        if (!removalUnseen && p.FilesKnown && Oldest(a) is { } ao && ao.Value > 0)
            _lastRemoved = SegmentNumber.Max(_lastRemoved, ao - 1);
        var slotVerdict = okSlots ? null : $"invalidated: model {p.Invalidated}, server {seen}";
        var line = new CheckpointComparison(p.Number, a.Sample, p.Completed.CheckpointTime, p.Completed.RedoLsn, p.Distance, p.ByWalVolume,
            a.PgWalFiles, p.Invalidated, okFiles && okSlots, string.Join("; ", new[] { filesVerdict, slotVerdict }.Where(v => v is not null)));
        Keep(_checkpointLines, line, ref _checkpointLinesDropped);
        return true;
    }

    private sealed record PendingCheckpoint(int Number, ServerSample Before, ServerSample Completed, ByteCount Distance, bool ByWalVolume,
        HashSet<string> Certain, HashSet<string> Possible, CheckpointOutcome Low, CheckpointOutcome High, SegmentNumber? OldestBefore,
        HashSet<string> SlotsBefore, HashSet<string> LostBefore, string Inputs)
    {
        /// <summary>pg_wal was known before the checkpoint, so its removal can be judged.</summary>
        public bool FilesKnown => OldestBefore is not null;

        /// <summary>The slots predicted invalidated: a range ("-..cdc") when an idle timeout may or may not have been reached.</summary>
        public string Invalidated => Possible.SetEquals(Certain) ? Decision.Names(Certain) : $"{Decision.Names(Certain)}..{Decision.Names(Possible)}";
    }

    private void Keep<T>(List<T> list, T item, ref long dropped)
    {
        if (list.Count < KeepAtMost) list.Add(item);
        else dropped++;
    }

    /// <summary>
    /// <c>wal_status</c> and <c>safe_wal_size</c> as <c>pg_replication_slots</c> computes them (13+). The slot rows are
    /// read a moment after the write position, so the model's value is computed at both ends of the window the read
    /// fell in (this sample's write position and the next's) and agrees if the server's lies between.
    /// </summary>
    private void CompareSlotColumns(SampleFrame frame, Lsn writeUpper)
    {
        var s = frame.Server;
        if (!_policy!.ReportsWalStatus || s.InRecovery || !s.WriteLsn.IsValid) return;
        var hi = writeUpper >= s.WriteLsn ? writeUpper : s.WriteLsn;
        var slotMin = Lsn.Invalid;
        foreach (var x in frame.Slots)
            if (x.RestartLsn.IsValid && (!slotMin.IsValid || x.RestartLsn < slotMin) && !_invalidated.Contains(x.Name)) slotMin = x.RestartLsn;
        var (atLow, atHigh) = (WalAvailability.At(_settings!, s.WriteLsn, slotMin, _lastRemoved), WalAvailability.At(_settings!, hi, slotMin, _lastRemoved));
        // A sample reads the slots in its second statement and pg_settings in its third; a backend takes a reload
        // (SIGHUP) between two statements, so the first sample that read a new value may have read its slot columns
        // under the old one: there either value agrees.
        var before = _reload is { } r && r.Sample == s.Sample
            ? (WalAvailability.At(r.Before, s.WriteLsn, slotMin, _lastRemoved), WalAvailability.At(r.Before, hi, slotMin, _lastRemoved))
            : ((WalAvailability, WalAvailability)?)null;
        foreach (var slot in frame.Slots)
        {
            if (slot.WalStatus is not { } observedStatus) continue;
            var invalidated = _invalidated.Count > 0 && _invalidated.Contains(slot.Name);
            var v = Columns(atLow, atHigh, slot, observedStatus, invalidated);
            if (!(v.StatusAgrees && v.SafeAgrees) && before is { } b && Columns(b.Item1, b.Item2, slot, observedStatus, invalidated) is { StatusAgrees: true, SafeAgrees: true } old)
                v = old with { Note = " (settings before the reload this sample first read)" };
            if (v.StatusAgrees && v.SafeAgrees && _onDecision is null)
            {
                // Nobody reads an agreeing decision's text: count it (most of a long replay's rows end here).
                Count("wal_status", true);
                Count("safe_wal_size", true);
                continue;
            }
            var inputs = string.Create(CultureInfo.InvariantCulture,
                $"write={s.WriteLsn}..{hi} restart_lsn={(slot.RestartLsn.IsValid ? slot.RestartLsn.ToString() : "null")} slot_min={(slotMin.IsValid ? slotMin.ToString() : "none")} last_removed={_seg.FileName(_lastRemoved)} active={(slot.Active ? "t" : "f")}{v.Note}");
            Record(new Decision(DecisionPoint.AtSample(s.Sample, s.ServerTime), null, $"slot {slot.Name}", "wal_status", v.StatusText, Text(observedStatus), v.StatusAgrees, inputs));
            Record(new Decision(DecisionPoint.AtSample(s.Sample, s.ServerTime), null, $"slot {slot.Name}", "safe_wal_size", v.SafeText,
                slot.SafeWalSize is { } os ? Num(os.Bytes) : "null", v.SafeAgrees, inputs));
        }
    }

    private readonly record struct SlotVerdict(string StatusText, bool StatusAgrees, string SafeText, bool SafeAgrees, string Note = "");

    /// <summary>One slot's columns as the model gives them at both ends of the write window, against the server's.</summary>
    private static SlotVerdict Columns(WalAvailability atLow, WalAvailability atHigh, SlotSample slot, WalStatus observedStatus, bool invalidated)
    {
        var (lo, safeLo) = atLow.SlotColumns(slot.RestartLsn, invalidated, slot.Active);
        var (up, safeHi) = atHigh.SlotColumns(slot.RestartLsn, invalidated, slot.Active);
        var statusAgrees = observedStatus >= lo && observedStatus <= up;
        // safe_wal_size falls as the write position rises: [at the next write position, at this one].
        var safeAgrees = (safeLo, safeHi, slot.SafeWalSize) switch
        {
            (null, null, null) => true,
            ({ } l2, { } h2, { } o) => o >= h2 && o <= l2,
            _ => false,
        };
        var statusText = lo == up ? Text(lo) : $"{Text(lo)}..{Text(up)}";
        var safeText = safeLo is { } l && safeHi is { } h ? (l == h ? Num(l.Bytes) : $"{Num(h.Bytes)}..{Num(l.Bytes)}") : "null";
        return new SlotVerdict(statusText, statusAgrees, safeText, safeAgrees);
    }

    private static string Text(WalStatus w) => w == WalStatus.Null ? "null" : w.ToSql();

    private void Count(string field, bool agrees)
    {
        ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byField, field, out _);
        c = (c.Decisions + 1, c.Agreed + (agrees ? 1 : 0));
    }

    private void Record(Decision d)
    {
        Count(d.Field, d.Agrees);
        if (!d.Agrees) Keep(_disagreements, d, ref _disagreementsDropped);
        _onDecision?.Invoke(d);
    }

    /// <summary>
    /// The slot minimum at each sample since the current checkpoint's redo pointer (and the last one before it): where
    /// the next checkpoint's start falls. Bounded by the samples of one checkpoint cycle.
    /// </summary>
    private void RememberSlots(SampleFrame frame)
    {
        var s = frame.Server;
        if (s.InRecovery || !s.HeadLsn.IsValid) { _recentSlots.Clear(); return; }
        _recentSlots.Enqueue((s.HeadLsn, frame.Slots));
        // Entries before the last one at or below the current redo can no longer be the start of a coming checkpoint.
        if (s.RedoLsn != _recentRedo)
        {
            _recentRedo = s.RedoLsn;
            while (_recentSlots.Count > 1 && _recentSlots.ElementAt(1).Head <= s.RedoLsn) _recentSlots.Dequeue();
        }
        while (_recentSlots.Count > 100_000) _recentSlots.Dequeue(); // a redo pointer stuck for days: keep memory bounded
    }

    /// <summary>The slots a checkpoint's decisions see: those not invalidated, with a valid restart_lsn, and those
    /// seen lost before the checkpoint that did it was seen, at their last restart_lsn.</summary>
    private List<SlotSample> ModelSlots(IEnumerable<SlotSample> slots)
    {
        var list = new List<SlotSample>();
        foreach (var s in slots)
        {
            if (_lostEarly.TryGetValue(s.Name, out var last)) list.Add(s with { RestartLsn = last });
            else if (s.RestartLsn.IsValid && !_invalidated.Contains(s.Name)) list.Add(s);
        }
        return list;
    }

    /// <summary>
    /// After the comparisons: the server's word on which slots are lost is what the next decisions start from. Only
    /// a checkpoint invalidates a slot, so one seen lost on a sample that shows no new checkpoint was caught between
    /// pg_control's read and the slot rows' in the same sample: it is kept for the next checkpoint to account for.
    /// </summary>
    private void AdoptObservedInvalidations(SampleFrame frame, bool checkpointSeen, bool comparable)
    {
        foreach (var slot in frame.Slots)
        {
            if (IsInvalidatedByCheckpoint(slot))
            {
                if (_invalidated.Add(slot.Name) && comparable && !checkpointSeen && _lastRestart.TryGetValue(slot.Name, out var last))
                    _lostEarly[slot.Name] = last;
            }
            else
            {
                if (slot.WalStatus is not null and not WalStatus.Lost) _invalidated.Remove(slot.Name); // dropped and recreated
                if (slot.RestartLsn.IsValid) _lastRestart[slot.Name] = slot.RestartLsn;
            }
        }
        if (_invalidated.Count > 0) _invalidated.RemoveWhere(name => frame.Slot(name) is null);
    }

    /// <summary>Invalidated by a checkpoint's <c>InvalidateObsoleteReplicationSlots</c>: its WAL removed, or (18) idle
    /// past <c>idle_replication_slot_timeout</c> — not a PG17+ conflict on a standby. Where the server names the reason
    /// (17+), that is the word even if <c>wal_status</c> says <c>unreserved</c>: <c>pg_get_replication_slots</c> shows an
    /// invalidated slot unreserved while a process holds it, and <c>InvalidatePossiblyObsoleteSlot</c> itself holds an
    /// inactive slot (active_pid = the checkpointer) from marking it until <c>ReplicationSlotSave</c> has written it —
    /// a 18.4 sample caught that moment (active, idle_timeout, unreserved; lost a sample later).</summary>
    private static bool IsInvalidatedByCheckpoint(SlotSample s) => s.InvalidationReason switch
    {
        "wal_removed" or "idle_timeout" => s.WalStatus is WalStatus.Lost or WalStatus.Unreserved,
        null => s.WalStatus == WalStatus.Lost,
        _ => false,
    };

    private SegmentNumber? Oldest(ServerSample s) => s.OldestWalFile is { } f && _seg.TryParseFileName(f, out var n) ? n : null;
    private SegmentNumber? Newest(ServerSample s) => s.NewestWalFile is { } f && _seg.TryParseFileName(f, out var n) ? n : null;

    /// <summary>With archiving on, files after the last one archived are still needed (<c>XLogArchiveCheckDone</c>).</summary>
    private SegmentNumber ArchivedThrough(ServerSample s)
    {
        if (_settings!.ArchiveMode == ArchiveMode.Off) return new SegmentNumber(ulong.MaxValue);
        return s.LastArchivedWal is { } f && f.Length >= 24 && _seg.TryParseFileName(f.AsSpan(0, 24), out var n) ? n : default;
    }

    /// <summary>
    /// KeepLogSeg reads the global slot minimum (<c>XLogGetReplicationSlotMinimumLSN</c>), which only
    /// <c>ReplicationSlotsComputeRequiredLSN</c> sets. A logical slot's restart_lsn moving does not call it unless its
    /// catalog_xmin moved too (<c>LogicalConfirmReceivedLocation</c>: only under <c>updated_xmin</c>) — which samples
    /// taken since walsim reads <c>catalog_xmin</c> show, and older files do not; what certainly calls it is a logical
    /// slot's catalog_xmin changing between two samples, a physical slot moving (<c>PhysicalConfirmReceivedLocation</c>,
    /// <c>pg_physical_replication_slot_advance</c>), a slot created, dropped or invalidated
    /// (<c>ReplicationSlotReserveWal</c>, <c>ReplicationSlotDropPtr</c>, <c>InvalidateObsoleteReplicationSlots</c>) and a
    /// restart. So between such moments the minimum may still hold a logical slot where it was at the last one: each
    /// logical slot's restart_lsn as sampled just before it (retention-model.md §12.2). idle-pg18 kept segment 1C for
    /// seven minutes after the invalidation that last recomputed it, while its logical slot moved on to 0x24.
    /// </summary>
    private void TrackMinimumRecompute(SampleFrame? prev, SampleFrame frame, bool gap)
    {
        var logical = frame.Slots.Where(x => x.Kind == SlotKind.Logical && x.RestartLsn.IsValid && !IsInvalidatedByCheckpoint(x)).ToList();
        bool recomputed = prev is null || gap
            || prev.Slots.Count != frame.Slots.Count
            || frame.Slots.Any(x => prev.Slot(x.Name) is not { } p
                || (x.Kind == SlotKind.Physical && x.RestartLsn != p.RestartLsn)
                || (x.Kind == SlotKind.Logical && x.CatalogXmin is { } xmin && p.CatalogXmin is { } before && xmin != before)
                || (IsInvalidatedByCheckpoint(x) && !IsInvalidatedByCheckpoint(p)));
        if (!recomputed) return;
        _logicalAtRecompute.Clear();
        foreach (var x in logical)
            _logicalAtRecompute[x.Name] = prev?.Slot(x.Name) is { RestartLsn.IsValid: true } p && p.RestartLsn < x.RestartLsn && !gap ? p.RestartLsn : x.RestartLsn;
    }

    /// <summary>The lowest logical restart_lsn the global minimum may still hold (see <see cref="TrackMinimumRecompute"/>),
    /// among the slots the checkpoint sees.</summary>
    private Lsn StaleLogicalMinimum(List<SlotSample> slots)
    {
        var min = Lsn.Invalid;
        foreach (var x in slots)
            if (x.Kind == SlotKind.Logical && _logicalAtRecompute.TryGetValue(x.Name, out var at) && at < x.RestartLsn && (!min.IsValid || at < min))
                min = at;
        return min;
    }

    private static Lsn MinRestart(IEnumerable<SlotSample> slots) => CheckpointDecision.MinRestart(slots.Select(s => s.RestartLsn));

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Where a replay stops (<c>--until</c>): at a time, or after a duration from the first sample.</summary>
public readonly record struct ReplayLimit(DateTimeOffset? At, TimeSpan? After)
{
    public bool Reached(DateTimeOffset first, DateTimeOffset t) =>
        (At is { } at && t > at) || (After is { } after && t - first > after);
}

public sealed record FieldAgreement(string Field, long Decisions, long Agreed);

/// <summary>One observed checkpoint: what the server showed after it, and whether the model agreed.</summary>
public sealed record CheckpointComparison(int Number, long Sample, DateTimeOffset Started, Lsn Redo, ByteCount Distance, bool ByWalVolume,
    long Files, string Invalidated, bool Agrees, string Difference);

/// <summary>The WAL rate the samples show, between consecutive samples (gaps excluded).</summary>
public sealed record WalRateSummary(ByteCount Written, TimeSpan Covered, double MeanBytesPerSecond, double MedianBytesPerSecond,
    double P95BytesPerSecond, double PeakBytesPerSecond, long Intervals);

/// <summary>Checkpoints seen (a new redo_lsn); those whose redo distance reached CheckPointSegments were requested by WAL volume.</summary>
public sealed record CheckpointRhythm(int Observed, int ByWalVolume, TimeSpan? MeanInterval);

/// <summary>How one slot's consumer behaved over the samples.</summary>
public sealed record SlotBehaviour(string Name, SlotKind Kind, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long Samples,
    double ActiveFraction, ByteCount MaxBehind, TimeSpan LongestStall, DateTimeOffset? LongestStallFrom, bool StalledAtEnd,
    DateTimeOffset? FirstExtended, DateTimeOffset? FirstUnreserved, DateTimeOffset? FirstLost, WalStatus? LastStatus);

public sealed record ReplaySummary(
    PgVersion Version,
    WalSegmentSize SegmentSize,
    ulong SystemIdentifier,
    long Samples,
    long Rows,
    DateTimeOffset From,
    DateTimeOffset To,
    long Gaps,
    WalRateSummary Wal,
    CheckpointRhythm Checkpoints,
    IReadOnlyList<SlotBehaviour> Slots,
    long PeakFiles,
    DateTimeOffset PeakFilesAt,
    ServerSettings Settings,
    IReadOnlyList<FieldAgreement> Fields,
    IReadOnlyList<CheckpointComparison> CheckpointLines,
    long CheckpointLinesDropped,
    IReadOnlyList<Decision> Disagreements,
    long DisagreementsDropped,
    IReadOnlyList<string> Notes)
{
    public long Decisions => Fields.Sum(f => f.Decisions);
    public long Agreed => Fields.Sum(f => f.Agreed);
    public bool Agrees => Decisions == Agreed;
}

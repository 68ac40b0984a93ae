using System.Globalization;

namespace Walsim.Analyzer.Comparison;

/// <summary>Two versions as one scenario runs them: their policies and their effective settings at the start.</summary>
internal sealed record PairContext(Scenario Scenario, ServerSettings From, ServerSettings To)
{
    public RetentionPolicy A => From.Policy;
    public RetentionPolicy B => To.Policy;
    public bool HasSlots => Scenario.Slots.Count > 0 || Scenario.Events.OfType<CreateSlot>().Any();
    public bool BothCap => A.CapsSlotRetention && B.CapsSlotRetention && AnyCap;
    public bool AnyCap => From.MaxSlotWalKeepSizeMb >= 0 || To.MaxSlotWalKeepSizeMb >= 0
        || Scenario.Events.OfType<ChangeSettings>().Any(e => e.Settings.ContainsKey("max_slot_wal_keep_size"));
    public string V(RetentionPolicy p) => p.Version.ToString();
}

/// <summary>
/// One explanation per <see cref="RetentionPolicy"/> capability (and per setting whose effective value differs):
/// what it is, which decisions it moves, when it can matter, and the PostgreSQL change behind it in plain words.
/// Divergences and minor-release warnings are explained from this table, never from version numbers.
/// </summary>
internal sealed record CapabilityDescriptor(
    string Name,
    Func<RetentionPolicy, string> Value,
    DecisionAspect Affects,
    bool IsMinorFix,
    Func<PairContext, bool> Applies,
    Func<PairContext, string> Explain)
{
    public static readonly IReadOnlyList<CapabilityDescriptor> All =
    [
        new("RecomputesHorizonAfterInvalidation", p => p.RecomputesHorizonAfterInvalidation ? "yes" : "no",
            DecisionAspect.Keep | DecisionAspect.Files, true,
            c => c.HasSlots && c.BothCap,
            _ => "13.4 recomputes the slot horizon after invalidating a slot and re-runs KeepLogSeg in the same checkpoint; 13.0–13.3 keep the stale horizon, so pg_wal stays at max_slot_wal_keep_size (bug #17103)"),
        new("SlotMinimumSampling", p => p.SlotMinimumSampling switch
            {
                SlotMinimumSampling.AtCheckpointStart => "at checkpoint start",
                SlotMinimumSampling.LastSavedRestartLsn => "last_saved_restart_lsn",
                _ => "at checkpoint end",
            },
            DecisionAspect.Keep | DecisionAspect.Files, true,
            c => c.HasSlots,
            _ => "13.22/14.19/15.14/16.10/17.6 read the slot minimum used for removal at the checkpoint's start, not its end (a slot that advanced during the checkpoint no longer frees WAL a crash would still need); 18 uses each slot's last_saved_restart_lsn"),
        new("KeepLogSegUnderflowGuard", p => p.KeepLogSegUnderflowGuard ? "yes" : "no",
            DecisionAspect.Keep | DecisionAspect.Files, true,
            c => c.HasSlots,
            _ => "13.11/14.8/15.3 make KeepLogSeg ignore a slot minimum at or past the checkpoint's position; before, the segment arithmetic wrapped and wal_keep_size was not honoured for that checkpoint"),
        new("RechecksSlotAfterTerminating", p => p.RechecksSlotAfterTerminating ? "yes" : "no",
            DecisionAspect.Invalidation, true,
            c => c.HasSlots && c.BothCap,
            _ => "after terminating a slot's walsender, 13.4+ (and 16.0–16.2, 16.11+, 17.7+, 18.1+) re-read the slot before invalidating it: a consumer that caught up meanwhile keeps its slot"),
        new("MinimumSkipsInvalidatedSlots", p => p.MinimumSkipsInvalidatedSlots ? "yes" : "no",
            DecisionAspect.Keep | DecisionAspect.Files, false,
            c => c.HasSlots && c.BothCap,
            _ => "16 leaves invalidated slots out of the slot minimum explicitly, so a standby reconnecting to a lost slot cannot make it hold WAL again"),
        new("HasIdleReplicationSlotTimeout", p => p.HasIdleReplicationSlotTimeout ? "yes" : "no",
            DecisionAspect.Invalidation | DecisionAspect.Keep | DecisionAspect.Files, false,
            c => c.HasSlots && (c.A.HasIdleReplicationSlotTimeout ? c.From : c.To).IdleReplicationSlotTimeout > SimDuration.Zero,
            c => $"18 invalidates slots idle for longer than idle_replication_slot_timeout ({(c.A.HasIdleReplicationSlotTimeout ? c.From : c.To).IdleReplicationSlotTimeout} here) at a checkpoint"),
        // After the specific fixes: a keep difference with both versions capping is one of those, not the cap.
        new("CapsSlotRetention", p => p.CapsSlotRetention ? "yes" : "no",
            DecisionAspect.Invalidation | DecisionAspect.Keep | DecisionAspect.Files | DecisionAspect.Disk, false,
            c => c.HasSlots && (c.A.CapsSlotRetention ? c.From : c.To).MaxSlotWalKeepSizeMb >= 0,
            c =>
            {
                var capped = c.A.CapsSlotRetention ? c.From : c.To;
                return $"13+ caps slot retention at max_slot_wal_keep_size ({Mb(capped.MaxSlotWalKeepSizeMb)} here); 12 lets a slot keep WAL without limit";
            }),
        new("WritesCheckpointRedoRecord", p => p.WritesCheckpointRedoRecord ? "yes" : "no",
            DecisionAspect.Redo, false,
            _ => true,
            _ => "17 writes an XLOG_CHECKPOINT_REDO record when a checkpoint starts and makes it the redo pointer: a few more bytes of WAL per checkpoint, the redo segment can move by one"),
        new("KeepKnob", p => p.KeepKnob == WalKeepKnob.WalKeepSegments ? "wal_keep_segments" : "wal_keep_size",
            DecisionAspect.Keep, false,
            c => c.From.WalKeepSegments > 0 || c.From.WalKeepSizeMb > 0 || c.To.WalKeepSegments > 0 || c.To.WalKeepSizeMb > 0,
            _ => "13 replaced wal_keep_segments (a number of segments) with wal_keep_size (MB); the value was converted at the scenario's segment size"),
        new("ReportsWalStatus", p => p.ReportsWalStatus ? "yes" : "no", DecisionAspect.None, false, c => c.HasSlots,
            _ => "13 adds pg_replication_slots.wal_status and safe_wal_size (12 shows neither)"),
        new("ReportsInactiveSince", p => p.ReportsInactiveSince ? "yes" : "no", DecisionAspect.None, false, c => c.HasSlots,
            _ => "17 adds pg_replication_slots.inactive_since and invalidation_reason"),
        new("DefaultLogCheckpoints", p => p.DefaultLogCheckpoints ? "on" : "off", DecisionAspect.None, false,
            c => !c.Scenario.Settings.ContainsKey("log_checkpoints"),
            _ => "15 turns log_checkpoints on by default (a log line per checkpoint; no effect on retention)"),
    ];

    private static string Mb(long mb) => mb < 0 ? "-1" : mb == 0 ? "0" : ByteCount.Format(mb * ByteCount.MiB);
}

/// <summary>Builds the list of <see cref="CapabilityChange"/>s for a pair of versions.</summary>
internal static class CapabilityChanges
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<CapabilityChange> Between(PairContext c)
    {
        var list = new List<CapabilityChange>();
        // Settings first: when the effective checkpoint pacing differs it moves every later decision.
        if (c.From.CheckpointCompletionTarget != c.To.CheckpointCompletionTarget || c.From.CheckPointSegments != c.To.CheckPointSegments)
            list.Add(CheckpointPacing(c));
        foreach (var d in CapabilityDescriptor.All)
        {
            var (a, b) = (d.Value(c.A), d.Value(c.B));
            if (a != b) list.Add(new CapabilityChange(d.Name, a, b, d.Explain(c), d.Affects, d.Applies(c)));
        }
        foreach (var (name, a, b) in OtherSettings(c))
            list.Add(new CapabilityChange(name, a, b, $"{name} is {a} on {c.V(c.A)} and {b} on {c.V(c.B)} (as the scenario gives it)",
                DecisionAspect.Timing | DecisionAspect.Keep | DecisionAspect.Files | DecisionAspect.Invalidation, true));
        return list;
    }

    /// <summary>The fixes a minor lacks compared with the newest minor of its major.</summary>
    public static IReadOnlyList<KnownBug> BugsFixedAfter(PgVersion v)
    {
        var newest = new PgVersion(v.Major, PgVersion.NewestKnownMinor[v.Major]);
        var bugs = new List<KnownBug>();
        var policy = RetentionPolicy.For(v);
        var fixedPolicy = RetentionPolicy.For(newest);
        foreach (var d in CapabilityDescriptor.All.Where(d => d.IsMinorFix))
        {
            var good = d.Value(fixedPolicy);
            if (d.Value(policy) == good) continue;
            var fixedIn = Enumerable.Range(v.Minor + 1, newest.Minor - v.Minor)
                .Select(m => new PgVersion(v.Major, m)).First(m => d.Value(RetentionPolicy.For(m)) == good);
            var ctx = new PairContext(new Scenario { Name = "", Versions = [] }, ServerSettings.Create(policy, WalSegmentSize.Default, []),
                ServerSettings.Create(fixedPolicy, WalSegmentSize.Default, []));
            bugs.Add(new KnownBug(d.Name, fixedIn, d.Explain(ctx)));
        }
        return bugs;
    }

    private static CapabilityChange CheckpointPacing(PairContext c)
    {
        var (a, b) = (c.From, c.To);
        var why = a.CheckpointCompletionTarget == b.CheckpointCompletionTarget ? "max_wal_size differs"
            : c.Scenario.Settings.ContainsKey("checkpoint_completion_target") ? "as the scenario gives it"
            : string.Create(Inv, $"14 changed its default from 0.5 to 0.9");
        var text = string.Create(Inv,
            $"checkpoint_completion_target {a.CheckpointCompletionTarget} on {c.V(c.A)}, {b.CheckpointCompletionTarget} on {c.V(c.B)} ({why}): a checkpoint is requested every {b.CheckPointSegments} segments instead of {a.CheckPointSegments} (max_wal_size / (1 + target)), and a timed one ends {(b.CheckpointTimeout * b.CheckpointCompletionTarget).Display()} after it starts instead of {(a.CheckpointTimeout * a.CheckpointCompletionTarget).Display()}");
        return new CapabilityChange("checkpoint_completion_target",
            a.CheckpointCompletionTarget.ToString(Inv), b.CheckpointCompletionTarget.ToString(Inv), text,
            DecisionAspect.Timing | DecisionAspect.Keep | DecisionAspect.Files | DecisionAspect.Invalidation, true);
    }

    // Effective settings that differ for another reason than a capability (a version_settings range, say).
    private static IEnumerable<(string Name, string A, string B)> OtherSettings(PairContext c)
    {
        var (a, b) = (c.From, c.To);
        if (a.MaxWalSizeMb != b.MaxWalSizeMb) yield return ("max_wal_size", $"{a.MaxWalSizeMb}MB", $"{b.MaxWalSizeMb}MB");
        if (a.MinWalSizeMb != b.MinWalSizeMb) yield return ("min_wal_size", $"{a.MinWalSizeMb}MB", $"{b.MinWalSizeMb}MB");
        if (a.CheckpointTimeout != b.CheckpointTimeout) yield return ("checkpoint_timeout", a.CheckpointTimeout.ToString(), b.CheckpointTimeout.ToString());
        if (a.Policy.CapsSlotRetention && b.Policy.CapsSlotRetention && a.MaxSlotWalKeepSizeMb != b.MaxSlotWalKeepSizeMb)
            yield return ("max_slot_wal_keep_size", $"{a.MaxSlotWalKeepSizeMb}MB", $"{b.MaxSlotWalKeepSizeMb}MB");
        var keepA = a.Policy.KeepKnob == WalKeepKnob.WalKeepSegments ? a.WalKeepSegments * a.SegmentSize.Bytes : a.WalKeepSizeMb * ByteCount.MiB;
        var keepB = b.Policy.KeepKnob == WalKeepKnob.WalKeepSegments ? b.WalKeepSegments * b.SegmentSize.Bytes : b.WalKeepSizeMb * ByteCount.MiB;
        if (keepA != keepB) yield return ("wal_keep_size", ByteCount.Format(keepA), ByteCount.Format(keepB));
        if (a.WalRecycle != b.WalRecycle) yield return ("wal_recycle", a.WalRecycle ? "on" : "off", b.WalRecycle ? "on" : "off");
        if (a.ArchiveMode != b.ArchiveMode) yield return ("archive_mode", a.ArchiveMode.ToString(), b.ArchiveMode.ToString());
    }
}

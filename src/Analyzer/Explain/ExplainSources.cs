using System.Globalization;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Explain;

/// <summary>
/// Where <c>walsim explain</c> reads a state from: a scenario at an instant or at its pg_wal peak (the engine), a
/// sample file at a sample (what <c>walsim sample</c> recorded), or a live server (<see cref="LiveExplain"/>).
/// </summary>
public static class ExplainSources
{
    /// <summary>What explain needs of a recorded history: the state of the cluster at a reading. A server log shows
    /// neither pg_wal's files nor the slots' positions, so it is refused with this.</summary>
    public static readonly HistoryUse Use = new("a breakdown of pg_wal",
        HistoryEvidence.WalPositions | HistoryEvidence.RedoPointer | HistoryEvidence.PgWalListing | HistoryEvidence.SlotPositions | HistoryEvidence.Settings,
        "give a sample file written by walsim sample, a live server (--connection), or a scenario");

    /// <summary>A scenario's primary on <paramref name="version"/> at <paramref name="at"/> (null: at its pg_wal peak).</summary>
    public static ExplainReport FromScenario(Scenario scenario, string path, PgVersion version, SimTime? at)
    {
        var run = SimulationState.At(scenario, version, at);
        var node = scenario.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary)?.Name ?? "primary";
        var when = at is null ? $"at its pg_wal peak, {run.At}" : $"at {run.At}";
        var notes = new List<string>();
        if (at is null && run.State.Files.Count != run.PeakFiles)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"pg_wal peaked at {run.PeakFiles} files at {run.PeakAt}; a checkpoint ended at that instant, and this is the directory after it"));
        return ExplainReport.Of($"scenario {path}", node, when, version, run.State, notes);
    }

    /// <summary>
    /// A scenario at <paramref name="at"/> (null: the primary's pg_wal peak), per node: the primary
    /// (<see cref="FromScenario"/>), then each standby of a topology at the same instant, run up to it.
    /// </summary>
    public static IReadOnlyList<ExplainReport> FromScenarioNodes(Scenario scenario, string path, PgVersion version, SimTime? at)
    {
        var primary = FromScenario(scenario, path, version, at);
        if (scenario.Nodes.All(n => n.Role != NodeRole.Standby)) return [primary];
        var instant = at ?? SimulationState.At(scenario, version, null).At;
        var when = at is null ? $"at the primary's pg_wal peak, {instant}" : $"at {instant}";
        return [primary, .. SimulationState.Standbys(scenario, version, instant).Select(s =>
            ExplainReport.Of($"scenario {path}", s.Node, when, version, s.State))];
    }

    /// <summary>
    /// A sample file at the last sample at or before <paramref name="at"/> (null: the last sample). A sample records
    /// pg_wal's file count, bytes and oldest and newest names, not every name: the files are taken to be the run
    /// between them (as PostgreSQL keeps them) and a count that disagrees is noted. The estimate is replayed from the
    /// redo pointers the samples saw; the archiver from <c>last_archived_wal</c>.
    /// </summary>
    public static ExplainReport FromHistory(IRecordedHistory history, ReplayLimit at)
    {
        SampleFrame? chosen = null;
        SampledSettings? sampled = null;
        var settingsText = new Dictionary<string, string>(StringComparer.Ordinal);
        double? estimate = null;
        var checkpoints = 0;
        Lsn lastRedo = Lsn.Invalid;
        DateTimeOffset? first = null;
        foreach (var f in history.Frames())
        {
            first ??= f.Server.ServerTime;
            if (at.Reached(first.Value, f.Server.ServerTime)) break;
            sampled ??= SampledSettings.From(history.Settings, f.Server.Version);
            foreach (var (k, v) in sampled.ChangesThrough(f.Server.Sample)) settingsText[k] = v;
            var redo = f.Server.RedoLsn;
            if (lastRedo.IsValid && redo.IsValid && redo != lastRedo && !f.Server.Gap)
            {
                estimate = Retention.UpdateCheckPointDistanceEstimate(estimate ?? 0, (redo - lastRedo).Bytes);
                checkpoints++;
            }
            if (redo.IsValid) lastRedo = redo;
            chosen = f;
        }
        if (chosen is null)
            throw new HistorySourceException(history.Name, HistoryProblem.Unsuitable, at == default ? "it holds no sample" : "it holds no sample at or before --at");
        var s = chosen.Server;
        var settings = ServerSettings.Create(RetentionPolicy.For(s.Version), s.SegmentSize, settingsText);
        var notes = new List<string>();
        var state = StateAt(chosen, settings, estimate, notes);
        notes.Add(estimate is null
            ? "the samples saw no checkpoint: the distance estimate is unknown"
            : string.Create(CultureInfo.InvariantCulture, $"the distance estimate is replayed from the {checkpoints} checkpoint(s) the samples saw (it starts at 0: early ones are low)"));
        var when = string.Create(CultureInfo.InvariantCulture, $"at sample {s.Sample} ({s.ServerTime.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})");
        return ExplainReport.Of($"sample file {history.Name}", s.InRecovery ? "standby" : "primary", when, s.Version, state, notes);
    }

    /// <summary>
    /// The state one sample shows, as <see cref="WalBreakdown.Of"/> reads it (for <c>explain</c> on a sample file and
    /// for <c>watch</c>'s <c>walsim_pg_wal_bytes</c>): pg_wal as the run between its oldest and newest file names,
    /// archiving done through <c>last_archived_wal</c>. What it had to assume is added to <paramref name="notes"/>.
    /// </summary>
    public static WalState StateAt(SampleFrame chosen, ServerSettings settings, double? estimate, List<string>? notes = null)
    {
        notes ??= [];
        var s = chosen.Server;
        var seg = s.SegmentSize;
        var files = new List<WalFile>();
        if (s.OldestWalFile is { } oldestName && s.NewestWalFile is { } newestName
            && seg.TryParseFileName(oldestName, out var oldest) && seg.TryParseFileName(newestName, out var newest))
        {
            var tli = oldestName[..8];
            for (var n = oldest; n <= newest; n += 1) files.Add(new WalFile(n, tli + seg.FileName(n)[8..], seg.Size));
            notes.Add("a sample records pg_wal's oldest and newest file names and its count, not every name: the files are taken as the run between them");
            if (files.Count != s.PgWalFiles)
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"the sample counted {s.PgWalFiles} files, the run {oldestName}..{newestName} has {files.Count}: pg_wal was not one run (another timeline's files?)"));
        }
        var archived = new SegmentNumber(ulong.MaxValue);
        if (settings.ArchiveMode != ArchiveMode.Off)
        {
            archived = s.LastArchivedWal is { } la && seg.TryParseFileName(la, out var a) ? a : files.Count > 0 ? files[0].Segment - 1 : archived;
            notes.Add($"archiving is taken as done through last_archived_wal ({s.LastArchivedWal ?? "none"}): a sample does not list the .ready files");
        }
        return new WalState
        {
            Settings = settings,
            Files = files,
            Insert = s.InRecovery ? (s.ReceiveLsn.IsValid ? s.ReceiveLsn : s.ReplayLsn) : s.HeadLsn,
            Redo = s.RedoLsn,
            Estimate = estimate,
            Slots = chosen.Slots.Select(Slot).ToList(),
            ArchivedThrough = archived,
            LastRemoved = files.Count > 0 ? files[0].Segment - 1 : default,
            ReplayLsn = s.InRecovery ? s.ReplayLsn : Lsn.Invalid,
            InRecovery = s.InRecovery,
        };
    }

    /// <summary>A sampled (or live) slot as a checkpoint reads it: a lost one holds nothing.</summary>
    internal static ExplainSlot Slot(SlotSample s) =>
        new(CheckpointSlot.Holding(s.Name, s.WalStatus == WalStatus.Lost ? Lsn.Invalid : s.RestartLsn, s.Active), s.WalStatus);
}

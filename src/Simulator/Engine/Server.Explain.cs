
namespace Walsim.Simulator.Engine;

internal sealed partial class Server
{
    /// <summary>
    /// The retention state as the server would show it now, for <see cref="WalBreakdown.Of"/>: pg_wal's files, the
    /// positions, the estimate, the slots as the next checkpoint reads them and the archiver's position. Read-only
    /// but for bringing the slots up to date, which every row does too.
    /// </summary>
    internal WalState ExplainState(bool update = true)
    {
        if (update) UpdateSlots();
        var availability = WalAvailability.At(_settings, Insert, _slotMin, _lastRemoved);
        var decision = new DecisionSlots(this);
        var slots = new List<ExplainSlot>(decision.Count);
        for (var i = 0; i < decision.Count; i++)
        {
            var s = _slots[i];
            WalStatus? status = _reportsWalStatus ? availability.SlotColumns(s.RestartLsn, s.Invalidated != InvalidationCause.None, s.Active).Status : null;
            slots.Add(new ExplainSlot(decision[i], status));
        }
        var files = new DirectoryFiles(_dir, _seg);
        return new WalState
        {
            Settings = _settings,
            Files = files,
            Insert = Insert,
            Redo = _controlRedo,
            // A running checkpoint has its redo already; KeepLogSeg then reads the minimum as the version samples it.
            NextRedo = _ckptRunning ? _ckptRedo : null,
            Estimate = _estimate,
            Slots = slots,
            SlotMinimum = _ckptRunning && _policy.SlotMinimumSampling == SlotMinimumSampling.AtCheckpointStart ? _ckptSlotMinAtStart : _slotMin,
            ArchivedThrough = ArchivedThrough(),
            LastRemoved = _lastRemoved,
        };
    }

    /// <summary>Set for <c>walsim explain --peak</c>: <see cref="PeakState"/> is taken whenever pg_wal reaches a new peak.</summary>
    internal bool CapturePeak { get; init; }

    /// <summary>The state at the pg_wal peak, as the engine knew it at that instant (the slots as last brought up to
    /// date: bringing them up to date here could change when the engine refreshes its slot minimum).</summary>
    internal WalState? PeakState { get; private set; }

    private void CapturePeakState() => PeakState = ExplainState(update: false);

    /// <summary>The files of a directory, named on timeline 1, built when read (a peak is taken often, read once).</summary>
    internal sealed class DirectoryFiles(WalDirectory dir, WalSegmentSize seg) : IReadOnlyList<WalFile>
    {
        public int Count => checked((int)dir.Count);
        public WalFile this[int index] => (uint)index < (uint)Count
            ? new WalFile(dir.Oldest + (ulong)index, seg.FileName(dir.Oldest + (ulong)index), seg.Size)
            : throw new ArgumentOutOfRangeException(nameof(index));
        public IEnumerator<WalFile> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

internal sealed partial class StandbyServer
{
    /// <summary>
    /// The standby's retention state now, for <see cref="WalBreakdown.Of"/>: its pg_wal, the received and replayed
    /// positions (the received one is what <c>wal_keep_size</c> and the cap count from, <see cref="RestartpointDecision.EndPtr"/>),
    /// the last restartpoint's redo, and its own slots and synced copies (an invalidated one holds nothing).
    /// </summary>
    internal WalState ExplainState() => new()
    {
        Settings = _settings,
        Files = new Server.DirectoryFiles(_dir, _seg),
        Insert = RestartpointDecision.EndPtr(Received(_now), Replayed(_now)),
        Redo = _controlRedo,
        Estimate = _estimate,
        Slots = _slots.Where(s => s.Created).Select(s =>
            new ExplainSlot(CheckpointSlot.Holding(s.Spec.Name, s.Invalidated ? Lsn.Invalid : s.RestartLsn, s.Active(_now)))).ToList(),
        LastRemoved = _lastRemoved,
        ReplayLsn = Replayed(_now),
        InRecovery = true,
    };
}

/// <summary>A scenario's primary stopped at an instant, for <c>walsim explain</c>.</summary>
/// <param name="At">The instant.</param>
/// <param name="State">The state then.</param>
/// <param name="PeakFiles">The run's pg_wal peak (files) up to the instant.</param>
/// <param name="PeakAt">When that peak was.</param>
public sealed record SimulatedState(SimTime At, WalState State, long PeakFiles, SimTime PeakAt);

public static class SimulationState
{
    /// <summary>
    /// Runs <paramref name="scenario"/>'s primary (a topology's primary node) on <paramref name="version"/> up to
    /// <paramref name="at"/> (clamped to the scenario's end) and returns its state there; null <paramref name="at"/> =
    /// the instant of the pg_wal peak (found by a first run). The standbys of a topology are not run.
    /// </summary>
    public static SimulatedState At(Scenario scenario, PgVersion version, SimTime? at)
    {
        var policy = RetentionPolicy.For(version);
        var primary = Primary(scenario);
        var end = SimTime.Zero + primary.Duration;
        if (at is null)
        {
            var full = new Server(primary with { Expectations = [] }, policy, NullObserver.Instance) { CapturePeak = true };
            var summary = full.Run().Summary;
            return new SimulatedState(summary.PeakAt, full.PeakState ?? full.ExplainState(), summary.PeakPgWalFiles, summary.PeakAt);
        }
        var when = at.Value;
        if (when > end) when = end;
        var server = new Server(primary with { Duration = when - SimTime.Zero, Expectations = [] }, policy, NullObserver.Instance);
        var result = server.Run();
        return new SimulatedState(when, server.ExplainState(), result.Summary.PeakPgWalFiles, result.Summary.PeakAt);
    }

    /// <summary>
    /// A topology's standby nodes at <paramref name="at"/>: the primary runs up to it recording its WAL, then each
    /// standby runs over that record up to it (as <see cref="Topology"/> runs them). Empty for a scenario without
    /// standbys; a failover at or before <paramref name="at"/> is refused (the nodes' roles changed).
    /// </summary>
    public static IReadOnlyList<(string Node, WalState State)> Standbys(Scenario scenario, PgVersion version, SimTime at)
    {
        var standbys = scenario.Nodes.Where(n => n.Role == NodeRole.Standby).ToList();
        if (standbys.Count == 0) return [];
        if (scenario.Events.OfType<Failover>().Any(f => f.At <= at))
            throw new ScenarioValidationException("explain: the standbys are explained before a failover only: give --at before it", SourceLocation.None, "at");
        var policy = RetentionPolicy.For(version);
        var end = SimTime.Zero + scenario.Duration;
        if (at > end) at = end;
        var run = scenario with
        {
            Duration = at - SimTime.Zero,
            Events = scenario.Events.Where(e => e is not Failover and not Rejoin && e.At <= at).ToList(),
            Expectations = [],
        };
        var log = new WalLog();
        var primary = scenario.Nodes.Single(n => n.Role == NodeRole.Primary);
        new Server(Topology.PrimaryScenario(run, primary), policy, NullObserver.Instance, log).Run();
        return standbys.Select(n =>
        {
            var server = new StandbyServer(run, n, policy, log, NullObserver.Instance);
            server.Run();
            return (n.Name, server.ExplainState());
        }).ToList();
    }

    private static Scenario Primary(Scenario scenario)
    {
        if (scenario.Nodes.Count == 0) return scenario;
        var primary = scenario.Nodes.Single(n => n.Role == NodeRole.Primary);
        var failover = scenario.Events.OfType<Failover>().OrderBy(f => f.At).FirstOrDefault();
        var run = failover is null ? scenario : scenario with { Duration = failover.At - SimTime.Zero };
        return Topology.PrimaryScenario(run, primary);
    }
}

namespace Walsim.Simulator.Scenarios;

/// <summary>Where something came from in a scenario file, for errors and check output.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public static readonly SourceLocation None = new("", 0, 0);
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}

/// <summary>
/// A what-if: server version(s), settings, WAL workload, slots and their consumers, archiving, the pg_wal volume,
/// timed events and the expected outcome. Pure data; built by the Analyzer's scenario loader or by tests.
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public string SourceFile { get; init; } = "";
    public required IReadOnlyList<PgVersion> Versions { get; init; }
    public WalSegmentSize SegmentSize { get; init; } = WalSegmentSize.Default;
    /// <summary>Settings for every version, as PostgreSQL text values (<c>1GB</c>, <c>5min</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>Extra settings for the versions a range selects (e.g. <c>wal_keep_segments</c> on 12 only).</summary>
    public IReadOnlyList<VersionedSettings> VersionSettings { get; init; } = [];
    public Workload Workload { get; init; } = new([]);
    public IReadOnlyList<SlotSpec> Slots { get; init; } = [];
    /// <summary>A topology: the primary (whose settings, workload and slots are the scenario's, plus its node's) and
    /// its standbys. Empty = one server, as every scenario before topologies.</summary>
    public IReadOnlyList<NodeSpec> Nodes { get; init; } = [];
    public ArchiverSpec Archiver { get; init; } = ArchiverSpec.KeepsUp;
    public DiskSpec? Disk { get; init; }
    /// <summary>How long a timed or WAL-requested checkpoint's write phase lasts (a <c>CHECKPOINT</c> is always immediate).</summary>
    public CheckpointWrite CheckpointWrite { get; init; } = CheckpointWrite.Spread;
    /// <summary>
    /// How much later than <c>checkpoint_timeout</c> after the one before each timed checkpoint of the run starts, in
    /// order (entry k for the wait that follows the k-th checkpoint start, the start state's counting as the 0th); past
    /// the list, none. The checkpointer counts its timeout in whole seconds of <c>time(NULL)</c> from the previous
    /// start and sleeps from that checkpoint's end (<c>CheckpointerMain</c>), so a real server's timed checkpoints come
    /// a little late or, across a second boundary, up to a second early; a forecast draws these from the intervals its
    /// samples showed. Empty: exactly <c>checkpoint_timeout</c> (every scenario file).
    /// </summary>
    public IReadOnlyList<SimDuration> TimedCheckpointLateness { get; init; } = [];
    public IReadOnlyList<ScenarioEvent> Events { get; init; } = [];
    public IReadOnlyList<LongTransaction> Transactions { get; init; } = [];
    /// <summary>How long to simulate. For step scenarios, the time of the last step plus one second if not given.</summary>
    public SimDuration Duration { get; init; } = SimDuration.FromDays(1);
    /// <summary>Spacing of timeline rows between checkpoints; zero = checkpoints and steps only.</summary>
    public SimDuration SampleInterval { get; init; } = SimDuration.FromMinutes(5);
    public StartState Start { get; init; } = new();
    public IReadOnlyList<Expectation> Expectations { get; init; } = [];
    /// <summary>Number of steps when the scenario is a step list (each <see cref="StepSpacing"/> after the one before;
    /// a <c>sleep</c> step at the end of its sleep).</summary>
    public int StepCount { get; init; }
    public SimDuration StepSpacing { get; init; } = SimDuration.FromSeconds(1);
}

/// <summary>
/// The write phase of a non-immediate checkpoint (<c>BufferSync</c> paced by <c>CheckpointWriteDelay</c>): the redo
/// pointer is fixed at its start, the retention decisions are taken at its end, so its length moves them.
/// </summary>
public readonly record struct CheckpointWrite
{
    private CheckpointWrite(CheckpointWriteKind kind, SimDuration fixedDuration) { Kind = kind; FixedDuration = fixedDuration; }

    public CheckpointWriteKind Kind { get; }
    /// <summary>For <see cref="CheckpointWriteKind.Fixed"/>: the length, as the <c>write=</c> of a <c>checkpoint complete</c> log line.</summary>
    public SimDuration FixedDuration { get; }

    /// <summary>A busy server: <c>IsCheckpointOnSchedule</c> keeps the writes on schedule, so the phase ends after
    /// checkpoint_completion_target × checkpoint_timeout or × CheckPointSegments segments of WAL, whichever comes first.</summary>
    public static readonly CheckpointWrite Spread = new(CheckpointWriteKind.Spread, SimDuration.Zero);
    /// <summary>No dirty buffers to write (WAL from <c>pg_logical_emit_message</c>/<c>pg_switch_wal</c> on an idle
    /// server, as <c>walsim validate</c> drives it): the phase ends at once.</summary>
    public static readonly CheckpointWrite Instant = new(CheckpointWriteKind.Instant, SimDuration.Zero);
    public static CheckpointWrite Fixed(SimDuration d) => new(CheckpointWriteKind.Fixed, d);

    /// <summary>
    /// The write phase of a checkpoint that finds buffers dirtied by a table write (<c>write: … dirty: true</c>):
    /// <c>BufferSync</c> writes them paced by <c>CheckpointWriteDelay</c>, which naps 100 ms after each buffer while
    /// <c>IsCheckpointOnSchedule</c>, so a few hundred buffers last until the schedule's end: instant becomes spread.
    /// A declared spread or fixed write phase stays as declared.
    /// </summary>
    public CheckpointWrite WithDirtyBuffers(bool dirty) => dirty && Kind == CheckpointWriteKind.Instant ? Spread : this;

    public override string ToString() => Kind switch
    {
        CheckpointWriteKind.Spread => "spread",
        CheckpointWriteKind.Instant => "instant",
        _ => FixedDuration.ToString(),
    };
}

public enum CheckpointWriteKind { Spread, Instant, Fixed }

/// <summary>Settings that apply only to the versions <see cref="Versions"/> selects.</summary>
public sealed record VersionedSettings(VersionRange Versions, IReadOnlyDictionary<string, string> Settings);

/// <summary>A set of versions: <c>12</c>, <c>13.3</c>, <c>13+</c>, <c>13.4+</c>, <c>13-15</c>, <c>all</c>.</summary>
public readonly record struct VersionRange(PgVersion Min, PgVersion Max, string Text)
{
    // A bound without a minor takes every minor of its major, those after the newest known too.
    private const int AnyMinor = 99;

    public static readonly VersionRange All = new(
        new PgVersion(SupportedVersions.OldestMajor, 0), new PgVersion(SupportedVersions.NewestMajor, AnyMinor), "all");
    public bool Contains(PgVersion v) => v >= Min && v <= Max;
    public override string ToString() => Text;

    public static bool TryParse(string? text, out VersionRange range, out string? error)
    {
        range = All;
        error = null;
        var t = text?.Trim() ?? "";
        if (t is "all" or "*" or "") return true;
        static bool Bound(string s, bool upper, out PgVersion v, out string? e)
        {
            e = null;
            v = default;
            var explicitMinor = s.Contains('.');
            if (!PgVersion.TryParse(s, out v, out e)) return false;
            if (!explicitMinor) v = upper ? new PgVersion(v.Major, AnyMinor) : new PgVersion(v.Major, 0);
            return true;
        }
        if (t.EndsWith('+'))
        {
            if (!Bound(t[..^1], false, out var lo, out error)) return false;
            range = new VersionRange(lo, All.Max, t);
            return true;
        }
        var dash = t.IndexOf('-');
        if (dash > 0)
        {
            if (!Bound(t[..dash], false, out var lo, out error) || !Bound(t[(dash + 1)..], true, out var hi, out error)) return false;
            if (hi < lo) { error = $"version range \"{t}\" is empty"; return false; }
            range = new VersionRange(lo, hi, t);
            return true;
        }
        if (!Bound(t, false, out var a, out error)) return false;
        var b = t.Contains('.') ? a : new PgVersion(a.Major, AnyMinor);
        range = new VersionRange(a, b, t);
        return true;
    }

    public static VersionRange Parse(string text) =>
        TryParse(text, out var range, out var error) ? range : throw new FormatException(error);
}

/// <summary>Where the simulated cluster starts.</summary>
public sealed record StartState
{
    /// <summary>The insert position at time 0; default: just past the start of segment 1, as after initdb.</summary>
    public Lsn? InsertLsn { get; init; }
    /// <summary>Segment files already in pg_wal at time 0, counted from the insert segment upwards (pre-recycled).</summary>
    public int FilesAhead { get; init; }
    /// <summary>The oldest segment file in pg_wal at time 0 (a running server's, for forecasts); default: the insert
    /// segment. Files from it to the insert segment are present, and <c>lastRemovedSegNo</c> is the one before it.</summary>
    public SegmentNumber? OldestFile { get; init; }
    /// <summary>The redo pointer of the last completed checkpoint (pg_control); default: the insert position.</summary>
    public Lsn? RedoLsn { get; init; }
    /// <summary>How long before time 0 that checkpoint started, so the next timed one comes
    /// <c>checkpoint_timeout</c> after it rather than after time 0.</summary>
    public SimDuration SinceLastCheckpoint { get; init; } = SimDuration.Zero;
    /// <summary><c>CheckPointDistanceEstimate</c> at time 0; default 0, as after a postmaster start.</summary>
    public ByteCount DistanceEstimate { get; init; } = ByteCount.Zero;
    /// <summary>The newest segment the archiver had finished at time 0 (<c>pg_stat_archiver.last_archived_wal</c>),
    /// for an archiver failure that is already under way: it stays frozen there, not at the insert segment; null =
    /// everything completed is archived.</summary>
    public SegmentNumber? ArchivedThrough { get; init; }

    /// <summary><c>start: initdb</c>: pg_wal as initdb left it on each version (<see cref="RetentionPolicy.Initdb"/>),
    /// the server just started: the other members are ignored.</summary>
    public bool Initdb { get; init; }

    /// <summary>
    /// The start on <paramref name="policy"/>: this one, or for <see cref="Initdb"/> the version's initdb state —
    /// insert position just past the shutdown checkpoint record (120 B; 56 B more for the XLOG_PARAMETER_CHANGE that
    /// StartupXLOG's XLogReportParameters writes when wal_level differs from initdb's replica), redo there, pg_wal from
    /// the insert segment up <c>FilesAhead</c> files.
    /// </summary>
    public StartState For(RetentionPolicy policy, string walLevel)
    {
        if (!Initdb) return this;
        var initdb = policy.Initdb;
        var insert = initdb.Redo + new ByteCount(120 + (walLevel == "replica" ? 0 : 56));
        return new StartState { InsertLsn = insert, RedoLsn = initdb.Redo, FilesAhead = initdb.FilesAhead };
    }
}

/// <summary>The pg_wal volume.</summary>
/// <param name="Size">Volume size.</param>
/// <param name="OtherUsage">Bytes on the volume that are not WAL segments (data files if shared, other files).</param>
/// <param name="ReadOnlyAtFraction">Managed-service read-only threshold as a fraction of <paramref name="Size"/> (e.g. 0.95), or null.</param>
public sealed record DiskSpec(ByteCount Size, ByteCount OtherUsage, double? ReadOnlyAtFraction)
{
    /// <summary>True (a real volume): crossing the read-only threshold stops WAL writes and filling it ends the run
    /// (the server PANICs). False (a volume being sized): the moments pg_wal would have crossed them are recorded in
    /// <see cref="Results.RunSummary"/> and the run goes on as if the volume were unlimited — so one run answers what
    /// several outage lengths would have cost, and a slot's invalidation past those moments is still seen.</summary>
    public bool Enforced { get; init; } = true;
}

/// <summary>A transaction that stays open (and has written WAL), pinning every logical slot's restart_lsn.</summary>
public sealed record LongTransaction(string Name, SimTime Begin, SimTime End);

using Walsim.Simulator.Forecasting;

namespace Walsim.Simulator.Planning;

/// <summary>A candidate <c>max_slot_wal_keep_size</c>: a size in whole megabytes (the GUC's unit), or unlimited (−1).</summary>
public readonly record struct SlotCap : IComparable<SlotCap>
{
    private SlotCap(long megabytes) => Megabytes = megabytes;

    /// <summary>−1: no cap, slots keep WAL until the disk fills (PostgreSQL 12, and the 13+ default).</summary>
    public static readonly SlotCap Unlimited = new(-1);

    /// <summary>The cap in MB, −1 for unlimited.</summary>
    public long Megabytes { get; }

    public bool IsUnlimited => Megabytes < 0;
    public ByteCount? Size => IsUnlimited ? null : ByteCount.FromMegabytes(Megabytes);

    /// <summary>A cap of <paramref name="size"/>, rounded to the nearest megabyte (at least 1MB).</summary>
    public static SlotCap Of(ByteCount size) => new(Math.Max(1, (size.Bytes + ByteCount.MiB / 2) / ByteCount.MiB));

    /// <summary>The value as postgresql.conf takes it.</summary>
    public string SettingValue => IsUnlimited ? "-1" : $"{Megabytes}MB";

    public int CompareTo(SlotCap other) =>
        IsUnlimited == other.IsUnlimited ? Megabytes.CompareTo(other.Megabytes) : IsUnlimited ? 1 : -1;

    public override string ToString() => IsUnlimited ? "unlimited" : ByteCount.FromMegabytes(Megabytes).ToString();
}

/// <summary>How each Monte Carlo run's write rate is drawn.</summary>
public interface IWorkloadModel
{
    /// <summary>One path of the write rate over [<paramref name="from"/>, <paramref name="from"/> + <paramref name="duration"/>)
    /// of the workload's own clock, moved to start at 0; from <paramref name="rng"/> only (the same generator state,
    /// the same path).</summary>
    Workload Draw(Random rng, SimTime from, SimDuration duration);

    /// <summary>Whether paths differ from run to run (false: only the outage's start varies).</summary>
    bool IsRandom { get; }
}

/// <summary>A scenario's own workload, with its declared <see cref="Workload.Noise"/> when it has one.</summary>
public sealed class DeclaredWorkload(Workload workload) : IWorkloadModel
{
    public Workload Workload => workload;
    public bool IsRandom => workload.Noise is not null;
    public Workload Draw(Random rng, SimTime from, SimDuration duration) => Engine.WorkloadPaths.Window(workload, from, duration, rng);
}

/// <summary>Paths of a workload fitted to samples (<see cref="WorkloadFit"/>); time 0 is <paramref name="now"/> on the
/// fit's clock.</summary>
public sealed class FittedWorkload(WorkloadFit fit, SimTime now, double rateFactor = 1) : IWorkloadModel
{
    public bool IsRandom => true;
    public Workload Draw(Random rng, SimTime from, SimDuration duration) => fit.SamplePath(rng, now + (from - SimTime.Zero), duration, rateFactor);
}

/// <summary>What <c>walsim plan</c> sweeps, and how.</summary>
public sealed record PlanOptions
{
    /// <summary>The version whose retention rules decide.</summary>
    public required PgVersion Version { get; init; }

    /// <summary>Candidate <c>max_slot_wal_keep_size</c> values (unlimited may be one of them).</summary>
    public required IReadOnlyList<SlotCap> Caps { get; init; }

    /// <summary>Outage lengths to judge, ascending.</summary>
    public required IReadOnlyList<SimDuration> Outages { get; init; }

    /// <summary>Monte Carlo runs per slot and cap.</summary>
    public int Runs { get; init; } = 500;

    /// <summary>Master seed: the same seed, the same plan on any number of threads.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The pg_wal volume; null = unlimited (the plan then says how big it must be).</summary>
    public DiskSpec? Disk { get; init; }

    /// <summary>Each outage starts at a uniformly random time in [<see cref="WindowStart"/>, <see cref="WindowEnd"/>).</summary>
    public required SimTime WindowStart { get; init; }

    /// <inheritdoc cref="WindowStart"/>
    public required SimTime WindowEnd { get; init; }

    /// <summary>
    /// How much of the workload before each outage to simulate; null = all of it, from time 0. pg_wal's files before
    /// an outage depend only on the last few checkpoints (their distances set what is recycled), so a few hours
    /// give the same state as a month — and a run costs its length. Scenarios with timed events, transactions or
    /// archiver failures always run from 0 (their history matters).
    /// </summary>
    public SimDuration? Warmup { get; init; }

    /// <summary>Slots to plan for; empty = every slot whose consumer connects.</summary>
    public IReadOnlyList<string> Slots { get; init; } = [];

    /// <summary>The outage the recommendation must survive; default: the longest of <see cref="Outages"/>.</summary>
    public SimDuration? Target { get; init; }

    /// <summary>The largest acceptable probability that the target outage costs the slot or the disk.</summary>
    public double Risk { get; init; } = 0.01;

    /// <summary>Free space to leave above the largest pg_wal a run reached, as a fraction of it.</summary>
    public double Margin { get; init; } = 0.2;

    /// <summary>Threads (the result does not depend on it).</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>The outage the recommendation is for.</summary>
    public SimDuration TargetOutage => Target ?? Outages[^1];
}

/// <summary>What one Monte Carlo run says, measured from the moment the consumer stopped (<see cref="OutageStart"/>).
/// The consumer never comes back in the run; what an outage of length D would have cost follows from these
/// thresholds (<see cref="Outcome"/>).</summary>
/// <param name="OutageStart">When the consumer stopped.</param>
/// <param name="LostAfter">The slot is invalidated this long after the stop (the checkpoint's invalidation step); null = not in the run.</param>
/// <param name="UnreservedAfter">wal_status first shows <c>unreserved</c>; null = never.</param>
/// <param name="DiskFullAt">The volume fills this long after the stop; null = never.</param>
/// <param name="DiskSurvivesUpTo">An outage of at most this long lets a checkpoint see the returned consumer and
/// remove the WAL before <see cref="DiskFullAt"/>; longer ones fill the disk. Null = the disk never fills.</param>
/// <param name="ReadOnlyAt">The read-only threshold is crossed this long after the stop; null = never.</param>
/// <param name="ReadOnlySurvivesUpTo">As <see cref="DiskSurvivesUpTo"/>, for the read-only threshold.</param>
/// <param name="PeakPgWal">pg_wal's largest size in the run.</param>
public readonly record struct PlanRun(
    SimTime OutageStart,
    SimDuration? LostAfter,
    SimDuration? UnreservedAfter,
    SimDuration? DiskFullAt,
    SimDuration? DiskSurvivesUpTo,
    SimDuration? ReadOnlyAt,
    SimDuration? ReadOnlySurvivesUpTo,
    ByteCount PeakPgWal)
{
    /// <summary>
    /// What an outage of <paramref name="outage"/> costs in this run: the first thing to give out, or
    /// <see cref="PlanOutcome.Survived"/>. The slot is lost if its invalidation came before the consumer returned; the
    /// volume fills if the first checkpoint that reads the returned consumer's position (and so removes the WAL it no
    /// longer needs) ends after the moment the volume filled.
    /// </summary>
    public PlanOutcome Outcome(SimDuration outage)
    {
        var lost = LostAfter is { } l && l <= outage;
        var full = DiskSurvivesUpTo is { } df && outage > df;
        var readOnly = ReadOnlySurvivesUpTo is { } rf && outage > rf;
        // Of the events that happen, the earliest is what the DBA meets: read-only stops writes (no fill, no loss after it).
        var first = PlanOutcome.Survived;
        var at = SimDuration.Infinite;
        if (readOnly && ReadOnlyAt is { } ro && ro < at) { first = PlanOutcome.ReadOnly; at = ro; }
        if (full && DiskFullAt is { } f && f < at) { first = PlanOutcome.DiskFull; at = f; }
        if (lost && LostAfter!.Value < at) first = PlanOutcome.SlotLost;
        return first;
    }

    /// <summary>The longest outage with nothing lost: the smallest of the thresholds (infinite when none applies).</summary>
    public SimDuration Survivable
    {
        get
        {
            var s = SimDuration.Infinite;
            // Lost when l <= D: an outage just shorter than l survives; the edge (one microsecond) does not matter here.
            if (LostAfter is { } l && l < s) s = l;
            if (DiskSurvivesUpTo is { } d && d < s) s = d;
            if (ReadOnlySurvivesUpTo is { } r && r < s) s = r;
            return s;
        }
    }

    /// <summary>What gives out first if the consumer never returns: the cap, the disk, the read-only threshold, or
    /// nothing within the run.</summary>
    public PlanOutcome GivesOutFirst
    {
        get
        {
            var first = PlanOutcome.Survived;
            var at = SimDuration.Infinite;
            if (ReadOnlyAt is { } ro && ro < at) { first = PlanOutcome.ReadOnly; at = ro; }
            if (DiskFullAt is { } f && f < at) { first = PlanOutcome.DiskFull; at = f; }
            if (LostAfter is { } l && l < at) first = PlanOutcome.SlotLost;
            return first;
        }
    }
}

/// <summary>What an outage costs.</summary>
public enum PlanOutcome { Survived, SlotLost, DiskFull, ReadOnly }

/// <summary>One (cap, outage) cell over the runs: the share of runs with each outcome.</summary>
public readonly record struct PlanCell(SlotCap Cap, SimDuration Outage, int Runs, int SlotLost, int DiskFull, int ReadOnly)
{
    public double PSlotLost => Runs == 0 ? 0 : (double)SlotLost / Runs;
    public double PDiskFull => Runs == 0 ? 0 : (double)DiskFull / Runs;
    public double PReadOnly => Runs == 0 ? 0 : (double)ReadOnly / Runs;
    /// <summary>Probability that the outage costs anything (the slot, the disk or writes).</summary>
    public double PFailure => Runs == 0 ? 0 : (double)(SlotLost + DiskFull + ReadOnly) / Runs;
}

/// <summary>One slot under one cap, over the runs.</summary>
/// <param name="Cap">The cap.</param>
/// <param name="Survivable">Per run, the longest outage with nothing lost (type-1 quantiles on it).</param>
/// <param name="FirstToGiveOut">Per outcome, the runs in which it came first when the consumer never returned.</param>
/// <param name="PeakPgWal">The largest pg_wal over the runs.</param>
/// <param name="Cells">One per outage, in the order of <see cref="PlanOptions.Outages"/>.</param>
public sealed record CapPlan(SlotCap Cap, OutcomeSummary Survivable, IReadOnlyDictionary<PlanOutcome, int> FirstToGiveOut,
    ByteCount PeakPgWal, IReadOnlyList<PlanCell> Cells)
{
    /// <summary>Per run, the longest outage before the volume fills or turns read-only (never = the run did not fill it).</summary>
    public OutcomeSummary VolumeSurvivable { get; init; } = new([]);
}

/// <summary>A recommended setting and volume for one slot, with the reason in words.</summary>
/// <param name="Cap">The smallest candidate cap whose risk at the target outage is within the limit; null = none.</param>
/// <param name="Risk">That cap's probability of failure at the target outage (or the best candidate's when none qualifies).</param>
/// <param name="Volume">The volume to provision for that cap: its peak pg_wal plus what else is on the volume,
/// over the read-only fraction, plus the margin. Null when no cap qualifies.</param>
/// <param name="PeakPgWal">The largest pg_wal any run reached at that cap with no disk limit.</param>
/// <param name="DiskEnough">Whether the given volume holds <paramref name="Volume"/> (null: no volume given).</param>
/// <param name="Reason">The recommendation, in words.</param>
public sealed record Recommendation(SlotCap? Cap, double Risk, ByteCount? Volume, ByteCount? PeakPgWal, bool? DiskEnough, string Reason);

/// <summary>The plan for one slot.</summary>
public sealed record SlotPlan(string Slot, SlotKind Kind, IReadOnlyList<CapPlan> Caps, Recommendation Recommendation);

/// <summary>The whole plan.</summary>
public sealed record PlanResult(PlanOptions Options, IReadOnlyList<SlotPlan> Slots, bool RandomWorkload, long EngineRuns, SimDuration SimulatedTime);

using Walsim.Analyzer.Reports.Html;

namespace Walsim.Analyzer.Comparison;

// The what-if comparison as plain records: what `walsim whatif` prints as a table, Markdown or JSON, and what an
// HTML report renders. Built by WhatIfAnalysis.Run; nothing here does I/O.

/// <summary>Why a version is in the comparison.</summary>
public enum RunRole
{
    /// <summary><c>--from</c>: the version the scenario's settings are written for.</summary>
    Source,
    /// <summary>A <c>--to</c> version.</summary>
    Target,
    /// <summary>The newest minor of a major whose requested minor has a retention bug fixed later.</summary>
    FixedMinor,
}

/// <summary>Which retention decisions a capability (or a setting) can change.</summary>
[Flags]
public enum DecisionAspect
{
    None = 0,
    /// <summary>When checkpoints start and end, what requests them, whether they are skipped.</summary>
    Timing = 1,
    /// <summary>The oldest segment <c>KeepLogSeg</c> keeps.</summary>
    Keep = 2,
    /// <summary>Which slots a checkpoint invalidates (and the walsenders it terminates).</summary>
    Invalidation = 4,
    /// <summary>WAL files added, removed, recycled and left.</summary>
    Files = 8,
    /// <summary>The redo pointer and the distance logged.</summary>
    Redo = 16,
    /// <summary>The disk filling or a managed service turning read-only.</summary>
    Disk = 32,
}

/// <summary>The whole comparison.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Description">Its description.</param>
/// <param name="SourceFile">The file it was read from.</param>
/// <param name="SegmentSize">Its wal_segment_size.</param>
/// <param name="From">The source version (<c>--from</c>).</param>
/// <param name="To">The targets (<c>--to</c>), in order, the source left out.</param>
/// <param name="Runs">Every version run: the source, the targets in order, then fixed minors.</param>
/// <param name="Comparisons">The source against each target, in <c>--to</c> order.</param>
/// <param name="MinorWarnings">Requested minors with a retention bug fixed later in the same major.</param>
/// <param name="Charts">
/// What the HTML report draws for each run, in the order of <paramref name="Runs"/> (a downsampled timeline,
/// checkpoints, log events), collected while the runs streamed; empty unless asked for.
/// </param>
public sealed record WhatIfReport(
    string Scenario,
    string? Description,
    string SourceFile,
    WalSegmentSize SegmentSize,
    PgVersion From,
    IReadOnlyList<PgVersion> To,
    IReadOnlyList<VersionRun> Runs,
    IReadOnlyList<VersionComparison> Comparisons,
    IReadOnlyList<MinorWarning> MinorWarnings,
    IReadOnlyList<VersionReport> Charts)
{
    public VersionRun Run(PgVersion v) => Runs.First(r => r.Version == v);
}

/// <summary>One version's run of the scenario (with the translated settings for targets).</summary>
/// <param name="Version">The version run.</param>
/// <param name="Band">Its behaviour band (<c>13.0-13.3</c>, <c>15</c> …).</param>
/// <param name="Role">Why it was run.</param>
/// <param name="Settings">The key retention settings at the start, defaults filled in (<c>name=value</c>, PostgreSQL syntax).</param>
/// <param name="ReportsWalStatus">The version has <c>wal_status</c> (13+): extended/unreserved are meaningful.</param>
/// <param name="Summary">The run's outcome.</param>
/// <param name="Slots">Per-slot milestones.</param>
public sealed record VersionRun(
    PgVersion Version,
    string Band,
    RunRole Role,
    bool ReportsWalStatus,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    RunSummary Summary,
    IReadOnlyList<SlotSummary> Slots);

/// <summary>The source against one target.</summary>
/// <param name="From">The source version.</param>
/// <param name="To">The target version.</param>
/// <param name="Settings">How the scenario's settings were moved to the target.</param>
/// <param name="Changes">Every capability or setting that differs between the two versions as this scenario runs them.</param>
/// <param name="FirstDivergence">The first checkpoint whose decisions differ; null when every decision agrees.</param>
/// <param name="OutcomeDiffers">Slot milestones, pg_wal's peak, the disk or the invalidations differ.</param>
public sealed record VersionComparison(
    PgVersion From,
    PgVersion To,
    TranslatedSettings Settings,
    IReadOnlyList<CapabilityChange> Changes,
    Divergence? FirstDivergence,
    bool OutcomeDiffers);

/// <summary>One capability (a <see cref="RetentionPolicy"/> property) or effective setting that differs between two versions.</summary>
/// <param name="Capability">The policy property or setting name (<c>CapsSlotRetention</c>, <c>checkpoint_completion_target</c>).</param>
/// <param name="FromValue">Its value on the source.</param>
/// <param name="ToValue">Its value on the target.</param>
/// <param name="Explanation">The PostgreSQL change behind it, in plain words.</param>
/// <param name="Affects">The decisions it can change; <see cref="DecisionAspect.None"/> = reporting only.</param>
/// <param name="Applies">Whether it can matter for this scenario (e.g. the cap only when one is set).</param>
public sealed record CapabilityChange(
    string Capability, string FromValue, string ToValue, string Explanation, DecisionAspect Affects, bool Applies);

/// <summary>One decision that differs at a checkpoint.</summary>
public sealed record DecisionDifference(string Decision, string FromValue, string ToValue);

/// <summary>The first checkpoint where two runs decide differently.</summary>
/// <param name="Checkpoint">The checkpoint number (1 = the first of the run); null when one run ended (disk full) first.</param>
/// <param name="FromAt">When that checkpoint ended on the source (or the event happened).</param>
/// <param name="ToAt">When it ended on the target.</param>
/// <param name="Differences">Each decision that differs, with both values.</param>
/// <param name="Aspects">What kind of decisions differ.</param>
/// <param name="Cause">The capability or setting the difference is put down to; null when none modelled applies.</param>
/// <param name="Explanation">One or two sentences: the change behind it and what it does to this workload.</param>
public sealed record Divergence(
    int? Checkpoint,
    SimTime FromAt,
    SimTime ToAt,
    IReadOnlyList<DecisionDifference> Differences,
    DecisionAspect Aspects,
    CapabilityChange? Cause,
    string Explanation);

/// <summary>A retention bug of a minor release, fixed in a later minor of the same major.</summary>
/// <param name="Capability">The policy property that differs (<c>RecomputesHorizonAfterInvalidation</c> …).</param>
/// <param name="FixedIn">The first minor with the fix.</param>
/// <param name="Description">The bug and its fix in plain words.</param>
public sealed record KnownBug(string Capability, PgVersion FixedIn, string Description);

/// <summary>A requested version with retention bugs fixed later, and what they change for this workload.</summary>
/// <param name="Version">The requested minor.</param>
/// <param name="Bugs">Its retention bugs fixed later.</param>
/// <param name="FirstDivergence">The first checkpoint where it and the fixed minor decide differently.</param>
/// <param name="ComparedWith">The newest known minor of the same major, run as well.</param>
/// <param name="OutcomeDiffers">Slot milestones, pg_wal's peak, the disk or the invalidations differ from the fixed minor.</param>
/// <param name="Effect">In plain words, e.g. "on 13.3 pg_wal peaks at 148 files (2.31GB); on 13.23 at 65 files …".</param>
public sealed record MinorWarning(
    PgVersion Version,
    PgVersion ComparedWith,
    IReadOnlyList<KnownBug> Bugs,
    Divergence? FirstDivergence,
    bool OutcomeDiffers,
    string Effect);

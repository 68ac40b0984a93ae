using System.Collections.Concurrent;
using System.Globalization;
using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Engine;

namespace Walsim.Analyzer.Comparison;

/// <summary>
/// <c>walsim whatif</c>: runs a scenario written for one version on other versions (its settings translated),
/// lays the outcomes side by side, finds the first checkpoint where each target decides differently and says why,
/// and warns about minors with retention bugs fixed later, showing what the fix changes for this workload.
/// </summary>
public static class WhatIfAnalysis
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="scenario">The scenario, its settings written for <paramref name="from"/>.</param>
    /// <param name="from">The version it runs on today.</param>
    /// <param name="to">The versions to compare with.</param>
    /// <param name="run">How to run one version; defaults to <see cref="Simulation.Run(Scenario, PgVersion, ISimulationObserver?)"/>.</param>
    /// <param name="charts">
    /// Also collect what the HTML report draws (<see cref="WhatIfReport.Charts"/>), from the same runs as the
    /// comparison: nothing is run twice for it.
    /// </param>
    public static WhatIfReport Run(Scenario scenario, PgVersion from, IReadOnlyList<PgVersion> to, RunVersion? run = null, bool charts = false)
    {
        run ??= (s, v, o) => Simulation.Run(s, v, o);
        // Keyed by the result itself: the source runs once per target (and a fixed minor may also be a target), and
        // the chart data must be that of the very run whose summary the report keeps.
        var collected = new ConcurrentDictionary<SimulationResult, VersionReport>(ReferenceEqualityComparer.Instance);
        if (charts) run = Collecting(run, collected);
        var targets = to.Where(v => v != from).Distinct().ToList();
        var source = ForSource(scenario, from);
        var runs = new Dictionary<PgVersion, (SimulationResult Result, RunRole Role)>();
        var comparisons = new List<VersionComparison>();

        if (targets.Count == 0)
            runs[from] = (run(source, from, new NullObserver()), RunRole.Source);
        foreach (var target in targets)
        {
            var (toScenario, translated) = ForTarget(scenario, from, target);
            var (a, b, first) = LockstepComparison.Run(run, source, from, toScenario, target);
            runs.TryAdd(from, (a, RunRole.Source));
            runs.TryAdd(target, (b, RunRole.Target));
            comparisons.Add(Compare(source, a, b, translated, first));
        }

        var warnings = new List<MinorWarning>();
        foreach (var v in new[] { from }.Concat(targets))
        {
            var bugs = CapabilityChanges.BugsFixedAfter(v);
            if (bugs.Count == 0) continue;
            var newest = new PgVersion(v.Major, PgVersion.NewestKnownMinor[v.Major]);
            // The fixed minor runs exactly what the buggy one ran (same translated settings).
            var s = v == from ? source : ForTarget(scenario, from, v).Scenario;
            var fixedScenario = s with { Versions = [newest] };
            var (a, b, first) = LockstepComparison.Run(run, s, v, fixedScenario, newest);
            runs.TryAdd(newest, (b, RunRole.FixedMinor));
            warnings.Add(Warn(s, a, b, bugs, first));
        }

        var ordered = runs.OrderBy(r => r.Value.Role).ThenBy(r => r.Value.Role == RunRole.Target ? targets.IndexOf(r.Key) : 0)
            .ThenBy(r => r.Key).Select(r => r.Value).ToList();
        return new WhatIfReport(scenario.Name, scenario.Description, scenario.SourceFile, scenario.SegmentSize, from, targets,
            ordered.Select(r => View(r.Result, r.Role)).ToList(), comparisons, warnings,
            charts ? ordered.Select(r => collected[r.Result]).ToList() : []);
    }

    /// <summary><paramref name="run"/>, also streaming to a <see cref="ReportCollector"/> whose data it files under the result.</summary>
    private static RunVersion Collecting(RunVersion run, ConcurrentDictionary<SimulationResult, VersionReport> collected) => (s, v, o) =>
    {
        var collector = new ReportCollector(s, v) { WantsWalBreakdown = false };
        var result = run(s, v, new TeeObserver(o, collector));
        collected[result] = collector.Finish(result);
        return result;
    };

    /// <summary>The scenario as <paramref name="from"/> runs it: its settings plus the version_settings that select it.</summary>
    public static Scenario ForSource(Scenario scenario, PgVersion from) => scenario with
    {
        Versions = [from],
        Settings = Given(scenario, from),
        VersionSettings = [],
    };

    /// <summary>
    /// The scenario moved to <paramref name="target"/>: the settings given for <paramref name="from"/> translated,
    /// those given for the target alone (a version_settings range that selects it but not the source) on top;
    /// reloads (<c>set:</c>) that apply to the source translated the same way.
    /// </summary>
    public static (Scenario Scenario, TranslatedSettings Translation) ForTarget(Scenario scenario, PgVersion from, PgVersion target)
    {
        var targetOnly = scenario.VersionSettings
            .Where(v => v.Versions.Contains(target) && !v.Versions.Contains(from))
            .SelectMany(v => v.Settings).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        var translation = SettingsTranslator.Translate(Given(scenario, from), from, target, scenario.SegmentSize, targetOnly);
        var events = scenario.Events.Select(e => e switch
        {
            ChangeSettings c when c.Versions.Contains(from) => c with
            {
                Settings = SettingsTranslator.Translate(c.Settings, from, target, scenario.SegmentSize).Settings,
                Versions = VersionRange.All,
            },
            ChangeSettings c when c.Versions.Contains(target) => c with { Versions = VersionRange.All },
            _ => e,
        }).ToList();
        return (scenario with { Versions = [target], Settings = translation.Settings, VersionSettings = [], Events = events }, translation);
    }

    private static Dictionary<string, string> Given(Scenario scenario, PgVersion v)
    {
        var d = new Dictionary<string, string>(scenario.Settings, StringComparer.Ordinal);
        foreach (var vs in scenario.VersionSettings.Where(x => x.Versions.Contains(v)))
            foreach (var (k, val) in vs.Settings) d[k] = val;
        return d;
    }

    private static VersionRun View(SimulationResult r, RunRole role) => new(
        r.Policy.Version, r.Policy.Band, role, r.Policy.ReportsWalStatus,
        KeySettings.For(r.Scenario, r.Policy), r.Summary, r.Slots);

    private static PairContext Context(Scenario s, SimulationResult a, SimulationResult b) => new(s,
        ServerSettings.Create(a.Policy, a.Scenario.SegmentSize, a.Scenario.Settings),
        ServerSettings.Create(b.Policy, b.Scenario.SegmentSize, b.Scenario.Settings));

    private static VersionComparison Compare(Scenario source, SimulationResult a, SimulationResult b, TranslatedSettings translated, FirstDifference? first)
    {
        var ctx = Context(source, a, b);
        var changes = CapabilityChanges.Between(ctx);
        var divergence = first is null ? null : Explain(first, a, b, changes);
        return new VersionComparison(a.Policy.Version, b.Policy.Version, translated, changes, divergence, OutcomeDiffers(a, b));
    }

    private static MinorWarning Warn(Scenario s, SimulationResult a, SimulationResult b, IReadOnlyList<KnownBug> bugs, FirstDifference? first)
    {
        var changes = CapabilityChanges.Between(Context(s, a, b));
        var divergence = first is null ? null : Explain(first, a, b, changes);
        var differs = OutcomeDiffers(a, b);
        var (va, vb) = (a.Policy.Version, b.Policy.Version);
        string effect;
        if (!differs && divergence is null)
            effect = $"no effect on this workload: {va} and {vb} take the same decisions at every checkpoint";
        else
        {
            var outcome = OutcomeSentence(a, b);
            effect = outcome.Length > 0 ? outcome : "the same outcome, but not the same decisions";
            if (divergence is not null) effect += $"; first different decision at {Where(divergence, va, vb)}: {What(divergence.Differences, va, vb)}";
        }
        return new MinorWarning(va, vb, bugs.OrderBy(x => x.FixedIn).ToList(), divergence, differs, effect);
    }

    /// <summary>Slot milestones, pg_wal's peak, the disk and the invalidation count.</summary>
    internal static bool OutcomeDiffers(SimulationResult a, SimulationResult b) => OutcomeSentence(a, b).Length > 0;

    /// <summary>"on 13.3 …; on 13.23 …" for each outcome that differs, or "" when none does.</summary>
    internal static string OutcomeSentence(SimulationResult a, SimulationResult b)
    {
        var (va, vb) = (a.Policy.Version, b.Policy.Version);
        var parts = new List<string>();
        foreach (var sa in a.Slots)
        {
            var sb = b.Slots.FirstOrDefault(x => x.Name == sa.Name);
            if (sb is null) continue;
            if (sa.Lost != sb.Lost)
            {
                var (la, lb) = Pair(sa.Lost, sb.Lost);
                parts.Add($"{sa.Name} is {(la is null ? "never lost" : $"lost at {la}")} on {va}, {(lb is null ? "never lost" : $"lost at {lb}")} on {vb}");
            }
            else if (a.Policy.ReportsWalStatus && b.Policy.ReportsWalStatus && sa.FirstUnreserved != sb.FirstUnreserved)
                parts.Add($"{sa.Name} turns unreserved {At(sa.FirstUnreserved, sb.FirstUnreserved, va, vb)}");
        }
        var (x, y) = (a.Summary, b.Summary);
        if (x.DiskFull != y.DiskFull) parts.Add($"the disk fills {At(x.DiskFull, y.DiskFull, va, vb)}");
        if (x.ReadOnly != y.ReadOnly) parts.Add($"the server goes read-only {At(x.ReadOnly, y.ReadOnly, va, vb)}");
        if (x.PeakPgWalFiles != y.PeakPgWalFiles)
            parts.Add(string.Create(Inv, $"pg_wal peaks at {x.PeakPgWalFiles} files ({x.PeakPgWalBytes}) on {va}, {y.PeakPgWalFiles} files ({y.PeakPgWalBytes}) on {vb}"));
        if (x.Invalidations != y.Invalidations)
            parts.Add(string.Create(Inv, $"{x.Invalidations} slot invalidation(s) on {va}, {y.Invalidations} on {vb}"));
        return string.Join("; ", parts);
    }

    private static bool OutcomeInvolvesInvalidation(SimulationResult a, SimulationResult b) =>
        a.Summary.Invalidations != b.Summary.Invalidations || a.Slots.Any(x => b.Slots.FirstOrDefault(y => y.Name == x.Name) is { } y && y.Lost != x.Lost);

    /// <summary>"at 7h41m07s on 12.22, never on 15.18".</summary>
    private static string At(SimTime? a, SimTime? b, PgVersion va, PgVersion vb)
    {
        var (ta, tb) = Pair(a, b);
        return $"{(ta is null ? "never" : $"at {ta}")} on {va}, {(tb is null ? "never" : $"at {tb}")} on {vb}";
    }

    /// <summary>Two times contrasted in a sentence (null = never): rounded for people, but never to the same text
    /// when they differ (<see cref="SimTime.DisplayPair"/>).</summary>
    private static (string? A, string? B) Pair(SimTime? a, SimTime? b) => (a, b) switch
    {
        ({ } x, { } y) => SimTime.DisplayPair(x, y),
        _ => (a?.Display(), b?.Display()),
    };

    /// <summary>The differing decisions, the capability put down as their cause, and a sentence.</summary>
    private static Divergence Explain(FirstDifference d, SimulationResult a, SimulationResult b, IReadOnlyList<CapabilityChange> changes)
    {
        var (va, vb) = (a.Policy.Version, b.Policy.Version);
        var diffs = new List<DecisionDifference>();
        var aspects = DecisionAspect.None;
        void Diff<T>(string name, T x, T y, DecisionAspect aspect)
        {
            if (EqualityComparer<T>.Default.Equals(x, y)) return;
            diffs.Add(new DecisionDifference(name, Convert.ToString(x, Inv) ?? "", Convert.ToString(y, Inv) ?? ""));
            aspects |= aspect;
        }
        var (ca, cb) = (d.From.Checkpoint, d.To.Checkpoint);
        if (ca is not null && cb is not null)
        {
            Diff("invalidated", Slots(ca.InvalidatedSlots), Slots(cb.InvalidatedSlots), DecisionAspect.Invalidation);
            Diff("keep segment", ca.Keep.Value, cb.Keep.Value, DecisionAspect.Keep);
            if (ca.Keep == cb.Keep) Diff("first keep segment", ca.KeepBeforeInvalidation.Value, cb.KeepBeforeInvalidation.Value, DecisionAspect.Keep);
            Diff("removed", ca.Removed, cb.Removed, DecisionAspect.Files);
            Diff("recycled", ca.Recycled, cb.Recycled, DecisionAspect.Files);
            Diff("added", ca.Added, cb.Added, DecisionAspect.Files);
            Diff("files after", ca.FilesAfter, cb.FilesAfter, DecisionAspect.Files);
            var (ea, eb) = SimTime.DisplayPair(ca.End, cb.End);
            Diff("ends at", ea, eb, DecisionAspect.Timing);
        }
        else
        {
            var (ea, eb) = Pair(ca?.End, cb?.End);
            Diff("checkpoint", ca is null ? "none (run ended)" : $"#{ca.Number} at {ea}", cb is null ? "none (run ended)" : $"#{cb.Number} at {eb}", DecisionAspect.Timing);
        }
        Diff("log events", Events(d.From.Events), Events(d.To.Events),
            d.From.Events.Concat(d.To.Events).Any(e => e.Kind is "disk_full" or "read_only") ? DecisionAspect.Disk : DecisionAspect.Invalidation);
        if (d.TimingFrom is not null) aspects |= DecisionAspect.Timing;

        // The cause: timing first (it moves every later decision), then invalidation, keep, files, redo, disk.
        CapabilityChange? cause = null;
        foreach (var aspect in new[] { DecisionAspect.Timing, DecisionAspect.Invalidation, DecisionAspect.Disk, DecisionAspect.Keep, DecisionAspect.Files, DecisionAspect.Redo })
        {
            if ((aspects & aspect) == 0) continue;
            cause = changes.FirstOrDefault(c => c.Applies && (c.Affects & aspect) != 0);
            if (cause is not null) break;
        }
        cause ??= changes.FirstOrDefault(c => c.Applies && c.Affects != DecisionAspect.None);

        var number = ca?.Number ?? cb?.Number;
        var (atA, atB) = (ca?.End ?? LastEvent(d.From) ?? a.Summary.End, cb?.End ?? LastEvent(d.To) ?? b.Summary.End);
        var divergence = new Divergence(number, atA, atB, diffs, aspects, cause, "");
        var (where, what) = (Where(divergence, va, vb), What(diffs, va, vb));
        var outcome = OutcomeSentence(a, b);
        var because = cause?.Explanation ?? "no modelled version difference applies (the decisions differ through the settings given per version)";
        var text = $"{because}. First different decision at {where}: {what}.";
        if (outcome.Length > 0)
        {
            // A slot lost on one version only, or the disk, is explained by what invalidates slots, which may not be
            // what moved the first decision.
            var outcomeCause = OutcomeInvolvesInvalidation(a, b)
                ? changes.FirstOrDefault(c => c.Applies && (c.Affects & DecisionAspect.Invalidation) != 0) : null;
            text += $" Outcome: {outcome}" + (outcomeCause is not null && outcomeCause != cause ? $" ({outcomeCause.Explanation})." : ".");
        }
        if (d.TimingFrom is { } tf && d.TimingTo is { } tt && tf.Number != number)
        {
            var (ea, eb) = SimTime.DisplayPair(tf.End, tt.End);
            text += $" (Checkpoint timing already differs from checkpoint {tf.Number}: ends at {ea} on {va}, {eb} on {vb}.)";
        }
        return divergence with { Explanation = text };
    }

    private static string Where(Divergence d, PgVersion va, PgVersion vb)
    {
        var (fa, ta) = SimTime.DisplayPair(d.FromAt, d.ToAt);
        return d.Checkpoint is { } n ? $"checkpoint {n} ({(d.FromAt == d.ToAt ? fa : $"{fa} on {va}, {ta} on {vb}")})" : fa;
    }

    private static string What(IReadOnlyList<DecisionDifference> diffs, PgVersion va, PgVersion vb) =>
        string.Join(", ", diffs.Where(x => x.Decision != "ends at" || diffs.Count == 1)
            .Select(x => $"{x.Decision} {x.FromValue} on {va} vs {x.ToValue} on {vb}"));

    private static SimTime? LastEvent(CheckpointStep s) => s.Events.Count > 0 ? s.Events[^1].At : null;
    private static string Slots(IReadOnlyList<string> slots) => slots.Count == 0 ? "none" : string.Join(' ', slots);
    private static string Events(IReadOnlyList<LogEvent> events) =>
        events.Count == 0 ? "none" : string.Join(' ', events.Select(e => e.Slot is null ? e.Kind : $"{e.Kind}:{e.Slot}"));

    private sealed class NullObserver : ISimulationObserver;
}

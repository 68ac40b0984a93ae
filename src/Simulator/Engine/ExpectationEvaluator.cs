using System.Globalization;

namespace Walsim.Simulator.Engine;

/// <summary>Checks a scenario's expectations against one version's result.</summary>
public static class ExpectationEvaluator
{
    /// <summary>Every expectation whose version range contains the result's version, with the observed value.</summary>
    public static IReadOnlyList<ExpectationOutcome> Evaluate(Scenario scenario, SimulationResult result)
    {
        var v = result.Policy.Version;
        var outcomes = new List<ExpectationOutcome>();
        foreach (var e in scenario.Expectations.Where(x => x.Versions.Contains(v)))
        {
            // In a topology an expectation names its node; without one it is about the primary.
            var node = result.ForNode(e.Node);
            var (passed, observed) = node is null ? (false, $"no node \"{e.Node}\" in this run") : e switch
            {
                MilestoneExpectation m => Milestone(m, node),
                RunMetricExpectation r => RunMetric(r, node),
                PointExpectation p => Point(p, node),
                FailoverExpectation f => FailoverOutcome(f, result),
                _ => (false, $"walsim cannot evaluate {e.GetType().Name}"),
            };
            outcomes.Add(new ExpectationOutcome(e, v, passed, observed));
        }
        return outcomes;
    }

    private static (bool, string) Milestone(MilestoneExpectation m, SimulationResult r)
    {
        SimTime? when;
        if (m.Milestone is Scenarios.Milestone.DiskFull) when = r.Summary.DiskFull;
        else if (m.Milestone is Scenarios.Milestone.ReadOnly) when = r.Summary.ReadOnly;
        else
        {
            var slot = r.Slots.FirstOrDefault(s => s.Name == m.Slot);
            if (slot is null) return (false, $"no slot \"{m.Slot}\" in this run");
            if (!r.Policy.ReportsWalStatus && m.Milestone != Scenarios.Milestone.SlotLost)
                return (m.When.Never, $"PostgreSQL {r.Policy.Version} has no wal_status");
            when = m.Milestone switch
            {
                Scenarios.Milestone.SlotExtended => slot.FirstExtended,
                Scenarios.Milestone.SlotUnreserved => slot.FirstUnreserved,
                Scenarios.Milestone.SlotSyncReady => slot.FirstSyncReady,
                _ => slot.Lost,
            };
        }
        var passed = m.When.Matches(when);
        // A failure shows the time exactly: rounded, 5h43m30.4s would read 5h43m30s and seem to meet a bound of
        // "at or before 5h43m30s" that it misses.
        var text = when is { } t ? $"at {(passed ? t.Display() : t.ToString())}" : "never";
        return (passed, text);
    }

    private static (bool, string) FailoverOutcome(FailoverExpectation e, SimulationResult r)
    {
        if (e.Number > r.Failovers.Count) return (false, $"the run has {r.Failovers.Count} failover(s)");
        var f = r.Failovers[e.Number - 1];
        if (f.Slots.FirstOrDefault(s => s.Slot == e.Slot) is not { } slot) return (false, $"slot \"{e.Slot}\" has no consumer at failover {e.Number}");
        var ok = (e.OnNewPrimary is null || e.OnNewPrimary == slot.OnNewPrimary)
            && (e.Missed is null || e.Missed.Matches(slot.Missed.Bytes))
            && (e.ReceivedTwice is null || e.ReceivedTwice.Matches(slot.ReceivedTwice.Bytes))
            && (e.Phantom is null || e.Phantom.Matches(slot.Phantom.Bytes));
        return (ok, $"{slot.OnNewPrimary}, missed {slot.Missed}, received twice {slot.ReceivedTwice}, phantom {slot.Phantom} (S {slot.ConsumerPosition}, P {f.SwitchPoint}, R {slot.ResumeAt})");
    }

    private static (bool, string) RunMetric(RunMetricExpectation e, SimulationResult r)
    {
        var s = r.Summary;
        double value = e.Metric switch
        {
            Scenarios.RunMetric.PeakPgWalBytes => s.PeakPgWalBytes.Bytes,
            Scenarios.RunMetric.PeakPgWalFiles => s.PeakPgWalFiles,
            Scenarios.RunMetric.Checkpoints => s.Checkpoints,
            Scenarios.RunMetric.SkippedCheckpoints => s.SkippedCheckpoints,
            Scenarios.RunMetric.Invalidations => s.Invalidations,
            Scenarios.RunMetric.FilesRemoved => s.FilesRemoved,
            Scenarios.RunMetric.FilesRecycled => s.FilesRecycled,
            _ => s.FilesAdded,
        };
        var text = e.Metric == Scenarios.RunMetric.PeakPgWalBytes
            ? $"{ByteCount.Format((long)value)} ({s.PeakPgWalFiles} files at {s.PeakAt.Display()})"
            : value.ToString(CultureInfo.InvariantCulture);
        return (e.Bound.Matches(value), text);
    }

    private static (bool, string) Point(PointExpectation p, SimulationResult r)
    {
        var row = p.Point.Step is { } step
            ? r.Probes.LastOrDefault(x => x.Reason == RowReason.Step && x.Step == step)
            : r.Probes.LastOrDefault(x => x.Reason == RowReason.Probe && x.At == p.Point.At);
        if (row is null) return (false, $"the run never reached {p.Point}");

        string text;
        double? number = null;
        if (p.Metric is PointMetric.LastCheckpointAdded or PointMetric.LastCheckpointRemoved or PointMetric.LastCheckpointRecycled)
        {
            if (p.Point.Step is not { } st || !r.CheckpointsByStep.TryGetValue(st, out var c))
                return (false, $"no checkpoint completed in {p.Point}");
            number = p.Metric switch
            {
                PointMetric.LastCheckpointAdded => c.Added,
                PointMetric.LastCheckpointRemoved => c.Removed,
                _ => c.Recycled,
            };
            text = number.Value.ToString(CultureInfo.InvariantCulture);
        }
        else if (p.Slot is not null)
        {
            if (row.Slot(p.Slot) is not { } slot) text = "dropped";
            else
            {
                (text, number) = p.Metric switch
                {
                    PointMetric.WalStatus => (slot.WalStatus.ToSql(), (double?)null),
                    PointMetric.SafeWalSizeBytes => slot.SafeWalSize is { } b ? (b.Bytes.ToString(CultureInfo.InvariantCulture), b.Bytes) : ("null", null),
                    PointMetric.RestartLsn => (slot.RestartLsn.IsValid ? slot.RestartLsn.ToString() : "null", slot.RestartLsn.IsValid ? slot.RestartLsn.Value : null),
                    PointMetric.RetainedBytes => (slot.RetainedBytes.Bytes.ToString(CultureInfo.InvariantCulture), slot.RetainedBytes.Bytes),
                    PointMetric.InvalidationReason => (slot.Invalidation switch
                    {
                        InvalidationCause.WalRemoved => "wal_removed",
                        InvalidationCause.IdleTimeout => "idle_timeout",
                        _ => "null",
                    }, null),
                    PointMetric.Active => (slot.Active ? "true" : "false", null),
                    _ => ("n/a", null),
                };
            }
        }
        else
        {
            (text, number) = p.Metric switch
            {
                PointMetric.FilesInPgWal => (row.FilesInPgWal.ToString(CultureInfo.InvariantCulture), row.FilesInPgWal),
                PointMetric.PgWalBytes => (row.PgWalBytes.ToString(), (double?)row.PgWalBytes.Bytes),
                PointMetric.KeepSegment => (row.KeepSegment.ToString(), row.KeepSegment.Value),
                _ => ("n/a", null),
            };
        }

        if (p.EqualsText is { } expected)
        {
            if (p.Metric == PointMetric.RestartLsn && Lsn.TryParse(expected, out var lsn) && number is { } n)
                return ((ulong)n == lsn.Value, text);
            return (string.Equals(expected, text, StringComparison.OrdinalIgnoreCase), text);
        }
        if (p.Bound is { } bound)
            return (number is { } x && bound.Matches(x), text);
        return (false, text);
    }
}

using Walsim.Analyzer.Sources;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Sources;

/// <summary>What walsim derives from a log, on the real fixtures (<see cref="LogFixtures"/>) and on worked lines.</summary>
public class CheckpointLogAnalysisTests
{
    private static List<ServerLogEvent> Events(string name) => [.. CheckpointLog.ReadEvents(LogFixtures.Path(name))];

    private static List<ServerLogEvent> Events(string text, string name) => [.. CheckpointLog.ReadEvents(new StringReader(text), name)];

    // UpdateCheckPointDistanceEstimate (xlog.c, retention-model.md §8.3): the logged estimate of every checkpoint follows from the
    // logged distances, the restart resetting it to 0.
    [Theory]
    [MemberData(nameof(LogFixtures.AllLogs), MemberType = typeof(LogFixtures))]
    public void The_estimate_replay_agrees_with_every_real_log(string name, int major)
    {
        _ = major;
        var checks = CheckpointLogAnalysis.CheckEstimates(Events(name)).ToList();

        Assert.All(checks, c => Assert.True(c.Agrees,
            $"{name}:{c.Checkpoint.Line}: logged estimate {c.Checkpoint.Stats.EstimateKb} kB, model {c.PredictedLowKb}..{c.PredictedHighKb} kB"));
        // Only the first checkpoint of a log that starts mid-life is unknown; the fixtures start at a server start
        // (standbys: the restartpoints of a checkpointer started with the log).
        Assert.True(checks.Count(c => c.Checked) >= checks.Count - 1);
    }

    // 16+: the distance is exact from the redo LSNs, so the model predicts one kB value.
    [Fact]
    public void On_16_and_later_the_model_predicts_the_exact_estimate()
    {
        var checks = CheckpointLogAnalysis.CheckEstimates(Events("pg17-pgbadger.log")).Where(c => c.Checked).ToList();
        Assert.NotEmpty(checks);
        Assert.All(checks, c => Assert.Equal(c.PredictedLowKb, c.PredictedHighKb));
    }

    // Worked numbers: estimate 5008 kB then a 3819 kB distance → 0.9 × 5008 + 0.1 × 3819 = 4889.1 kB, up to
    // 0.9 × 5009 + 0.1 × 3820 = 4890.1 kB for the bytes the kB flooring hides: 4889 or 4890, not the 5561 a
    // made-up line claims.
    [Fact]
    public void A_logged_estimate_the_recurrence_cannot_produce_is_a_disagreement()
    {
        var events = Events("""
            2026-11-21 13:39:11.001 UTC [31703] LOG:  checkpoint complete: wrote 665 buffers (4.1%); 1 WAL file(s) added, 5 removed, 0 recycled; write=0.349 s, sync=0.001 s, total=0.358 s; sync files=0, longest=0.000 s, average=0.000 s; distance=5008 kB, estimate=5008 kB
            2026-11-21 13:39:12.001 UTC [31703] LOG:  checkpoint complete: wrote 371 buffers (2.3%); 0 WAL file(s) added, 4 removed, 0 recycled; write=0.010 s, sync=0.001 s, total=0.013 s; sync files=0, longest=0.000 s, average=0.000 s; distance=3819 kB, estimate=5561 kB
            2026-11-21 13:39:13.001 UTC [31703] LOG:  checkpoint complete: wrote 371 buffers (2.3%); 0 WAL file(s) added, 4 removed, 0 recycled; write=0.010 s, sync=0.001 s, total=0.013 s; sync files=0, longest=0.000 s, average=0.000 s; distance=3819 kB, estimate=5386 kB
            """, "pg.log");
        var checks = CheckpointLogAnalysis.CheckEstimates(events).ToList();

        Assert.False(checks[0].Checked);
        Assert.False(checks[1].Agrees);
        Assert.Equal((4889L, 4890L), (checks[1].PredictedLowKb!.Value, checks[1].PredictedHighKb!.Value));
        // After a disagreement the model starts again from the logged value: 0.9 × 5561 + 0.1 × 3819 = 5386.8.
        Assert.True(checks[2].Agrees);
    }

    [Theory]
    [InlineData("pg15-pgbadger.log")]
    [InlineData("pg17-pgbadger.log")]
    [InlineData("pg12-csvlog.csv")]
    public void A_restart_in_the_middle_of_a_log_is_a_gap_in_the_wal_positions(string name)
    {
        var positions = CheckpointLogAnalysis.WalPositions(Events(name)).ToList();
        var checkpoints = CheckpointLog.Read(LogFixtures.Path(name)).ToList();

        var gap = Assert.Single(positions, p => p.Observation.AfterGap);
        // The first checkpoint after "starting PostgreSQL": the one after the shutdown checkpoint.
        var shutdown = checkpoints.FindIndex(c => c.IsLifecycle);
        Assert.Equal(checkpoints[shutdown + 1].Line, gap.Checkpoint.Line);
        Assert.True(gap.Checkpoint.AfterServerStart);
    }

    // The redo pointer is taken at checkpoint start: the position at a start is the previous one plus the distance.
    [Fact]
    public void Without_redo_lsns_the_positions_are_the_running_sum_of_the_distances()
    {
        var positions = CheckpointLogAnalysis.WalPositions(Events("pg14-pgbadger.log")).ToList();
        var checkpoints = CheckpointLog.Read(LogFixtures.Path("pg14-pgbadger.log")).ToList();

        Assert.All(positions, p => Assert.False(p.Absolute));
        Assert.Equal(checkpoints.Select(c => c.Stats.DistanceKb).Sum() * 1024, (long)positions[^1].Observation.Position.Value);
        Assert.Equal(SimTime.Zero, positions[0].Observation.At);
        Assert.True(positions.Zip(positions.Skip(1)).All(p => p.First.Observation.At <= p.Second.Observation.At));
    }

    [Fact]
    public void With_redo_lsns_the_positions_are_the_logged_redo_pointers_and_fit_a_workload()
    {
        var positions = CheckpointLogAnalysis.WalPositions(Events("pg18-pgbadger.log")).ToList();

        Assert.All(positions, p => Assert.True(p.Absolute));
        Assert.Equal(positions.Select(p => p.Checkpoint.RedoLsn!.Value), positions.Select(p => p.Observation.Position));
    }

    // A week of 5-minute checkpoints, 16–19 MB each: WorkloadFit measures every interval between checkpoint starts.
    [Fact]
    public void The_positions_of_a_long_log_feed_the_workload_fit()
    {
        const int checkpoints = 7 * 288;
        var observations = CheckpointLogAnalysis.WalObservations(CheckpointLog.ReadEvents(new SyntheticLog(checkpoints), "week.log"));
        Assert.Equal(checkpoints, observations.Count);
        Assert.DoesNotContain(observations, o => o.AfterGap);

        var fit = WorkloadFit.Fit(observations);
        Assert.True(fit.Report.MeasuredBuckets >= checkpoints / 4 - 2, $"{fit.Report.MeasuredBuckets} buckets measured");
        var mean = Enumerable.Range(0, 7).Average(n => (double)SyntheticLog.DistanceOf(n).Bytes) / 300;
        Assert.InRange(fit.MedianRateAt(SimTime.FromSeconds(86400)), mean * 0.9, mean * 1.1);
    }

    // A checkpoint missing from the log (here: the middle of three 16+ lines dropped) shows as redo pointers that do
    // not match the distance: a gap, and the estimate replay starts again instead of disagreeing.
    [Fact]
    public void A_checkpoint_missing_from_a_16_log_is_a_gap_not_a_disagreement()
    {
        var lines = File.ReadLines(LogFixtures.Path("pg16-pgbadger.log"))
            .Where(l => l.Contains("checkpoint complete", StringComparison.Ordinal)).Take(4).ToList();
        lines.RemoveAt(2);
        var events = Events(string.Join('\n', lines), "pg16.log");

        Assert.True(CheckpointLogAnalysis.WalPositions(events).ToList()[2].Observation.AfterGap);
        Assert.All(CheckpointLogAnalysis.CheckEstimates(events), c => Assert.True(c.Agrees));
    }

    [Theory]
    [MemberData(nameof(LogFixtures.AllLogs), MemberType = typeof(LogFixtures))]
    public void The_recycle_and_prealloc_counts_of_every_real_log_are_plausible(string name, int major)
    {
        var checks = CheckpointLogAnalysis.CheckRecycling(Events(name), LogFixtures.Settings(major)).ToList();

        Assert.All(checks, c => Assert.True(c.Plausible,
            $"{name}:{c.Checkpoint.Line}: recycled {c.Checkpoint.Stats.Recycled} (max {c.MaxRecycled}, {c.Basis}), added {c.Checkpoint.Stats.Added}"));
        Assert.All(checks, c => Assert.Equal(c.Checkpoint.RedoLsn is null ? "span" : "redo", c.Basis));
    }

    // XLOGfileslop with max_wal_size = 4MB and 1 MB segments: at most 3 segments above the redo segment, so at most
    // 4 names from the redo segment on; 9 recycled files cannot be.
    [Fact]
    public void More_recycled_files_than_xlogfileslop_allows_are_implausible()
    {
        var events = Events("""
            2026-11-21 13:39:12.001 UTC [31703] LOG:  checkpoint complete: wrote 371 buffers (2.3%); 0 WAL file(s) added, 0 removed, 9 recycled; write=0.010 s, sync=0.001 s, total=0.013 s; sync files=0, longest=0.000 s, average=0.000 s; distance=3819 kB, estimate=5561 kB
            2026-11-21 13:39:13.001 UTC [31703] LOG:  checkpoint complete: wrote 371 buffers (2.3%); 2 WAL file(s) added, 0 removed, 1 recycled; write=0.010 s, sync=0.001 s, total=0.013 s; sync files=0, longest=0.000 s, average=0.000 s; distance=3819 kB, estimate=5386 kB
            """, "pg.log");
        var checks = CheckpointLogAnalysis.CheckRecycling(events, LogFixtures.Settings(15)).ToList();

        Assert.Equal((4L, false, true), (checks[0].MaxRecycled!.Value, checks[0].RecycledOk, checks[0].AddedOk));
        // PreallocXlogFiles creates one segment at most.
        Assert.Equal((true, false), (checks[1].RecycledOk, checks[1].AddedOk));
    }

    // PreallocXlogFiles: segoff(recptr - 1) >= 0.75 × 1 MB = 786,432 is needed to add a segment. A record at
    // offset 0x60 cannot end there; one at 0xF0000 (983,040) can.
    [Theory]
    [InlineData("0/B000060", false)]
    [InlineData("0/B0F0000", true)]
    public void On_16_a_file_added_where_the_checkpoint_record_ends_early_in_its_segment_is_implausible(string lsn, bool plausible)
    {
        var events = Events($"2026-11-21 13:41:51.001 UTC [8735] LOG:  checkpoint complete: wrote 6 buffers (0.0%); 1 WAL file(s) added, 0 removed, 0 recycled; write=0.301 s, sync=0.001 s, total=0.305 s; sync files=0, longest=0.000 s, average=0.000 s; distance=3071 kB, estimate=3071 kB; lsn={lsn}, redo lsn=0/B000028\n", "pg16.log");
        Assert.Equal(plausible, Assert.Single(CheckpointLogAnalysis.CheckRecycling(events, LogFixtures.Settings(16))).AddedOk);
    }

    [Fact]
    public void The_settings_at_the_end_of_a_log_include_its_reloads()
    {
        var settings = CheckpointLogAnalysis.SettingsAtEnd(Events("pg15-pgbadger.log"), LogFixtures.Settings(15));
        Assert.Equal((6L, -1L), (settings.MaxWalSizeMb, settings.MaxSlotWalKeepSizeMb));
    }

    // added − removed per checkpoint, summed: 13 checkpoints of the 12.22 capture.
    [Fact]
    public void The_file_trajectory_is_the_running_sum_of_added_minus_removed()
    {
        var checkpoints = CheckpointLog.Read(LogFixtures.Path("pg12-pgbadger.log")).ToList();
        var trajectory = CheckpointLogAnalysis.FileTrajectory(Events("pg12-pgbadger.log")).ToList();

        Assert.Equal(checkpoints.Count, trajectory.Count);
        Assert.Equal(checkpoints.Sum(c => c.Stats.Added - c.Stats.Removed), trajectory[^1].NetChange);
        Assert.Equal(checkpoints[0].Stats.Added - checkpoints[0].Stats.Removed, trajectory[0].NetChange);
    }
}

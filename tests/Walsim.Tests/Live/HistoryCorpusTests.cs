using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// Forecasts from the real histories of scenarios/histories (recorded by scripts/record-history.sh, 1-s samples,
/// 1 MB segments), each pinning one point of issue 20: batch loads, a consumer's current pause, a failing archiver,
/// idle_replication_slot_timeout counted from inactive_since, level shifts — and the scores the backtest reports.
/// </summary>
public sealed class HistoryCorpusTests
{
    private static string History(string name) =>
        RepoPaths.Of("scenarios", "histories", name, "samples.csv.gz");

    private static IRecordedHistory Open(string name) => HistorySources.Open(History(name), HistoryUse.Forecast);

    private static ForecastInput InputAt(string name, double seconds) =>
        ForecastInput.Read(Open(name), new ReplayLimit(null, TimeSpan.FromSeconds(seconds)));

    private static BacktestResult BacktestAt(string name, double fraction, WorkloadFitOptions? options = null)
    {
        var h = Open(name);
        DateTimeOffset? first = null, last = null;
        foreach (var f in h.Frames()) { first ??= f.Server.ServerTime; last = f.Server.ServerTime; }
        return Backtest.Run(h.Name, h.Frames, h.Settings, new ReplayLimit(null, (last!.Value - first!.Value) * fraction),
            options ?? new WorkloadFitOptions(), runs: 200, seed: 1, parallelism: 2);
    }

    [Fact]
    public void A_load_written_as_a_sine_of_the_rate_and_seen_once_is_fitted_as_one_with_its_period_within_1_percent()
    {
        // several-pg13 at half-way: 90 + 40·cos(2π t / 12 min) kB/s of pg_logical_emit_message, 1.06 cycles seen in 48
        // buckets of 16 s. One harmonic of the log-rate put the period at 661 s, two at 746 s; as a sine of the rate
        // it is 725 s (0.7 % off), and cdc_a, lost 335 s after the split, gets a p50 of 317 s (error 18 s; 28 s at
        // 746 s; predict_linear's 32 s), inside p10-p90.
        // As `walsim backtest` without --period.
        var b = BacktestAt("several-pg13", 0.5, new WorkloadFitOptions { DetectPeriod = true });
        var cycle = b.Fit.Report.Cycle;
        Assert.True(cycle.Accepted, cycle.Reason);
        Assert.Contains(b.Fit.Report.Notes, n => n.Contains("(a sine of the rate)", StringComparison.Ordinal));
        Assert.Equal(720, cycle.Period.TotalSeconds, 7.2);
        var score = Assert.IsType<ForecastScore>(b.Slots.Single(s => s.Name == "cdc_a").Score);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        Assert.True(score.P50Error <= 20, $"p50 {score.P50} s for {score.Actual} s");
    }

    [Fact]
    public void A_batch_load_fails_the_log_normal_check_and_is_forecast_by_resampling_its_own_batches()
    {
        // batch-pg17: 2 kB/s with a 2-26 MB batch at 2 MB/s every 20-90 s; cdc stopped for good at 11:00, lost ~1.3 min
        // after the half-way split. One log-normal over the buckets has a spread whose mean is far above the history's.
        var b = BacktestAt("batch-pg17", 0.5);
        var report = b.Fit.Report;
        Assert.True(report.BucketWidth < SimDuration.FromMinutes(1), $"bucket {report.BucketWidth}: chosen from a 12-minute history, not 5 min");
        var check = Assert.IsType<ModelCheck>(report.Check);
        Assert.True(check.Resampled);
        Assert.True(check.P90Ratio > ModelCheck.Tolerance || check.MedianRatio < 1 / ModelCheck.Tolerance, check.Describe());
        var cdc = b.Slots.Single(s => s.Name == "cdc");
        var score = Assert.IsType<ForecastScore>(cdc.Score);
        Assert.True(cdc.StoppedAtSplit);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        // Not hundreds of times above anything the server did: the earliest tenth of runs is not "at once".
        Assert.True(score.P10 >= 5, $"p10 {score.P10} s");
        Assert.True(score.P50Error <= 0.5 * score.LinearError, $"p50 error {score.P50Error} s, predict_linear's {score.LinearError} s");
    }

    [Fact]
    public void A_pause_longer_than_every_earlier_one_is_more_likely_final_than_not()
    {
        // batch-pg17: cdc paused 110 s and 73 s before, last confirmed at 10:30 and stopped for good at 11:00. At
        // 13:20 the stall rule (three times the longest pause, 330 s) still says it keeps up; no earlier pause lasted
        // 140 s: with k earlier pauses, none as long, it does not come back with probability (k + 2) / (k + 3).
        var input = InputAt("batch-pg17", 800);
        var cdc = input.Slots.Single(s => s.Name == "cdc");
        Assert.Equal(ConsumerState.KeepsUp, cdc.Consumer);
        Assert.InRange(cdc.PausedFor.TotalSeconds, 130, 150);
        Assert.Empty(cdc.EarlierPauses);
        Assert.True(cdc.PausesSeen >= 2, $"{cdc.PausesSeen} pauses");
        Assert.Equal((cdc.PausesSeen + 2.0) / (cdc.PausesSeen + 3), cdc.StopProbability, 9);
        var fit = WorkloadFit.Fit(input.Observations);
        var forecast = Forecaster.Run(input, fit, new ForecastOptions(SimDuration.FromMinutes(15), 200, 1, null, 2), WhatIf.CurrentTrend);
        var lost = forecast.Slots.Single(s => s.Name == "cdc").Lost;
        Assert.InRange(lost.Runs - lost.Never, (int)(200 * cdc.StopProbability) - 25, (int)(200 * cdc.StopProbability) + 25);
        // The typical run takes the likelier fate: it loses the slot.
        Assert.NotNull(forecast.Slots.Single(s => s.Name == "cdc").TypicalRun?.Lost);
    }

    [Fact]
    public void A_pause_the_history_has_seen_end_before_is_less_likely_final()
    {
        // intermittent-pg16 at 13:00: cdc has not confirmed for about a minute; two of its k earlier pauses (its
        // consumer was away 120 s and 80 s) lasted longer and ended, so it does not come back with probability
        // (k + 2) / (k + 2 + 3): less than a pause none had outlasted, (k + 2) / (k + 3).
        var cdc = InputAt("intermittent-pg16", 780).Slots.Single(s => s.Name == "cdc");
        Assert.Equal(ConsumerState.KeepsUp, cdc.Consumer);
        Assert.InRange(cdc.PausedFor.TotalSeconds, 50, 70);
        Assert.Equal(2, cdc.EarlierPauses.Count);
        Assert.Equal((cdc.PausesSeen + 2.0) / (cdc.PausesSeen + 5), cdc.StopProbability, 9);
        Assert.InRange(cdc.StopProbability, 0.5, (cdc.PausesSeen + 2.0) / (cdc.PausesSeen + 3));
    }

    [Fact]
    public void An_archiver_failing_at_the_last_sample_keeps_failing_in_the_forecast_unless_the_what_if_fixes_it()
    {
        // archiver-pg14: archive_command fails from 4:00 to 20:00. At 12:30 failed_count is rising and last_failed_wal
        // is after last_archived_wal: pg_wal keeps everything since then, as the server did (79 MB by 20:00).
        var input = InputAt("archiver-pg14", 750);
        Assert.True(input.Archiver.Failing);
        Assert.NotNull(input.Archiver.LastArchived);
        var fit = WorkloadFit.Fit(input.Observations);
        var options = new ForecastOptions(SimDuration.FromMinutes(7), 100, 1, null, 2);
        var failing = Forecaster.Run(input, fit, options, WhatIf.CurrentTrend);
        Assert.True(WhatIf.TryParse("archiver fixed", out var fix, out var error), error);
        var fixedNow = Forecaster.Run(input, fit, options, fix);
        // 7 minutes at 80 kB/s is about 33 MB more WAL, none of it removable while the archiver fails.
        var now = input.Last.PgWalBytes.Bytes;
        Assert.True(failing.TypicalRun.PeakPgWalBytes.Bytes >= now + 25 * ByteCount.MiB, $"failing: peak {failing.TypicalRun.PeakPgWalBytes}, now {input.Last.PgWalBytes}");
        Assert.True(fixedNow.TypicalRun.PeakPgWalBytes.Bytes < failing.TypicalRun.PeakPgWalBytes.Bytes - 10 * ByteCount.MiB,
            $"fixed: peak {fixedNow.TypicalRun.PeakPgWalBytes}");
    }

    [Fact]
    public void Idle_replication_slot_timeout_counts_from_the_sampled_inactive_since()
    {
        // idle-pg18: idle_replication_slot_timeout = 4min; cdc's consumer stopped at 5:00 and the server invalidated
        // it at the first checkpoint end after 9:00. Forecast from 7:00 (two minutes idle already): the loss comes in
        // about two minutes, not four — within the samples' resolution of the real one.
        var b = BacktestAt("idle-pg18", 0.35);
        var cdc = b.Slots.Single(s => s.Name == "cdc");
        Assert.NotNull(b.Input.Slots.Single(s => s.Name == "cdc").InactiveSince);
        var score = Assert.IsType<ForecastScore>(cdc.Score);
        Assert.InRange(score.Actual, 100, 160);
        Assert.True(Math.Abs(score.P50 - score.Actual) <= 3, $"p50 {score.P50} s, actual {score.Actual} s");
        Assert.True(score.Covered);
    }

    [Fact]
    public void Level_shifts_in_the_history_are_found_and_widen_the_forecast()
    {
        // regime-pg15: the rate steps every 3 min (80, 150, 50, 130, 45, then 160 kB/s); at the half-way split the
        // history ends on its slowest step. The slot nobody ever used is lost 4 min later.
        var b = BacktestAt("regime-pg15", 0.5);
        var check = Assert.IsType<ModelCheck>(b.Fit.Report.Check);
        Assert.True(check.LevelShifts.Count >= 3, check.Describe());
        Assert.True(check.Resampled);
        var score = Assert.IsType<ForecastScore>(b.Slots.Single(s => s.Name == "forgotten").Score);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        Assert.True(score.Width >= 60, $"width {score.Width} s");
    }

    [Fact]
    public void A_rate_level_that_has_lasted_as_long_as_the_earlier_ones_is_forecast_to_end_soon()
    {
        // regime-pg15 at 35 % (8.9 min): 80 and 150 kB/s for three minutes each, then 50 kB/s for 2.8 min. The 50 kB/s
        // step ended 12 s later (130, 45, 160 kB/s followed) and `forgotten` was lost 476 s after the split. Kept at
        // 50 kB/s for a whole further level on average, the forecast said 557 s (error 81 s, predict_linear 82 s);
        // ending the level when levels of its age ended, it is within half of predict_linear's error.
        var b = BacktestAt("regime-pg15", 0.35);
        var score = Assert.IsType<ForecastScore>(b.Slots.Single(s => s.Name == "forgotten").Score);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        Assert.True(score.P50Error <= score.LinearError / 2, $"p50 {score.P50} s, actual {score.Actual} s, predict_linear {score.Linear} s");
    }

    [Fact]
    public void A_bunch_of_batches_at_the_end_of_a_batch_history_is_not_a_new_level()
    {
        // batch-pg17 at 45 %: two batches close together in the last minute passed binary segmentation and BIC as a
        // new level of 747 kB/s (the history's mean is 256 kB/s), so every run kept writing ~680 kB/s for minutes and
        // lost cdc 70 s early (p50 82 s for 152 s). The same 15-s rates shuffled show such bunches as often: no level.
        // The process that wrote this history (record-history.sh's batches, known) puts the loss at 143..301 s (its
        // p10..p90 over 4000 futures drawn after the split: scripts/batch-oracle.py --splits 0.45): walsim's p50 must
        // lie there, as the level's 82 s did not. Closer to the one actual future (152 s) than that is luck: the
        // process's own p50, 211 s, misses it by 60 s.
        var b = BacktestAt("batch-pg17", 0.45);
        var check = Assert.IsType<ModelCheck>(b.Fit.Report.Check);
        Assert.True(check.Resampled);
        Assert.Empty(check.LevelShifts);
        var score = Assert.IsType<ForecastScore>(b.Slots.Single(s => s.Name == "cdc").Score);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        Assert.InRange(score.P50, 143, 301);
    }

    [Fact]
    public void Checkpoints_requested_by_WAL_volume_are_counted_by_the_servers_own_request_point()
    {
        // batch-pg17's log shows 12 checkpoints started for WAL volume ("checkpoint starting: wal"). CheckPointSegments
        // is 32MB / 1MB / 1.9 = 16: XLogWrite requests one when the write position enters the segment 16 after the
        // previous redo's, up to a segment short of 16 MB of distance; counting 16 MB or more of distance found 9.
        var input = InputAt("batch-pg17", 3600);
        Assert.Equal(12, input.Checkpoints.ByWalVolume);
    }

    [Theory]
    // y above q: τ·(y − q); below: (1 − τ)·(q − y).
    [InlineData(100, 80, 0.9, 18)]
    [InlineData(100, 80, 0.1, 2)]
    [InlineData(60, 80, 0.1, 18)]
    [InlineData(60, 80, 0.5, 10)]
    public void The_pinball_loss_weighs_a_quantile_by_which_side_the_outcome_falls(double y, double q, double tau, double loss) =>
        Assert.Equal(loss, ForecastScore.Pinball(y, q, tau), 9);

    [Fact]
    public void A_loss_seen_between_two_samples_is_covered_by_an_interval_reaching_into_that_window()
    {
        // Lost between the samples at 334.3 s and 335.3 s; p10..p90 = 244..333: 1.3 s short of the window, inside the
        // 2 s resolution (checkpoint_time has whole seconds).
        Assert.True(new ForecastScore(335.3, 334.3, 244, 244, 333, 303, 600).Covered);
        Assert.False(new ForecastScore(335.3, 334.3, 244, 244, 330, 303, 600).Covered);
        Assert.Equal(0.5 * 32.3, new ForecastScore(335.3, 334.3, 244, 244, 333, 303, 600).LinearPinball, 9);
    }

    [Fact]
    public void Timed_checkpoints_lateness_is_read_in_whole_seconds_of_checkpoint_time()
    {
        // archiver-pg14's log: timed checkpoints every checkpoint_timeout = 30 s by time(NULL)'s whole seconds
        // (21:50:05, :35, 21:51:05, ...), a few a second late (21:56:36.9 → 21:57:07.1), one 13 s late while the
        // recording machine was busy (21:48:52 → 21:49:35, 43 s). None of them requested by WAL volume.
        var lateness = InputAt("archiver-pg14", 3600).TimedCheckpointLateness;
        Assert.True(lateness.Count >= 40, $"{lateness.Count} intervals");
        Assert.All(lateness, l => Assert.InRange(l.TotalSeconds, -1, 14));
        Assert.True(lateness.Count(l => l == TimeSpan.Zero) > lateness.Count / 2, string.Join(", ", lateness.Select(l => l.TotalSeconds)));
        Assert.Contains(TimeSpan.FromSeconds(13), lateness);
    }

    [Theory]
    // Lateness seen {0}: checkpoint n starts n·30 s + a fraction of a second after the last sampled one, never drifting.
    [InlineData(new double[] { 0 }, 0, 0)]
    // {1}: a second later every time: checkpoint n at n·31 s + a fraction.
    [InlineData(new double[] { 1 }, 1, 1)]
    // {0, 0, 0, 1}: between 0 and 1 s more every checkpoint.
    [InlineData(new double[] { 0, 0, 0, 1 }, 0, 1)]
    public void A_forecasts_checkpoints_are_late_by_whole_seconds_drawn_from_the_samples_plus_one_fraction(double[] seen, double least, double most)
    {
        var observed = seen.Select(TimeSpan.FromSeconds).ToList();
        var timeout = SimDuration.FromSeconds(30);
        for (var seed = 0; seed < 20; seed++)
        {
            var waits = Forecaster.CheckpointTiming(observed, timeout, SimDuration.FromMinutes(10), new Random(seed));
            Assert.Equal(10 * 2 + 2, waits.Count); // 600 s / 30 s, and two more
            var start = 0.0;
            for (var n = 1; n <= waits.Count; n++)
            {
                start += timeout.TotalSeconds + waits[n - 1].TotalSeconds;
                var late = start - 30 * n; // whole seconds drawn plus this checkpoint's fraction in [0, 1)
                Assert.InRange(late, least * n - 1e-9, most * n + 1 - 1e-9);
            }
        }
        // Nothing seen: only the last sampled checkpoint_time's missing fraction, once.
        var none = Forecaster.CheckpointTiming([], timeout, SimDuration.FromMinutes(10), new Random(1));
        Assert.InRange(Assert.Single(none).TotalSeconds, 0, 1);
    }

    [Fact]
    public void A_loss_one_checkpoint_start_later_than_the_strict_schedule_lies_inside_the_forecast()
    {
        // archiver-pg14 at the half-way split: standby1 is lost at the checkpoint of 22:08:09.6, 548 s later; 18
        // checkpoints at exactly 30 s from the last sampled checkpoint_time put every run's loss at 545 s (a
        // zero-width interval 3 s short). With the samples' own lateness the interval reaches it, and stays narrow.
        var b = BacktestAt("archiver-pg14", 0.5);
        var score = Assert.IsType<ForecastScore>(b.Slots.Single(s => s.Name == "standby1").Score);
        Assert.True(score.Covered, $"actual {score.Actual} s outside {score.P10}..{score.P90}");
        Assert.InRange(score.Width, 1, 60);
    }

    [Fact]
    public void A_consumer_that_confirms_every_second_is_seen_paused_seconds_after_it_stops_not_after_a_minute()
    {
        // archiver-pg14: standby1's restart_lsn moved at nearly every 1-s sample (1 s ×451, 2 s ×6, 3 s once, one
        // 14-s hiccup) until 21:54:22, 480 s in. Its ordinary times between moves are at most 2 s, so a longer silence
        // is a pause: at 495 s (15 s without a move, over a segment written at 80 kB/s) it is one, and none of its
        // k earlier pauses lasted as long: it does not come back with probability (k + 2) / (k + 3). Three times its
        // longest time between moves (14 s) later, 42 s, it is stalled — not after a fixed minute.
        var paused = InputAt("archiver-pg14", 495).Slots.Single(s => s.Name == "standby1");
        Assert.Equal(ConsumerState.KeepsUp, paused.Consumer);
        Assert.InRange(paused.PausedFor.TotalSeconds, 10, 20);
        Assert.Empty(paused.EarlierPauses);
        Assert.Equal((paused.PausesSeen + 2.0) / (paused.PausesSeen + 3), paused.StopProbability, 9);
        Assert.True(paused.StopProbability >= 0.9, $"{paused.StopProbability}");
        Assert.Equal(ConsumerState.Stalled, InputAt("archiver-pg14", 530).Slots.Single(s => s.Name == "standby1").Consumer);
    }
}

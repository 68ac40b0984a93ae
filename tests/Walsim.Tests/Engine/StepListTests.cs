using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Engine;

/// <summary>
/// The step-list ops that say what a real test did: sleep (real time between steps), mark and to: NAME±size,
/// a transaction that writes its own first record, and start: initdb (pg_wal as initdb --wal-segsize=1 leaves it).
/// </summary>
public sealed class StepListTests
{
    private static Scenario Parse(string yaml) => ScenarioLoader.Parse(yaml, "scenarios/x.yaml");

    [Fact]
    public void A_sleep_step_happens_at_the_end_of_its_sleep_and_the_next_one_second_later()
    {
        var s = Parse("versions: 16\nsteps:\n  - checkpoint\n  - sleep: 16s\n  - observe\n");
        // step 1 at 1s; the sleep ends at 1s + 16s = 17s; step 3 at 18s; the run ends one second after the last step.
        Assert.Equal([1.0, 17.0, 18.0], s.Events.Select(e => e.At.TotalSeconds));
        Assert.Equal(19.0, s.Duration.TotalSeconds);
    }

    [Fact]
    public void A_mark_plus_or_minus_a_size_is_resolved_against_the_marked_insert_position()
    {
        var s = Parse("versions: 16\n" +
            "slots: [{name: rep1, type: physical, consumer: none}]\nsteps:\n  - mark: burst\n  - write: 64kB\n  - advance_slot: rep1\n    to: burst+16kB\n  - advance_slot: rep1\n    to: burst-8kB\n");
        var first = Assert.IsType<AdvanceSlot>(s.Events[2]);
        Assert.Equal(new MarkOffset("burst", 16 * 1024), first.ToMark);
        Assert.Equal(new MarkOffset("burst", -8 * 1024), Assert.IsType<AdvanceSlot>(s.Events[3]).ToMark);
        // 0/1000028 + 16kB = 0/1004028.
        Assert.Equal(Lsn.Parse("0/1004028"), first.ToMark!.Value.Resolve(Lsn.Parse("0/1000028")));
        Assert.Equal(Lsn.Parse("0/FFE028"), new MarkOffset("burst", -8 * 1024).Resolve(Lsn.Parse("0/1000028")));
    }

    [Fact]
    public void A_target_naming_a_mark_no_earlier_step_set_is_rejected_with_the_line()
    {
        var ex = Assert.Throws<ScenarioException>(() => Parse(
            "versions: 16\nslots: [{name: rep1, type: physical, consumer: none}]\nsteps:\n  - advance_slot: rep1\n    to: later+8kB\n  - mark: later\n"));
        Assert.Contains("scenarios/x.yaml:4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("names mark \"later\", but no mark: step comes before it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transaction_that_writes_when_it_begins_moves_the_insert_position_by_its_record()
    {
        // 1MB segments, start 0/100028 (segment 1): the 8kB INSERT ends at 0/100028 + 8192 = 0/102028; the pin alone writes nothing.
        const string head = "versions: 16\nwal_segment_size: 1MB\nsample_interval: 0\nsettings: {wal_level: logical}\nsteps:\n";
        var written = Simulation.Run(Parse(head + "  - begin_transaction: {name: load, write: 8kB}\n  - observe\n"), new PgVersion(16, 14));
        var pinned = Simulation.Run(Parse(head + "  - begin_transaction: load\n  - observe\n"), new PgVersion(16, 14));
        Assert.Equal(Lsn.Parse("0/102028"), written.Summary.FinalInsertLsn);
        Assert.Equal(Lsn.Parse("0/100028"), pinned.Summary.FinalInsertLsn);
    }

    [Theory]
    // RetentionPolicy.Initdb, measured: redo of initdb's shutdown checkpoint and the files above the insert segment.
    // Insert = redo + 120 (the checkpoint record); pg_wal = the insert segment + files ahead.
    [InlineData("12", "0/743158", 7)]
    [InlineData("15", "0/5F4B28", 5)]
    [InlineData("18", "0/84B330", 8)]
    public void Start_initdb_is_pg_wal_as_initdb_left_it(string version, string insert, int files)
    {
        var s = Parse("versions: " + version + "\nwal_segment_size: 1MB\nsample_interval: 0\nstart: initdb\nsteps:\n  - observe\n");
        var r = Simulation.Run(s, PgVersion.Parse(version));
        Assert.Equal(Lsn.Parse(insert), r.Summary.FinalInsertLsn);
        Assert.Equal(files, Assert.Single(r.Probes).FilesInPgWal);
    }

    [Fact]
    public void Start_initdb_is_refused_for_segments_it_was_not_measured_with()
    {
        var ex = Assert.Throws<ScenarioException>(() => Parse("versions: 16\nstart: initdb\nsteps:\n  - observe\n"));
        Assert.Contains("measured with 1MB segments", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The restart_lsn of slot cdc after each consume_slot step, read through at_step expectations.</summary>
    private static string RestartAfterSecondConsume(string between)
    {
        var s = Parse("versions: [16]\nwal_segment_size: 1MB\nsample_interval: 0\nsettings: {wal_level: logical, max_wal_size: 32MB, checkpoint_timeout: 1d}\n" +
            "slots: [{name: cdc, type: logical, consumer: none}]\nsteps:\n  - write: 64kB\n  - sleep: 20s\n  - consume_slot: cdc\n" +
            between + "  - sleep: 20s\n  - write: 8kB\n  - consume_slot: cdc\nexpect:\n  - {at_step: 7, slot: cdc, restart_lsn: 0/0}\n");
        return Assert.Single(ExpectationEvaluator.Evaluate(s, Simulation.Run(s, new PgVersion(16, 14)))).Observed;
    }

    [Fact]
    public void The_bgwriter_logs_running_xacts_every_15_s_only_if_WAL_was_inserted_since_its_previous_one()
    {
        // BackgroundWriterMain (bgwriter.c, REL_12_STABLE … REL_18_STABLE): with XLogStandbyInfoActive(), once
        // LOG_SNAPSHOT_INTERVAL_MS (15 s) has passed it calls LogStandbySnapshot() only when
        // last_snapshot_lsn <= GetLastImportantRecPtr(). Steps: 64kB at 1 s (insert 0/100028 + the slot's own 56 B
        // running_xacts + 64kB = 0/110060), the 15 s tick logs there (the first always does), a consume at 22 s.
        // Then 64kB more at 23 s: the 30 s tick logs at 0/120060 and the last consume (44 s) restarts from it.
        Assert.Equal("0/120060", RestartAfterSecondConsume("  - write: 64kB\n"));
        // Nothing written between the 15 s and 30 s ticks: the 30 s tick logs nothing; the 8kB at 43 s comes before
        // the 45 s tick, so the decoder's newest restart point is still the 15 s record.
        Assert.Equal("0/110060", RestartAfterSecondConsume("  - observe\n"));
    }

    [Fact]
    public void A_dirty_write_makes_the_next_non_immediate_checkpoint_spread_its_write_phase()
    {
        // BufferSync paced by CheckpointWriteDelay (checkpointer.c): 100 ms naps while IsCheckpointOnSchedule, so the
        // buffers of a table write last until cct x checkpoint_timeout = 0.3 x 30 s = 9 s. Step 1 CHECKPOINT at 1 s,
        // the write at 2 s, the timed checkpoint at 31 s: it completes at 40 s with dirty buffers, at once without.
        const string head = "versions: [16]\nwal_segment_size: 1MB\nsample_interval: 0\n" +
            "settings: {max_wal_size: 32MB, checkpoint_timeout: 30s, checkpoint_completion_target: 0.3}\nsteps:\n  - checkpoint\n";
        var dirty = Parse(head + "  - write: 4MB\n    dirty: true\n  - sleep: 31s\n  - sleep: 5s\n  - sleep: 8s\n");
        var clean = Parse(head + "  - write: 4MB\n  - sleep: 31s\n  - sleep: 5s\n  - sleep: 8s\n");
        Assert.True(Assert.IsType<WriteWal>(dirty.Events[1]).Dirty);
        Assert.Equal(CheckpointWrite.Instant, dirty.CheckpointWrite);
        Assert.Equal(CheckpointWrite.Spread, dirty.CheckpointWrite.WithDirtyBuffers(true));
        Assert.Equal(CheckpointWrite.Fixed(SimDuration.FromSeconds(270)), CheckpointWrite.Fixed(SimDuration.FromSeconds(270)).WithDirtyBuffers(true));
        static double[] ends(Scenario s)
        {
            var observer = new CollectingObserver();
            Simulation.Run(s, new PgVersion(16, 14), observer);
            return [.. observer.Checkpoints.Where(c => !c.Skipped).Select(c => c.End.TotalSeconds)];
        }
        Assert.Equal([1.0, 40.0], ends(dirty));
        Assert.Equal([1.0, 31.0], ends(clean));
    }

    [Fact]
    public void PG18_checks_the_idle_timeout_when_a_spread_checkpoint_ends_not_when_it_starts()
    {
        // CreateCheckPoint (xlog.c, REL_18_STABLE) calls InvalidateObsoleteReplicationSlots(RS_INVAL_IDLE_TIMEOUT …)
        // after CheckPointGuts: the timed checkpoint starts at 31 s (idle1 idle 31 s < 35 s) and ends at 40 s (40 s ≥ 35 s).
        var s = ScenarioLoader.Load(RepoPaths.Of("scenarios", "step-idle-timeout-spread-checkpoint.yaml"));
        var outcomes = ExpectationEvaluator.Evaluate(s, Simulation.Run(s, new PgVersion(18, 4)));
        Assert.All(outcomes, o => Assert.True(o.Passed, $"{o.Expectation}: {o.Observed}"));
        var withoutDirt = s with { Events = [.. s.Events.Select(e => e is WriteWal w ? w with { Dirty = false } : e)] };
        // Without dirty buffers the timed checkpoint ends at 31 s, idle 31 s: the slot survives it.
        Assert.Contains(ExpectationEvaluator.Evaluate(withoutDirt, Simulation.Run(withoutDirt, new PgVersion(18, 4))), o => !o.Passed);
    }
}

using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// The global slot minimum behind a STREAMING logical consumer (retention-model.md §12.3): logical.c
/// <c>LogicalConfirmReceivedLocation</c> calls <c>ReplicationSlotsComputeRequiredLSN</c> only when catalog_xmin moved
/// (REL_12_STABLE..REL_18_STABLE alike), and a running_xacts decoded at or before confirmed_flush moves catalog_xmin
/// (and recomputes) before its restart point moves restart_lsn (<c>LogicalIncreaseXminForSlot</c>, then
/// <c>LogicalIncreaseRestartDecodingForSlot</c>). So when a consumer has confirmed an idle server's end of WAL, the
/// next running_xacts leaves the minimum one record behind restart_lsn, and KeepLogSeg keeps from there.
/// </summary>
public class LogicalStreamingMinimumTests
{
    private static string Scenario(string name) =>
        RepoPaths.Of("scenarios", name);

    private static ulong Seg(Lsn lsn) => lsn.Value / (1024 * 1024);

    // 1 MB segments; 1 MB written at 20, 50 and 80 s; timed checkpoints start at 30, 60, 90 s and end 7 s later; the
    // consumer confirms every second what was written by then, so at each checkpoint it has confirmed the end of WAL.
    private const string BurstsThenIdle = """
        name: bursts-then-idle
        versions: [15]
        wal_segment_size: 1MB
        duration: 100s
        sample_interval: 0
        settings: {wal_level: logical, checkpoint_timeout: 30s, max_wal_size: 64MB, min_wal_size: 2MB}
        checkpoint_write: 7s
        slots:
          - {name: cdc, type: logical, created_at: 1s, consumer: {confirm_every: 1s}}
        events:
          - {at: 20s, write: 1MB}
          - {at: 50s, write: 1MB}
          - {at: 80s, write: 1MB}
        """;

    private static CollectingObserver Run(string version)
    {
        var observer = new CollectingObserver();
        Simulation.Run(ScenarioLoader.Parse(BurstsThenIdle, "bursts-then-idle.yaml"), PgVersion.Parse(version), observer);
        return observer;
    }

    [Theory]
    // The bgwriter's running_xacts at 30 s sits at the end of the first burst, 0/200060 (segment 2), which the consumer
    // confirmed at 29 s: decoded at once, its xmin (the burst's xid) recomputes the minimum with restart_lsn still in
    // segment 1, then restart_lsn moves to 0/200060. The checkpoint ending at 37 s reads the minimum at its end and
    // keeps segment 1, one before the slot's own; likewise segment 2 at 67 s (restart_lsn 0/300110) and 3 at 97 s.
    // (walsim before this rule recomputed at every move: keep 2, 3, 4.)
    [InlineData("12")]
    [InlineData("14.18")]
    [InlineData("15.13")]
    [InlineData("16.9")]
    // 13.22+/14.19+/15.14+/16.10+/17.6+ read the minimum at the checkpoint's start (30, 60, 90 s), before that
    // running_xacts was decoded: the same segments (17: restart_lsn 32 B later, after each XLOG_CHECKPOINT_REDO).
    [InlineData("15.18")]
    [InlineData("17.10")]
    public void A_checkpoint_keeps_from_the_restart_lsn_the_last_recompute_saw_one_segment_before_the_slots_own(string version)
    {
        var run = Run(version);

        var ends = run.Timeline.Where(p => p.Reason == RowReason.CheckpointEnd).ToList();
        Assert.Equal([2UL, 3UL, 4UL], ends.Select(p => Seg(p.Slots.Single().RestartLsn)));
        Assert.Equal([1UL, 2UL, 3UL], run.Checkpoints.Select(c => c.Keep.Value));
        Assert.All(ends, p => Assert.Equal(Seg(p.Slots.Single().RestartLsn) - 1, p.KeepSegment.Value));
    }

    [Theory]
    // 18: the checkpoint's 32 B XLOG_CHECKPOINT_REDO at 30 s comes before the bgwriter's running_xacts of that instant,
    // so that record is past what the consumer confirmed at 29 s: both candidates wait for the 31 s report, which
    // applies them together and recomputes with the new restart_lsn. The checkpoint keeps the slot's own segment.
    [InlineData("18.4")]
    public void A_running_xacts_past_the_confirmed_position_recomputes_with_the_new_restart_lsn(string version)
    {
        Assert.Equal([2UL, 3UL, 4UL], Run(version).Checkpoints.Select(c => c.Keep.Value));
    }

    [Theory]
    // scenarios/step-logical-streaming-consumer.yaml (1 MB segments, a consumer confirming every 200 ms), as the real
    // servers did it under walsim validate (12.22, 16.14, 17.10, 18.4; segment numbers relative to the scenario's start).
    // 12-16: the CHECKPOINTs' running_xacts sit at the redo, the end of WAL the consumer confirmed: taken at once, so
    // step 5's (seg 5) recomputes with the slot's creation point (seg 2) and step 7's (seg 8) with seg 5.
    //   12:    keep 2 at step 7, 5 at step 11, 8 at step 13 (restart_lsn then in 5, 8, 13).
    //   13-16: step 7 keeps seg 2 capped at 8 - 4 = 4 by max_slot_wal_keep_size=4MB; step 11 invalidates cdc
    //          (restart_lsn seg 8 < keep 13 - 4 = 9).
    // 17-18: the running_xacts is 32 B past the confirmed end (after XLOG_CHECKPOINT_REDO): it waits, and the consumer's
    //        next report applies it with its xmin, recomputing with the new restart_lsn: step 7 keeps seg 5.
    [InlineData("12", 2, 5, 8, false)]
    [InlineData("13", 4, 9, 14, true)]
    [InlineData("15", 4, 9, 14, true)]
    [InlineData("16", 4, 9, 14, true)]
    [InlineData("17", 5, 9, 14, true)]
    [InlineData("18", 5, 9, 14, true)]
    public void The_streaming_consumer_step_list_keeps_what_the_real_servers_kept(string version, int step7, int step11, int step13, bool lost)
    {
        var s = ScenarioLoader.Load(Scenario("step-logical-streaming-consumer.yaml"));
        var r = Simulation.Run(s, PgVersion.Parse(version));

        Assert.Equal((ulong)step7, r.CheckpointsByStep[7].KeepBeforeInvalidation.Value);
        Assert.Equal((ulong)step11, r.CheckpointsByStep[11].KeepBeforeInvalidation.Value);
        Assert.Equal((ulong)step13, r.CheckpointsByStep[13].KeepBeforeInvalidation.Value);
        Assert.Equal(lost, r.Slots.Single().Lost is not null);
    }

    [Fact]
    public void Stopping_the_consumer_does_not_recompute_the_minimum()
    {
        // ReplicationSlotRelease recomputes no LSN. On 12 step 8 stops the consumer with restart_lsn at step 7's
        // running_xacts (seg 8) while the minimum still has seg 5; step 11's checkpoint keeps seg 5, not 8.
        var s = ScenarioLoader.Load(Scenario("step-logical-streaming-consumer.yaml"));
        var r = Simulation.Run(s, PgVersion.Parse("12"));

        Assert.Equal(8UL, Seg(r.Probes.Last(p => p.Step == 8).Slots.Single().RestartLsn));
        Assert.Equal(5UL, r.CheckpointsByStep[11].Keep.Value);
    }

    [Theory]
    // The shared rule: no xmin move, no recompute; taken at once, the restart_lsn before the record; else the new one.
    [InlineData(false, true, null)]
    [InlineData(false, false, null)]
    [InlineData(true, true, "0/200028")]
    [InlineData(true, false, "0/500028")]
    public void LogicalConfirmReceivedLocation_recomputes_only_when_catalog_xmin_moved(bool xminMoved, bool atOnce, string? seen)
    {
        var recomputed = LogicalSlotMinimum.RecomputedWith(xminMoved, atOnce, Lsn.Parse("0/200028"), Lsn.Parse("0/500028"));
        Assert.Equal(seen, recomputed?.ToString());
    }
}

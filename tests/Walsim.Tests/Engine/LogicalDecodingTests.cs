using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// How a logical slot's restart_lsn and the global slot minimum move when the slot is decoded by SQL
/// (retention-model.md §12.2): logical.c <c>LogicalIncreaseRestartDecodingForSlot</c> (one waiting candidate, later ones
/// dropped, one at or before confirmed_flush taken at once) and <c>LogicalConfirmReceivedLocation</c> (the minimum is
/// recomputed only when catalog_xmin moves), REL_12_STABLE through REL_18_STABLE; positions from the scenarios' step
/// lists, measured on 12.22, 13, 16.14, 17.10 and 18.4 with walsim validate.
/// </summary>
public class LogicalDecodingTests
{
    private static string Scenario(string name) =>
        RepoPaths.Of("scenarios", name);

    private static TimelineRow AtStep(SimulationResult r, int step) => r.Probes.Last(p => p.Step == step);

    [Theory]
    // 12-16: the first checkpoint's running_xacts is at its redo 0/200110 = confirmed_flush (the end of the slot's own
    // running_xacts at 0/2000D8 + 56 B): taken at once; the half-way one at 0/500028 waits and is confirmed.
    [InlineData("12", "0/500028")]
    [InlineData("16", "0/500028")]
    // 17+: the 32 B XLOG_CHECKPOINT_REDO at 0/200130 pushes that running_xacts to 0/200150 > confirmed_flush 0/200130:
    // it waits, the half-way one (0/500048) is dropped, and the confirmation applies 0/200150.
    [InlineData("17", "0/200150")]
    [InlineData("18", "0/200150")]
    public void Get_changes_over_a_mid_burst_checkpoint_moves_restart_lsn_to_the_first_waiting_candidate(string version, string restart)
    {
        var s = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(Scenario("step-logical-consume-mid-burst.yaml"));
        var r = Simulation.Run(s, PgVersion.Parse(version));
        Assert.Equal(Lsn.Parse(restart), AtStep(r, 8).Slots.Single().RestartLsn);
    }

    [Theory]
    [InlineData("17", 2, 4)]   // restart seg 2 with a 4MB cap at redo seg 8: 8 - 2 = 6 > 4 -> lost at step 9
    [InlineData("16", 5, 5)]   // restart seg 5: 8 - 5 = 3 <= 4 -> kept; KeepLogSeg keeps seg 5
    public void On_17_the_slot_a_consumer_just_confirmed_is_invalidated_by_the_next_checkpoint(string version, int restartSeg, int firstKeep)
    {
        var s = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(Scenario("step-logical-consume-mid-burst.yaml"));
        var r = Simulation.Run(s, PgVersion.Parse(version));
        Assert.Equal((ulong)restartSeg, s.SegmentSize.SegmentOf(AtStep(r, 8).Slots.Single().RestartLsn).Value);
        Assert.Equal((ulong)firstKeep, r.CheckpointsByStep[9].KeepBeforeInvalidation.Value);
        Assert.Equal(version == "17", r.Slots.Single().Lost is not null);
    }

    [Theory]
    [InlineData("12", "0/600028")]
    [InlineData("15", "0/600028")]
    [InlineData("17", "0/600048")]
    [InlineData("18", "0/600048")]
    public void After_get_changes_takes_a_restart_point_at_once_the_minimum_keeps_the_one_before(string version, string restart)
    {
        // Step 11 decodes the third checkpoint's running_xacts (seg 6) at or before confirmed_flush with a newer
        // catalog_xmin: LogicalIncreaseXminForSlot recomputes the minimum first (restart_lsn then at the half-way
        // checkpoint's, seg 4), then restart_lsn moves to seg 6 with no recompute. The checkpoint of step 12 (redo
        // seg 7) keeps from seg 4: two segments the slot itself no longer needs.
        var s = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(Scenario("step-logical-consume-stale-minimum.yaml"));
        var r = Simulation.Run(s, PgVersion.Parse(version));
        Assert.Equal(Lsn.Parse(restart), AtStep(r, 11).Slots.Single().RestartLsn);
        Assert.Equal(4UL, r.CheckpointsByStep[12].Keep.Value);
    }
}

using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Engine;

/// <summary>
/// A physical slot created with <c>pg_create_physical_replication_slot(name, false)</c> (issue 15 item 1): it holds no
/// WAL and has no position until a standby reports one, and <c>pg_replication_slot_advance</c> refuses it — "A slot
/// whose restart_lsn has never been reserved cannot be advanced" (slotfuncs.c, REL_12_STABLE … REL_18_STABLE,
/// ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE = 55000). Confirmed on 12.22–18.4 by scenarios/step-unreserved-physical-slot.yaml.
/// </summary>
public sealed class UnreservedSlotTests
{
    private const long MB = 1024 * 1024;

    private static Scenario Parse(string steps, string versions = "[15]") => ScenarioLoader.Parse($"""
        versions: {versions}
        wal_segment_size: 1MB
        sample_interval: 0
        settings: {"{"}min_wal_size: 2MB, max_wal_size: 16MB, log_checkpoints: "on"{"}"}
        version_settings:
          "13+": {"{"}max_slot_wal_keep_size: 4MB{"}"}
        slots:
          - {"{"}name: held, type: physical, reserve: true{"}"}
          - {"{"}name: spare, type: physical, reserve: false{"}"}
        steps:
        {steps}
        """, "scenarios/x.yaml");

    private static SlotView At(SimulationResult r, int step, string slot) =>
        r.Probes.Last(x => x.Reason == RowReason.Step && x.Step == step).Slots.Single(s => s.Name == slot);

    // Worked (13+, cap k = MBtoSegs(4MB) = 4, wal_keep_size 0): write_segments 7 ends at 0/800000 (segment 8).
    // pg_get_replication_slots: GetWALAvailability(InvalidXLogRecPtr) = WALAVAIL_INVALID_LSN → wal_status NULL; the
    // slot is not WALAVAIL_REMOVED and the cap is set, so safe_wal_size is computed from XLByteToSeg(0) = segment 0:
    // (0 + max(4, 0) + 1) × 1MB − 0/800000 = 5MB − 8MB = −3MB, however far behind the other slot is. The checkpoint
    // keeps from segment 8 − 4 = 4: held (segment 1) is invalidated, spare (no restart_lsn) is not looked at.
    [Theory]
    [InlineData("13.23")]
    [InlineData("16.14")]
    [InlineData("18.4")]
    public void A_never_reserved_slot_shows_null_wal_status_a_safe_wal_size_from_segment_zero_and_is_never_invalidated(string version)
    {
        var scenario = Parse("""
              - advance_slot: spare
                error: "55000"
              - write_segments: 7
              - checkpoint
              - observe
            """, $"[{version}]");
        var o = Simulation.Run(scenario, PgVersion.Parse(version));

        Assert.False(At(o, 1, "spare").RestartLsn.IsValid);                  // the refused advance changed nothing
        Assert.Equal(WalStatus.Null, At(o, 2, "spare").WalStatus);
        Assert.Equal(-3 * MB, At(o, 2, "spare").SafeWalSize!.Value.Bytes);
        Assert.Equal(WalStatus.Unreserved, At(o, 2, "held").WalStatus);
        Assert.Equal(WalStatus.Lost, At(o, 4, "held").WalStatus);
        Assert.Equal(WalStatus.Null, At(o, 4, "spare").WalStatus);
        Assert.Equal(InvalidationCause.None, At(o, 4, "spare").Invalidation);
        var spare = o.Slots.Single(s => s.Name == "spare");
        Assert.Null(spare.Lost);
        Assert.Null(spare.FirstUnreserved);
    }

    [Fact]
    public void Advancing_a_never_reserved_slot_with_pg_replication_slot_advance_is_an_error_as_on_the_server()
    {
        var e = Assert.Throws<ScenarioValidationException>(() => Simulation.Run(Parse("  - advance_slot: spare"), PgVersion.Parse("15")));
        Assert.Contains("replication slot \"spare\" cannot be advanced", e.Message, StringComparison.Ordinal);
        Assert.Contains("SQLSTATE 55000", e.Message, StringComparison.Ordinal);
        Assert.Contains("via: walsender", e.Message, StringComparison.Ordinal);

        // And a declared refusal of a slot that has reserved WAL is an error in the scenario, not a silent pass.
        var wrong = Assert.Throws<ScenarioValidationException>(() => Simulation.Run(Parse("""
              - advance_slot: held
                error: "55000"
            """), PgVersion.Parse("15")));
        Assert.Contains("the server would advance it", wrong.Message, StringComparison.Ordinal);
    }

    // PhysicalConfirmReceivedLocation (walsender.c) sets restart_lsn from a standby's flush position, reserved or not:
    // after write_segments 2 (0/300000) the report gives the spare slot its first position, and from then it holds WAL.
    [Fact]
    public void A_walsenders_flush_report_gives_a_never_reserved_slot_its_first_restart_lsn()
    {
        var o = Simulation.Run(Parse("""
              - write_segments: 2
              - advance_slot: spare
                via: walsender
            """), PgVersion.Parse("15"));
        Assert.Equal(new Lsn(3 * (ulong)MB), At(o, 2, "spare").RestartLsn);
        Assert.Equal(WalStatus.Reserved, At(o, 2, "spare").WalStatus);
    }
}

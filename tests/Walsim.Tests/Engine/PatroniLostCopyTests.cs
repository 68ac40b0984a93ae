using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;

namespace Walsim.Tests.Engine;

/// <summary>
/// Patroni 3.0's handling of a permanent slot copy that the replica's own restartpoint invalidated
/// (patroni/postgresql/slots.py 3.0.2, <c>SlotsAdvanceThread.sync_slot</c>: a re-copy only on SQLSTATE 58P01, while
/// advancing an invalidated slot fails with 55000; <c>_drop_incorrect_slots</c> has no wal_status check): the copy
/// stays invalidated, where newer Patroni drops and copies it again (docs/design/failover.md §1.3, §4.4).
/// </summary>
public class PatroniLostCopyTests
{
    private static string Yaml() => File.ReadAllText(RepoPaths.Of("scenarios", "failover-patroni-3.0-lost-copy.yaml"));

    private static SlotFailover Outcome(string yaml)
    {
        var s = ScenarioLoader.Parse(yaml, "lost-copy.yaml");
        return Simulation.Run(s, s.Versions[0]).Failovers.Single().Slots.Single(x => x.Slot == "cdc");
    }

    [Fact]
    public void Patroni_3_0_keeps_an_invalidated_copy_so_the_failover_finds_it_unusable()
    {
        // 5MB/s, the consumer stopped at 1h, b's 16GB cap invalidates the copy at ~1h59m; failover at 2h30m.
        var o = Outcome(Yaml());
        Assert.Equal("invalidated", o.OnNewPrimary);
        Assert.Null(o.CopyConfirmed);
        // Re-created at P: 1h30m12s of WAL at 5MB/s = 26.4GB missed.
        Assert.InRange(o.Missed.Bytes, 26L * 1024 * 1024 * 1024, 27L * 1024 * 1024 * 1024);
    }

    [Fact]
    public void Newer_Patroni_drops_the_lost_copy_and_copies_it_again()
    {
        var o = Outcome(Yaml().Replace("lost_copy: keep", "lost_copy: recopy", StringComparison.Ordinal));
        Assert.NotEqual("invalidated", o.OnNewPrimary);
    }

    [Fact]
    public void Lost_copy_is_a_patroni_setting_only()
    {
        var yaml = Yaml().Replace("{mechanism: patroni, loop_wait: 10s, lost_copy: keep}", "{mechanism: pg_failover_slots, lost_copy: keep}", StringComparison.Ordinal);
        var e = Assert.ThrowsAny<Exception>(() => ScenarioLoader.Parse(yaml, "lost-copy.yaml"));
        Assert.Contains("lost_copy is Patroni's", e.Message, StringComparison.Ordinal);
    }
}

using Walsim.Simulator.Engine;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>wal_status changes are recorded when the write position crosses the threshold, not at the next checkpoint.</summary>
public class WalStatusTimingTests
{
    // GetWALAvailability (retention-model.md §9.1): with max_slot_wal_keep_size (512MB = 32 segs) below max_wal_size (1GB = 64 segs),
    // a slot goes reserved → unreserved without passing through extended. Slot at segment 1 (created at 1 min,
    // insert = 16MB + 12MB/min): unreserved once segno(write) ≥ 1 + 32 + 1 = 34, i.e. write ≥ 544MB, at 44 min.
    [Theory]
    [InlineData("13.23")]
    [InlineData("15.18")]
    [InlineData("18.4")]
    public void Slot_capped_below_max_wal_size_turns_unreserved_the_moment_it_falls_behind_the_cap(string version)
    {
        var scenario = new Scenario
        {
            Name = "cap-below-max-wal-size",
            Versions = [PgVersion.Parse(version)],
            Settings = new Dictionary<string, string>
            {
                ["max_wal_size"] = "1GB", ["max_slot_wal_keep_size"] = "512MB", ["checkpoint_timeout"] = "5min",
            },
            Workload = new Workload([new ConstantRate(12 * 1048576 / 60.0, SimTime.Zero, SimTime.Never)]),
            Slots = [new SlotSpec { Name = "stuck", CreatedAt = SimTime.FromSeconds(60) }],
            Duration = SimDuration.FromHours(1),
        };

        var slot = Assert.Single(Simulation.Run(scenario, PgVersion.Parse(version)).Slots);

        Assert.Equal(SimTime.FromSeconds(44 * 60), RoundToSecond(slot.FirstUnreserved));
        Assert.Equal(slot.FirstUnreserved, slot.FirstExtended); // never shown as 'extended' before
        Assert.NotNull(slot.Lost);
        Assert.True(slot.Lost > slot.FirstUnreserved); // lost only at the next checkpoint's invalidation
    }

    private static SimTime? RoundToSecond(SimTime? t) => t is { } x ? SimTime.FromSeconds(Math.Round(x.TotalSeconds)) : null;
}

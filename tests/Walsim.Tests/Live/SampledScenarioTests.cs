using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Live;

/// <summary>
/// <see cref="SampledScenario"/>: a real trace as a scenario, for <c>walsim whatif samples.csv</c>. Replayed on the
/// version it was recorded on it must do what the server did; then other versions can be asked.
/// </summary>
public class SampledScenarioTests
{
    private static string Trace(string name, string file) =>
        RepoPaths.Of("scenarios", "traces", name, file);

    private static Scenario Build(string name)
    {
        var samples = Trace(name, "samples.csv");
        return SampledScenario.Build(samples, SampleFrames.Group(SampleFile.Read(samples)), SampleFile.ReadSettings(SampleFile.SettingsPath(samples)).ToList());
    }

    [Fact]
    public void The_diurnal_pg15_trace_replayed_on_15_loses_the_cdc_slot_when_the_server_did_and_12_never_does()
    {
        // diurnal-pg15: PostgreSQL 15.18, 1MB segments, max_slot_wal_keep_size=64MB; pg_recvlogical (the cdc consumer)
        // is killed and the server invalidates cdc; pg_receivewal keeps standby1 up.
        var scenario = Build("diurnal-pg15");
        Assert.Equal("64MB", scenario.Settings["max_slot_wal_keep_size"]);
        Assert.Equal(PgVersion.Parse("15.18"), scenario.Versions.Single());

        // The server logged the invalidation at 14:11:32.814 UTC, 27m31.95s after the first sample (13:44:00.862).
        var samples = Trace("diurnal-pg15", "samples.csv");
        var t0 = SampleFrames.Group(SampleFile.Read(samples)).First().Server.ServerTime;
        var logged = SimTime.Zero + new SimDuration((DateTimeOffset.Parse("2026-11-21T14:11:32.814Z", System.Globalization.CultureInfo.InvariantCulture) - t0).Ticks / 10);

        var on15 = Simulation.Run(scenario, PgVersion.Parse("15.18"));
        var lost = on15.Slots.Single(s => s.Name == "cdc").Lost;
        // The replay runs the engine's own checkpointer (every checkpoint_timeout = 30s from the sampled last
        // checkpoint), not the server's observed checkpoints (that is walsim replay's job), so the invalidating
        // checkpoint may fall a few seconds either side of the real one — within one checkpoint_timeout.
        Assert.NotNull(lost);
        Assert.InRange(lost!.Value.Microseconds, (logged - SimDuration.FromSeconds(30)).Microseconds, (logged + SimDuration.FromSeconds(30)).Microseconds);
        Assert.Null(on15.Slots.Single(s => s.Name == "standby1").Lost);

        // 12 has no cap: cdc holds everything from where the consumer stopped to the end of the trace.
        var on12 = Simulation.Run(scenario with { Settings = scenario.Settings.Where(kv => kv.Key != "max_slot_wal_keep_size" && kv.Key != "wal_keep_size").ToDictionary() }, PgVersion.Parse("12"));
        Assert.Null(on12.Slots.Single(s => s.Name == "cdc").Lost);
        Assert.True(on12.Summary.PeakPgWalBytes > on15.Summary.PeakPgWalBytes * 2);
    }
}

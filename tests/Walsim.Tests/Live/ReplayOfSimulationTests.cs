using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// The engine and the replay decide the same things two ways: the engine in its event loop, the replay from one
/// sample to the next with the per-checkpoint functions. Samples written from a simulation must replay with every
/// decision agreeing — files, oldest file, invalidations at each checkpoint, wal_status and safe_wal_size at each
/// sample.
/// </summary>
public sealed class ReplayOfSimulationTests
{
    // 2 MiB/s for 6 h; rep1's standby keeps up; cdc's connector stops after an hour and never returns, so with a 2GB
    // cap it goes extended, unreserved and lost about 17 minutes later (+ a checkpoint).
    private static Scenario Busy(string version) => new()
    {
        Name = "busy",
        Versions = [PgVersion.Parse(version)],
        Settings = new Dictionary<string, string>
        {
            ["max_wal_size"] = "1GB", ["min_wal_size"] = "80MB", ["checkpoint_timeout"] = "5min",
            ["wal_level"] = "logical",
        },
        VersionSettings = [new VersionedSettings(VersionRange.TryParse("13+", out var r, out _) ? r : default,
            new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "2GB" })],
        Workload = new Workload([new ConstantRate(2 * ByteCount.MiB, SimTime.Zero, SimTime.Never)]),
        Slots =
        [
            new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10) } },
            new SlotSpec { Name = "cdc", Kind = SlotKind.Logical, Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(3600), SimTime.Never)] } },
        ],
        SampleInterval = SimDuration.FromSeconds(10),
        Duration = SimDuration.FromHours(6),
    };

    [Theory]
    [InlineData("12")]
    [InlineData("13.3")]
    [InlineData("13")]
    [InlineData("14.18")]
    [InlineData("15")]
    [InlineData("16.9")]
    [InlineData("17")]
    [InlineData("18")]
    public void Replaying_the_engines_own_timeline_agrees_with_every_decision(string version)
    {
        var scenario = Busy(version);
        var v = scenario.Versions[0];
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var samples = new StringWriter();
        var writer = new SimulatedSamples(samples, v, scenario.SegmentSize, t0);
        Simulation.Run(scenario, v, writer);
        var settings = new StringWriter();
        var all = new Dictionary<string, string>(scenario.Settings);
        foreach (var vs in scenario.VersionSettings.Where(x => x.Versions.Contains(v))) foreach (var (k, val) in vs.Settings) all[k] = val;
        SimulatedSamples.WriteSettings(settings, all, t0);

        var settingRows = SampleFile.ReadSettings(new StringReader(settings.ToString()), "s.settings.csv").ToList();
        var replay = new LiveReplay("s.csv", pg => SampledSettings.From(settingRows, pg));
        foreach (var f in SampleFrames.Group(SampleFile.Read(new StringReader(samples.ToString()), "s.csv"))) replay.Add(f);
        var result = replay.Finish();

        var report = new StringWriter();
        ReplayReport.WriteText(report, "s.csv", result, listCheckpoints: false);
        Assert.Equal(2 * (6 * 360 + 1), writer.Rows);
        // 12–13 (cct 0.5): 42 segments between WAL requests = 336 s > 5 min, so timed, one every 5 min: 71 completed
        // (the one started at 6 h has not ended). 14+ (cct 0.9): 33 segments = 264 s, requested by WAL volume: 80.
        Assert.Equal(v.Major >= 14 ? 80 : 71, result.Checkpoints.Observed);
        Assert.True(result.Agrees, report.ToString());
        var cdc = result.Slots.Single(s => s.Name == "cdc");
        Assert.Equal(v.Major >= 13, cdc.FirstLost is not null);
    }
}

using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Live;

/// <summary>
/// The classic incident, with the engine as the server: a PG15 primary on 1MB segments writing 160 kB/s, max_wal_size
/// 2MB (CheckPointSegments = floor(2 / 1.9) = 1: a checkpoint requested by WAL volume every segment, every 1MB /
/// 160 kB/s = 6.4 s), max_slot_wal_keep_size 8MB, and a physical slot created with reserve at the start that nobody
/// ever consumes. Sampled every second; a forecast from the first 40 s (shorter than the minute a moving consumer is
/// given) must see the slot stalled and carry the checkpoints' write phase into its scenario, so that the engine then
/// checkpoints, and loses the slot, when the server did.
/// </summary>
public sealed class ForecastCadenceTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PgVersion Pg15 = new(15, 18);
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);
    private const double Rate = 160 * 1024;
    private static readonly SimDuration Split = SimDuration.FromSeconds(40);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["max_wal_size"] = "2MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "5min", ["max_slot_wal_keep_size"] = "8MB",
    };

    private static Workload Steady => new([new ConstantRate(Rate, SimTime.Zero, SimTime.Never)]);

    private static Scenario Server(CheckpointWrite write) => new()
    {
        Name = "forgotten slot",
        Versions = [Pg15],
        SegmentSize = Seg,
        Settings = Settings,
        Workload = Steady,
        Slots = [new SlotSpec { Name = "forgotten" }],
        CheckpointWrite = write,
        SampleInterval = SimDuration.FromSeconds(1),
        Duration = SimDuration.FromSeconds(100),
    };

    /// <summary>Forwards the timeline to the sample writer and keeps the checkpoints.</summary>
    private sealed class Recorder(ISimulationObserver? samples = null) : ISimulationObserver
    {
        public List<CheckpointRecord> Checkpoints { get; } = [];
        public void OnTimelineRow(TimelineRow row) => samples?.OnTimelineRow(row);
        public void OnCheckpoint(CheckpointRecord c)
        {
            samples?.OnCheckpoint(c);
            if (!c.Skipped) Checkpoints.Add(c);
        }
    }

    /// <summary>The server's run, its samples up to the split read as a forecast's input.</summary>
    private static (ForecastInput Input, SimulationResult Server, List<CheckpointRecord> Checkpoints) SampleTheServer(CheckpointWrite write)
    {
        var samples = new StringWriter();
        var recorder = new Recorder(new SimulatedSamples(samples, Pg15, Seg, T0));
        var result = Simulation.Run(Server(write), Pg15, recorder);
        var settings = new StringWriter();
        SimulatedSamples.WriteSettings(settings, Settings, T0);
        var settingRows = SampleFile.ReadSettings(new StringReader(settings.ToString()), "s.settings.csv").ToList();
        var frames = SampleFrames.Group(SampleFile.Read(new StringReader(samples.ToString()), "s.csv"));
        var input = ForecastInput.Read("s.csv", frames, settingRows, new ReplayLimit(T0.AddSeconds(Split.TotalSeconds), null));
        return (input, result, recorder.Checkpoints);
    }

    /// <summary>The forecast's scenario run at the server's own rate, on the server's clock.</summary>
    private static (SimTime? Lost, List<(double Start, double End)> Checkpoints) Forecast(ForecastInput input, CheckpointWrite? instead = null)
    {
        var scenario = Forecaster.StartingScenario(input, new ForecastOptions(SimDuration.FromSeconds(60), 1, 1, null), WhatIf.CurrentTrend) with
        {
            Workload = Steady,
        };
        if (instead is { } w) scenario = scenario with { CheckpointWrite = w };
        var recorder = new Recorder();
        var result = Simulation.Run(scenario, Pg15, recorder);
        var lost = result.Slots.Single(s => s.Name == "forgotten").Lost;
        return (lost is { IsNever: false } l ? l + Split : null,
            recorder.Checkpoints.Select(c => ((c.Start + Split).TotalSeconds, (c.End + Split).TotalSeconds)).ToList());
    }

    [Theory]
    [InlineData(0.0)]   // few dirty buffers: each checkpoint decides as it starts
    [InlineData(2.5)]   // a write phase of 2.5 s, longer than the 1 s between samples
    public void A_forecast_from_40_s_sees_the_forgotten_slot_stalled_and_checkpoints_when_the_server_did(double writeSeconds)
    {
        var write = writeSeconds == 0 ? CheckpointWrite.Instant : CheckpointWrite.Fixed(SimDuration.FromSeconds(writeSeconds));
        var (input, server, serverCheckpoints) = SampleTheServer(write);

        // 40 s, 6.4MB written, the slot never moved and nobody is connected: stalled since the first sample.
        var slot = input.Slots.Single();
        Assert.Equal((ConsumerState.Stalled, T0, true), (slot.Consumer, slot.StalledSince, slot.NeverMoved));
        Assert.False(Forecaster.StartingScenario(input, new ForecastOptions(SimDuration.FromHours(1), 1, 1, null), WhatIf.CurrentTrend)
            .Slots.Single().Consumer.Connected);

        // Every checkpoint requested by WAL volume, one a segment: 6.4 s apart.
        var c = input.Checkpoints;
        Assert.True(c.Observed >= 5, $"{c.Observed} checkpoints");
        Assert.Equal(c.Observed, c.ByWalVolume);
        Assert.InRange(c.MeanInterval!.Value.TotalSeconds, 6.3, 6.5);

        // The write phase measured between the samples: instant below their 1 s resolution, else within half a sample.
        var measured = input.WritePhases.ForForecast;
        output.WriteLine($"write phase: server {write}, measured {measured} ({input.WritePhases.Describe()})");
        if (writeSeconds == 0) Assert.Equal(CheckpointWrite.Instant, measured);
        else
        {
            Assert.Equal(CheckpointWriteKind.Fixed, measured.Kind);
            Assert.InRange(measured.FixedDuration.TotalSeconds, writeSeconds - 0.5, writeSeconds + 0.5);
        }

        // The forecast's engine, from the sample at 40 s on: each checkpoint starts where the server's did (the same
        // WAL-volume requests) and decides within half a sample of it; the slot is lost at the same checkpoint. (One
        // still writing at 40 s — the 2.5 s phase from 38.4 s — has not reached pg_control, so no sample shows it and
        // the forecast does not know of it: its comparison starts with the next.)
        var (lost, checkpoints) = Forecast(input);
        var serverAfter = serverCheckpoints.Where(k => k.Start > SimTime.Zero + Split).Select(k => (Start: k.Start.TotalSeconds, End: k.End.TotalSeconds)).ToList();
        var serverLost = server.Slots.Single().Lost!.Value;
        output.WriteLine($"server: checkpoints {string.Join(", ", serverAfter.Select(k => $"{k.Start:0.00}-{k.End:0.00}"))}; lost at {serverLost}");
        output.WriteLine($"forecast: checkpoints {string.Join(", ", checkpoints.Select(k => $"{k.Start:0.00}-{k.End:0.00}"))}; lost at {lost}");
        Assert.True(checkpoints.Count >= 5);
        foreach (var (k, s) in checkpoints.Zip(serverAfter))
        {
            Assert.InRange(k.Start, s.Start - 0.01, s.Start + 0.01);
            Assert.InRange(k.End, s.End - 0.5, s.End + 0.5);
        }
        Assert.NotNull(lost);
        Assert.InRange((lost!.Value - serverLost).TotalSeconds, -0.5, 0.5);

        // The engine's default, a write phase spread over cct × one segment of WAL (5.8 s), decides later: it loses
        // the slot a checkpoint late, or at best 3 s late.
        var (spreadLost, _) = Forecast(input, CheckpointWrite.Spread);
        output.WriteLine($"forecast with a spread write phase: lost at {spreadLost}");
        Assert.True(spreadLost is null || (spreadLost.Value - serverLost).TotalSeconds > 3, $"spread: {spreadLost}");
    }

    [Fact]
    public void With_fewer_than_three_checkpoints_to_measure_the_forecast_keeps_the_spread_write_phase()
    {
        // 12 s: the first WAL-volume checkpoint comes once the first segment is finished (~5 s), the next 6.4 s later.
        var samples = new StringWriter();
        Simulation.Run(Server(CheckpointWrite.Instant), Pg15, new SimulatedSamples(samples, Pg15, Seg, T0));
        var frames = SampleFrames.Group(SampleFile.Read(new StringReader(samples.ToString()), "s.csv"));
        var input = ForecastInput.Read("s.csv", frames, [], new ReplayLimit(T0.AddSeconds(12), null));
        Assert.InRange(input.WritePhases.Measured, 1, 2);
        Assert.Equal(CheckpointWrite.Spread, input.WritePhases.ForForecast);
        Assert.StartsWith("spread", input.WritePhases.Describe());
    }
}

using Walsim.Analyzer.Live;
using Walsim.Cli;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// Forecasts from two hours of samples of a PG15 primary on 16MB segments writing 1 MiB/s (±1 %), a checkpoint every
/// 5 min, max_slot_wal_keep_size = 10GB (640 segments). rep1's standby keeps up 100 kB behind; cdc's consumer has not
/// moved since the first sample, so at the end it is 7,200 MiB behind: 10,240 − 7,200 = 3,040 MiB to go, about 50.7
/// minutes at 1 MiB/s, before its segment leaves KeepLogSeg's window (unreserved), and it is lost at the next
/// checkpoint after that (timed every 5 min; each shows in the first sample after its checkpoint_time, so its write
/// phase is below the 10 s resolution: instant).
/// </summary>
public sealed class ForecastTests
{
    private const long MiB = ByteCount.MiB;
    private static readonly WalSegmentSize Seg = WalSegmentSize.Default;
    private static readonly Lsn Start = new(0x10_0000_0000);

    private static readonly SettingSample[] Settings =
    [
        new(1, LiveFixtures.T0, "max_slot_wal_keep_size", "10240", "MB"),
        new(1, LiveFixtures.T0, "checkpoint_timeout", "300", "s"),
        new(1, LiveFixtures.T0, "max_wal_size", "1024", "MB"),
        new(1, LiveFixtures.T0, "min_wal_size", "80", "MB"),
    ];

    /// <summary>Two hours every 10 s; the rate of each interval is 1 MiB/s × (1 ± 1 %) from a seeded source.</summary>
    public static List<SampleFrame> TwoHours()
    {
        var rng = new Random(42);
        var frames = new List<SampleFrame>();
        double head = Start.Value;
        var redo = Start;
        for (var n = 0; n <= 720; n++)
        {
            var t = n * 10.0;
            if (n > 0) head += 10 * MiB * (1 + 0.02 * (rng.NextDouble() - 0.5));
            var h = new Lsn((ulong)head);
            if (n % 30 == 0) redo = h; // a checkpoint started every 5 min
            var headSeg = Seg.SegmentOf(h);
            var server = LiveFixtures.Server(n + 1, t) with
            {
                WriteLsn = h,
                InsertLsn = h,
                RedoLsn = redo,
                CheckpointLsn = redo + new ByteCount(0x38),
                CheckpointTime = LiveFixtures.T0.AddSeconds(n / 30 * 300),
                OldestWalFile = Seg.FileName(Seg.SegmentOf(Start)),
                NewestWalFile = Seg.FileName(headSeg + 2),
                PgWalFiles = (long)(headSeg.Value + 2 - Seg.SegmentOf(Start).Value + 1),
            };
            var behind = (long)(head - Start.Value);
            frames.Add(new SampleFrame(server,
            [
                LiveFixtures.Physical with { Name = "cdc", RestartLsn = Start, WalStatus = WalStatus.Extended, SafeWalSize = new ByteCount(10240 * MiB - behind) },
                LiveFixtures.Physical with { Name = "rep1", RestartLsn = new Lsn(h.Value - 100_000), Active = true, WalStatus = WalStatus.Reserved, SafeWalSize = new ByteCount(10240 * MiB) },
            ]));
        }
        return frames;
    }

    private static ForecastInput Input() => ForecastInput.Read("samples.csv", TwoHours(), Settings);

    private static ForecastResult Forecast(WhatIf whatIf, int runs = 40, int seed = 1, int parallelism = 2)
    {
        var input = Input();
        var fit = WorkloadFit.Fit(input.Observations);
        return Forecaster.Run(input, fit, new ForecastOptions(SimDuration.FromHours(6), runs, seed, null, parallelism), whatIf);
    }

    private static double Minutes(SimDuration? d) => d!.Value.TotalSeconds / 60;

    [Fact]
    public void The_last_sample_sets_the_start_a_consumer_that_moved_keeps_up_one_that_did_not_is_stalled()
    {
        var input = Input();
        Assert.Equal(721, input.Samples);
        Assert.Equal(SimTime.FromSeconds(7200), input.Now);
        var cdc = input.Slots.Single(s => s.Name == "cdc");
        var rep1 = input.Slots.Single(s => s.Name == "rep1");
        Assert.Equal((ConsumerState.Stalled, LiveFixtures.T0.AddTicks(1234560)), (cdc.Consumer, cdc.StalledSince!.Value));
        Assert.Equal(ConsumerState.KeepsUp, rep1.Consumer);
        Assert.Equal(100_000, rep1.TypicalLag.Bytes);
        Assert.Equal("10240MB", input.Settings["max_slot_wal_keep_size"]);

        var scenario = Forecaster.StartingScenario(input, new ForecastOptions(SimDuration.FromHours(1), 1, 1, null), WhatIf.CurrentTrend);
        Assert.Equal(input.Last.InsertLsn, scenario.Start.InsertLsn);
        Assert.Equal(Seg.SegmentOf(Start), scenario.Start.OldestFile);
        Assert.Equal(2, scenario.Start.FilesAhead);
        Assert.Equal(Start, scenario.Slots.Single(s => s.Name == "cdc").RestartLsn);
        Assert.False(scenario.Slots.Single(s => s.Name == "cdc").Consumer.Connected);
        Assert.Equal(100_000, scenario.Slots.Single(s => s.Name == "rep1").Consumer.LagBytes.Bytes);
    }

    [Fact]
    public void A_stalled_slot_is_forecast_unreserved_when_the_cap_is_used_up_and_lost_at_the_next_checkpoint()
    {
        var r = Forecast(WhatIf.CurrentTrend);
        var cdc = r.Slots.Single(s => s.Name == "cdc");
        // 3,040 MiB at 1 MiB/s ± the fitted spread: about 50.7 min.
        Assert.InRange(Minutes(cdc.Unreserved.P50), 48, 53.5);
        Assert.InRange(Minutes(cdc.Lost.P50) - Minutes(cdc.Unreserved.P50), 0, 9.6);
        Assert.Equal(0, cdc.Lost.Never);
        var rep1 = r.Slots.Single(s => s.Name == "rep1");
        Assert.Equal(r.PeakPgWalBytes.Count, rep1.Lost.Never);
        // The median-rate run agrees with the runs.
        Assert.InRange((cdc.TypicalRun!.FirstUnreserved!.Value - SimTime.Zero).TotalSeconds / 60, 48, 53.5);
    }

    [Fact]
    public void Doubling_the_write_rate_halves_the_time_left()
    {
        var r = Forecast(WhatIf.TryParse("rate x2", out var w, out _) ? w : throw new InvalidOperationException());
        Assert.InRange(Minutes(r.Slots.Single(s => s.Name == "cdc").Unreserved.P50), 24, 27);
    }

    [Fact]
    public void A_consumer_that_stops_now_uses_the_whole_cap_about_170_minutes_at_1_mib_per_second()
    {
        var r = Forecast(WhatIf.TryParse("slot rep1 stops now", out var w, out _) ? w : throw new InvalidOperationException());
        var rep1 = r.Slots.Single(s => s.Name == "rep1");
        Assert.Equal(ConsumerState.Stalled, rep1.Consumer);
        // 10,240 MiB less the 100 kB it was behind, at ~1 MiB/s.
        Assert.InRange(Minutes(rep1.Unreserved.P50), 162, 178);
    }

    [Fact]
    public void The_same_seed_gives_the_same_forecast_whatever_the_number_of_threads()
    {
        var a = Forecast(WhatIf.CurrentTrend, runs: 20, seed: 7, parallelism: 1);
        var b = Forecast(WhatIf.CurrentTrend, runs: 20, seed: 7, parallelism: 2);
        var c = Forecast(WhatIf.CurrentTrend, runs: 20, seed: 8, parallelism: 2);
        var cdcA = a.Slots.Single(s => s.Name == "cdc");
        var cdcB = b.Slots.Single(s => s.Name == "cdc");
        var cdcC = c.Slots.Single(s => s.Name == "cdc");
        foreach (var p in new[] { 0.0, 0.1, 0.5, 0.9, 1.0 })
            Assert.Equal(cdcA.Unreserved.Quantile(p), cdcB.Unreserved.Quantile(p));
        Assert.Equal(a.PeakPgWalBytes, b.PeakPgWalBytes);
        Assert.NotEqual(Enumerable.Range(0, 11).Select(i => cdcA.Unreserved.Quantile(i / 10.0)), Enumerable.Range(0, 11).Select(i => cdcC.Unreserved.Quantile(i / 10.0)));
    }

    [Theory]
    [InlineData("slot cdc stops now", "cdc", 0, 1.0, null)]
    [InlineData("slot cdc stops in 2h", "cdc", 7200, 1.0, null)]
    [InlineData("rate x1.5", null, 0, 1.5, null)]
    [InlineData("write rate doubles", null, 0, 2.0, null)]
    [InlineData("set max_slot_wal_keep_size=50GB", null, 0, 1.0, "50GB")]
    [InlineData("slot a stops now; rate x2", "a", 0, 2.0, null)]
    public void What_ifs_read_like_the_change_they_describe(string text, string? slot, double stopAfterSeconds, double factor, string? cap)
    {
        Assert.True(WhatIf.TryParse(text, out var w, out var error), error);
        if (slot is not null) Assert.Equal(SimDuration.FromSeconds(stopAfterSeconds), w.StopSlots[slot]);
        else Assert.Empty(w.StopSlots);
        Assert.Equal(factor, w.RateFactor);
        Assert.Equal(cap, w.Settings.TryGetValue("max_slot_wal_keep_size", out var v) ? v : null);
    }

    [Fact]
    public void A_what_if_that_is_not_understood_says_what_was_expected()
    {
        Assert.False(WhatIf.TryParse("slot cdc explodes", out _, out var error));
        Assert.Contains("expected \"slot NAME stops now\"", error);
    }
}

/// <summary><c>walsim forecast</c> end to end on a sample file.</summary>
public sealed class ForecastCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-forecast-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Forecast_prints_the_fit_where_each_slot_stands_and_the_time_to_each_status_per_what_if()
    {
        var path = Path.Combine(_dir, "db1.csv");
        File.WriteAllText(path, LiveFixtures.Csv(ForecastTests.TwoHours().SelectMany(f => f.Slots.Select(s => (f.Server, (SlotSample?)s))).ToArray()));
        File.WriteAllText(SampleFile.SettingsPath(path), SampleCsv.SettingsHeader + "\n1,2025-01-31T12:00:00.000000Z,max_slot_wal_keep_size,10240,MB\n");
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr).Invoke(["forecast", path, "--horizon", "6h", "--runs", "20", "--what-if", "slot rep1 stops now", "--disk", "20GB"]);
        var output = stdout.ToString();
        Assert.True(code == 0, stderr.ToString() + output);
        Assert.Contains("Workload fit from 721 samples", output);
        Assert.Contains("cdc (physical, extended) stalled since", output);
        Assert.Contains("rep1 (physical, reserved) keeps up", output);
        Assert.Contains("Under the current trend", output);
        Assert.Contains("What if: slot rep1 stops now", output);
        Assert.Matches(@"slot cdc\s+extended", output);
        Assert.Matches(@"disk 20GB\s+full", output);
    }

    [Fact]
    public void A_what_if_naming_a_slot_the_samples_do_not_have_is_a_usage_error()
    {
        var path = Path.Combine(_dir, "db2.csv");
        File.WriteAllText(path, LiveFixtures.Csv(ForecastTests.TwoHours().Select(f => (f.Server, (SlotSample?)null)).ToArray()));
        File.WriteAllText(SampleFile.SettingsPath(path), SampleCsv.SettingsHeader + "\n1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n");
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr).Invoke(["forecast", path, "--runs", "5", "--what-if", "slot ghost stops now"]);
        Assert.Equal((int)ExitCode.UsageError, code);
        Assert.Contains("there is no slot \"ghost\"", stderr.ToString());
    }
}

using System.Globalization;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Live;

/// <summary>
/// The traces recorded from real servers by <c>scripts/record-trace.sh</c> (<c>scenarios/traces/</c>) say what
/// <c>scenarios/traces/README.md</c> says they say: read back with <see cref="SampleFile"/>, the slot <c>cdc</c>
/// goes extended → unreserved → lost at the stated times, <c>pg_wal</c> grows behind it and drops when it is lost,
/// and the load has the stated shape (a 10-minute cosine; a steady rate with batches).
/// </summary>
public sealed class RecordedTraceTests
{
    // Two samples of slack (2 s interval) around every stated time.
    private const double Slack = 4;
    private const double KiB = ByteCount.KiB;

    private static string TraceDir(string name) =>
        // bin/Debug/net10.0 → the repository root.
        RepoPaths.Of("scenarios", "traces", name);

    /// <summary>One sample of a trace: seconds since the first sample, the server part, the slots by name.</summary>
    private sealed record Point(double T, ServerSample Server, Dictionary<string, SlotSample> Slots);

    private static List<Point> Load(string name)
    {
        var points = new List<Point>();
        DateTimeOffset? t0 = null;
        foreach (var row in SampleFile.Read(Path.Combine(TraceDir(name), "samples.csv")))
        {
            t0 ??= row.Server.LocalTime;
            if (points.Count == 0 || points[^1].Server.Sample != row.Server.Sample)
                points.Add(new Point((row.Server.LocalTime - t0.Value).TotalSeconds, row.Server, []));
            if (row.Slot is { } slot) points[^1].Slots.Add(slot.Name, slot);
        }
        return points;
    }

    private static double FirstTime(List<Point> trace, string slot, WalStatus status) =>
        trace.First(p => p.Slots.TryGetValue(slot, out var s) && s.WalStatus == status).T;

    /// <summary>WAL rate between consecutive samples (kB/s of <c>insert_lsn</c>), at the middle of each interval.</summary>
    private static List<(double T, double KBps)> Rates(List<Point> trace) =>
        trace.Zip(trace.Skip(1), (a, b) => ((a.T + b.T) / 2, (b.Server.InsertLsn - a.Server.InsertLsn).Bytes / KiB / (b.T - a.T)))
            .ToList();

    [Theory]
    //          trace               version  samples  cdc stopped  extended  unreserved  lost
    [InlineData("diurnal-pg15", 15, 18, 1351, 1050.3, 1458.0, 1630.0, 1652.0)]
    [InlineData("steady-batch-pg13", 13, 23, 1201, 600.6, 1278.0, 1498.0, 1502.0)]
    public void Cdc_slot_goes_extended_then_unreserved_then_lost_at_the_stated_times(
        string name, int major, int minor, int samples, double stoppedS, double extendedS, double unreservedS, double lostS)
    {
        var trace = Load(name);

        Assert.Equal(samples, trace.Count);
        Assert.All(trace, p => Assert.Equal(new PgVersion(major, minor), p.Server.Version));
        Assert.All(trace, p => Assert.Equal(WalSegmentSize.FromMegabytes(1), p.Server.SegmentSize));
        Assert.DoesNotContain(trace, p => p.Server.Gap);

        // reserved → extended → unreserved → lost, each first seen at the stated time; lost stays lost.
        Assert.Equal(WalStatus.Reserved, trace[0].Slots["cdc"].WalStatus);
        Assert.InRange(FirstTime(trace, "cdc", WalStatus.Extended), extendedS - Slack, extendedS + Slack);
        Assert.InRange(FirstTime(trace, "cdc", WalStatus.Unreserved), unreservedS - Slack, unreservedS + Slack);
        Assert.InRange(FirstTime(trace, "cdc", WalStatus.Lost), lostS - Slack, lostS + Slack);
        var statuses = trace.Select(p => p.Slots["cdc"].WalStatus!.Value).ToList();
        Assert.Equal(statuses.Order(), statuses);
        Assert.Equal(WalStatus.Lost, statuses[^1]);

        // The server logged the invalidation once (13–16 wording), from the checkpointer.
        var log = File.ReadAllLines(Path.Combine(TraceDir(name), "server.log"));
        var line = Assert.Single(log, l => l.Contains("invalidating slot \"cdc\" because its restart_lsn", StringComparison.Ordinal));
        var checkpointer = int.Parse(line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        Assert.Contains(log, l => l.Contains($"[{checkpointer}] LOG:  checkpoint starting: time", StringComparison.Ordinal));

        // The consumer was active until it was stopped and never came back. The one exception is real: a sample
        // taken while the checkpointer held the slot to invalidate it shows it active, with the checkpointer's pid.
        Assert.All(trace.Where(p => p.T < stoppedS), p => Assert.True(p.Slots["cdc"].Active, $"cdc at {p.T}s"));
        Assert.All(trace.Where(p => p.T > stoppedS + Slack && p.Slots["cdc"].Active), p =>
        {
            Assert.Equal(checkpointer, p.Slots["cdc"].ActivePid);
            Assert.InRange(p.T, lostS - Slack, lostS + Slack);
        });

        // The physical slot's consumer kept up throughout.
        Assert.All(trace, p => Assert.True(p.Slots["standby1"] is { Active: true, WalStatus: WalStatus.Reserved }, $"standby1 at {p.T}s"));
    }

    [Theory]
    //          trace               cdc stopped  lost  peak pg_wal (MB)  after lost (MB, at most)
    [InlineData("diurnal-pg15", 1050.3, 1652.0, 68, 16)]
    [InlineData("steady-batch-pg13", 600.6, 1502.0, 66, 22)]
    public void Pg_wal_grows_behind_the_stopped_slot_and_drops_when_it_is_lost(
        string name, double stoppedS, double lostS, int peakMb, int afterMb)
    {
        var trace = Load(name);

        var peak = trace.MaxBy(p => p.Server.PgWalBytes)!;
        Assert.Equal(peakMb, (int)(peak.Server.PgWalBytes.Bytes / ByteCount.MiB));
        Assert.InRange(peak.T, stoppedS, lostS + Slack);
        // Before the consumer stopped, the slots held next to nothing: pg_wal stayed under the peak's half.
        Assert.All(trace.Where(p => p.T < stoppedS), p => Assert.True(p.Server.PgWalBytes.Bytes < peak.Server.PgWalBytes.Bytes / 2, $"pg_wal at {p.T}s"));
        Assert.All(trace.Where(p => p.T > lostS + Slack), p => Assert.True(p.Server.PgWalBytes.Bytes <= afterMb * ByteCount.MiB, $"pg_wal at {p.T}s"));
    }

    [Fact]
    public void Diurnal_trace_rate_is_a_cosine_with_a_10_minute_period_peaking_at_5_minutes()
    {
        // Fourier coefficients at the stated period over whole periods (4 × 10 min): mean 110 kB/s, amplitude
        // 90 kB/s of payload, peaks at 5, 15, 25 … min. The WAL is a few percent more than the payload.
        const double period = 600;
        var rates = Rates(Load("diurnal-pg15")).Where(r => r.T < 4 * period).ToList();
        var w = 2 * Math.PI / period;
        var mean = rates.Average(r => r.KBps);
        var c = 2 * rates.Average(r => r.KBps * Math.Cos(w * r.T));
        var s = 2 * rates.Average(r => r.KBps * Math.Sin(w * r.T));
        var amplitude = Math.Sqrt(c * c + s * s);
        var peakAt = (Math.Atan2(s, c) / w + period) % period;
        Assert.InRange(mean, 110, 116);
        Assert.InRange(amplitude, 88, 96);
        Assert.InRange(peakAt, 290, 310);

        // Another period finds nothing: the variation is the stated cycle, not noise or drift.
        var w7 = 2 * Math.PI / 480;
        var rates7 = rates.Where(r => r.T < 5 * 480).ToList();
        var c7 = 2 * rates7.Average(r => r.KBps * Math.Cos(w7 * r.T));
        var s7 = 2 * rates7.Average(r => r.KBps * Math.Sin(w7 * r.T));
        Assert.InRange(Math.Sqrt(c7 * c7 + s7 * s7), 0, 5);
    }

    [Fact]
    public void Steady_batch_trace_rate_is_50_kBps_outside_its_batches_and_400_inside()
    {
        // Batches from 6 and 24 minutes, 3 minutes each, adding 350 kB/s of payload to the steady 50.
        var rates = Rates(Load("steady-batch-pg13"));
        bool InBatch(double t, double margin) => (t > 360 - margin && t < 540 + margin) || (t > 1440 - margin && t < 1620 + margin);
        var outside = rates.Where(r => !InBatch(r.T, 10)).Select(r => r.KBps).Order().ToList();
        var inside = rates.Where(r => InBatch(r.T, -10)).Select(r => r.KBps).Order().ToList();
        Assert.InRange(outside[outside.Count / 2], 50, 55);
        Assert.InRange(inside[inside.Count / 2], 400, 430);
        Assert.InRange(outside[outside.Count * 95 / 100], 0, 60);
    }
}

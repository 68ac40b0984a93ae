using System.Globalization;
using Walsim.Analyzer.Live;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Validation;

/// <summary>
/// A real-server recording the machine disturbed. A sampler that went longer than <see cref="Limit"/> without a sample
/// means the machine stalled (a shared CI host's disk or CPU): the server and its clock-paced load stalled with it, so
/// the WAL came in bursts and the history no longer is the steady one the test needs. Such an attempt is reported and
/// run again, never judged.
/// </summary>
internal static class StalledRecording
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(4);
    public const int Attempts = 3;

    /// <summary>Why <paramref name="frames"/> cannot be judged (their longest hole, if over <see cref="Limit"/>), or null.
    /// With <paramref name="from"/> (when the recording's load began) and <paramref name="to"/> (when it was to end), a
    /// sampler that started or stopped late counts too (seen at a load average of 13: 12 samples, no hole over 4 s
    /// between them, in a recording of 60 s, and a slot created 20 s in was in neither the samples nor Prometheus).</summary>
    public static string? Stall(IReadOnlyList<SampleFrame> frames, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (frames.Count == 0) return from is null ? null : "no sample at all";
        var times = frames.Select(f => f.Server.ServerTime).ToList();
        if (from is { } f0 && f0 < times[0]) times.Insert(0, f0);
        if (to is { } t1 && t1 > times[^1]) times.Add(t1);
        if (times.Count < 2) return null;
        var gap = times.Zip(times.Skip(1), (a, b) => (At: a, Gap: b - a)).MaxBy(g => g.Gap);
        return gap.Gap <= Limit ? null : string.Create(CultureInfo.InvariantCulture,
            $"no sample for {gap.Gap.TotalSeconds:0.0} s from {(gap.At - times[0]).TotalSeconds:0} s into the recording ({frames.Count} samples)");
    }

    /// <summary>Why events that come every second or so cannot be judged (scrapes, polls, a consumer's moves):
    /// the longest time between <paramref name="from"/>, the <paramref name="times"/> after it and <paramref name="to"/>,
    /// if over <paramref name="limit"/> (<see cref="Limit"/> unless given), said in seconds from <paramref name="origin"/>;
    /// or null.</summary>
    public static string? Hole(string what, IEnumerable<DateTimeOffset> times, DateTimeOffset from, DateTimeOffset to, DateTimeOffset origin, TimeSpan? limit = null)
    {
        var points = times.Where(t => t > from && t < to).Order().Prepend(from).Append(to).ToList();
        var gap = points.Zip(points.Skip(1), (a, b) => (At: a, Gap: b - a)).MaxBy(g => g.Gap);
        return gap.Gap <= (limit ?? Limit) ? null : string.Create(CultureInfo.InvariantCulture,
            $"no {what} for {gap.Gap.TotalSeconds:0.0} s from {(gap.At - origin).TotalSeconds:0} s into the recording");
    }

    /// <summary>Runs <paramref name="attempt"/> (numbered from 1; it returns a <see cref="Stall"/> or null once judged)
    /// until one is judged, at most <see cref="Attempts"/> times; fails naming every stall when none could be.
    /// <paramref name="stalled"/> says what the stall disturbed, in the report of each attempt run again.</summary>
    public static async Task RunAsync(ITestOutputHelper output, Func<int, Task<string?>> attempt, Action? betweenAttempts = null,
        string stalled = "the machine stalled the sampler and the server")
    {
        var disturbed = new List<string>();
        for (var n = 1; n <= Attempts; n++)
        {
            if (await attempt(n) is not { } stall) return;
            disturbed.Add($"attempt {n}: {stall}");
            output.WriteLine($"{disturbed[^1]}: {stalled}; not judged, run again");
            betweenAttempts?.Invoke();
        }
        Assert.Fail($"every attempt was disturbed by a stalled machine, none could be judged: {string.Join("; ", disturbed)}");
    }
}

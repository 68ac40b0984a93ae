using Walsim.Analyzer.Validation.Ha;
using Xunit;

namespace Walsim.Tests.Validation;

/// <summary>
/// HaPace: an HA run is judged only if it wrote a row every 100 ms (no hole over 4 s, at least half the rows due) and
/// called the consumer every second (no hole over 2.5 s, a stop at most 2.5 s late) from its start to each loop's stop;
/// otherwise it is run again on new servers.
/// </summary>
public sealed class HaPaceTests
{
    private static double[] Every(double step, double from, double to) =>
        Enumerable.Range(0, (int)Math.Round((to - from) / step) + 1).Select(i => from + i * step).ToArray();

    [Fact]
    public void A_run_at_pace_is_judged()
    {
        // 16 s of consumer calls at whole seconds (the first at the start, the stop due at 16 s), rows every 0.1 s
        // until 18.5 s.
        var calls = Every(1, 0.01, 15.01);
        var writes = Every(0.1, 0.02, 18.42);
        Assert.Null(HaPace.Stall(writes, 18.5, calls, 16.03, 16));
    }

    [Fact]
    public void A_run_stretched_by_a_busy_host_is_not_judged()
    {
        // The CI run that failed: its consumer's stop, due at 16 s, came at 103.0 s, with 103 rows by 106 s.
        var rowASecond = Every(1, 1, 103);
        var callsEvery3s = Every(3, 0.01, 102.01);
        Assert.Equal("the consumer stopped at 103.0 s, due at 16.0 s", HaPace.Stall(rowASecond, 106, callsEvery3s, 103, 16));
        // The same pace within a run whose stop came on time: 16 rows in 18.5 s where 185 were due.
        Assert.Equal("16 rows written in 18.5 s, where one every 0.1 s was due (185)",
            HaPace.Stall(Every(1, 1, 16), 18.5, Every(1, 0.01, 15.01), 16.03, 16));
    }

    [Fact]
    public void A_hole_in_the_writes_or_the_calls_is_named_with_where_it_began()
    {
        // Rows every 0.1 s but none from 8 s to 14 s.
        Assert.Equal("no row written for 6.0 s from 8.0 s into the run (at most 4.0 s expected)",
            HaPace.Stall([.. Every(0.1, 0.1, 8), .. Every(0.1, 14, 18.4)], 18.5, Every(1, 0.01, 15.01), 16.03, 16));
        // Rows at pace, the consumer's calls of 6 s and 7 s lost.
        Assert.Equal("no consumer call for 3.0 s from 5.0 s into the run (at most 2.5 s expected)",
            HaPace.Stall(Every(0.1, 0.1, 18.4), 18.5, [.. Every(1, 0, 5), .. Every(1, 8, 15)], 16.03, 16));
    }

    [Fact]
    public void A_hole_before_the_first_or_after_the_last_event_counts()
    {
        // The consumer's first call came 3 s into the run; or its last 3 s before its stop.
        Assert.Equal("no consumer call for 3.0 s from 0.0 s into the run (at most 2.5 s expected)",
            HaPace.Hole("consumer call", Every(1, 3, 15), 16, HaPace.CallGapLimit));
        Assert.Equal("no consumer call for 3.0 s from 13.0 s into the run (at most 2.5 s expected)",
            HaPace.Hole("consumer call", Every(1, 0, 13), 16, HaPace.CallGapLimit));
    }

    [Fact]
    public void A_hole_of_exactly_the_limit_is_still_at_pace()
    {
        Assert.Null(HaPace.Hole("consumer call", [1, 3.5, 6], 8.5, HaPace.CallGapLimit));
        Assert.NotNull(HaPace.Hole("consumer call", [1, 3.5, 6.01], 8.5, HaPace.CallGapLimit));
    }
}

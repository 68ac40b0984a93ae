using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="LinearExtrapolation"/>, the <c>predict_linear</c> baseline. On points of an exact line every answer is
/// exact up to double rounding (asserted to 1e-12 relative).
/// </summary>
public class LinearExtrapolationTests
{
    private static SimTime T(double s) => SimTime.FromSeconds(s);

    [Theory]
    [InlineData(1e9, 12_345.5)]       // pg_wal at 1 GB growing 12 kB/s
    [InlineData(5e10, -1_000_000)]    // shrinking
    [InlineData(0, 0.25)]
    public void On_an_exact_line_predictions_and_crossings_are_exact(double intercept, double slope)
    {
        var points = Enumerable.Range(0, 61).Select(i => new TimedValue(T(100 + 10 * i), intercept + slope * (100 + 10 * i))).ToList();
        var line = LinearExtrapolation.Fit(points)!;

        Assert.Equal(slope, line.SlopePerSecond, Math.Abs(slope) * 1e-12);
        foreach (var at in new[] { 0.0, 700, 86_400, 7 * 86_400 })
            Assert.Equal(intercept + slope * at, line.ValueAt(T(at)), Math.Abs(intercept + slope * at) * 1e-12 + 1e-6);

        var threshold = intercept + slope * 10_000;  // reached at t = 10,000 s
        Assert.InRange(line.TimeToReach(threshold, T(700))!.Value.Microseconds, T(10_000).Microseconds, T(10_000).Microseconds + 1); // rounded up to the next µs
        Assert.Equal(61, line.Points);
    }

    [Fact]
    public void The_window_is_left_open_and_right_closed_like_a_prometheus_range_selector()
    {
        // Values 0..100 at t = 0..100 s with a kink at 50 s: only (50, 100] is on the second line.
        var points = Enumerable.Range(0, 101).Select(i => new TimedValue(T(i), i <= 50 ? i : 50 + 3 * (i - 50))).ToList();
        var line = LinearExtrapolation.FitWindow(points, T(100), SimDuration.FromSeconds(50))!;
        Assert.Equal(50, line.Points);
        Assert.Equal(3, line.SlopePerSecond, 1e-12);
        Assert.Equal(200 + 3 * 3600, line.ValueAt(T(100) + SimDuration.FromHours(1)), 1e-9); // predict_linear(v[50s], 3600)
    }

    [Fact]
    public void Too_few_points_give_no_line_and_a_flat_line_never_reaches_another_value()
    {
        Assert.Null(LinearExtrapolation.Fit([new TimedValue(T(1), 5)]));
        Assert.Null(LinearExtrapolation.Fit([new TimedValue(T(1), 5), new TimedValue(T(1), 6)]));
        var flat = LinearExtrapolation.Fit([new TimedValue(T(0), 5), new TimedValue(T(10), 5)])!;
        Assert.Null(flat.TimeToReach(6, T(10)));
        Assert.Equal(T(10), flat.TimeToReach(5, T(10)));
    }

    [Fact]
    public void A_threshold_already_passed_in_the_direction_of_travel_is_reached_now()
    {
        var up = LinearExtrapolation.Fit([new TimedValue(T(0), 0), new TimedValue(T(10), 100)])!;
        Assert.Equal(T(20), up.TimeToReach(50, T(20)));          // value 200 at 20 s, past 50
        Assert.Equal(T(30), up.TimeToReach(300, T(20)));
        var far = up.TimeToReach(1e30, T(20));
        Assert.Equal(SimTime.Never, far);                        // beyond the clock
    }

    [Fact]
    public void Least_squares_on_a_noisy_series_matches_the_closed_form()
    {
        // y = 2, 3, 7, 8 at x = 0, 1, 2, 3: slope = Σ(x−1.5)(y−5)/Σ(x−1.5)² = 11/5 = 2.2, intercept 5 − 2.2·1.5 = 1.7.
        var line = LinearExtrapolation.Fit([new TimedValue(T(0), 2), new TimedValue(T(1), 3), new TimedValue(T(2), 7), new TimedValue(T(3), 8)])!;
        Assert.Equal(2.2, line.SlopePerSecond, 1e-12);
        Assert.Equal(1.7, line.ValueAtOrigin, 1e-12);
    }
}

using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;
using static Walsim.Tests.Forecasting.SyntheticWal;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// <see cref="WorkloadFit.Fit"/> recovers the parameters a series was generated from (MathNet FitTests style). Every
/// series is seeded; each tolerance is about 4 standard errors of the estimate, worked out in the comment beside it,
/// so a correct fit fails by chance less than once in 10,000 seeds and a biased one does not slip through.
/// </summary>
public class WorkloadFitTests
{
    private static readonly SimDuration FiveMin = SimDuration.FromMinutes(5);
    private static readonly SimDuration Minute = SimDuration.FromMinutes(1);
    private const double MiB = ByteCount.MiB;
    private static int BucketsPerDay => 288;

    [Fact]
    public void Constant_rate_is_recovered_exactly_with_no_cycle_no_trend_and_no_noise()
    {
        var rates = Enumerable.Repeat(3 * MiB, 3 * BucketsPerDay).ToArray();
        var fit = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, SimDuration.FromSeconds(10)));
        var r = fit.Report;

        // Positions are whole bytes: a 5-minute bucket of 900 MiB is off by < 1 byte, i.e. < 1e-9 relative.
        Assert.Equal(3 * MiB, r.Rates.MedianBytesPerSecond, 3 * MiB * 1e-9);
        Assert.Equal(3 * MiB, fit.MedianRateAt(SimTime.FromSeconds(3600)), 3 * MiB * 1e-9);
        Assert.True(r.Rates.LogStdDev < 1e-6);
        Assert.False(r.Cycle.Accepted);
        Assert.False(r.Trend.Accepted);
        Assert.Equal(3 * BucketsPerDay, r.MeasuredBuckets);
        Assert.Equal(0, r.IdleBuckets);
        Assert.Equal(FiveMin, r.BucketWidth);
        Assert.Equal(SimDuration.FromDays(3), r.Span);
    }

    [Fact]
    public void Lognormal_noise_recovers_mu_and_sigma_and_passes_the_lilliefors_bound()
    {
        var mu = Math.Log(2 * MiB);
        const double sigma = 0.3;
        var n = 7 * BucketsPerDay; // 2016 buckets
        var rates = LogModelRates(n, FiveMin, new Random(101), mu, sigma);
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;

        Assert.Equal(mu, r.Rates.LogMean, 0.03);        // SE(mu) = 0.3/sqrt(2016) = 0.0067
        Assert.Equal(sigma, r.Rates.LogStdDev, 0.02);   // SE(sigma) = 0.3/sqrt(2*2016) = 0.0047
        Assert.Equal(0, r.Noise.Ar1, 0.1);              // SE(phi) = 1/sqrt(2016) = 0.022
        Assert.True(r.Rates.KolmogorovSmirnov < 1.031 / Math.Sqrt(n), $"KS D={r.Rates.KolmogorovSmirnov}"); // Lilliefors 1 %
        Assert.True(r.Rates.QqRSquared > 0.99, $"QQ R2={r.Rates.QqRSquared}");
        Assert.False(r.Cycle.Accepted, r.Cycle.Reason);
        Assert.False(r.Trend.Accepted, r.Trend.Reason);
        Assert.True(r.Cycle.Tested && r.Trend.Tested);
    }

    [Fact]
    public void Daily_cycle_of_known_amplitude_and_peak_hour_is_recovered_with_its_ar1_noise()
    {
        var mu = Math.Log(4 * MiB);
        const double sigma = 0.2, phi = 0.6, amp = 0.5, peak = 14.0;
        var rates = LogModelRates(7 * BucketsPerDay, FiveMin, new Random(202), mu, sigma, phi, amp, peak);
        var fit = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute));
        var r = fit.Report;

        Assert.True(r.Cycle.Accepted, r.Cycle.Reason);
        Assert.True(r.Cycle.PValue < 1e-6);
        Assert.True(r.Cycle.AdjustedRSquaredGain > 0.3);
        // GLS SE of a harmonic coefficient ~ sigma_e / ((1 - phi) sqrt(n/2)) = 0.16 / 0.4 / 31.7 = 0.0126.
        Assert.Equal(amp, r.Cycle.LogAmplitude, 0.05);
        Assert.Equal(Math.Exp(2 * r.Cycle.LogAmplitude), r.Cycle.PeakToTroughRatio, 1e-12);
        // Phase SE = 0.0126 / 0.5 rad = 0.1 h.
        Assert.Equal(peak, r.Cycle.PeakHour, 0.4);
        Assert.Equal(phi, r.Noise.Ar1, 0.07);         // SE(phi) = sqrt((1 - 0.36) / 2016) = 0.018
        Assert.Equal(sigma, r.Noise.StdDev, 0.02);    // marginal sd of u, SE ~ 0.005
        Assert.Equal(mu, r.Rates.LogMean, 0.04);      // whole days: the cycle averages out; SE ~ 0.009
        Assert.False(r.Trend.Accepted, r.Trend.Reason);
        // The median at the peak is exp(mu + amp).
        Assert.Equal(mu + amp, Math.Log(fit.MedianRateAt(SimTime.FromSeconds(86400 * 3 + 14 * 3600))), 0.06);
    }

    [Fact]
    public void The_engines_daily_cycle_shape_gives_its_peak_hour_and_first_harmonic()
    {
        // DailyCycle: mean × (1 + 0.6 cos(2π(h − 15.5)/24)). ln(1 + a cos θ) has first Fourier coefficient 2r with
        // r = (1 − sqrt(1 − a²))/a = 1/3 for a = 0.6, so the fitted log amplitude is 2/3; the shape is symmetric about
        // the peak and 15:30 is a bucket edge, so the phase is exact up to rounding.
        var rates = new double[4 * BucketsPerDay];
        for (var k = 0; k < rates.Length; k++)
        {
            var h = (k + 0.5) * 5 / 60.0 % 24;
            rates[k] = 4 * MiB * (1 + 0.6 * Math.Cos(2 * Math.PI * (h - 15.5) / 24));
        }
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;
        Assert.True(r.Cycle.Accepted);
        Assert.Equal(15.5, r.Cycle.PeakHour, 0.02);
        Assert.Equal(2.0 / 3, r.Cycle.LogAmplitude, 0.01);
    }

    [Fact]
    public void A_six_hour_series_does_not_report_a_daily_cycle_and_says_how_much_data_is_needed()
    {
        var rates = LogModelRates(72, FiveMin, new Random(303), Math.Log(MiB), 0.1, amp: 0.8, peakHour: 3);
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, SimDuration.FromSeconds(10))).Report;

        Assert.False(r.Cycle.Accepted);
        Assert.False(r.Cycle.Tested);
        Assert.Contains(r.Notes, n => n.Contains("daily cycle", StringComparison.Ordinal) && n.Contains("have 6h00m", StringComparison.Ordinal));
        Assert.Contains("need at least 2 periods", r.Cycle.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compressed_cycle_period_is_recovered_from_a_short_recording()
    {
        // 2-hour period, 12 hours of 1-minute buckets (720), readings every 10 s. Amplitude SE ~
        // sigma_e / ((1 - phi) sqrt(n/2)) = 0.143 / 0.7 / 19 = 0.011; phase SE 0.027 rad = 0.0085 h.
        var bucket = Minute;
        var rates = LogModelRates(720, bucket, new Random(404), Math.Log(MiB), 0.15, phi: 0.3, amp: 0.4, peakHour: 0.5, periodHours: 2);
        var options = new WorkloadFitOptions { Bucket = bucket, CyclePeriod = SimDuration.FromHours(2) };
        var r = WorkloadFit.Fit(FromBucketRates(rates, bucket, SimDuration.FromSeconds(10)), options).Report;

        Assert.True(r.Cycle.Accepted, r.Cycle.Reason);
        Assert.Equal(0.4, r.Cycle.LogAmplitude, 0.05);
        Assert.Equal(0.5, r.Cycle.PeakHour, 0.05);
        Assert.Equal(SimDuration.FromHours(2), r.Cycle.Period);
    }

    [Fact]
    public void Twelve_hour_harmonic_is_fitted_when_asked_for()
    {
        // Two harmonics, both peaking at 14:00: ln r = mu + 0.5 cos θ + 0.3 cos 2θ (θ = 0 at 14:00) + N(0, 0.1²).
        // The combined peak is 14:00 and the half range is (0.8 − min)/2, min found on a grid below.
        var n = 7 * BucketsPerDay;
        var rng = new Random(505);
        var rates = new double[n];
        for (var k = 0; k < n; k++)
        {
            var h = (k + 0.5) / 12.0;
            var th = 2 * Math.PI * (h - 14) / 24;
            rates[k] = Math.Exp(Math.Log(MiB) + 0.5 * Math.Cos(th) + 0.3 * Math.Cos(2 * th) + 0.1 * Normal(rng));
        }
        var min = Enumerable.Range(0, 24 * 360).Select(i => 2 * Math.PI * i / (24 * 360)).Min(th => 0.5 * Math.Cos(th) + 0.3 * Math.Cos(2 * th));
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute), new WorkloadFitOptions { Harmonics = 2 }).Report;

        Assert.True(r.Cycle.Accepted);
        Assert.Equal(14, r.Cycle.PeakHour, 0.1);              // coefficient SE 0.1/31.7 = 0.003
        Assert.Equal((0.8 - min) / 2, r.Cycle.LogAmplitude, 0.02);
    }

    [Fact]
    public void A_known_trend_is_recovered_with_a_plausible_standard_error()
    {
        // 14 days, slope 0.05/day of ln rate (+5.1 %/day). GLS SE ~ sigma_e / ((1 - phi) sd(t) sqrt(n))
        // = 0.173 / 0.5 / (4.04 · 63.5) = 0.00135 per day.
        const double slope = 0.05;
        var rates = LogModelRates(14 * BucketsPerDay, FiveMin, new Random(606), Math.Log(MiB), 0.2, phi: 0.5, slopePerDay: slope);
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;

        Assert.True(r.Trend.Accepted, r.Trend.Reason);
        Assert.Equal(slope, r.Trend.LogSlopePerDay, 0.006);
        Assert.InRange(r.Trend.StandardError, 0.00135 / 2, 0.00135 * 2);
        Assert.Equal(Math.Exp(r.Trend.LogSlopePerDay) - 1, r.Trend.GrowthPerDay, 1e-12);
        Assert.False(r.Cycle.Accepted, r.Cycle.Reason);
    }

    // Six hours of the rising half of a daily cycle (ln rate + 1 over 6 h) is a clear slope, but with less than one
    // period of data it cannot be told from the cycle: extrapolated as exp(4/day) it would forecast 55x the rate a
    // day later. It is reported, not used.
    [Fact]
    public void A_significant_slope_over_less_than_one_cycle_period_is_not_taken_for_a_trend()
    {
        var rates = LogModelRates(6 * 12, FiveMin, new Random(808), Math.Log(MiB), 0.05, phi: 0.3, slopePerDay: 4);
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;

        Assert.True(r.Trend.Tested);
        Assert.False(r.Trend.Accepted);
        Assert.True(r.Trend.PValue < 0.001, r.Trend.Reason);
        Assert.EndsWith("period: it may be part of the cycle", r.Trend.Reason);
        Assert.StartsWith("a slope (p=0) over 6h00m, less than one ", r.Trend.Reason);
    }

    [Fact]
    public void Flat_series_with_autocorrelated_noise_rarely_report_a_trend_or_a_cycle()
    {
        // At a 1 % level, 20 independent flat series give 0.2 false trends on average; 3 or more has probability
        // 0.001. Strong AR(1) noise (phi = 0.7) would make plain OLS call a trend in most of them: this checks the
        // prewhitened tests keep their level.
        int trends = 0, cycles = 0;
        for (var seed = 0; seed < 20; seed++)
        {
            var rates = LogModelRates(3 * BucketsPerDay, FiveMin, new Random(7000 + seed), Math.Log(MiB), 0.3, phi: 0.7);
            var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;
            if (r.Trend.Accepted) trends++;
            if (r.Cycle.Accepted) cycles++;
        }
        Assert.True(trends <= 2, $"{trends}/20 flat series reported a trend");
        Assert.True(cycles <= 2, $"{cycles}/20 flat series reported a cycle");
    }

    [Fact]
    public void Idle_buckets_are_a_point_mass_at_zero_and_do_not_bias_the_lognormal()
    {
        // Idle by a Markov chain P(idle|idle) = 0.8, P(idle|busy) = 0.1: stationary 1/3. SE of the idle fraction over
        // 2016 buckets with lag correlation 0.7: sqrt(2/9 / 2016 · 1.7/0.3) = 0.025.
        var rng = new Random(808);
        var mu = Math.Log(MiB);
        var rates = LogModelRates(7 * BucketsPerDay, FiveMin, rng, mu, 0.3);
        var idle = false;
        for (var k = 0; k < rates.Length; k++)
        {
            idle = rng.NextDouble() < (idle ? 0.8 : 0.1);
            if (idle) rates[k] = 0;
        }
        var fit = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute));
        var r = fit.Report;

        Assert.Equal(1.0 / 3, r.Rates.IdleFraction, 0.1);
        Assert.Equal(rates.Count(x => x == 0), r.IdleBuckets);
        Assert.Equal(mu, r.Rates.LogMean, 0.04);      // ~1344 busy buckets: SE 0.008
        Assert.Equal(0.3, r.Rates.LogStdDev, 0.03);

        // Paths reproduce the point mass: long-run idle share within 0.05 of the fitted 1/3 (SE ~ 0.007 over 100 days).
        var path = new double[100 * BucketsPerDay];
        fit.SampleRates(new Random(1), SimTime.FromSeconds(7 * 86400), path);
        Assert.Equal(1.0 / 3, path.Count(x => x == 0) / (double)path.Length, 0.1);
    }

    [Fact]
    public void A_marked_gap_is_never_turned_into_a_rate()
    {
        // 2 days at 1 MiB/s read every 30 s; nothing read from 10:00 to 16:00 while a batch wrote 50 MiB/s.
        var obs = new List<WalObservation>();
        var lsn = StartLsn;
        for (var s = 0; s <= 2 * 86400; s += 30)
        {
            var inGap = s > 10 * 3600 && s < 16 * 3600;
            lsn += new ByteCount((long)((inGap ? 50 : 1) * MiB * 30));
            if (!inGap) obs.Add(new WalObservation(SimTime.FromSeconds(s), lsn, AfterGap: s == 16 * 3600));
        }
        var r = WorkloadFit.Fit(obs).Report;

        Assert.Equal(r.Buckets - 72, r.MeasuredBuckets);  // 6 h of 5-minute buckets left out
        Assert.Equal(MiB, r.Rates.MedianBytesPerSecond, MiB * 1e-9);
        Assert.Equal(MiB, r.Rates.MeanBytesPerSecond, MiB * 1e-9);
        Assert.True(r.Rates.LogStdDev < 1e-9);
    }

    [Fact]
    public void An_unmarked_interval_longer_than_two_buckets_is_treated_as_a_gap()
    {
        var obs = new List<WalObservation>();
        var lsn = StartLsn;
        for (var s = 0; s <= 86400; s += 30)
        {
            var inGap = s > 3600 && s < 2 * 3600;
            lsn += new ByteCount((long)((inGap ? 50 : 1) * MiB * 30));
            if (!inGap) obs.Add(new WalObservation(SimTime.FromSeconds(s), lsn));
        }
        var r = WorkloadFit.Fit(obs).Report;
        Assert.Equal(r.Buckets - 12, r.MeasuredBuckets);
        Assert.Equal(MiB, r.Rates.MeanBytesPerSecond, MiB * 1e-9);
    }

    [Theory]
    [InlineData(1, 300)]      // 1 s readings: 5 minutes
    [InlineData(10, 300)]     // walsim sample's default interval
    [InlineData(60, 300)]
    [InlineData(300, 1200)]   // 5-minute readings: 4 per bucket
    public void Default_bucket_is_five_minutes_or_four_readings(int spacingSeconds, int bucketSeconds)
    {
        var obs = Enumerable.Range(0, 100).Select(i => new WalObservation(SimTime.FromSeconds(i * spacingSeconds), StartLsn)).ToList();
        Assert.Equal(SimDuration.FromSeconds(bucketSeconds), WorkloadFit.DefaultBucket(obs));
    }

    [Fact]
    public void Time_going_backwards_is_an_error_naming_the_observation()
    {
        var obs = new List<WalObservation>
        {
            new(SimTime.FromSeconds(0), StartLsn), new(SimTime.FromSeconds(10), StartLsn), new(SimTime.FromSeconds(5), StartLsn),
        };
        var e = Assert.Throws<WorkloadDataException>(() => WorkloadFit.Fit(obs));
        Assert.Contains("observation 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_series_fits_level_and_spread_only_and_says_so()
    {
        var rates = LogModelRates(8, FiveMin, new Random(909), Math.Log(MiB), 0.2);
        var r = WorkloadFit.Fit(FromBucketRates(rates, FiveMin, Minute)).Report;
        Assert.False(r.Trend.Tested);
        Assert.False(r.Cycle.Tested);
        Assert.Contains(r.Notes, n => n.Contains("only 8 busy buckets", StringComparison.Ordinal));
        Assert.NotEmpty(r.Describe());
    }

    [Fact]
    public void Without_a_period_a_history_shorter_than_two_days_is_searched_for_its_own_cycle()
    {
        // 30 minutes of 20-s buckets (90), ln r = ln(100 kB/s) + 0.6·cos(2π t / 8 min) + noise (sd 0.15): the 24 h
        // default cannot be tested in 30 minutes; periods of 4 buckets (80 s) to 90 buckets (30 min) are tried and
        // the 8-minute one (24 buckets) found, its F-test far below 0.01/87, and refined between 23 and 25 buckets by
        // least squares: within 1 % (4.8 s) of 8 minutes.
        var bucket = SimDuration.FromSeconds(20);
        var rates = LogModelRates(90, bucket, new Random(7), Math.Log(100 * 1024), 0.15, amp: 0.6, periodHours: 8.0 / 60);
        var obs = FromBucketRates(rates, bucket, SimDuration.FromSeconds(5));
        var given = WorkloadFit.Fit(obs, new WorkloadFitOptions { Bucket = bucket });
        Assert.False(given.Report.Cycle.Accepted);
        var searched = WorkloadFit.Fit(obs, new WorkloadFitOptions { Bucket = bucket, DetectPeriod = true });
        Assert.True(searched.Report.Cycle.Accepted, searched.Report.Cycle.Reason);
        Assert.Equal(480, searched.Report.Cycle.Period.TotalSeconds, 4.8);
        Assert.Contains(searched.Report.Notes, n => n.Contains("cycle found in the history", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_period_noise_alone_yields_no_cycle_after_the_correction_for_every_period_tried()
    {
        // The same 90 buckets with no cycle at all (sd 0.3): the best of 87 periods is still not significant at 0.01/87.
        var bucket = SimDuration.FromSeconds(20);
        var rates = LogModelRates(90, bucket, new Random(11), Math.Log(100 * 1024), 0.3);
        var searched = WorkloadFit.Fit(FromBucketRates(rates, bucket, SimDuration.FromSeconds(5)), new WorkloadFitOptions { Bucket = bucket, DetectPeriod = true });
        Assert.False(searched.Report.Cycle.Accepted);
        Assert.DoesNotContain(searched.Report.Notes, n => n.Contains("cycle found in the history", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_period_a_load_that_steps_between_levels_is_not_taken_for_a_square_wave()
    {
        // regime-pg15's steps: 80, 150, 50, 130, 45 kB/s, three minutes (9 buckets of 20 s) each, noise sd 0.05.
        // High, low, high, low: a 6-minute sine fits them well enough for the F-test, but levels fit them better by
        // BIC (the steps need not come back on that period): no cycle, the level shifts are kept and resampled.
        var bucket = SimDuration.FromSeconds(20);
        double[] steps = [80, 150, 50, 130, 45];
        var g = new Gaussian(new Random(3));
        var rates = new double[45];
        for (var k = 0; k < rates.Length; k++) rates[k] = steps[k / 9] * 1024 * Math.Exp(0.05 * g.Next());
        var fit = WorkloadFit.Fit(FromBucketRates(rates, bucket, SimDuration.FromSeconds(5)), new WorkloadFitOptions { Bucket = bucket, DetectPeriod = true });
        Assert.False(fit.Report.Cycle.Accepted, fit.Report.Cycle.Reason);
        Assert.DoesNotContain(fit.Report.Notes, n => n.Contains("cycle found in the history", StringComparison.Ordinal));
        var check = Assert.IsType<ModelCheck>(fit.Report.Check);
        Assert.Equal([9, 18, 27, 36], check.LevelShifts);
        Assert.True(check.Resampled);
    }

    // 16 minutes of 20-s buckets (48), the length the backtest's bucket from the data gives a history.
    private static readonly SimDuration Twenty = SimDuration.FromSeconds(20);
    private static readonly double HundredKBps = Math.Log(100 * 1024);

    private static WorkloadFit Searched(double[] rates) =>
        WorkloadFit.Fit(FromBucketRates(rates, Twenty, SimDuration.FromSeconds(5)), new WorkloadFitOptions { Bucket = Twenty, DetectPeriod = true });

    [Fact]
    public void Without_a_period_a_sine_seen_1_3_times_is_found_with_its_period_within_10_percent()
    {
        // ln r = ln(100 kB/s) + 0.5·cos(2π t / 12 min) + iid noise sd 0.1 over 16 minutes: 1.33 cycles, which the
        // search up to half the history (8 min) could not see. Over 100 seeds: found in every one (F far below
        // 0.01/45, at most 9 of 999 drifts at the trend's bias-corrected φ as high, BIC 20-40 below the trend's and the
        // levels'); the period from one cycle and a third has a spread
        // of about 4 % (30 s): the median within 2 % of 720 s and at least 90 of 100 within 10 %.
        var periods = new List<double>();
        for (var seed = 0; seed < 100; seed++)
        {
            var fit = Searched(LogModelRates(48, Twenty, new Random(500 + seed), HundredKBps, 0.1, amp: 0.5, periodHours: 12.0 / 60));
            Assert.True(fit.Report.Cycle.Accepted, $"seed {500 + seed}: {fit.Report.Cycle.Reason}");
            periods.Add(fit.Report.Cycle.Period.TotalSeconds);
        }
        periods.Sort();
        Assert.Equal(720, (periods[49] + periods[50]) / 2, 720 * 0.02);
        Assert.True(periods.Count(p => Math.Abs(p / 720 - 1) <= 0.10) >= 90, string.Join(", ", periods));
    }

    [Fact]
    public void Without_a_period_a_single_step_or_a_curve_over_the_history_is_not_a_cycle()
    {
        // Half a cycle of period 32 min and a step fit the 16 minutes as well as a whole cycle does: a step ×2 half-way
        // (or at two thirds), and a bowl ln r = ln(100 kB/s) + 0.8·((k − 24)/24)², each with noise sd 0.1. The step is
        // described better by two levels (BIC), the bowl best by a period longer than the history (not a cycle seen
        // whole): none of them is found as a cycle in 100 seeds.
        for (var seed = 0; seed < 100; seed++)
        {
            var noise = LogModelRates(48, Twenty, new Random(900 + seed), HundredKBps, 0.1);
            foreach (var (shape, rates) in new[]
            {
                ("step at 24", noise.Select((r, k) => k >= 24 ? 2 * r : r).ToArray()),
                ("step at 32", noise.Select((r, k) => k >= 32 ? 2 * r : r).ToArray()),
                ("bowl", noise.Select((r, k) => r * Math.Exp(0.8 * Math.Pow((k - 24) / 24.0, 2))).ToArray()),
            })
            {
                var fit = Searched(rates);
                Assert.False(fit.Report.Cycle.Accepted, $"{shape}, seed {900 + seed}: a {fit.Report.Cycle.Period} cycle");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(90)]
    public void Without_a_period_a_sine_seen_exactly_once_is_a_cycle_though_its_best_period_may_fall_past_the_history(int phaseDegrees)
    {
        // ln r = ln(100 kB/s) + 0.5·cos(2π t / 16 min − phase) + iid noise sd 0.1 over 48 buckets of 20 s: one whole
        // cycle, period = the history. Noise moves the best whole-bucket period either way, past the 48 buckets in
        // 45 (phase 0) and 43 (phase 90°) of 100 seeds, and "a best period past the history is no cycle" rejected
        // those: 55 and 57 of 100 accepted. A period seen whole that fits not significantly worse (log-likelihood
        // ratio below ½χ²₁ at 1 − 2·0.01, 2.71: the one-sided test of "period ≤ history" at its boundary) bounds it:
        // 97 and 98 accepted (at least 90 asserted), the median period 960 s and 916 s (within 10 % asserted). Tested
        // against drifts at the trend's bias-corrected φ as well, 95 and 95 (medians 960 s and 922 s): the sines lost
        // leave the trend alone a φ of about 0.94, corrected to 0.98, where a drift over 48 buckets looks like one cycle
        // more than 1 % of the time. A bowl, a step and half a cycle still are not cycles (above and below).
        var periods = new List<double>();
        for (var seed = 0; seed < 100; seed++)
        {
            var noise = LogModelRates(48, Twenty, new Random(900 + seed), HundredKBps, 0.1);
            var fit = Searched(noise.Select((r, k) => r * Math.Exp(0.5 * Math.Cos(2 * Math.PI * (k + 0.5) / 48 - phaseDegrees * Math.PI / 180))).ToArray());
            if (fit.Report.Cycle.Accepted) periods.Add(fit.Report.Cycle.Period.TotalSeconds);
        }
        Assert.True(periods.Count >= 90, $"accepted in {periods.Count} of 100 seeds");
        periods.Sort();
        Assert.Equal(960, periods[periods.Count / 2], 96.0);
        Assert.All(periods, p => Assert.True(p <= 960, $"a {p} s period for a 960 s history"));
    }

    [Fact]
    public void Without_a_period_half_a_cycle_or_a_strong_ar1_drift_is_rarely_found_as_a_cycle()
    {
        // What fits best past the history must stay out when a period seen whole fits significantly worse. Half a
        // cycle (ln r + 0.5·cos(2π t / 32 min), noise sd 0.1, 100 seeds): 4 found (5 before the bootstrap below; at
        // most 8 asserted). A strong AR(1) drift (sd 0.3, φ = 0.9, 200 seeds): the trend's φ over 48 buckets averages
        // 0.76, and at that φ a drift's wander passed the Bonferroni F-test in 12 seeds (6 %). The largest F must now
        // also stand out among trend + AR(1) series at the φ with its bias removed ((48·0.76 + 2)/44 = 0.87): 1 found
        // (the bootstrap at the uncorrected φ alone lets 4 through, at the corrected 2). At the nominal 1 % about 2 of
        // 200 pass; more than 6 has a chance under 1 % — the bound white noise has (below).
        var half = 0;
        for (var seed = 0; seed < 100; seed++)
        {
            var noise = LogModelRates(48, Twenty, new Random(900 + seed), HundredKBps, 0.1);
            if (Searched(noise.Select((r, k) => r * Math.Exp(0.5 * Math.Cos(2 * Math.PI * (k + 0.5) / 96))).ToArray()).Report.Cycle.Accepted) half++;
        }
        var drift = 0;
        for (var seed = 0; seed < 200; seed++)
            if (Searched(LogModelRates(48, Twenty, new Random(1000 + seed), HundredKBps, 0.3, phi: 0.9)).Report.Cycle.Accepted) drift++;
        Assert.InRange(half, 0, 8);
        Assert.InRange(drift, 0, 6);
    }

    [Fact]
    public void Without_a_period_a_linear_trend_changes_no_verdict_of_the_cycle_search()
    {
        // The trend is in the cycle's model and in the model it is tested against: the same noise with
        // ln r rising by 1 over the 16 minutes (e.g. 100 to 272 kB/s) gets the same verdict as without, seed by seed.
        for (var seed = 0; seed < 100; seed++)
        {
            var flat = LogModelRates(48, Twenty, new Random(1300 + seed), HundredKBps, 0.1);
            var rising = flat.Select((r, k) => r * Math.Exp((k + 0.5) / 48)).ToArray();
            Assert.Equal(Searched(flat).Report.Cycle.Accepted, Searched(rising).Report.Cycle.Accepted);
        }
    }

    [Fact]
    public void Without_a_period_white_noise_is_found_as_a_cycle_at_about_the_nominal_rate_over_seeds()
    {
        // 200 seeds of 48 buckets of iid log-normal noise (sd 0.3): the search tries 45 periods, each F-test at
        // 0.01/45 — about 1 % of the seeds (2 of 200) may pass; more than 6 (P < 1 % at a true rate of 1 %) would mean
        // the search finds cycles in noise more often than the significance level says. Measured: 3 with the F-test
        // alone, 2 with the bootstrap of the largest F as well.
        var found = 0;
        for (var seed = 0; seed < 200; seed++)
            if (Searched(LogModelRates(48, Twenty, new Random(1000 + seed), HundredKBps, 0.3)).Report.Cycle.Accepted) found++;
        Assert.InRange(found, 0, 6);
    }

    [Fact]
    public void A_cycle_seen_once_spreads_the_forecast_over_the_periods_the_history_allows()
    {
        // The same 12-minute sine (amp 0.5, noise sd 0.1) seen 1.33 times (16 min) and 3.33 times (40 min), 60 seeds
        // each. Each path draws its period by the profile likelihood, so where the cycle is steep — 4.3 to 6 minutes
        // after the history (buckets 13-17), a second of phase about 0.004 of log-rate — the paths spread by the
        // period's uncertainty carried a period ahead: the 10th-90th percentile of the paths' mean log-rate over those
        // 5 buckets holds the true mean in about 80 % of the seeds (47 of 60; at least 40 asserted), and is about twice
        // as wide as with three cycles seen (median 0.28 against 0.13, where the noise alone is 0.12 wide).
        static (int Covered, double MedianWidth) Spread(int buckets)
        {
            var covered = 0;
            var widths = new List<double>();
            for (var seed = 0; seed < 60; seed++)
            {
                var fit = Searched(LogModelRates(buckets, Twenty, new Random(3000 + seed), HundredKBps, 0.1, amp: 0.5, periodHours: 12.0 / 60));
                Assert.True(fit.Report.Cycle.Accepted, fit.Report.Cycle.Reason);
                var rng = new Random(5);
                var rates = new double[18];
                var means = new List<double>();
                for (var run = 0; run < 400; run++)
                {
                    fit.SampleRates(rng, SimTime.Zero + Twenty * buckets, rates);
                    means.Add(Enumerable.Range(13, 5).Average(k => Math.Log(rates[k])));
                }
                means.Sort();
                var truth = Enumerable.Range(13, 5).Average(k => HundredKBps + 0.5 * Math.Cos(2 * Math.PI * (buckets + k + 0.5) * 20 / 720));
                if (means[39] <= truth && truth <= means[359]) covered++;
                widths.Add(means[359] - means[39]);
            }
            widths.Sort();
            return (covered, (widths[29] + widths[30]) / 2);
        }
        var once = Spread(48);
        var thrice = Spread(120);
        Assert.True(once.Covered >= 40, $"seen once: true mean inside p10-p90 in {once.Covered} of 60 seeds");
        Assert.True(once.MedianWidth > 1.6 * thrice.MedianWidth, $"seen once {once}, seen three times {thrice}");
    }

    // several-pg13 at half-way: 48 buckets of 16 s (12 min 48 s) of a load written as 90 + 40·cos(2π t / 12 min) kB/s.
    private static readonly SimDuration Sixteen = SimDuration.FromSeconds(16);

    private static double[] SineOfRate(int seed, double sigma) =>
        LogModelRates(48, Sixteen, new Random(seed), 0, sigma).Select((e, k) => (90 + 40 * Math.Cos(2 * Math.PI * (k + 0.5) * 16 / 720)) * 1024 * e).ToArray();

    private static WorkloadFit SearchedSixteen(double[] rates) =>
        WorkloadFit.Fit(FromBucketRates(rates, Sixteen, SimDuration.FromSeconds(1)), new WorkloadFitOptions { Bucket = Sixteen, DetectPeriod = true });

    private static bool IsSineOfRate(WorkloadFit fit) => fit.Report.Notes.Any(n => n.Contains("(a sine of the rate)", StringComparison.Ordinal));

    [Fact]
    public void Without_a_period_a_sine_of_the_rate_seen_1_06_times_is_fitted_as_one_with_its_period_within_1_5_percent()
    {
        // r = (90 + 40·cos(2π t / 12 min)) kB/s × e^u, u iid sd 0.05, over 48 buckets of 16 s: several-pg13's load at
        // half-way, 1.07 cycles seen. On the log scale that is not a sine (ln(90 + 40 cos θ) has a second harmonic a
        // tenth of the first), and one harmonic of the log-rate puts the period near 661 s, two near 746 s on the real
        // history. The sine of the rate has the same four coefficients as one log-harmonic and fits better: chosen in
        // 58 of 60 seeds (at least 50 asserted); the periods' median 720.4 s, within 1.5 % (10.8 s) of 720 s asserted,
        // and at least 52 of 60 within 5 % (56 measured).
        var periods = new List<double>();
        var ofRate = 0;
        for (var seed = 0; seed < 60; seed++)
        {
            var fit = SearchedSixteen(SineOfRate(4000 + seed, 0.05));
            Assert.True(fit.Report.Cycle.Accepted, $"seed {4000 + seed}: {fit.Report.Cycle.Reason}");
            periods.Add(fit.Report.Cycle.Period.TotalSeconds);
            if (IsSineOfRate(fit)) ofRate++;
        }
        periods.Sort();
        Assert.True(ofRate >= 50, $"a sine of the rate chosen in {ofRate} of 60 seeds");
        Assert.Equal(720, (periods[29] + periods[30]) / 2, 720 * 0.015);
        Assert.True(periods.Count(p => Math.Abs(p / 720 - 1) <= 0.05) >= 52, string.Join(", ", periods));
    }

    [Fact]
    public void Without_a_period_a_sine_of_the_log_rate_keeps_the_log_harmonic()
    {
        // The multiplicative load: ln r = ln(90 kB/s) + 0.45·cos(2π t / 12 min) + u (the same peak-to-trough ×2.5, sd
        // 0.05), 48 buckets of 16 s. A sine of the log-rate is the one-harmonic model itself; the sine of the rate has
        // as many coefficients and must not win it by BIC: chosen in 0 of 60 seeds (at most 3 asserted), and the period
        // stays within 5 % in at least 50 (55 measured).
        var ofRate = 0;
        var within = 0;
        for (var seed = 0; seed < 60; seed++)
        {
            var fit = SearchedSixteen(LogModelRates(48, Sixteen, new Random(6000 + seed), Math.Log(90 * 1024), 0.05, amp: 0.45, periodHours: 12.0 / 60));
            Assert.True(fit.Report.Cycle.Accepted, $"seed {6000 + seed}: {fit.Report.Cycle.Reason}");
            if (IsSineOfRate(fit)) ofRate++;
            if (Math.Abs(fit.Report.Cycle.Period.TotalSeconds / 720 - 1) <= 0.05) within++;
        }
        Assert.InRange(ofRate, 0, 3);
        Assert.True(within >= 50, $"period within 5 % in {within} of 60 seeds");
    }
}

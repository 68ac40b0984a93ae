using System.Globalization;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace Walsim.Simulator.Forecasting;

/// <summary>
/// A statistical model of a server's WAL write rate, fitted from a series of write positions, and a generator of
/// random future rate paths for Monte Carlo forecasts.
/// <para>
/// Model, per bucket k (default 5 min): idle (rate 0) by a two-state Markov chain fitted to the observed idle/busy
/// transitions; otherwise ln rateₖ = β₀ + β₁·tₖ (trend, days, when accepted) + Σ harmonics of the cycle (when
/// accepted) + uₖ, with uₖ = φ uₖ₋₁ + eₖ Gaussian AR(1) noise — so the marginal busy rate is log-normal.
/// Fitted by AR(1) feasible GLS (<see cref="Regression"/>); acceptance rules are on <see cref="CycleVerdict"/> and
/// <see cref="TrendVerdict"/>. Pure: no clock, no I/O; randomness only from the <see cref="Random"/> passed in.
/// </para>
/// </summary>
public sealed class WorkloadFit
{
    /// <summary>Cap on a sampled rate (4 GiB/s, beyond any real server), so an extrapolated trend cannot overflow LSNs.</summary>
    public const double MaxBytesPerSecond = 4.0 * ByteCount.GiB;

    private const double MicrosPerDay = 86_400_000_000d;

    private readonly long _bucketUs;
    private readonly long _periodUs;
    private readonly long _midnightUs;
    private readonly bool _trend;
    private readonly int _harmonics;
    private readonly bool _cycleOfRate;
    private readonly double _tRefUs;
    private readonly double[] _beta;
    private readonly double[,]? _betaCholesky;
    private readonly double _phi, _sigmaE, _sigmaU;
    private readonly bool _hasBusy;
    private readonly double? _lastResidual;
    private readonly long _lastResidualMidUs;
    private readonly double _idleAfterIdle, _idleAfterBusy, _idleStationary;
    private readonly bool? _lastIdle;
    private readonly long _lastMeasuredMidUs;
    private readonly ResampledRates? _resampled;
    private readonly PeriodDraw[]? _periods;
    private readonly double[]? _periodCumulative;

    private WorkloadFit(FitReport report, Model m)
    {
        Report = report;
        _bucketUs = m.BucketUs;
        _periodUs = m.PeriodUs;
        _midnightUs = m.MidnightUs;
        _trend = m.Trend;
        _harmonics = m.Harmonics;
        _cycleOfRate = m.CycleOfRate;
        _tRefUs = m.TRefUs;
        _beta = m.Beta;
        _betaCholesky = m.BetaCholesky;
        _phi = m.Phi;
        _sigmaE = m.SigmaE;
        _sigmaU = m.SigmaU;
        _hasBusy = m.HasBusy;
        _lastResidual = m.LastResidual;
        _lastResidualMidUs = m.LastResidualMidUs;
        _idleAfterIdle = m.IdleAfterIdle;
        _idleAfterBusy = m.IdleAfterBusy;
        _idleStationary = m.IdleStationary;
        _lastIdle = m.LastIdle;
        _lastMeasuredMidUs = m.LastMeasuredMidUs;
        _resampled = m.Resampled;
        (_periods, _periodCumulative) = (m.Periods?.Draws, m.Periods?.Cumulative);
    }

    /// <summary>What was fitted and what it is worth.</summary>
    public FitReport Report { get; }

    /// <summary>The bucket: the resolution of the fit and of sampled paths.</summary>
    public SimDuration Bucket => new(_bucketUs);

    /// <summary>
    /// The default bucket for a series: 5 minutes, or 4 × the median spacing of its non-gap readings when that is
    /// longer (so a bucket holds several readings), rounded up to a whole second.
    /// </summary>
    public static SimDuration DefaultBucket(IReadOnlyList<WalObservation> observations)
    {
        var spacings = new List<long>(observations.Count);
        for (var i = 1; i < observations.Count; i++)
            if (!observations[i].AfterGap && observations[i].At > observations[i - 1].At)
                spacings.Add((observations[i].At - observations[i - 1].At).Microseconds);
        var fiveMin = SimDuration.FromMinutes(5).Microseconds;
        if (spacings.Count == 0) return new SimDuration(fiveMin);
        spacings.Sort();
        var median = spacings[(spacings.Count - 1) / 2];
        var us = Math.Max(fiveMin, 4 * median);
        return new SimDuration((us + 999_999) / 1_000_000 * 1_000_000);
    }

    /// <summary>
    /// The bucket a forecast chooses from the data when none is given: a 48th of the series' span, at most
    /// <see cref="DefaultBucket"/>, and at least 4 × the median spacing of its readings, rounded up to a whole second —
    /// so a short history at a fine spacing gets some 48 buckets to judge the spread, bursts and level shifts by (two
    /// 5-minute buckets of a 10-minute history say nothing of them), and a long one the default.
    /// </summary>
    public static SimDuration BucketFromData(IReadOnlyList<WalObservation> observations)
    {
        var standard = DefaultBucket(observations).Microseconds;
        if (observations.Count < 2) return new SimDuration(standard);
        var spacings = new List<long>(observations.Count);
        for (var i = 1; i < observations.Count; i++)
            if (!observations[i].AfterGap && observations[i].At > observations[i - 1].At)
                spacings.Add((observations[i].At - observations[i - 1].At).Microseconds);
        if (spacings.Count == 0) return new SimDuration(standard);
        spacings.Sort();
        var median = spacings[(spacings.Count - 1) / 2];
        var span = (observations[^1].At - observations[0].At).Microseconds;
        var us = Math.Min(standard, Math.Max(4 * median, span / 48));
        return new SimDuration((us + 999_999) / 1_000_000 * 1_000_000);
    }

    /// <summary>
    /// Fits the workload model to <paramref name="observations"/> (ordered by time; equal times allowed).
    /// Throws <see cref="WorkloadDataException"/> when time goes backwards or no bucket could be measured.
    /// </summary>
    public static WorkloadFit Fit(IReadOnlyList<WalObservation> observations, WorkloadFitOptions? options = null)
    {
        var o = options ?? new WorkloadFitOptions();
        if (o.Harmonics < 1) throw new ArgumentOutOfRangeException(nameof(options), o.Harmonics, "Harmonics must be at least 1");
        if (o.CyclePeriod <= SimDuration.Zero) throw new ArgumentOutOfRangeException(nameof(options), o.CyclePeriod, "CyclePeriod must be positive");
        var bucket = o.Bucket ?? DefaultBucket(observations);
        var rb = RateBuckets.Build(observations, bucket, o);
        if (o.DetectPeriod && DetectCyclePeriod(rb, o) is var (found, harmonics, ofRate))
            return FitBuckets(observations, o with { CyclePeriod = found, Harmonics = harmonics, CycleOfRate = ofRate, DetectPeriod = false, MinCyclePeriods = Math.Min(1, o.MinCyclePeriods) }, bucket, rb,
                $"no --period given: a {found.Display()} cycle{(harmonics > 1 ? $" ({harmonics} harmonics)" : ofRate ? " (a sine of the rate)" : "")} found in the history (periods from 4 buckets to the whole history tried; Bonferroni-corrected F-test, then a bootstrap against trend + AR(1) drift; BIC against level shifts)");
        return FitBuckets(observations, o, bucket, rb, null);
    }

    /// <summary>
    /// The period of a cycle in the busy buckets' log-rates, and its harmonics, when none was given and the history is
    /// too short for two of the configured period. Every whole number of buckets from 4 (the shortest a sine is
    /// resolved at) to the whole history (at least one full cycle seen) is fitted as a one-harmonic cycle with the
    /// trend and AR(1) errors, and the best refined between its neighbours by least squares (golden section). It is
    /// accepted only when
    /// <list type="bullet">
    /// <item>the history bounds its period: no longer period, up to twice the history (a cycle not seen whole),
    /// fits significantly better than the best one seen whole — by the likelihood ratio of the one-sided test of
    /// "period ≤ history" at its boundary (½χ²₀ + ½χ²₁ there: χ²₁ at 1 − 2α), the cycle then taken at that best
    /// period seen whole. Part of a cycle, a curve or a drift fits markedly better far past the history; a cycle seen
    /// exactly once fits best a little past it about as often as a little short of it (noise moves the estimate
    /// either way), and was rejected whenever it did;</item>
    /// <item>its F-test against the trend with its own AR(1) stays below the significance level divided by the number
    /// of periods tried (Bonferroni: trying many must not find a cycle in noise more often than one given period
    /// would; the trend's own φ, not the cycle's smaller one, or a slow drift's wander passes for the signal), and the
    /// largest F over the periods stands out among trend + AR(1) series drawn at the trend's φ with its small-sample
    /// bias removed (<see cref="CycleSearchNull"/>: estimated short, φ lets a strong drift through the F-test);</item>
    /// <item>it describes the log-rates better by BIC than level shifts (<see cref="LevelShifts.LevelsBic"/>: a load
    /// stepping between a few levels passes for a square wave).</item>
    /// </list>
    /// The cycle accepted then gets the shape that describes the log-rates best by BIC, each at the period it fits best:
    /// one harmonic of the log-rate, two, or a sine of the rate itself with the noise still multiplicative
    /// (<see cref="Regression.FitCycleOfRate"/>, as many parameters as one harmonic). A load that is a sine on its own
    /// scale is not one on the log scale (ln(90 + 40 cos θ) has a second harmonic a tenth of the first), and with one
    /// cycle seen a misfitted shape moves the period: several-pg13 at half-way, a 12-minute sine of the rate seen 1.06
    /// times, gets 661 s with one harmonic of the log, 746 s with two, 725 s as a sine of the rate (its likelihood the
    /// highest of the three, with two parameters fewer than two harmonics). Null when no cycle passes.
    /// </summary>
    internal static (SimDuration Period, int Harmonics, bool CycleOfRate)? DetectCyclePeriod(RateBuckets rb, WorkloadFitOptions o)
    {
        var busyK = new List<int>();
        int k0 = -1, k1 = -1;
        for (var k = 0; k < rb.Count; k++)
        {
            if (double.IsNaN(rb.Rates[k])) continue;
            if (k0 < 0) k0 = k;
            k1 = k;
            if (rb.Rates[k] >= o.IdleBelowBytesPerSecond) busyK.Add(k);
        }
        var n = busyK.Count;
        if (k0 < 0 || n < o.MinBuckets) return null;
        var width = rb.WidthMicroseconds;
        var spanBuckets = k1 - k0 + 1;
        if (new SimDuration(spanBuckets * width) >= o.CyclePeriod * o.MinCyclePeriods) return null; // the given period is testable
        if (spanBuckets < 4 || n <= 5) return null;
        var y = Vector<double>.Build.Dense(n, i => Math.Log(rb.Rates[busyK[i]]));
        var runStart = new bool[n];
        for (var i = 0; i < n; i++) runStart[i] = i == 0 || busyK[i - 1] != busyK[i] - 1;
        var tRef = busyK.Average(k => (double)rb.BucketMiddle(k).Microseconds);
        Matrix<double> Design(double periodBuckets, int harmonics)
        {
            var periodUs = (long)Math.Round(periodBuckets * width);
            var x = Matrix<double>.Build.Dense(n, 2 + 2 * harmonics);
            for (var i = 0; i < n; i++)
                FillRow(x, i, rb.BucketMiddle(busyK[i]).Microseconds, true, harmonics, tRef, periodUs, o.MidnightAt.Microseconds);
            return x;
        }
        double Bic(Regression.Result r, int extra) => LevelShifts.Bic(n, Math.Max(r.Rss / n, 1e-12), r.P + extra);

        // The best period of one shape: whole buckets up to twice the history, then refined. Null when a period
        // longer than the history fits best (the cycle is not seen whole).
        (double Period, Regression.Result Fit)? Search(int harmonics, bool ofRate = false)
        {
            Regression.Result Cycle(double periodBuckets) => ofRate
                ? Regression.FitCycleOfRate(Design(periodBuckets, 1), y, runStart, 2)
                : Regression.Fit(Design(periodBuckets, harmonics), y, runStart);
            int bestM = 0, insideM = 0;
            Regression.Result? best = null, inside = null;
            for (var m = 4 * harmonics; m <= 2 * spanBuckets; m++)
            {
                if (n <= 2 + 2 * harmonics + 1) break;
                var fit = Cycle(m);
                if (best is null || fit.Rss < best.Rss) { best = fit; bestM = m; }
                if (m <= spanBuckets && (inside is null || fit.Rss < inside.Rss)) { inside = fit; insideM = m; }
            }
            if (best is null || inside is null) return null;
            // Past the history: seen whole only if the best period seen whole is not significantly worse (one-sided,
            // at the boundary of "period ≤ history": the log-likelihood ratio is ½χ²₀ + ½χ²₁ there, so χ²₁ at 1 − 2α).
            if (bestM > spanBuckets)
            {
                if (0.5 * n * Math.Log(inside.Rss / best.Rss) >= 0.5 * ChiSquared.InvCDF(1, 1 - 2 * o.SignificanceLevel)) return null;
                (best, bestM) = (inside, insideM);
            }
            // Golden section between the neighbours: whole buckets are 2-3 % apart at a 40-bucket period, and a
            // period seen once is forecast a whole period ahead.
            double lo = Math.Max(4 * harmonics, bestM - 1), hi = Math.Min(spanBuckets, bestM + 1);
            const double golden = 0.381_966_011_250_105;
            double a = lo + golden * (hi - lo), b = hi - golden * (hi - lo);
            double ra = Cycle(a).Rss, rbb = Cycle(b).Rss;
            for (var iter = 0; iter < 30; iter++)
            {
                if (ra < rbb) { hi = b; b = a; rbb = ra; a = lo + golden * (hi - lo); ra = Cycle(a).Rss; }
                else { lo = a; a = b; ra = rbb; b = hi - golden * (hi - lo); rbb = Cycle(b).Rss; }
            }
            var refined = Cycle((lo + hi) / 2);
            return refined.Rss < best.Rss ? ((lo + hi) / 2, refined) : (bestM, best);
        }

        if (Search(1) is not { } c) return null;
        var tried = spanBuckets - 3;
        var restricted = Regression.Fit(Design(c.Period, 0), y, runStart);
        var (_, p) = PartialF(restricted.Rss, c.Fit.Rss, 2, n - c.Fit.P);
        if (double.IsNaN(p) || p * tried >= o.SignificanceLevel) return null;
        // F(2, n − 4) holds for a period given in advance and noise of known φ; the best of many periods, with the
        // trend's φ estimated short of a strong drift's, passes for a cycle more often than that says (φ = 0.9 over 48
        // buckets: 12 of 200). The searched F must also stand out among trend + AR(1) series at the trend's φ with its
        // small-sample bias removed (CycleSearchNull: a parametric bootstrap, seeded from the data).
        var bootstrapP = CycleSearchNull.PValue(y.ToArray(), busyK.ToArray(), runStart, spanBuckets,
            CycleSearchNull.BiasCorrectedPhi(restricted.Phi, n), o.SignificanceLevel);
        if (double.IsNaN(bootstrapP) || bootstrapP > o.SignificanceLevel) return null;
        // A load that steps between a few levels passes for a square wave; where levels describe it better by BIC
        // (the cycle's AR(1) innovations with its coefficients, the period, φ and σ, against levels with iid noise and
        // 2m + 2 parameters), it is not a cycle: the steps need not come back on that period.
        var cycleBic = Bic(c.Fit, 3);
        var busyRates = busyK.Select(k => rb.Rates[k]).ToList();
        var shifts = LevelShifts.Find(busyRates);
        if (shifts.Count > 0 && LevelShifts.LevelsBic(busyRates, shifts) < cycleBic) return null;
        // The cycle found, its shape: the lowest BIC of one harmonic of the log-rate, two, or a sine of the rate, each
        // with the period it fits best (and seen whole).
        var (harmonics, ofRate, bestBic) = (1, false, cycleBic);
        if (Search(2) is { } two && Bic(two.Fit, 3) < bestBic) { c = two; (harmonics, bestBic) = (2, Bic(two.Fit, 3)); }
        if (Search(1, ofRate: true) is { } sine && Bic(sine.Fit, 3) < bestBic) { c = sine; (harmonics, ofRate) = (1, true); }
        return (new SimDuration((long)Math.Round(c.Period * width)), harmonics, ofRate);
    }

    private static WorkloadFit FitBuckets(IReadOnlyList<WalObservation> observations, WorkloadFitOptions o, SimDuration bucket, RateBuckets rb, string? detected)
    {
        var ci = CultureInfo.InvariantCulture;

        // ---- measured, idle and busy buckets
        int k0 = -1, k1 = -1, measured = 0, idle = 0;
        for (var k = 0; k < rb.Count; k++)
        {
            if (double.IsNaN(rb.Rates[k])) continue;
            if (k0 < 0) k0 = k;
            k1 = k;
            measured++;
            if (rb.Rates[k] < o.IdleBelowBytesPerSecond) idle++;
        }
        if (k0 < 0)
            throw new WorkloadDataException("no bucket could be measured: every interval is a gap, too long or too short for the bucket " + bucket);
        bool IsIdle(int k) => rb.Rates[k] < o.IdleBelowBytesPerSecond;

        // ---- idle/busy Markov chain over consecutive measured buckets
        long ii = 0, ib = 0, bi = 0, bb = 0;
        for (var k = k0 + 1; k <= k1; k++)
        {
            if (double.IsNaN(rb.Rates[k]) || double.IsNaN(rb.Rates[k - 1])) continue;
            bool was = IsIdle(k - 1), now = IsIdle(k);
            if (was && now) ii++;
            else if (was) ib++;
            else if (now) bi++;
            else bb++;
        }
        var idleFraction = (double)idle / measured;
        var idleAfterIdle = ii + ib > 0 ? (double)ii / (ii + ib) : idleFraction;
        var idleAfterBusy = bi + bb > 0 ? (double)bi / (bi + bb) : idleFraction;
        var denom = 1 - idleAfterIdle + idleAfterBusy;
        var idleStationary = denom > 0 ? idleAfterBusy / denom : idleFraction;

        // ---- busy log-rates
        var busyK = new List<int>(measured);
        for (var k = k0; k <= k1; k++)
            if (!double.IsNaN(rb.Rates[k]) && !IsIdle(k)) busyK.Add(k);
        var n = busyK.Count;
        var y = Vector<double>.Build.Dense(n, i => Math.Log(rb.Rates[busyK[i]]));
        var runStart = new bool[n];
        for (var i = 0; i < n; i++) runStart[i] = i == 0 || busyK[i - 1] != busyK[i] - 1;
        var tRef = n > 0 ? busyK.Average(k => (double)rb.BucketMiddle(k).Microseconds) : 0;

        var from = rb.BucketStart(k0);
        var until = rb.BucketStart(k1 + 1);
        var span = until - from;
        var notes = new List<string>();
        if (detected is not null) notes.Add(detected);
        var rates = Distribution(rb, k0, k1, y, measured, idleFraction);

        var periodUs = o.CyclePeriod.Microseconds;
        var midnightUs = o.MidnightAt.Microseconds;
        var q = 2 * o.Harmonics;
        var cycleName = o.CyclePeriod == SimDuration.FromDays(1) ? "a daily cycle" : $"a {o.CyclePeriod.Display()} cycle";
        var needSpan = o.CyclePeriod * o.MinCyclePeriods;
        var cycleEligible = span >= needSpan;
        var (needText, spanText) = SimDuration.DisplayPair(needSpan, span);
        var (shortSpanText, periodText) = SimDuration.DisplayPair(span, o.CyclePeriod);
        var logSd = rates.LogStdDev;
        var flat = n >= 2 && logSd < 1e-9;

        CycleVerdict cycle;
        TrendVerdict trend;
        bool useTrend = false, useCycle = false;

        Matrix<double> Design(bool withTrend, bool withCycle, long? atPeriodUs = null)
        {
            var p = 1 + (withTrend ? 1 : 0) + (withCycle ? q : 0);
            var x = Matrix<double>.Build.Dense(n, p);
            for (var i = 0; i < n; i++)
                FillRow(x, i, rb.BucketMiddle(busyK[i]).Microseconds, withTrend, withCycle ? o.Harmonics : 0, tRef, atPeriodUs ?? periodUs, midnightUs);
            return x;
        }

        // The cycle's own fit: one of the log-rate's harmonics is linear, a sine of the rate is not.
        Regression.Result FitModel(bool withTrend, bool withCycle, long? atPeriodUs = null, double? fixedPhi = null) =>
            withCycle && o.CycleOfRate
                ? Regression.FitCycleOfRate(Design(withTrend, true, atPeriodUs), y, runStart, withTrend ? 2 : 1, fixedPhi)
                : Regression.Fit(Design(withTrend, withCycle, atPeriodUs), y, runStart, fixedPhi);

        var notCycle = (string reason) => new CycleVerdict(false, false, o.CyclePeriod, o.Harmonics, 0, 1, SimDuration.Zero, double.NaN, double.NaN, 0, reason);
        var notTrend = (string reason) => new TrendVerdict(false, false, 0, double.NaN, double.NaN, double.NaN, reason);

        if (n < o.MinBuckets)
        {
            var why = string.Create(ci, $"only {n} busy buckets; need at least {o.MinBuckets}");
            notes.Add(why + " to look for a cycle or a trend; the rate is modelled as log-normal around a constant level");
            cycle = notCycle(why);
            trend = notTrend(why);
        }
        else if (flat)
        {
            cycle = notCycle("the rate does not vary");
            trend = notTrend("the rate does not vary");
        }
        else
        {
            // Cycle first, with the trend in both models (a trend must not pass for part of a cycle, nor the reverse).
            double cycleP = double.NaN, cycleF = double.NaN, adjGain = 0;
            if (cycleEligible && n > 2 + q + 1)
            {
                var full = FitModel(true, true);
                var restricted = Regression.Fit(Design(true, false), y, runStart, full.Phi);
                (cycleF, cycleP) = PartialF(restricted.Rss, full.Rss, q, n - full.P);
                adjGain = Regression.RSquared(Design(true, true), y).AdjR2 - Regression.RSquared(Design(true, false), y).AdjR2;
                useCycle = cycleP < o.SignificanceLevel;
            }
            else if (!cycleEligible)
            {
                notes.Add(string.Create(ci, $"need at least {o.MinCyclePeriods:0.#} periods ({needText}) of samples to detect {cycleName}; have {spanText}"));
            }

            var trendFit = FitModel(true, useCycle);
            var slope = trendFit.Beta[1];
            var se = Math.Sqrt(trendFit.Covariance[1, 1]);
            var dof = n - trendFit.P;
            double tStat, trendP;
            if (se > 0) { tStat = slope / se; trendP = 2 * (1 - StudentT.CDF(0, 1, dof, Math.Abs(tStat))); }
            else { tStat = slope == 0 ? 0 : double.PositiveInfinity; trendP = slope == 0 ? 1 : 0; }
            // Shorter than one period, any rising or falling phase of the cycle passes for a trend, and an
            // exponential trend extrapolated from it runs away (a backtest on 7 minutes of a 10-minute cycle
            // forecast 4x the WAL): not accepted, however significant.
            var significant = trendP < o.SignificanceLevel;
            var trendTooShort = span < o.CyclePeriod;
            useTrend = significant && !trendTooShort;
            var alpha = o.SignificanceLevel.ToString("0.###", ci);
            trend = new TrendVerdict(true, useTrend, slope, se, tStat, trendP,
                useTrend ? "significant"
                : significant ? string.Create(ci, $"a slope (p={trendP:0.###}) over {shortSpanText}, less than one {periodText} period: it may be part of the cycle")
                : string.Create(ci, $"slope not significant (p={trendP:0.###} ≥ {alpha})"));

            string cycleReason = !cycleEligible
                ? string.Create(ci, $"need at least {o.MinCyclePeriods:0.#} periods ({needText}) of data; have {spanText}")
                : double.IsNaN(cycleP) ? "too few buckets for the harmonic terms"
                : useCycle ? "significant"
                : string.Create(ci, $"not significant (F-test p={cycleP:0.###} ≥ {alpha})");
            cycle = new CycleVerdict(cycleEligible && !double.IsNaN(cycleP), useCycle, o.CyclePeriod, o.Harmonics, 0, 1,
                SimDuration.Zero, cycleF, cycleP, adjGain, cycleReason);
        }

        // ---- final model
        var model = new Model
        {
            BucketUs = rb.WidthMicroseconds, PeriodUs = periodUs, MidnightUs = midnightUs, Trend = useTrend,
            Harmonics = useCycle ? o.Harmonics : 0, CycleOfRate = useCycle && o.CycleOfRate, TRefUs = tRef, HasBusy = n > 0,
            IdleAfterIdle = idleAfterIdle, IdleAfterBusy = idleAfterBusy, IdleStationary = idleStationary,
            LastIdle = IsIdle(k1), LastMeasuredMidUs = rb.BucketMiddle(k1).Microseconds,
            Beta = [n > 0 ? rates.LogMean : 0],
        };
        double modelR2 = 0, residualKs = 0;
        if (n >= 2 && !flat)
        {
            var x = Design(useTrend, useCycle);
            var fit = n >= o.MinBuckets
                ? FitModel(useTrend, useCycle)
                : Regression.Fit(x, y, runStart, n >= 3 ? Regression.Ar1(y - y.Average(), runStart) : 0);
            model.Beta = fit.Beta.ToArray();
            model.Phi = fit.Phi;
            model.SigmaE = Math.Sqrt(fit.S2);
            model.SigmaU = model.SigmaE / Math.Sqrt(1 - fit.Phi * fit.Phi);
            model.BetaCholesky = CholeskyOrNull(fit.Covariance);
            if (busyK[^1] == k1)
            {
                model.LastResidual = fit.RawResiduals[n - 1];
                model.LastResidualMidUs = rb.BucketMiddle(k1).Microseconds;
            }
            if (x.ColumnCount > 1) modelR2 = Regression.RSquared(x, y).R2;
            residualKs = model.SigmaU > 0 ? KolmogorovSmirnov(fit.RawResiduals.Select(e => e / model.SigmaU).ToArray(), 0, 1) : 0;
            if (useCycle && detected is not null && n >= o.MinBuckets)
            {
                // Each period weighed in the model it was searched with (the trend free: with one cycle seen, the
                // trend and the period trade off), and forecast with the terms accepted here.
                Regression.Result Weighed(long pUs) => FitModel(true, true, pUs);
                model.Periods = PeriodDraws(pUs =>
                {
                    var r = FitModel(useTrend, true, pUs);
                    return (useTrend ? r : Weighed(pUs), new PeriodDraw(pUs, r.Beta.ToArray(), CholeskyOrNull(r.Covariance), r.Phi, Math.Sqrt(r.S2),
                        Math.Sqrt(r.S2) / Math.Sqrt(1 - r.Phi * r.Phi), busyK[^1] == k1 ? r.RawResiduals[n - 1] : null));
                }, periodUs, Math.Max(4L * o.Harmonics * rb.WidthMicroseconds, 1), Math.Max(2 * span.Microseconds, periodUs), runStart.Count(r => r));
            }
        }
        if (useCycle)
        {
            var off = 1 + (useTrend ? 1 : 0);
            var (amp, peakFrac) = CycleShape(model.Beta, off, o.Harmonics, o.CycleOfRate);
            cycle = cycle with
            {
                LogAmplitude = amp,
                PeakToTroughRatio = Math.Exp(2 * amp),
                PeakOffset = new SimDuration((long)Math.Round(peakFrac * periodUs)),
            };
        }
        if (n > 0 && n < 50)
            notes.Add(string.Create(ci, $"{n} busy buckets: the spread (sigma) and the tails are rough"));
        if (idle > 0 && useCycle)
            notes.Add("idle buckets are modelled as a Markov chain that does not follow the cycle");

        var noise = new NoiseModel(model.Phi, model.SigmaE, model.SigmaU, residualKs);
        var report = new FitReport(new SimDuration(rb.WidthMicroseconds), from, until, k1 - k0 + 1, measured, idle,
            rates, cycle, trend, noise, modelR2, notes);
        var parametric = new WorkloadFit(report, model);

        // ---- the model checked against the history it was fitted to
        var series = new List<double>(measured);
        for (var k = k0; k <= k1; k++) if (!double.IsNaN(rb.Rates[k])) series.Add(rb.Rates[k]);
        if (series.Count < 8) return parametric;
        var check = parametric.Check(rb, k0, k1, useCycle || useTrend);
        if (!check.Resampled) return new WorkloadFit(report with { Check = check }, model);
        model.Resampled = ResampledRates.Of([.. series], check.LevelShifts);
        return new WorkloadFit(report with { Check = check }, model);
    }

    /// <summary>
    /// Draws WAL volumes over windows of the history's length scale from this (log-normal) model, starting anywhere
    /// in the history, and compares their median and 90th percentile with the history's own windows: a model whose
    /// volumes are off by more than <see cref="ModelCheck.Tolerance"/> either way (a batch load's spread makes the
    /// log-normal's mean explode) is replaced by resampling the history, and so is a constant level where the history
    /// shows level shifts that no accepted cycle or trend explains.
    /// </summary>
    private ModelCheck Check(RateBuckets rb, int k0, int k1, bool explained)
    {
        var span = k1 - k0 + 1;
        var window = Math.Clamp(span / 8, 1, 30);
        var history = new List<double>();
        for (var k = k0; k + window - 1 <= k1; k++)
        {
            double sum = 0;
            var ok = true;
            for (var j = 0; j < window && ok; j++) { var r = rb.Rates[k + j]; ok = !double.IsNaN(r); sum += r; }
            if (ok) history.Add(sum);
        }
        var series = new List<double>();
        for (var k = k0; k <= k1; k++) if (!double.IsNaN(rb.Rates[k])) series.Add(rb.Rates[k]);
        // Levels are kept where they beat one AR(1) by BIC and beat the same rates shuffled: a batch load's bursts
        // bunch together by chance, and a bunch at the end of the history is not a new level.
        IReadOnlyList<int> shifts = explained ? [] : LevelShifts.Find(series);
        if (shifts.Count > 0 && !(LevelShifts.BeatAr1(series, shifts) && LevelShifts.BeatShuffles(series, shifts))) shifts = [];
        if (history.Count == 0) return new ModelCheck(shifts.Count > 0, window, 1, 1, shifts, "too few whole windows to check");

        const int paths = 400;
        var rng = new Random(20_261_204);
        var model = new double[paths];
        var buffer = new double[window];
        for (var i = 0; i < paths; i++)
        {
            SampleRates(rng, rb.BucketStart(k0 + i % span), buffer);
            model[i] = buffer.Sum();
        }
        Array.Sort(model);
        history.Sort();
        double Q(IReadOnlyList<double> sorted, double p) => sorted[EmpiricalQuantile.Type1Index(sorted.Count, p)];
        double Ratio(double a, double b) => b > 0 ? a / b : a > 0 ? double.PositiveInfinity : 1;
        var median = Ratio(Q(model, 0.5), Q(history, 0.5));
        var p90 = Ratio(Q(model, 0.9), Q(history, 0.9));
        bool Off(double r) => r > ModelCheck.Tolerance || r < 1 / ModelCheck.Tolerance;
        var ci = CultureInfo.InvariantCulture;
        var reason = Off(median) || Off(p90)
            ? string.Create(ci, $"the log-normal misses the history's WAL volumes by more than x{ModelCheck.Tolerance:0.#}")
            : shifts.Count > 0 ? string.Create(ci, $"{shifts.Count} level shift(s) in the history")
            : "the log-normal matches the history's WAL volumes";
        return new ModelCheck(Off(median) || Off(p90) || shifts.Count > 0, window, median, p90, shifts, reason);
    }

    /// <summary>
    /// The deterministic part of the fitted log-rate at <paramref name="at"/> (level + trend + cycle, no noise), as
    /// bytes per second: the median busy rate there.
    /// </summary>
    public double MedianRateAt(SimTime at) => _resampled is { } r ? r.TypicalRate : _hasBusy ? Math.Exp(Mean(_beta, at.Microseconds, _periodUs)) : 0;

    /// <summary>
    /// A random future of the WAL rate: one rate per bucket for <paramref name="horizon"/> (rounded up to whole
    /// buckets), as an engine <see cref="Workload"/> of one <see cref="PiecewiseRate"/> whose step k starts at
    /// <c>SimTime.Zero + k × Bucket</c> — the engine's clock starts at <paramref name="from"/>, which is on the
    /// observations' clock (it places the trend and the cycle). The last rate holds after the horizon.
    /// Each path draws the coefficients from their estimated sampling distribution (so the trend's uncertainty widens
    /// the spread of outcomes), starts its AR(1) noise and idle state from the last observed bucket when
    /// <paramref name="from"/> is after it, and multiplies every rate by <paramref name="rateFactor"/> (a what-if).
    /// <paramref name="bucketsPerStep"/> &gt; 1 averages that many buckets into one engine step (same draws, same WAL
    /// volume per step, fewer rate changes for the engine to process). Same <paramref name="rng"/> state, same path.
    /// </summary>
    public Workload SamplePath(Random rng, SimTime from, SimDuration horizon, double rateFactor = 1, int bucketsPerStep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketsPerStep, 1);
        var rates = new double[BucketsIn(horizon)];
        SampleRates(rng, from, rates, rateFactor);
        var steps = new RateStep[(rates.Length + bucketsPerStep - 1) / bucketsPerStep];
        for (var s = 0; s < steps.Length; s++)
        {
            int first = s * bucketsPerStep, end = Math.Min(rates.Length, first + bucketsPerStep);
            double sum = 0;
            for (var k = first; k < end; k++) sum += rates[k];
            steps[s] = new RateStep(new SimTime(first * _bucketUs), sum / (end - first));
        }
        return new Workload([new PiecewiseRate(steps)]);
    }

    /// <summary>Number of buckets a path over <paramref name="horizon"/> has.</summary>
    public int BucketsIn(SimDuration horizon)
    {
        if (horizon <= SimDuration.Zero) throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "the horizon must be positive");
        var count = (horizon.Microseconds + _bucketUs - 1) / _bucketUs;
        if (count > RateBuckets.MaxBuckets) throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "too many buckets for one path");
        return (int)count;
    }

    /// <summary>The rates of <see cref="SamplePath"/> (bytes/s per bucket from <paramref name="from"/>) into <paramref name="rates"/>.</summary>
    public void SampleRates(Random rng, SimTime from, Span<double> rates, double rateFactor = 1)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (_resampled is { } resampled)
        {
            resampled.Sample(rng, rates, rateFactor);
            return;
        }
        // A cycle whose period came from the data: each path its period, drawn by the profile likelihood.
        var (periodUs, beta0, cholesky, phi, sigmaE, sigmaU, lastResidual) = (_periodUs, _beta, _betaCholesky, _phi, _sigmaE, _sigmaU, _lastResidual);
        if (_periods is { } draws && _periodCumulative is { } cumulative)
        {
            var d = draws[WeightedPick.Draw(rng, cumulative)];
            (periodUs, beta0, cholesky, phi, sigmaE, sigmaU, lastResidual) = (d.PeriodUs, d.Beta, d.Cholesky, d.Phi, d.SigmaE, d.SigmaU, d.LastResidual);
        }
        var normal = new Gaussian(rng);
        var beta = beta0;
        if (cholesky is { } l)
        {
            var p = beta0.Length;
            Span<double> z = stackalloc double[p];
            for (var i = 0; i < p; i++) z[i] = normal.Next();
            beta = new double[p];
            for (var i = 0; i < p; i++)
            {
                var s = beta0[i];
                for (var j = 0; j <= i; j++) s += l[i, j] * z[j];
                beta[i] = s;
            }
        }

        var mid0 = from.Microseconds + _bucketUs / 2;
        // AR(1) state of the first bucket, conditioned on the last observed residual when the path follows it.
        double u;
        if (lastResidual is { } last && mid0 > _lastResidualMidUs)
        {
            var lag = Math.Max(1, (mid0 - _lastResidualMidUs + _bucketUs / 2) / _bucketUs);
            var decay = Math.Pow(phi, lag);
            u = decay * last + sigmaU * Math.Sqrt(Math.Max(0, 1 - decay * decay)) * normal.Next();
        }
        else u = sigmaU * normal.Next();

        var pIdle = _idleStationary;
        if (_lastIdle is { } wasIdle && mid0 > _lastMeasuredMidUs)
        {
            var lag = Math.Max(1, (mid0 - _lastMeasuredMidUs + _bucketUs / 2) / _bucketUs);
            pIdle = _idleStationary + ((wasIdle ? 1 : 0) - _idleStationary) * Math.Pow(_idleAfterIdle - _idleAfterBusy, lag);
        }
        var idle = rng.NextDouble() < pIdle;

        for (var k = 0; k < rates.Length; k++)
        {
            if (k > 0)
            {
                u = phi * u + sigmaE * normal.Next();
                idle = rng.NextDouble() < (idle ? _idleAfterIdle : _idleAfterBusy);
            }
            rates[k] = idle || !_hasBusy ? 0 : Math.Min(MaxBytesPerSecond, rateFactor * Math.Exp(Mean(beta, mid0 + k * _bucketUs, periodUs) + u));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private double Mean(double[] beta, long tUs, long periodUs)
    {
        var m = beta[0];
        var j = 1;
        if (_trend) m += beta[j++] * (tUs - _tRefUs) / MicrosPerDay;
        if (_harmonics > 0)
        {
            var theta = Phase(tUs, periodUs, _midnightUs);
            // A sine of the rate: a drawn amplitude of 1 or more reaches zero at the trough; the floor keeps the log finite.
            if (_cycleOfRate) return m + Math.Log(Math.Max(1e-9, 1 + beta[j] * Math.Cos(theta) + beta[j + 1] * Math.Sin(theta)));
            for (var h = 1; h <= _harmonics; h++)
            {
                m += beta[j++] * Math.Cos(h * theta);
                m += beta[j++] * Math.Sin(h * theta);
            }
        }
        return m;
    }

    private static double Phase(long tUs, long periodUs, long midnightUs)
    {
        var r = (tUs - midnightUs) % periodUs;
        if (r < 0) r += periodUs;
        return 2 * Math.PI * r / periodUs;
    }

    private static void FillRow(Matrix<double> x, int i, long tUs, bool trend, int harmonics, double tRef, long periodUs, long midnightUs)
    {
        var j = 0;
        x[i, j++] = 1;
        if (trend) x[i, j++] = (tUs - tRef) / MicrosPerDay;
        if (harmonics == 0) return;
        var theta = Phase(tUs, periodUs, midnightUs);
        for (var h = 1; h <= harmonics; h++)
        {
            x[i, j++] = Math.Cos(h * theta);
            x[i, j++] = Math.Sin(h * theta);
        }
    }

    /// <summary>Half the peak-to-trough range of Σ aₕ cos hθ + bₕ sin hθ and the peak's phase as a fraction of the period.</summary>
    private static (double Amplitude, double PeakFraction) CycleShape(double[] beta, int offset, int harmonics, bool ofRate)
    {
        if (harmonics == 1 && ofRate)
        {
            // ln(1 + A cos(θ − θ₀)): peak at θ₀, half its range ½ ln((1 + A)/(1 − A)).
            double a = beta[offset], b = beta[offset + 1];
            var peak = Math.Atan2(b, a);
            if (peak < 0) peak += 2 * Math.PI;
            var amp = Math.Min(Math.Sqrt(a * a + b * b), 0.999);
            return (0.5 * Math.Log((1 + amp) / (1 - amp)), peak / (2 * Math.PI));
        }
        if (harmonics == 1)
        {
            double a = beta[offset], b = beta[offset + 1];
            var peak = Math.Atan2(b, a);
            if (peak < 0) peak += 2 * Math.PI;
            return (Math.Sqrt(a * a + b * b), peak / (2 * Math.PI));
        }
        const int grid = 8640; // 10 s steps of a day
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        var argmax = 0;
        for (var g = 0; g < grid; g++)
        {
            var theta = 2 * Math.PI * g / grid;
            double v = 0;
            for (var h = 1; h <= harmonics; h++)
                v += beta[offset + 2 * (h - 1)] * Math.Cos(h * theta) + beta[offset + 2 * (h - 1) + 1] * Math.Sin(h * theta);
            if (v > max) { max = v; argmax = g; }
            if (v < min) min = v;
        }
        return ((max - min) / 2, (double)argmax / grid);
    }

    private static (double F, double P) PartialF(double rssRestricted, double rssFull, int q, int dof)
    {
        if (dof <= 0) return (double.NaN, double.NaN);
        var drop = Math.Max(0, rssRestricted - rssFull);
        if (rssFull <= 1e-14 * Math.Max(rssRestricted, 1e-300))
            return drop > 0 ? (double.PositiveInfinity, 0) : (0, 1);
        var f = drop / q / (rssFull / dof);
        return (f, 1 - FisherSnedecor.CDF(q, dof, f));
    }

    private static RateDistribution Distribution(RateBuckets rb, int k0, int k1, Vector<double> y, int measured, double idleFraction)
    {
        var all = new List<double>(measured);
        for (var k = k0; k <= k1; k++) if (!double.IsNaN(rb.Rates[k])) all.Add(rb.Rates[k]);
        all.Sort();
        var n = y.Count;
        if (n == 0) return new RateDistribution(0, idleFraction, double.NaN, double.NaN, all[(all.Count - 1) / 2], all.Average(), 0, 1);
        var mu = y.Average();
        var sd = n > 1 ? Math.Sqrt(y.Sum(v => (v - mu) * (v - mu)) / (n - 1)) : 0;
        var sorted = y.ToArray();
        Array.Sort(sorted);
        double ks = 0, qq = 1;
        if (sd > 1e-9)
        {
            ks = KolmogorovSmirnov(sorted, mu, sd);
            var theo = new double[n];
            for (var i = 0; i < n; i++) theo[i] = Normal.InvCDF(0, 1, (i + 1 - 0.375) / (n + 0.25)); // Blom positions
            var r = MathNet.Numerics.Statistics.Correlation.Pearson(sorted, theo);
            qq = r * r;
        }
        var median = all.Count % 2 == 1 ? all[all.Count / 2] : (all[all.Count / 2 - 1] + all[all.Count / 2]) / 2;
        return new RateDistribution(n, idleFraction, mu, sd, median, all.Average(), ks, qq);
    }

    /// <summary>sup |Fₙ(x) − Φ((x−μ)/σ)| over the sample (sorted or not).</summary>
    private static double KolmogorovSmirnov(double[] values, double mu, double sd)
    {
        var x = (double[])values.Clone();
        Array.Sort(x);
        double d = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var f = Normal.CDF(mu, sd, x[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / x.Length - f, f - (double)i / x.Length));
        }
        return d;
    }

    private static double[,]? CholeskyOrNull(Matrix<double> cov)
    {
        try
        {
            var l = cov.Cholesky().Factor;
            return l.ToArray();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private sealed class Model
    {
        public long BucketUs, PeriodUs, MidnightUs, LastResidualMidUs, LastMeasuredMidUs;
        public bool Trend, HasBusy;
        public bool? LastIdle;
        public int Harmonics;
        public bool CycleOfRate;
        public double TRefUs, Phi, SigmaE, SigmaU, IdleAfterIdle, IdleAfterBusy, IdleStationary;
        public double[] Beta = [];
        public double[,]? BetaCholesky;
        public double? LastResidual;
        public ResampledRates? Resampled;
        public (PeriodDraw[] Draws, double[] Cumulative)? Periods;
    }

    /// <summary>One period a path may draw, with the fit at that period.</summary>
    private sealed record PeriodDraw(long PeriodUs, double[] Beta, double[,]? Cholesky, double Phi, double SigmaE, double SigmaU, double? LastResidual);

    /// <summary>
    /// The periods a path draws from, for a cycle whose period came from the data: periods 1 % apart (in the log)
    /// around the fitted one up to <paramref name="maxPeriodUs"/> (twice the history, the longest the search tried: a
    /// cycle seen about once is not known to be shorter than the history), each weighted by its posterior
    /// (<see cref="LogPeriodPosterior"/>); periods below 10⁻⁴ of the fitted one's weight end the grid. Seen many times,
    /// the period is pinned and a few neighbours share the runs; seen once, the history allows a range of periods, and
    /// the runs place the next peaks and troughs accordingly (several-pg13 at half-way, 1.06 cycles seen, as a sine of
    /// the rate: 725 s fitted, 711–740 s within about half a unit of log-posterior, the grid 662–817 s, 39 % of the weight on 718 s or less; 720 s true).
    /// </summary>
    private static (PeriodDraw[] Draws, double[] Cumulative) PeriodDraws(Func<long, (Regression.Result Fit, PeriodDraw Draw)> fitAt, long periodUs, long minPeriodUs, long maxPeriodUs, int runs)
    {
        const double step = 0.01, floor = 1e-4;
        var draws = new List<(double LogWeight, PeriodDraw Draw)>();
        double? atFitted = null;
        foreach (var dir in new[] { -1, 1 })
        {
            for (var j = dir < 0 ? 0 : 1; j <= 60; j++)
            {
                var p = (long)Math.Round(periodUs * Math.Exp(dir * j * step));
                if (p < minPeriodUs || p > maxPeriodUs) break;
                var (fit, draw) = fitAt(p);
                var logPosterior = LogPeriodPosterior(fit, p, runs);
                atFitted ??= logPosterior;
                var logW = logPosterior - atFitted.Value;
                if (logW < Math.Log(floor)) break;
                draws.Add((logW, draw));
            }
        }
        draws.Sort((a, b) => a.Draw.PeriodUs.CompareTo(b.Draw.PeriodUs));
        var max = draws.Max(d => d.LogWeight);
        var cumulative = new double[draws.Count];
        double sum = 0;
        for (var i = 0; i < draws.Count; i++)
        {
            sum += Math.Exp(draws[i].LogWeight - max);
            cumulative[i] = sum;
        }
        return ([.. draws.Select(d => d.Draw)], cumulative);
    }

    /// <summary>
    /// ln of a period's posterior weight on the log-period grid, up to a constant. The AR(1) Gaussian likelihood of the
    /// fit at that period with its coefficients β (level, trend, the cycle's cos and sin: phase and amplitude) and σ
    /// integrated out, flat priors on β and on ln σ: RSS^(−(n−p)/2) · |X̃ᵀX̃|^(−1/2), not the profile's RSS^(−n/2) alone
    /// (a period whose phase the data pin down less gets less weight); the whitening's Jacobian (1 − φ²)^(runs/2) (the
    /// first row of each run scaled by √(1−φ²), <see cref="Regression"/>), as φ is re-estimated per period; and a
    /// prior flat in frequency, the Jeffreys prior of a sinusoid's frequency (the information about it does not depend
    /// on the frequency), which on a grid even in ln P is 1/P per point. On the corpus each term moves a forecast by
    /// a second or less: the period's spread comes from the residuals, as the profile said.
    /// </summary>
    private static double LogPeriodPosterior(Regression.Result fit, long periodUs, int runs) =>
        -0.5 * (fit.N - fit.P) * Math.Log(Math.Max(fit.Rss, 1e-300)) - 0.5 * fit.LogDetInformation
        + 0.5 * runs * Math.Log(1 - fit.Phi * fit.Phi) - Math.Log(periodUs);
}

using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Forecasting;

/// <summary>
/// WAL position series generated from known parameters: a rate per bucket (constant inside the bucket), read every
/// <c>every</c> as an exact cumulative position, so the fit sees each bucket's true rate up to a byte of rounding.
/// </summary>
internal static class SyntheticWal
{
    public static readonly Lsn StartLsn = new(0x1_0000_0000UL);

    public static List<WalObservation> FromBucketRates(IReadOnlyList<double> rates, SimDuration bucket, SimDuration every, SimTime? start = null)
    {
        var perBucket = bucket.Microseconds / every.Microseconds;
        if (perBucket * every.Microseconds != bucket.Microseconds) throw new ArgumentException("bucket must be a multiple of the reading spacing");
        var t0 = start ?? SimTime.Zero;
        var list = new List<WalObservation>((int)(rates.Count * perBucket) + 1) { new(t0, StartLsn) };
        double bytes = 0;
        for (var k = 0; k < rates.Count; k++)
            for (var j = 1; j <= perBucket; j++)
            {
                bytes += rates[k] * every.TotalSeconds;
                var at = t0 + new SimDuration(k * bucket.Microseconds + j * every.Microseconds);
                list.Add(new WalObservation(at, StartLsn + new ByteCount((long)Math.Floor(bytes))));
            }
        return list;
    }

    /// <summary>Known log-rate model per bucket (middle of bucket k at t = start + (k + ½)·bucket):
    /// ln r = mu + slopePerDay·t_days + amp·cos(2π(t_h − peakHour)/periodHours) + u, u AR(1) with marginal sd sigma.</summary>
    public static double[] LogModelRates(
        int buckets, SimDuration bucket, Random rng, double mu, double sigma, double phi = 0,
        double amp = 0, double peakHour = 0, double periodHours = 24, double slopePerDay = 0)
    {
        var rates = new double[buckets];
        var u = sigma * Normal(rng);
        var innovation = sigma * Math.Sqrt(1 - phi * phi);
        for (var k = 0; k < buckets; k++)
        {
            if (k > 0) u = phi * u + innovation * Normal(rng);
            var hours = (k + 0.5) * bucket.TotalHours;
            rates[k] = Math.Exp(mu + slopePerDay * hours / 24 + amp * Math.Cos(2 * Math.PI * (hours - peakHour) / periodHours) + u);
        }
        return rates;
    }

    public static double Normal(Random rng)
    {
        // Box–Muller: independent of the code under test.
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using Walsim.Analyzer.History;
using Xunit;

namespace Walsim.Tests.History;

/// <summary>
/// How walsim reads the points of a Prometheus answer: <c>[time, "value"]</c>, the time a JSON number of seconds, the
/// value a string in Go's float formatting (with <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>). Short numbers are read by a
/// path of their own (digits to milliseconds, Clinger's exact division); every value must be the double the general
/// parser gives for the same text.
/// </summary>
public sealed class PrometheusClientTests
{
    private static readonly PrometheusClient Client = new(new Uri("http://prometheus:9090"), new PrometheusQuery { Handler = new Answer("") }, "prom");

    private static string Matrix(string labels, IEnumerable<string> points) =>
        """{"status":"success","data":{"resultType":"matrix","result":[{"metric":""" + labels + ""","values":[""" + string.Join(",", points) + "]}]}}";

    [Fact]
    public void Scrape_times_are_read_to_the_millisecond_and_values_to_their_double_with_nan_and_the_infinities()
    {
        var json = Matrix("""{"__name__":"walsim_wal_lsn_bytes"}""",
        [
            """[1733330000,"42"]""", """[1733330015.5,"-1"]""", """[1733330030.123,"1234.5678"]""", """[1733330045.1234,"0.9"]""",
            """[ 1733330060 , "3456789012.3456789" ]""", """[1733330075,"123456789012345678"]""", """[1733330090,"1e3"]""",
            """[1733330105,"NaN"]""", """[1733330120,"+Inf"]""", """[1733330135,"-Inf"]""", """[1733330150,"-0"]""", """[1.73333016e9,"7"]""",
        ]);
        var s = Assert.Single(Client.Parse(Encoding.UTF8.GetBytes(json), 200, "api/v1/query_range"));
        Assert.Equal([1733330000000, 1733330015500, 1733330030123, 1733330045123, 1733330060000, 1733330075000, 1733330090000,
            1733330105000, 1733330120000, 1733330135000, 1733330150000, 1733330160000], s.Times);
        Assert.Equal([42, -1, 1234.5678, 0.9, 3456789012.3456789, 123456789012345678, 1000,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, 7], s.Values);
    }

    [Fact]
    public void Every_value_and_time_reads_as_the_general_parser_reads_its_text()
    {
        // LSNs in bytes as walsim's queries and the benchmark's fake write them (integers, and doubles in Go's
        // shortest form: 16-17 digits, past the short path), short decimals, negatives; times with 0-3 decimals.
        var random = new Random(20261205);
        var inv = CultureInfo.InvariantCulture;
        var texts = new List<(string Time, string Value)>();
        for (var k = 0; k < 20_000; k++)
        {
            var magnitude = Math.Pow(10, random.Next(-3, 13));
            var v = random.NextDouble() * magnitude * (random.Next(4) == 0 ? -1 : 1);
            var value = (k % 4) switch
            {
                0 => v.ToString("R", inv),
                1 => Math.Round(v, random.Next(0, 8)).ToString("R", inv),
                2 => ((long)v).ToString(inv),
                _ => v.ToString("F" + random.Next(1, 6), inv),
            };
            var seconds = 1_700_000_000L + random.Next(100_000_000);
            var time = random.Next(4) switch { 0 => $"{seconds}", var d => $"{seconds}.{random.Next((int)Math.Pow(10, d)).ToString("D" + d, inv)}" };
            texts.Add((time, value));
        }
        var s = Assert.Single(Client.Parse(Encoding.UTF8.GetBytes(Matrix("{}", texts.Select(t => $"[{t.Time},\"{t.Value}\"]"))), 200, "api/v1/query_range"));
        for (var k = 0; k < texts.Count; k++)
        {
            Assert.Equal((long)Math.Round(double.Parse(texts[k].Time, inv) * 1000), s.Times[k]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(texts[k].Value, inv)), BitConverter.DoubleToInt64Bits(s.Values[k]));
        }
    }

    [Fact]
    public void A_malformed_answer_names_the_query_the_series_and_the_point()
    {
        var body = Matrix("""{"__name__":"walsim_slot_restart_lsn_bytes","slot_name":"s1"}""", ["""[1733330000,"1"]""", """[1733330015 "2"]"""]);
        using var client = new PrometheusClient(new Uri("http://prometheus:9090"), new PrometheusQuery { Handler = new Answer(body) }, "prom");
        var e = Assert.Throws<HistorySourceException>(() => client.QueryRangeChunk("walsim_slot_restart_lsn_bytes", 1733330000000, 1733330015000, 15000));
        Assert.Equal("prom: api/v1/query_range for walsim_slot_restart_lsn_bytes answered HTTP 200 with something that is not the Prometheus API's JSON " +
            "(expected ',' at byte 171, found '\"', in \"values\" point 2 of the series {__name__=\"walsim_slot_restart_lsn_bytes\",slot_name=\"s1\"}); " +
            "check that the URL is a Prometheus server", e.Message);
    }

    /// <summary>Answers every request with the same body.</summary>
    private sealed class Answer(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }
}

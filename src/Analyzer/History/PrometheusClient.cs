using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Walsim.Analyzer.History;

/// <summary>
/// Where and how to read a Prometheus (<c>--prometheus URL</c> and its options): which cluster, which stretch of time,
/// at which step, and the credentials. Basic auth comes from the environment (<c>WALSIM_PROMETHEUS_USER</c>,
/// <c>WALSIM_PROMETHEUS_PASSWORD</c>) so that a password never shows in a process list or a shell history.
/// </summary>
public sealed record PrometheusQuery
{
    /// <summary>PromQL label matchers picking the cluster, without braces (<c>instance="db1:9187",job="pg"</c>); null
    /// when the Prometheus scrapes one cluster only.</summary>
    public string? Match { get; init; }

    /// <summary>The range queries' step; null: the scrape interval, as the last hour's raw samples show it.</summary>
    public TimeSpan? Step { get; init; }

    /// <summary>How far back from <see cref="End"/> to read.</summary>
    public TimeSpan Range { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The end of the history; null: now.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>A file holding a bearer token (<c>--bearer-token-file</c>), read when the history is opened.</summary>
    public string? BearerTokenFile { get; init; }

    /// <summary>Basic auth (from <c>WALSIM_PROMETHEUS_USER</c>/<c>WALSIM_PROMETHEUS_PASSWORD</c>).</summary>
    public string? User { get; init; }
    public string? Password { get; init; }

    /// <summary>A PEM file of the CA that signed the server's certificate (<c>--prometheus-ca</c>).</summary>
    public string? CaFile { get; init; }

    /// <summary>The version, for a Prometheus that does not publish it (pgwatch without its <c>settings_num</c>
    /// metric): <c>--pg</c>. What the exporter publishes wins.</summary>
    public PgVersion? Version { get; init; }

    /// <summary>wal_segment_size, for a Prometheus that does not publish it: <c>--wal-segment-size</c>. What the
    /// exporter publishes wins.</summary>
    public WalSegmentSize? SegmentSize { get; init; }

    /// <summary>The HTTP handler to use instead of the network (benchmarks, tests); null: a real one.</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>One series of a range query: its labels and its points (milliseconds since the epoch, value).</summary>
public sealed class PromSeries(Dictionary<string, string> labels, List<long> times, List<double> values)
{
    public IReadOnlyDictionary<string, string> Labels { get; } = labels;
    public List<long> Times { get; } = times;
    public List<double> Values { get; } = values;

    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// The few calls of the Prometheus HTTP API walsim makes (<c>/api/v1/query</c>, <c>/api/v1/query_range</c>), over
/// System.Net.Http, answers read by a small scanner of their own (<see cref="Parse"/>: a month of 15-second points for a
/// hundred slots is gigabytes of JSON). A range is cut into chunks of at most <see cref="MaxPointsPerSeries"/> points,
/// under Prometheus's limit of 11,000 points per series and query. Every failure is a
/// <see cref="HistorySourceException"/> naming the URL and what to check.
/// </summary>
public sealed class PrometheusClient : IDisposable
{
    /// <summary>Points per series in one range query: Prometheus refuses more than 11,000.</summary>
    public const int MaxPointsPerSeries = 10_000;

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string _name;
    private readonly Stopwatch _queryTime = new();
    private MemoryStream? _spareBody; // the last answer's buffer, for the next: a chunk of a hundred slots is 160 MB

    public PrometheusClient(Uri baseUrl, PrometheusQuery query, string name)
    {
        _name = name;
        var text = baseUrl.ToString();
        _base = new Uri(text.EndsWith('/') ? text : text + "/");
        _http = new HttpClient(query.Handler ?? Handler(query), disposeHandler: query.Handler is null) { Timeout = TimeSpan.FromMinutes(5) };
        if (query.BearerTokenFile is { } file)
        {
            string token;
            try { token = File.ReadAllText(file).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HistorySourceException(file, HistoryProblem.Missing, $"cannot read the bearer token file: {e.Message}");
            }
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (query.User is { } user)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{query.Password}")));
    }

    /// <summary>Time spent in HTTP calls and reading their answers, for the benchmark's "raw queries" figure.</summary>
    public TimeSpan QueryTime => _queryTime.Elapsed;

    /// <summary>How many HTTP calls were made.</summary>
    public int Calls { get; private set; }

    private static HttpMessageHandler Handler(PrometheusQuery query)
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All };
        if (query.CaFile is not { } ca) return handler;
        X509Certificate2Collection roots;
        try
        {
            roots = [];
            roots.ImportFromPemFile(ca);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new HistorySourceException(ca, HistoryProblem.Missing, $"cannot read the CA certificate (PEM): {e.Message}");
        }
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
        {
            if (errors == System.Net.Security.SslPolicyErrors.None) return true;
            if (cert is null || errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
            // Trust the given CA alone, as curl --cacert does.
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(roots);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return custom.Build(new X509Certificate2(cert));
        };
        return handler;
    }

    /// <summary><c>/api/v1/query_range</c> from <paramref name="startMs"/> to <paramref name="endMs"/> (both on the
    /// grid) every <paramref name="stepMs"/>, cut into chunks; the series of all chunks merged by their labels.</summary>
    public List<PromSeries> QueryRange(string promql, long startMs, long endMs, long stepMs)
    {
        var bySeries = new Dictionary<string, PromSeries>(StringComparer.Ordinal);
        var order = new List<PromSeries>();
        for (var from = startMs; from <= endMs; from += stepMs * MaxPointsPerSeries)
        {
            var to = Math.Min(endMs, from + stepMs * (MaxPointsPerSeries - 1));
            foreach (var s in QueryRangeChunk(promql, from, to, stepMs))
            {
                var key = string.Join(',', s.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
                if (bySeries.TryGetValue(key, out var have))
                {
                    have.Times.AddRange(s.Times);
                    have.Values.AddRange(s.Values);
                }
                else
                {
                    bySeries[key] = s;
                    order.Add(s);
                }
            }
        }
        return order;
    }

    /// <summary>One range query of at most <see cref="MaxPointsPerSeries"/> points per series.</summary>
    public List<PromSeries> QueryRangeChunk(string promql, long startMs, long endMs, long stepMs) =>
        Get("api/v1/query_range", $"query={Uri.EscapeDataString(promql)}&start={Seconds(startMs)}&end={Seconds(endMs)}&step={Seconds(stepMs)}",
            promql, points: (int)Math.Clamp((endMs - startMs) / Math.Max(1, stepMs) + 1, 1, MaxPointsPerSeries));

    /// <summary><c>/api/v1/query</c> at <paramref name="atMs"/>: a vector (one point per series) or, for a range
    /// selector, a matrix of the raw samples.</summary>
    public List<PromSeries> Query(string promql, long atMs) =>
        Get("api/v1/query", $"query={Uri.EscapeDataString(promql)}&time={Seconds(atMs)}", promql);

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private List<PromSeries> Get(string path, string form, string promql, int points = 1)
    {
        _queryTime.Start();
        try
        {
            Calls++;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path))
            {
                // POST with a form, as Grafana does: a long selector does not fit in a URL.
                Content = new StringContent(form, Encoding.ASCII, "application/x-www-form-urlencoded"),
            };
            HttpResponseMessage response;
            try
            {
                response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                throw new HistorySourceException(_name, HistoryProblem.Missing,
                    $"cannot reach Prometheus: {e.Message}; check the URL (the Prometheus server itself, e.g. http://prometheus:9090, not an exporter)");
            }
            using (response)
            {
                // One buffer reused from answer to answer (the next chunk is fetched on another thread while the last
                // one's frames are built, hence the exchange).
                var buffer = Interlocked.Exchange(ref _spareBody, null) ?? new MemoryStream();
                try
                {
                    var body = ReadBody(response, buffer);
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                        throw new HistorySourceException(_name, HistoryProblem.Missing,
                            $"Prometheus refused the query ({(int)response.StatusCode} {response.ReasonPhrase}): give --bearer-token-file FILE, or WALSIM_PROMETHEUS_USER and WALSIM_PROMETHEUS_PASSWORD in the environment");
                    return Parse(body, (int)response.StatusCode, path, points, promql);
                }
                finally
                {
                    _spareBody = buffer;
                }
            }
        }
        finally
        {
            _queryTime.Stop();
        }
    }

    private static ArraySegment<byte> ReadBody(HttpResponseMessage response, MemoryStream buffer)
    {
        using var stream = response.Content.ReadAsStream();
        buffer.SetLength(0);
        if (response.Content.Headers.ContentLength is { } n and > 0 and < int.MaxValue && buffer.Capacity < n) buffer.Capacity = (int)n;
        stream.CopyTo(buffer);
        return new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Reads <c>{"status":"success","data":{"resultType":"matrix"|"vector","result":[{"metric":{…},"values":[[t,"v"],…]}]}}</c>,
    /// or an error answer (<c>{"status":"error","error":"…"}</c>) into an exception quoting Prometheus. A small
    /// scanner of its own rather than a general JSON reader: the points are nearly all of the bytes, and reading each
    /// <c>[t,"v"]</c> as four tokens made the JSON the slowest part of a month's history.
    /// <paramref name="points"/>: the points a series is expected to hold (its lists are made that size at once);
    /// <paramref name="query"/>: the PromQL asked, named with the series and field when the answer is malformed.
    /// </summary>
    public List<PromSeries> Parse(ReadOnlySpan<byte> json, int status, string path, int points = 1, string? query = null)
    {
        var result = new List<PromSeries>();
        string? error = null, errorType = null, state = null;
        try
        {
            var r = new Scanner(json);
            r.Expect((byte)'{');
            if (!r.TryEnd((byte)'}'))
                do
                {
                    var key = r.String();
                    r.Expect((byte)':');
                    switch (key)
                    {
                        case "status": state = r.StringOrNull(); break;
                        case "error": error = r.StringOrNull(); break;
                        case "errorType": errorType = r.StringOrNull(); break;
                        case "data": ReadData(ref r, result, points); break;
                        default: r.SkipValue(); break;
                    }
                } while (r.NextMember((byte)'}'));
        }
        catch (FormatException e)
        {
            throw new HistorySourceException(_name, HistoryProblem.Unrecognised,
                $"{path}{(query is null ? "" : $" for {query}")} answered HTTP {status} with something that is not the Prometheus API's JSON ({e.Message}); check that the URL is a Prometheus server");
        }
        if (state != "success")
            throw new HistorySourceException(_name, status is 400 or 422 ? HistoryProblem.Unsuitable : HistoryProblem.Missing,
                $"Prometheus answered {path} with HTTP {status}: {errorType}{(errorType is null ? "" : ": ")}{error ?? "no error given"}");
        return result;
    }

    private static void ReadData(ref Scanner r, List<PromSeries> result, int points)
    {
        if (r.TryNull()) return;
        r.Expect((byte)'{');
        if (r.TryEnd((byte)'}')) return;
        do
        {
            var key = r.String();
            r.Expect((byte)':');
            if (key != "result") { r.SkipValue(); continue; }
            r.Expect((byte)'[');
            if (r.TryEnd((byte)']')) continue;
            do result.Add(ReadSeries(ref r, points)); while (r.NextMember((byte)']'));
        } while (r.NextMember((byte)'}'));
    }

    private static PromSeries ReadSeries(ref Scanner r, int points)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var times = new List<long>(points);
        var values = new List<double>(points);
        r.Expect((byte)'{');
        if (r.TryEnd((byte)'}')) return new PromSeries(labels, times, values);
        string? key = null;
        try
        {
            do
            {
                key = r.String();
                r.Expect((byte)':');
                switch (key)
                {
                    case "metric":
                        r.Expect((byte)'{');
                        if (r.TryEnd((byte)'}')) break;
                        do
                        {
                            var name = r.String();
                            r.Expect((byte)':');
                            labels[name] = r.String();
                        } while (r.NextMember((byte)'}'));
                        break;
                    case "values":
                        r.Expect((byte)'[');
                        if (r.TryEnd((byte)']')) break;
                        do r.Point(times, values); while (r.NextMember((byte)']'));
                        break;
                    case "value":
                        r.Point(times, values);
                        break;
                    default:
                        r.SkipValue();
                        break;
                }
            } while (r.NextMember((byte)'}'));
        }
        catch (FormatException e) when (key is not null)
        {
            // Which series and which of its points: the labels read so far (Prometheus writes "metric" first).
            var point = key is "values" or "value" ? $" point {times.Count + 1} of" : "";
            throw new FormatException($"{e.Message}, in \"{key}\"{point} the series {{{string.Join(",", labels.Select(kv => $"{kv.Key}=\"{kv.Value}\""))}}}", e);
        }
        return new PromSeries(labels, times, values);
    }

    /// <summary>The JSON a Prometheus answers, read byte by byte; any surprise is a <see cref="FormatException"/>.</summary>
    private ref struct Scanner(ReadOnlySpan<byte> json)
    {
        private readonly ReadOnlySpan<byte> _s = json;
        private int _i;

        private void Space()
        {
            while (_i < _s.Length && _s[_i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') _i++;
        }

        private byte Peek()
        {
            Space();
            if (_i >= _s.Length) throw new FormatException("the answer ends early");
            return _s[_i];
        }

        public void Expect(byte c)
        {
            if (Peek() != c) throw new FormatException($"expected '{(char)c}' at byte {_i}, found '{(char)_s[_i]}'");
            _i++;
        }

        public bool TryEnd(byte close)
        {
            if (Peek() != close) return false;
            _i++;
            return true;
        }

        /// <summary>After a member or an element: true at a comma (another follows), false at the closing bracket.</summary>
        public bool NextMember(byte close)
        {
            var c = Peek();
            _i++;
            if (c == (byte)',') return true;
            if (c == close) return false;
            throw new FormatException($"expected ',' or '{(char)close}' at byte {_i - 1}, found '{(char)c}'");
        }

        public bool TryNull()
        {
            if (Peek() != (byte)'n') return false;
            Literal("null"u8);
            return true;
        }

        public string? StringOrNull() => TryNull() ? null : String();

        public string String()
        {
            Expect((byte)'"');
            var start = _i;
            var end = _s[start..].IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0) throw new FormatException("a string does not end");
            if (_s[start + end] == (byte)'"')
            {
                _i = start + end + 1;
                return Encoding.UTF8.GetString(_s.Slice(start, end));
            }
            // Escapes (a label value may hold quotes, backslashes, \u sequences): the slow way, rarely.
            var bytes = new List<byte>();
            var sb = new StringBuilder();
            while (true)
            {
                if (_i >= _s.Length) throw new FormatException("a string does not end");
                var c = _s[_i++];
                if (c == (byte)'"') break;
                if (c != (byte)'\\') { bytes.Add(c); continue; }
                Flush(bytes, sb);
                var e = _s[_i++];
                switch (e)
                {
                    case (byte)'n': sb.Append('\n'); break;
                    case (byte)'t': sb.Append('\t'); break;
                    case (byte)'r': sb.Append('\r'); break;
                    case (byte)'b': sb.Append('\b'); break;
                    case (byte)'f': sb.Append('\f'); break;
                    case (byte)'u':
                        sb.Append((char)int.Parse(Encoding.ASCII.GetString(_s.Slice(_i, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        _i += 4;
                        break;
                    default: sb.Append((char)e); break; // \" \\ \/
                }
            }
            Flush(bytes, sb);
            return sb.ToString();

            static void Flush(List<byte> bytes, StringBuilder sb)
            {
                if (bytes.Count == 0) return;
                sb.Append(Encoding.UTF8.GetString([.. bytes]));
                bytes.Clear();
            }
        }

        /// <summary>One <c>[1733330000.123,"42"]</c>: the time in seconds (a JSON number), the value as a string (Go's
        /// float formatting, with NaN and ±Inf).</summary>
        public void Point(List<long> times, List<double> values)
        {
            Expect((byte)'[');
            Space();
            if (!TryMilliseconds(_s[_i..], out var ms, out var used))
            {
                if (!Utf8Parser.TryParse(_s[_i..], out double seconds, out used)) throw new FormatException($"expected a time at byte {_i}");
                ms = (long)Math.Round(seconds * 1000);
            }
            _i += used;
            Expect((byte)',');
            Expect((byte)'"');
            var end = _s[_i..].IndexOf((byte)'"');
            if (end < 0) throw new FormatException("a value does not end");
            var text = _s.Slice(_i, end);
            if (!TryShortDecimal(text, out var value) && (!Utf8Parser.TryParse(text, out value, out used) || used != text.Length))
                value = Encoding.ASCII.GetString(text) switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, _ => double.NaN };
            _i += end + 1;
            Expect((byte)']');
            times.Add(ms);
            values.Add(value);
        }

        /// <summary>
        /// A scrape time as Prometheus writes it, whole seconds with up to three decimals (<c>1733330000</c>,
        /// <c>1733330000.123</c>), read straight to milliseconds: the same as <c>Math.Round(seconds * 1000)</c> of the
        /// parsed double (under 10^12 s its error is far below half a millisecond), without the general parser.
        /// False for anything else (a sign, an exponent, more decimals), which the general parser then reads.
        /// </summary>
        private static bool TryMilliseconds(ReadOnlySpan<byte> s, out long ms, out int used)
        {
            ms = 0;
            var i = 0;
            while (i < s.Length && (uint)(s[i] - '0') <= 9 && i < 12) ms = ms * 10 + (s[i++] - '0');
            used = i;
            if (i == 0) return false;
            var decimals = 0;
            if (i < s.Length && s[i] == (byte)'.')
            {
                i++;
                while (i < s.Length && (uint)(s[i] - '0') <= 9 && decimals < 3)
                {
                    ms = ms * 10 + (s[i++] - '0');
                    decimals++;
                }
                if (decimals == 0) return false;
            }
            if (i < s.Length && ((uint)(s[i] - '0') <= 9 || s[i] is (byte)'.' or (byte)'e' or (byte)'E')) return false;
            for (; decimals < 3; decimals++) ms *= 10;
            used = i;
            return true;
        }

        private static readonly double[] PowersOfTen =
            [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19];

        /// <summary>
        /// A value of at most 19 digits in all, with or without decimals (<c>-1</c>, <c>42</c>, <c>1234.5678</c>,
        /// <c>5435817238528.123</c>), the whole of <paramref name="s"/>, as the correctly rounded double the general
        /// parser gives. Up to 15 digits they are an exact double, and so is the power of ten, so one division rounds
        /// once (Clinger's fast path); 16-19 digits with decimals (Go's shortest form of a fractional LSN) are
        /// divided the same way and the result kept only when exact integer arithmetic shows it is the nearest
        /// double (<see cref="IsNearest"/>). False for anything else (longer, an exponent, NaN, ±Inf, <c>-0</c>, the
        /// rare rejected candidate), left to the general parser.
        /// </summary>
        private static bool TryShortDecimal(ReadOnlySpan<byte> s, out double value)
        {
            value = 0;
            var i = 0;
            var negative = s.Length > 0 && s[0] == (byte)'-';
            if (negative) i++;
            ulong digits = 0;
            int count = 0, decimals = -1;
            for (; i < s.Length; i++)
            {
                var c = s[i];
                if ((uint)(c - '0') <= 9)
                {
                    if (++count > 19) return false;
                    digits = digits * 10 + (uint)(c - '0');
                    if (decimals >= 0) decimals++;
                }
                else if (c == (byte)'.' && decimals < 0 && count > 0) decimals = 0;
                else return false;
            }
            if (count == 0 || decimals == 0 || (negative && digits == 0)) return false;
            double magnitude;
            if (count <= 15) magnitude = decimals > 0 ? digits / PowersOfTen[decimals] : digits;
            else if (decimals > 0 && digits > 0)
            {
                // The quotient of the rounded digits is within an ulp or so of the value: it, or a neighbour, is the
                // nearest double; anything else goes to the general parser.
                magnitude = digits / PowersOfTen[decimals];
                if (!IsNearest(digits, decimals, magnitude))
                {
                    var below = Math.BitDecrement(magnitude);
                    var above = Math.BitIncrement(magnitude);
                    if (IsNearest(digits, decimals, below)) magnitude = below;
                    else if (IsNearest(digits, decimals, above)) magnitude = above;
                    else return false;
                }
            }
            else return false;
            value = negative ? -magnitude : magnitude;
            return true;
        }

        /// <summary>
        /// Whether <paramref name="candidate"/> = M·2^e is the double nearest to <paramref name="digits"/> / 10^
        /// <paramref name="decimals"/> (ties to an even M): whether that value lies between the midpoints
        /// (2M ± 1)·2^(e-1), compared exactly as digits·2^(1-e) against (2M ± 1)·10^decimals in 128-bit integers.
        /// False (undecided) outside the range where both fit (e from -63 to 0: values from about 2^-11 to 2^53) and at
        /// a power of two, where the gap below is half the gap above.
        /// </summary>
        private static bool IsNearest(ulong digits, int decimals, double candidate)
        {
            var bits = BitConverter.DoubleToInt64Bits(candidate);
            var biased = (int)((bits >> 52) & 0x7FF);
            var mantissa = (ulong)(bits & 0xF_FFFF_FFFF_FFFF) | (1UL << 52);
            var shift = 1 - (biased - 1075); // 1 - e, with candidate = mantissa · 2^e
            if (biased == 0 || shift is < 1 or > 64 || mantissa == 1UL << 52) return false;
            var value = (UInt128)digits << shift;
            var power = (UInt128)(ulong)PowersOfTen[decimals];
            var low = (UInt128)(2 * mantissa - 1) * power;
            var high = (UInt128)(2 * mantissa + 1) * power;
            return (value > low && value < high) || ((value == low || value == high) && (mantissa & 1) == 0);
        }

        public void SkipValue()
        {
            switch (Peek())
            {
                case (byte)'"': String(); break;
                case (byte)'{':
                    _i++;
                    if (TryEnd((byte)'}')) break;
                    do { String(); Expect((byte)':'); SkipValue(); } while (NextMember((byte)'}'));
                    break;
                case (byte)'[':
                    _i++;
                    if (TryEnd((byte)']')) break;
                    do SkipValue(); while (NextMember((byte)']'));
                    break;
                case (byte)'t': Literal("true"u8); break;
                case (byte)'f': Literal("false"u8); break;
                case (byte)'n': Literal("null"u8); break;
                default:
                    if (!Utf8Parser.TryParse(_s[_i..], out double _, out var used)) throw new FormatException($"unexpected '{(char)_s[_i]}' at byte {_i}");
                    _i += used;
                    break;
            }
        }

        private void Literal(ReadOnlySpan<byte> word)
        {
            if (!_s[_i..].StartsWith(word)) throw new FormatException($"unexpected '{(char)_s[_i]}' at byte {_i}");
            _i += word.Length;
        }
    }

    public void Dispose() => _http.Dispose();
}

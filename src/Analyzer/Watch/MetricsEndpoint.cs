using System.Net;
using System.Text;

namespace Walsim.Analyzer.Watch;

/// <summary>
/// The watcher's HTTP endpoint: <c>GET /metrics</c> answers <see cref="WatchMetrics.Render"/> of a fresh snapshot,
/// <c>GET /</c> a line pointing there, anything else 404. One request at a time is plenty for a scraper or two; a
/// request never waits on sampling or a forecast (the snapshot lock is held only for bookkeeping).
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string> _render;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <param name="host">The address to listen on (127.0.0.1 by default: the metrics are for a local scraper).</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="render">The metrics text of the moment.</param>
    public MetricsEndpoint(string host, int port, Func<string> render)
    {
        Host = host;
        Port = port;
        _render = render;
        _listener.Prefixes.Add($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/");
    }

    public string Host { get; }
    public int Port { get; }
    public string Url => $"http://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}/metrics";

    /// <summary>Starts listening; throws <see cref="HttpListenerException"/> when the port is taken.</summary>
    public void Start()
    {
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            try
            {
                Answer(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The scraper went away mid-answer: nothing to do.
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var response = context.Response;
        var path = context.Request.Url?.AbsolutePath ?? "/";
        string body;
        if (context.Request.HttpMethod is not ("GET" or "HEAD"))
        {
            response.StatusCode = 405;
            body = "only GET\n";
            response.ContentType = "text/plain; charset=utf-8";
        }
        else if (path == "/metrics")
        {
            body = _render();
            response.ContentType = WatchMetrics.ContentType;
        }
        else if (path == "/")
        {
            body = "walsim watch: the metrics are at /metrics\n";
            response.ContentType = "text/plain; charset=utf-8";
        }
        else
        {
            response.StatusCode = 404;
            body = "not found; the metrics are at /metrics\n";
            response.ContentType = "text/plain; charset=utf-8";
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength64 = bytes.Length;
        if (context.Request.HttpMethod != "HEAD") response.OutputStream.Write(bytes);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _listener.Stop(); } catch (ObjectDisposedException) { }
        if (_loop is not null) await _loop;
        _listener.Close();
        _stop.Dispose();
    }
}

namespace Walsim.Cli.Commands;

/// <summary><c>walsim watch</c>: its arguments, options, help examples and the action that hands them to <see cref="WatchService"/>.</summary>
internal static class WatchCommand
{
    public const string Examples = """
        PGHOST=db1 PGUSER=monitor walsim watch
        walsim watch "host=db1 user=monitor" --disk 200GB --append /var/lib/walsim/db1.csv
        walsim watch "host=db1 user=monitor" --listen 0.0.0.0:9188 --history 12h --forecast-every 10min
        walsim watch "host=db1 user=monitor" --once
        """;

    /// <summary>The default address: next to postgres_exporter's 9187.</summary>
    public const string DefaultListen = "127.0.0.1:9188";

    public static Command Create(WatchService service)
    {
        var connectionArgument = ConnectionArgument("How to connect, as walsim sample takes it (a connection string, a postgresql:// URI, a database name); what it leaves out comes from the libpq environment (PGHOST, PGUSER, PGPASSWORD or ~/.pgpass ...). The role needs pg_monitor. [default: the environment alone]");
        var interval = Duration("--interval", "Time between samples. [default: 10s]");
        var wait = Duration("--wait", "If the server is not up yet, keep trying to connect for this long, with backoff. [default: the first failure ends the run]");
        var append = OutFile("--append", "Also append every sample to this sample file (created if missing; settings in NAME.settings.csv beside it). A previous run's samples in it are loaded as history, so a restarted watcher forecasts at once.");
        var history = Duration("--history", "The rolling history kept in memory, which the workload is fitted to. [default: 6h]");
        var forecastEvery = Duration("--forecast-every", "How often to refit the workload and re-run the forecast (off the sampling path). [default: 5min]");
        var horizon = Duration("--horizon", "How far ahead to forecast; a time beyond it is exported as +Inf. [default: 48h]");
        var runs = Runs("Monte Carlo runs per forecast.", 200);
        var seed = Seed("Master seed of every forecast.");
        var disk = Disk("The pg_wal volume's size (200GB): also forecast when it fills.");
        var readOnly = ReadOnlyAt("A managed service's read-only threshold as a share of --disk (95%).", needs: disk);
        var period = Duration("--period", "The cycle to look for in the write rate. [default: 24h]");
        var bucket = Duration("--bucket", "The fit's rate bucket. [default: 5min, or 4 sample intervals if longer]");
        var listen = new Option<string>("--listen")
        {
            Description = "Where /metrics listens: HOST:PORT, or PORT on 127.0.0.1.",
            HelpName = "address",
            DefaultValueFactory = _ => DefaultListen,
        };
        listen.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !TryListen(r.Tokens[^1].Value, out _, out _)) r.AddError($"--listen: expected HOST:PORT (127.0.0.1:9188) or a port, got \"{r.Tokens[^1].Value}\"");
        });
        var duration = Duration("--duration", "Stop after this long. [default: until Ctrl-C or SIGTERM]");
        var once = new Option<bool>("--once") { Description = "Take one sample, forecast from --append's history if it has enough, print the metrics to stdout and exit (nothing listens)." };

        var command = new Command("watch", $"""
            Watches a running PostgreSQL {SupportedVersions.Range} server for good, the way walsim sample samples it (read-only, pg_monitor, reconnecting after a restart), and serves Prometheus metrics on /metrics: each slot's lag, wal_status and safe_wal_size, pg_wal's size and why each byte is kept, the WAL rate; each slot's predicted time to extended, unreserved and lost (p10/p50/p90) and pg_wal's to a full --disk, from a forecast refitted to the rolling history on a schedule; whether the model still agrees with every checkpoint the server makes; and the watcher's own health. Never exports a password or the connection string. The metrics, alert rules and dashboard are in docs/watch.md.
            """) { connectionArgument, interval, wait, append, history, forecastEvery, horizon, runs, seed, disk, readOnly, period, bucket, listen, duration, once };
        command.SetAction(async (r, ct) =>
        {
            TryListen(r.GetRequiredValue(listen), out var host, out var port);
            var diskSize = r.GetValue(disk);
            var request = new WatchRequest(r.GetValue(connectionArgument), (r.GetValue(interval) ?? SimDuration.FromSeconds(10)).ToTimeSpan(),
                (r.GetValue(history) ?? SimDuration.FromHours(6)).ToTimeSpan(), (r.GetValue(forecastEvery) ?? SimDuration.FromMinutes(5)).ToTimeSpan(),
                new ForecastOptions(r.GetValue(horizon) ?? SimDuration.FromHours(48), r.GetValue(runs), r.GetValue(seed),
                    diskSize is { } size ? new DiskSpec(size, ByteCount.Zero, r.GetValue(readOnly)) : null),
                new WorkloadFitOptions { CyclePeriod = r.GetValue(period) ?? SimDuration.FromDays(1), Bucket = r.GetValue(bucket) },
                host, port)
            {
                AppendPath = r.GetValue(append),
                Wait = r.GetValue(wait)?.ToTimeSpan() ?? TimeSpan.Zero,
                Duration = r.GetValue(duration)?.ToTimeSpan(),
                Once = r.GetValue(once),
            };
            return (int)await service.RunAsync(request, ct);
        });
        return command;
    }

    /// <summary>HOST:PORT, [v6]:PORT, or a bare port on 127.0.0.1.</summary>
    internal static bool TryListen(string text, out string host, out int port)
    {
        host = "127.0.0.1";
        var colon = text.LastIndexOf(':');
        var portText = colon >= 0 ? text[(colon + 1)..] : text;
        if (colon > 0) host = text[..colon].Trim('[', ']');
        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536 && host.Length > 0;
    }
}

namespace Walsim.Cli.Commands;

/// <summary><c>walsim sample</c>: its arguments, options, help examples and the action that hands them to <see cref="SampleService"/>.</summary>
internal static class SampleCommand
{
    public const string Examples = """
        PGHOST=db1 PGUSER=monitor walsim sample --duration 1h
        walsim sample "host=db1 user=monitor sslmode=require" --interval 30s --out db1.csv
        walsim sample postgresql://monitor@db1:5432/postgres --duration 7d --out db1-week.csv
        walsim sample --out db1.csv --append       # go on after a stop, same cluster only
        walsim sample --wait 5min --out db1.csv --append   # started by systemd before PostgreSQL
        """;

    public static Command Create(SampleService service)
    {
        var connectionArgument = ConnectionArgument("How to connect, as psql takes it: a connection string (\"host=db1 user=monitor\"), a postgresql:// URI, or a database name; or an Npgsql connection string (Host=db1;Username=monitor). What it leaves out comes from the libpq environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE or ~/.pgpass, PGSSLMODE. [default: the environment alone]");
        var connection = ConnectionOption("The same as the connection argument (for scripts written before it).");
        var interval = Duration("--interval", "Time between samples (500ms, 10s, 1min). [default: 10s]");
        var duration = Duration("--duration", "Stop after this long (30min, 1h, 7d). [default: until Ctrl-C]");
        var outPath = OutFile("--out", "The sample file; settings go to NAME.settings.csv beside it. Refused if it exists, unless --append.");
        outPath.DefaultValueFactory = _ => "samples.csv";
        // A directory is refused here with sample's other --out problems (exit 3), not at the first sample's write.
        outPath.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && OutputPaths.FileProblem(r.Tokens[^1].Value, "samples.csv") is { } problem) r.AddError($"--out: {problem}");
        });
        var wait = Duration("--wait", "If the server is not up yet (started by systemd or cron before PostgreSQL), keep trying to connect for this long, with backoff (1s, 2s, 4s ... 30s). [default: the first failure ends the run]");
        var append = new Option<bool>("--append") { Description = "Add to an existing sample file of the same cluster (same system_identifier); the first new sample is marked as a gap." };

        var command = new Command("sample", $"""
            Samples a running PostgreSQL {SupportedVersions.Range} server (primary or standby) at a fixed interval, read-only, with a role that has pg_monitor: WAL positions (pg_current_wal_lsn/insert_lsn, or receive/replay LSNs on a standby), pg_control_checkpoint(), every replication slot, the WAL files in pg_wal, pg_stat_archiver, pg_stat_wal, and the retention settings. Appends one CSV row per slot per sample, flushed to disk after each sample; a dropped connection or a server restart is retried with backoff and marked as a gap. Ctrl-C stops cleanly. The file format is in docs/cli.md.
            """) { connectionArgument, connection, interval, duration, outPath, append, wait };
        command.Validators.Add(r =>
        {
            if (r.GetResult(connectionArgument) is { Tokens.Count: > 0 } && r.GetResult(connection) is not null)
                r.AddError("give the connection string once: as the argument or with --connection, not both");
        });
        command.SetAction(async (r, ct) => (int)await service.RunAsync(new SampleRequest(
            r.GetValue(connectionArgument) ?? r.GetValue(connection), (r.GetValue(interval) ?? SimDuration.FromSeconds(10)).ToTimeSpan(), r.GetValue(duration)?.ToTimeSpan(),
            r.GetRequiredValue(outPath), r.GetValue(append)) { Wait = r.GetValue(wait)?.ToTimeSpan() ?? TimeSpan.Zero }, ct));
        return command;
    }
}

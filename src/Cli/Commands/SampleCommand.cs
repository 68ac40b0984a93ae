using System.CommandLine;
using Walsim.Simulator.Units;
using static Walsim.Cli.Commands.CliOptions;

namespace Walsim.Cli.Commands;

/// <summary><c>walsim sample</c>: its arguments, options, help examples and the action that hands them to <see cref="SampleService"/>.</summary>
internal static class SampleCommand
{
    public const string Examples = """
        PGHOST=db1 PGUSER=monitor walsim sample --duration 1h
        walsim sample --connection "postgresql://monitor@db1:5432/postgres?sslmode=require" --interval 30s --out db1.csv
        walsim sample --out db1.csv --append       # go on after a stop, same cluster only
        """;

    public static Command Create(SampleService service)
    {
        var connection = new Option<string>("--connection")
        {
            Description = "An Npgsql connection string (Host=...;Username=...) or a postgresql:// URI. What it leaves out comes from the libpq environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE or ~/.pgpass, PGSSLMODE. [default: the environment alone]",
            HelpName = "string",
        };
        var interval = Duration("--interval", "Time between samples (500ms, 10s, 1min). [default: 10s]");
        var duration = Duration("--duration", "Stop after this long (30min, 1h, 7d). [default: until Ctrl-C]");
        var outPath = new Option<string>("--out")
        {
            Description = "The sample file; settings go to NAME.settings.csv beside it. Refused if it exists, unless --append.",
            HelpName = "file",
            DefaultValueFactory = _ => "samples.csv",
        };
        outPath.AcceptLegalFilePathsOnly();
        var append = new Option<bool>("--append") { Description = "Add to an existing sample file of the same cluster (same system_identifier); the first new sample is marked as a gap." };

        var command = new Command("sample", """
            Samples a running PostgreSQL 12 to 18 server (primary or standby) at a fixed interval, read-only, with a role that has pg_monitor: WAL positions (pg_current_wal_lsn/insert_lsn, or receive/replay LSNs on a standby), pg_control_checkpoint(), every replication slot, the WAL files in pg_wal, pg_stat_archiver, pg_stat_wal, and the retention settings. Appends one CSV row per slot per sample, flushed to disk after each sample; a dropped connection or a server restart is retried with backoff and marked as a gap. Ctrl-C stops cleanly. The file format is in docs/cli.md.
            """) { connection, interval, duration, outPath, append };
        command.SetAction(async (r, ct) => (int)await service.RunAsync(new SampleRequest(
            r.GetValue(connection), (r.GetValue(interval) ?? SimDuration.FromSeconds(10)).ToTimeSpan(), r.GetValue(duration)?.ToTimeSpan(),
            r.GetRequiredValue(outPath), r.GetValue(append)), ct));
        return command;
    }
}

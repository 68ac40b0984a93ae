namespace Walsim.Cli.Commands;

/// <summary><c>walsim check-slots</c>: a Nagios/Icinga plugin on the forecast.</summary>
internal static class CheckSlotsCommand
{
    public const string Examples = """
        walsim check-slots scenarios/traces/diurnal-pg15/samples.csv --warning 6h --critical 1h --disk 200GB --period 10min --bucket 20s
        walsim check-slots --connection "host=db1 user=monitor" --live-for 2min
        walsim check-slots /var/log/postgresql/postgresql-15-main.log
        """;

    public static Command Create(CheckSlotsService service)
    {
        var source = new Argument<string?>("input")
        {
            Description = "A sample file (walsim sample or watch --append: the forecast starts at its last sample), or a server log (only slots already lost can be seen in one). [default: a live server]",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var connection = ConnectionOption("Check a live server: sample it for --live-for, then forecast. What the string leaves out comes from the libpq environment.");
        var warning = Duration("--warning", "WARNING when a slot is predicted lost, or pg_wal to fill --disk, within this (at p10). [default: 6h]");
        var critical = Duration("--critical", "CRITICAL within this. [default: 1h]");
        var horizon = Duration("--horizon", "How far ahead to forecast. [default: 48h]");
        var runs = Runs("Monte Carlo runs.", 200);
        var seed = Seed("Master seed.");
        var disk = Disk("The pg_wal volume's size (200GB): also check when it fills.");
        var readOnly = ReadOnlyAt("A managed service's read-only threshold as a share of --disk (95%).", needs: disk);
        var period = Duration("--period", "The cycle to look for in the write rate. [default: 24h]");
        var bucket = Duration("--bucket", "The fit's rate bucket. [default: 5min, or 4 sample intervals if longer]");
        var liveFor = Duration("--live-for", "A live server: sample it this long before forecasting. [default: 1min]");
        var interval = Duration("--interval", "A live server: time between samples. [default: 2s]");

        var command = new Command("check-slots", """
            A monitoring plugin (Nagios, Icinga, Sensu; check_pgactivity's conventions): forecasts when each replication slot is lost and, with --disk, when pg_wal fills the volume, and compares the soonest at p10 (one run in ten sees it sooner) with --warning and --critical. Prints one status line with perfdata (seconds to each event, with the thresholds) and exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the source cannot be read, too little history to fit, the server cannot be reached). A slot already lost is CRITICAL.
            """) { source, connection, warning, critical, horizon, runs, seed, disk, readOnly, period, bucket, liveFor, interval };
        command.Validators.Add(r =>
        {
            if (r.GetResult(source) is { Tokens.Count: > 0 } && r.GetResult(connection) is not null)
                r.AddError("give a source file or --connection, not both");
            var w = r.GetValue(warning) ?? SimDuration.FromHours(6);
            var c = r.GetValue(critical) ?? SimDuration.FromHours(1);
            if (c > w) r.AddError("--critical must not be longer than --warning (both are times before the event)");
        });
        command.SetAction(async (r, ct) =>
        {
            var diskSize = r.GetValue(disk);
            return await service.RunAsync(new CheckSlotsRequest(r.GetValue(source), r.GetValue(connection),
                (r.GetValue(warning) ?? SimDuration.FromHours(6)).ToTimeSpan(), (r.GetValue(critical) ?? SimDuration.FromHours(1)).ToTimeSpan(),
                new ForecastOptions(r.GetValue(horizon) ?? SimDuration.FromHours(48), r.GetValue(runs), r.GetValue(seed),
                    diskSize is { } size ? new DiskSpec(size, ByteCount.Zero, r.GetValue(readOnly)) : null),
                new WorkloadFitOptions { CyclePeriod = r.GetValue(period) ?? SimDuration.FromDays(1), Bucket = r.GetValue(bucket) },
                (r.GetValue(liveFor) ?? SimDuration.FromMinutes(1)).ToTimeSpan(), (r.GetValue(interval) ?? SimDuration.FromSeconds(2)).ToTimeSpan()), ct);
        });
        return command;
    }
}

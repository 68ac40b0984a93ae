namespace Walsim.Cli.Commands;

/// <summary><c>walsim replay</c>: its arguments, options, help examples and the action that hands them to <see cref="ReplayService"/>.</summary>
internal static class ReplayCommand
{
    public const string Examples = """
        walsim replay samples.csv
        walsim replay db1.csv --until 6h --checkpoints
        walsim replay db1.csv --csv reports/db1-replay.csv
        walsim replay --prometheus http://prometheus:9090 --instance db1:9187 --range 2d
        walsim replay scenarios/traces/diurnal-pg15/server.log --wal-segment-size 1MB --set min_wal_size=16MB --set max_wal_size=32MB
        """;

    public static Command Create(ReplayService service, TextWriter stderr)
    {
        var samples = InputFile("samples", "A sample file written by walsim sample (its NAME.settings.csv must be beside it), or a server log; or --prometheus URL.", InputKind.History);
        var prometheus = PrometheusOptions.For(samples);
        var until = Until("Replay only up to this point: a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z). [default: the whole file]");
        var csv = OutFile("--csv", "Also write every decision compared (predicted, observed, inputs) to this CSV file.");
        var checkpoints = new Option<bool>("--checkpoints") { Description = "List every checkpoint, not only those where the model and the server disagree." };
        var pg = Version("--pg", "Server logs and --prometheus without the version (pgwatch without settings_num): the PostgreSQL version, when the log has no \"starting PostgreSQL\" line.");
        var segment = new Option<string>("--wal-segment-size") { Description = "Server logs and --prometheus without it (pgwatch without settings_num): wal_segment_size (a log does not say it; a 16+ log's redo pointers may show it). [default: what a 16+ log shows, else 16MB]", HelpName = "size" };
        var set = new Option<string[]>("--set")
        {
            Description = "Server logs only: a setting in force when the log starts (name=value, repeatable), e.g. min_wal_size=1GB.",
            HelpName = "name=value",
            AllowMultipleArgumentsPerToken = false,
        };

        var logFormat = LogFormat();
        var logLinePrefix = LogLinePrefix();

        var command = new Command("replay", """
            Replays a real cluster's samples through walsim's retention model, as validate does on a throwaway cluster. Reconstructs the WAL write rate, the checkpoints (each new redo_lsn) and how each slot's consumer behaved; then, for every checkpoint seen, recomputes KeepLogSeg, the slot invalidations and RemoveOldXlogFiles/PreallocXlogFiles from the state sampled just before, and compares with the sample after: the files in pg_wal, the oldest file, the slots invalidated; and at every sample each slot's wal_status and safe_wal_size (13+). Exit code 1 if any decision disagrees.
            Also reads a server log written with log_checkpoints = on (stderr with any prefix, wrapped or not by docker, kubectl, journald, syslog or a CI job; csvlog; jsonlog; CloudNativePG or Cloud Logging JSON; gzip, bzip2 or zstd; a rotated set as a directory or a quoted glob): then it checks what a log decides — each checkpoint's distance estimate, and files added and recycled against PreallocXlogFiles and XLOGfileslop — and sums WAL, file changes and invalidations. The slots a log shows lost are read with or without log_checkpoints.
            """) { samples, until, csv, checkpoints, pg, segment, set, logFormat, logLinePrefix };
        foreach (var o in prometheus.All) command.Options.Add(o);
        command.SetAction(r =>
        {
            if (!prometheus.TryRead(r, stderr, out var path, out var query)) return (int)ExitCode.UsageError;
            WalSegmentSize? seg = null;
            if (r.GetValue(segment) is { } text)
            {
                if (!ValueParser.TryParseSize(text, out var size, out var e) || !WalSegmentSize.IsValid(size.Bytes))
                {
                    stderr.WriteLine($"walsim: --wal-segment-size: expected a power of two from 1MB to 1GB, got \"{text}\"{(e is null ? "" : $" ({e})")}");
                    return (int)ExitCode.UsageError;
                }
                seg = new WalSegmentSize(size.Bytes);
            }
            if (!TryLogOptions(r, logFormat, logLinePrefix, stderr, out var format, out var prefix)) return (int)ExitCode.UsageError;
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in r.GetValue(set) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) { stderr.WriteLine($"walsim: --set: expected name=value, got \"{pair}\""); return (int)ExitCode.UsageError; }
                settings[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }
            return (int)service.Run(new ReplayRequest(path, r.GetValue(until), r.GetValue(csv), r.GetValue(checkpoints))
            {
                Version = r.GetValue(pg), SegmentSize = seg, Settings = settings, LogFormat = format, LogLinePrefix = prefix,
                Prometheus = query,
            });
        });
        return command;
    }
}

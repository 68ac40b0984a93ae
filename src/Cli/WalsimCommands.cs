using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Cli;

/// <summary>
/// The <c>walsim</c> command tree. Actions only read option values and call one service; all output goes to the
/// writers given here, so tests run the CLI in-process and capture it.
/// </summary>
public sealed class WalsimCommands
{
    private const string ExitCodes = """
        Exit codes:
          0   ok (check: every expectation passed)
          1   check: at least one expectation failed; validate, replay: the model and a server disagreed
          2   invalid scenario or sample file, or a version rejects its settings
          3   usage error (unknown option, bad value, missing file; sample: --out exists without --append)
          4   I/O error writing a report
          5   validate: PostgreSQL binaries missing, a server could not be started, or interrupted;
              sample: cannot connect, unsupported version, missing privilege, or another cluster
          70  internal error (a bug; please report it)
        """;

    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly Dictionary<Command, string> _epilogues = [];

    /// <param name="stdout">Normal output: summaries, PASS/FAIL lines, help.</param>
    /// <param name="stderr">Error messages.</param>
    /// <param name="loadScenario">Reads a scenario file; defaults to <see cref="ScenarioLoader.Load"/>.</param>
    /// <param name="stderrIsTerminal">stderr is a terminal: <c>sample</c> shows a self-rewriting progress line there.</param>
    /// <param name="time">The clock <c>sample</c> waits on; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="environment">Reads the libpq environment (PGHOST ...) for <c>sample</c>; defaults to the process's.</param>
    public WalsimCommands(TextWriter stdout, TextWriter stderr, Func<string, Scenario>? loadScenario = null,
        bool stderrIsTerminal = false, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        _stdout = stdout;
        _stderr = stderr;
        var load = loadScenario ?? ScenarioLoader.Load;
        var simulate = new SimulateService(stdout, stderr, load);
        var check = new CheckService(stdout, stderr, load);
        var validate = new ValidateService(stdout, stderr, load);
        var sample = new SampleService(stdout, stderr, stderrIsTerminal, time ?? TimeProvider.System, environment);
        var replay = new ReplayService(stdout, stderr);
        var forecast = new ForecastService(stdout, stderr);
        var whatIf = new WhatIfService(stdout, stderr, load);
        var plan = new PlanService(stdout, stderr, load, stderrIsTerminal);

        Root = new RootCommand($"""
            walsim predicts how PostgreSQL {SupportedVersions.Range} retain WAL: how full pg_wal gets, when checkpoints remove or recycle segment files, and when a replication slot becomes extended, unreserved or lost. Describe a server, its workload and its slots in a scenario file (see docs/scenarios.md), then simulate it or check the expectations it states.
            """) { HelpName = "walsim" };
        Root.Add(SimulateCommand(simulate));
        Root.Add(CheckCommand(check));
        Root.Add(ValidateCommand(validate));
        Root.Add(SampleCommand(sample));
        Root.Add(ReplayCommand(replay));
        Root.Add(ForecastCommand(forecast));
        Root.Add(WhatIfCommand(whatIf));
        Root.Add(PlanCommand(plan));
        _epilogues[Root] = $"""
            Examples:
              walsim simulate scenarios/019-replslot-limit.yaml --pg 13.3,15
              walsim check scenarios/
              walsim sample --connection "Host=db1;Username=monitor" --interval 10s --duration 1h
              walsim replay samples.csv
              walsim forecast samples.csv --horizon 7d --what-if "slot cdc stops now" --disk 200GB
              walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15 --to 17
              walsim plan scenarios/plan-cdc-and-standby-30d.yaml --slot cdc --target 12h

            {ExitCodes}
            """;

        var help = Root.Options.OfType<HelpOption>().Single();
        var builtIn = (HelpAction)help.Action!;
        builtIn.MaxWidth = 100; // fixed width: the same help in a terminal, a pipe and a test
        help.Action = new HelpWithEpilogue(builtIn, _epilogues);
    }

    public RootCommand Root { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public int Invoke(IReadOnlyList<string> args)
    {
        var parsed = Root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors) _stderr.WriteLine($"walsim: {error.Message}");
            var command = parsed.CommandResult.Command == Root ? "walsim" : $"walsim {parsed.CommandResult.Command.Name}";
            _stderr.WriteLine($"Try '{command} --help'.");
            return (int)ExitCode.UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = _stdout, Error = _stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            // Services handle their own failures; this is a last resort for bugs in the command layer itself.
            _stderr.WriteLine($"walsim: internal error: {e}");
            return (int)ExitCode.InternalError;
        }
    }

    private Command SimulateCommand(SimulateService service)
    {
        var scenario = new Argument<string>("scenario") { Description = "The scenario file (YAML)." };
        MustExist(scenario, File.Exists);
        var pg = new Option<IReadOnlyList<PgVersion>>("--pg")
        {
            Description = "PostgreSQL versions to run instead of the scenario's 'versions': comma-separated and/or repeated (12, 13.3, 15). A major alone means its newest known minor.",
            HelpName = "versions",
            CustomParser = r => ParseVersions(r, "--pg"),
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Directory for the per-version timeline and events CSV files. [default: reports/<scenario name>]",
            HelpName = "dir",
        };
        outDir.AcceptLegalFilePathsOnly();
        var format = new Option<string>("--format")
        {
            Description = "How the summary is printed on stdout.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Walsim.Analyzer.Reports.SimulateRenderers.Registry.StdoutNames);
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report with charts (pg_wal, each slot's retained WAL and wal_status, checkpoints; all versions overlaid) and its numbers as JSON beside it. [default file: <dir>/report.html]",
            HelpName = "file",
            Arity = ArgumentArity.ZeroOrOne,
        };
        html.AcceptLegalFilePathsOnly();

        var command = new Command("simulate", """
            Runs a scenario on each PostgreSQL version and prints what happens: the settings in force, when each slot becomes extended, unreserved or lost, the peak size of pg_wal, whether the disk fills, and what the checkpoints did. Writes timeline-<version>.csv (the state at every sample, checkpoint and step) and events-<version>.csv (checkpoints as log_checkpoints reports them, slot invalidations) for plotting or diffing.
            """) { scenario, pg, outDir, format, html };
        command.SetAction(r => (int)service.Run(new SimulateRequest(
            r.GetRequiredValue(scenario),
            r.GetValue(pg) ?? [],
            r.GetValue(outDir),
            r.GetRequiredValue(format),
            // --html alone: the default file; absent: no HTML report.
            r.GetResult(html) is null ? null : r.GetValue(html) ?? "")));
        _epilogues[command] = $"""
            Examples:
              walsim simulate scenarios/019-replslot-limit.yaml
              walsim simulate scenarios/019-replslot-limit.yaml --pg 13.3,13.4 --pg 15 --out /tmp/replslot
              walsim simulate scenarios/019-replslot-limit.yaml --format json > summary.json
              walsim simulate scenarios/019-replslot-limit.yaml --pg 13,15,17 --html

            {ExitCodes}
            """;
        return command;
    }

    private Command CheckCommand(CheckService service)
    {
        var target = new Argument<string>("path") { Description = "A scenario file, or a folder: every *.yaml and *.yml file in it, in name order." };
        MustExist(target, p => File.Exists(p) || Directory.Exists(p));
        var junit = new Option<string>("--junit")
        {
            Description = "Also write the results as JUnit XML to this file, for CI test reports.",
            HelpName = "file",
        };
        junit.AcceptLegalFilePathsOnly();

        var command = new Command("check", """
            Runs every scenario on each of its versions and tests the expectations under its 'expect:' key. Prints one PASS or FAIL line per expectation and version, with the value the simulation observed, then the totals. The exit code is 0 only if every expectation passed, so it can gate a CI job or a configuration change.
            """) { target, junit };
        command.SetAction(r => (int)service.Run(r.GetRequiredValue(target), r.GetValue(junit)));
        _epilogues[command] = $"""
            Examples:
              walsim check scenarios/019-replslot-limit.yaml
              walsim check scenarios/ --junit test-results/walsim.xml

            {ExitCodes}
            """;
        return command;
    }

    private Command ValidateCommand(ValidateService service)
    {
        var scenarios = new Argument<string[]>("scenario") { Description = "Step scenarios to replay on real servers (steps only: no workload, timed events or consumers).", Arity = ArgumentArity.OneOrMore };
        scenarios.Validators.Add(r =>
        {
            foreach (var path in r.GetValueOrDefault<string[]>() ?? []) if (!File.Exists(path)) r.AddError($"{path}: no such file or directory");
        });
        var pg = new Option<IReadOnlyList<int>>("--pg")
        {
            Description = $"PostgreSQL majors to run ({SupportedVersions.Range}), comma-separated and/or repeated. [default: the majors of the scenario's versions]",
            HelpName = "majors",
            CustomParser = ParseMajors,
        };
        var bin = new Option<string>("--bin")
        {
            Description = "A directory with initdb, pg_ctl and postgres of one major, instead of those installed by scripts/install-postgres.sh under $WALSIM_PG_ROOT (default /opt/walsim/postgres as root).",
            HelpName = "dir",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep each throwaway cluster's directory (data, server.log) for inspection; the server is still stopped." };
        var outDir = new Option<string>("--out") { Description = "Directory for validation.csv (every decision) and validation.json (totals). [default: reports/validate]", HelpName = "dir" };
        outDir.AcceptLegalFilePathsOnly();

        var command = new Command("validate", """
            Replays step scenarios on real, throwaway PostgreSQL clusters (initdb with the scenario's wal_segment_size, its settings, log_checkpoints=on; run as the unprivileged user 'walsim' when walsim runs as root; always stopped and removed). After every step and every checkpoint it reads pg_current_wal_lsn(), pg_control_checkpoint(), pg_replication_slots, pg_ls_waldir() and the server log, feeds those observed inputs through walsim's retention model, and compares decision by decision: distance and estimate, slots invalidated, files removed, recycled and added, the oldest file and the number of files left, and each slot's wal_status and safe_wal_size. Prints an agreement table per checkpoint and the inputs behind any disagreement.
            """) { scenarios, pg, bin, keep, outDir };
        command.SetAction((r, ct) => Task.FromResult((int)service.Run(new ValidateRequest(
            r.GetRequiredValue(scenarios), r.GetValue(pg) ?? [], r.GetValue(bin), r.GetValue(keep), r.GetValue(outDir)), ct)));
        _epilogues[command] = $"""
            Examples:
              scripts/install-postgres.sh            # once: PostgreSQL {SupportedVersions.RangeShort} under /opt/walsim/postgres
              walsim validate scenarios/019-replslot-limit.yaml
              walsim validate scenarios/step-*.yaml --pg 12,15,18 --out reports/validate

            {ExitCodes}
            """;
        return command;
    }

    private Command SampleCommand(SampleService service)
    {
        var connection = new Option<string>("--connection")
        {
            Description = "An Npgsql connection string (Host=...;Username=...) or a postgresql:// URI. What it leaves out comes from the libpq environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE or ~/.pgpass, PGSSLMODE. [default: the environment alone]",
            HelpName = "string",
        };
        var interval = new Option<TimeSpan?>("--interval")
        {
            Description = "Time between samples (500ms, 10s, 1min). [default: 10s]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--interval"),
        };
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Stop after this long (30min, 1h, 7d). [default: until Ctrl-C]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--duration"),
        };
        var outPath = new Option<string>("--out")
        {
            Description = "The sample file; settings go to NAME.settings.csv beside it. Refused if it exists, unless --append.",
            HelpName = "file",
            DefaultValueFactory = _ => "samples.csv",
        };
        outPath.AcceptLegalFilePathsOnly();
        var append = new Option<bool>("--append") { Description = "Add to an existing sample file of the same cluster (same system_identifier); the first new sample is marked as a gap." };

        var command = new Command("sample", $"""
            Samples a running PostgreSQL {SupportedVersions.Range} server (primary or standby) at a fixed interval, read-only, with a role that has pg_monitor: WAL positions (pg_current_wal_lsn/insert_lsn, or receive/replay LSNs on a standby), pg_control_checkpoint(), every replication slot, the WAL files in pg_wal, pg_stat_archiver, pg_stat_wal, and the retention settings. Appends one CSV row per slot per sample, flushed to disk after each sample; a dropped connection or a server restart is retried with backoff and marked as a gap. Ctrl-C stops cleanly. The file format is in docs/cli.md.
            """) { connection, interval, duration, outPath, append };
        command.SetAction(async (r, ct) => (int)await service.RunAsync(new SampleRequest(
            r.GetValue(connection), r.GetValue(interval) ?? TimeSpan.FromSeconds(10), r.GetValue(duration), r.GetRequiredValue(outPath), r.GetValue(append)), ct));
        _epilogues[command] = $"""
            Examples:
              PGHOST=db1 PGUSER=monitor walsim sample --duration 1h
              walsim sample --connection "postgresql://monitor@db1:5432/postgres?sslmode=require" --interval 30s --out db1.csv
              walsim sample --out db1.csv --append       # go on after a stop, same cluster only

            {ExitCodes}
            """;
        return command;
    }

    private Command ReplayCommand(ReplayService service)
    {
        var samples = new Argument<string>("samples") { Description = "A sample file written by walsim sample (its NAME.settings.csv must be beside it)." };
        MustExist(samples, File.Exists);
        var until = UntilOption("Replay only up to this point: a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z). [default: the whole file]");
        var csv = new Option<string>("--csv") { Description = "Also write every decision compared (predicted, observed, inputs) to this CSV file.", HelpName = "file" };
        csv.AcceptLegalFilePathsOnly();
        var checkpoints = new Option<bool>("--checkpoints") { Description = "List every checkpoint, not only those where the model and the server disagree." };
        var pg = new Option<PgVersion?>("--pg")
        {
            Description = "Server logs only: the PostgreSQL version, when the log has no \"starting PostgreSQL\" line.",
            HelpName = "version",
            CustomParser = r => PgVersion.TryParse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "", out var v, out var e) ? v : Fail(r, $"--pg: {e}"),
        };
        var segment = new Option<string>("--wal-segment-size") { Description = "Server logs only: wal_segment_size (a log does not say it). [default: 16MB]", HelpName = "size" };
        var set = new Option<string[]>("--set")
        {
            Description = "Server logs only: a setting in force when the log starts (name=value, repeatable), e.g. min_wal_size=1GB.",
            HelpName = "name=value",
            AllowMultipleArgumentsPerToken = false,
        };

        var command = new Command("replay", """
            Replays a real cluster's samples through walsim's retention model, as validate does on a throwaway cluster. Reconstructs the WAL write rate, the checkpoints (each new redo_lsn) and how each slot's consumer behaved; then, for every checkpoint seen, recomputes KeepLogSeg, the slot invalidations and RemoveOldXlogFiles/PreallocXlogFiles from the state sampled just before, and compares with the sample after: the files in pg_wal, the oldest file, the slots invalidated; and at every sample each slot's wal_status and safe_wal_size (13+). Exit code 1 if any decision disagrees.
            Also reads a server log written with log_checkpoints = on (stderr, csvlog or jsonlog): then it checks what a log decides — each checkpoint's distance estimate, and files added and recycled against PreallocXlogFiles and XLOGfileslop — and sums WAL, file changes and invalidations.
            """) { samples, until, csv, checkpoints, pg, segment, set };
        command.SetAction(r =>
        {
            var seg = WalSegmentSize.Default;
            if (r.GetValue(segment) is { } text)
            {
                if (!ValueParser.TryParseSize(text, out var size, out var e) || !WalSegmentSize.IsValid(size.Bytes))
                {
                    _stderr.WriteLine($"walsim: --wal-segment-size: expected a power of two from 1MB to 1GB, got \"{text}\"{(e is null ? "" : $" ({e})")}");
                    return (int)ExitCode.UsageError;
                }
                seg = new WalSegmentSize(size.Bytes);
            }
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in r.GetValue(set) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) { _stderr.WriteLine($"walsim: --set: expected name=value, got \"{pair}\""); return (int)ExitCode.UsageError; }
                settings[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }
            return (int)service.Run(new ReplayRequest(r.GetRequiredValue(samples), r.GetValue(until), r.GetValue(csv), r.GetValue(checkpoints))
            {
                Version = r.GetValue(pg), SegmentSize = seg, Settings = settings,
            });
        });
        _epilogues[command] = $"""
            Examples:
              walsim replay samples.csv
              walsim replay db1.csv --until 6h --checkpoints
              walsim replay db1.csv --csv reports/db1-replay.csv
              walsim replay /var/log/postgresql/postgresql-15-main.log --set min_wal_size=1GB --set max_wal_size=4GB

            {ExitCodes}
            """;
        return command;
    }

    private Command ForecastCommand(ForecastService service)
    {
        var samples = new Argument<string>("samples") { Description = "A sample file written by walsim sample (its NAME.settings.csv must be beside it)." };
        MustExist(samples, File.Exists);
        var horizon = new Option<TimeSpan?>("--horizon")
        {
            Description = "How far ahead to forecast (6h, 7d, 30d). [default: 7d]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--horizon"),
        };
        var whatIf = new Option<IReadOnlyList<WhatIf>>("--what-if")
        {
            Description = "An alternative to the current trend, forecast on its own; repeatable: \"slot NAME stops now\", \"slot NAME stops in 2h\", \"rate x2\", \"set max_slot_wal_keep_size=10GB\"; several in one with ';'.",
            HelpName = "change",
            CustomParser = ParseWhatIfs,
        };
        var disk = new Option<string>("--disk") { Description = "The pg_wal volume's size (200GB): also forecast when it fills.", HelpName = "size" };
        var readOnly = new Option<string>("--read-only-at") { Description = "A managed service's read-only threshold as a share of --disk (95%).", HelpName = "share" };
        var runs = new Option<int>("--runs") { Description = "Monte Carlo runs.", DefaultValueFactory = _ => 500, HelpName = "n" };
        var seed = new Option<int>("--seed") { Description = "Master seed: the same seed and file give the same forecast.", DefaultValueFactory = _ => 1, HelpName = "n" };
        var until = UntilOption("Forecast from this point of the file instead of its end: a duration from the first sample or a UTC time.");
        var period = new Option<TimeSpan?>("--period")
        {
            Description = "The cycle to look for in the write rate. [default: 24h]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--period"),
        };
        var bucket = new Option<TimeSpan?>("--bucket")
        {
            Description = "The fit's rate bucket. [default: 5min, or 4 sample intervals if longer]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--bucket"),
        };
        var workloadFrom = new Option<string>("--workload-from")
        {
            Description = "Fit the workload to this file instead: a longer sample file, or a server log written with log_checkpoints = on (weeks of checkpoint distances show the daily cycle and the trend).",
            HelpName = "file",
        };
        workloadFrom.Validators.Add(r => { if (r.GetValueOrDefault<string>() is { } p && !File.Exists(p)) r.AddError($"{p}: no such file or directory"); });
        var backtest = new Option<bool>("--backtest") { Description = "Forecast from the first part of the file (up to --until, default half-way) and compare with what the rest shows, side by side with predict_linear." };
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100_000) r.AddError("--runs: expected 1 to 100000"); });

        var command = new Command("forecast", """
            Forecasts, from a sample file, when each slot becomes extended, unreserved and lost, when pg_wal fills the disk (or a managed service goes read-only), and how big pg_wal gets. Fits the WAL rate with a daily cycle and a trend where the data shows them, then runs seeded Monte Carlo futures of that workload through the model of the sampled version, starting from the cluster as the last sample saw it; consumers that kept up keep up, stalled ones stay stalled. Prints p10/p50/p90 under the current trend and under each --what-if.
            """) { samples, horizon, whatIf, disk, readOnly, runs, seed, until, period, bucket, workloadFrom, backtest };
        command.SetAction(r =>
        {
            ByteCount? size = null;
            if (r.GetValue(disk) is { } d)
            {
                if (!ValueParser.TryParseSize(d, out var s, out var e)) { _stderr.WriteLine($"walsim: --disk: {e}"); return (int)ExitCode.UsageError; }
                size = s;
            }
            double? ro = null;
            if (r.GetValue(readOnly) is { } t)
            {
                if (!ValueParser.TryParseFraction(t, out var f, out var e)) { _stderr.WriteLine($"walsim: --read-only-at: {e}"); return (int)ExitCode.UsageError; }
                if (size is null) { _stderr.WriteLine("walsim: --read-only-at needs --disk"); return (int)ExitCode.UsageError; }
                ro = f;
            }
            return (int)service.Run(new ForecastRequest(r.GetRequiredValue(samples),
                SimDuration.FromSeconds((r.GetValue(horizon) ?? TimeSpan.FromDays(7)).TotalSeconds), r.GetValue(whatIf) ?? [], size, ro,
                r.GetValue(runs), r.GetValue(seed), r.GetValue(until),
                SimDuration.FromSeconds((r.GetValue(period) ?? TimeSpan.FromDays(1)).TotalSeconds),
                r.GetValue(bucket) is { } b ? SimDuration.FromSeconds(b.TotalSeconds) : null) { Backtest = r.GetValue(backtest), WorkloadFrom = r.GetValue(workloadFrom) });
        });
        _epilogues[command] = $"""
            Examples:
              walsim forecast samples.csv
              walsim forecast db1.csv --horizon 30d --disk 200GB --what-if "slot cdc stops now" --what-if "rate x2"
              walsim forecast db1.csv --what-if "slot cdc stops now; set max_slot_wal_keep_size=50GB" --runs 1000 --seed 7
              walsim forecast db1.csv --workload-from /var/log/postgresql/postgresql-15-main.log
              walsim forecast scenarios/traces/diurnal-15/samples.csv --backtest --period 10min --bucket 20s

            {ExitCodes}
            """;
        return command;
    }

    private Command WhatIfCommand(WhatIfService service)
    {
        var scenario = new Argument<string>("scenario") { Description = "The scenario file (YAML), its settings those of the --from version; or a sample file written by walsim sample (.csv, its NAME.settings.csv beside it): the sampled WAL and slot movements replayed under each version." };
        MustExist(scenario, File.Exists);
        var from = new Option<PgVersion?>("--from")
        {
            Description = "The version the scenario's settings are written for (12, 13.3, 15.14). A major alone means its newest known minor.",
            HelpName = "version",
            CustomParser = r => PgVersion.TryParse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "", out var v, out var e) ? v : Fail(r, $"--from: {e}"),
        };
        var to = new Option<IReadOnlyList<PgVersion>>("--to")
        {
            Description = "Versions to compare with, comma-separated and/or repeated (15, 17, 13.23).",
            HelpName = "versions",
            CustomParser = r => ParseVersions(r, "--to"),
        };
        var format = new Option<string>("--format")
        {
            Description = $"How the report is printed on stdout: {Walsim.Analyzer.Comparison.WhatIfRenderers.Registry.DescribePrintable()}.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Walsim.Analyzer.Comparison.WhatIfRenderers.Registry.StdoutNames);
        var outDir = new Option<string>("--out")
        {
            Description = "Also write whatif.md (Markdown), whatif.json (every number) and whatif.csv (one row per version, slot and measure) to this directory, and whatif.html with --html. Every file is written completely before any replaces an older one.",
            HelpName = "dir",
        };
        outDir.AcceptLegalFilePathsOnly();
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report: the side-by-side table, charts of every version overlaid (pg_wal against the disk and the cap, each slot's retained WAL and wal_status), the first divergence per target, the settings translation and the minor-release warnings. [default file: <dir>/whatif.html, or reports/<scenario name>/whatif.html without --out]",
            HelpName = "file",
            Arity = ArgumentArity.ZeroOrOne,
        };
        html.AcceptLegalFilePathsOnly();

        var sync = new Option<string>("--sync")
        {
            Description = "For a topology scenario (nodes:): compare slot synchronization mechanisms instead of versions, on --from (default: the scenario's newest version): none, native, pg_failover_slots, patroni (comma-separated).",
            HelpName = "mechanisms",
        };

        var command = new Command("whatif", """
            Runs one scenario on the version it is written for and on each version you might move to, and lays the results side by side: when each slot becomes extended, unreserved and lost, pg_wal's peak, the disk, checkpoints and invalidations. Moves the settings across versions (wal_keep_segments <-> wal_keep_size, parameters a version lacks, defaults that changed) and says what it did; finds the first checkpoint where a version decides differently and names the PostgreSQL change behind it; warns when a minor release has a retention bug fixed later and shows what the fix changes for this workload.
            """) { scenario, from, to, format, outDir, html, sync };
        command.SetAction(r =>
        {
            var fmt = r.GetRequiredValue(format);
            if (r.GetValue(sync) is { } mechanisms)
                return (int)service.RunSync(r.GetRequiredValue(scenario), r.GetValue(from), mechanisms, fmt);
            if (r.GetValue(from) is not { } fromVersion || (r.GetValue(to) ?? []).Count == 0)
            {
                _stderr.WriteLine("walsim: whatif needs --from and --to (versions), or --sync (mechanisms) for a topology scenario");
                return (int)ExitCode.UsageError;
            }
            return (int)service.Run(new WhatIfRequest(r.GetRequiredValue(scenario), fromVersion, r.GetValue(to) ?? [], fmt, r.GetValue(outDir),
                // --html alone: the default file; absent: no HTML report.
                r.GetResult(html) is null ? null : r.GetValue(html) ?? ""));
        });
        _epilogues[command] = $"""
            Examples:
              walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15 --to 17
              walsim whatif scenarios/pg13-stale-horizon-13.3-vs-13.4.yaml --from 13.3 --to 15 --format markdown
              walsim whatif my-server.yaml --from 13.8 --to 16,17 --format json --out reports/upgrade
              walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15,17 --out reports/upgrade --html
              walsim whatif scenarios/failover-pg17-native-switchover.yaml --sync none,native,pg_failover_slots,patroni

            {ExitCodes}
            """;
        return command;
    }

    private static IReadOnlyList<WhatIf> ParseWhatIfs(ArgumentResult result)
    {
        var list = new List<WhatIf>();
        foreach (var token in result.Tokens)
        {
            if (!WhatIf.TryParse(token.Value, out var w, out var error))
            {
                result.AddError($"--what-if: {error}");
                return [];
            }
            list.Add(w);
        }
        return list;
    }

    private Command PlanCommand(PlanService service)
    {
        var input = new Argument<string>("input") { Description = "A scenario file (YAML), or a sample file written by walsim sample (.csv, its NAME.settings.csv beside it)." };
        MustExist(input, File.Exists);
        var pg = new Option<PgVersion?>("--pg")
        {
            Description = "The version to plan for. [default: the scenario's newest version, or the sampled server's]",
            HelpName = "version",
            CustomParser = r => PgVersion.TryParse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "", out var v, out var e) ? v : Fail(r, $"--pg: {e}"),
        };
        var slot = new Option<string[]>("--slot") { Description = "A slot to plan for; repeatable. [default: every slot with a consumer]", HelpName = "name" };
        var disk = new Option<string>("--disk") { Description = "The pg_wal volume (250GB), instead of the scenario's; 'none' to plan without one (the plan then sizes it).", HelpName = "size" };
        var readOnly = new Option<string>("--read-only-at") { Description = "A managed service's read-only threshold as a share of the volume (95%).", HelpName = "share" };
        var outage = new Option<string>("--outage")
        {
            Description = "Outage lengths to judge: a range cut into --steps on a log scale (30min..48h), or a list (1h,6h,24h).",
            HelpName = "lengths",
            DefaultValueFactory = _ => "30min..48h",
        };
        var cap = new Option<string>("--cap")
        {
            Description = "Candidate max_slot_wal_keep_size values: a range (1GB..200GB) or a list (16GB,64GB,-1; -1 = unlimited). [default: from half the WAL the shortest outage writes to twice what the longest writes, at the mean rate, at most the volume; and unlimited]",
            HelpName = "sizes",
        };
        var steps = new Option<int>("--steps") { Description = "How many values a range is cut into.", DefaultValueFactory = _ => 10, HelpName = "n" };
        steps.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 2 or > 100) r.AddError("--steps: expected 2 to 100"); });
        var target = new Option<TimeSpan?>("--target")
        {
            Description = "The outage the recommendation must survive. [default: the longest judged]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--target"),
        };
        var risk = new Option<string>("--risk") { Description = "The acceptable probability of losing the slot in the target outage.", DefaultValueFactory = _ => "1%", HelpName = "share" };
        var margin = new Option<string>("--margin") { Description = "Free space to leave above the largest pg_wal when sizing the volume.", DefaultValueFactory = _ => "20%", HelpName = "share" };
        var runs = new Option<int>("--runs") { Description = "Monte Carlo runs per slot and cap.", DefaultValueFactory = _ => 500, HelpName = "n" };
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100_000) r.AddError("--runs: expected 1 to 100000"); });
        var seed = new Option<int>("--seed") { Description = "Master seed: the same seed and input give the same plan.", DefaultValueFactory = _ => 1, HelpName = "n" };
        var window = new Option<TimeSpan?>("--window")
        {
            Description = "How far into the workload an outage may start. [default: the scenario's duration, leaving room for the longest outage; 7d for samples]",
            HelpName = "duration",
            CustomParser = r => ParseDuration(r, "--window"),
        };
        var period = new Option<TimeSpan?>("--period") { Description = "Samples: the cycle to fit. [default: 24h]", HelpName = "duration", CustomParser = r => ParseDuration(r, "--period") };
        var bucket = new Option<TimeSpan?>("--bucket") { Description = "Samples: the fit's rate bucket. [default: 5min, or 4 sample intervals if longer]", HelpName = "duration", CustomParser = r => ParseDuration(r, "--bucket") };
        var format = new Option<string>("--format")
        {
            Description = $"How the plan is printed on stdout: {Walsim.Analyzer.Planning.PlanRenderers.Registry.DescribePrintable()}.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Walsim.Analyzer.Planning.PlanRenderers.Registry.StdoutNames);
        var outDir = new Option<string>("--out") { Description = "Also write plan.md, plan.csv and plan.json to this directory (each complete or not at all).", HelpName = "dir" };
        outDir.AcceptLegalFilePathsOnly();
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report: heatmaps of outage x cap, the longest outage survived against the cap, the recommendation. [default file: <--out or reports/<name>>/plan.html]",
            HelpName = "file",
            Arity = ArgumentArity.ZeroOrOne,
        };
        html.AcceptLegalFilePathsOnly();
        var threads = new Option<int>("--threads") { Description = "Threads for the runs (the plan does not depend on it). [default: the processor count]", HelpName = "n" };

        var command = new Command("plan", """
            Capacity planning: for each slot, how long its consumer may be away under each candidate max_slot_wal_keep_size before the slot is invalidated or the pg_wal volume fills, over seeded Monte Carlo runs of the workload (a scenario's declared noise, or the rate fitted to samples), and a recommended cap and volume size with the margin and the reason. Each run stops one consumer at a random time in the window and never brings it back; the other consumers keep up. On a terminal a progress bar shows on stderr.
            """) { input, pg, slot, disk, readOnly, outage, cap, steps, target, risk, margin, runs, seed, window, period, bucket, format, outDir, html, threads };
        command.SetAction(r =>
        {
            ByteCount? size = null;
            var noDisk = false;
            if (r.GetValue(disk) is { } d)
            {
                if (d is "none" or "unlimited") noDisk = true;
                else if (!ValueParser.TryParseSize(d, out var s, out var e)) { _stderr.WriteLine($"walsim: --disk: {e}"); return (int)ExitCode.UsageError; }
                else size = s;
            }
            double? ro = null;
            if (r.GetValue(readOnly) is { } t)
            {
                if (!ValueParser.TryParseFraction(t, out var f, out var e) || f is <= 0 or > 1) { _stderr.WriteLine($"walsim: --read-only-at: {e ?? "expected a share between 0% and 100%"}"); return (int)ExitCode.UsageError; }
                ro = f;
            }
            if (!ValueParser.TryParseFraction(r.GetRequiredValue(risk), out var riskValue, out var riskError) || riskValue is < 0 or >= 1)
            {
                _stderr.WriteLine($"walsim: --risk: {riskError ?? "expected a probability from 0% up to (not including) 100%"}");
                return (int)ExitCode.UsageError;
            }
            if (!ValueParser.TryParseFraction(r.GetRequiredValue(margin), out var marginValue, out var marginError) || marginValue < 0)
            {
                _stderr.WriteLine($"walsim: --margin: {marginError ?? "expected a share of 0% or more"}");
                return (int)ExitCode.UsageError;
            }
            static SimDuration? Sim(TimeSpan? ts) => ts is { } v ? SimDuration.FromSeconds(v.TotalSeconds) : null;
            var htmlPath = r.GetResult(html) is { } hr ? (hr.Tokens.Count > 0 ? hr.Tokens[0].Value : "") : null;
            var threadCount = r.GetValue(threads) is > 0 and var n ? n : Environment.ProcessorCount;
            return (int)service.Run(new PlanRequest(r.GetRequiredValue(input), r.GetValue(pg), r.GetValue(slot) ?? [], size, noDisk,
                r.GetRequiredValue(outage), r.GetValue(cap), r.GetValue(steps), Sim(r.GetValue(target)), riskValue, marginValue,
                r.GetValue(runs), r.GetValue(seed), Sim(r.GetValue(window)),
                r.GetRequiredValue(format), r.GetValue(outDir), htmlPath, threadCount)
            {
                ReadOnlyAt = ro,
                Period = Sim(r.GetValue(period)) ?? SimDuration.FromDays(1),
                Bucket = Sim(r.GetValue(bucket)),
            });
        });
        _epilogues[command] = $"""
            Examples:
              walsim plan scenarios/plan-cdc-and-standby-30d.yaml
              walsim plan scenarios/plan-cdc-and-standby-30d.yaml --slot cdc --target 12h --cap 16GB..256GB --html
              walsim plan db1.csv --disk 500GB --outage 1h,4h,12h,24h --risk 5% --format markdown
              walsim plan scenarios/standby-stalled-past-cap.yaml --pg 15 --disk none --out reports/plan

            {ExitCodes}
            """;
        return command;
    }

    private static PgVersion? Fail(ArgumentResult r, string message)
    {
        r.AddError(message);
        return null;
    }

    private static Option<ReplayLimit> UntilOption(string description) => new("--until")
    {
        Description = description,
        HelpName = "when",
        CustomParser = ParseUntil,
    };

    /// <summary><c>--until</c>: a duration from the first sample, or an absolute UTC time.</summary>
    private static ReplayLimit ParseUntil(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (ValueParser.TryParseDuration(text, out var d, out _) && d.Microseconds > 0)
            return new ReplayLimit(null, TimeSpan.FromMicroseconds(d.Microseconds));
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t))
            return new ReplayLimit(t, null);
        result.AddError($"--until: expected a duration from the first sample (30min, 6h) or a UTC time (2026-11-21T10:30:00Z), got \"{text}\"");
        return default;
    }

    /// <summary>A positive duration in PostgreSQL's unit syntax (<c>500ms</c>, <c>10s</c>, <c>5min</c>, <c>1h</c>).</summary>
    private static TimeSpan ParseDuration(ArgumentResult result, string option)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!ValueParser.TryParseDuration(text, out var d, out var error))
        {
            result.AddError($"{option}: {error}");
            return default;
        }
        if (d.Microseconds <= 0)
        {
            result.AddError($"{option}: must be more than 0, got \"{text}\"");
            return default;
        }
        return TimeSpan.FromMicroseconds(d.Microseconds);
    }

    private static IReadOnlyList<int> ParseMajors(ArgumentResult result)
    {
        var majors = new List<int>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) || !SupportedVersions.IsSupported(m))
            {
                result.AddError($"--pg: expected a major from {SupportedVersions.Range}, got \"{text}\"");
                return [];
            }
            if (!majors.Contains(m)) majors.Add(m);
        }
        return majors;
    }

    // A string argument (not FileInfo) keeps the path as typed, which is how error messages name the file.
    private static void MustExist(Argument<string> argument, Func<string, bool> exists) =>
        argument.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !exists(path)) r.AddError($"{path}: no such file or directory");
        });

    /// <summary><c>--pg 12,13.3 --pg 15</c>: every token, split at commas, parsed as a version; duplicates dropped.</summary>
    private static IReadOnlyList<PgVersion> ParseVersions(ArgumentResult result, string option)
    {
        var versions = new List<PgVersion>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!PgVersion.TryParse(text, out var v, out var error))
            {
                result.AddError($"{option}: {error}");
                return [];
            }
            if (!versions.Contains(v)) versions.Add(v);
        }
        return versions;
    }

    /// <summary>The built-in help, followed by the command's examples and the exit codes.</summary>
    private sealed class HelpWithEpilogue(HelpAction builtIn, IReadOnlyDictionary<Command, string> epilogues) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            builtIn.Invoke(parseResult);
            if (epilogues.TryGetValue(parseResult.CommandResult.Command, out var text))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(text);
                output.WriteLine();
            }
            return (int)ExitCode.Ok;
        }
    }
}

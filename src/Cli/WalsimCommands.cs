using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Walsim.Cli.Commands;

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

    private const string RootExamples = """
        walsim simulate scenarios/019-replslot-limit.yaml --pg 13.3,15
        walsim check scenarios/
        walsim sample "host=db1 user=monitor" --interval 10s --duration 1h
        walsim replay samples.csv
        walsim forecast samples.csv --horizon 7d --what-if "slot cdc stops now" --disk 200GB
        walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15 --to 17
        walsim plan scenarios/plan-cdc-and-standby-30d.yaml --slot cdc --target 12h
        walsim explain scenarios/019-replslot-limit.yaml --pg 15
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
        using var invariant = new InvariantCultureScope(); // System.CommandLine words some built-in options here
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
        var explain = new ExplainService(stdout, stderr, load, environment);
        var watch = new WatchService(stdout, stderr, stderrIsTerminal, time ?? TimeProvider.System, environment);
        var checkSlots = new CheckSlotsService(stdout, stderr, time ?? TimeProvider.System, environment);

        Root = new RootCommand($"""
            walsim predicts how PostgreSQL {SupportedVersions.Range} retain WAL: how full pg_wal gets, when checkpoints remove or recycle segment files, and when a replication slot becomes extended, unreserved or lost. Describe a server, its workload and its slots in a scenario file (see docs/scenarios.md), then simulate it or check the expectations it states.
            """) { HelpName = "walsim" };
        Add(SimulateCommand.Create(simulate), SimulateCommand.Examples);
        Add(CheckCommand.Create(check), CheckCommand.Examples);
        Add(ValidateCommand.Create(validate), ValidateCommand.Examples);
        Add(SampleCommand.Create(sample), SampleCommand.Examples);
        Add(ReplayCommand.Create(replay, stderr), ReplayCommand.Examples);
        Add(ForecastCommand.Create(forecast, stderr), ForecastCommand.Examples);
        Add(BacktestCommand.Create(stdout, stderr), BacktestCommand.Examples);
        Add(WhatIfCommand.Create(whatIf, stderr), WhatIfCommand.Examples);
        Add(PlanCommand.Create(plan, stderr), PlanCommand.Examples);
        Add(ExplainCommand.Create(explain), ExplainCommand.Examples);
        Add(WatchCommand.Create(watch), WatchCommand.Examples);
        Add(CheckSlotsCommand.Create(checkSlots), CheckSlotsCommand.Examples);
        _epilogues[Root] = Epilogue(RootExamples);

        var help = Root.Options.OfType<HelpOption>().Single();
        var builtIn = (HelpAction)help.Action!;
        builtIn.MaxWidth = 100; // fixed width: the same help in a terminal, a pipe and a test
        help.Action = new HelpWithEpilogue(builtIn, _epilogues);
    }

    public RootCommand Root { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public int Invoke(IReadOnlyList<string> args)
    {
        using var invariant = new InvariantCultureScope();
        var parsed = Root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors) _stderr.WriteLine($"walsim: {error.Message}");
            var command = parsed.CommandResult.Command == Root ? "walsim" : $"walsim {parsed.CommandResult.Command.Name}";
            _stderr.WriteLine($"Try '{command} --help'.");
            return (int)ExitCode.UsageError;
        }
        foreach (var note in CliOptions.NewerMinorNotes(parsed)) _stderr.WriteLine($"walsim: {note}");
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

    /// <summary>
    /// The invariant culture until disposed, then the caller's again. walsim speaks one language and one number format
    /// whatever LANG says: its reports, CSVs, JSON and metrics are read by programs and compared across machines, and
    /// System.CommandLine would otherwise translate its own words around walsim's English. The culture flows into every
    /// task a run starts.
    /// </summary>
    private sealed class InvariantCultureScope : IDisposable
    {
        private readonly CultureInfo _culture = CultureInfo.CurrentCulture, _uiCulture = CultureInfo.CurrentUICulture;

        public InvariantCultureScope() => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

        public void Dispose() => (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (_culture, _uiCulture);
    }

    private void Add(Command command, string examples)
    {
        Root.Add(command);
        _epilogues[command] = Epilogue(examples);
    }

    /// <summary>What <c>--help</c> prints after the built-in help: the examples, indented under their heading, and the exit codes.</summary>
    private static string Epilogue(string examples) =>
        $"Examples:\n{string.Join('\n', examples.Split('\n').Select(line => "  " + line))}\n\n{ExitCodes}";

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

using System.Security.Cryptography;
using Walsim.Analyzer.Live;
using Walsim.Cli;
using Walsim.Simulator.Units;
using Walsim.Tests.Live;

namespace Walsim.Tests.Cli;

/// <summary>
/// Bad command lines and bad sample files, each run through the CLI in-process: the exit code documented for it, one
/// line that says what was wrong and what to give instead (no stack trace), and nothing written — every file in the
/// test's folder (a report of an earlier run, the file named where a directory was wanted) left as it was, and no new
/// file or directory. Scenario files themselves are fuzzed by <see cref="Scenarios.ScenarioFuzzTests"/>.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-bad-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Scenario = """
        name: bad-input
        versions: [15]
        wal_segment_size: 1MB
        duration: 2h
        sample_interval: 10min
        settings: {min_wal_size: 2MB, max_wal_size: 64MB, max_slot_wal_keep_size: 256MB}
        workload:
          - constant: 64kB/s
        slots:
          - name: rep1
            consumer: {lag: 2s, confirm_every: 10s}
        expect:
          - {slot: rep1, lost: never}
        """;

    private const string Steps = """
        name: bad-input-steps
        versions: [15]
        wal_segment_size: 1MB
        sample_interval: 0
        settings: {min_wal_size: 2MB, max_wal_size: 4MB}
        steps:
          - write_segments: 2
          - checkpoint
        """;

    private const string Settings = "1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n1,2025-01-31T12:00:00.000000Z,min_wal_size,80,MB\n";

    /// <summary>
    /// The command lines and sample files (<c>{dir}</c> is the test's folder, holding <c>scenarios/a.yaml</c> and
    /// <c>steps.yaml</c>, <c>samples/good.csv</c> and the bad sample files, a file <c>afile</c> and an empty directory
    /// <c>adir</c>), the exit code and a fragment of the message.
    /// </summary>
    public static TheoryData<string, ExitCode, string> Shapes()
    {
        var data = new TheoryData<string, ExitCode, string>
        {
            // A directory where a file is wanted: named, with a file in it that would do.
            { "simulate {dir}/scenarios", ExitCode.UsageError, "{dir}/scenarios: is a directory; give a scenario file (YAML), like {dir}/scenarios/a.yaml (walsim check runs every scenario in a folder)" },
            { "replay {dir}/samples", ExitCode.UsageError, "{dir}/samples: is a directory; give a sample file written by walsim sample, or a server log, like {dir}/samples/back.csv" },
            { "forecast {dir}/samples", ExitCode.UsageError, "{dir}/samples: is a directory; give a sample file written by walsim sample, like {dir}/samples/back.csv" },
            { "forecast {dir}/samples/good.csv --workload-from {dir}/samples", ExitCode.UsageError, "{dir}/samples: is a directory; give a sample file written by walsim sample, or a server log, like" },
            { "whatif {dir}/scenarios --from 15 --to 16", ExitCode.UsageError, "{dir}/scenarios: is a directory; give a scenario file (YAML) or a sample file written by walsim sample, like {dir}/scenarios/a.yaml" },
            { "plan {dir}/samples", ExitCode.UsageError, "{dir}/samples: is a directory; give a scenario file (YAML) or a sample file written by walsim sample, like {dir}/samples/back.csv" },
            { "validate {dir}/scenarios", ExitCode.UsageError, "{dir}/scenarios: is a directory; give a step scenario file (YAML), like {dir}/scenarios/a.yaml" },

            // Reports where they cannot go: refused before anything runs or is written (exit 4, as a failed write).
            { "simulate {dir}/scenarios/a.yaml --out {dir}/afile", ExitCode.IoError, "cannot write reports to {dir}/afile: it is a file; give --out a directory (it is created if missing)" },
            { "simulate {dir}/scenarios/a.yaml --out {dir}/afile/reports", ExitCode.IoError, "cannot write reports to {dir}/afile/reports: {dir}/afile is a file, so the directory cannot be created; give --out a directory" },
            { "whatif {dir}/scenarios/a.yaml --from 15 --to 16 --out {dir}/afile", ExitCode.IoError, "cannot write reports to {dir}/afile: it is a file; give --out a directory" },
            { "plan {dir}/scenarios/a.yaml --runs 2 --out {dir}/afile", ExitCode.IoError, "cannot write reports to {dir}/afile: it is a file; give --out a directory" },
            { "validate {dir}/steps.yaml --out {dir}/afile", ExitCode.IoError, "cannot write reports to {dir}/afile: it is a file; give --out a directory" },
            { "simulate {dir}/scenarios/a.yaml --out {dir}/out --html {dir}/adir", ExitCode.IoError, "cannot write {dir}/adir: it is a directory; give --html a file name, like {dir}/adir/report.html" },
            { "whatif {dir}/scenarios/a.yaml --from 15 --to 16 --out {dir}/out --html {dir}/adir", ExitCode.IoError, "cannot write {dir}/adir: it is a directory; give --html a file name, like {dir}/adir/whatif.html" },
            { "plan {dir}/scenarios/a.yaml --runs 2 --html {dir}/adir", ExitCode.IoError, "cannot write {dir}/adir: it is a directory; give --html a file name, like {dir}/adir/plan.html" },
            { "check {dir}/scenarios/a.yaml --junit {dir}/adir", ExitCode.IoError, "cannot write {dir}/adir: it is a directory; give --junit a file name, like {dir}/adir/walsim.xml" },
            { "check {dir}/scenarios/a.yaml --junit {dir}/afile/walsim.xml", ExitCode.IoError, "cannot write {dir}/afile/walsim.xml: {dir}/afile is a file, so there is no directory to write into; give --junit a path in a directory" },
            { "replay {dir}/samples/good.csv --csv {dir}/adir", ExitCode.IoError, "cannot write {dir}/adir: it is a directory; give --csv a file name, like {dir}/adir/replay.csv" },
            { "sample --out {dir}/adir", ExitCode.UsageError, "--out: {dir}/adir is a directory; give a file name, like {dir}/adir/samples.csv" },

            // A what-if setting PostgreSQL would refuse: named while parsing, not blamed on the samples mid-forecast.
            { "forecast {dir}/samples/good.csv --what-if set_max_wal_size=banana", ExitCode.UsageError, "--what-if: \"set max_wal_size=banana\": invalid value for parameter \"max_wal_size\": \"banana\"" },
            { "forecast {dir}/samples/good.csv --what-if set_max_wal_size=1MB", ExitCode.UsageError, "--what-if: \"set max_wal_size=1MB\": 1 MB is outside the valid range for parameter \"max_wal_size\"" },
            { "forecast {dir}/samples/good.csv --what-if set_wal_keep_sise=1GB", ExitCode.UsageError, "--what-if: \"set wal_keep_sise=1GB\": unrecognized configuration parameter \"wal_keep_sise\"" },

            // Sample data no server can produce: refused with file and line, never fitted.
            { "replay {dir}/samples/back.csv", ExitCode.InvalidScenario, "{dir}/samples/back.csv:202: insert_lsn: the WAL position went backwards on timeline 1: 0/1000000 after " },
            { "forecast {dir}/samples/back.csv", ExitCode.InvalidScenario, "{dir}/samples/back.csv:202: insert_lsn: the WAL position went backwards on timeline 1" },
            { "forecast {dir}/samples/jump.csv", ExitCode.InvalidScenario, "{dir}/samples/jump.csv:202: insert_lsn: the WAL position jumped 16EB in 10s: FFFFFFFF/FFFFFFFF after " },
            { "replay {dir}/samples/jump.csv", ExitCode.InvalidScenario, "{dir}/samples/jump.csv:202: insert_lsn: the WAL position jumped 16EB in 10s: FFFFFFFF/FFFFFFFF after " },
            { "plan {dir}/samples/jump.csv --runs 2", ExitCode.InvalidScenario, "{dir}/samples/jump.csv:202: insert_lsn: the WAL position jumped 16EB" },
            { "forecast {dir}/samples/banana.csv", ExitCode.InvalidScenario, "{dir}/samples/banana.settings.csv:2: max_wal_size: expected a size as pg_settings shows it (value 1024, unit MB), got \"banana\"" },
            { "forecast {dir}/samples/banana.csv --backtest", ExitCode.InvalidScenario, "{dir}/samples/banana.settings.csv:2: max_wal_size: expected a size" },
            { "replay {dir}/samples/banana.csv", ExitCode.InvalidScenario, "{dir}/samples/banana.settings.csv:2: max_wal_size: expected a size" },
            { "whatif {dir}/samples/banana.csv --from 15 --to 16", ExitCode.InvalidScenario, "{dir}/samples/banana.settings.csv:2: max_wal_size: expected a size" },
            { "plan {dir}/samples/banana.csv --runs 2", ExitCode.InvalidScenario, "{dir}/samples/banana.settings.csv:2: max_wal_size: expected a size" },
            { "forecast {dir}/samples/tiny.csv", ExitCode.InvalidScenario, "{dir}/samples/tiny.settings.csv:2: max_wal_size: 1 MB is outside the valid range for parameter \"max_wal_size\" (2 .. 2147483647)" },
            { "forecast {dir}/samples/headeronly.csv", ExitCode.InvalidScenario, "{dir}/samples/headeronly.settings.csv: no settings in it: walsim sample writes here, at the first sample and whenever one changes, the server's settings that decide WAL retention" },
            { "replay {dir}/samples/zerobytes.csv", ExitCode.InvalidScenario, "{dir}/samples/zerobytes.settings.csv: no settings in it: walsim sample writes here" },
            { "whatif {dir}/samples/headeronly.csv --from 15 --to 16", ExitCode.InvalidScenario, "{dir}/samples/headeronly.settings.csv: no settings in it: walsim sample writes here" },
        };
        // A directory that takes no new files, as only Linux has one for everybody (root too).
        if (Directory.Exists("/proc/self"))
        {
            data.Add("check {dir}/scenarios/a.yaml --junit /proc/walsim.xml", ExitCode.IoError, "cannot write /proc/walsim.xml: /proc does not take new files; give --junit a path in a directory you can write to");
            data.Add("replay {dir}/samples/good.csv --csv /proc/replay.csv", ExitCode.IoError, "cannot write /proc/replay.csv: /proc does not take new files; give --csv a path in a directory you can write to");
            data.Add("simulate {dir}/scenarios/a.yaml --out {dir}/out --html /proc/report.html", ExitCode.IoError, "cannot write /proc/report.html: /proc does not take new files; give --html a path in a directory you can write to");
            data.Add("simulate {dir}/scenarios/a.yaml --out /proc/reports", ExitCode.IoError, "cannot write reports to /proc/reports: /proc does not take new files; give --out a directory you can write to");
            data.Add("whatif {dir}/scenarios/a.yaml --from 15 --to 16 --out /proc/reports", ExitCode.IoError, "cannot write reports to /proc/reports: /proc does not take new files; give --out a directory you can write to");
        }
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void A_bad_input_exits_with_its_code_and_message_and_writes_nothing(string commandLine, ExitCode code, string message)
    {
        Fixture();
        var before = Snapshot();
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        // set_x=1 stands for the one argument "set x=1" (a what-if).
        var args = commandLine.Split(' ').Select(a => a.Replace("{dir}", _dir, StringComparison.Ordinal).Replace("set_", "set ", StringComparison.Ordinal)).ToArray();
        var exit = new WalsimCommands(stdout, stderr).Invoke(args);

        var err = stderr.ToString();
        Assert.True(exit == (int)code, $"walsim {commandLine}: exit {exit}, expected {(int)code}\n{err}");
        Assert.True(err.Contains($"walsim: {message.Replace("{dir}", _dir, StringComparison.Ordinal)}", StringComparison.Ordinal), err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Every shape in the table is one the CLI refuses for the reason given, not because the fixture is bad:
    /// the good files it is made from run.</summary>
    [Fact]
    public void The_fixture_the_bad_inputs_are_made_from_is_good()
    {
        Fixture();
        string[][] runs =
        [
            ["replay", Path.Combine(_dir, "samples", "good.csv")],
            ["check", Path.Combine(_dir, "scenarios", "a.yaml"), "--junit", Path.Combine(_dir, "out", "walsim.xml")],
            ["forecast", Path.Combine(_dir, "samples", "good.csv"), "--runs", "2", "--horizon", "1h"],
        ];
        foreach (var args in runs)
        {
            var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
            var exit = new WalsimCommands(stdout, stderr).Invoke(args);
            Assert.True(exit is 0 or 1, $"walsim {string.Join(' ', args)}: exit {exit}\n{stderr}");
        }
    }

    private void Fixture()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "scenarios"));
        File.WriteAllText(Path.Combine(_dir, "scenarios", "a.yaml"), Scenario);
        File.WriteAllText(Path.Combine(_dir, "steps.yaml"), Steps);
        File.WriteAllText(Path.Combine(_dir, "afile"), "a file that is no directory, left as it was");
        Directory.CreateDirectory(Path.Combine(_dir, "adir"));

        var frames = ForecastTests.TwoHours(); // 721 samples of two slots: sample n on lines 2n and 2n+1
        Samples("good", frames, Settings);
        Samples("back", WithHead(frames, 100, new Lsn(0x1000000)), Settings);
        Samples("jump", WithHead(frames, 100, new Lsn(ulong.MaxValue)), Settings);
        Samples("banana", frames, Settings.Replace("max_wal_size,1024,MB", "max_wal_size,banana,", StringComparison.Ordinal));
        Samples("tiny", frames, "1,2025-01-31T12:00:00.000000Z,max_wal_size,1,MB\n");
        Samples("headeronly", frames, "");
        Samples("zerobytes", frames, null);
    }

    /// <summary>Writes <c>samples/NAME.csv</c> and its sidecar: the header and <paramref name="settings"/>, or no byte at all when null.</summary>
    private void Samples(string name, IEnumerable<SampleFrame> frames, string? settings)
    {
        var path = Path.Combine(_dir, "samples", $"{name}.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, LiveFixtures.Csv(frames.SelectMany(f => f.Slots.Select(s => (f.Server, (SlotSample?)s))).ToArray()));
        File.WriteAllText(SampleFile.SettingsPath(path), settings is null ? "" : $"{SampleCsv.SettingsHeader}\n{settings}");
    }

    /// <summary>The frames with sample <paramref name="index"/>'s WAL position (insert and write LSN) replaced.</summary>
    private static List<SampleFrame> WithHead(List<SampleFrame> frames, int index, Lsn head) =>
        [.. frames.Select((f, i) => i == index ? f with { Server = f.Server with { InsertLsn = head, WriteLsn = head } } : f)];

    /// <summary>Every directory and file under the test's folder, a file with a hash of its content.</summary>
    private List<string> Snapshot() =>
    [
        .. Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories)
            .Select(p => File.Exists(p) ? $"{p} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))}" : $"{p}/")
            .Order(StringComparer.Ordinal),
    ];
}

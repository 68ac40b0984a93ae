using Walsim.Cli;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>The CLI run in-process with captured output (the real engine; scenarios built in code unless a file is the point).</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliRun Walsim(Func<string, Scenario>? load, params string[] args) => CliRun.Invoke(load, args);

    private static CliRun Walsim(params string[] args) => CliRun.Invoke(null, args);

    /// <summary>
    /// A physical slot whose standby stops after a minute, on 1MB segments: 12 keeps the WAL, 13.3 (with
    /// max_slot_wal_keep_size=8MB) loses the slot. One expectation passes on both versions, one only on 12.
    /// </summary>
    private static Scenario Stalled(string file) => new()
    {
        Name = "cli-stalled",
        SourceFile = file,
        Versions = [PgVersion.Parse("12"), PgVersion.Parse("13.3")],
        SegmentSize = WalSegmentSize.FromMegabytes(1),
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "4MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "30s" },
        VersionSettings = [new VersionedSettings(ReportFixtures.Range("13+"), new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "8MB" })],
        Workload = new Workload([new ConstantRate(64 * 1024, SimTime.Zero, SimTime.Never)]),
        Slots = [new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(60), SimTime.Never)] } }],
        Duration = SimDuration.FromMinutes(30),
        SampleInterval = SimDuration.FromMinutes(1),
        Expectations =
        [
            new RunMetricExpectation(RunMetric.Checkpoints, new NumberBound(1, null)) { Text = "{checkpoints: {min: 1}}" },
            new MilestoneExpectation(Milestone.SlotLost, "rep1", TimeBound.NeverHappens) { Text = "{slot: rep1, lost: never}" },
        ],
    };

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("simulate", "--bogus")]
    [InlineData("simulate")]
    [InlineData("frobnicate")]
    [InlineData()]
    public void Usage_errors_exit_3_and_point_to_help(params string[] args)
    {
        var run = Walsim(args);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains("--help'", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Theory]
    [InlineData("--pg", "11", "PostgreSQL 11 is not modelled")]
    [InlineData("--pg", "13.x", "expected a minor release number after \"13.\"")]
    [InlineData("--format", "xml", "xml")]
    public void Bad_option_values_exit_3(string option, string value, string message)
    {
        var file = WriteFile("ok.yaml", "name: ok\n");
        var run = Walsim(_ => throw new InvalidOperationException("must not load"), "simulate", file, option, value);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains(message, run.Err);
    }

    [Fact]
    public void A_minor_newer_than_any_known_runs_as_the_newest_known_and_says_so_once()
    {
        // Debian ships 15.20 while walsim knows 15.18: the newest known minor's behaviour, one line saying so.
        var run = Walsim(Stalled, "simulate", WriteFile("s.yaml", "name: s\n"), "--pg", "13.99,13.99", "--out", Path.Combine(_dir, "out"));
        Assert.Equal((int)ExitCode.Ok, run.Code);
        Assert.Equal("walsim: PostgreSQL 13.99 is newer than the newest 13.x walsim knows (13.23): modelled as 13.23\n", run.Err);
        Assert.Contains("PostgreSQL 13.23", run.Out);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "timeline-13.23.csv")));
    }

    [Fact]
    public void Missing_scenario_file_is_a_usage_error()
    {
        var run = Walsim("check", Path.Combine(_dir, "nope.yaml"));
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains("nope.yaml: no such file or directory", run.Err);
    }

    [Fact]
    public void Bad_scenario_file_exits_2_with_file_and_line_and_no_stack_trace()
    {
        var file = WriteFile("bad.yaml", "name: bad\nversions: [15]\nwal_segment_size: 3MB\n");
        foreach (var command in new[] { "simulate", "check" })
        {
            var run = Walsim(command, file);
            Assert.Equal((int)ExitCode.InvalidScenario, run.Code);
            Assert.Contains($"{file}:3: wal_segment_size", run.Out + run.Err);
            Assert.DoesNotContain("   at ", run.Out + run.Err);
        }
    }

    [Fact]
    public void Help_lists_the_commands_and_exit_codes()
    {
        var run = Walsim("--help");
        Assert.Equal(0, run.Code);
        Assert.Contains("simulate <scenario>", run.Out);
        Assert.Contains("check <path>", run.Out);
        Assert.Contains("  sample ", run.Out);
        Assert.Contains("Exit codes:", run.Out);
        Golden.Verify(run.Out, "Help.root");
    }

    [Theory, InlineData("simulate"), InlineData("check"), InlineData("validate"), InlineData("sample"), InlineData("replay"), InlineData("forecast"), InlineData("whatif"), InlineData("plan")]
    public void Command_help_has_a_description_an_example_and_exit_codes(string command)
    {
        var run = Walsim(command, "--help");
        Assert.Equal(0, run.Code);
        Assert.Contains($"walsim {command} ", run.Out[run.Out.IndexOf("Examples:", StringComparison.Ordinal)..]);
        Golden.Verify(run.Out, $"Help.{command}");
    }

    [Fact]
    public void Simulate_prints_a_summary_per_version_and_writes_complete_reports()
    {
        var outDir = Path.Combine(_dir, "out");
        var run = Walsim(Stalled, "simulate", WriteFile("stalled.yaml", ""), "--out", outDir);

        Assert.Equal("", run.Err);
        Assert.Equal(0, run.Code);
        Assert.Contains("PostgreSQL 12.22 (behaviour band 12)", run.Out);
        Assert.Contains("PostgreSQL 13.3 (behaviour band 13.0-13.3)", run.Out);
        Assert.Contains("max_slot_wal_keep_size=8MB", run.Out);
        Assert.Matches(@"slot rep1 \(physical\): extended \S+, unreserved \S+, lost \d", run.Out);
        Assert.Equal(
            ["events-12.22.csv", "events-13.3.csv", "timeline-12.22.csv", "timeline-13.3.csv"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var timeline = File.ReadAllLines(Path.Combine(outDir, "timeline-13.3.csv"));
        Assert.StartsWith("time_s,time,reason,", timeline[0]);
        Assert.Contains("rep1.wal_status", timeline[0]);
        Assert.True(timeline.Length > 30, "a row per sample at least");
        Assert.Contains(File.ReadLines(Path.Combine(outDir, "events-13.3.csv")), l => l.Contains(",checkpoint,", StringComparison.Ordinal));
    }

    [Fact]
    public void Simulate_html_writes_one_report_for_all_versions_beside_the_csvs_or_where_asked()
    {
        var (file, outDir) = (WriteFile("stalled.yaml", ""), Path.Combine(_dir, "out"));
        var run = Walsim(Stalled, "simulate", file, "--out", outDir, "--html");

        Assert.Equal("", run.Err);
        Assert.Equal(0, run.Code);
        Assert.Contains($"HTML report   {Path.Combine(outDir, "report.html")} (numbers in {Path.Combine(outDir, "report.json")})", run.Out);
        Assert.Equal(
            ["events-12.22.csv", "events-13.3.csv", "report.html", "report.json", "timeline-12.22.csv", "timeline-13.3.csv"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(["12.22", "13.3"], json.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()));

        var elsewhere = Path.Combine(_dir, "html", "stalled.html");
        var named = Walsim(Stalled, "simulate", file, "--out", outDir, "--html", elsewhere, "--pg", "13.3", "--format", "json");
        Assert.Equal(0, named.Code);
        Assert.Equal(["stalled.html", "stalled.json"], Directory.GetFiles(Path.GetDirectoryName(elsewhere)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(elsewhere));
    }

    [Fact]
    public void Simulate_pg_option_overrides_the_versions_and_formats_print_machine_readable_summaries()
    {
        var (file, outDir) = (WriteFile("stalled.yaml", ""), Path.Combine(_dir, "out"));
        var csv = Walsim(Stalled, "simulate", file, "--out", outDir, "--pg", "15,13.3", "--pg", "13.3", "--format", "csv");
        Assert.Equal(0, csv.Code);
        var lines = csv.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("cli-stalled,15.", lines[1]);
        Assert.StartsWith("cli-stalled,13.3,", lines[2]);

        var json = Walsim(Stalled, "simulate", file, "--out", outDir, "--pg", "12", "--format", "json");
        Assert.Equal(0, json.Code);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        Assert.Equal("12.22", doc.RootElement.GetProperty("versions")[0].GetProperty("version").GetString());
    }

    [Fact]
    public void Settings_a_version_rejects_exit_2_naming_the_version()
    {
        Scenario load(string f) => Stalled(f) with { Settings = new Dictionary<string, string> { ["wal_keep_segments"] = "8" } };
        var file = WriteFile("x.yaml", "");
        var outDir = Path.Combine(_dir, "out");
        var run = Walsim(load, "simulate", file, "--out", outDir, "--pg", "13.3");
        Assert.Equal((int)ExitCode.InvalidScenario, run.Code);
        Assert.Contains($"{file}: PostgreSQL 13.3: wal_keep_segments:", run.Err);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Fact]
    public void Unwritable_output_directory_exits_4()
    {
        var blocker = WriteFile("not-a-dir", "");
        var run = Walsim(Stalled, "simulate", WriteFile("x.yaml", ""), "--out", Path.Combine(blocker, "reports"));
        Assert.Equal((int)ExitCode.IoError, run.Code);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void Check_prints_a_line_per_expectation_and_version_and_fails_when_one_fails()
    {
        var junit = Path.Combine(_dir, "results", "walsim.xml");
        var run = Walsim(Stalled, "check", WriteFile("stalled.yaml", ""), "--junit", junit);

        Assert.Equal((int)ExitCode.ExpectationsFailed, run.Code);
        Assert.Contains("PASS  cli-stalled  12.22  {slot: rep1, lost: never}  (observed: never)", run.Out);
        Assert.Matches(@"FAIL  cli-stalled  13\.3  \{slot: rep1, lost: never\}  \(observed: \S+", run.Out);
        Assert.Contains("PASS  cli-stalled  13.3  {checkpoints: {min: 1}}", run.Out);
        Assert.EndsWith("1 scenario(s): 3 passed, 1 failed, 0 error(s)\n", run.Out);

        var xml = System.Xml.Linq.XDocument.Load(junit);
        var suite = Assert.Single(xml.Root!.Elements("testsuite"));
        Assert.Equal("cli-stalled", (string?)suite.Attribute("name"));
        Assert.Equal(4, suite.Elements("testcase").Count());
        Assert.Single(suite.Descendants("failure"));
    }

    [Fact]
    public void Check_of_a_folder_runs_every_yaml_file_in_name_order()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "scenarios")).FullName;
        foreach (var name in new[] { "b.yml", "a.yaml", "notes.txt" }) File.WriteAllText(Path.Combine(folder, name), "");
        Scenario load(string f) => Stalled(f) with { Name = Path.GetFileNameWithoutExtension(f), Versions = [PgVersion.Parse("12")] };

        var run = Walsim(load, "check", folder);

        Assert.Equal(0, run.Code);
        var scenarios = run.Out.Split('\n').Where(l => l.StartsWith("PASS", StringComparison.Ordinal)).Select(l => l.Split("  ")[1]).Distinct();
        Assert.Equal(["a", "b"], scenarios);
    }

    [Fact]
    public void Check_takes_several_files_and_folders_in_the_order_given_each_file_once()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "more")).FullName;
        foreach (var name in new[] { "d.yaml", "c.yaml" }) File.WriteAllText(Path.Combine(folder, name), "");
        var (a, b) = (WriteFile("a.yaml", ""), WriteFile("b.yaml", ""));
        Scenario load(string f) => Stalled(f) with { Name = Path.GetFileNameWithoutExtension(f), Versions = [PgVersion.Parse("12")] };

        var run = Walsim(load, "check", b, folder, a, Path.Combine(folder, "c.yaml"));

        Assert.Equal(0, run.Code);
        var scenarios = run.Out.Split('\n').Where(l => l.StartsWith("PASS", StringComparison.Ordinal)).Select(l => l.Split("  ")[1]).Distinct();
        Assert.Equal(["b", "c", "d", "a"], scenarios);
        Assert.EndsWith("4 scenario(s): 8 passed, 0 failed, 0 error(s)\n", run.Out);

        var missing = Walsim(load, "check", a, Path.Combine(_dir, "nope.yaml"));
        Assert.Equal((int)ExitCode.UsageError, missing.Code);
        Assert.Contains("nope.yaml: no such file or directory", missing.Err);

        var empty = Walsim(load, "check", a, Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName);
        Assert.Equal((int)ExitCode.UsageError, empty.Code);
        Assert.Contains("no *.yaml or *.yml scenario files in", empty.Err);
    }

    [Theory]
    [InlineData("--from", "11", "--to", "15", "--from: PostgreSQL 11 is not modelled")]
    [InlineData("--from", "12", "--to", "15.1.2", "--to: expected a PostgreSQL version like 15 or 13.4, got \"15.1.2\"")]
    [InlineData("--from", "12", "--to", "15,19", "--to: PostgreSQL 19 is not modelled")]
    [InlineData("--to", "15", null, null, "--from")]
    [InlineData("--from", "12", "--format", "html", "html")]
    public void Whatif_bad_versions_and_options_exit_3(string a, string b, string? c, string? d, string message)
    {
        var file = WriteFile("ok.yaml", "name: ok\n");
        var args = new[] { "whatif", file, a, b, c, d }.OfType<string>().ToArray();
        var run = Walsim(_ => throw new InvalidOperationException("must not load"), args);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains(message, run.Err);
    }

    [Fact]
    public void Whatif_of_an_invalid_scenario_exits_2_with_file_and_line()
    {
        var file = WriteFile("bad.yaml", "name: bad\nversions: [15]\nwal_segment_size: 3MB\n");
        var run = Walsim("whatif", file, "--from", "12", "--to", "15");
        Assert.Equal((int)ExitCode.InvalidScenario, run.Code);
        Assert.Contains($"{file}:3: wal_segment_size", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void Whatif_of_a_setting_the_source_version_rejects_exits_2_naming_the_version()
    {
        // max_slot_wal_keep_size is given for every version, but the source is 12, which has no such parameter.
        Scenario load(string f) => Stalled(f) with { Settings = new Dictionary<string, string>(Stalled(f).Settings) { ["max_slot_wal_keep_size"] = "8MB" } };
        var run = Walsim(load, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "15");
        Assert.Equal((int)ExitCode.InvalidScenario, run.Code);
        Assert.Contains("PostgreSQL 12.22: max_slot_wal_keep_size", run.Err);
    }

    [Fact]
    public void Whatif_prints_the_versions_side_by_side_and_writes_markdown_and_json_with_out()
    {
        var outDir = Path.Combine(_dir, "whatif");
        var run = Walsim(Stalled, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "13.3,15", "--out", outDir);

        Assert.Equal(0, run.Code);
        Assert.Contains("12.22 (from)", run.Out);
        Assert.Contains("13.23 (fixed minor)", run.Out);
        Assert.Contains("slot rep1 lost", run.Out);
        Assert.Contains("12.22 -> 15.18", run.Out);
        Assert.Contains("max_slot_wal_keep_size=8MB (given for this version by the scenario)", run.Out);
        Assert.Contains("! 13.3 has retention bugs fixed later", run.Out);
        Assert.StartsWith("### walsim what-if: `cli-stalled` from 12.22 to 13.3, 15.18", File.ReadAllText(Path.Combine(outDir, "whatif.md")));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "whatif.json")));
        Assert.Equal(["12.22", "13.3", "15.18", "13.23"], json.RootElement.GetProperty("runs").EnumerateArray().Select(x => x.GetProperty("version").GetString()));
        Assert.Equal("CapsSlotRetention", json.RootElement.GetProperty("comparisons")[0].GetProperty("first_divergence").GetProperty("cause").GetString());
        Assert.Equal(["whatif.csv", "whatif.json", "whatif.md", "whatif.pg-wal.png", "whatif.slot-1-rep1.png"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order()); // no page without --html
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp"));
    }

    [Fact]
    public void Whatif_with_out_and_html_writes_the_four_reports_and_names_them()
    {
        var outDir = Path.Combine(_dir, "upgrade");
        var run = Walsim(Stalled, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "15", "--out", outDir, "--html");

        Assert.Equal(0, run.Code);
        Assert.Equal(["whatif.csv", "whatif.html", "whatif.json", "whatif.md", "whatif.pg-wal.png", "whatif.slot-1-rep1.png"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        Assert.Contains($"reports: {Path.Combine(outDir, "whatif.md")}, {Path.Combine(outDir, "whatif.json")}, " +
                        $"{Path.Combine(outDir, "whatif.csv")}, {Path.Combine(outDir, "whatif.html")}", run.Out);
        Assert.StartsWith("scenario,version,role,slot,measure,value\ncli-stalled,12.22,source,,end_s,", File.ReadAllText(Path.Combine(outDir, "whatif.csv")));
        Assert.Contains("<h1>walsim what-if: <span id=\"scenario-name\">cli-stalled</span></h1>", File.ReadAllText(Path.Combine(outDir, "whatif.html")));

        // --html FILE without --out: the page alone.
        var page = Path.Combine(_dir, "elsewhere", "upgrade.html");
        Assert.Equal(0, Walsim(Stalled, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "15", "--html", page).Code);
        Assert.Equal(["upgrade.html"], Directory.GetFiles(Path.GetDirectoryName(page)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Whatif_that_cannot_write_its_last_report_leaves_the_earlier_reports_as_they_were()
    {
        // The page's directory would be under a regular file: it cannot be created, after whatif.md, .json and .csv
        // are written under temporary names. None of them may replace the reports of the previous run.
        var outDir = Path.Combine(_dir, "upgrade");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "whatif.md"), "the previous run's report");
        var blocked = Path.Combine(WriteFile("not-a-directory", ""), "whatif.html");

        var run = Walsim(Stalled, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "15", "--out", outDir, "--html", blocked);

        Assert.Equal((int)ExitCode.IoError, run.Code);
        Assert.Contains("not-a-directory", run.Err);
        Assert.Equal(["whatif.md"], Directory.GetFiles(outDir).Select(Path.GetFileName)); // no .json, .csv or temporary file
        Assert.Equal("the previous run's report", File.ReadAllText(Path.Combine(outDir, "whatif.md")));
    }

    [Fact]
    public void Whatif_markdown_is_short_enough_for_a_pull_request_comment()
    {
        var run = Walsim(Stalled, "whatif", WriteFile("s.yaml", ""), "--from", "12", "--to", "15", "--format", "markdown");
        Assert.Equal(0, run.Code);
        Assert.StartsWith("### walsim what-if", run.Out);
        Assert.Contains("| slot rep1 lost | never |", run.Out);
        Assert.True(run.Out.Length < 4000, $"{run.Out.Length} characters");
    }
}

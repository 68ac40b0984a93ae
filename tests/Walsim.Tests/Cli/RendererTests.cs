using System.Globalization;
using Walsim.Analyzer.Reports;
using Walsim.Simulator.Results;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Xunit;
using static Walsim.Tests.Cli.ReportFixtures;

namespace Walsim.Tests.Cli;

/// <summary>
/// The report renderers against hand-built results. Each golden test runs under an invariant-friendly culture and
/// under de-DE (comma decimal separator): both must produce the same verified text.
/// </summary>
public class RendererTests
{
    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void Timeline_csv_is_wide_with_empty_cells_for_absent_slots_and_nulls(string culture) =>
        Golden.Verify(InCulture(culture, w =>
        {
            using var csv = new TimelineCsvWriter(w, TimelineCsvWriter.SlotNames(FixtureScenario));
            foreach (var row in Timeline) csv.Write(row);
        }), "TimelineCsv");

    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void Events_csv_has_checkpoints_and_log_lines(string culture) =>
        Golden.Verify(InCulture(culture, w =>
        {
            using var csv = new EventsCsvWriter(w);
            csv.Write(Checkpoint);
            csv.Write(Invalidation);
            csv.Write(SkippedCheckpoint);
        }), "EventsCsv");

    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void Summary_table(string culture) =>
        Golden.Verify(InCulture(culture, w =>
        {
            SummaryWriter.WriteTable(w, Result(V12));
            SummaryWriter.WriteTable(w, Result(V133));
        }), "SummaryTable");

    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void Summary_csv(string culture) =>
        Golden.Verify(InCulture(culture, w => SummaryWriter.WriteCsv(w, [Result(V12), Result(V133)])), "SummaryCsv");

    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void Summary_json(string culture) =>
        Golden.Verify(InCulture(culture, w => SummaryWriter.WriteJson(w, "fixture", [Result(V12), Result(V133)])), "SummaryJson");

    [Theory, InlineData("en-US"), InlineData("de-DE")]
    public void JUnit_has_a_suite_per_scenario_and_a_case_per_expectation_and_version(string culture)
    {
        var lost = new MilestoneExpectation(Milestone.SlotLost, "rep1", new TimeBound(SimTime.FromSeconds(6 * 3600), SimTime.FromSeconds(7 * 3600), false))
        {
            Text = "{slot: rep1, lost: {between: [6h, 7h]}}",
            Location = new SourceLocation("scenarios/fixture.yaml", 42, 5),
        };
        var peak = new RunMetricExpectation(RunMetric.PeakPgWalBytes, new NumberBound(null, 40.5 * ByteCount.MiB))
        {
            Text = "{peak_pg_wal: {max: 40.5MB}}",
        };
        ScenarioCheck[] checks =
        [
            new("fixture", "scenarios/fixture.yaml",
                [
                    new ExpectationOutcome(lost, V12, false, "never"),
                    new ExpectationOutcome(lost, V133, true, "6h10m"),
                    new ExpectationOutcome(peak, V133, true, "11.5MB"),
                ],
                [new CheckError(V12, "scenarios/fixture.yaml: PostgreSQL 12.22: max_slot_wal_keep_size: no such parameter <&>")]),
            new("broken", "scenarios/broken.yaml", [], [new CheckError(null, "scenarios/broken.yaml:3: versions: expected a list")]),
        ];
        Golden.Verify(InCulture(culture, w => JUnitWriter.Write(w, checks)), "JUnit");
    }

    [Fact]
    public void Check_shows_an_observed_time_rounded_when_it_passes_and_exactly_when_it_fails()
    {
        // 13.3 loses rep1 at 570.5 s. Rounded it reads 9m31s, which seems to meet "at or after 9m31s"; it does not.
        MilestoneExpectation Lost(double? notBefore, double? notAfter) => new(Milestone.SlotLost, "rep1",
            new TimeBound(notBefore is { } a ? SimTime.FromSeconds(a) : null, notAfter is { } b ? SimTime.FromSeconds(b) : null, false));
        var scenario = FixtureScenario with { Expectations = [Lost(540, 600), Lost(571, null)] };

        var outcomes = Simulator.Engine.ExpectationEvaluator.Evaluate(scenario, Result(V133));

        Assert.Equal([(true, "at 9m31s"), (false, "at 9m30.5s")], outcomes.Select(o => (o.Passed, o.Observed)));
    }

    [Fact]
    public void Timeline_row_with_an_undeclared_slot_is_an_error()
    {
        using var csv = new TimelineCsvWriter(new StringWriter(), ["rep1"]);
        var ex = Assert.Throws<InvalidOperationException>(() => csv.Write(Timeline[1]));
        Assert.Contains("\"cdc\"", ex.Message);
    }

    [Fact]
    public void Atomic_file_appears_only_on_commit()
    {
        var dir = Directory.CreateTempSubdirectory("walsim-atomic-").FullName;
        try
        {
            var path = Path.Combine(dir, "sub", "report.csv");
            using (var file = AtomicFile.Create(path))
            {
                file.Writer.Write("partial");
                Assert.False(File.Exists(path));
            }
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(Path.Combine(dir, "sub")));

            File.WriteAllText(path, "old");
            AtomicFile.Write(path, w => w.Write("new"));
            Assert.Equal("new", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "sub")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Atomic_files_written_together_replace_nothing_when_a_later_one_fails()
    {
        var dir = Directory.CreateTempSubdirectory("walsim-atomic-").FullName;
        try
        {
            var (first, second) = (Path.Combine(dir, "a.md"), Path.Combine(dir, "b.json"));
            File.WriteAllText(first, "old a");

            Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteAll(
            [
                (first, w => w.Write("new a")),
                (second, w => { w.Write("half of b"); throw new InvalidOperationException("rendering failed"); }),
            ]));
            Assert.Equal("old a", File.ReadAllText(first));
            Assert.Equal([first], Directory.GetFiles(dir)); // no b.json, no temporary file

            var written = AtomicFile.WriteAll([(first, w => w.Write("new a")), (second, w => w.Write("new b"))]);
            Assert.Equal([first, second], written);
            Assert.Equal(("new a", "new b"), (File.ReadAllText(first), File.ReadAllText(second)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Report_observer_leaves_no_files_when_the_run_fails()
    {
        var dir = Directory.CreateTempSubdirectory("walsim-observer-").FullName;
        try
        {
            using (var report = new CsvReportObserver(dir, FixtureScenario, V133))
            {
                report.OnTimelineRow(Timeline[0]);
                report.OnCheckpoint(Checkpoint);
                // no Commit: the run threw
            }
            Assert.Empty(Directory.GetFiles(dir));

            using (var report = new CsvReportObserver(dir, FixtureScenario, V133))
            {
                report.OnTimelineRow(Timeline[0]);
                report.OnLogEvent(Invalidation);
                report.Commit();
            }
            Assert.Equal(["events-13.3.csv", "timeline-13.3.csv"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "timeline-13.3.csv")).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Renders with <paramref name="culture"/> as the current culture, restoring it afterwards.</summary>
    internal static string InCulture(string culture, Action<TextWriter> render)
    {
        var saved = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
            // Guard against a runtime without culture data, where de-DE would silently format like invariant.
            Assert.Equal(culture == "de-DE" ? "0,5" : "0.5", 0.5.ToString(CultureInfo.CurrentCulture));
            var w = new Utf8StringWriter { NewLine = "\n" };
            render(w);
            return w.ToString();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = saved;
        }
    }

    /// <summary>Reports declare UTF-8 (as the files are written); a plain StringWriter would say UTF-16.</summary>
    private sealed class Utf8StringWriter : StringWriter
    {
        public override System.Text.Encoding Encoding => new System.Text.UTF8Encoding(false);
    }
}

using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Walsim.Analyzer.Comparison;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Planning;
using Walsim.Analyzer.Reports;
using Walsim.Analyzer.Reports.Charts;
using Walsim.Analyzer.Reports.Html;
using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Planning;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Reports.Charts;
using Xunit;

namespace Walsim.Tests.Reports.Goldens;

/// <summary>
/// Every format of every report, as its registry lists them, against small fixtures: rendered as a file is (through
/// <see cref="IRenderer{TReport}.Render(TReport, Stream)"/>) under the invariant culture and under de-DE (a decimal
/// comma), the bytes must be the same, and text must read as <c>REPORT.FORMAT.verified.txt</c> beside this file. A
/// format registered later gets its golden file on its first run (the test fails once, until it is reviewed); bytes
/// are compared between the cultures only, their own tests check what they show. HTML pages are compared
/// without the files they inline (uPlot, the page's script and styles): their markup and their data. Charts are one
/// file per chart: each SVG reads as <c>REPORT.svg.CHART.verified.txt</c>, each PNG has the default size and ink.
/// </summary>
public sealed class RendererGoldenTests
{
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");

    /// <summary>Each report by name, its registry and its fixture, built once on first use.</summary>
    private static readonly Dictionary<string, IReportFixture> Reports = new IReportFixture[]
    {
        new ReportFixture<SimulateReport>("simulate", SimulateRenderers.Registry, Fixtures.Simulate),
        new ReportFixture<WhatIfReport>("whatif", WhatIfRenderers.Registry, HtmlFixtures.WhatIf),
        new ReportFixture<SyncReport>("whatif-sync", WhatIfRenderers.Sync, Fixtures.Sync),
        new ReportFixture<PlanReport>("plan", PlanRenderers.Registry, Fixtures.Plan),
        new ReportFixture<ReplayOutcome>("replay", ReplayRenderers.Samples, Fixtures.Replay),
        new ReportFixture<LogReplaySummary>("replay-log", ReplayRenderers.Log, Fixtures.LogReplay),
        new ReportFixture<IReadOnlyList<ValidationRun>>("validate", ValidationRenderers.Registry, Fixtures.Validation),
        new ReportFixture<ForecastOutcome>("forecast", ForecastRenderers.Forecast, Fixtures.Forecast),
        new ReportFixture<BacktestOutcome>("forecast-backtest", ForecastRenderers.Backtest, Fixtures.Backtest),
        new ReportFixture<IReadOnlyList<Walsim.Analyzer.Explain.ExplainReport>>("explain", Walsim.Analyzer.Explain.ExplainRenderers.Registry, Fixtures.Explain),
        new ReportFixture<CorpusReport>("backtest", ForecastRenderers.Corpus, Fixtures.Corpus),
    }.ToDictionary(f => f.Name);

    public static TheoryData<string, string> Formats()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, fixture) in Reports)
            foreach (var format in fixture.Formats) data.Add(name, format);
        return data;
    }

    [Theory, MemberData(nameof(Formats))]
    public void Every_format_reads_as_verified_and_the_same_in_every_culture(string report, string format)
    {
        var fixture = Reports[report];
        fixture.Prepare(); // outside the culture under test: only the rendering is
        if (fixture.IsChart(format))
        {
            var charts = Render(() => fixture.RenderCharts(format), CultureInfo.InvariantCulture);
            Assert.NotEmpty(charts);
            var inGerman = Render(() => fixture.RenderCharts(format), German);
            Assert.Equal(charts.Select(c => c.Chart), inGerman.Select(c => c.Chart));
            foreach (var ((chart, bytes), (_, bytesInGerman)) in charts.Zip(inGerman))
            {
                Assert.Equal(bytes, bytesInGerman);
                if (format == ChartRenderer.Png) PngAssert.HasSizeAndInk(bytes, ChartSize.Default.Width, ChartSize.Default.Height, $"{report}.{chart}");
                else Golden.Verify(Encoding.UTF8.GetString(bytes), $"{report}.{format}.{chart}");
            }
            return;
        }
        var invariant = Render(fixture, format, CultureInfo.InvariantCulture);
        var german = Render(fixture, format, German);
        if (!fixture.IsText(format))
        {
            Assert.Equal(invariant, german);
            return;
        }
        var text = Encoding.UTF8.GetString(invariant);
        Assert.Equal(text, Encoding.UTF8.GetString(german));
        Assert.False(text.StartsWith('\uFEFF'), "a byte order mark");
        Golden.Verify(format == "html" ? WithoutInlinedFiles(text) : text, $"{report}.{format}");
    }

    [Fact]
    public void Every_registry_of_walsim_has_a_fixture_here()
    {
        var registries = typeof(RendererRegistry<>).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(RendererRegistry<>))
            .Select(f => f.GetValue(null))
            .ToList();
        Assert.NotEmpty(registries);
        foreach (var registry in registries)
            Assert.Contains(Reports.Values, f => ReferenceEquals(f.Registry, registry));
    }

    [Fact]
    public void Whatif_sync_has_every_format_whatif_offers_on_stdout() =>
        // One --format option serves both; a format whatif adds must be added to --sync too (or refused there).
        Assert.Equal(WhatIfRenderers.Registry.StdoutNames, WhatIfRenderers.Sync.StdoutNames);

    private static byte[] Render(IReportFixture fixture, string format, CultureInfo culture) => Render(() => fixture.Render(format), culture);

    private static T Render<T>(Func<T> render, CultureInfo culture)
    {
        var saved = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
            // Guard against a runtime without culture data, where de-DE would silently format like invariant.
            if (culture.Name == "de-DE") Assert.Equal("0,5", 0.5.ToString(CultureInfo.CurrentCulture));
            return render();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = saved;
        }
    }

    /// <summary>The page with each file it inlines replaced by its name: what walsim writes, not what it vendors.</summary>
    private static string WithoutInlinedFiles(string page)
    {
        foreach (var name in new[] { "uPlot.iife.min.js", "uPlot.min.css", "report.css", "report.js", "plan.js" })
            page = page.Replace(HtmlReport.Resource(name), $"[{name}]", StringComparison.Ordinal);
        return page;
    }

    private interface IReportFixture
    {
        string Name { get; }
        object Registry { get; }
        IEnumerable<string> Formats { get; }
        void Prepare();
        bool IsText(string format);
        bool IsChart(string format);
        byte[] Render(string format);

        /// <summary>Each chart's file, by chart name, as the registry writes it (one file per chart).</summary>
        List<(string Chart, byte[] Bytes)> RenderCharts(string format);
    }

    private sealed class ReportFixture<TReport>(string name, RendererRegistry<TReport> registry, Func<TReport> build) : IReportFixture
    {
        private readonly Lazy<TReport> _report = new(build);

        public string Name => name;
        public object Registry => registry;
        public IEnumerable<string> Formats => registry.All.Select(r => r.Name);
        public void Prepare() => _ = _report.Value;
        public bool IsText(string format) => registry.Get(format) is ITextRenderer<TReport>;
        public bool IsChart(string format) => registry.Get(format) is ChartRenderer<TReport>;

        public byte[] Render(string format) => Bytes(registry.Get(format));

        public List<(string Chart, byte[] Bytes)> RenderCharts(string format) =>
            [.. ((ChartRenderer<TReport>)registry.Get(format)).PerChart(_report.Value).Select(c => (c.Chart.Name, Bytes(c.Renderer)))];

        private byte[] Bytes(IRenderer<TReport> renderer)
        {
            using var output = new MemoryStream();
            renderer.Render(_report.Value, output);
            return output.ToArray();
        }
    }

    /// <summary>Small reports, from the engine where it is quick and by hand where it needs a server.</summary>
    private static class Fixtures
    {
        private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public static SimulateReport Simulate()
        {
            var scenario = HtmlFixtures.Stalled();
            var charts = HtmlFixtures.Run(scenario);
            return new SimulateReport(scenario, [.. charts.Select(c => c.Result)], charts);
        }

        public static SyncReport Sync()
        {
            var scenario = Walsim.Analyzer.Scenarios.ScenarioLoader.Load(RepoPaths.Of("scenarios", "failover-pg17-native-switchover.yaml"));
            var v17 = PgVersion.Parse("17");
            SlotSyncMechanism[] all = [SlotSyncMechanism.None, SlotSyncMechanism.Native, SlotSyncMechanism.PgFailoverSlots, SlotSyncMechanism.Patroni];
            return new SyncReport(scenario, v17, SyncComparison.Run(scenario, v17, all));
        }

        /// <summary>A CDC slot on a 2MB/s primary with a 2GB volume: three caps, three outages, a few runs.</summary>
        /// <summary>A bundled scenario's primary at its pg_wal peak: two slots, one past its cap.</summary>
        public static IReadOnlyList<Walsim.Analyzer.Explain.ExplainReport> Explain() =>
            [Walsim.Analyzer.Explain.ExplainSources.FromScenario(Walsim.Analyzer.Scenarios.ScenarioLoader.Load(RepoPaths.Of("scenarios", "step-two-slots.yaml")),
                "scenarios/step-two-slots.yaml", PgVersion.Parse("16.4"), null)];

        public static PlanReport Plan()
        {
            var scenario = new Scenario
            {
                Name = "plan-fixture",
                Description = "A CDC connector | a <b>volume</b> & a cap",
                Versions = [PgVersion.Parse("15")],
                Settings = new Dictionary<string, string> { ["checkpoint_timeout"] = "5min", ["max_wal_size"] = "256MB", ["wal_level"] = "logical" },
                Workload = new Workload([new ConstantRate(2 * ByteCount.MiB, SimTime.Zero, SimTime.Never)])
                {
                    Noise = new RateNoise(0.3, SimDuration.FromMinutes(30), SimDuration.FromMinutes(5)),
                },
                Slots = [new SlotSpec { Name = "cdc", Kind = SlotKind.Logical, Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(5) } }],
                Disk = new DiskSpec(ByteCount.FromMegabytes(2048), ByteCount.FromMegabytes(64), 0.95),
                Duration = SimDuration.FromHours(6),
            };
            var source = PlanSource.FromScenario(scenario, null);
            var options = new PlanOptions
            {
                Version = source.Version,
                Caps = [SlotCap.Of(ByteCount.FromMegabytes(512)), SlotCap.Of(ByteCount.FromMegabytes(1536)), SlotCap.Unlimited],
                Outages = [SimDuration.FromMinutes(5), SimDuration.FromMinutes(10), SimDuration.FromMinutes(20)],
                Runs = 4,
                Seed = 3,
                Disk = scenario.Disk,
                WindowStart = SimTime.Zero + SimDuration.FromMinutes(30),
                WindowEnd = SimTime.Zero + SimDuration.FromHours(2),
                Warmup = SimDuration.FromMinutes(30),
                Risk = 0.25,
                Parallelism = 1,
            };
            return new PlanReport(source, CapacityPlanner.Run(scenario, source.Workload, options));
        }

        /// <summary>An hour of a simulated 15 sampled every 10 s, replayed: cdc's connector stops after 20 minutes and the
        /// 256MB cap loses its slot.</summary>
        public static ReplayOutcome Replay()
        {
            var v = PgVersion.Parse("15");
            var scenario = new Scenario
            {
                Name = "replay-fixture",
                Versions = [v],
                Settings = new Dictionary<string, string>
                {
                    ["max_wal_size"] = "256MB", ["min_wal_size"] = "80MB", ["checkpoint_timeout"] = "5min", ["wal_level"] = "logical",
                    ["max_slot_wal_keep_size"] = "256MB",
                },
                Workload = new Workload([new ConstantRate(ByteCount.MiB / 2, SimTime.Zero, SimTime.Never)]),
                Slots =
                [
                    new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { ConfirmEvery = SimDuration.FromSeconds(10) } },
                    new SlotSpec { Name = "cdc", Kind = SlotKind.Logical, Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(1200), SimTime.Never)] } },
                ],
                SampleInterval = SimDuration.FromSeconds(10),
                Duration = SimDuration.FromHours(1),
            };
            var samples = new StringWriter();
            Simulation.Run(scenario, v, new SimulatedSamples(samples, v, scenario.SegmentSize, T0));
            var settings = new StringWriter();
            SimulatedSamples.WriteSettings(settings, scenario.Settings, T0);
            var settingRows = SampleFile.ReadSettings(new StringReader(settings.ToString()), "s.settings.csv").ToList();
            var replay = new LiveReplay("s.csv", pg => SampledSettings.From(settingRows, pg));
            foreach (var f in SampleFrames.Group(SampleFile.Read(new StringReader(samples.ToString()), "s.csv"))) replay.Add(f);
            return new ReplayOutcome("s.csv", replay.Finish(), ListCheckpoints: true);
        }

        public static LogReplaySummary LogReplay() =>
            Walsim.Analyzer.Sources.LogReplay.Run(Here("..", "..", "Sources", "logs", "pg15-pgbadger.log"), null, WalSegmentSize.Default,
                new Dictionary<string, string>()) with { File = "pg15-pgbadger.log" };

        /// <summary>Two runs as a real server would have answered (validate needs one): one agrees, one does not.</summary>
        public static IReadOnlyList<ValidationRun> Validation() =>
        [
            new ValidationRun("step-fixture", PgVersion.Parse("13.3"),
                [
                    new Decision(DecisionPoint.AtStep(2), 1, "checkpoint 1", "removed", "3", "3", true, "redo 0/3000028, keep 2"),
                    new Decision(DecisionPoint.AtStep(2), 1, "checkpoint 1", "invalidated", "rep1", "rep1", true, "keep 2, restart_lsn 0/1000028"),
                    new Decision(DecisionPoint.AtStep(3), null, "slot rep1", "wal_status", "lost", "lost", true, "restart_lsn 0/1000028"),
                    new Decision(DecisionPoint.AtStep(3), null, "slot rep1", "safe_wal_size", "", "", true, ""),
                ],
                Checkpoints: 1, UnobservedCheckpoints: 0, Notes: [], ServerLog: []),
            new ValidationRun("step-fixture", PgVersion.Parse("15.18"),
                [
                    new Decision(DecisionPoint.AtStep(2), 1, "checkpoint 1", "removed", "3", "2", false, "redo 0/3000028, keep 2, \"quoted\", comma"),
                    new Decision(DecisionPoint.AtStep(4), null, "standby checkpoint", "outcome", "restarted", "restarted", true, "redo 0/4000028"),
                    new Decision(DecisionPoint.AtStep(5), null, "slot rep1", "safe_wal_size", "-524288", "-524288", true, "restart_lsn 0/1000028"),
                ],
                Checkpoints: 1, UnobservedCheckpoints: 1, Notes: ["a checkpoint requested by WAL volume ran between two observations"], ServerLog: []),
        ];

        /// <summary>Two hours of a 1 MiB/s primary (<see cref="Live.ForecastTests.TwoHours"/>), six hours ahead, 20 runs.</summary>
        public static ForecastOutcome Forecast()
        {
            var input = ForecastInput.Read("samples.csv", Live.ForecastTests.TwoHours(),
                [new(1, T0, "max_slot_wal_keep_size", "10240", "MB"), new(1, T0, "checkpoint_timeout", "300", "s")]);
            var fit = WorkloadFit.Fit(input.Observations);
            var options = new ForecastOptions(SimDuration.FromHours(6), 20, 1, new DiskSpec(ByteCount.FromMegabytes(20 * 1024), ByteCount.Zero, 0.9), 2);
            WhatIf[] whatIfs = [WhatIf.CurrentTrend, WhatIf.TryParse("slot cdc stops now; rate x2", out var w, out var e) ? w : throw new ArgumentException(e)];
            return new ForecastOutcome("samples.csv", input, fit, options, null, [.. whatIfs.Select(x => Forecaster.Run(input, fit, options, x))]);
        }

        /// <summary>The recorded 13 trace (scenarios/traces), forecast from its first half with 20 runs.</summary>
        public static BacktestOutcome Backtest()
        {
            var path = RepoPaths.Of("scenarios", "traces", "steady-batch-pg13", "samples.csv");
            var settings = SampleFile.ReadSettings(SampleFile.SettingsPath(path)).ToList();
            var fit = new WorkloadFitOptions { CyclePeriod = SimDuration.FromMinutes(10), Bucket = SimDuration.FromSeconds(20) };
            var result = Walsim.Analyzer.Live.Backtest.Run(path, () => SampleFrames.Group(SampleFile.Read(path)), settings, default, fit, runs: 20, seed: 1, parallelism: 2);
            return new BacktestOutcome("steady-batch-pg13/samples.csv", result, 20, 1);
        }

        /// <summary>The two recorded traces (scenarios/traces) as a corpus, forecast from half-way with 20 runs.</summary>
        public static CorpusReport Corpus()
        {
            var fit = new WorkloadFitOptions { CyclePeriod = SimDuration.FromMinutes(10), Bucket = SimDuration.FromSeconds(20) };
            return BacktestCorpus.Run(RepoPaths.Of("scenarios", "traces"), [0.5], fit, runs: 20, seed: 1, parallelism: 2) with { Directory = "scenarios/traces" };
        }


        private static string Here(string a, string b, string c, string d, string e, [CallerFilePath] string source = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, a, b, c, d, e));
    }
}

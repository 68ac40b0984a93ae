using Walsim.Analyzer.Comparison;
using Walsim.Analyzer.Reports.Charts;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Forecasting;
using Walsim.Simulator.Planning;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Reports.Charts;

/// <summary>Small inputs for the chart tests: the HTML report's fixtures for simulate and whatif, a hand-built plan.</summary>
internal static class ChartFixtures
{
    private static readonly Lazy<IReadOnlyList<VersionReport>> SimulateRuns = new(() => HtmlFixtures.Run(HtmlFixtures.Stalled()));
    private static readonly Lazy<WhatIfReport> WhatIfRun = new(HtmlFixtures.WhatIf);

    /// <summary><see cref="HtmlFixtures.Stalled"/> on 12 and 15: 12 turns read-only, 15 loses rep1; a hostile slot name.</summary>
    public static IReadOnlyList<VersionReport> Simulate => SimulateRuns.Value;

    /// <summary><see cref="HtmlFixtures.WhatIf"/>: 12.22 (from), 13.3, 15.18 and the fixed minor 13.23.</summary>
    public static WhatIfReport WhatIf => WhatIfRun.Value;

    /// <summary>
    /// A plan for one standby on PostgreSQL 16, built by hand (no engine) so the golden files change only when the
    /// charts do: caps 4GB to 64GB and unlimited, outages 30m, 1h, 2h, 3h, 6h and 8h, 20 runs. Under a cap of c GB run j survives
    /// c × (8 + 1.2 j) minutes of outage, so 4GB survives 32m–2h03m, 16GB 2h08m–8h12m and 64GB beyond the 8h
    /// judged (a triangle); unlimited always survives. The recommendation for the 2h target at 5 % risk is 16GB.
    /// </summary>
    public static PlanResult Plan()
    {
        var caps = new[] { 4, 8, 16, 32, 64 }.Select(gb => SlotCap.Of(ByteCount.FromMegabytes(gb * 1024L))).Append(SlotCap.Unlimited).ToList();
        var outages = new[] { 0.5, 1, 2, 3, 6, 8 }.Select(SimDuration.FromHours).ToList();
        const int runs = 20;
        var options = new PlanOptions
        {
            Version = PgVersion.Parse("16.4"),
            Caps = caps,
            Outages = outages,
            Runs = runs,
            Seed = 1,
            WindowStart = SimTime.Zero + SimDuration.FromHours(6),
            WindowEnd = SimTime.Zero + SimDuration.FromDays(2),
            Target = SimDuration.FromHours(2),
            Risk = 0.05,
        };
        var capPlans = caps.Select(cap =>
        {
            var survives = Enumerable.Range(0, runs)
                .Select(j => cap.Size is { } size ? SimDuration.FromMinutes(size.Bytes / (double)ByteCount.GiB * (8 + 1.2 * j)) : SimDuration.Infinite)
                .ToList();
            var cells = outages.Select(o => new PlanCell(cap, o, runs, survives.Count(s => s <= o), 0, 0)).ToList();
            var firstOut = new Dictionary<PlanOutcome, int> { [PlanOutcome.SlotLost] = cap.IsUnlimited ? 0 : runs, [PlanOutcome.Survived] = cap.IsUnlimited ? runs : 0 };
            var peak = cap.Size ?? ByteCount.FromMegabytes(80 * 1024);
            return new CapPlan(cap, new OutcomeSummary(survives.Select(s => (SimDuration?)s)), firstOut, peak, cells);
        }).ToList();
        var chosen = caps[2];
        var slot = new SlotPlan("standby1", SlotKind.Physical, capPlans,
            new Recommendation(chosen, 0, ByteCount.FromMegabytes(20 * 1024), ByteCount.FromMegabytes(16 * 1024), null,
                "max_slot_wal_keep_size = 16GB survives a 2h outage in every run"));
        return new PlanResult(options, [slot], RandomWorkload: true, EngineRuns: runs * caps.Count, SimulatedTime: SimDuration.FromDays(10));
    }

    /// <summary>Every chart of every report, named <c>report/chart</c>.</summary>
    public static IEnumerable<(string Id, Chart Chart)> All() =>
        SimulateCharts.For(Simulate).Select(c => ($"simulate/{c.Name}", c))
            .Concat(WhatIfCharts.For(WhatIf).Select(c => ($"whatif/{c.Name}", c)))
            .Concat(PlanCharts.For(Plan()).Select(c => ($"plan/{c.Name}", c)));

    public static Chart Get(string id) => All().Single(x => x.Id == id).Chart;
}

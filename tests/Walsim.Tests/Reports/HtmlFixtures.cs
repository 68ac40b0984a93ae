using Walsim.Analyzer.Comparison;
using Walsim.Analyzer.Reports.Html;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Reports;

/// <summary>Scenarios and runs for the HTML report tests.</summary>
internal static class HtmlFixtures
{
    /// <summary>A slot name that would run script if any layer put it into the page as markup.</summary>
    public const string HostileSlot = "</script><img src=x onerror=alert(1)>";

    /// <summary>
    /// On 1MB segments with a 64MB disk (read-only at 95 %): rep1's standby stops after two minutes and never
    /// returns, so 12 keeps its WAL until the server turns read-only and 15 (max_slot_wal_keep_size=16MB) loses the slot; the
    /// slot with the hostile name keeps up.
    /// </summary>
    public static Scenario Stalled() => new()
    {
        Name = "html-stalled <b>&\"'",
        Description = "A stalled standby </script><script>alert(2)</script> & a healthy consumer.",
        Versions = [PgVersion.Parse("12"), PgVersion.Parse("15")],
        SegmentSize = WalSegmentSize.FromMegabytes(1),
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "8MB", ["min_wal_size"] = "2MB", ["checkpoint_timeout"] = "1min" },
        VersionSettings = [new VersionedSettings(Cli.ReportFixtures.Range("13+"), new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "16MB" })],
        Workload = new Workload([new ConstantRate(96 * 1024, SimTime.Zero, SimTime.Never)]),
        Slots =
        [
            new SlotSpec { Name = "rep1", Consumer = new ConsumerSpec { Outages = [new Outage(SimTime.FromSeconds(120), SimTime.Never)] } },
            new SlotSpec { Name = HostileSlot, Consumer = new ConsumerSpec() },
        ],
        Disk = new DiskSpec(ByteCount.FromMegabytes(64), ByteCount.FromMegabytes(8), 0.95),
        Duration = SimDuration.FromMinutes(20),
        SampleInterval = SimDuration.FromSeconds(10),
    };

    /// <summary>
    /// <see cref="Stalled"/> written for 12 and moved to 13.3 and 15, with chart data: four runs, 12.22 (source), 13.3
    /// and 15.18 (targets) and 13.23 (the fixed minor of 13.3); 13.3 and 15 lose rep1, 12 turns read-only.
    /// </summary>
    public static WhatIfReport WhatIf() =>
        WhatIfAnalysis.Run(Stalled(), PgVersion.Parse("12"), [PgVersion.Parse("13.3"), PgVersion.Parse("15")], charts: true);

    /// <summary>Runs <paramref name="scenario"/> on each of its versions, collecting what the report needs.</summary>
    public static IReadOnlyList<VersionReport> Run(Scenario scenario, int maxBuckets = 2_500) =>
        scenario.Versions.Select(v =>
        {
            var collector = new ReportCollector(scenario, v, maxBuckets);
            return collector.Finish(Simulation.Run(scenario, v, collector));
        }).ToList();
}

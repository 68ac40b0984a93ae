namespace Walsim.Cli.Commands;

/// <summary><c>walsim simulate</c>: its arguments, options, help examples and the action that hands them to <see cref="SimulateService"/>.</summary>
internal static class SimulateCommand
{
    public const string Examples = """
        walsim simulate scenarios/019-replslot-limit.yaml
        walsim simulate scenarios/019-replslot-limit.yaml --pg 13.3,13.4 --pg 15 --out /tmp/replslot
        walsim simulate scenarios/019-replslot-limit.yaml --format json > summary.json
        walsim simulate scenarios/019-replslot-limit.yaml --pg 13,15,17 --html
        walsim simulate scenarios/standby-stalled-past-cap.yaml --pg 12,15,17 --png --chart-size 1200x600
        """;

    public static Command Create(SimulateService service)
    {
        var scenario = InputFile("scenario", "The scenario file (YAML).", InputKind.Scenario);
        var pg = Versions("--pg", "PostgreSQL versions to run instead of the scenario's 'versions': comma-separated and/or repeated (12, 13.3, 15). A major alone means its newest known minor.");
        var outDir = OutDir("Directory for the per-version timeline and events CSV files. [default: reports/<scenario name>]");
        var format = Format(Walsim.Analyzer.Reports.SimulateRenderers.Registry, "How the summary is printed on stdout.");
        var html = HtmlPage("Also write a self-contained HTML report with charts (pg_wal, each slot's retained WAL and wal_status, checkpoints; all versions overlaid) and its numbers as JSON beside it. [default file: <dir>/report.html]");
        var charts = ChartOptions.Create("report.pg-wal.png (pg_wal over time, every version overlaid) and report.slot-N-NAME.png per slot (its retained WAL and wal_status), in the --out directory");
        var force = Force();

        var command = new Command("simulate", """
            Runs a scenario on each PostgreSQL version and prints what happens: the settings in force, when each slot becomes extended, unreserved or lost, the peak size of pg_wal, whether the disk fills, and what the checkpoints did. Writes timeline-<version>.csv (the state at every sample, checkpoint and step) and events-<version>.csv (checkpoints as log_checkpoints reports them, slot invalidations) for plotting or diffing.
            """) { scenario, pg, outDir, format, html, charts.Png, charts.Svg, charts.Size, force };
        command.SetAction(r => (int)service.Run(new SimulateRequest(
            r.GetRequiredValue(scenario),
            r.GetValue(pg) ?? [],
            r.GetValue(outDir),
            r.GetRequiredValue(format),
            // --html alone: the default file; absent: no HTML report.
            r.GetResult(html) is null ? null : r.GetValue(html) ?? "",
            r.GetValue(force)) { Charts = charts.From(r) }));
        return command;
    }
}

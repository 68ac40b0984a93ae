namespace Walsim.Cli.Commands;

/// <summary><c>walsim whatif</c>: its arguments, options, help examples and the action that hands them to <see cref="WhatIfService"/>.</summary>
internal static class WhatIfCommand
{
    public const string Examples = """
        walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15 --to 17
        walsim whatif scenarios/pg13-stale-horizon-13.3-vs-13.4.yaml --from 13.3 --to 15 --format markdown
        walsim whatif scenarios/busy-instance-quiet-cdc-db.yaml --from 13.8 --to 16,17 --format json --out reports/upgrade
        walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15,17 --out reports/upgrade --html
        walsim whatif scenarios/failover-pg17-native-switchover.yaml --sync none,native,pg_failover_slots,patroni
        """;

    public static Command Create(WhatIfService service, TextWriter stderr)
    {
        var scenario = InputFile("scenario", "The scenario file (YAML), its settings those of the --from version; or a sample file written by walsim sample (.csv, its NAME.settings.csv beside it): the sampled WAL and slot movements replayed under each version; or --prometheus URL.", InputKind.ScenarioOrSamples);
        var prometheus = PrometheusOptions.For(scenario, segmentSize: true);
        var from = Version("--from", "The version the scenario's settings are written for (12, 13.3, 15.14); for a --prometheus that does not publish it (pgwatch without settings_num), the server's. A major alone means its newest known minor.");
        var to = Versions("--to", "Versions to compare with, comma-separated and/or repeated (15, 17, 13.23).");
        var report = ReportOptions.Create(Walsim.Analyzer.Comparison.WhatIfRenderers.Registry, "the report",
            outDir: "Also write whatif.md (Markdown, showing the charts), whatif.json (every number), whatif.csv (one row per version, slot and measure) and the charts as PNG (as --png) to this directory, and whatif.html with --html. Every file is written completely before any replaces an older one.",
            html: "Also write a self-contained HTML report: the side-by-side table, charts of every version overlaid (pg_wal against the disk and the cap, each slot's retained WAL and wal_status), the first divergence per target, the settings translation and the minor-release warnings. [default file: <dir>/whatif.html, or reports/<scenario name>/whatif.html without --out]",
            charts: "whatif.pg-wal.png (pg_wal over time, every version overlaid) and whatif.slot-N-NAME.png per slot (its retained WAL and wal_status), in --out or reports/<scenario name>");

        var sync = new Option<string>("--sync")
        {
            Description = "For a topology scenario (nodes:): compare slot synchronization mechanisms instead of versions, on --from (default: the scenario's newest version): none, native, pg_failover_slots, patroni (comma-separated).",
            HelpName = "mechanisms",
        };

        var force = Force();
        var command = new Command("whatif", """
            Runs one scenario on the version it is written for and on each version you might move to, and lays the results side by side: when each slot becomes extended, unreserved and lost, pg_wal's peak, the disk, checkpoints and invalidations. Moves the settings across versions (wal_keep_segments <-> wal_keep_size, parameters a version lacks, defaults that changed) and says what it did; finds the first checkpoint where a version decides differently and names the PostgreSQL change behind it; warns when a minor release has a retention bug fixed later and shows what the fix changes for this workload.
            """) { scenario, from, to };
        foreach (var o in report.All) command.Options.Add(o);
        command.Options.Add(sync);
        command.Options.Add(force);
        foreach (var o in prometheus.All) command.Options.Add(o);
        command.SetAction(r =>
        {
            // --from is also the history's version where the Prometheus does not publish it (pgwatch).
            if (!prometheus.TryRead(r, stderr, out var path, out var query, version: r.GetValue(from))) return (int)ExitCode.UsageError;
            var fmt = r.GetRequiredValue(report.Format);
            if (r.GetValue(sync) is { } mechanisms)
                return (int)service.RunSync(path, r.GetValue(from), mechanisms, fmt);
            if (r.GetValue(from) is not { } fromVersion || (r.GetValue(to) ?? []).Count == 0)
            {
                stderr.WriteLine("walsim: whatif needs --from and --to (versions), or --sync (mechanisms) for a topology scenario");
                return (int)ExitCode.UsageError;
            }
            return (int)service.Run(new WhatIfRequest(path, fromVersion, r.GetValue(to) ?? [], fmt, r.GetValue(report.OutDir), report.HtmlPath(r))
            { Force = r.GetValue(force), Charts = report.Charts.From(r), Prometheus = query });
        });
        return command;
    }
}

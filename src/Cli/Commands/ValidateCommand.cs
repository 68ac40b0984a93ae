namespace Walsim.Cli.Commands;

/// <summary><c>walsim validate</c>: its arguments, options, help examples and the action that hands them to <see cref="ValidateService"/>.</summary>
internal static class ValidateCommand
{
    public static readonly string Examples = $"""
        scripts/install-postgres.sh            # once: PostgreSQL {SupportedVersions.RangeShort} under /opt/walsim/postgres
        walsim validate scenarios/019-replslot-limit.yaml
        walsim validate scenarios/step-*.yaml --pg 12,15,18 --out reports/validate
        walsim validate --ha patroni,pg-failover-slots   # Debian's PostgreSQL 15 with Patroni + etcd, pg_failover_slots
        """;

    public static Command Create(ValidateService service)
    {
        var scenarios = InputPaths("scenario", "Step scenarios to replay on real servers (steps only: no workload or timed events; streaming consumers on physical slots only).", folders: false, InputKind.StepScenario);
        var pg = Majors("--pg", $"PostgreSQL majors to run ({SupportedVersions.Range}), comma-separated and/or repeated. [default: the majors of the scenario's versions]");
        var bin = new Option<string>("--bin")
        {
            Description = "A directory with initdb, pg_ctl and postgres of one major, instead of those installed by scripts/install-postgres.sh under $WALSIM_PG_ROOT (default /opt/walsim/postgres as root).",
            HelpName = "dir",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep each throwaway cluster's directory (data, server.log) for inspection; the server is still stopped." };
        scenarios.Arity = ArgumentArity.ZeroOrMore; // --ha alone needs no scenario
        var ha = new Option<string[]>("--ha")
        {
            Description = "Also run failover-slot mechanisms on real servers, comma-separated: patroni (Patroni + etcd), pg-failover-slots (the extension). Each runs a switchover and a crash failover on Debian's PostgreSQL 15 and compares slot positions, WAL held and what a logical consumer misses or receives twice with walsim's model.",
            HelpName = "mechanisms",
            AllowMultipleArgumentsPerToken = false,
        };
        ha.Validators.Add(r =>
        {
            foreach (var name in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
                if (Walsim.Analyzer.Validation.Ha.HaValidation.Parse(name) is null) r.AddError($"--ha: expected patroni or pg-failover-slots, got '{name}'");
        });
        var outDir = OutDir("Directory for validation.csv (every decision) and validation.json (totals). [default: reports/validate]");

        var command = new Command("validate", """
            Replays step scenarios on real, throwaway PostgreSQL clusters (initdb with the scenario's wal_segment_size, its settings, log_checkpoints=on; run as the unprivileged user 'walsim' when walsim runs as root; always stopped and removed). After every step and every checkpoint it reads pg_current_wal_lsn(), pg_control_checkpoint(), pg_replication_slots, pg_ls_waldir() and the server log, feeds those observed inputs through walsim's retention model, and compares decision by decision: distance and estimate, slots invalidated, files removed, recycled and added, the oldest file and the number of files left, and each slot's wal_status and safe_wal_size. Prints an agreement table per checkpoint and the inputs behind any disagreement.
            """) { scenarios, pg, bin, keep, outDir, ha };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(scenarios) ?? []).Length == 0 && (r.GetValue(ha) ?? []).Length == 0)
                r.AddError("walsim validate needs step scenarios, --ha, or both");
        });
        command.SetAction((r, ct) => Task.FromResult((int)service.Run(new ValidateRequest(
            r.GetValue(scenarios) ?? [], r.GetValue(pg) ?? [], r.GetValue(bin), r.GetValue(keep), r.GetValue(outDir),
            (r.GetValue(ha) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList()), ct)));
        return command;
    }
}

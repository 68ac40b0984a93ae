using Walsim.Analyzer.Explain;

namespace Walsim.Cli.Commands;

/// <summary><c>walsim explain</c>: its arguments, options, help examples and the action that hands them to <see cref="ExplainService"/>.</summary>
internal static class ExplainCommand
{
    public const string Examples = """
        walsim explain scenarios/019-replslot-limit.yaml --pg 15          # at its pg_wal peak
        walsim explain scenarios/standby-stalled-past-cap.yaml --at 2h --format markdown
        PGHOST=db1 PGUSER=monitor walsim explain --estimate 120MB        # a live server, now
        walsim explain db1.csv --at 2026-11-21T10:30:00Z --format json
        """;

    public static Command Create(ExplainService service)
    {
        var input = new Argument<string?>("input")
        {
            Description = "A scenario file (YAML), a sample file written by walsim sample, or else a live server's connection as walsim sample takes it (\"host=db1 user=monitor\"; read-only, pg_monitor). [default: the live server the libpq environment names]",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var pg = Version("--pg", "A scenario's version. [default: the scenario's newest]");
        var at = new Option<string>("--at")
        {
            Description = "When: a time into a scenario (2h) or from a sample file's first sample, or a UTC time (2026-11-21T10:30:00Z). [default: a scenario's pg_wal peak, a sample file's last sample]",
            HelpName = "when",
        };
        var estimate = new Option<ByteCount?>("--estimate")
        {
            Description = "A live server's checkpoint distance estimate (the last \"estimate=... kB\" of log_checkpoints), which no view shows; it decides how many files the next checkpoint recycles.",
            HelpName = "size",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (ValueParser.TryParseSize(text, out var size, out var error) && size.Bytes >= 0) return size;
                r.AddError($"--estimate: {error ?? "expected a size of 0 or more"}, like 120MB");
                return null;
            },
        };
        var format = Format(ExplainRenderers.Registry, $"How the breakdown is printed on stdout: {ExplainRenderers.Registry.DescribePrintable()}.");
        var outDir = OutDir("Also write explain.md and explain.json to this directory.");
        var command = new Command("explain", """
            What is holding pg_wal, file by file: every segment file gets exactly one reason — needed for the last checkpoint's redo, within wal_keep_size (wal_keep_segments), held by a replication slot (the oldest first, each holding what advancing it to the next would free), waiting for the archiver, recycled ahead (and why that many: XLOGfileslop from the distance estimate, min_wal_size, max_wal_size), or removable — adding up to the files and bytes pg_wal holds; and what the next checkpoint, started now, would remove, recycle and invalidate (the same KeepLogSeg/RemoveOldXlogFiles decision walsim simulates with).
            """) { input, pg, at, estimate, format, outDir };
        command.SetAction(async (r, ct) => (int)await service.RunAsync(new ExplainRequest(r.GetValue(input), r.GetValue(pg), r.GetValue(at),
            r.GetValue(estimate), r.GetRequiredValue(format), r.GetValue(outDir)), ct));
        return command;
    }
}

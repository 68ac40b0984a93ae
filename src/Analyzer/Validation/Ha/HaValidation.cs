using System.Globalization;
using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>
/// <c>walsim validate --ha patroni|pg-failover-slots</c>: each mechanism's switchover and crash failover on real
/// servers, compared with the model (docs/design/failover.md §4.4), and the files that record them.
/// </summary>
public static class HaValidation
{
    /// <summary>Patroni's <c>loop_wait</c> here (its default is 10 s; 5 s halves the run and is as real).</summary>
    public static readonly TimeSpan PatroniLoopWait = TimeSpan.FromSeconds(5);
    /// <summary>pg_failover_slots' <c>worker_nap_time</c> here (default 60 s; 5 s keeps a run under a minute).</summary>
    public static readonly TimeSpan FailoverSlotsNap = TimeSpan.FromSeconds(5);

    public static HaMechanism? Parse(string name) => name switch
    {
        "patroni" => HaMechanism.Patroni,
        "pg-failover-slots" or "pg_failover_slots" => HaMechanism.PgFailoverSlots,
        _ => null,
    };

    /// <summary>How many times a case is run on new servers when its run loses its pace (<see cref="HaPace"/>).</summary>
    public const int Attempts = 3;

    /// <summary>
    /// One case on new servers, compared with the model. A run that lost its pace is run again on new servers, at most
    /// <see cref="Attempts"/> times, and never judged: its disagreements would be the host's, not the model's.
    /// </summary>
    public static async Task<HaCase> RunCaseAsync(HaMechanism m, HaEvent ev, bool keep, Action<string> log, CancellationToken ct)
    {
        var name = HaComparison.CaseName(m, ev);
        var stalls = new List<string>();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            await using IHaCluster cluster = m == HaMechanism.Patroni
                ? await PatroniCluster.StartAsync(PatroniLoopWait, keep, ct)
                : await FailoverSlotsPair.StartAsync(FailoverSlotsNap, keep, ct);
            var observed = await HaDriver.RunAsync(cluster, ev, log, ct);
            if (observed.Stalled is null) return HaComparison.Compare(observed);
            stalls.Add($"attempt {attempt}: {observed.Stalled}");
            log($"{name}: {stalls[^1]}; the run lost its pace, not judged{(attempt < Attempts ? "; run again on new servers" : "")}");
        }
        throw new ValidationEnvironmentException(
            $"{name}: no run kept the pace the model is given (a row every 100 ms, a consumer call every second), so none could be judged; the host is too busy: {string.Join("; ", stalls)}");
    }

    /// <summary>The agreement table of one case.</summary>
    public static void WriteTable(TextWriter w, HaCase c)
    {
        var o = c.Observed;
        w.WriteLine($"  {c.Name}: {o.Description}");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    writes {o.WriteBytesPerSecond:0} B/s; consumer stopped at {o.ConsumerStoppedAt:0.0} s with S = {o.ConsumerConfirmed}; event at {o.EventAt:0.0} s; P = {o.SwitchPoint}; " +
            $"slot on b: {(o.SlotOnNewPrimary ? $"restart {o.CopyRestart}, confirmed {o.CopyConfirmed}" : $"missing, re-created at {o.RecreatedAt}")}"));
        w.WriteLine($"    rows: {o.RowsCommitted} on b, {o.RowsBefore} received before, {o.RowsAfter} after; {o.RowsTwice} twice (commit after the slot's confirmed_flush: {o.RowsTwiceByPosition}), {o.RowsMissed} missed; peak copy lag while consuming {o.PeakCopyLagBytes} bytes");
        foreach (var f in c.Fields)
            w.WriteLine($"    {(f.Agrees ? "agree   " : "DISAGREE")}  {f.Field}: model {f.Model}, server {f.Server} {f.Unit} (tolerance {f.Tolerance})");
    }

    /// <summary>ha-validation.csv (every field of every case), and per case the samples over time and the model scenario.</summary>
    public static IReadOnlyList<string> WriteFiles(string dir, IReadOnlyList<HaCase> cases)
    {
        var written = new List<string>();
        var path = Path.Combine(dir, "ha-validation.csv");
        AtomicFile.Write(path, w =>
        {
            w.WriteLine("case,field,model,server,tolerance,unit,agrees");
            foreach (var c in cases)
                foreach (var f in c.Fields)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name},\"{f.Field}\",{f.Model},{f.Server},{f.Tolerance},{f.Unit},{(f.Agrees ? "true" : "false")}"));
        });
        written.Add(path);
        foreach (var c in cases)
        {
            var stem = c.Name.Replace(' ', '-');
            var samples = Path.Combine(dir, $"ha-{stem}-samples.csv");
            AtomicFile.Write(samples, w =>
            {
                w.WriteLine("seconds,node,primary,position,slot_restart_lsn,slot_confirmed_flush_lsn,pg_wal_bytes,pg_wal_files");
                foreach (var s in c.Observed.Samples.OrderBy(x => x.At).ThenBy(x => x.Node, StringComparer.Ordinal))
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{s.At:0.000},{s.Node},{(s.Primary ? "true" : "false")},{s.Position},{(s.SlotRestart.IsValid ? s.SlotRestart.ToString() : "")},{(s.SlotConfirmed.IsValid ? s.SlotConfirmed.ToString() : "")},{s.PgWalBytes},{s.PgWalFiles}"));
            });
            var yaml = Path.Combine(dir, $"ha-{stem}.yaml");
            AtomicFile.Write(yaml, w => w.Write(c.ModelScenario));
            written.Add(samples);
            written.Add(yaml);
        }
        return written;
    }
}

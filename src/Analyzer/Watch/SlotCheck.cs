using System.Globalization;
using System.Text;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Watch;

/// <summary>A monitoring plugin's states (Nagios, Icinga, Sensu): the exit code is the state.</summary>
public enum CheckState { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 }

/// <summary>A check's verdict: its state, the one status line, and the perfdata after the <c>|</c>.</summary>
public sealed record CheckVerdict(CheckState State, string Line)
{
    public override string ToString() => Line;
}

/// <summary>
/// <c>walsim check-slots</c>, in the mould of check_pgactivity: the soonest predicted loss among the slots (the
/// forecast's p10: one run in ten sees it sooner) and the soonest pg_wal fills the disk or reaches a managed service's
/// read-only threshold, against <c>--warning</c> and <c>--critical</c> (times from now). A slot already lost is
/// critical. One status line; perfdata per slot and for the disk, in seconds, with the thresholds.
/// </summary>
public static class SlotCheck
{
    private const string Service = "WALSIM SLOTS";

    /// <param name="result">The forecast (current trend).</param>
    /// <param name="horizon">How far it looked: an event beyond it is "not within" that.</param>
    /// <param name="age">How old its starting sample is: the forecast's times are counted from there.</param>
    /// <param name="warning">Warn when an event's p10 is this near.</param>
    /// <param name="critical">Critical when this near.</param>
    /// <param name="disk">--disk was given: check pg_wal filling it too.</param>
    public static CheckVerdict Judge(ForecastResult result, SimDuration horizon, TimeSpan age, TimeSpan warning, TimeSpan critical, bool disk)
    {
        var events = new List<(string Label, string Text, TimeSpan? In)>();
        foreach (var slot in result.Slots)
            events.Add(($"{slot.Name}_lost_p10", $"slot {slot.Name} lost", Remaining(slot.Lost, age)));
        if (disk)
        {
            events.Add(("disk_full_p10", "pg_wal fills the disk", Remaining(result.DiskFull, age)));
            if (result.ReadOnly.Runs > 0 && result.ReadOnly.Quantile(0.1) is not null)
                events.Add(("read_only_p10", "the server goes read-only", Remaining(result.ReadOnly, age)));
        }

        var perf = new StringBuilder();
        foreach (var name in result.AlreadyLost)
            perf.Append(CultureInfo.InvariantCulture, $" '{Label(name + "_lost_p10")}'=0s;{Secs(warning)};{Secs(critical)};0");
        foreach (var (label, _, left) in events)
            perf.Append(CultureInfo.InvariantCulture, $" '{Label(label)}'={(left is { } l ? Secs(l) : "U")}{(left is null ? "" : "s")};{Secs(warning)};{Secs(critical)};0");

        var state = CheckState.Ok;
        string summary;
        if (result.AlreadyLost.Count > 0)
        {
            state = CheckState.Critical;
            summary = $"slot(s) already lost: {string.Join(", ", result.AlreadyLost)}";
        }
        else if (events.Where(e => e.In is not null).OrderBy(e => e.In).FirstOrDefault() is { In: { } soonest } first)
        {
            state = soonest <= critical ? CheckState.Critical : soonest <= warning ? CheckState.Warning : CheckState.Ok;
            summary = $"{first.Text} in {Human(soonest)} (p10)";
            var others = events.Count(e => e.In is { } t && t <= warning) - 1;
            if (state != CheckState.Ok && others > 0) summary += string.Create(CultureInfo.InvariantCulture, $", and {others} more within {Human(warning)}");
        }
        else
        {
            summary = result.Slots.Count == 0 && !disk
                ? "no slot to watch"
                : $"no slot lost{(disk ? " and pg_wal does not fill the disk" : "")} within {Human(horizon.ToTimeSpan())} (p10)";
        }
        return new CheckVerdict(state, $"{Service} {Word(state)}: {summary} |{perf}");
    }

    /// <summary>A server log shows no slot positions, so nothing can be predicted from it; what it can show is a
    /// slot already lost (the invalidation line), which is critical.</summary>
    public static CheckVerdict FromLosses(IReadOnlyList<RecordedSlotLoss> losses, string source)
    {
        if (losses.Count == 0)
            return new CheckVerdict(CheckState.Ok, $"{Service} OK: {source} shows no slot lost (a log has no slot positions to predict from: give a sample file or a live server for a forecast) |");
        var names = losses.Select(l => l.Slot).Distinct(StringComparer.Ordinal).ToList();
        var last = losses[^1];
        return new CheckVerdict(CheckState.Critical,
            $"{Service} CRITICAL: slot(s) lost: {string.Join(", ", names)} (last: {last.Slot} at {last.At.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}, {last.Where}) | 'slots_lost'={names.Count};;1;0");
    }

    public static CheckVerdict Unknown(string why) => new(CheckState.Unknown, $"{Service} UNKNOWN: {why.ReplaceLineEndings(" ")}");

    private static TimeSpan? Remaining(OutcomeSummary outcome, TimeSpan age) =>
        outcome.Quantile(0.1) is { } d ? TimeSpan.FromTicks(Math.Max(0, d.ToTimeSpan().Ticks - age.Ticks)) : null;

    private static string Word(CheckState s) => s switch
    {
        CheckState.Ok => "OK",
        CheckState.Warning => "WARNING",
        CheckState.Critical => "CRITICAL",
        _ => "UNKNOWN",
    };

    /// <summary>Perfdata labels are quoted: a quote inside is doubled, '=' is not allowed.</summary>
    private static string Label(string s) => s.Replace("'", "''").Replace('=', '_');

    private static string Secs(TimeSpan t) => ((long)Math.Round(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>2h10m, 45min, 30s: the status line is for people.</summary>
    public static string Human(TimeSpan t)
    {
        if (t.TotalDays >= 2) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d{t.Hours}h");
        if (t.TotalHours >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m");
        if (t.TotalMinutes >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}min");
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalSeconds}s");
    }
}

using System.Globalization;
using System.Text;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Forecasting;

namespace Walsim.Analyzer.Watch;

/// <summary>
/// A <see cref="WatchSnapshot"/> in the Prometheus text exposition format (version 0.0.4): one <c># HELP</c> and
/// <c># TYPE</c> per family, label values escaped, times in seconds, "never within the horizon" as <c>+Inf</c>.
/// docs/watch.md lists every family. Nothing here can carry a password or a connection string: the labels are slot
/// names, reasons, statuses and quantiles, and the server is named only by version and system identifier.
/// </summary>
public static class WatchMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly (string Status, WalStatus Value)[] Statuses =
        [("reserved", WalStatus.Reserved), ("extended", WalStatus.Extended), ("unreserved", WalStatus.Unreserved), ("lost", WalStatus.Lost)];
    private static readonly double[] Quantiles = [0.1, 0.5, 0.9];

    public static string Render(WatchSnapshot w)
    {
        var m = new Writer();
        var s = w.Newest?.Server;

        // Watcher health.
        m.Single("walsim_up", "gauge", "1 while the last attempt to sample the server succeeded, 0 while disconnected.", w.Connected ? 1 : 0);
        m.Single("walsim_samples_total", "counter", "Samples taken by this watcher.", w.Samples);
        m.Single("walsim_sample_gaps_total", "counter", "Samples that follow a gap (a lost connection, a server restart).", w.Gaps);
        m.Single("walsim_connections_lost_total", "counter", "Times the connection to the server was lost.", w.ConnectionsLost);
        m.Single("walsim_reconnects_total", "counter", "Times the connection was re-established.", w.Reconnects);
        m.Family("walsim_last_error_timestamp_seconds", "gauge", "When the watcher last failed at something, by kind (connection_lost, replay, forecast); the message is on stderr.");
        foreach (var (kind, at) in w.LastErrors.OrderBy(e => e.Key))
            m.Sample("walsim_last_error_timestamp_seconds", Seconds(at), ("kind", Kind(kind)));
        m.Single("walsim_history_samples", "gauge", "Samples held in the rolling history the forecast is fitted to.", w.HistorySamples);
        if (w.HistoryFrom is { } from && s is { } ns)
        {
            m.Single("walsim_history_seconds", "gauge", "Time the rolling history covers.", (ns.LocalTime - from).TotalSeconds);
        }

        if (s is { } server)
        {
            var frame = w.Newest!;
            m.Family("walsim_server_info", "gauge", "The server sampled: version, system identifier, role.");
            m.Sample("walsim_server_info", 1, ("version", server.Version.ToString()), ("system_identifier", server.SystemIdentifier.ToString(CultureInfo.InvariantCulture)),
                ("role", server.InRecovery ? "standby" : "primary"));
            m.Single("walsim_last_sample_timestamp_seconds", "gauge", "When the last sample was taken (the watcher's clock).", Seconds(server.LocalTime));
            m.Single("walsim_wal_lsn_bytes", "gauge", "The newest WAL position (insert LSN on a primary, received on a standby) as a byte offset.", server.HeadLsn.Value);
            if (w.WalRate is { } rate)
            {
                m.Single("walsim_wal_rate_bytes_per_second", "gauge", "WAL written per second between the last two samples.", rate);
            }
            m.Single("walsim_pg_wal_files", "gauge", "WAL segment files in pg_wal.", server.PgWalFiles);
            m.Single("walsim_pg_wal_size_bytes", "gauge", "Total size of the WAL segment files in pg_wal.", server.PgWalBytes.Bytes);
            if (w.Breakdown is { } b)
            {
                m.Family("walsim_pg_wal_bytes", "gauge", "pg_wal's bytes by the reason each file is kept (walsim explain): redo, wal_keep, slot (with the slot), archiver, recycled_ahead, removable, other.");
                foreach (var t in b.Totals)
                    m.Sample("walsim_pg_wal_bytes", t.Bytes.Bytes, ("reason", t.Label), ("slot", t.Slot ?? ""));
            }

            m.Family("walsim_slot_active", "gauge", "1 while a process streams from the slot.");
            foreach (var slot in frame.Slots) m.Sample("walsim_slot_active", slot.Active ? 1 : 0, ("slot", slot.Name));
            m.Family("walsim_slot_restart_lsn_lag_bytes", "gauge", "How far the slot's restart_lsn is behind the newest WAL position.");
            foreach (var slot in frame.Slots)
                if (slot.RestartLsn.IsValid && server.HeadLsn >= slot.RestartLsn)
                    m.Sample("walsim_slot_restart_lsn_lag_bytes", (server.HeadLsn - slot.RestartLsn).Bytes, ("slot", slot.Name));
            m.Family("walsim_slot_wal_status", "gauge", "The slot's wal_status (13+) as a state set: 1 on the status it has, 0 on the others.");
            foreach (var slot in frame.Slots)
                if (slot.WalStatus is { } status and not WalStatus.Null)
                    foreach (var (name, value) in Statuses) m.Sample("walsim_slot_wal_status", status == value ? 1 : 0, ("slot", slot.Name), ("status", name));
            m.Family("walsim_slot_safe_wal_size_bytes", "gauge", "The slot's safe_wal_size (13+, with max_slot_wal_keep_size set): WAL that can still be written before it is lost.");
            foreach (var slot in frame.Slots)
                if (slot.SafeWalSize is { } safe) m.Sample("walsim_slot_safe_wal_size_bytes", safe.Bytes, ("slot", slot.Name));
        }

        // The model's health.
        m.Single("walsim_model_checkpoints_judged_total", "counter", "Checkpoints seen in the samples and re-decided by the model.", w.CheckpointsJudged);
        m.Single("walsim_model_decisions_total", "counter", "Decisions compared with the server: checkpoint outcomes, wal_status, safe_wal_size.", w.Decisions);
        m.Single("walsim_model_disagreements_total", "counter", "Decisions on which the model and this server disagreed (walsim replay on the samples shows each).", w.Disagreements);
        m.Single("walsim_model_replay_restarts_total", "counter", "Times the model's replay started over (the server came back as another major version).", w.ReplayRestarts);

        // The forecast.
        m.Single("walsim_forecasts_total", "counter", "Forecasts made.", w.Forecasts);
        m.Single("walsim_forecast_failures_total", "counter", "Forecasts that could not be made (too little history to fit, a standby).", w.ForecastFailures);
        if (w.Forecast is { } f)
        {
            var age = (w.Now - f.AsOf).TotalSeconds;
            m.Single("walsim_forecast_timestamp_seconds", "gauge", "The sample the last forecast started from.", Seconds(f.AsOf));
            m.Single("walsim_forecast_age_seconds", "gauge", "How old the last forecast's starting sample is.", age);
            m.Single("walsim_forecast_duration_seconds", "gauge", "How long the last forecast took to compute.", f.Took.TotalSeconds);
            m.Single("walsim_forecast_horizon_seconds", "gauge", "How far ahead the forecast looks; a time to an event beyond it is +Inf.", f.Horizon.TotalSeconds);
            m.Single("walsim_forecast_fit_r_squared", "gauge", "The workload fit's R² on the rolling history's rate buckets (how much of the rate's variation the level, trend and cycle explain).", f.Fit.ModelRSquared);
            m.Single("walsim_forecast_fit_buckets", "gauge", "Rate buckets the workload fit measured.", f.Fit.MeasuredBuckets);

            m.Family("walsim_slot_predicted_seconds", "gauge", "Seconds from now until the slot's wal_status becomes extended, unreserved or lost, at the 0.1/0.5/0.9 quantile of the forecast's runs (0.1: one run in ten sees it sooner); +Inf beyond the horizon, 0 when already lost.");
            foreach (var slot in f.Result.Slots)
                foreach (var (status, outcome) in new[] { ("extended", slot.Extended), ("unreserved", slot.Unreserved), ("lost", slot.Lost) })
                    foreach (var q in Quantiles)
                        m.Sample("walsim_slot_predicted_seconds", Remaining(outcome, q, age), ("slot", slot.Name), ("status", status), ("quantile", Q(q)));
            foreach (var name in f.Result.AlreadyLost)
                foreach (var q in Quantiles)
                    m.Sample("walsim_slot_predicted_seconds", 0, ("slot", name), ("status", "lost"), ("quantile", Q(q)));
            if (f.HasDisk)
            {
                m.Family("walsim_disk_full_predicted_seconds", "gauge", "Seconds from now until pg_wal fills the --disk volume, by quantile; +Inf beyond the horizon.");
                foreach (var q in Quantiles) m.Sample("walsim_disk_full_predicted_seconds", Remaining(f.Result.DiskFull, q, age), ("quantile", Q(q)));
                m.Family("walsim_read_only_predicted_seconds", "gauge", "Seconds from now until pg_wal crosses the --read-only-at share of --disk, by quantile; +Inf beyond the horizon or without --read-only-at.");
                foreach (var q in Quantiles) m.Sample("walsim_read_only_predicted_seconds", Remaining(f.Result.ReadOnly, q, age), ("quantile", Q(q)));
            }
        }
        return m.ToString();
    }

    /// <summary>The time left to an outcome at quantile <paramref name="q"/>, counted from now: the forecast's time
    /// less the time since its starting sample, never below 0.</summary>
    private static double Remaining(OutcomeSummary outcome, double q, double ageSeconds) =>
        outcome.Quantile(q) is { } d ? Math.Max(0, d.TotalSeconds - ageSeconds) : double.PositiveInfinity;

    private static string Q(double q) => q.ToString("0.0", CultureInfo.InvariantCulture);

    private static double Seconds(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;

    private static string Kind(WatchErrorKind k) => k switch
    {
        WatchErrorKind.ConnectionLost => "connection_lost",
        WatchErrorKind.Replay => "replay",
        _ => "forecast",
    };

    private sealed class Writer
    {
        private readonly StringBuilder _b = new();

        public void Family(string name, string type, string help) =>
            _b.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n')
              .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        /// <summary>A family of one unlabelled sample (the watcher's and the model's counters, pg_wal's size).</summary>
        public void Single(string name, string type, string help, double value)
        {
            Family(name, type, help);
            Sample(name, value);
        }

        public void Sample(string name, double value, params (string Name, string Value)[] labels)
        {
            _b.Append(name);
            if (labels.Length > 0)
            {
                _b.Append('{');
                for (var i = 0; i < labels.Length; i++)
                {
                    if (i > 0) _b.Append(',');
                    _b.Append(labels[i].Name).Append("=\"");
                    foreach (var c in labels[i].Value)
                        _ = c switch { '\\' => _b.Append("\\\\"), '"' => _b.Append("\\\""), '\n' => _b.Append("\\n"), _ => _b.Append(c) };
                    _b.Append('"');
                }
                _b.Append('}');
            }
            _b.Append(' ').Append(Number(value)).Append('\n');
        }

        private static string Number(double v) =>
            double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

        public override string ToString() => _b.ToString();
    }
}

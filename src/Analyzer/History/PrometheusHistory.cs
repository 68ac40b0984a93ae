using System.Globalization;
using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.History;

/// <summary>
/// A Prometheus that scraped postgres_exporter (with or without <c>deploy/postgres_exporter/walsim-queries.yaml</c>) or
/// pgwatch: range queries over its HTTP API turned into the frames a sample file gives, one per scrape. What it shows
/// depends on the series found (docs/cli.md, "Prometheus metric names"): with walsim's custom queries everything a
/// sample file holds but the archiver; with a stock exporter the WAL position (0.14+ or a slot's series), each slot's
/// restart_lsn as the position minus its lag, wal_status and safe_wal_size (0.16+) and the settings, but neither the
/// redo pointer nor the files in pg_wal. What it cannot show stays unknown in every frame (<see cref="Shows"/>), never
/// filled in.
/// </summary>
public sealed class PrometheusHistory : IRecordedHistory
{
    public static readonly HistorySource Source = new(
        "a Prometheus server's URL (--prometheus http://prometheus:9090) scraping postgres_exporter or pgwatch", p => p.Url is not null, Open);

    // ---- the series read, per quantity, in order of preference (docs/cli.md lists them per exporter version)

    /// <summary>The current WAL position, one series per cluster.</summary>
    private static readonly string[] HeadFamilies = ["walsim_wal_lsn_bytes", "pg_xlog_location_bytes", "pgwatch_wal_xlog_location_b"];
    /// <summary>Exporters 0.12+ repeat the current position on every slot's series (the only place 0.12-0.13 have it).</summary>
    private static readonly string[] HeadOnSlotFamilies = ["pg_replication_slots_slot_current_wal_lsn", "pg_replication_slot_slot_current_wal_lsn", "pg_replication_slot_current_wal_lsn"];
    private static readonly string[] RestartFamilies = ["walsim_slot_restart_lsn_bytes"];
    /// <summary>pg_current_wal_lsn() - restart_lsn: the restart position follows from the current one.</summary>
    private static readonly string[] RestartLagFamilies = ["pg_replication_slots_pg_wal_lsn_diff", "pgwatch_replication_slots_restart_lsn_lag_b"];
    private static readonly string[] ConfirmedFamilies = ["walsim_slot_confirmed_flush_lsn_bytes", "pg_replication_slots_slot_confirmed_flush_lsn", "pg_replication_slot_slot_confirmed_flush_lsn", "pg_replication_slot_confirmed_flush_lsn"];
    private static readonly string[] ActiveFamilies = ["walsim_slot_active", "pg_replication_slots_slot_is_active", "pg_replication_slot_slot_is_active", "pg_replication_slot_is_active", "pg_replication_slots_active", "pgwatch_replication_slots_active"];
    private static readonly string[] SafeFamilies = ["walsim_slot_safe_wal_size_bytes", "pg_replication_slots_safe_wal_size_bytes", "pg_replication_slot_safe_wal_size_bytes"];
    /// <summary>walsim's: a number (0 NULL … 4 lost); the exporters': 1 on a series labelled with the status.</summary>
    private static readonly string[] StatusFamilies = ["walsim_slot_wal_status", "pg_replication_slots_wal_status", "pg_replication_slot_wal_status"];
    private static readonly string[] PgWalFilesFamilies = ["walsim_pg_wal_files", "pg_wal_segments", "pgwatch_wal_size_wal_file_count"];
    private static readonly string[] PgWalBytesFamilies = ["walsim_pg_wal_bytes", "pg_wal_size_bytes", "pgwatch_wal_size_wal_size_b"];
    private const string InsertFamily = "walsim_wal_insert_lsn_bytes";
    private const string RedoFamily = "walsim_checkpoint_redo_lsn_bytes";
    private const string CheckpointLsnFamily = "walsim_checkpoint_lsn_bytes";
    private const string CheckpointTimeFamily = "walsim_checkpoint_time_seconds";
    private const string TimelineFamily = "walsim_checkpoint_timeline";
    private const string OldestFamily = "walsim_pg_wal_oldest_segno";
    private const string NewestFamily = "walsim_pg_wal_newest_segno";
    private const string VersionFamily = "pg_settings_server_version_num";
    private const string SegmentSizeFamily = "pg_settings_wal_segment_size_bytes";
    /// <summary>pgwatch 3's <c>settings_num</c> metric: every pg_settings row as a number, labelled <c>name</c>, in
    /// pg_settings' own unit (MB, s, bytes for wal_segment_size); booleans 1/0; an enum as the 1-based position of its
    /// value in <c>enumvals</c>.</summary>
    private const string PgwatchSettingsFamily = "pgwatch_settings_num_value";
    /// <summary>walsim-queries.yaml's enum settings (wal_level, archive_mode), which postgres_exporter's settings
    /// collector leaves out: 1 on a series labelled <c>name</c> and <c>setting</c>.</summary>
    private const string EnumSettingsFamily = "walsim_setting_info";

    /// <summary>pg_settings.enumvals of the enum settings walsim models, in the order guc_tables.c lists the options
    /// (hidden spellings left out, as pg_settings leaves them out): pgwatch exports a position in this list.</summary>
    private static readonly Dictionary<string, string[]> EnumVals = new(StringComparer.Ordinal)
    {
        ["archive_mode"] = ["always", "on", "off"],       // archive_mode_options (xlog.c / guc_tables.c)
        ["wal_level"] = ["minimal", "replica", "logical"], // wal_level_options ("archive", "hot_standby" hidden)
    };

    /// <summary>Labels that tell clusters apart (Prometheus's target labels, postgres_exporter's server, pgwatch's dbname).</summary>
    private static readonly string[] ClusterLabels = ["job", "instance", "server", "dbname"];

    private static readonly string[] AllFamilies =
    [
        .. HeadFamilies, .. HeadOnSlotFamilies, .. RestartFamilies, .. RestartLagFamilies, .. ConfirmedFamilies, .. ActiveFamilies,
        .. SafeFamilies, .. StatusFamilies, .. PgWalFilesFamilies, .. PgWalBytesFamilies,
        InsertFamily, RedoFamily, CheckpointLsnFamily, CheckpointTimeFamily, TimelineFamily, OldestFamily, NewestFamily,
        VersionFamily, SettingsFamily, PgwatchSettingsFamily, EnumSettingsFamily,
    ];

    /// <summary>One of the settings the exporter's settings collector exports, to tell that it ran.</summary>
    private const string SettingsFamily = "pg_settings_max_wal_size_bytes";

    private readonly PrometheusClient _client;
    private readonly HistoryOptions _options;
    private readonly string _cluster;                // label matchers of the cluster, without braces
    private readonly HashSet<string> _present;       // the families found
    private readonly string? _head, _headOnSlot, _restart, _restartLag, _confirmed, _active, _safe, _status, _files, _bytes;
    private readonly long _startMs, _endMs, _stepMs;
    private readonly ulong _systemIdentifier;        // pgwatch's sys_id label; 0 where no exporter publishes it
    private IReadOnlyList<SettingSample>? _settings;

    private PrometheusHistory(string name, PrometheusClient client, HistoryOptions options, string cluster, HashSet<string> present,
        long startMs, long endMs, long stepMs, PgVersion? version, WalSegmentSize segmentSize, ulong systemIdentifier)
    {
        Name = name;
        _systemIdentifier = systemIdentifier;
        _client = client;
        _options = options;
        _cluster = cluster;
        _present = present;
        _startMs = startMs;
        _endMs = endMs;
        _stepMs = stepMs;
        Version = version;
        SegmentSize = segmentSize;
        string? First(string[] families) => families.FirstOrDefault(present.Contains);
        _head = First(HeadFamilies);
        _headOnSlot = _head is null ? First(HeadOnSlotFamilies) : null;
        _restart = First(RestartFamilies);
        _restartLag = _restart is null ? First(RestartLagFamilies) : null;
        _confirmed = First(ConfirmedFamilies);
        _active = First(ActiveFamilies);
        _safe = First(SafeFamilies);
        _status = First(StatusFamilies);
        _files = First(PgWalFilesFamilies);
        _bytes = First(PgWalBytesFamilies);
    }

    public string Name { get; }

    public string Kind => _present.Contains(RedoFamily) ? "Prometheus history"
        : "Prometheus history without walsim's custom queries (deploy/postgres_exporter/walsim-queries.yaml)";

    public string Readings => "scrapes";

    public HistoryEvidence Shows
    {
        get
        {
            var shows = HistoryEvidence.WalPositions;
            if (_present.Contains(RedoFamily)) shows |= HistoryEvidence.RedoPointer | HistoryEvidence.Checkpoints;
            if (_present.Contains(OldestFamily) && _present.Contains(NewestFamily) && _files is not null) shows |= HistoryEvidence.PgWalListing;
            if (_restart is not null || _restartLag is not null) shows |= HistoryEvidence.SlotPositions;
            if (_status is not null) shows |= HistoryEvidence.SlotStatus | HistoryEvidence.SlotInvalidations;
            if (HasSettings) shows |= HistoryEvidence.Settings;
            return shows;
        }
    }

    public PgVersion? Version { get; }

    /// <summary>wal_segment_size as <c>pg_settings_wal_segment_size_bytes</c> shows it (else as given).</summary>
    public WalSegmentSize SegmentSize { get; }

    /// <summary>The step of the range queries: the scrape interval, unless chosen.</summary>
    public TimeSpan Step => TimeSpan.FromMilliseconds(_stepMs);

    /// <summary>The stretch read: from the first scrape found in the range to its end.</summary>
    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeMilliseconds(_startMs);
    public DateTimeOffset End => DateTimeOffset.FromUnixTimeMilliseconds(_endMs);

    /// <summary>Time spent in HTTP calls and reading their JSON so far (the benchmark's "raw queries").</summary>
    public TimeSpan QueryTime => _client.QueryTime;

    /// <summary>HTTP calls made so far.</summary>
    public int QueryCalls => _client.Calls;

    private bool HasSettings => _present.Contains(SettingsFamily) || _present.Contains(PgwatchSettingsFamily);

    public string SettingsOrigin => _present.Contains(SettingsFamily) ? $"{Name} (pg_settings_* series)" : $"{Name} ({PgwatchSettingsFamily} series)";

    public IReadOnlyList<SettingSample> Settings => _settings ??= ReadSettings();

    // ---- opening: which families, which cluster, which stretch, which step

    private static IRecordedHistory Open(HistoryProbe probe, HistoryUse use, HistoryOptions options)
    {
        _ = use; // what it cannot show, HistorySources.Open says from Shows
        var query = options.Prometheus ?? new PrometheusQuery();
        var client = new PrometheusClient(probe.Url!, query, probe.Target);
        try
        {
            return Discover(probe.Target, client, query, options);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static PrometheusHistory Discover(string name, PrometheusClient client, PrometheusQuery query, HistoryOptions options)
    {
        var endMs = (query.End ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() / 1000 * 1000;
        var rangeMs = Math.Max(1000, (long)query.Range.TotalMilliseconds);
        var match = query.Match is { Length: > 0 } m ? m.Trim().TrimStart('{').TrimEnd('}').Trim() : "";
        var window = $"{rangeMs / 1000}s";

        // Which series exist for the matchers over the range: one call, "count by labels" of each family's last value.
        var names = string.Join('|', AllFamilies);
        var found = client.Query($"count by (__name__, {string.Join(", ", ClusterLabels)}) (last_over_time({{__name__=~\"{names}\"{(match.Length > 0 ? "," + match : "")}}}[{window}]))", endMs);
        var present = found.Select(s => s.Label("__name__")).ToHashSet(StringComparer.Ordinal);
        var head = HeadFamilies.Concat(HeadOnSlotFamilies).FirstOrDefault(present.Contains)
            ?? throw new HistorySourceException(name, HistoryProblem.Unsuitable,
                $"no series of the current WAL position in the last {Duration(query.Range)}{(match.Length > 0 ? $" matching {{{match}}}" : "")} " +
                $"(looked for {string.Join(", ", HeadFamilies.Concat(HeadOnSlotFamilies))}): postgres_exporter 0.11-0.12 exports none; " +
                "load deploy/postgres_exporter/walsim-queries.yaml with --extend.query-path, or check --match/--instance and the time range");
        var clusters = found.Where(s => s.Label("__name__") == head)
            .Select(s => string.Join(",", ClusterLabels.Where(l => s.Label(l).Length > 0).Select(l => $"{l}=\"{s.Label(l)}\"")))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (clusters.Count > 1)
            throw new HistorySourceException(name, HistoryProblem.Unsuitable,
                $"{clusters.Count} clusters have {head}: {string.Join("; ", clusters.Take(10).Select(c => "{" + c + "}"))}{(clusters.Count > 10 ? "; …" : "")}; pick one with --instance NAME or --match '{{job=\"...\"}}'");
        var cluster = string.Join(",", new[] { match, clusters[0] }.Where(p => p.Length > 0));

        long? Last(string family, string matcher = "")
        {
            var v = client.Query($"last_over_time({family}{{{matcher}{cluster}}}[{window}])", endMs);
            return v.Count > 0 && v[0].Values.Count > 0 && double.IsFinite(v[0].Values[0]) ? (long)v[0].Values[0] : null;
        }
        // pgwatch's settings_num row of one parameter (in pg_settings' unit).
        long? LastPgwatch(string setting) => present.Contains(PgwatchSettingsFamily) ? Last(PgwatchSettingsFamily, $"name=\"{setting}\",") : null;
        PgVersion? version = options.Version;
        if (version is null && (Last(VersionFamily) ?? LastPgwatch("server_version_num")) is { } num && PgVersion.TryParseReported(
                string.Create(CultureInfo.InvariantCulture, $"{num / 10000}.{num % 10000}"), out var v)) version = v;
        version ??= query.Version;
        if (version is null)
            throw new HistorySourceException(name, HistoryProblem.Unsuitable,
                $"no {VersionFamily} or {PgwatchSettingsFamily}{{name=\"server_version_num\"}} series for {{{cluster}}}: postgres_exporter exports the first unless " +
                "--no-collector.settings, pgwatch the second with its settings_num metric (in the exhaustive, full, gce and rds presets); give --pg VERSION");
        var segmentSize = (Last(SegmentSizeFamily) ?? LastPgwatch("wal_segment_size")) is { } seg && WalSegmentSize.IsValid(seg) ? new WalSegmentSize(seg)
            : query.SegmentSize ?? options.SegmentSize ?? WalSegmentSize.Default;

        // The step: the scrape interval, as the raw samples of the last hour space them.
        var stepMs = query.Step is { } given ? Math.Max(1, (long)given.TotalMilliseconds) : ScrapeInterval(client, $"{head}{{{cluster}}}", endMs, rangeMs);
        // Where the data begins: a coarse look over the range, so that a week asked of a day's data costs a day.
        var startMs = endMs - rangeMs;
        var coarse = Math.Max(stepMs, (rangeMs / 1000 + 999) / 1000 * 1000);
        var overview = client.QueryRangeChunk($"{head}{{{cluster}}}", Align(startMs, coarse), endMs, coarse);
        var first = overview.Where(s => s.Times.Count > 0).Select(s => s.Times[0]).DefaultIfEmpty(startMs).Min();
        startMs = Math.Max(startMs, first - coarse);
        startMs = Align(startMs, stepMs);
        // pgwatch labels its wal metric with the cluster's system_identifier (tag_sys_id); postgres_exporter has none.
        var systemIdentifier = head.StartsWith("pgwatch_", StringComparison.Ordinal)
            && client.Query($"last_over_time({head}{{{cluster}}}[{window}])", endMs) is [var labelled, ..]
            && ulong.TryParse(labelled.Label("sys_id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0UL;
        return new PrometheusHistory(name, client, options, cluster, present, startMs, endMs, stepMs, version, segmentSize, systemIdentifier);
    }

    private static long Align(long ms, long step) => ms / step * step;

    /// <summary>The median spacing of the raw samples in the last hour of the range (15 s when there are too few).</summary>
    private static long ScrapeInterval(PrometheusClient client, string selector, long endMs, long rangeMs)
    {
        var seconds = Math.Min(3600, rangeMs / 1000);
        var raw = client.Query($"{selector}[{seconds}s]", endMs);
        var gaps = raw.SelectMany(s => s.Times.Zip(s.Times.Skip(1), (a, b) => b - a)).Where(d => d > 0).Order().ToList();
        return gaps.Count == 0 ? 15_000 : Math.Max(1000, (gaps[gaps.Count / 2] + 500) / 1000 * 1000);
    }

    private static string Duration(TimeSpan t) => t.TotalDays >= 1 && t.TotalDays == Math.Floor(t.TotalDays) ? $"{t.TotalDays:0}d"
        : t.TotalHours >= 1 && t.TotalHours == Math.Floor(t.TotalHours) ? $"{t.TotalHours:0}h" : $"{t.TotalSeconds:0}s";

    // ---- frames

    /// <summary>
    /// One frame per scrape of the current WAL position, read a chunk of at most
    /// <see cref="PrometheusClient.MaxPointsPerSeries"/> steps at a time (three queries per chunk: the scrape times, the
    /// server's series, the slots' series) so that a month of history never sits in memory. A frame's time is the
    /// scrape's own (<c>timestamp()</c>), not the grid's, and a grid point that repeats the last scrape (Prometheus
    /// looks back five minutes) is no new frame. Its sample number is its grid point's, from 1.
    /// </summary>
    public IEnumerable<SampleFrame> Frames()
    {
        var lastScrape = long.MinValue;
        var chunk = _stepMs * PrometheusClient.MaxPointsPerSeries;
        // The next chunk's queries run while this chunk's frames are built and used (on two cores, the JSON of a
        // month of a hundred slots is read in the time the frames take rather than on top of it).
        Task<Chunk>? next = Task.Run(() => Fetch(_startMs, Math.Min(_endMs, _startMs + chunk - _stepMs)));
        for (var from = _startMs; from <= _endMs; from += chunk)
        {
            var data = next!.GetAwaiter().GetResult();
            var following = from + chunk;
            next = following <= _endMs ? Task.Run(() => Fetch(following, Math.Min(_endMs, following + chunk - _stepMs))) : null;
            // Each frame handed on as it is built: a chunk's 10,000 frames of 100 slots held at once outlived the
            // young generation and made the collector copy them.
            for (var i = 0; i < data.N; i++)
            {
                SampleFrame? frame;
                try
                {
                    frame = ChunkFrame(data, i, ref lastScrape);
                }
                catch
                {
                    next?.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed: the error in hand is the one to report
                    throw;
                }
                if (frame is not null) yield return frame;
            }
        }
    }

    /// <summary>One chunk's series on its grid: the scrape times, the WAL position, the server's series, each slot's.</summary>
    private sealed record Chunk(long From, int N, double[] Scrapes, double[] Heads, Dictionary<string, double[]> Server, List<SlotSeries> Slots);

    private Chunk Fetch(long from, long to)
    {
        var n = (int)((to - from) / _stepMs) + 1;
        var headSelector = _head is not null ? $"{_head}{{{_cluster}}}" : $"max({_headOnSlot}{{{_cluster}}})";
        var scrapes = Grid(_client.QueryRangeChunk($"timestamp({(_head is not null ? headSelector : $"{_headOnSlot}{{{_cluster}}}")})", from, to, _stepMs), from, n, max: true);
        var heads = Grid(_client.QueryRangeChunk(headSelector, from, to, _stepMs), from, n, max: true);

        var serverFamilies = new[] { InsertFamily, RedoFamily, CheckpointLsnFamily, CheckpointTimeFamily, TimelineFamily, OldestFamily, NewestFamily, _files, _bytes }
            .Where(f => f is not null && _present.Contains(f)).Cast<string>().ToList();
        var server = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (serverFamilies.Count > 0)
            foreach (var g in _client.QueryRangeChunk($"{{__name__=~\"{string.Join('|', serverFamilies)}\",{_cluster}}}", from, to, _stepMs).GroupBy(s => s.Label("__name__")))
                server[g.Key] = Grid(g, from, n, max: true);

        return new Chunk(from, n, scrapes, heads, server, ReadSlots(from, to, n));
    }

    /// <summary>The frame of grid point <paramref name="i"/> of a chunk; null where no new scrape is.</summary>
    private SampleFrame? ChunkFrame(Chunk chunk, int i, ref long lastScrape)
    {
        var (scrapes, heads) = (chunk.Scrapes, chunk.Heads);
        if (double.IsNaN(scrapes[i]) || double.IsNaN(heads[i])) return null;
        var at = (long)Math.Round(scrapes[i] * 1000);
        if (at <= lastScrape) return null; // the same scrape seen again through the lookback
        var afterGap = lastScrape != long.MinValue && at - lastScrape > 10 * _stepMs;
        lastScrape = at;
        return Frame(chunk.From, i, at, afterGap, heads[i], chunk.Server, chunk.Slots);
    }

    private SampleFrame Frame(long from, int i, long atMs, bool gap, double head, Dictionary<string, double[]> server, List<SlotSeries> slots)
    {
        double Get(string family) => server.TryGetValue(family, out var a) ? a[i] : double.NaN;
        static Lsn LsnOf(double v) => double.IsFinite(v) && v >= 0 ? new Lsn((ulong)v) : Lsn.Invalid;
        var time = DateTimeOffset.FromUnixTimeMilliseconds(atMs);
        var timeline = Get(TimelineFamily) is var tl && double.IsFinite(tl) && tl > 0 ? (uint)tl : 0u;
        string? FileOf(double segno) => double.IsFinite(segno) && segno >= 0 ? SegmentSize.FileName(new SegmentNumber((ulong)segno), timeline == 0 ? 1 : timeline) : null;
        var checkpointSeconds = Get(CheckpointTimeFamily);
        var files = _files is null ? double.NaN : Get(_files);
        var bytes = _bytes is null ? double.NaN : Get(_bytes);
        var server1 = new ServerSample(
            Sample: (from - _startMs) / _stepMs + i + 1, Gap: gap, LocalTime: time, ServerTime: time, SystemIdentifier: _systemIdentifier,
            Version: Version!.Value, SegmentSize: SegmentSize, InRecovery: false, TimelineId: timeline,
            WriteLsn: LsnOf(head), InsertLsn: LsnOf(Get(InsertFamily)), ReceiveLsn: Lsn.Invalid, ReplayLsn: Lsn.Invalid,
            CheckpointLsn: LsnOf(Get(CheckpointLsnFamily)), RedoLsn: LsnOf(Get(RedoFamily)),
            // Without pg_control's time the frame says "now": the engine then takes no checkpoint as overdue.
            CheckpointTime: double.IsFinite(checkpointSeconds) ? DateTimeOffset.FromUnixTimeMilliseconds((long)(checkpointSeconds * 1000)) : time,
            PgWalFiles: double.IsFinite(files) ? (long)files : 0, PgWalBytes: new ByteCount(double.IsFinite(bytes) ? (long)bytes : 0),
            OldestWalFile: FileOf(Get(OldestFamily)), NewestWalFile: FileOf(Get(NewestFamily)),
            ArchivedCount: 0, LastArchivedWal: null, ArchiveFailedCount: 0, LastFailedWal: null, StatWalBytes: null);

        var rows = new List<SlotSample>(slots.Count);
        foreach (var s in slots)
        {
            var restart = s.Restart?[i] ?? double.NaN;
            var active = s.Active?[i] ?? double.NaN;
            if (double.IsNaN(restart) && double.IsNaN(active)) continue; // not there at this scrape
            var restartLsn = _restartLag is not null ? (double.IsFinite(restart) ? LsnOf(head - restart) : Lsn.Invalid) : LsnOf(restart);
            var safe = s.Safe?[i] ?? double.NaN;
            rows.Add(new SlotSample(s.Name, s.Kind, null, s.Database, false, active > 0, null, restartLsn,
                LsnOf(s.Confirmed?[i] is { } c && c > 0 ? c : double.NaN), s.Status?[i] is { } w and > 0 ? (WalStatus)w : null,
                // walsim's query writes NULL as -1 (an unreserved slot's real value is any negative number of bytes).
                double.IsFinite(safe) && !(_safe!.StartsWith("walsim_", StringComparison.Ordinal) && safe == -1) ? new ByteCount((long)safe) : null,
                null, null, null, null, null, null));
        }
        return new SampleFrame(server1, rows);
    }

    /// <summary>One slot's series on a chunk's grid (NaN where it was not scraped).</summary>
    private sealed record SlotSeries(string Name, SlotKind Kind, string? Database)
    {
        public double[]? Restart, Confirmed, Active, Safe;
        public byte[]? Status;
    }

    private List<SlotSeries> ReadSlots(long from, long to, int n)
    {
        var families = new[] { _restart ?? _restartLag, _confirmed, _active, _safe, _status }.Where(f => f is not null).Cast<string>().ToList();
        if (families.Count == 0) return [];
        var bySlot = new Dictionary<string, SlotSeries>(StringComparer.Ordinal);
        foreach (var series in _client.QueryRangeChunk($"{{__name__=~\"{string.Join('|', families)}\",{_cluster}}}", from, to, _stepMs))
        {
            var name = series.Label("slot_name");
            if (!bySlot.TryGetValue(name, out var slot))
            {
                var type = series.Label("slot_type");
                var db = series.Label("database");
                var logical = type.Length > 0 ? type == "logical" : series.Labels.ContainsKey("plugin") ? series.Label("plugin") != "physical" : db.Length > 0;
                bySlot[name] = slot = new SlotSeries(name, logical ? SlotKind.Logical : SlotKind.Physical, db.Length > 0 ? db : null);
            }
            var family = series.Label("__name__");
            if (family == (_restart ?? _restartLag)) slot.Restart = Grid([series], from, n, max: true);
            else if (family == _confirmed) slot.Confirmed = Grid([series], from, n, max: true);
            else if (family == _active) slot.Active = Grid([series], from, n, max: true);
            else if (family == _safe) slot.Safe = Grid([series], from, n, max: true);
            else if (family == _status) MergeStatus(slot, series, from, n);
        }
        return [.. bySlot.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>walsim's status series holds the status as a number; the exporters' hold 1 on a series per status
    /// (a slot whose status changed has two, for a scrape or two both seen through the lookback: the worse wins).</summary>
    private void MergeStatus(SlotSeries slot, PromSeries series, long from, int n)
    {
        slot.Status ??= new byte[n];
        var label = series.Label("wal_status");
        var code = label switch { "reserved" => WalStatus.Reserved, "extended" => WalStatus.Extended, "unreserved" => WalStatus.Unreserved, "lost" => WalStatus.Lost, _ => WalStatus.Null };
        for (var k = 0; k < series.Times.Count; k++)
        {
            var i = (int)((series.Times[k] - from) / _stepMs);
            if (i < 0 || i >= n || !double.IsFinite(series.Values[k])) continue;
            var status = label.Length > 0 ? (series.Values[k] > 0 ? (byte)code : (byte)0) : (byte)Math.Clamp(series.Values[k], 0, 4);
            slot.Status[i] = Math.Max(slot.Status[i], status);
        }
    }

    /// <summary>The series' points on the chunk's grid; where several series give a point, the largest wins.</summary>
    private double[] Grid(IEnumerable<PromSeries> series, long from, int n, bool max)
    {
        var grid = new double[n];
        Array.Fill(grid, double.NaN);
        foreach (var s in series)
            for (var k = 0; k < s.Times.Count; k++)
            {
                var i = (int)((s.Times[k] - from) / _stepMs);
                if (i < 0 || i >= n) continue;
                var v = s.Values[k];
                grid[i] = double.IsNaN(grid[i]) || (max && v > grid[i]) ? v : grid[i];
            }
        return grid;
    }

    /// <summary>The first scrape showing each slot with wal_status = lost.</summary>
    public IEnumerable<RecordedSlotLoss> SlotLosses()
    {
        if (_status is null) yield break;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Frames())
            foreach (var slot in f.Slots)
                if (slot.WalStatus == WalStatus.Lost && seen.Add(slot.Name))
                    yield return new RecordedSlotLoss(slot.Name, f.Server.ServerTime, slot.RestartLsn.IsValid ? slot.RestartLsn : null, null,
                        $"{Name} scrape at {f.Server.ServerTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}");
    }

    // ---- settings

    /// <summary>
    /// The settings walsim models, over the whole stretch at a step coarse enough for one query per family: a row at
    /// the first point (sample 0: in force from the start) and one at each change, numbered with the grid point it
    /// was first seen at. From postgres_exporter's <c>pg_settings_*</c> series (sizes in bytes, times in seconds,
    /// booleans 0/1; it leaves the enums out, which walsim-queries.yaml's <c>walsim_setting_info</c> adds), else from
    /// pgwatch's <c>settings_num</c> (pg_settings' own units; enums as positions in <c>enumvals</c>).
    /// </summary>
    private List<SettingSample> ReadSettings()
    {
        var step = Math.Max(_stepMs, ((_endMs - _startMs) / (PrometheusClient.MaxPointsPerSeries - 1) + _stepMs - 1) / _stepMs * _stepMs);
        var end = Align(_endMs - _startMs, step) + _startMs;
        var rows = new List<SettingSample>();
        void Add(string name, IEnumerable<(long Ms, string Value, string? Unit)> points)
        {
            string? last = null;
            foreach (var (ms, value, unit) in points.OrderBy(p => p.Ms))
            {
                if (value == last) continue;
                var sample = last is null ? 0 : (ms - _startMs + _stepMs - 1) / _stepMs + 1;
                rows.Add(new SettingSample(sample, DateTimeOffset.FromUnixTimeMilliseconds(ms), name, value, unit));
                last = value;
            }
        }
        if (_present.Contains(SettingsFamily))
        {
            var names = GucCatalog.All.Values.Where(d => d.Kind is not (GucKind.Enum or GucKind.SlotList)).Select(d => d.Name).ToList();
            foreach (var s in _client.QueryRangeChunk($"{{__name__=~\"pg_settings_({string.Join('|', names)})(_bytes|_seconds)?\",{_cluster}}}", _startMs, end, step))
            {
                var metric = s.Label("__name__")["pg_settings_".Length..];
                var suffix = metric.EndsWith("_bytes", StringComparison.Ordinal) ? "_bytes" : metric.EndsWith("_seconds", StringComparison.Ordinal) ? "_seconds" : "";
                if (GucCatalog.All.TryGetValue(metric[..^suffix.Length], out var def))
                    Add(def.Name, s.Times.Select((t, k) => SettingText(def, suffix, s.Values[k]) switch { var (value, unit) => (t, value, unit) }));
            }
            // One series per value: the value at each point is the label of the series present then. Just after a
            // change the old series may still show through Prometheus's lookback: the one present since later wins.
            if (_present.Contains(EnumSettingsFamily))
                foreach (var g in _client.QueryRangeChunk($"{EnumSettingsFamily}{{{_cluster}}}", _startMs, end, step).GroupBy(s => s.Label("name")))
                    if (GucCatalog.All.ContainsKey(g.Key))
                        Add(g.Key, g.SelectMany(s => s.Times.Zip(RunStarts(s.Times, step), (t, since) => (t, Since: since, Value: s.Label("setting"))))
                            .GroupBy(p => p.t).Select(at => at.MaxBy(p => p.Since)).Select(p => (p.t, p.Value, (string?)null)));
        }
        else if (_present.Contains(PgwatchSettingsFamily))
        {
            var names = GucCatalog.All.Values.Where(d => d.Kind is not GucKind.SlotList).Select(d => d.Name);
            // pgwatch's presets collect settings_num every 2 hours, beyond Prometheus's 5-minute lookback: each point
            // takes the last value of the 3 hours before it.
            var window = Math.Max(3 * 3600, step / 1000);
            foreach (var s in _client.QueryRangeChunk($"last_over_time({PgwatchSettingsFamily}{{name=~\"{string.Join('|', names)}\",{_cluster}}}[{window}s])", _startMs, end, step))
                if (GucCatalog.All.TryGetValue(s.Label("name"), out var def) && def.Kind is not GucKind.SlotList)
                    Add(def.Name, s.Times.Select((t, k) => (t, Text: PgwatchText(def, s.Values[k])))
                        .Where(p => p.Text is not null).Select(p => (p.t, p.Text!.Value.Value, p.Text.Value.Unit)));
        }
        if (rows.Count == 0)
            throw new HistorySourceException(Name, HistoryProblem.Unsuitable,
                $"no pg_settings_* or {PgwatchSettingsFamily} series for {{{_cluster}}}: postgres_exporter exports the first unless started with " +
                "--no-collector.settings, pgwatch the second with its settings_num metric; the settings decide when slots are lost");
        return [.. rows.OrderBy(r => r.Sample).ThenBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>For each grid point of a series, when the unbroken run of points it belongs to began.</summary>
    private static IEnumerable<long> RunStarts(List<long> times, long step)
    {
        var since = long.MinValue;
        for (var k = 0; k < times.Count; k++)
        {
            if (k == 0 || times[k] - times[k - 1] > step) since = times[k];
            yield return since;
        }
    }

    /// <summary>pgwatch's number as <c>pg_settings</c> shows the setting (setting, unit): it is pg_settings.setting
    /// itself, in the parameter's base unit; an enum's position is looked up in <see cref="EnumVals"/> (null when it
    /// is out of range).</summary>
    private static (string Value, string? Unit)? PgwatchText(GucDefinition def, double v)
    {
        var inv = CultureInfo.InvariantCulture;
        return def.Kind switch
        {
            GucKind.Boolean => (v != 0 ? "on" : "off", null),
            GucKind.Enum => EnumVals.TryGetValue(def.Name, out var vals) && v >= 1 && v <= vals.Length && v == Math.Floor(v) ? (vals[(int)v - 1], null) : null,
            GucKind.MemoryMb => (((long)v).ToString(inv), "MB"),
            GucKind.TimeSeconds => (((long)v).ToString(inv), "s"),
            _ => (v.ToString("R", inv), null),
        };
    }

    /// <summary>The exporter's value as <c>pg_settings</c> would show it (setting, unit): 67108864 bytes → 64 MB.</summary>
    private static (string Value, string? Unit) SettingText(GucDefinition def, string suffix, double v)
    {
        var inv = CultureInfo.InvariantCulture;
        if (def.Kind == GucKind.Boolean) return (v != 0 ? "on" : "off", null);
        if (suffix == "_bytes")
        {
            var bytes = (long)Math.Round(v);
            if (bytes < 0) return ("-1", null);
            return bytes % ByteCount.MiB == 0 ? ((bytes / ByteCount.MiB).ToString(inv), "MB")
                : bytes % 1024 == 0 ? ((bytes / 1024).ToString(inv), "kB") : (bytes.ToString(inv), "B");
        }
        if (suffix == "_seconds")
            return v == Math.Floor(v) ? (((long)v).ToString(inv), "s") : (((long)Math.Round(v * 1000)).ToString(inv), "ms");
        return (v.ToString("R", inv), null);
    }
}

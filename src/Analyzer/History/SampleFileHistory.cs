using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.History;

/// <summary>
/// A sample file written by <c>walsim sample</c> and its settings sidecar (<c>x.csv</c> → <c>x.settings.csv</c>): it
/// shows everything walsim reads. Recognised by its header line, whose columns <see cref="SampleFile"/> reads by name
/// in any order.
/// </summary>
public sealed class SampleFileHistory : IRecordedHistory
{
    public static readonly HistorySource Source = new(
        "a sample file written by walsim sample (a header line naming its columns: sample, server_time, …)", Recognises, Open);

    private IReadOnlyList<SettingSample>? _settings;
    private PgVersion? _version;
    private bool _versionRead;

    private SampleFileHistory(string path)
    {
        Name = path;
        SettingsPath = SampleFile.SettingsPath(path);
    }

    public string Name { get; }
    public string Kind => "sample file";
    public string Readings => "samples";
    public HistoryEvidence Shows => HistoryEvidence.All;

    /// <summary>The settings sidecar beside the file.</summary>
    public string SettingsPath { get; }

    public string SettingsOrigin => SettingsPath;

    /// <summary>The version of the first sample (a file holds one major version); null for a file of only a header.</summary>
    public PgVersion? Version
    {
        get
        {
            if (_versionRead) return _version;
            foreach (var row in SampleFile.Read(Name)) { _version = row.Server.Version; break; }
            _versionRead = true;
            return _version;
        }
    }

    /// <summary>The sidecar's rows, read once.</summary>
    public IReadOnlyList<SettingSample> Settings => _settings ??= ReadSettings();

    public IEnumerable<SampleFrame> Frames() => SampleFrames.Group(SampleFile.Read(Name));

    /// <summary>The first sample showing each slot with wal_status = lost (or an invalidation reason, 17+).</summary>
    public IEnumerable<RecordedSlotLoss> SlotLosses()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Frames())
            foreach (var slot in f.Slots)
                if ((slot.WalStatus == WalStatus.Lost || slot.InvalidationReason is not null) && seen.Add(slot.Name))
                    yield return new RecordedSlotLoss(slot.Name, f.Server.ServerTime, slot.RestartLsn.IsValid ? slot.RestartLsn : null, null,
                        $"{Name} sample {f.Server.Sample}");
    }

    /// <summary>At least two of the sample file's column names in the header line: a file walsim wrote, or one whose
    /// header another tool rewrote (the reader then names any column missing). The settings sidecar is recognised too,
    /// to be refused with a pointer to its sample file.</summary>
    private static bool Recognises(HistoryProbe probe) =>
        probe.Lines.Count > 0 && HeaderNames(probe.Lines[0]).Count(SampleCsv.Columns.Contains) >= 2;

    private static IRecordedHistory Open(HistoryProbe probe, HistoryUse use, HistoryOptions options)
    {
        _ = options; // a sample file records everything the options could tell
        var names = HeaderNames(probe.Lines[0]);
        if (SampleCsv.SettingsColumns.All(names.Contains) && !names.Contains("server_time"))
            throw new HistorySourceException(probe.Target, HistoryProblem.Unsuitable,
                "this is the settings sidecar of a sample file (sample, local_time, name, value, unit); give the sample file beside it");
        var history = new SampleFileHistory(probe.Target);
        if (use.Needs.HasFlag(HistoryEvidence.Settings)) history.CheckSidecar();
        return history;
    }

    private static List<string> HeaderNames(string line) =>
        [.. line.Split(',').Select(n => n.Trim().Trim('"'))];

    /// <summary>The one place a missing sidecar is reported.</summary>
    private void CheckSidecar()
    {
        if (!File.Exists(SettingsPath))
            throw new HistorySourceException(SettingsPath, HistoryProblem.Missing,
                $"no such file: walsim sample writes the settings of {Name} beside it, as {Path.GetFileName(SettingsPath)}; keep the two files together");
    }

    private IReadOnlyList<SettingSample> ReadSettings()
    {
        CheckSidecar();
        // An empty sidecar (no bytes, or a header alone) is no file walsim sample wrote: it writes every setting at
        // the first sample. Read as "no settings", the model would run on defaults and be blamed for the difference.
        var rows = new FileInfo(SettingsPath).Length == 0 ? [] : SampleFile.ReadSettings(SettingsPath).ToList();
        if (rows.Count == 0)
            throw new SampleFileException(SettingsPath, 0, "",
                $"no settings in it: walsim sample writes here, at the first sample and whenever one changes, the server's settings that decide WAL retention (max_wal_size, min_wal_size, wal_keep_size, max_slot_wal_keep_size, checkpoint_timeout, …), one per line as {SampleCsv.SettingsHeader}; give the sidecar written with {Name}");
        return rows;
    }
}

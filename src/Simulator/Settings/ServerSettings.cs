using System.Globalization;

namespace Walsim.Simulator.Settings;

/// <summary>Whether WAL archiving is on (<c>archive_mode</c>).</summary>
public enum ArchiveMode { Off, On, Always }

/// <summary>
/// The retention-relevant configuration of one server, in base units, valid for one version. Built from the
/// version's defaults plus overrides with <see cref="Create"/>; changed with <see cref="With"/> (a reload).
/// </summary>
public sealed record ServerSettings
{
    public required RetentionPolicy Policy { get; init; }
    public required WalSegmentSize SegmentSize { get; init; }
    public long MaxWalSizeMb { get; init; }
    public long MinWalSizeMb { get; init; }
    /// <summary><c>wal_keep_segments</c> (12 only; 0 on 13+).</summary>
    public long WalKeepSegments { get; init; }
    /// <summary><c>wal_keep_size</c> in MB (13+; 0 on 12).</summary>
    public long WalKeepSizeMb { get; init; }
    /// <summary><c>max_slot_wal_keep_size</c> in MB; -1 = unlimited (always -1 on 12).</summary>
    public long MaxSlotWalKeepSizeMb { get; init; } = -1;
    public SimDuration CheckpointTimeout { get; init; }
    public double CheckpointCompletionTarget { get; init; }
    public bool WalRecycle { get; init; } = true;
    public ArchiveMode ArchiveMode { get; init; }
    public SimDuration ArchiveTimeout { get; init; }
    /// <summary><c>idle_replication_slot_timeout</c> (18); zero = off.</summary>
    public SimDuration IdleReplicationSlotTimeout { get; init; }
    public long MaxReplicationSlots { get; init; } = 10;
    public string WalLevel { get; init; } = "replica";
    public bool LogCheckpoints { get; init; }
    /// <summary><c>synchronized_standby_slots</c> (17+): physical slots whose standbys must have flushed WAL before a
    /// failover slot's consumer is sent it (<c>StandbySlotsHaveCaughtup</c>).</summary>
    public IReadOnlyList<string> SynchronizedStandbySlots { get; init; } = [];

    /// <summary>The raw values as the user gave them (for reports and error messages).</summary>
    public IReadOnlyDictionary<string, string> Raw { get; init; } = new Dictionary<string, string>();

    /// <summary><c>CalculateCheckpointSegments</c>: <c>max(1, floor(MBtoSegs(max_wal_size) / (1 + cct)))</c>.</summary>
    public ulong CheckPointSegments =>
        Math.Max(1UL, (ulong)Math.Floor(SegmentSize.MegabytesToSegments(MaxWalSizeMb) / (1.0 + CheckpointCompletionTarget)));

    /// <summary>Builds the settings of <paramref name="policy"/>'s version from its defaults and <paramref name="overrides"/>.</summary>
    public static ServerSettings Create(RetentionPolicy policy, WalSegmentSize segmentSize,
        IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var s = new ServerSettings { Policy = policy, SegmentSize = segmentSize };
        foreach (var def in GucCatalog.All.Values.Where(d => d.ExistsIn(policy.Version)))
            s = s.Set(def.Name, def.Default(policy), raw: false);
        return s.Apply(overrides, reload: false);
    }

    /// <summary>Applies changed values (an edited postgresql.conf + reload) and checks the cross-field rules.</summary>
    public ServerSettings With(IEnumerable<KeyValuePair<string, string>> changes) => Apply(changes, reload: true);

    private ServerSettings Apply(IEnumerable<KeyValuePair<string, string>> changes, bool reload)
    {
        var s = this;
        foreach (var (name, value) in changes)
        {
            if (reload && GucCatalog.All.TryGetValue(name, out var def) && def.RestartOnly && def.ExistsIn(Policy.Version)
                && GucCatalog.TryParse(def, value, out var wanted, out _)
                && GucCatalog.TryParse(def, Raw.TryGetValue(name, out var now) ? now : def.Default(Policy), out var current, out _)
                && wanted != current)
                throw new SettingException(name, $"parameter \"{name}\" cannot be changed without restarting the server (a set: is a reload); give it under settings:");
            s = s.Set(name, value, raw: true);
        }
        s.Validate();
        return s;
    }

    private ServerSettings Set(string name, string text, bool raw)
    {
        if (!GucCatalog.All.TryGetValue(name, out var def))
            throw new SettingException(name, $"unrecognized configuration parameter \"{name}\" (walsim knows: {string.Join(", ", GucCatalog.All.Keys.Order())})");
        if (!def.ExistsIn(Policy.Version))
        {
            var hint = def.Note is null ? "" : $" ({def.Note})";
            throw new SettingException(name, $"PostgreSQL {Policy.Version} has no parameter \"{name}\"{hint}");
        }
        if (!GucCatalog.TryParse(def, text, out var v, out var error))
            throw new SettingException(name, error!);
        var rawMap = raw ? new Dictionary<string, string>(Raw) { [name] = text } : Raw;
        var s = this with { Raw = rawMap };
        return name switch
        {
            "max_wal_size" => s with { MaxWalSizeMb = (long)v },
            "min_wal_size" => s with { MinWalSizeMb = (long)v },
            "wal_keep_segments" => s with { WalKeepSegments = (long)v },
            "wal_keep_size" => s with { WalKeepSizeMb = (long)v },
            "max_slot_wal_keep_size" => s with { MaxSlotWalKeepSizeMb = (long)v },
            "checkpoint_timeout" => s with { CheckpointTimeout = SimDuration.FromSeconds(v) },
            "checkpoint_completion_target" => s with { CheckpointCompletionTarget = v },
            "wal_recycle" => s with { WalRecycle = v != 0 },
            "archive_mode" => s with { ArchiveMode = (ArchiveMode)(int)v },
            "archive_timeout" => s with { ArchiveTimeout = SimDuration.FromSeconds(v) },
            "idle_replication_slot_timeout" => s with { IdleReplicationSlotTimeout = SimDuration.FromSeconds(v) },
            "max_replication_slots" => s with { MaxReplicationSlots = (long)v },
            "wal_level" => s with { WalLevel = def.EnumValues![(int)v] },
            "log_checkpoints" => s with { LogCheckpoints = v != 0 },
            "synchronized_standby_slots" => s with { SynchronizedStandbySlots = GucCatalog.SlotListOf(text) },
            _ => throw new SettingException(name, $"walsim does not model \"{name}\""),
        };
    }

    private void Validate()
    {
        // ReadControlFile: "min_wal_size must be at least twice wal_segment_size" (and the same for max_wal_size).
        if (SegmentSize.MegabytesToSegments(MinWalSizeMb) < 2)
            throw new SettingException("min_wal_size", string.Create(CultureInfo.InvariantCulture,
                $"\"min_wal_size\" must be at least twice \"wal_segment_size\" ({2 * SegmentSize.Bytes / ByteCount.MiB}MB with {SegmentSize} segments), got {MinWalSizeMb}MB"));
        if (SegmentSize.MegabytesToSegments(MaxWalSizeMb) < 2)
            throw new SettingException("max_wal_size", string.Create(CultureInfo.InvariantCulture,
                $"\"max_wal_size\" must be at least twice \"wal_segment_size\" ({2 * SegmentSize.Bytes / ByteCount.MiB}MB with {SegmentSize} segments), got {MaxWalSizeMb}MB"));
        if (ArchiveMode != ArchiveMode.Off && WalLevel == "minimal")
            throw new SettingException("archive_mode", "WAL archival cannot be enabled when \"wal_level\" is \"minimal\"");
    }
}

/// <summary>A setting PostgreSQL would reject, or one the chosen version does not have.</summary>
public sealed class SettingException(string setting, string message) : Exception(message)
{
    public string Setting { get; } = setting;
}

using System.Globalization;

namespace Walsim.Analyzer.Reports;

/// <summary>The settings that decide WAL retention, as one version runs a scenario (defaults filled in).</summary>
public static class KeySettings
{
    /// <summary>
    /// Name → value in PostgreSQL syntax, in a fixed order: segment size, the size knobs of this version,
    /// checkpoint timing, and archiving/idle timeout only when they are on.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(Scenario scenario, RetentionPolicy policy)
    {
        var s = AtStart(scenario, policy);
        var list = new List<KeyValuePair<string, string>>
        {
            new("wal_segment_size", scenario.SegmentSize.ToString()),
            new("max_wal_size", Mb(s.MaxWalSizeMb)),
            new("min_wal_size", Mb(s.MinWalSizeMb)),
        };
        if (policy.KeepKnob == WalKeepKnob.WalKeepSegments)
            list.Add(new("wal_keep_segments", s.WalKeepSegments.ToString(CultureInfo.InvariantCulture)));
        else
            list.Add(new("wal_keep_size", Mb(s.WalKeepSizeMb)));
        if (policy.CapsSlotRetention)
            list.Add(new("max_slot_wal_keep_size", s.MaxSlotWalKeepSizeMb < 0 ? "-1" : Mb(s.MaxSlotWalKeepSizeMb)));
        list.Add(new("checkpoint_timeout", Duration(s.CheckpointTimeout)));
        list.Add(new("checkpoint_completion_target", s.CheckpointCompletionTarget.ToString(CultureInfo.InvariantCulture)));
        if (s.ArchiveMode != ArchiveMode.Off)
            list.Add(new("archive_mode", s.ArchiveMode.ToString().ToLowerInvariant()));
        if (policy.HasIdleReplicationSlotTimeout && s.IdleReplicationSlotTimeout > SimDuration.Zero)
            list.Add(new("idle_replication_slot_timeout", Duration(s.IdleReplicationSlotTimeout)));
        return list;
    }

    /// <summary>The settings <paramref name="policy"/>'s version starts the scenario with (defaults plus the scenario's values).</summary>
    public static ServerSettings AtStart(Scenario scenario, RetentionPolicy policy)
    {
        var overrides = scenario.Settings.Concat(scenario.VersionSettings
            .Where(v => v.Versions.Contains(policy.Version))
            .SelectMany(v => v.Settings));
        return ServerSettings.Create(policy, scenario.SegmentSize, overrides);
    }

    private static string Mb(long mb) => mb == 0 ? "0" : ByteCount.Format(mb * ByteCount.MiB);

    // PostgreSQL spelling (SHOW checkpoint_timeout → 5min), largest unit that divides evenly.
    private static string Duration(SimDuration d)
    {
        var s = (long)d.TotalSeconds;
        var ci = CultureInfo.InvariantCulture;
        return s == 0 ? "0" : s % 86400 == 0 ? string.Create(ci, $"{s / 86400}d")
            : s % 3600 == 0 ? string.Create(ci, $"{s / 3600}h")
            : s % 60 == 0 ? string.Create(ci, $"{s / 60}min")
            : string.Create(ci, $"{s}s");
    }
}

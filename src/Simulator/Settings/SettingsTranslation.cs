using System.Globalization;

namespace Walsim.Simulator.Settings;

/// <summary>What happened to one setting when a configuration written for one version is moved to another.</summary>
public enum TranslationKind
{
    /// <summary>Given for the source, same name and meaning on the target.</summary>
    Kept,
    /// <summary>Renamed with a unit change (<c>wal_keep_segments</c> ↔ <c>wal_keep_size</c>), converted at the segment size.</summary>
    Converted,
    /// <summary>Given for the source, but the target has no such parameter: dropped.</summary>
    Dropped,
    /// <summary>Not in the source version; the target's default applies.</summary>
    New,
    /// <summary>Not set by the scenario, and the two versions' defaults differ.</summary>
    DefaultChanged,
    /// <summary>Given for the target only (a <c>version_settings</c> range or a reload that selects it).</summary>
    TargetOnly,
}

/// <summary>One line of a settings translation: the setting, its value before and after, and why.</summary>
/// <param name="Name">The parameter on the target (the source's name when <see cref="TranslationKind.Dropped"/>).</param>
/// <param name="Kind">What happened to it.</param>
/// <param name="SourceName">The parameter on the source when it differs (a rename), else null.</param>
/// <param name="SourceValue">The value in force on the source (given or default), null when it has no such parameter.</param>
/// <param name="TargetValue">The value in force on the target, null when dropped.</param>
/// <param name="Note">A sentence for a DBA.</param>
public sealed record SettingTranslation(
    string Name, TranslationKind Kind, string? SourceName, string? SourceValue, string? TargetValue, string Note);

/// <summary>A scenario's settings moved from <see cref="Source"/> to <see cref="Target"/>.</summary>
/// <param name="Source">The version the settings were written for.</param>
/// <param name="Target">The version they are moved to.</param>
/// <param name="Settings">What the target runs with (only what is given; defaults come from the target).</param>
/// <param name="Lines">Every setting that was given, converted, dropped, new or whose default changed.</param>
public sealed record TranslatedSettings(
    PgVersion Source, PgVersion Target, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<SettingTranslation> Lines);

/// <summary>
/// Moves retention settings written for one PostgreSQL version to another (pure). Uses <see cref="GucCatalog"/>
/// for which parameters each major has and their defaults. Facts (guc.c 12–14, guc_tables.c 15+, release notes):
/// <c>wal_keep_segments</c> became <c>wal_keep_size</c> in MB in 13 (commit c3fe108c0; 13's <c>KeepLogSeg</c> keeps
/// <c>XLogMBVarToSegs(wal_keep_size_mb)</c> segments, so n segments = n × wal_segment_size MB);
/// <c>max_slot_wal_keep_size</c> appeared in 13 (default -1, no cap); <c>checkpoint_completion_target</c>'s default
/// went from 0.5 to 0.9 in 14; <c>log_checkpoints</c> defaults to on from 15; <c>idle_replication_slot_timeout</c>
/// appeared in 18 (default 0, off).
/// </summary>
public static class SettingsTranslator
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Why a parameter the source lacks matters on the target (the target's default is used).</summary>
    private static readonly IReadOnlyDictionary<string, string> NewParameterNotes = new Dictionary<string, string>
    {
        ["max_slot_wal_keep_size"] = "new in 13; default -1: slots keep WAL without limit, as on 12",
        ["wal_keep_size"] = "new in 13 (replaces wal_keep_segments)",
        ["idle_replication_slot_timeout"] = "new in 18; default 0: slots are never invalidated for being idle",
        ["synchronized_standby_slots"] = "new in 17; default empty: failover slots' consumers wait for no standby",
    };

    /// <summary>Why a parameter the target lacks is dropped.</summary>
    private static readonly IReadOnlyDictionary<string, string> DroppedNotes = new Dictionary<string, string>
    {
        ["max_slot_wal_keep_size"] = "12 has no max_slot_wal_keep_size: slots keep WAL without limit and are never invalidated",
        ["idle_replication_slot_timeout"] = "only 18 has idle_replication_slot_timeout: idle slots are never invalidated",
    };

    /// <summary>
    /// Translates <paramref name="given"/> (settings written for <paramref name="source"/>) to <paramref name="target"/>;
    /// <paramref name="targetOnly"/> are settings given for the target alone (they win over translated ones).
    /// </summary>
    public static TranslatedSettings Translate(
        IReadOnlyDictionary<string, string> given, PgVersion source, PgVersion target, WalSegmentSize segmentSize,
        IReadOnlyDictionary<string, string>? targetOnly = null)
    {
        var from = RetentionPolicy.For(source);
        var to = RetentionPolicy.For(target);
        targetOnly ??= new Dictionary<string, string>();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = new List<SettingTranslation>();

        foreach (var (name, value) in given)
        {
            if (!GucCatalog.All.TryGetValue(name, out var def) || def.ExistsIn(target))
            {
                // Unknown names are passed on: the engine rejects them with the server's message.
                result[name] = value;
                if (def is not null && !targetOnly.ContainsKey(name))
                    lines.Add(new(name, TranslationKind.Kept, null, value, value, "same parameter and unit"));
                continue;
            }
            if (Convert(name, value, segmentSize) is { } converted)
            {
                if (targetOnly.ContainsKey(converted.Name)) continue;
                result[converted.Name] = converted.Value;
                lines.Add(new(converted.Name, TranslationKind.Converted, name, value, converted.Value, converted.Note));
                continue;
            }
            lines.Add(new(name, TranslationKind.Dropped, null, value, null,
                DroppedNotes.TryGetValue(name, out var why) ? why : $"PostgreSQL {target.Major} has no parameter {name}"));
        }

        foreach (var (name, value) in targetOnly)
        {
            result[name] = value;
            var before = given.TryGetValue(name, out var g) ? g
                : GucCatalog.All.TryGetValue(name, out var d) && d.ExistsIn(source) ? d.Default(from) : null;
            lines.Add(new(name, TranslationKind.TargetOnly, null, before, value, "given for this version by the scenario"));
        }

        // Parameters the target has that nothing above set: new ones, and defaults that moved.
        foreach (var def in GucCatalog.All.Values.Where(d => d.ExistsIn(target)))
        {
            if (result.ContainsKey(def.Name)) continue;
            var targetDefault = def.Default(to);
            if (!def.ExistsIn(source))
            {
                if (lines.Any(l => l.Name == def.Name)) continue;
                lines.Add(new(def.Name, TranslationKind.New, null, null, targetDefault,
                    NewParameterNotes.TryGetValue(def.Name, out var why) ? why : $"new in {def.FirstMajor}; default {targetDefault}"));
                continue;
            }
            var sourceDefault = def.Default(from);
            if (sourceDefault != targetDefault)
                lines.Add(new(def.Name, TranslationKind.DefaultChanged, null, sourceDefault, targetDefault,
                    $"not set: the default is {sourceDefault} on {source.Major} and {targetDefault} on {target.Major}"));
        }
        return new TranslatedSettings(source, target, result, lines);
    }

    /// <summary>The renamed parameter with a unit change, or null when <paramref name="name"/> has no successor.</summary>
    private static (string Name, string Value, string Note)? Convert(string name, string value, WalSegmentSize seg)
    {
        var segMb = seg.Bytes / ByteCount.MiB;
        switch (name)
        {
            case "wal_keep_segments":
                if (!GucCatalog.TryParse(GucCatalog.All[name], value, out var segments, out _)) return null;
                // 13's KeepLogSeg keeps XLogMBVarToSegs(wal_keep_size_mb) = MB / (segment MB) segments: exact.
                var mb = (long)segments * segMb;
                return ("wal_keep_size", string.Create(Inv, $"{mb}MB"),
                    string.Create(Inv, $"renamed in 13 and given in MB: {(long)segments} segments × {segMb}MB = {mb}MB"));
            case "wal_keep_size":
                if (!GucCatalog.TryParse(GucCatalog.All[name], value, out var size, out _)) return null;
                var n = (long)Math.Ceiling(size / segMb);
                var exact = (long)size % segMb == 0;
                return ("wal_keep_segments", n.ToString(Inv),
                    string.Create(Inv, $"12 counts segments: {(long)size}MB / {segMb}MB = {n}{(exact ? "" : " (rounded up: keeps at least as much)")}"));
            default:
                return null;
        }
    }
}

using System.Globalization;

namespace Walsim.Simulator.Settings;

/// <summary>The kind of value a retention-relevant GUC takes, with its base unit.</summary>
public enum GucKind { MemoryMb, TimeSeconds, Integer, Real, Boolean, Enum, SlotList }

/// <summary>
/// One retention-relevant configuration parameter as PostgreSQL defines it (guc.c / guc_tables.c): base unit,
/// bounds, the majors that have it (<see cref="EveryMajor"/> / <see cref="NotRemoved"/> when that is all of
/// <see cref="SupportedVersions"/>) and their default. Values are parsed with PostgreSQL's own rules
/// (<c>parse_int</c>/<c>parse_real</c>/<c>convert_to_base_unit</c>): case-sensitive units, rounding to the base unit.
/// </summary>
public sealed record GucDefinition(
    string Name, GucKind Kind, double Min, double Max, int FirstMajor, int LastMajor,
    Func<RetentionPolicy, string> Default, IReadOnlyList<string>? EnumValues = null, string? Note = null,
    bool RestartOnly = false)
{
    // RestartOnly: PGC_POSTMASTER context; a reload logs "cannot be changed without restarting the server" and keeps the old value.

    /// <summary><see cref="FirstMajor"/> of a parameter every supported major has.</summary>
    public const int EveryMajor = 0;

    /// <summary><see cref="LastMajor"/> of a parameter no supported major has removed.</summary>
    public const int NotRemoved = int.MaxValue;

    public bool ExistsIn(PgVersion v) => v.Major >= FirstMajor && v.Major <= LastMajor;
}

public static class GucCatalog
{
    private const int EveryMajor = GucDefinition.EveryMajor, NotRemoved = GucDefinition.NotRemoved;

    private static GucDefinition Mb(string n, double min, string def, int first = EveryMajor, int last = NotRemoved) =>
        new(n, GucKind.MemoryMb, min, int.MaxValue, first, last, _ => def);

    public static readonly IReadOnlyDictionary<string, GucDefinition> All = new[]
    {
        Mb("max_wal_size", 2, "1024"),
        Mb("min_wal_size", 2, "80"),
        new GucDefinition("wal_keep_segments", GucKind.Integer, 0, int.MaxValue, EveryMajor, 12, _ => "0",
            Note: "renamed wal_keep_size (in MB) in 13"),
        Mb("wal_keep_size", 0, "0", first: 13),
        Mb("max_slot_wal_keep_size", -1, "-1", first: 13),
        new GucDefinition("checkpoint_timeout", GucKind.TimeSeconds, 30, 86400, EveryMajor, NotRemoved, _ => "300"),
        new GucDefinition("checkpoint_completion_target", GucKind.Real, 0, 1, EveryMajor, NotRemoved,
            p => p.DefaultCheckpointCompletionTarget.ToString(CultureInfo.InvariantCulture)),
        new GucDefinition("wal_recycle", GucKind.Boolean, 0, 1, EveryMajor, NotRemoved, _ => "on"),
        new GucDefinition("archive_mode", GucKind.Enum, 0, 0, EveryMajor, NotRemoved, _ => "off", ["off", "on", "always"], RestartOnly: true),
        new GucDefinition("archive_timeout", GucKind.TimeSeconds, 0, int.MaxValue / 2, EveryMajor, NotRemoved, _ => "0"),
        new GucDefinition("idle_replication_slot_timeout", GucKind.TimeSeconds, 0, int.MaxValue, 18, NotRemoved, _ => "0",
            Note: "new in 18"),
        new GucDefinition("max_replication_slots", GucKind.Integer, 0, 262143, EveryMajor, NotRemoved, _ => "10", RestartOnly: true),
        new GucDefinition("wal_level", GucKind.Enum, 0, 0, EveryMajor, NotRemoved, _ => "replica", ["minimal", "replica", "logical"], RestartOnly: true),
        new GucDefinition("log_checkpoints", GucKind.Boolean, 0, 1, EveryMajor, NotRemoved, p => p.DefaultLogCheckpoints ? "on" : "off"),
        new GucDefinition("synchronized_standby_slots", GucKind.SlotList, 0, 0, 17, NotRemoved, _ => "",
            Note: "new in 17: physical slots whose standbys must have flushed WAL before failover slots' consumers receive it"),
    }.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>The names of a slot-list setting's text (<c>sb1, sb2</c>), in order.</summary>
    public static IReadOnlyList<string> SlotListOf(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static readonly (string Unit, double Factor)[] MemoryUnitsToMb =
        [("B", 1.0 / (1024 * 1024)), ("kB", 1.0 / 1024), ("MB", 1), ("GB", 1024), ("TB", 1024 * 1024)];
    private static readonly (string Unit, double Factor)[] TimeUnitsToSeconds =
        [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("min", 60), ("h", 3600), ("d", 86400)];

    /// <summary>
    /// Parses <paramref name="text"/> for <paramref name="def"/> into its base unit (MB, seconds, plain number,
    /// 0/1 for booleans, index for enums). Returns an error phrased like the server's when PostgreSQL would reject it.
    /// </summary>
    public static bool TryParse(GucDefinition def, string text, out double value, out string? error)
    {
        value = 0;
        error = null;
        var t = text.Trim();
        switch (def.Kind)
        {
            case GucKind.Boolean:
                var lower = t.ToLowerInvariant();
                if (lower is "on" or "true" or "yes" or "1" or "t" or "y") { value = 1; return true; }
                if (lower is "off" or "false" or "no" or "0" or "f" or "n") { value = 0; return true; }
                error = $"parameter \"{def.Name}\" requires a Boolean value (on/off), got \"{text}\"";
                return false;
            case GucKind.SlotList:
                // A comma-separated list of slot names (check_synchronized_standby_slots: each a valid slot name).
                foreach (var name in SlotListOf(t))
                    if (!name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
                    {
                        error = $"invalid value for parameter \"{def.Name}\": \"{text}\" (\"{name}\" is not a replication slot name)";
                        return false;
                    }
                return true;
            case GucKind.Enum:
                var idx = def.EnumValues!.ToList().FindIndex(e => string.Equals(e, t, StringComparison.OrdinalIgnoreCase));
                if (idx < 0) { error = $"invalid value for parameter \"{def.Name}\": \"{text}\"; available values: {string.Join(", ", def.EnumValues!)}"; return false; }
                value = idx;
                return true;
        }

        var numEnd = 0;
        while (numEnd < t.Length && (char.IsAsciiDigit(t[numEnd]) || t[numEnd] is '.' or '-' or '+' or 'e' or 'E')
               && !(t[numEnd] is 'e' or 'E' && (numEnd + 1 >= t.Length || !(char.IsAsciiDigit(t[numEnd + 1]) || t[numEnd + 1] is '-' or '+'))))
            numEnd++;
        if (numEnd == 0 || !double.TryParse(t.AsSpan(0, numEnd), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || double.IsNaN(number) || double.IsInfinity(number))
        {
            error = $"invalid value for parameter \"{def.Name}\": \"{text}\"";
            return false;
        }
        var unit = t[numEnd..].Trim();
        (string Unit, double Factor)[]? units = def.Kind switch
        {
            GucKind.MemoryMb => MemoryUnitsToMb,
            GucKind.TimeSeconds => TimeUnitsToSeconds,
            _ => null,
        };
        if (unit.Length > 0)
        {
            if (units is null)
            {
                error = $"invalid value for parameter \"{def.Name}\": \"{text}\" (this parameter takes a plain number)";
                return false;
            }
            var match = units.Where(u => u.Unit == unit).ToList();
            if (match.Count == 0)
            {
                var names = string.Join(", ", units.Select(u => $"\"{u.Unit}\""));
                error = $"invalid value for parameter \"{def.Name}\": \"{text}\"; valid units for this parameter are {names} (case-sensitive)";
                return false;
            }
            number *= match[0].Factor;
        }
        // convert_to_base_unit rounds to the nearest base unit (12+); a fractional bare number is rounded too.
        if (def.Kind != GucKind.Real) number = Math.Round(number, MidpointRounding.ToEven);
        if (number < def.Min || number > def.Max)
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"{number} {BaseUnit(def)}is outside the valid range for parameter \"{def.Name}\" ({def.Min} .. {def.Max})");
            return false;
        }
        value = number;
        return true;
    }

    private static string BaseUnit(GucDefinition d) => d.Kind switch
    {
        GucKind.MemoryMb => "MB ",
        GucKind.TimeSeconds => "s ",
        _ => "",
    };
}

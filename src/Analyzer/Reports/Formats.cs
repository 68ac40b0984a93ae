using System.Globalization;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// How values look in machine-readable output: invariant culture always (a comma-decimal locale must not change
/// a CSV), SQL NULL as an empty cell, times as decimal seconds since the start.
/// </summary>
internal static class Formats
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Exact decimal seconds (microsecond resolution, no trailing zeros): <c>0</c>, <c>1.5</c>, <c>86400</c>.</summary>
    public static string Seconds(SimTime t) => ((decimal)t.Microseconds / 1_000_000m).ToString(Inv);

    public static string Seconds(SimTime? t) => t is { IsNever: false } v ? Seconds(v) : "";

    /// <summary>For people (summaries, the HTML report): <see cref="SimTime.Display"/>, or <c>never</c> for null.</summary>
    public static string Human(SimTime? t) => t is { } v ? v.Display() : "never";

    /// <summary>A number, or empty for null (no step, no value).</summary>
    public static string Number(long? n) => n?.ToString(Inv) ?? "";

    /// <summary>An LSN, or empty for <c>InvalidXLogRecPtr</c> (the server shows NULL).</summary>
    public static string Lsn(Lsn lsn) => lsn.IsValid ? lsn.ToString() : "";

    public static string Bool(bool b) => b ? "true" : "false";

    /// <summary><c>checkpoint_end</c>, <c>status_change</c>, ...: the enum name in snake case.</summary>
    public static string Reason(RowReason r) =>
        string.Concat(r.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>PG17's <c>invalidation_reason</c> spelling; empty when the slot is valid.</summary>
    public static string Invalidation(InvalidationCause c) => c switch
    {
        InvalidationCause.WalRemoved => "wal_removed",
        InvalidationCause.IdleTimeout => "idle_timeout",
        _ => "",
    };

    public static string Kind(SlotKind k) => k == SlotKind.Logical ? "logical" : "physical";
}

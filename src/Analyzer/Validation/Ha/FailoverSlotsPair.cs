using System.Globalization;
using Npgsql;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>
/// A primary and a streaming standby (<see cref="ReplicaSet"/>) on Debian's PostgreSQL 15, both loading
/// <c>pg_failover_slots</c> 1.2.1: the standby's worker copies the primary's logical slots every
/// <c>worker_nap_time</c> (<c>synchronize_slot_names = name_like:%</c>), and the primary's logical walsenders wait for
/// the standby's physical slot (<c>standby_slot_names</c>).
/// </summary>
public sealed class FailoverSlotsPair : IHaCluster
{
    private readonly ReplicaSet _set;

    public HaMechanism Mechanism => HaMechanism.PgFailoverSlots;
    public TimeSpan Interval { get; }
    public PgVersion Version => _set.Install.Version;
    public string Description { get; }
    public IReadOnlyList<KeyValuePair<string, string>> PrimarySettings { get; }

    private FailoverSlotsPair(ReplicaSet set, TimeSpan nap, IReadOnlyList<KeyValuePair<string, string>> primarySettings)
    {
        _set = set;
        Interval = nap;
        PrimarySettings = primarySettings;
        Description = $"pg_failover_slots 1.2.1 (worker_nap_time {nap.TotalMilliseconds:0} ms, synchronize_slot_names name_like:%, standby_slot_names {ReplicaSet.SlotName}), PostgreSQL {set.Install.Reported}";
    }

    public static async Task<FailoverSlotsPair> StartAsync(TimeSpan nap, bool keep, CancellationToken ct)
    {
        var install = PostgresInstall.Find(15, PostgresInstall.DefaultRoot(), HaEnvironment.DebianBin)
            ?? throw new ValidationEnvironmentException($"no PostgreSQL 15 in {HaEnvironment.DebianBin}");
        List<KeyValuePair<string, string>> primary =
        [
            new("wal_level", "logical"),
            new("shared_preload_libraries", "pg_failover_slots"),
            new("max_replication_slots", "10"),
            new("pg_failover_slots.standby_slot_names", ReplicaSet.SlotName),
        ];
        List<KeyValuePair<string, string>> standby =
        [
            new("pg_failover_slots.worker_nap_time", ((int)nap.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)),
            new("pg_failover_slots.synchronize_slot_names", "name_like:%"),
            new("log_min_messages", "debug1"),
        ];
        var set = await ReplicaSet.StartAsync(install, WalSegmentSize.FromMegabytes(1), primary, standby, keep, ct);
        return new FailoverSlotsPair(set, nap, primary);
    }

    public string ConnectionString(string node) => node == "a" ? _set.Primary.ConnectionString : _set.Standby.ConnectionString;

    public async Task CreateSlotAsync(NpgsqlConnection primary, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT pg_create_logical_replication_slot('{IHaCluster.SlotName}', 'test_decoding')", primary);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task SwitchoverAsync(CancellationToken ct)
    {
        // A clean stop: the walsender sends everything through the shutdown checkpoint before the primary exits.
        await _set.Primary.StopAsync(ct);
        await _set.Standby.PromoteAsync(ct);
    }

    public async Task CrashAsync(CancellationToken ct)
    {
        var postmaster = int.Parse((await File.ReadAllLinesAsync(Path.Combine(_set.Primary.DataDir, "postmaster.pid"), ct))[0], CultureInfo.InvariantCulture);
        await HaProcess.CrashPostmasterAsync(postmaster);
        await _set.Standby.PromoteAsync(ct);
    }

    public string Diagnostics()
    {
        _set.Standby.ReadLog();
        return "standby log: " + string.Join(" | ", _set.Standby.Log.Lines.Where(l => !l.Contains("DEBUG", StringComparison.Ordinal)).TakeLast(10));
    }

    public ValueTask DisposeAsync() => _set.DisposeAsync();
}

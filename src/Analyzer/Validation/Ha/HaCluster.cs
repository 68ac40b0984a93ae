using System.Globalization;
using Npgsql;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>The failover-slot mechanisms the HA harness runs on real servers.</summary>
public enum HaMechanism { Patroni, PgFailoverSlots }

/// <summary>How the primary goes away: a planned switchover or a crash (SIGKILL).</summary>
public enum HaEvent { Switchover, Crash }

/// <summary>
/// Two PostgreSQL 15 nodes, <c>a</c> (the primary) and <c>b</c> (its streaming standby), with one failover-slot
/// mechanism keeping a copy of the logical slot <see cref="SlotName"/> on <c>b</c>.
/// </summary>
public interface IHaCluster : IAsyncDisposable
{
    const string SlotName = "cdc";

    HaMechanism Mechanism { get; }
    /// <summary>What ran, for the report (versions and the mechanism's settings).</summary>
    string Description { get; }
    /// <summary>Patroni's <c>loop_wait</c> or pg_failover_slots' <c>worker_nap_time</c>: the timing noise of every comparison.</summary>
    TimeSpan Interval { get; }
    string ConnectionString(string node);
    /// <summary>The version the model runs (Debian's 15.x, modelled as the newest 15 minor walsim knows).</summary>
    PgVersion Version { get; }
    /// <summary>Makes the permanent/synchronized logical slot exist on the primary (Patroni creates it itself).</summary>
    Task CreateSlotAsync(NpgsqlConnection primary, CancellationToken ct);
    /// <summary>Planned: Patroni <c>patronictl switchover --force</c>; pg_failover_slots: <c>pg_ctl stop -m fast</c> of a,
    /// then <c>pg_ctl promote</c> of b. Returns when the command returned (not when b is writable).</summary>
    Task SwitchoverAsync(CancellationToken ct);
    /// <summary>SIGKILL of a's postmaster and backends (and its Patroni); pg_failover_slots: then <c>pg_ctl promote</c> of b.</summary>
    Task CrashAsync(CancellationToken ct);
    /// <summary>The last lines of the logs, for an error message.</summary>
    string Diagnostics();
}

/// <summary>What the harness needs installed, and where (Debian's packages; the extension built by .ci/run).</summary>
public static class HaEnvironment
{
    public const string DebianBin = "/usr/lib/postgresql/15/bin";
    public const string DebianLib = "/usr/lib/postgresql/15/lib";

    /// <summary>Why <paramref name="m"/> cannot run here, or null when everything it needs is installed.</summary>
    public static string? Missing(HaMechanism m)
    {
        var missing = new List<string>();
        if (!File.Exists(Path.Combine(DebianBin, "postgres")) || !File.Exists(Path.Combine(DebianBin, "pg_ctl")))
            missing.Add($"Debian's PostgreSQL 15 ({DebianBin}; apt-get install postgresql-15)");
        // HaDriver reads the bgwriter's running_xacts with it (the postgresql-15 package ships it).
        else if (!File.Exists(Path.Combine(DebianLib, "pg_walinspect.so")))
            missing.Add($"pg_walinspect ({DebianLib}/pg_walinspect.so; apt-get install --reinstall postgresql-15)");
        if (m == HaMechanism.Patroni)
        {
            if (!File.Exists("/usr/bin/patroni") || !File.Exists("/usr/bin/patronictl")) missing.Add("Patroni (/usr/bin/patroni; apt-get install patroni)");
            if (!File.Exists("/usr/bin/etcd")) missing.Add("etcd (/usr/bin/etcd; apt-get install etcd-server)");
        }
        else if (!File.Exists(Path.Combine(DebianLib, "pg_failover_slots.so")))
            missing.Add($"pg_failover_slots ({DebianLib}/pg_failover_slots.so; .ci/run builds it from $WALSIM_THIRD_PARTY/pg_failover_slots-1.2.1 with postgresql-server-dev-15)");
        return missing.Count == 0 ? null : "not installed: " + string.Join("; ", missing);
    }

    /// <summary>
    /// The default base port: below Linux's ephemeral range (<c>net.ipv4.ip_local_port_range</c>, 32768-60999 unless
    /// changed), from which the kernel takes the local port of every outgoing connection. A fixed port inside it can be
    /// held by any client's connection for as long as that lives (a CI run found Patroni's REST port, then 55610, taken
    /// for the whole 15 s of patience while other tests' connections were open).
    /// </summary>
    public const int DefaultBasePort = 25600;

    /// <summary>How many ports above the base the harness uses.</summary>
    public const int PortSpan = 21;

    /// <summary>The base of the harness's loopback ports (etcd client and peer, Patroni REST, PostgreSQL): <c>$WALSIM_HA_PORT</c>, default <see cref="DefaultBasePort"/>.</summary>
    public static int BasePort =>
        int.TryParse(Environment.GetEnvironmentVariable("WALSIM_HA_PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : DefaultBasePort;

    /// <summary>This machine's ephemeral port range, or null where it cannot be read (not Linux).</summary>
    public static (int Low, int High)? EphemeralPorts()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var high)
                ? (low, high) : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Refuses to start on loopback ports something else still listens on after <paramref name="patience"/> (the
    /// previous case's etcd or PostgreSQL may take a moment to exit). The harness's ports are fixed (from
    /// <see cref="BasePort"/>), and a second HA run on the same machine would otherwise find the first one's etcd and
    /// PostgreSQL there and drive a cluster that is not its own (seen as "relation "t" already exists").
    /// </summary>
    internal static async Task EnsurePortsFreeAsync(IReadOnlyList<int> ports, TimeSpan patience, CancellationToken ct)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var busy = ports.Select(p => (Port: p, Error: ListenError(p))).FirstOrDefault(x => x.Error is not null);
            if (busy.Error is null) return;
            if (waited.Elapsed >= patience)
            {
                // Inside the ephemeral range the holder may be no service at all but an outgoing connection's local end.
                var ephemeral = EphemeralPorts() is { } r && busy.Port >= r.Low && busy.Port <= r.High
                    ? string.Create(CultureInfo.InvariantCulture, $"; it lies in this machine's ephemeral range ({r.Low}-{r.High}, net.ipv4.ip_local_port_range), where any outgoing connection may hold it: choose a base outside that range")
                    : "";
                throw new ValidationEnvironmentException(string.Create(CultureInfo.InvariantCulture,
                    $"port {busy.Port} on 127.0.0.1 is in use ({busy.Error}): another HA run (validate --ha, HaRealServerTests) or another service; set WALSIM_HA_PORT to a free base port (the harness uses it and the next {PortSpan}){ephemeral}"));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    private static System.Net.Sockets.SocketError? ListenError(int port)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        try { listener.Start(); return null; }
        catch (System.Net.Sockets.SocketException e) { return e.SocketErrorCode; }
        finally { listener.Stop(); }
    }

    internal static async Task<bool> WritableAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var c = new NpgsqlConnection(connectionString);
            await c.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", c);
            return (bool)(await cmd.ExecuteScalarAsync(ct))!;
        }
        catch (NpgsqlException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

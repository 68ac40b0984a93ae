using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>
/// etcd on loopback and a two-member Patroni cluster (a, b) on Debian's PostgreSQL 15, with the permanent logical slot
/// <c>cdc</c> (test_decoding) in <c>bootstrap.dcs.slots</c>, <c>initdb --wal-segsize=1</c>, <c>hot_standby_feedback</c>,
/// and Patroni's real HA loop (<c>loop_wait</c>, <c>ttl</c>, <c>retry_timeout</c> as given). Everything runs as the
/// server user in one throwaway directory; Dispose stops Patroni (which stops PostgreSQL), then etcd, and removes it.
/// Ports: BasePort (etcd client), +1 (etcd peer), +10/+11 (REST of a/b), +20/+21 (PostgreSQL of a/b).
/// </summary>
public sealed class PatroniCluster : IHaCluster
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _dir;
    private readonly int _port;
    private readonly bool _keep;
    private readonly HaProcess _etcd;
    private readonly Dictionary<string, HaProcess> _members = new(StringComparer.Ordinal);

    public HaMechanism Mechanism => HaMechanism.Patroni;
    public TimeSpan Interval { get; }
    public TimeSpan Ttl { get; }
    public PgVersion Version { get; }
    public string Description { get; }

    private PatroniCluster(string dir, int port, bool keep, HaProcess etcd, TimeSpan loopWait, TimeSpan ttl, PgVersion version, string description)
    {
        _dir = dir;
        _port = port;
        _keep = keep;
        _etcd = etcd;
        Interval = loopWait;
        Ttl = ttl;
        Version = version;
        Description = description;
    }

    private static int PgPort(int basePort, string node) => basePort + 20 + (node == "a" ? 0 : 1);

    public string ConnectionString(string node) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = PgPort(_port, node), Username = HaProcess.RunAs ?? Environment.UserName,
        Database = "postgres", Pooling = false, CommandTimeout = 60, Timeout = 5,
    }.ConnectionString;

    /// <summary>Starts etcd, then member a (bootstraps and creates the permanent slot as leader), then b (a replica
    /// from Patroni's pg_basebackup, which copies the slot at its first HA loops); returns once b has the slot.</summary>
    public static async Task<PatroniCluster> StartAsync(TimeSpan loopWait, bool keep, CancellationToken ct)
    {
        var install = PostgresInstall.Find(15, PostgresInstall.DefaultRoot(), HaEnvironment.DebianBin)
            ?? throw new ValidationEnvironmentException($"no PostgreSQL 15 in {HaEnvironment.DebianBin}");
        var port = HaEnvironment.BasePort;
        await HaEnvironment.EnsurePortsFreeAsync([port, port + 1, port + 10, port + 11, PgPort(port, "a"), PgPort(port, "b")], TimeSpan.FromSeconds(15), ct);
        var dir = Directory.CreateTempSubdirectory("walsim-ha-patroni-").FullName;
        var runAs = HaProcess.RunAs;
        PatroniCluster? cluster = null;
        try
        {
            if (runAs is not null) await Chown(runAs, dir);
            var etcd = await HaProcess.StartAsync("etcd", dir, "/usr/bin/etcd",
            [
                "--name", "walsim", "--data-dir", Path.Combine(dir, "etcd"),
                "--listen-client-urls", Url(port), "--advertise-client-urls", Url(port),
                "--listen-peer-urls", Url(port + 1), "--initial-advertise-peer-urls", Url(port + 1),
                "--initial-cluster", $"walsim={Url(port + 1)}", "--enable-v2=true",
            ], ct);
            // Patroni requires ttl ≥ loop_wait + 2·retry_timeout; the smallest such ttl keeps a crash failover short.
            var retry = loopWait;
            var ttl = loopWait + retry + retry + TimeSpan.FromSeconds(5);
            var patroni = ToolVersion("/usr/bin/patroni");
            cluster = new PatroniCluster(dir, port, keep, etcd, loopWait, ttl, install.Version,
                $"Patroni {patroni} (loop_wait {loopWait.TotalSeconds:0} s, ttl {ttl.TotalSeconds:0} s), etcd, PostgreSQL {install.Reported}");
            foreach (var node in new[] { "a", "b" })
            {
                var conf = Path.Combine(dir, node + ".yml");
                await File.WriteAllTextAsync(conf, cluster.Config(node, install.BinDir, retry), ct);
                var data = Path.Combine(dir, node);
                if (OperatingSystem.IsWindows()) throw new ValidationEnvironmentException("the Patroni harness runs on Linux only");
                Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                if (runAs is not null) await Chown(runAs, conf, data);
                cluster._members[node] = await HaProcess.StartAsync("patroni-" + node, dir, "/usr/bin/patroni", [conf], ct);
                // a first: it must win the leader race and bootstrap; b then clones it.
                if (node == "a") await cluster.WaitAsync("a to bootstrap and lead", () => cluster.SlotExistsAsync("a", ct), ct);
            }
            await cluster.WaitAsync("b to stream and hold a copy of the permanent slot", () => cluster.SlotExistsAsync("b", ct), ct);
            return cluster;
        }
        catch
        {
            if (cluster is not null) await cluster.DisposeAsync();
            else if (!keep) TryDelete(dir);
            throw;
        }
    }

    private static string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");

    private string Config(string node, string binDir, TimeSpan retry)
    {
        var rest = _port + 10 + (node == "a" ? 0 : 1);
        var pg = PgPort(_port, node);
        var user = HaProcess.RunAs ?? Environment.UserName;
        var home = Path.Combine(_dir, node);
        var s = (TimeSpan t) => ((int)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return $$"""
            scope: walsim
            name: {{node}}
            log: {level: INFO}
            restapi: {listen: "127.0.0.1:{{rest}}", connect_address: "127.0.0.1:{{rest}}"}
            etcd: {host: "127.0.0.1:{{_port}}"}
            bootstrap:
              dcs:
                loop_wait: {{s(Interval)}}
                ttl: {{s(Ttl)}}
                retry_timeout: {{s(retry)}}
                postgresql:
                  use_slots: true
                  parameters: {wal_level: logical, hot_standby_feedback: "on", max_replication_slots: 10, max_wal_senders: 10, wal_keep_size: 0}
                slots:
                  {{IHaCluster.SlotName}}: {type: logical, database: postgres, plugin: test_decoding}
              initdb: [{encoding: UTF8}, no-locale, {wal-segsize: "1"}]
            postgresql:
              listen: "127.0.0.1:{{pg}}"
              connect_address: "127.0.0.1:{{pg}}"
              data_dir: "{{home}}/data"
              pgpass: "{{home}}/pgpass"
              bin_dir: "{{binDir}}"
              authentication:
                superuser: {username: "{{user}}"}
                replication: {username: "{{user}}"}
              pg_hba: ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]
              parameters: {unix_socket_directories: "{{home}}", fsync: "off", autovacuum: "off", log_checkpoints: "on", lc_messages: C}
            """;
    }

    public Task CreateSlotAsync(NpgsqlConnection primary, CancellationToken ct) => Task.CompletedTask; // the leader made it at bootstrap

    public async Task SwitchoverAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo(HaProcess.RunAs is null ? "/usr/bin/patronictl" : "runuser") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (HaProcess.RunAs is { } u) foreach (var x in new[] { "-u", u, "--", "/usr/bin/patronictl" }) psi.ArgumentList.Add(x);
        foreach (var x in new[] { "-c", Path.Combine(_dir, "a.yml"), "switchover", "--leader", "a", "--candidate", "b", "--force" }) psi.ArgumentList.Add(x);
        psi.Environment["HOME"] = _dir;
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync(ct);
        var output = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new ValidationEnvironmentException($"patronictl switchover failed (exit {p.ExitCode}): {(await err).Trim()} {output.Trim()}");
    }

    public async Task CrashAsync(CancellationToken ct)
    {
        // Patroni a first (else it would restart its PostgreSQL and keep the leader key), then a's postmaster and backends.
        var postmaster = int.Parse((await File.ReadAllLinesAsync(Path.Combine(_dir, "a", "data", "postmaster.pid"), ct))[0], CultureInfo.InvariantCulture);
        await HaProcess.SignalAsync("KILL", _members["a"].Pid, group: false);
        await HaProcess.CrashPostmasterAsync(postmaster);
    }

    private async Task<bool> SlotExistsAsync(string node, CancellationToken ct)
    {
        try
        {
            await using var c = new NpgsqlConnection(ConnectionString(node));
            await c.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{IHaCluster.SlotName}' AND confirmed_flush_lsn IS NOT NULL", c);
            return (long)(await cmd.ExecuteScalarAsync(ct))! > 0;
        }
        catch (NpgsqlException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private async Task WaitAsync(string what, Func<Task<bool>> done, CancellationToken ct)
    {
        if (await Poll.UntilAsync(done, Patience, TimeSpan.FromMilliseconds(500), ct)) return;
        throw new ValidationEnvironmentException($"timed out waiting for {what}; " + Diagnostics());
    }

    public string Diagnostics() => string.Join("; ", _members.Values.Append(_etcd).Select(m => $"{m.Name}: {m.Tail()}"));

    private static string ToolVersion(string patroni)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(patroni, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return text.Split(' ').Last();
        }
        catch (System.ComponentModel.Win32Exception) { return "?"; }
    }

    private static async Task Chown(string user, params string[] paths)
    {
        using var p = Process.Start("chown", new[] { "-R", user }.Concat(paths))!;
        await p.WaitForExitAsync();
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public async ValueTask DisposeAsync()
    {
        // Replica first, so the leader's shutdown does not start a failover; Patroni stops its PostgreSQL on SIGTERM.
        foreach (var m in _members.Values.Reverse()) await m.StopAsync(TimeSpan.FromSeconds(30));
        foreach (var node in new[] { "a", "b" })
        {
            var pidFile = Path.Combine(_dir, node, "data", "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pm) && HaProcess.IsRunning(pm))
                await HaProcess.CrashPostmasterAsync(pm);
        }
        await _etcd.StopAsync(TimeSpan.FromSeconds(10));
        if (!_keep) TryDelete(_dir);
    }
}

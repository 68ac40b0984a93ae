using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Walsim.Analyzer.Validation;

/// <summary>The server could not be installed, started or reached: not a disagreement with the model.</summary>
public sealed class ValidationEnvironmentException(string message) : Exception(message);

/// <summary>
/// A PostgreSQL cluster that lives for one validation run: initdb into a private temporary directory, started on a
/// unix socket only (no TCP), always stopped and removed on dispose, also after a failure. PostgreSQL refuses to
/// run as root, so when walsim runs as root the server runs as the unprivileged user <c>walsim</c> (created by
/// <c>scripts/install-postgres.sh</c>; <c>$WALSIM_PG_USER</c> overrides).
/// </summary>
public sealed class ThrowawayCluster : IAsyncDisposable
{
    private readonly PostgresInstall _install;
    private readonly string? _runAs;
    private readonly bool _keep;
    private bool _started;
    private long _logOffset;

    public string Directory { get; }
    public string DataDir => Path.Combine(Directory, "data");
    public string LogFile => Path.Combine(Directory, "server.log");
    public string ConnectionString { get; }
    public ServerLog Log { get; } = new();

    private ThrowawayCluster(PostgresInstall install, string directory, string? runAs, bool keep)
    {
        _install = install;
        Directory = directory;
        _runAs = runAs;
        _keep = keep;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = directory,
            Port = 5432,
            Username = runAs ?? Environment.UserName,
            Database = "postgres",
            Pooling = false,
            CommandTimeout = 120,
        }.ConnectionString;
    }

    /// <summary>
    /// initdb with the scenario's segment size and starts the server with <paramref name="settings"/> written to
    /// postgresql.conf (plus what validation needs: log_checkpoints, a parseable log line prefix, English messages).
    /// </summary>
    public static async Task<ThrowawayCluster> StartAsync(PostgresInstall install, WalSegmentSize segmentSize,
        IEnumerable<KeyValuePair<string, string>> settings, bool keep, CancellationToken ct)
    {
        var runAs = Environment.IsPrivilegedProcess ? Environment.GetEnvironmentVariable("WALSIM_PG_USER") is { Length: > 0 } u ? u : "walsim" : null;
        var dir = System.IO.Directory.CreateTempSubdirectory($"walsim-pg{install.Major}-").FullName;
        var cluster = new ThrowawayCluster(install, dir, runAs, keep);
        try
        {
            if (runAs is not null) await RunAsync("chown", [runAs, dir], null, ct);
            var segMb = (segmentSize.Bytes / ByteCount.MiB).ToString(CultureInfo.InvariantCulture);
            await cluster.RunToolAsync("initdb", ["-D", cluster.DataDir, $"--wal-segsize={segMb}", "-U", cluster.User,
                "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], ct);
            await File.AppendAllTextAsync(Path.Combine(cluster.DataDir, "postgresql.conf"), Conf(dir, settings), ct);
            await cluster.RunToolAsync("pg_ctl", ["-D", cluster.DataDir, "-l", cluster.LogFile, "-w", "-t", "60", "start"], ct);
            cluster._started = true;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The role the harness connects as: the server user (initdb -U).</summary>
    internal string User => _runAs ?? Environment.UserName;

    public PostgresInstall Install => _install;

    private static string Conf(string dir, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var b = new StringBuilder("\n# walsim validate\n");
        void Set(string name, string value) => b.Append(ConfLine(name, value));
        Set("listen_addresses", "");
        Set("unix_socket_directories", dir);
        Set("port", "5432");
        // The log is one of the observations: checkpoints with their counts, invalidations, in English.
        Set("log_line_prefix", "%m [%p] ");
        Set("lc_messages", "C");
        Set("logging_collector", "off");
        // Nothing may write WAL behind the scenario's back (autovacuum) or time a checkpoint on its own.
        Set("autovacuum", "off");
        Set("checkpoint_timeout", "1d");
        // Durability does not enter any retention decision; skipping fsync makes a run take seconds.
        Set("fsync", "off");
        // RemoveOldXlogFiles' cut-off ("attempting to remove WAL segments older than log file …") is a DEBUG2 line.
        Set("log_min_messages", "debug2");
        foreach (var (name, value) in settings) Set(name, value);
        Set("log_checkpoints", "on");
        return b.ToString();
    }

    public async Task<NpgsqlConnection> ConnectAsync(CancellationToken ct)
    {
        var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is terminated (57P01), the server is back when this returns.</summary>
    public Task RestartAsync(CancellationToken ct) =>
        RunToolAsync("pg_ctl", ["-D", DataDir, "-l", LogFile, "-m", "fast", "-w", "-t", "60", "restart"], ct);

    /// <summary><c>pg_ctl stop -m fast</c>: the server is down when this returns (for tests of a server that goes away).</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        await RunToolAsync("pg_ctl", ["-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop"], ct);
        _started = false;
    }

    /// <summary><c>pg_ctl start</c> after <see cref="StopAsync"/>.</summary>
    public async Task StartAgainAsync(CancellationToken ct)
    {
        await RunToolAsync("pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "start"], ct);
        _started = true;
    }

    /// <summary>
    /// A new throwaway directory for a cluster of the same install whose data directory the caller fills (a base
    /// backup of this one, <see cref="ReplicaSet"/>) and then starts with <see cref="StartCopyAsync"/>; disposed like
    /// this one (stopped, removed unless kept).
    /// </summary>
    internal async Task<ThrowawayCluster> NewSiblingAsync(string role, CancellationToken ct)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory($"walsim-pg{_install.Major}-{role}-").FullName;
        var sibling = new ThrowawayCluster(_install, dir, _runAs, _keep);
        try
        {
            if (_runAs is not null) await RunAsync("chown", [_runAs, dir], null, ct);
        }
        catch
        {
            await sibling.DisposeAsync();
            throw;
        }
        return sibling;
    }

    /// <summary>
    /// Starts a data directory the caller filled (see <see cref="NewSiblingAsync"/>): hands it to the server user
    /// (the files were written by this process) with the mode the server insists on, then <c>pg_ctl start</c>.
    /// </summary>
    internal async Task StartCopyAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsWindows())
            System.IO.File.SetUnixFileMode(DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_runAs is not null) await RunAsync("chown", ["-R", _runAs, DataDir], null, ct);
        await RunToolAsync("pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "120", "start"], ct);
        _started = true;
    }

    /// <summary>
    /// <c>pg_ctl promote -w</c>: ends recovery on a standby ("received promote request", a new timeline) and returns
    /// once the server accepts read-write connections.
    /// </summary>
    public Task PromoteAsync(CancellationToken ct) =>
        RunToolAsync("pg_ctl", ["-D", DataDir, "-w", "-t", "120", "promote"], ct);

    /// <summary>A postgresql.conf line: <c>name = 'value'</c> with the value's quotes doubled.</summary>
    internal static string ConfLine(string name, string value) =>
        $"{name} = '{value.Replace("'", "''", StringComparison.Ordinal)}'\n";

    /// <summary>Reads what the server appended to its log since the last call.</summary>
    public void ReadLog()
    {
        if (!File.Exists(LogFile)) return;
        using var f = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (f.Length <= _logOffset) return;
        f.Seek(_logOffset, SeekOrigin.Begin);
        var buffer = new byte[f.Length - _logOffset];
        f.ReadExactly(buffer);
        _logOffset += buffer.Length;
        Log.Append(Encoding.UTF8.GetString(buffer));
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> args, CancellationToken ct) =>
        RunAsync(Path.Combine(_install.BinDir, tool), args, _runAs, ct);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, string? runAs, CancellationToken ct)
    {
        var psi = runAs is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser");
        if (runAs is not null) { psi.ArgumentList.Add("-u"); psi.ArgumentList.Add(runAs); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(file); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.Environment["LC_ALL"] = "C";
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new ValidationEnvironmentException($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ValidationEnvironmentException($"could not start {file}: {e.Message}");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
            await p.WaitForExitAsync(ct);
            if (p.ExitCode != 0)
                throw new ValidationEnvironmentException(
                    $"{Path.GetFileName(file)} {string.Join(' ', args)} failed (exit {p.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}".Trim());
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            _started = false;
            // Immediate: the run is over, a shutdown checkpoint would only add lines to the log.
            try { await RunToolAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None); }
            catch (ValidationEnvironmentException) { /* already down */ }
        }
        if (!_keep)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}

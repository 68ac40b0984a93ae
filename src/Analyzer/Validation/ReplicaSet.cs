using System.Globalization;
using System.Text;
using Npgsql;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// A throwaway primary and one streaming standby of it (docs/design/failover.md §4.1–4.2), for any of PostgreSQL
/// 12–18 with only <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c> installed: the standby is made over SQL — a
/// physical slot reserved first, a low-level base backup from one open session, the data directory copied by this
/// process — because the only <c>pg_basebackup</c> here (Debian's 15) refuses newer servers. Both run on unix sockets
/// in private directories, as the server user (<c>walsim</c> when this process is root). Dispose stops and removes
/// both (standby first); with <c>keep</c> their directories stay for debugging.
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    /// <summary>The standby's physical slot on the primary, its <c>primary_slot_name</c> and <c>application_name</c>.</summary>
    public const string SlotName = "walsim_standby";

    // No operation here waits on anything slower than a server start; a loaded 2-core machine is still far inside this.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public ThrowawayCluster Primary { get; }
    public ThrowawayCluster Standby { get; }

    /// <summary>What the standby's postgresql.conf adds to the copied primary's, in order (the last value wins).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> StandbySettings { get; }

    public PostgresInstall Install => Primary.Install;

    private ReplicaSet(ThrowawayCluster primary, ThrowawayCluster standby, IReadOnlyList<KeyValuePair<string, string>> standbySettings)
    {
        Primary = primary;
        Standby = standby;
        StandbySettings = standbySettings;
    }

    /// <summary>
    /// initdb and start a primary with <paramref name="primarySettings"/>, make a standby of it with
    /// <paramref name="standbySettings"/> on top of the primary's, and return once the standby streams from the
    /// primary's slot and has reached a consistent state.
    /// </summary>
    public static async Task<ReplicaSet> StartAsync(PostgresInstall install, WalSegmentSize segmentSize,
        IEnumerable<KeyValuePair<string, string>> primarySettings, IEnumerable<KeyValuePair<string, string>> standbySettings,
        bool keep, CancellationToken ct)
    {
        var primary = await ThrowawayCluster.StartAsync(install, segmentSize, primarySettings, keep, ct);
        try
        {
            var settings = standbySettings.ToList();
            var standby = await StartStandbyAsync(primary, settings, ct);
            return new ReplicaSet(primary, standby, settings);
        }
        catch
        {
            await primary.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A streaming standby of <paramref name="primary"/> in its own throwaway directory, made over SQL:
    /// <list type="number">
    /// <item>the physical slot <see cref="SlotName"/> with <c>immediately_reserve</c>, so the primary keeps the WAL
    /// from the backup's redo on, whatever it does before the standby connects;</item>
    /// <item><c>pg_backup_start('walsim', fast => true)</c> (12–14: <c>pg_start_backup('walsim', true, false)</c>,
    /// non-exclusive) in one session, which must stay open until the stop;</item>
    /// <item>the data directory copied without what a base backup leaves out (<see cref="Excluded"/>);</item>
    /// <item><c>pg_backup_stop(true)</c> (12–14: <c>pg_stop_backup(false, true)</c>) and its <c>labelfile</c> written as
    /// <c>backup_label</c>, so recovery starts at the backup's redo, not at the primary's later checkpoints;</item>
    /// <item><c>standby.signal</c> (12+) and the standby's settings: its own socket directory,
    /// <c>primary_conninfo</c> over the primary's socket with <c>dbname</c> (17+ slot synchronization needs it),
    /// <c>primary_slot_name</c>, <c>hot_standby_feedback</c>, <c>log_checkpoints</c> and <c>log_min_messages =
    /// debug2</c> (the level of "skipping restartpoint, already performed at");</item>
    /// <item>started, and waited for until the primary reports it <c>streaming</c>.</item>
    /// </list>
    /// Dispose the standby before the primary.
    /// </summary>
    public static async Task<ThrowawayCluster> StartStandbyAsync(ThrowawayCluster primary,
        IEnumerable<KeyValuePair<string, string>> standbySettings, CancellationToken ct)
    {
        var major = primary.Install.Major;
        var standby = await primary.NewSiblingAsync("standby", ct);
        try
        {
            await using (var c = await primary.ConnectAsync(ct))
            {
                await StepDriver.ExecAsync(c, $"SELECT pg_create_physical_replication_slot('{SlotName}', true)", ct);
                await StepDriver.ExecAsync(c, major >= 15 ? "SELECT pg_backup_start('walsim', true)" : "SELECT pg_start_backup('walsim', true, false)", ct);
                CopyDataDirectory(primary.DataDir, standby.DataDir);
                // wait_for_archive: nothing is archived here, so it returns at once (with a NOTICE saying so).
                await using var stop = new NpgsqlCommand(major >= 15
                    ? "SELECT labelfile, spcmapfile FROM pg_backup_stop(true)"
                    : "SELECT labelfile, spcmapfile FROM pg_stop_backup(false, true)", c);
                await using var r = await stop.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                await File.WriteAllTextAsync(Path.Combine(standby.DataDir, "backup_label"), r.GetString(0), ct);
                if (!r.IsDBNull(1) && r.GetString(1).Length > 0)
                    await File.WriteAllTextAsync(Path.Combine(standby.DataDir, "tablespace_map"), r.GetString(1), ct);
            }
            await File.WriteAllTextAsync(Path.Combine(standby.DataDir, "standby.signal"), "", ct);
            await File.AppendAllTextAsync(Path.Combine(standby.DataDir, "postgresql.conf"), StandbyConf(primary, standby, standbySettings), ct);
            await standby.StartCopyAsync(ct);
            await WaitForStreamingAsync(primary, standby, ct);
            return standby;
        }
        catch
        {
            await standby.DisposeAsync();
            throw;
        }
    }

    private static string StandbyConf(ThrowawayCluster primary, ThrowawayCluster standby, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var conninfo = string.Create(CultureInfo.InvariantCulture,
            $"host={primary.Directory} port=5432 user={primary.User} dbname=postgres application_name={SlotName}");
        var b = new StringBuilder("\n# walsim standby\n");
        b.Append(ThrowawayCluster.ConfLine("unix_socket_directories", standby.Directory));
        b.Append(ThrowawayCluster.ConfLine("primary_conninfo", conninfo));
        b.Append(ThrowawayCluster.ConfLine("primary_slot_name", SlotName));
        b.Append(ThrowawayCluster.ConfLine("hot_standby_feedback", "on"));
        b.Append(ThrowawayCluster.ConfLine("log_min_messages", "debug2"));
        foreach (var (name, value) in settings) b.Append(ThrowawayCluster.ConfLine(name, value));
        b.Append(ThrowawayCluster.ConfLine("log_checkpoints", "on"));
        return b.ToString();
    }

    /// <summary>
    /// What a base backup leaves out of the data directory (the low-level backup procedure in the documentation;
    /// <c>excludeDirContents</c>/<c>excludeFiles</c> in basebackup.c): the contents of these directories (the
    /// directories themselves are kept, empty; pg_wal keeps its subdirectories), and these files anywhere.
    /// </summary>
    private static readonly string[] ExcludedContents =
        ["pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans"];

    private static bool Excluded(string name) =>
        name is "postmaster.pid" or "postmaster.opts" or "pg_internal.init" or "backup_label" or "tablespace_map" or "current_logfiles"
        || name.StartsWith("pgsql_tmp", StringComparison.Ordinal);

    // initdb's mode: the server refuses a data directory others can read (checkDataDir).
    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(path);
        else System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void CopyDataDirectory(string from, string to)
    {
        CreatePrivateDirectory(to);
        foreach (var dir in System.IO.Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (Excluded(name)) continue;
            if (ExcludedContents.Contains(name))
            {
                CreatePrivateDirectory(Path.Combine(to, name));
                // pg_wal/archive_status (and 17's pg_wal/summaries): recovery creates them if missing, logging that it did.
                if (name == "pg_wal")
                    foreach (var sub in System.IO.Directory.EnumerateDirectories(dir))
                        CreatePrivateDirectory(Path.Combine(to, name, Path.GetFileName(sub)));
                continue;
            }
            CopyTree(dir, Path.Combine(to, name));
        }
        foreach (var file in System.IO.Directory.EnumerateFiles(from))
            if (!Excluded(Path.GetFileName(file))) CopyFile(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static void CopyTree(string from, string to)
    {
        CreatePrivateDirectory(to);
        foreach (var dir in System.IO.Directory.EnumerateDirectories(from))
            if (!Excluded(Path.GetFileName(dir))) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        foreach (var file in System.IO.Directory.EnumerateFiles(from))
            if (!Excluded(Path.GetFileName(file))) CopyFile(file, Path.Combine(to, Path.GetFileName(file)));
    }

    // The primary runs during the copy: a file it removes meanwhile (a dropped relation) is not needed, as for
    // pg_basebackup ("file vanished"); WAL replay from the backup's redo repairs torn pages of the others.
    private static void CopyFile(string from, string to)
    {
        try { File.Copy(from, to); }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>Polls until the primary shows the standby's walsender <c>streaming</c> and the standby accepts
    /// queries with a replay position (consistent recovery state reached).</summary>
    private static async Task WaitForStreamingAsync(ThrowawayCluster primary, ThrowawayCluster standby, CancellationToken ct)
    {
        await using var p = await primary.ConnectAsync(ct);
        var streaming = await Poll.UntilAsync(async () =>
        {
            await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", p))
            {
                cmd.Parameters.AddWithValue(SlotName);
                if ((long)(await cmd.ExecuteScalarAsync(ct))! == 0) return false;
            }
            await using var s = await standby.ConnectAsync(ct);
            await using var replay = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn() IS NOT NULL", s);
            return (bool)(await replay.ExecuteScalarAsync(ct))!;
        }, Patience, TimeSpan.FromMilliseconds(50), ct);
        if (streaming) return;
        standby.ReadLog();
        throw new ValidationEnvironmentException(
            $"the standby in {standby.Directory} did not stream from the primary within {Patience.TotalSeconds:0} s; its log ends: "
            + string.Join(" | ", standby.Log.Lines.TakeLast(5)));
    }

    public async ValueTask DisposeAsync()
    {
        // The standby first: stopped while its primary still runs, it leaves no walreceiver retrying in its log.
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
    }
}

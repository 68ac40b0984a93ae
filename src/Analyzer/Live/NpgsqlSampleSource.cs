using System.Data;
using System.Globalization;
using Npgsql;
using Walsim.Analyzer.Scenarios;

namespace Walsim.Analyzer.Live;

/// <summary>Which cluster a connection reached.</summary>
/// <param name="SystemIdentifier"><c>pg_control_system().system_identifier</c>.</param>
/// <param name="Version">From <c>server_version_num</c>.</param>
/// <param name="SegmentSize"><c>wal_segment_size</c>.</param>
/// <param name="VersionText"><c>server_version</c> as the server spells it (e.g. <c>15.18 (Debian 15.18-1)</c>).</param>
public sealed record ServerIdentity(ulong SystemIdentifier, PgVersion Version, WalSegmentSize SegmentSize, string VersionText);

/// <summary>Where samples come from: a live server (<see cref="NpgsqlSampleSource"/>) or, in tests, a script.</summary>
public interface ISampleSource : IAsyncDisposable
{
    /// <summary>Opens a new connection (dropping any previous one) and identifies the server. Throws
    /// <see cref="LiveServerException"/> for an unsupported version or a missing privilege; other errors are
    /// classified by <see cref="LiveErrors.IsConnectionLoss"/>.</summary>
    Task<ServerIdentity> ConnectAsync(CancellationToken ct);

    /// <summary>Reads one sample over the current connection; <paramref name="localTime"/> is stamped on it.
    /// <see cref="ServerSample.Sample"/> and <see cref="ServerSample.Gap"/> are left for the sampler to set.</summary>
    Task<LiveSample> ReadAsync(DateTimeOffset localTime, CancellationToken ct);
}

/// <summary>
/// Samples a live server with Npgsql: one read-only REPEATABLE READ transaction per sample (so <c>now()</c> and the
/// statistics views agree within it), three statements in one round trip, only the columns the version has
/// (<see cref="LiveCatalog"/>). Needs a role with <c>pg_monitor</c> (for <c>pg_ls_waldir()</c>) or a superuser.
/// </summary>
public sealed class NpgsqlSampleSource(LiveConnection connection) : ISampleSource
{
    private NpgsqlConnection? _conn;
    private ServerIdentity? _identity;
    private LiveCatalog? _catalog;

    public async Task<ServerIdentity> ConnectAsync(CancellationToken ct)
    {
        await CloseAsync();
        var conn = new NpgsqlConnection(connection.Builder.ConnectionString);
        try
        {
            await conn.OpenAsync(ct);
            await using (var set = new NpgsqlCommand("SET default_transaction_read_only = on", conn))
                await set.ExecuteNonQueryAsync(ct);

            int versionNum;
            string versionText;
            await using (var cmd = new NpgsqlCommand("SELECT current_setting('server_version_num')::int, current_setting('server_version'), current_setting('wal_segment_size')", conn))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                versionNum = r.GetInt32(0);
                versionText = r.GetString(1);
                if (versionNum / 10000 < SupportedVersions.OldestMajor)
                    throw new LiveServerException($"{connection.Describe()} runs PostgreSQL {versionText}: walsim samples PostgreSQL {SupportedVersions.Range} ({SupportedVersions.OldestMajor - 1} and older have no pg_ls_waldir()/safe_wal_size semantics walsim models)");
                if (!LiveCatalog.Supports(versionNum / 10000))
                    throw new LiveServerException($"{connection.Describe()} runs PostgreSQL {versionText}: walsim models PostgreSQL {SupportedVersions.Range} only");
                var segText = r.GetString(2);
                if (!ValueParser.TryParseSize(segText, out var seg, out _) || !WalSegmentSize.IsValid(seg.Bytes))
                    throw new LiveServerException($"{connection.Describe()}: unexpected wal_segment_size \"{segText}\"");
                var version = new PgVersion(versionNum / 10000, versionNum % 100);
                _catalog = LiveCatalog.For(version);
                _identity = new ServerIdentity(0, version, new WalSegmentSize(seg.Bytes), versionText);
            }
            await using (var cmd = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", conn))
                _identity = _identity with { SystemIdentifier = ulong.Parse((string)(await cmd.ExecuteScalarAsync(ct))!, CultureInfo.InvariantCulture) };
            _conn = conn;
            return _identity;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await conn.DisposeAsync();
            throw Privilege(e);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    public async Task<LiveSample> ReadAsync(DateTimeOffset localTime, CancellationToken ct)
    {
        var conn = _conn ?? throw new InvalidOperationException("Connection is not open: call ConnectAsync first");
        var id = _identity!;
        var catalog = _catalog!;
        try
        {
            await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            await using var batch = new NpgsqlBatch(conn, tx)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(catalog.ServerQuery()),
                    new NpgsqlBatchCommand(catalog.SlotQuery()),
                    new NpgsqlBatchCommand(LiveCatalog.SettingsQuery) { Parameters = { new NpgsqlParameter("names", LiveCatalog.RetentionSettings.ToArray()) } },
                },
            };
            await using var r = await batch.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) throw new InvalidOperationException("the sample query returned no row");
            var server = new ServerSample(
                Sample: 0,
                Gap: false,
                LocalTime: localTime,
                ServerTime: Utc(r.GetFieldValue<DateTime>(0)),
                SystemIdentifier: id.SystemIdentifier,
                Version: id.Version,
                SegmentSize: id.SegmentSize,
                InRecovery: r.GetBoolean(1),
                TimelineId: (uint)r.GetInt64(8),
                WriteLsn: LsnAt(r, 2),
                InsertLsn: LsnAt(r, 3),
                ReceiveLsn: LsnAt(r, 4),
                ReplayLsn: LsnAt(r, 5),
                CheckpointLsn: LsnAt(r, 6),
                RedoLsn: LsnAt(r, 7),
                CheckpointTime: Utc(r.GetFieldValue<DateTime>(9)),
                PgWalFiles: r.GetInt64(15),
                PgWalBytes: new ByteCount(r.GetInt64(16)),
                OldestWalFile: TextAt(r, 17),
                NewestWalFile: TextAt(r, 18),
                ArchivedCount: r.GetInt64(10),
                LastArchivedWal: TextAt(r, 11),
                ArchiveFailedCount: r.GetInt64(12),
                LastFailedWal: TextAt(r, 13),
                StatWalBytes: r.IsDBNull(14) ? null : new ByteCount(r.GetInt64(14)));

            await r.NextResultAsync(ct);
            var slots = new List<SlotSample>();
            while (await r.ReadAsync(ct))
            {
                slots.Add(new SlotSample(
                    Name: r.GetString(0),
                    Kind: r.GetString(1) == "logical" ? SlotKind.Logical : SlotKind.Physical,
                    Plugin: TextAt(r, 2),
                    Database: TextAt(r, 3),
                    Temporary: r.GetBoolean(4),
                    Active: r.GetBoolean(5),
                    ActivePid: r.IsDBNull(6) ? null : r.GetInt32(6),
                    RestartLsn: LsnAt(r, 7),
                    ConfirmedFlushLsn: LsnAt(r, 8),
                    WalStatus: r.IsDBNull(9) ? null : ParseWalStatus(r.GetString(9)),
                    SafeWalSize: r.IsDBNull(10) ? null : new ByteCount(r.GetInt64(10)),
                    TwoPhase: BoolAt(r, 11),
                    Conflicting: BoolAt(r, 12),
                    InvalidationReason: TextAt(r, 13),
                    InactiveSince: r.IsDBNull(14) ? null : Utc(r.GetFieldValue<DateTime>(14)),
                    Failover: BoolAt(r, 15),
                    Synced: BoolAt(r, 16),
                    CatalogXmin: r.IsDBNull(17) ? null : uint.Parse(r.GetString(17), System.Globalization.CultureInfo.InvariantCulture)));
            }

            await r.NextResultAsync(ct);
            var settings = new List<ServerSetting>();
            while (await r.ReadAsync(ct)) settings.Add(new ServerSetting(r.GetString(0), r.GetString(1), TextAt(r, 2)));
            await r.DisposeAsync();
            await tx.CommitAsync(ct);
            return new LiveSample(server, slots, settings);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw Privilege(e);
        }
    }

    private LiveServerException Privilege(PostgresException e)
    {
        var role = connection.Builder.Username;
        return new LiveServerException(
            $"{connection.Describe()}: {e.MessageText}: the role \"{role}\" needs the pg_monitor role (or superuser) to sample, e.g. GRANT pg_monitor TO \"{role}\";", e);
    }

    private static WalStatus? ParseWalStatus(string s) => s switch
    {
        "reserved" => WalStatus.Reserved,
        "extended" => WalStatus.Extended,
        "unreserved" => WalStatus.Unreserved,
        "lost" => WalStatus.Lost,
        _ => null,
    };

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static Lsn LsnAt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? Lsn.Invalid : Lsn.Parse(r.GetString(i));

    private static string? TextAt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static bool? BoolAt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetBoolean(i);

    private async Task CloseAsync()
    {
        if (_conn is null) return;
        try { await _conn.DisposeAsync(); }
        catch (Exception e) when (LiveErrors.IsConnectionLoss(e)) { /* already broken */ }
        _conn = null;
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}

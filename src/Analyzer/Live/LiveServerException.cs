using Npgsql;

namespace Walsim.Analyzer.Live;

/// <summary>
/// The server cannot be sampled: it cannot be reached at the start, its version is not one walsim models, the role lacks a
/// privilege, or after a reconnect it is another cluster. The message is for the user as is (no password in it).
/// </summary>
public sealed class LiveServerException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How the sampler tells a lost connection (reconnect and go on) from a real error (stop).</summary>
public static class LiveErrors
{
    /// <summary>
    /// True for errors a reconnect can cure: network and socket errors, timeouts, and the server's own "going away"
    /// answers — class 08 (connection exception), 57P01 admin shutdown (<c>pg_ctl stop/restart -m fast</c>,
    /// <c>pg_terminate_backend</c>), 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down,
    /// in recovery before consistency), 53300 too many connections, 57014 a statement cancelled by an administrator.
    /// </summary>
    public static bool IsConnectionLoss(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.QueryCanceled,
        NpgsqlException => true, // I/O, socket, timeout, broken connection
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        InvalidOperationException when e.Message.Contains("Connection is not open", StringComparison.Ordinal) => true,
        _ => false,
    };
}

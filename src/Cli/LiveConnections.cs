namespace Walsim.Cli;

/// <summary>The connection the user named, for every command that talks to a live server.</summary>
internal static class LiveConnections
{
    /// <summary>
    /// The connection string or URI as given, or null after one line on stderr saying what is wrong with it (the
    /// caller exits with <see cref="ExitCode.UsageError"/>). The message never carries the password.
    /// </summary>
    public static LiveConnection? Create(string? input, Func<string, string?>? environment, TextWriter stderr)
    {
        try
        {
            return LiveConnection.Create(input, environment);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"walsim: {LiveConnection.ScrubConnectionString(e.Message)}");
            return null;
        }
    }

    /// <summary>", connection lost N time(s), reconnected M" for a sampling run's summary line; empty when it never was.</summary>
    public static string Losses(SamplerResult result) => result.ConnectionsLost == 0 ? ""
        : string.Create(CultureInfo.InvariantCulture, $", connection lost {result.ConnectionsLost} time(s), reconnected {result.Reconnects}");

    /// <summary>
    /// What went wrong in a run against a live server, as one line without the password and its exit code: the output
    /// or an appended history unusable (usage), the server gone or refusing (authentication failed, the database does
    /// not exist, a query rejected), a file system error, or a bug.
    /// </summary>
    public static (string Message, ExitCode Code) Failure(Exception e, LiveConnection connection) => e switch
    {
        SampleOutputException or HistorySourceException or SampleFileException => (connection.Scrub(e.Message), ExitCode.UsageError),
        LiveServerException => (connection.Scrub(e.Message), ExitCode.ServerUnavailable),
        Npgsql.NpgsqlException => ($"{connection.Describe()}: {connection.Scrub(e.Message)}", ExitCode.ServerUnavailable),
        IOException or UnauthorizedAccessException => (connection.Scrub(e.Message), ExitCode.IoError),
        _ => ($"internal error, please report it: {connection.Scrub(e.ToString())}", ExitCode.InternalError),
    };

    /// <summary>A sampling run's exit code: a run that ended while disconnected did not cover what was asked, which is
    /// said on stderr (with <paramref name="detail"/>) and is not a success.</summary>
    public static ExitCode Ended(SamplerResult result, LiveConnection connection, TextWriter stderr, string detail = "")
    {
        if (!result.EndedDisconnected) return ExitCode.Ok;
        stderr.WriteLine($"walsim: the run ended while disconnected from {connection.Describe()}{detail}");
        return ExitCode.ServerUnavailable;
    }

    /// <summary>Says <see cref="Failure"/>'s line on stderr and returns its exit code.</summary>
    public static ExitCode Failed(Exception e, LiveConnection connection, TextWriter stderr)
    {
        var (message, code) = Failure(e, connection);
        stderr.WriteLine($"walsim: {message}");
        return code;
    }
}

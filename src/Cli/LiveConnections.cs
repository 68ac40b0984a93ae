using Walsim.Analyzer.Live;

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
}

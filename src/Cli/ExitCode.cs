namespace Walsim.Cli;

/// <summary>The process exit codes of <c>walsim</c> (documented in <c>--help</c> and docs/cli.md).</summary>
public enum ExitCode
{
    /// <summary>Success; for <c>check</c>, every expectation passed.</summary>
    Ok = 0,
    /// <summary><c>check</c>: at least one expectation failed; <c>validate</c>: the model and a server disagreed.</summary>
    ExpectationsFailed = 1,
    /// <summary>A scenario file is invalid, or a version rejects its settings.</summary>
    InvalidScenario = 2,
    /// <summary>Bad command line: unknown option, missing argument, bad value, no such file.</summary>
    UsageError = 3,
    /// <summary>A report could not be written (permissions, disk full, ...).</summary>
    IoError = 4,
    /// <summary><c>validate</c>: PostgreSQL binaries are missing, or a throwaway server could not be set up;
    /// <c>sample</c>: the server cannot be reached at the start, is not 12–18, the role lacks pg_monitor, or a
    /// reconnect reached another cluster.</summary>
    ServerUnavailable = 5,
    /// <summary>A bug in walsim (the message includes a stack trace worth reporting).</summary>
    InternalError = 70,
}

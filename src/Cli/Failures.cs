using Walsim.Analyzer;
using Walsim.Simulator.Engine;

namespace Walsim.Cli;

/// <summary>A scenario that loaded but cannot run on a version (its settings or events are rejected there).</summary>
internal sealed class ScenarioRejectedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Turns exceptions into one-line messages and exit codes, so users never see a stack trace for bad input.</summary>
internal static class Failures
{
    public static ExitCode Guard(TextWriter stderr, Func<ExitCode> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ScenarioException or ScenarioRejectedException or WorkloadDataException)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.InvalidScenario;
        }
        catch (Walsim.Analyzer.Validation.ValidationEnvironmentException e)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.ServerUnavailable;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException && e is not Npgsql.PostgresException)
        {
            stderr.WriteLine($"walsim: could not talk to the throwaway server: {e.Message}");
            return ExitCode.ServerUnavailable;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("walsim: interrupted; the throwaway servers were stopped and removed");
            return ExitCode.ServerUnavailable;
        }
        catch (Exception e)
        {
            return Unexpected(stderr, e, "the scenario file");
        }
    }

    /// <summary>Runs one version, turning the engine's input errors into <see cref="ScenarioRejectedException"/>.</summary>
    public static T OnVersion<T>(Scenario scenario, PgVersion version, Func<T> run)
    {
        try
        {
            return run();
        }
        catch (SettingException e)
        {
            throw new ScenarioRejectedException($"{Where(scenario.SourceFile)}PostgreSQL {version}: {e.Setting}: {e.Message}", e);
        }
        catch (ScenarioValidationException e)
        {
            var at = e.Location.Line > 0 ? $"{e.Location}: " : Where(scenario.SourceFile);
            var field = e.Field is { Length: > 0 } f ? $"{f}: " : "";
            throw new ScenarioRejectedException($"{at}{field}PostgreSQL {version}: {e.Message}", e);
        }
    }

    /// <summary>What no command expects: a file that cannot be read or written (exit 4), or else a bug (70), which
    /// the user is asked to report with <paramref name="reportWith"/>.</summary>
    private static ExitCode Unexpected(TextWriter stderr, Exception e, string reportWith)
    {
        if (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.IoError;
        }
        stderr.WriteLine($"walsim: internal error, please report it with {reportWith}: {e}");
        return ExitCode.InternalError;
    }

    private static string Where(string file) => file.Length > 0 ? $"{file}: " : "";

    /// <summary>
    /// For the commands that read what a real server recorded (<c>replay</c>, <c>forecast</c>): a bad sample file or
    /// log names its file, line and column (exit 2), a setting the version rejects names where it came from
    /// (<paramref name="settingsOrigin"/>, <paramref name="settingError"/>), a workload that cannot be fitted says why
    /// (exit 2), files that cannot be read or written exit 4, anything else is a bug (70).
    /// </summary>
    public static ExitCode GuardInput(TextWriter stderr, string settingsOrigin, ExitCode settingError, Func<ExitCode> action) =>
        GuardInput(stderr, () => settingsOrigin, settingError, action);

    /// <summary>
    /// Opens a recorded history for <paramref name="use"/> (<see cref="HistorySources.Open"/>) and runs
    /// <paramref name="action"/> on it, guarded as <see cref="GuardInput(TextWriter, string, ExitCode, Func{ExitCode})"/>
    /// with the history's settings as the origin of a rejected setting. A missing file or sidecar, or a history that
    /// cannot serve the command, is a usage error (exit 3); a file no source recognises, an invalid one (2).
    /// </summary>
    public static ExitCode WithHistory(TextWriter stderr, string pathOrUrl, HistoryUse use, HistoryOptions options, ExitCode settingError,
        Func<IRecordedHistory, ExitCode> action)
    {
        IRecordedHistory? history = null;
        return GuardInput(stderr, () => history?.SettingsOrigin ?? pathOrUrl, settingError,
            () =>
            {
                history = HistorySources.Open(pathOrUrl, use, options);
                if (history.Without(use) is { } note) stderr.WriteLine($"walsim: note: {note}");
                return action(history);
            });
    }

    private static ExitCode GuardInput(TextWriter stderr, Func<string> settingsOrigin, ExitCode settingError, Func<ExitCode> action)
    {
        try
        {
            return action();
        }
        catch (HistorySourceException e)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return e.Problem == HistoryProblem.Unrecognised ? ExitCode.InvalidScenario : ExitCode.UsageError;
        }
        catch (Exception e) when (e is InputFileException or Walsim.Analyzer.Live.WorkloadFitException or WorkloadDataException)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.InvalidScenario;
        }
        catch (SettingException e)
        {
            stderr.WriteLine($"walsim: {settingsOrigin()}: {e.Message}");
            return settingError;
        }
        catch (Exception e)
        {
            return Unexpected(stderr, e, "the input file");
        }
    }
}

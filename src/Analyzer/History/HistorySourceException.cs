namespace Walsim.Analyzer.History;

/// <summary>Why a recorded history could not be opened for a command.</summary>
public enum HistoryProblem
{
    /// <summary>Not there: no such file, a directory, a sample file's settings sidecar missing.</summary>
    Missing,
    /// <summary>There, but no source recognises what it holds (an empty file, another format).</summary>
    Unrecognised,
    /// <summary>Recognised, but it does not show what the command needs (a server log given to <c>forecast</c>).</summary>
    Unsuitable,
}

/// <summary>A file or URL given as a recorded history that walsim cannot use, and why: <c>file: reason</c>.</summary>
public sealed class HistorySourceException(string name, HistoryProblem problem, string reason, Exception? inner = null)
    : InputFileException(name, 0, 0, "", reason, columnInMessage: false, inner)
{
    public HistoryProblem Problem { get; } = problem;
}

namespace Walsim.Analyzer.Scenarios;

/// <summary>
/// A scenario file that cannot be used: unreadable, not YAML, not the scenario format, or something PostgreSQL
/// would reject. The message names the file, line, field and what was expected, e.g.
/// <c>scenarios/x.yaml:17: slots[1].consumer.lag: expected a duration like 10s or 5min, got "abc"</c>
/// (the column is kept for tools, not printed).
/// </summary>
public sealed class ScenarioException(string file, int line, int column, string field, string reason, Exception? inner = null)
    : InputFileException(file, line, column, field, reason, columnInMessage: false, inner)
{
    public SourceLocation Location => new(File, Line, Column);
}

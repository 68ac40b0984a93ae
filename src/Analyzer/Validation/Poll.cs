namespace Walsim.Analyzer.Validation;

/// <summary>
/// Waiting for a server by asking it again and again — replay reaching a position, a walsender streaming, a line in
/// the log — rather than sleeping for a guessed time, so a run is as fast as the server and still patient on a loaded
/// machine.
/// </summary>
internal static class Poll
{
    /// <summary>Asks <paramref name="reached"/> every <paramref name="interval"/> until it answers true (returns true),
    /// or until <paramref name="patience"/> has passed (returns false, after asking once more at the end).</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> reached, TimeSpan patience, TimeSpan interval, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (await reached()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(interval, ct);
        }
    }
}

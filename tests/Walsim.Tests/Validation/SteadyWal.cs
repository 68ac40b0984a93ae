using System.Diagnostics;
using Npgsql;
using Walsim.Analyzer.Validation;

namespace Walsim.Tests.Validation;

/// <summary>The write load of the real-server tests that need a steady WAL rate (backtest, watch, Prometheus).</summary>
internal static class SteadyWal
{
    /// <summary>
    /// <paramref name="bytesPerSecond"/> in logical messages (no buffers dirtied: each checkpoint has nearly nothing to
    /// write), paced by the clock rather than by sleeps, so a busy machine delays a write but does not lower the rate.
    /// </summary>
    public static async Task WriteAsync(ThrowawayCluster cluster, int bytesPerSecond, CancellationToken ct)
    {
        await using var c = await cluster.ConnectAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        long written = 0;
        while (!ct.IsCancellationRequested)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * bytesPerSecond) - written;
            if (due >= 1024)
            {
                await using var cmd = new NpgsqlCommand($"SELECT pg_logical_emit_message(false, 'walsim', repeat('x', {due}))", c);
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                written += due;
            }
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { }
        }
    }
}

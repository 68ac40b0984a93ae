using Npgsql;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;
using static Walsim.Tests.Live.LiveFixtures;

namespace Walsim.Tests.Live;

/// <summary>The sampling loop on a simulated clock with a scripted source: scheduling, gaps, backoff, stopping.</summary>
public sealed class SamplerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-sampler-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ServerIdentity Identity = new(System1, new PgVersion(15, 18), WalSegmentSize.Default, "15.18");

    /// <summary>Returns a sample per read; each step of <c>script</c> can throw instead. Connects as <c>connect</c> says.</summary>
    private sealed class ScriptedSource(JumpingTime time) : ISampleSource
    {
        public Queue<Exception?> Reads { get; } = new();
        public Queue<Func<ServerIdentity>> Connects { get; } = new();
        public List<DateTimeOffset> ConnectTimes { get; } = [];
        public Action? OnRead { get; set; }

        public Task<ServerIdentity> ConnectAsync(CancellationToken ct)
        {
            ConnectTimes.Add(time.GetUtcNow());
            return Task.FromResult(Connects.Count > 0 ? Connects.Dequeue()() : Identity);
        }

        public Task<LiveSample> ReadAsync(DateTimeOffset localTime, CancellationToken ct)
        {
            OnRead?.Invoke();
            ct.ThrowIfCancellationRequested();
            if (Reads.Count > 0 && Reads.Dequeue() is { } e) throw e;
            time.Advance(TimeSpan.FromMilliseconds(5)); // the query takes a little time
            var seconds = (localTime - T0).TotalSeconds;
            return Task.FromResult(new LiveSample(Server(0, seconds) with { InsertLsn = new Lsn((ulong)(0x1000000 + seconds * 1_048_576)) },
                [Physical], [new ServerSetting("max_wal_size", "1024", "MB")]));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private (Sampler Sampler, ScriptedSource Source, JumpingTime Time, StringWriter Err, SampleFileWriter Writer) Make(
        TimeSpan interval, TimeSpan? duration, bool terminal = false, string file = "s.csv", double startSeconds = 0)
    {
        var time = new JumpingTime(T0.AddSeconds(startSeconds));
        var source = new ScriptedSource(time);
        var err = new StringWriter { NewLine = "\n" };
        var writer = SampleFileWriter.Open(Path.Combine(_dir, file), append: true);
        var sampler = new Sampler(source, writer, new SamplerOptions(interval, duration), time, new ProgressLine(err, terminal)) { ServerName = "db1" };
        return (sampler, source, time, err, writer);
    }

    private List<SampleRow> Rows(string file = "s.csv") => SampleFile.Read(Path.Combine(_dir, file)).ToList();

    [Fact]
    public async Task Samples_are_numbered_from_one_and_taken_on_the_interval_grid_including_the_end_of_the_duration()
    {
        var (sampler, _, _, _, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        using (writer)
        {
            var result = await sampler.RunAsync(CancellationToken.None);
            Assert.Equal(4, result.Samples);
            Assert.False(result.Interrupted);
        }
        var rows = Rows();
        Assert.Equal([1L, 2, 3, 4], rows.Select(r => r.Server.Sample));
        Assert.Equal([0d, 10, 20, 30], rows.Select(r => (r.Server.LocalTime - T0).TotalSeconds));
        Assert.All(rows, r => Assert.False(r.Server.Gap));
    }

    [Fact]
    public async Task A_lost_connection_marks_a_gap_on_the_next_sample_and_reconnects_at_once_then_after_1_2_4_seconds()
    {
        var (sampler, source, _, err, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        // Sample 3 fails (server restarting); the immediate reconnect and the next two fail, the fourth succeeds.
        source.Reads.Enqueue(null);
        source.Reads.Enqueue(null);
        source.Reads.Enqueue(new NpgsqlException("Exception while reading from stream"));
        source.Connects.Enqueue(() => Identity);
        foreach (var _ in Enumerable.Range(0, 3)) source.Connects.Enqueue(() => throw new NpgsqlException("Failed to connect"));
        SamplerResult result;
        using (writer) result = await sampler.RunAsync(CancellationToken.None);

        Assert.Equal((1, 1, false), (result.ConnectionsLost, result.Reconnects, result.EndedDisconnected));
        var rows = Rows();
        // No sample lost: contiguous numbers; the first one after the outage is the gap.
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), rows.Select(r => r.Server.Sample));
        Assert.Equal([false, false, true], rows.Take(3).Select(r => r.Server.Gap));
        Assert.All(rows.Skip(3), r => Assert.False(r.Server.Gap));
        var reconnectOffsets = source.ConnectTimes.Skip(1).Select(t => Math.Round((t - source.ConnectTimes[1]).TotalSeconds, 2));
        Assert.Equal([0d, 1, 3, 7], reconnectOffsets);
        Assert.Contains("connection to db1 lost (Exception while reading from stream); reconnecting", err.ToString());
        Assert.Contains("reconnected to db1 after 4 attempt(s)", err.ToString());
    }

    [Fact]
    public async Task Backoff_doubles_up_to_the_cap()
    {
        var (sampler, source, time, _, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));
        source.Reads.Enqueue(new NpgsqlException("gone"));
        source.Connects.Enqueue(() => Identity);
        foreach (var _ in Enumerable.Range(0, 8)) source.Connects.Enqueue(() => throw new NpgsqlException("refused"));
        using (writer) await sampler.RunAsync(CancellationToken.None);
        var backoffs = time.Waits.Where(w => w.TotalSeconds is 1 or 2 or 4 or 8 or 16 or 30).Take(8).Select(w => w.TotalSeconds);
        Assert.Equal([1d, 2, 4, 8, 16, 30, 30, 30], backoffs);
    }

    [Fact]
    public async Task A_different_cluster_after_reconnecting_stops_the_run_and_keeps_the_samples()
    {
        var (sampler, source, _, _, writer) = Make(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        source.Reads.Enqueue(null);
        source.Reads.Enqueue(new NpgsqlException("gone"));
        source.Connects.Enqueue(() => Identity);
        source.Connects.Enqueue(() => Identity with { SystemIdentifier = 99 });
        using (writer)
        {
            var e = await Assert.ThrowsAsync<LiveServerException>(() => sampler.RunAsync(CancellationToken.None));
            Assert.Contains("is a different cluster (system_identifier 99, was 7312345678901234567)", e.Message);
        }
        Assert.Single(Rows());
    }

    [Fact]
    public async Task Cancelling_stops_cleanly_with_every_sample_taken_so_far_on_disk()
    {
        var (sampler, source, _, _, writer) = Make(TimeSpan.FromSeconds(1), duration: null);
        using var cts = new CancellationTokenSource();
        var reads = 0;
        source.OnRead = () => { if (++reads == 6) cts.Cancel(); };
        SamplerResult result;
        using (writer) result = await sampler.RunAsync(cts.Token);
        Assert.True(result.Interrupted);
        Assert.Equal(5, result.Samples);
        Assert.Equal(5, Rows().Count);
    }

    [Fact]
    public async Task The_first_sample_of_an_appended_run_is_a_gap()
    {
        var first = Make(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        using (first.Writer) await first.Sampler.RunAsync(CancellationToken.None);
        var second = Make(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), startSeconds: 3600);
        using (second.Writer) await second.Sampler.RunAsync(CancellationToken.None);
        Assert.Equal([false, false, true, false], Rows().Select(r => r.Server.Gap));
        Assert.Equal([1L, 2, 3, 4], Rows().Select(r => r.Server.Sample));
    }

    [Fact]
    public async Task Cannot_connect_at_the_start_is_a_server_error_naming_the_server()
    {
        var (sampler, source, _, _, writer) = Make(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        source.Connects.Enqueue(() => throw new NpgsqlException("Failed to connect to 10.0.0.1:5432"));
        using (writer)
        {
            var e = await Assert.ThrowsAsync<LiveServerException>(() => sampler.RunAsync(CancellationToken.None));
            Assert.Equal("cannot connect to db1: Failed to connect to 10.0.0.1:5432", e.Message);
        }
        Assert.False(File.Exists(Path.Combine(_dir, "s.csv")));
    }

    [Fact]
    public async Task The_progress_line_rewrites_itself_on_a_terminal_with_samples_elapsed_lsn_and_rate()
    {
        var (sampler, _, _, err, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), terminal: true);
        using (writer) await sampler.RunAsync(CancellationToken.None);
        var text = err.ToString();
        Assert.StartsWith("\r1 sample, 0m00s, LSN 0/1000000, - MB/s", text, StringComparison.Ordinal);
        // 1 MiB per second of the script's clock.
        Assert.Contains("\r3 samples, 0m20s, LSN 0/2400000, 1.00 MB/s", text);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_progress_line_is_silent_when_stderr_is_redirected()
    {
        var (sampler, _, _, err, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), terminal: false);
        using (writer) await sampler.RunAsync(CancellationToken.None);
        Assert.Equal("", err.ToString());
    }

    [Fact]
    public async Task A_run_whose_duration_ends_while_disconnected_says_so()
    {
        var (sampler, source, _, _, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        source.Reads.Enqueue(null);
        source.Reads.Enqueue(new NpgsqlException("gone"));
        source.Connects.Enqueue(() => Identity);
        foreach (var _ in Enumerable.Range(0, 20)) source.Connects.Enqueue(() => throw new NpgsqlException("refused"));
        SamplerResult result;
        using (writer) result = await sampler.RunAsync(CancellationToken.None);
        Assert.Equal((1, 0, true), (result.ConnectionsLost, result.Reconnects, result.EndedDisconnected));
        Assert.Single(Rows());
    }

    [Fact]
    public async Task Without_wait_a_server_that_is_not_up_ends_the_run_at_the_first_attempt()
    {
        var (sampler, source, _, _, writer) = Make(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        source.Connects.Enqueue(() => throw new NpgsqlException("Failed to connect to 127.0.0.1:5432"));
        using (writer)
        {
            var e = await Assert.ThrowsAsync<LiveServerException>(() => sampler.RunAsync(CancellationToken.None));
            Assert.Equal("cannot connect to db1: Failed to connect to 127.0.0.1:5432", e.Message);
        }
        Assert.Single(source.ConnectTimes);
    }

    [Fact]
    public async Task With_wait_the_first_connection_is_retried_with_backoff_until_the_server_is_up()
    {
        var time = new JumpingTime(T0);
        var source = new ScriptedSource(time);
        var err = new StringWriter { NewLine = "\n" };
        using var writer = SampleFileWriter.Open(Path.Combine(_dir, "w.csv"), append: false);
        var options = new SamplerOptions(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)) { WaitForServer = TimeSpan.FromMinutes(2) };
        var sampler = new Sampler(source, writer, options, time, new ProgressLine(err, false)) { ServerName = "db1" };
        foreach (var _ in Enumerable.Range(0, 3)) source.Connects.Enqueue(() => throw new NpgsqlException("the database system is starting up"));
        var result = await sampler.RunAsync(CancellationToken.None);
        Assert.Equal([0d, 1, 3, 7], source.ConnectTimes.Select(t => (t - T0).TotalSeconds));
        Assert.Contains("db1 is up after 4 attempt(s)", err.ToString());
        Assert.Equal(3, result.Samples);
    }

    [Fact]
    public async Task With_wait_a_server_that_never_comes_up_ends_the_run_when_the_wait_is_over()
    {
        var time = new JumpingTime(T0);
        var source = new ScriptedSource(time);
        using var writer = SampleFileWriter.Open(Path.Combine(_dir, "n.csv"), append: false);
        var options = new SamplerOptions(TimeSpan.FromSeconds(10), null) { WaitForServer = TimeSpan.FromSeconds(20) };
        var sampler = new Sampler(source, writer, options, time, new ProgressLine(TextWriter.Null, false)) { ServerName = "db1" };
        foreach (var _ in Enumerable.Range(0, 50)) source.Connects.Enqueue(() => throw new NpgsqlException("refused"));
        var e = await Assert.ThrowsAsync<LiveServerException>(() => sampler.RunAsync(CancellationToken.None));
        // Attempts at 0, 1, 3, 7 and 15 s; the next would come at 31 s, past the 20 s.
        Assert.Equal("cannot connect to db1 (waited 15s, 5 attempt(s)): refused", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "n.csv")));
    }
}

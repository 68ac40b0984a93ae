using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Live;
using Walsim.Tests.Sources;

namespace Walsim.Tests.History;

/// <summary>
/// The opener recognises a recorded history by what the file holds, not its name: a sample file by its header (in any
/// column order), a server log by its first lines (stderr, csvlog, jsonlog, whatever the extension); and it says once,
/// in one message, what is missing or wrong.
/// </summary>
public sealed class HistorySourcesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-history-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A log of <c>Sources/logs/</c> (<see cref="LogFixtures.Path"/> resolves names beside its caller).</summary>
    private static string Log(string name, [System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Sources", "logs", name));

    private static string TracePath(string name, string file) =>
        RepoPaths.Of("scenarios", "traces", name, file);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Two samples with a slot each, and the sidecar beside them.</summary>
    private string Samples(string name)
    {
        var path = Write(name, LiveFixtures.Csv((LiveFixtures.Server(1), LiveFixtures.Physical), (LiveFixtures.Server(2, 10), LiveFixtures.Physical)));
        File.WriteAllText(SampleFile.SettingsPath(path), SampleCsv.SettingsHeader + "\n1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n");
        return path;
    }

    /// <summary>Every line's cells in the reverse order (RFC 4180 quoting kept: no cell of these files holds a comma).</summary>
    private static string Reversed(string csv) =>
        string.Join('\n', csv.Split('\n').Select(l => l.Length == 0 ? l : string.Join(',', l.Split(',').Reverse())));

    [Fact]
    public void A_sample_file_is_opened_with_its_sidecar_and_shows_everything()
    {
        var history = HistorySources.Open(Samples("s.csv"), HistoryUse.Forecast);
        var samples = Assert.IsType<SampleFileHistory>(history);
        Assert.Equal(("sample file", "samples", HistoryEvidence.All), (history.Kind, history.Readings, history.Shows));
        Assert.Equal(new PgVersion(15, 18), history.Version);
        Assert.Equal(samples.SettingsPath, history.SettingsOrigin);
        Assert.Equal("max_wal_size", Assert.Single(history.Settings).Name);
        Assert.Equal([1L, 2L], history.Frames().Select(f => f.Server.Sample));
        Assert.Equal("rep1", history.Frames().First().Slots.Single().Name);
    }

    [Fact]
    public void A_sample_file_with_its_columns_in_another_order_is_a_sample_file()
    {
        // The recorded 13 trace with every column reversed (slot columns first, sample last), not named .csv at all.
        var original = HistorySources.Open(TracePath("steady-batch-pg13", "samples.csv"), HistoryUse.Forecast);
        var path = Write("reversed.txt", Reversed(File.ReadAllText(TracePath("steady-batch-pg13", "samples.csv"))));
        File.Copy(TracePath("steady-batch-pg13", "samples.settings.csv"), SampleFile.SettingsPath(path));

        var history = HistorySources.Open(path, HistoryUse.ReplayDecisions);

        Assert.IsType<SampleFileHistory>(history);
        Assert.True(HistorySources.Recognises(path));
        Assert.Equal(original.Frames().Select(f => (f.Server, f.Slots.Count)), history.Frames().Select(f => (f.Server, f.Slots.Count)));
        Assert.Equal(original.Frames().Last().Slots, history.Frames().Last().Slots);
    }

    [Theory]
    [InlineData("pg15-pgbadger.log", LogFormat.Stderr)]
    [InlineData("pg17-cet-m.log", LogFormat.Stderr)]
    [InlineData("pg15-csvlog.csv", LogFormat.Csvlog)]
    [InlineData("pg17-cet-jsonlog.json", LogFormat.Jsonlog)]
    [InlineData("pg15-standby-jsonlog.json", LogFormat.Jsonlog)]
    public void A_server_log_is_recognised_by_its_lines_whatever_its_name(string fixture, LogFormat format)
    {
        foreach (var path in new[] { Log(fixture), Write("postgresql.txt", LogFixtures.Text(fixture)) })
        {
            var log = Assert.IsType<ServerLogHistory>(HistorySources.Open(path, HistoryUse.Replay));
            Assert.Equal((format, "server log", "log_checkpoints", "--set"), (log.Format, log.Kind, log.Readings, log.SettingsOrigin));
            Assert.False(log.Shows.HasFlag(HistoryEvidence.PgWalListing));
            Assert.False(log.Shows.HasFlag(HistoryEvidence.SlotPositions));
            Assert.True(log.Shows.HasFlag(HistoryEvidence.Checkpoints));
        }
    }

    [Fact]
    public void A_stderr_log_named_csv_is_read_as_stderr()
    {
        // Named like a csvlog, written by the stderr destination: the content decides.
        var path = Write("server.csv", LogFixtures.Text("pg15-pgbadger.log"));
        var log = Assert.IsType<ServerLogHistory>(HistorySources.Open(path, HistoryUse.WorkloadFit));
        Assert.Equal(LogFormat.Stderr, log.Format);
        Assert.Equal(LogFixtures.CompleteLines("pg15-pgbadger.log"), log.Events().OfType<LogCheckpoint>().Count());
    }

    [Fact]
    public void A_logs_frames_are_its_wal_positions_one_per_checkpoint()
    {
        var path = Log("pg16-pgbadger.log");
        var expected = CheckpointLogAnalysis.WalPositions(CheckpointLog.ReadEvents(path)).ToList();
        var log = HistorySources.Open(path, HistoryUse.WorkloadFit, new HistoryOptions { SegmentSize = WalSegmentSize.FromMegabytes(1) });

        var frames = log.Frames().ToList();
        Assert.Equal(expected.Count, frames.Count);
        Assert.All(frames, f => Assert.Empty(f.Slots));
        Assert.Equal(expected.Select(p => p.Observation.Position), frames.Select(f => f.Server.HeadLsn));
        Assert.Equal(expected.Select(p => p.Checkpoint.Start), frames.Select(f => f.Server.ServerTime));
        Assert.Equal(new PgVersion(16, 14), frames[0].Server.Version);
        Assert.Equal(new PgVersion(16, 14), log.Version);

        // The workload fit sees exactly the positions the log analysis derives.
        var history = WorkloadHistory.Read(log);
        Assert.Equal(("log_checkpoints", expected[0].Origin), (history.Kind, history.Origin));
        Assert.Equal(expected.Select(p => p.Observation), history.Observations);
    }

    [Fact]
    public void A_logs_settings_are_those_given_then_its_reloads()
    {
        var log = HistorySources.Open(Log("pg15-pgbadger.log"), HistoryUse.Replay,
            new HistoryOptions { Settings = new Dictionary<string, string> { ["max_wal_size"] = "4MB" } });

        var rows = log.Settings;
        Assert.Equal(("max_wal_size", "4MB", 0L), (rows[0].Name, rows[0].Value, rows[0].Sample));
        var reload = Assert.Single(rows, r => r.Name == "max_wal_size" && r.Value == "6MB");
        // Applied from the first checkpoint after the reload line.
        var frame = log.Frames().First(f => f.Server.Sample == reload.Sample);
        Assert.True(frame.Server.ServerTime >= reload.LocalTime);
        Assert.Contains(rows, r => r.Name == "max_slot_wal_keep_size" && r.Value == "-1");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    public void An_empty_file_says_it_is_empty_and_what_was_expected(string text)
    {
        var path = Write("empty.log", text);
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, HistoryUse.Replay));
        Assert.Equal(HistoryProblem.Unrecognised, e.Problem);
        Assert.StartsWith($"{path}: the file is empty: expected a sample file written by walsim sample", e.Message);
        Assert.DoesNotContain("set both in postgresql.conf", e.Message); // no server-log advice for an empty file
        Assert.False(HistorySources.Recognises(path));
    }

    [Fact]
    public void A_missing_sidecar_is_reported_once_naming_it()
    {
        var path = Samples("lonely.csv");
        File.Delete(SampleFile.SettingsPath(path));

        foreach (var use in new[] { HistoryUse.Forecast, HistoryUse.WhatIf, HistoryUse.Plan, HistoryUse.ReplayDecisions })
        {
            var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, use));
            Assert.Equal(HistoryProblem.Missing, e.Problem);
            Assert.Equal($"{SampleFile.SettingsPath(path)}: no such file: walsim sample writes the settings of {path} beside it, as lonely.settings.csv; keep the two files together", e.Message);
        }
        // A use that needs no settings does without: the write positions of a longer history, say.
        var history = HistorySources.Open(path, HistoryUse.WorkloadFit);
        Assert.Equal(2, WorkloadHistory.Read(history).Observations.Count);
        // ... until someone asks for them: the same message.
        var late = Assert.Throws<HistorySourceException>(() => history.Settings);
        Assert.Contains("lonely.settings.csv: no such file", late.Message);
    }

    [Fact]
    public void A_directory_is_not_a_history()
    {
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(_dir, HistoryUse.Replay));
        Assert.Equal(HistoryProblem.Missing, e.Problem);
        Assert.Equal($"{_dir}: is a directory: give one file (a sample file written by walsim sample, or a server log)", e.Message);
        Assert.False(HistorySources.Recognises(_dir));
    }

    [Fact]
    public void A_file_that_is_not_there_says_so()
    {
        var path = Path.Combine(_dir, "nope.csv");
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, HistoryUse.Replay));
        Assert.Equal((HistoryProblem.Missing, $"{path}: no such file or directory"), (e.Problem, e.Message));
    }

    [Fact]
    public void The_settings_sidecar_given_for_its_sample_file_points_to_it()
    {
        var path = SampleFile.SettingsPath(Samples("s.csv"));
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, HistoryUse.Replay));
        Assert.Equal(HistoryProblem.Unsuitable, e.Problem);
        Assert.Contains("this is the settings sidecar of a sample file", e.Message);
    }

    [Fact]
    public void Other_files_are_not_recognised()
    {
        var yaml = Write("scenario.yaml", "name: x\nversions: [15]\nsettings:\n  max_wal_size: 1GB\n");
        Assert.False(HistorySources.Recognises(yaml));
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(yaml, HistoryUse.Replay));
        Assert.Equal(HistoryProblem.Unrecognised, e.Problem);
        Assert.StartsWith($"{yaml}: not a recorded history walsim reads: expected a sample file", e.Message);
    }

    [Fact]
    public void A_url_is_left_to_a_source_that_reads_urls()
    {
        // Prometheus reads URLs (issue 16): the opener asks it rather than looking for a file; one that does not
        // answer is named, with what to check.
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open("http://127.0.0.1:1", HistoryUse.Forecast));
        Assert.Equal(HistoryProblem.Missing, e.Problem);
        Assert.StartsWith("http://127.0.0.1:1: cannot reach Prometheus: ", e.Message);
        Assert.True(HistorySources.Recognises("https://prometheus.example:9090"));
    }

    [Fact]
    public void A_server_log_cannot_serve_what_needs_slots_and_pg_wal_and_says_what_it_lacks()
    {
        var path = Log("pg15-pgbadger.log");
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, HistoryUse.Forecast));
        Assert.Equal(HistoryProblem.Unsuitable, e.Problem);
        Assert.Equal($"{path}: a forecast needs the redo pointer at each reading, the files in pg_wal, each slot's restart_lsn and " +
            "confirmed_flush_lsn and the settings from the start, which a server log does not show; give a sample file written by walsim " +
            "sample (a server log can give the workload: --workload-from)", e.Message);
        Assert.True(HistorySources.Open(path, HistoryUse.WorkloadFit).CanServe(HistoryUse.WorkloadFit));
    }

    private static (int Code, string Out, string Err) Walsim(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new global::Walsim.Cli.WalsimCommands(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Replay_takes_a_reordered_sample_file_for_a_sample_file_not_a_csvlog()
    {
        var path = Samples("s.csv");
        File.WriteAllText(path, Reversed(File.ReadAllText(path)));
        var (code, output, err) = Walsim("replay", path);
        // Replayed (the fixture's safe_wal_size is made up, so the model may disagree: exit 1), not refused (2, 3).
        Assert.True(code is 0 or 1, err + output);
        Assert.Contains($"Replay of {path}: PostgreSQL 15.18", output);
        Assert.Contains("2 samples (2 rows)", output);
    }

    [Fact]
    public void Whatif_and_plan_on_a_server_log_say_what_it_lacks()
    {
        foreach (var args in new[] { new[] { "whatif", Log("pg15-pgbadger.log"), "--from", "15", "--to", "16" }, ["plan", Log("pg15-pgbadger.log")] })
        {
            var (code, _, err) = Walsim(args);
            Assert.Equal((int)global::Walsim.Cli.ExitCode.UsageError, code);
            Assert.Contains("which a server log does not show", err);
        }
    }

    [Fact]
    public void An_empty_file_given_to_replay_is_invalid_input_without_log_advice()
    {
        var (code, _, err) = Walsim("replay", Write("empty.csv", ""));
        Assert.Equal((int)global::Walsim.Cli.ExitCode.InvalidScenario, code);
        Assert.Contains("the file is empty: expected a sample file", err);
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using Walsim.Analyzer.History;
using Walsim.Analyzer.Sources;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Sources;

/// <summary>
/// Every file of the corpus (<c>corpus/</c>, see its README): real captures from PostgreSQL 12–18 as collectors wrap
/// them. <c>manifest.tsv</c> holds, per file, what the capture itself shows, counted by the script that built it and
/// not by walsim: the major, the checkpoint-complete lines, the server's times of the first and last, the slot losses,
/// and what walsim must say it inferred.
/// </summary>
public sealed class LogCorpusTests
{
    private static string Dir([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "corpus");

    public sealed record Row(string File, int Major, int Checkpoints, string First, string Last, int Losses, string Notes);

    // The captures' manifest, then the third-party fixtures' (scripts/import-third-party-logs.py), whose files are in
    // third-party/ with their licences.
    private static IEnumerable<Row> Manifest() =>
        Rows("manifest.tsv", "").Concat(Rows(Path.Combine("third-party", "manifest.tsv"), "third-party/"));

    private static IEnumerable<Row> Rows(string manifest, string folder) =>
        File.ReadLines(Path.Combine(Dir(), manifest)).Skip(1).Select(l => l.Split('\t')).Select(f =>
            new Row(folder + f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4],
                int.Parse(f[5], CultureInfo.InvariantCulture), f[6]));

    // "refused:N": a file with neither checkpoints nor slot losses; walsim reads its N messages and says what is missing.
    private static int? Refused(Row row) => Figure(row, "refused:");

    // "starts:N" (third-party files): N "starting PostgreSQL" lines.
    private static int? Figure(Row row, string name) =>
        row.Notes.Split(' ').FirstOrDefault(n => n.StartsWith(name, StringComparison.Ordinal)) is { } n
            ? int.Parse(n[name.Length..], CultureInfo.InvariantCulture) : null;

    // "collapsed-level": lines with one space after the level ("LOG: "), which PostgreSQL never writes: no history
    // source recognises the file, and the refusal names the first such line.
    private static bool Collapsed(Row row, string path)
    {
        if (!row.Notes.Contains("collapsed-level", StringComparison.Ordinal)) return false;
        var e = Assert.Throws<HistorySourceException>(() => HistorySources.Open(path, HistoryUse.Replay));
        Assert.Contains("line 1 is a log line with one space after its level", e.Message, StringComparison.Ordinal);
        return true;
    }

    // The events read before the end of the file; a refused file's refusal comes at the end, after its events.
    private static (List<ServerLogEvent> Events, LogFileException? Refusal) Read(string path)
    {
        var events = new List<ServerLogEvent>();
        try
        {
            foreach (var e in CheckpointLog.ReadEvents(path)) events.Add(e);
            return (events, null);
        }
        catch (LogFileException refusal)
        {
            return (events, refusal);
        }
    }

    public static TheoryData<string> Files => [.. Manifest().Select(r => r.File)];

    private static DateTimeOffset Utc(string text) =>
        DateTimeOffset.ParseExact(text, ["yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void The_corpus_has_at_least_thirty_formats() => Assert.True(Manifest().Count() >= 30, $"{Manifest().Count()} files");

    // Every third-party fixture names its repository, path, commit and licence, and its licence text is beside it.
    [Fact]
    public void Each_third_party_fixture_cites_its_repository_path_commit_and_licence()
    {
        foreach (var line in File.ReadLines(Path.Combine(Dir(), "third-party", "manifest.tsv")).Skip(1))
        {
            var f = line.Split('\t');
            Assert.Matches(@"^[\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{12} \((PostgreSQL Licence|BSD-3-Clause)\)", f[7]);
            Assert.True(File.Exists(Path.Combine(Dir(), "third-party", f[7].StartsWith("darold/", StringComparison.Ordinal) ? "LICENSE.pgbadger" : "LICENSE.pganalyze-collector")), f[0]);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_file_gives_its_version_checkpoints_span_in_the_servers_time_and_slot_losses(string file)
    {
        var row = Manifest().Single(r => r.File == file);
        var path = Path.Combine(Dir(), file);
        if (Collapsed(row, path)) return;
        var (events, refusal) = Read(path);
        if (Refused(row) is { } messages)
            Assert.Contains($"no checkpoint lines among {messages} log messages", refusal?.Message, StringComparison.Ordinal);
        else
            Assert.Null(refusal);
        var checkpoints = events.OfType<LogCheckpoint>().ToList();
        if (file.StartsWith("third-party/", StringComparison.Ordinal))
            Assert.Equal(Figure(row, "starts:") ?? 0, events.OfType<ServerLifecycle>().Count(l => l.Kind == LifecycleKind.Starting && !l.Inferred));
        var notes = events.OfType<LogNote>().Select(n => n.Text).ToList();

        Assert.Equal(row.Checkpoints, checkpoints.Count);
        Assert.Equal(row.Losses, events.OfType<SlotLost>().Count());
        var version = events.OfType<ServerLifecycle>().Select(l => l.Version).FirstOrDefault(v => v is not null);
        if (version is not null) Assert.Equal(row.Major, int.Parse(version.Split('.')[0], CultureInfo.InvariantCulture));
        if (row.Checkpoints > 0)
        {
            var (first, last) = (Utc(row.First), Utc(row.Last));
            if (row.Notes.Contains("syslog-year", StringComparison.Ordinal))
            {
                // No year in a BSD syslog header, and whole seconds: walsim assumes a year, and says which.
                var year = checkpoints[0].Complete.Year;
                Assert.Contains(notes, n => n.Contains($"assumed {year}", StringComparison.Ordinal));
                static DateTimeOffset Whole(DateTimeOffset t, int years) => new DateTimeOffset(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, t.Offset).AddYears(years);
                (first, last) = (Whole(first, year - first.Year), Whole(last, year - first.Year));
            }
            // %t logs have whole seconds; the capture's times are what the lines say.
            Assert.Equal(first, checkpoints[0].Complete);
            Assert.Equal(last, checkpoints[^1].Complete);
        }
        if (row.Notes.Contains("collector-time", StringComparison.Ordinal) || row.Notes.Contains("syslog-year", StringComparison.Ordinal))
            Assert.Contains(notes, n => n.StartsWith("times are", StringComparison.Ordinal));
        else
            Assert.DoesNotContain(notes, n => n.StartsWith("times are", StringComparison.Ordinal));
        if (row.Notes.Contains("newest-first", StringComparison.Ordinal)) Assert.Contains(notes, n => n.Contains("newest-first", StringComparison.Ordinal));
        if (row.Notes.Contains("inferred-restart", StringComparison.Ordinal)) Assert.Contains(events.OfType<ServerLifecycle>(), l => l.Inferred);
        if (row.Notes.Contains("set", StringComparison.Ordinal)) Assert.Contains(notes, n => n.StartsWith("read 3 files in time order", StringComparison.Ordinal));
    }

    // What replay prints from the corpus: every capture has a restart in the middle; none of them is a disagreement.
    [Theory]
    [MemberData(nameof(Files))]
    public void Replaying_each_file_finds_no_disagreement(string file)
    {
        var row = Manifest().Single(r => r.File == file);
        if (Collapsed(row, Path.Combine(Dir(), file))) return;
        if (Refused(row) is not null)
        {
            Assert.Throws<LogFileException>(() => LogReplay.Run(Path.Combine(Dir(), file), null, WalSegmentSize.FromMegabytes(1), new Dictionary<string, string>()));
            return;
        }
        // The captures ran with 1 MB segments and small sizes; the third-party servers with the defaults (16 MB, and
        // min_wal_size/max_wal_size as shipped: nothing in their logs says otherwise).
        var summary = file.StartsWith("third-party/", StringComparison.Ordinal)
            ? LogReplay.Run(Path.Combine(Dir(), file), null, WalSegmentSize.FromMegabytes(16), new Dictionary<string, string>())
            : LogReplay.Run(Path.Combine(Dir(), file), null, WalSegmentSize.FromMegabytes(1),
                new Dictionary<string, string> { ["max_wal_size"] = "4MB", ["min_wal_size"] = "2MB" });
        Assert.Empty(summary.Disagreements);
        Assert.Equal(row.Losses, summary.Losses.Count);
    }

    [Fact]
    public void A_log_without_log_checkpoints_reports_each_slot_lost_with_its_time_and_the_bytes_over_the_limit()
    {
        var losses = HistorySources.Open(Path.Combine(Dir(), "pg16-nockpt.log"), HistoryUse.Replay).SlotLosses().ToList();
        var loss = Assert.Single(losses);
        Assert.Equal("stalled", loss.Slot);
        Assert.NotNull(loss.RestartLsn);
        Assert.True(loss.ExceedsBy?.Bytes > 0);
    }
}

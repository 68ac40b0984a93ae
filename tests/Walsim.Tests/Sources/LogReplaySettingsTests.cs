using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Sources;

/// <summary>
/// A server log does not say wal_segment_size, and says min_wal_size and max_wal_size only when a reload changes them,
/// yet XLOGfileslop's limit on how many files a checkpoint may recycle is min_wal_size and max_wal_size in segments.
/// A real PostgreSQL 13.23 (scenarios/histories/batch-forgotten-pg13: 1MB segments, min_wal_size 16MB, max_wal_size
/// 32MB, 3-26 MB batches) recycled up to 31 files at a checkpoint. Replayed with PostgreSQL's defaults in their place
/// (16MB segments, 80MB, 1GB), XLOGfileslop allows 5 (before 16 the log has no redo pointer, so the limit is the
/// span a distance estimate allows, clamped to min_wal_size in segments: 80MB/16MB = 5 names): a count only the
/// defaults forbid is not the model's disagreement with the server, and the replay says which settings it assumed.
/// From 16 the log's redo pointers show the segment size (SegmentSizeInference), and only min/max_wal_size are assumed.
/// </summary>
public sealed class LogReplaySettingsTests
{
    private static readonly string Log = Path.Combine(RepoPaths.Root, "scenarios", "histories", "batch-pg17", "server.log.gz");
    private static readonly string Log13 = Path.Combine(RepoPaths.Root, "scenarios", "histories", "batch-forgotten-pg13", "server.log.gz");

    [Fact]
    public void Recycling_that_only_the_default_settings_forbid_is_not_judged_and_the_assumed_settings_are_named()
    {
        var r = LogReplay.Run(Log13, null, null, new Dictionary<string, string>());

        Assert.Empty(r.Disagreements);
        Assert.True(r.Agrees);
        Assert.Equal(["wal_segment_size 16MB", "min_wal_size 80MB", "max_wal_size 1GB"], r.AssumedSettings);
        Assert.Equal(9, r.Unjudged.Count);
        Assert.Equal(43, r.RecyclingChecked);
        Assert.EndsWith("server.log.gz:58: 0 added, 31 recycled; at most 1 added and 5 recycled (span)", r.Unjudged[0]);
        var text = new StringWriter();
        LogReplay.Write(text, r);
        Assert.Contains("settings assumed (PostgreSQL's defaults: a log does not say them; give the server's with --wal-segment-size and --set NAME=VALUE): wal_segment_size 16MB, min_wal_size 80MB, max_wal_size 1GB", text.ToString());
        Assert.Contains("not judged: 9 checkpoint(s)", text.ToString());
    }

    [Fact]
    public void A_17_log_shows_its_1MB_segments_so_only_min_and_max_wal_size_are_assumed_and_every_checkpoint_is_judged()
    {
        // The same batches on 17.10: at 6 of the 32 checkpoints that retired files (the others held by the slots) the
        // count is the segments between two redo pointers at 1MB; at 1MB, min_wal_size 80MB lets XLOGfileslop recycle
        // into about 80 names, and every checkpoint is judged against the counts the server logged.
        var r = LogReplay.Run(Log, null, null, new Dictionary<string, string>());

        Assert.Equal(["min_wal_size 80MB", "max_wal_size 1GB"], r.AssumedSettings);
        Assert.Contains(r.Notes, n => n.StartsWith("wal_segment_size 1MB inferred: at 6 of 32 checkpoints", StringComparison.Ordinal));
        Assert.Empty(r.Unjudged);
        Assert.Equal((55, 55), (r.RecyclingChecked, r.RecyclingAgree));
        Assert.True(r.Agrees);
    }

    [Fact]
    public void Given_the_servers_settings_every_checkpoint_is_judged_and_agrees()
    {
        var r = LogReplay.Run(Log, null, WalSegmentSize.FromMegabytes(1),
            new Dictionary<string, string> { ["min_wal_size"] = "16MB", ["max_wal_size"] = "32MB" });

        Assert.Empty(r.AssumedSettings);
        Assert.Empty(r.Unjudged);
        Assert.Equal(55, r.RecyclingChecked);
        Assert.Equal(55, r.RecyclingAgree);
    }

    public static TheoryData<string> Histories() =>
        [.. Directory.GetDirectories(Path.Combine(RepoPaths.Root, "scenarios", "histories")).Select(d => Path.GetFileName(d)).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory, MemberData(nameof(Histories))]
    public void Each_corpus_historys_log_replayed_with_its_servers_settings_agrees_on_every_checkpoint(string history)
    {
        // The settings as the sampler read them from pg_settings when the recording began.
        var dir = Path.Combine(RepoPaths.Root, "scenarios", "histories", history);
        var rows = SampleFile.ReadSettings(Path.Combine(dir, "samples.settings.csv")).Where(r => r.Sample == 1).ToDictionary(r => r.Name);
        var r = LogReplay.Run(Path.Combine(dir, "server.log.gz"), null, new WalSegmentSize(long.Parse(rows["wal_segment_size"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            new Dictionary<string, string> { ["min_wal_size"] = rows["min_wal_size"].Value + "MB", ["max_wal_size"] = rows["max_wal_size"].Value + "MB" });

        Assert.Equal("MB", rows["min_wal_size"].Unit);
        Assert.Empty(r.Disagreements);
        Assert.Empty(r.Unjudged);
        Assert.Equal(r.Checkpoints + r.Restartpoints, r.RecyclingChecked);
        Assert.True(r.EstimatesChecked >= r.Checkpoints - 2, $"{r.EstimatesChecked} of {r.Checkpoints} estimates checked");
    }

    [Fact]
    public void Given_settings_are_held_against_the_counts_the_server_logged()
    {
        // Told max_wal_size=4MB (the real 32MB), XLOGfileslop's limit is at most segno(redo) + 3: a checkpoint that
        // recycled 13 files into names past it disagrees — what was given is taken as the server's.
        var r = LogReplay.Run(Log, null, WalSegmentSize.FromMegabytes(1),
            new Dictionary<string, string> { ["min_wal_size"] = "2MB", ["max_wal_size"] = "4MB" });

        Assert.Empty(r.Unjudged);
        Assert.False(r.Agrees);
        Assert.Contains(r.Disagreements, d => d.EndsWith("server.log.gz:22: 0 added, 13 recycled; at most 1 added and 4 recycled (redo)", StringComparison.Ordinal));
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Sources;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Sources;

/// <summary>
/// wal_segment_size from a 16+ log: CreateCheckPoint hands RemoveOldXlogFiles the segment before its redo's (KeepLogSeg
/// moving it earlier only for slots and wal_keep_size), so a checkpoint nothing held retires exactly
/// XLByteToSeg(redo) − XLByteToSeg(previous redo) files at the server's size.
/// </summary>
public sealed class SegmentSizeInferenceTests
{
    private static string Corpus([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "corpus");

    // One PostgreSQL 17 "checkpoint complete" line: distance as LogCheckpointEnd prints it, from the redo pointers.
    private static string Line(int second, int removed, int recycled, ulong prevRedo, ulong redo) => string.Create(CultureInfo.InvariantCulture,
        $"2026-12-04 21:57:{second:00}.000 UTC [32267] LOG:  checkpoint complete: wrote 0 buffers (0.0%); 0 WAL file(s) added, {removed} removed, {recycled} recycled; write=0.001 s, sync=0.001 s, total=0.001 s; sync files=0, longest=0.000 s, average=0.000 s; distance={(redo - prevRedo) / 1024} kB, estimate={(redo - prevRedo) / 1024} kB; lsn={new Lsn(redo + 0x58)}, redo lsn={new Lsn(redo)}\n");

    private static SegmentSizeEvidence? Infer(params (int Removed, int Recycled, ulong Redo)[] checkpoints)
    {
        var text = string.Concat(checkpoints.Select((c, i) => Line(i, c.Removed, c.Recycled, i == 0 ? 0 : checkpoints[i - 1].Redo, c.Redo)));
        return SegmentSizeInference.Infer(CheckpointLog.Read(new StringReader(text), "synthetic.log"));
    }

    [Fact]
    public void A_real_17s_checkpoints_retire_the_segments_between_their_redo_pointers_at_1MB()
    {
        // pg17-debian.log (initdb --wal-segsize=1): redo 0/6C5240 -> 0/800028 retires 1 removed + 1 recycled = 2,
        // segments 6 -> 8 at 1MB (3 -> 4 at 2MB, 0 -> 0 at 16MB); 0/800028 -> 0/B00028 retires 3 (8 -> 11), and so on.
        var e = SegmentSizeInference.Infer(CheckpointLog.Read(Path.Combine(Corpus(), "pg17-debian.log")));

        Assert.NotNull(e);
        Assert.Equal((WalSegmentSize.FromMegabytes(1), 5, 5, 0), (e.Size, e.Fits, e.Considered, e.RunnerUpFits));
    }

    [Fact]
    public void Checkpoints_that_retire_two_or_three_files_per_32MB_of_redo_advance_show_16MB_segments()
    {
        // 0/1000028 -> 0/3000028: segments 1 -> 3 at 16MB, 2 retired; -> 0/5000060: 3 -> 5, 2; -> 0/8000028: 5 -> 8, 3;
        // -> 0/A000100: 8 -> 10, 2. At 1MB the same pointers span 32, 32, 48 and 32 segments; at 32MB 1, 1, 2 and 1;
        // at 8MB 4, 4, 6 and 4: only 16MB fits any.
        var e = Infer((0, 0, 0x1000028), (0, 2, 0x3000028), (1, 1, 0x5000060), (0, 3, 0x8000028), (2, 0, 0xA000100));

        Assert.NotNull(e);
        Assert.Equal((WalSegmentSize.FromMegabytes(16), 4, 4, 0), (e.Size, e.Fits, e.Considered, e.RunnerUpFits));
    }

    [Fact]
    public void Checkpoints_a_slot_held_are_no_evidence_so_retiring_nothing_never_reads_as_1GB()
    {
        // A slot holding all WAL: nothing retired while the redo moved 3 MB each time — 0 segments apart at 1GB, which
        // is no reason to believe 1GB.
        Assert.Null(Infer((0, 0, 0x100028), (0, 0, 0x400028), (0, 0, 0x700028), (0, 0, 0xA00028), (0, 0, 0xD00028)));
    }

    [Fact]
    public void Two_sizes_fitting_about_as_often_is_no_answer()
    {
        // Redo pointers 1MB, 2MB, 4MB ... 10MB; retired 1, 1, 2, 2, 2. At 1MB the spans are 1, 2, 2, 2, 2 (four fit);
        // at 2MB 1, 1, 1, 1, 1 (two fit): 1MB fits more, but not more than twice as many.
        Assert.Null(Infer((0, 0, 0x100000), (0, 1, 0x200000), (0, 1, 0x400000), (0, 2, 0x600000), (0, 2, 0x800000), (0, 2, 0xA00000)));
    }

    [Theory]
    [InlineData("pg16-debian.log")]
    [InlineData("pg16-rds.log")]
    [InlineData("pg16-newest-first.log")]
    [InlineData("pg17-verbose.csv")]
    [InlineData("pg17-cnpg-kubectl.log")]
    [InlineData("pg18-debian.log.zst")]
    [InlineData("pg18-grepped.log")]
    public void Every_16_to_18_capture_shows_its_1MB_segments_in_whatever_format_it_was_kept(string file)
    {
        // The captures (scripts/capture-checkpoint-logs.sh) ran with 1MB segments; newest-first, csvlog, kubectl and
        // grep for "checkpoint" keep every checkpoint line.
        Assert.Equal(WalSegmentSize.FromMegabytes(1), SegmentSizeInference.Infer(CheckpointLog.Read(Path.Combine(Corpus(), file)))?.Size);
    }

    public static TheoryData<string> Histories() =>
        [.. Directory.GetDirectories(Path.Combine(RepoPaths.Root, "scenarios", "histories")).Select(d => Path.GetFileName(d)).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory, MemberData(nameof(Histories))]
    public void A_corpus_historys_log_infers_its_servers_segment_size_or_nothing(string history)
    {
        // Slots held WAL at many of these checkpoints (that is what the histories are about): such checkpoints fit no
        // size, and too few of the rest leave no answer rather than a wrong one.
        var dir = Path.Combine(RepoPaths.Root, "scenarios", "histories", history);
        var real = SampleFile.ReadSettings(Path.Combine(dir, "samples.settings.csv")).First(r => r.Sample == 1 && r.Name == "wal_segment_size").Value;
        var e = SegmentSizeInference.Infer(CheckpointLog.Read(Path.Combine(dir, "server.log.gz")));

        if (e is not null) Assert.Equal(long.Parse(real, CultureInfo.InvariantCulture), e.Size.Bytes);
        // Before 16 no redo pointer is logged, so nothing can be inferred (the histories are named NAME-pgMAJOR).
        if (int.Parse(history[(history.LastIndexOf("-pg", StringComparison.Ordinal) + 3)..], CultureInfo.InvariantCulture) < 16) Assert.Null(e);
        if (history is "batch-pg17" or "diurnal-pg16" or "intermittent-pg16" or "batch-idle-pg18") Assert.NotNull(e);
    }
}

using Walsim.Analyzer.Live;
using Xunit;
using static Walsim.Tests.Live.LiveFixtures;

namespace Walsim.Tests.Live;

/// <summary>The append-only sample file: never overwritten by accident, appended to only by the same cluster.</summary>
public sealed class SampleFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-writer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void An_existing_file_is_not_overwritten_without_append()
    {
        var path = PathOf("samples.csv");
        File.WriteAllText(path, "precious\n");
        var e = Assert.Throws<SampleOutputException>(() => SampleFileWriter.Open(path, append: false));
        Assert.Contains("already exists; use --append", e.Message);
        Assert.Equal("precious\n", File.ReadAllText(path));
    }

    [Fact]
    public void Nothing_is_created_before_the_first_sample()
    {
        var path = PathOf("samples.csv");
        using (SampleFileWriter.Open(path, append: false)) { }
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(PathOf("samples.settings.csv")));
    }

    [Fact]
    public void Appending_continues_the_sample_numbers_of_the_same_cluster()
    {
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) { w.Write(Sample(1, 0, Physical)); w.Write(Sample(2, 10, Physical)); }
        using (var w = SampleFileWriter.Open(path, append: true))
        {
            Assert.Equal(2, w.LastSample);
            Assert.Equal(System1, w.ExistingSystemIdentifier);
            var s = Sample(3, 100, Physical);
            w.Write(s with { Server = s.Server with { Gap = true } });
        }
        var rows = SampleFile.Read(path).ToList();
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Server.Sample));
        Assert.Equal([false, false, true], rows.Select(r => r.Server.Gap));
    }

    [Fact]
    public void Appending_samples_of_another_cluster_is_refused()
    {
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) w.Write(Sample(1, 0));
        using var again = SampleFileWriter.Open(path, append: true);
        var other = Sample(2, 10);
        var e = Assert.Throws<SampleOutputException>(() => again.Write(other with { Server = other.Server with { SystemIdentifier = 42 } }));
        Assert.Contains("another cluster (system_identifier 7312345678901234567, this server's is 42)", e.Message);
        Assert.Single(SampleFile.Read(path));
    }

    [Fact]
    public void Appending_to_a_file_with_another_header_is_refused()
    {
        var path = PathOf("other.csv");
        File.WriteAllText(path, "time_s,insert_lsn\n0,0/1\n");
        var e = Assert.Throws<SampleOutputException>(() => SampleFileWriter.Open(path, append: true));
        Assert.Contains("its header is not that of a walsim sample file", e.Message);
    }

    [Fact]
    public void Appending_to_a_file_written_before_catalog_xmin_was_sampled_keeps_its_layout()
    {
        // A file of the first layout (no catalog_xmin column): --append writes its new rows without that cell, so the
        // file stays one table, and it reads back with catalog_xmin empty for every row.
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) { w.Write(Sample(1, 0, Physical with { CatalogXmin = 750 })); }
        var lines = File.ReadAllLines(path);
        Assert.EndsWith(",catalog_xmin", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",750", lines[1], StringComparison.Ordinal);
        File.WriteAllText(path, SampleCsv.FirstHeader + "\n" + lines[1][..lines[1].LastIndexOf(',')] + "\n");

        using (var w = SampleFileWriter.Open(path, append: true)) w.Write(Sample(2, 10, Physical with { CatalogXmin = 751 }));
        var text = File.ReadAllLines(path);
        Assert.Equal(SampleCsv.FirstHeader, text[0]);
        Assert.All(text, l => Assert.Equal(SampleCsv.FirstHeader.Count(c => c == ','), l.Count(c => c == ',')));
        Assert.Equal([null, null], SampleFile.Read(path).Select(r => r.Slot!.Value.CatalogXmin));
    }

    [Fact]
    public void Catalog_xmin_is_written_and_read_back()
    {
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) w.Write(Sample(1, 0, Physical, Logical with { CatalogXmin = uint.MaxValue - 1 }));
        Assert.Equal([null, uint.MaxValue - 1], SampleFile.Read(path).Select(r => r.Slot!.Value.CatalogXmin));
    }

    [Fact]
    public void An_incomplete_last_line_left_by_a_killed_run_is_cut_before_appending()
    {
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) { w.Write(Sample(1, 0, Physical)); w.Write(Sample(2, 10, Physical)); }
        File.AppendAllText(path, "3,false,2025-01-31T12:00");
        var notes = new List<string>();
        using (var w = SampleFileWriter.Open(path, append: true, notes.Add))
        {
            Assert.Equal(2, w.LastSample);
            w.Write(Sample(3, 20, Physical));
        }
        Assert.Single(notes);
        Assert.Equal([1L, 2, 3], SampleFile.Read(path).Select(r => r.Server.Sample));
    }

    [Fact]
    public void A_sample_cut_in_the_middle_of_its_slot_rows_is_cut_back_whole_before_appending()
    {
        // Sample 2 has two slot rows; the run was killed after the first row and part of the second were written.
        var path = PathOf("samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false)) { w.Write(Sample(1, 0, Physical, Logical)); w.Write(Sample(2, 10, Physical, Logical)); }
        var text = File.ReadAllText(path);
        var secondRowOfSample2 = text.LastIndexOf("\n2,", text.Length - 2, StringComparison.Ordinal) + 1;
        File.WriteAllText(path, text[..(secondRowOfSample2 + 20)]);
        var notes = new List<string>();
        using (var w = SampleFileWriter.Open(path, append: true, notes.Add))
        {
            Assert.Equal(1, w.LastSample);
            w.Write(Sample(2, 20, Physical, Logical));
        }
        Assert.Equal("cut off an incomplete last sample (2 lines; a previous run was stopped while writing it)", notes.Single()[(path.Length + 2)..]);
        var rows = SampleFile.Read(path).ToList();
        Assert.Equal([1L, 1, 2, 2], rows.Select(r => r.Server.Sample));
        Assert.Equal(20, (rows[^1].Server.LocalTime - rows[0].Server.LocalTime).TotalSeconds);
    }

    [Theory]
    // header, sample 12 (2 rows), then a cut line; the cut number decides which rows go.
    [InlineData("13,fal", 3)]   // sample 13 cut in its first row: only the cut line goes
    [InlineData("12,fal", 1)]   // sample 12's second row cut: sample 12 goes whole
    [InlineData("1", 1)]        // "1" could be the start of 12: the safe side, sample 12 goes
    [InlineData("2", 3)]        // cannot be 12: only the cut line goes
    public void The_cut_line_takes_its_whole_sample_with_it(string cut, int keptLines)
    {
        var lines = new[] { "sample,gap", "12,false,a", "12,false,b" };
        var text = string.Join("\n", lines) + "\n" + cut;
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var start = SampleFileWriter.TornSampleStart(bytes, text.Length - cut.Length, tailIsWholeFile: true);
        Assert.Equal(string.Join("\n", lines.Take(keptLines)) + "\n", text[..start]);
    }
}

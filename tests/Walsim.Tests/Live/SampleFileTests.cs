using System.Globalization;
using System.Text;
using Walsim.Analyzer.Live;
using Walsim.Simulator.Units;
using Xunit;
using static Walsim.Tests.Live.LiveFixtures;

namespace Walsim.Tests.Live;

/// <summary>The sample file reader: what the writer writes comes back equal, and every bad cell is named.</summary>
public sealed class SampleFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-samples-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<SampleRow> Read(string text) => SampleFile.Read(new StringReader(text), "samples.csv").ToList();

    private static SampleFileException ReadFails(string text) =>
        Assert.Throws<SampleFileException>(() => Read(text));

    [Fact]
    public void Rows_written_by_the_writer_read_back_equal_including_quoted_names_nulls_and_negative_safe_wal_size()
    {
        var path = Path.Combine(_dir, "samples.csv");
        using (var w = SampleFileWriter.Open(path, append: false))
        {
            w.Write(Sample(1, 0, Physical, Logical));
            w.Write(Sample(2, 10));
            w.Write(Sample(3, 20, Logical));
        }
        var rows = SampleFile.Read(path).ToList();
        Assert.Equal(
            [new SampleRow(Server(1, 0), Physical), new SampleRow(Server(1, 0), Logical), new SampleRow(Server(2, 10), null), new SampleRow(Server(3, 20), Logical)],
            rows);
        // The sidecar has each setting once: they did not change.
        Assert.Equal(
            [new SettingSample(1, T0, "max_wal_size", "1024", "MB"), new SettingSample(1, T0, "wal_level", "logical", null)],
            SampleFile.ReadSettings(SampleFile.SettingsPath(path)).ToList());
    }

    [Fact]
    public void A_changed_setting_gets_a_new_sidecar_row_at_the_sample_it_was_seen()
    {
        var path = Path.Combine(_dir, "s.csv");
        using (var w = SampleFileWriter.Open(path, append: false))
        {
            w.Write(Sample(1, 0));
            w.Write(Sample(2, 10));
            w.Write(Sample(3, 20) with { Settings = [new ServerSetting("max_wal_size", "2048", "MB"), new ServerSetting("wal_level", "logical", null)] });
        }
        var settings = SampleFile.ReadSettings(Path.Combine(_dir, "s.settings.csv")).ToList();
        Assert.Equal(3, settings.Count);
        Assert.Equal(new SettingSample(3, T0.AddSeconds(20), "max_wal_size", "2048", "MB"), settings[^1]);
    }

    [Fact]
    public void The_reader_streams_rows_without_reading_the_whole_input()
    {
        // An endless input: only a lazy reader can return its first rows.
        var rows = SampleFile.Read(new EndlessSamples(), "endless.csv").Take(5).ToList();
        Assert.Equal([1L, 2, 3, 4, 5], rows.Select(r => r.Server.Sample));
    }

    [Theory]
    [InlineData("restart_lsn", "abc", "samples.csv:2: restart_lsn: expected an LSN like 0/16B3748, got \"abc\"")]
    [InlineData("restart_lsn", "0/XYZ", "samples.csv:2: restart_lsn: expected an LSN like 0/16B3748, got \"0/XYZ\"")]
    [InlineData("redo_lsn", "16B3748", "samples.csv:2: redo_lsn: expected an LSN like 0/16B3748, got \"16B3748\"")]
    [InlineData("sample", "one", "samples.csv:2: sample: expected a whole number, at least 0, got \"one\"")]
    [InlineData("pg_wal_bytes", "-5", "samples.csv:2: pg_wal_bytes: expected a whole number, at least 0, got \"-5\"")]
    [InlineData("safe_wal_size_bytes", "1.5", "samples.csv:2: safe_wal_size_bytes: expected a whole number of bytes, got \"1.5\"")]
    [InlineData("gap", "yes", "samples.csv:2: gap: expected true or false, got \"yes\"")]
    [InlineData("local_time", "31/01/2025 12:00", "samples.csv:2: local_time: expected a UTC time like 2025-01-31T12:00:00.000000Z, got \"31/01/2025 12:00\"")]
    [InlineData("server_version", "11.22", "samples.csv:2: server_version: expected a PostgreSQL version like 15.18 (12 to 18), got \"11.22\"")]
    [InlineData("wal_segment_size_bytes", "1000000", "samples.csv:2: wal_segment_size_bytes: expected a segment size in bytes, a power of two from 1048576 to 1073741824, got \"1000000\"")]
    [InlineData("slot_type", "both", "samples.csv:2: slot_type: expected physical or logical, got \"both\"")]
    [InlineData("wal_status", "gone", "samples.csv:2: wal_status: expected reserved, extended, unreserved or lost, got \"gone\"")]
    [InlineData("system_identifier", "-1", "samples.csv:2: system_identifier: expected a whole number, at least 0, got \"-1\"")]
    public void A_bad_cell_is_reported_with_file_line_column_and_what_was_expected(string column, string bad, string message)
    {
        var text = Csv((Server(1), Physical));
        var e = ReadFails(ReplaceCell(text, line: 2, column, bad));
        Assert.Equal(message, e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(column, e.Field);
    }

    [Fact]
    public void Missing_columns_are_named_on_the_header_line()
    {
        var text = Csv((Server(1), Physical)).Replace("restart_lsn,", "", StringComparison.Ordinal);
        var e = ReadFails(text);
        Assert.StartsWith("samples.csv:1: missing column(s) restart_lsn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_with_too_few_cells_names_its_line()
    {
        var lines = Csv((Server(1), Physical), (Server(2, 10), Physical)).Split('\n');
        lines[2] = lines[2][..lines[2].LastIndexOf(',')];
        var e = ReadFails(string.Join('\n', lines));
        Assert.Equal("samples.csv:3: expected 43 cells as in the header, got 42", e.Message);
    }

    [Fact]
    public void Time_going_backwards_is_an_error_naming_the_line_and_both_times()
    {
        var e = ReadFails(Csv((Server(1, 10), null), (Server(2, 20), null), (Server(3, 15), null)));
        Assert.Equal("samples.csv:4: local_time: time went backwards: 2025-01-31T12:00:15.000000Z after 2025-01-31T12:00:20.000000Z", e.Message);
    }

    [Fact]
    public void Sample_numbers_going_backwards_are_an_error()
    {
        var e = ReadFails(Csv((Server(5, 10), null), (Server(4, 20), null)));
        Assert.Equal("samples.csv:3: sample: sample numbers must not decrease, got 4 after 5", e.Message);
    }

    [Fact]
    public void A_different_system_identifier_mid_file_is_a_mixed_file_error()
    {
        var e = ReadFails(Csv((Server(1, 0), Physical), (Server(2, 10), Physical), (Server(3, 20, system: 42), Physical)));
        Assert.Equal("samples.csv:4: system_identifier: 42 is a different cluster from 7312345678901234567 (line 2): a sample file holds one cluster's samples", e.Message);
    }

    [Fact]
    public void Slot_cells_must_be_empty_when_a_row_has_no_slot()
    {
        var text = ReplaceCell(Csv((Server(1), null)), 2, "wal_status", "lost");
        Assert.Equal("samples.csv:2: wal_status: must be empty when slot_name is (a sample without slots)", ReadFails(text).Message);
    }

    [Fact]
    public void Columns_are_found_by_name_so_an_extra_column_is_ignored()
    {
        var text = Csv((Server(1), Physical));
        var lines = text.Split('\n');
        lines[0] += ",note";
        lines[1] += ",hello";
        Assert.Equal(Physical, Read(string.Join('\n', lines)).Single().Slot);
    }

    [Fact]
    public void Writing_is_culture_independent()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var text = Csv((Server(1), Logical));
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            Assert.Equal(text, Csv((Server(1), Logical)));
            Assert.Equal(Logical, Read(text).Single().Slot);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    /// <summary>A sample at <paramref name="seconds"/> whose WAL position (insert and write LSN) is <paramref name="head"/>.</summary>
    private static ServerSample At(long sample, double seconds, ulong head, bool gap = false, uint timeline = 1) =>
        Server(sample, seconds, gap: gap) with { InsertLsn = new(head), WriteLsn = new(head), TimelineId = timeline };

    [Fact]
    public void A_WAL_position_going_backwards_on_one_timeline_without_a_gap_is_refused_naming_both_lines()
    {
        var e = ReadFails(Csv((At(1, 0, 0x5000000), Physical), (At(1, 0, 0x5000000), Logical), (At(2, 10, 0x3000000), Physical)));
        Assert.Equal("samples.csv:4: insert_lsn: the WAL position went backwards on timeline 1: 0/3000000 after 0/5000000 (line 2), with no gap between the samples; " +
                     "a server's WAL position only moves forward (walsim sample marks a reconnect or a restart with gap=true, and a restore or promotion starts a new timeline): " +
                     "is the file edited, or are two files joined?", e.Message);
    }

    [Fact]
    public void A_WAL_position_going_backwards_after_a_gap_or_on_a_new_timeline_is_what_a_crash_or_a_restore_does()
    {
        // A crash loses WAL that was inserted but not flushed: the next sample, after the reconnect, is behind.
        Assert.Equal(3, Read(Csv((At(1, 0, 0x5000000), null), (At(2, 10, 0x4FFF000, gap: true), null), (At(3, 20, 0x5100000), null))).Count);
        // A restore to an earlier point starts a new timeline there.
        Assert.Equal(2, Read(Csv((At(1, 0, 0x5000000), null), (At(2, 10, 0x3000000, timeline: 2), null))).Count);
    }

    [Fact]
    public void A_standby_reading_its_received_position_is_checked_the_same()
    {
        ServerSample Standby(long n, double t, ulong received) =>
            Server(n, t) with { InRecovery = true, InsertLsn = Lsn.Invalid, WriteLsn = Lsn.Invalid, ReceiveLsn = new(received), ReplayLsn = new(received) };
        var e = ReadFails(Csv((Standby(1, 0, 0x5000000), null), (Standby(2, 10, 0x4000000), null)));
        Assert.StartsWith("samples.csv:3: receive_lsn: the WAL position went backwards on timeline 1: 0/4000000 after 0/5000000 (line 2)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // time still passed across a gap: no server writes faster then either
    public void A_WAL_position_advancing_faster_than_any_server_writes_is_refused(bool gap)
    {
        var e = ReadFails(Csv((At(1, 0, 0x5000000), null), (At(2, 10, ulong.MaxValue, gap), null)));
        Assert.Equal("samples.csv:3: insert_lsn: the WAL position jumped 16EB in 10s: FFFFFFFF/FFFFFFFF after 0/5000000 (line 2), " +
                     "faster than the 10GB/s a server can write; is the file edited, or are two files joined?", e.Message);
    }

    [Fact]
    public void The_rate_bound_is_10GB_a_second_over_the_interval_and_one_second_more()
    {
        const ulong Gb = 1UL << 30, Start = 0x5000000;
        // 10 s apart: up to 110GB is taken (a busy server's few GB/s, with room to spare) ...
        Assert.Equal(2, Read(Csv((At(1, 0, Start), null), (At(2, 10, Start + 110 * Gb), null))).Count);
        // ... a byte more is not.
        var e = ReadFails(Csv((At(1, 0, Start), null), (At(2, 10, Start + 110 * Gb + 1), null)));
        Assert.StartsWith("samples.csv:3: insert_lsn: the WAL position jumped 110GB in 10s", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_wal_size", "banana", "MB", "s.settings.csv:2: max_wal_size: expected a size as pg_settings shows it (value 1024, unit MB), got \"banana\" (unit MB)")]
    [InlineData("max_wal_size", "banana", "", "s.settings.csv:2: max_wal_size: expected a size as pg_settings shows it (value 1024, unit MB), got \"banana\"")]
    [InlineData("max_wal_size", "1", "MB", "s.settings.csv:2: max_wal_size: 1 MB is outside the valid range for parameter \"max_wal_size\" (2 .. 2147483647)")]
    [InlineData("checkpoint_timeout", "soon", "s", "s.settings.csv:2: checkpoint_timeout: expected a time as pg_settings shows it (value 300, unit s), got \"soon\" (unit s)")]
    [InlineData("wal_level", "maximal", "", "s.settings.csv:2: wal_level: expected one of minimal, replica, logical, got \"maximal\"")]
    [InlineData("wal_recycle", "perhaps", "", "s.settings.csv:2: wal_recycle: expected on or off, got \"perhaps\"")]
    [InlineData("checkpoint_completion_target", "most", "", "s.settings.csv:2: checkpoint_completion_target: expected a number like 0.9, got \"most\"")]
    public void A_sidecar_value_PostgreSQL_would_not_show_is_refused_with_its_line(string name, string value, string unit, string message)
    {
        var text = $"{SampleCsv.SettingsHeader}\n1,2025-01-31T12:00:00.000000Z,{name},{value},{unit}\n";
        var e = Assert.Throws<SampleFileException>(() => SampleFile.ReadSettings(new StringReader(text), "s.settings.csv").ToList());
        Assert.Equal(message, e.Message);
        Assert.Equal(name, e.Field);
    }

    [Fact]
    public void A_sidecar_parameter_walsim_does_not_model_is_not_judged()
    {
        var text = $"{SampleCsv.SettingsHeader}\n1,2025-01-31T12:00:00.000000Z,wal_compression,zstd-ish,\n";
        Assert.Single(SampleFile.ReadSettings(new StringReader(text), "s.settings.csv"));
    }

    private static string ReplaceCell(string text, int line, string column, string value)
    {
        var lines = text.Split('\n');
        var index = SampleCsv.Columns.ToList().IndexOf(column);
        // The fixture rows quote only the logical slot's name; these tests use rows without it.
        var cells = lines[line - 1].Split(',');
        cells[index] = value;
        lines[line - 1] = string.Join(',', cells);
        return string.Join('\n', lines);
    }

    /// <summary>A header, then sample after sample, forever.</summary>
    /// <summary>A reader that never ends: the header, then one more sample each time more text is asked for.</summary>
    private sealed class EndlessSamples : TextReader
    {
        private long _n;
        private string _pending = "";
        private int _at;

        public override string? ReadLine()
        {
            if (_n++ == 0) return SampleCsv.Header;
            var b = new StringBuilder();
            SampleCsv.AppendRow(b, Server(_n - 1, _n), Physical);
            return b.ToString().TrimEnd('\n');
        }

        public override int Read(char[] buffer, int index, int count)
        {
            if (_at == _pending.Length) { _pending = ReadLine() + "\n"; _at = 0; }
            var n = Math.Min(count, _pending.Length - _at);
            _pending.CopyTo(_at, buffer, index, n);
            _at += n;
            return n;
        }
    }
}

using System.Globalization;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Engine;

/// <summary>
/// The value types the retention arithmetic is written in (retention-model.md §1), GUC parsing as the server does it
/// (guc.c <c>parse_int</c>/<c>parse_real</c>/<c>convert_to_base_unit</c>), and the version → behaviour-band switch (retention-model.md §2).
/// </summary>
public class UnitsAndPolicyTests
{
    // ------------------------------------------------------------------------------------------------ Lsn (pg_lsn)

    // pg_lsn_in / pg_lsn_out: "%X/%X", high and low 32 bits, upper-case hex without leading zeros.
    [Theory]
    [InlineData("0/16B3748", 0x16B3748UL, "0/16B3748")]
    [InlineData("4/5005000", 0x4_0500_5000UL, "4/5005000")]
    [InlineData("0/0", 0UL, "0/0")]
    [InlineData("16/b374d848", 0x16_B374_D848UL, "16/B374D848")]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue, "FFFFFFFF/FFFFFFFF")]
    [InlineData("00000000/0000A000", 0xA000UL, "0/A000")]
    public void Lsn_parses_and_formats_as_high_slash_low_hex(string text, ulong value, string formatted)
    {
        var lsn = Lsn.Parse(text);
        Assert.Equal(value, lsn.Value);
        Assert.Equal(formatted, lsn.ToString());
        Assert.Equal(lsn, Lsn.Parse(lsn.ToString()));
    }

    // pg_lsn_in rejects anything that is not two hex numbers of at most 8 digits around a slash.
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("16B3748")]
    [InlineData("/16B3748")]
    [InlineData("0/")]
    [InlineData("0/xyz")]
    [InlineData("123456789/0")]
    [InlineData("0/123456789")]
    [InlineData("-1/0")]
    public void Lsn_parse_rejects_malformed_text_with_an_example_in_the_message(string text)
    {
        Assert.False(Lsn.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => Lsn.Parse(text));
        Assert.Contains("0/16B3748", ex.Message);
    }

    // pg_lsn_mi: a signed numeric difference; a point plus an amount is a point.
    [Fact]
    public void Lsn_minus_lsn_is_a_signed_byte_count_and_lsn_plus_bytes_is_an_lsn()
    {
        var a = Lsn.Parse("0/A0");
        var b = Lsn.Parse("0/B0");
        Assert.Equal(new ByteCount(16), b - a);
        Assert.Equal(new ByteCount(-16), a - b);
        Assert.Equal(b, a + new ByteCount(16));
        Assert.Equal(a, b - new ByteCount(16));
        Assert.True(a < b && b > a && a <= b && b >= a && Lsn.Max(a, b) == b && Lsn.Min(a, b) == a);
        Assert.False(Lsn.Invalid.IsValid);
        Assert.Equal(new ByteCount(0xF000000), Lsn.Parse("0/9F000000") - Lsn.Parse("0/90000000"));
    }

    // ------------------------------------------------------------------------------------------------ WalSegmentSize

    // XLogFileName: %08X timeline, %08X segno / segments-per-4GiB, %08X segno % segments-per-4GiB.
    [Theory]
    [InlineData(16, 100UL, 1U, "000000010000000000000064")]
    [InlineData(16, 255UL, 1U, "0000000100000000000000FF")]
    [InlineData(16, 256UL, 1U, "000000010000000100000000")]
    [InlineData(16, 1029UL, 1U, "000000010000000400000005")]
    [InlineData(16, 100UL, 2U, "000000020000000000000064")]
    [InlineData(1, 43UL, 1U, "00000001000000000000002B")]
    [InlineData(1, 4095UL, 1U, "000000010000000000000FFF")]
    [InlineData(1, 4096UL, 1U, "000000010000000100000000")]
    [InlineData(1024, 5UL, 1U, "000000010000000100000001")]
    public void Segment_file_name_is_timeline_then_segment_split_per_4GiB(int segMb, ulong segment, uint timeline, string expected) =>
        Assert.Equal(expected, WalSegmentSize.FromMegabytes(segMb).FileName(new SegmentNumber(segment), timeline));

    // XLByteToSeg / XLByteToPrevSeg / XLogSegNoOffsetToRecPtr / XLogSegmentOffset.
    [Fact]
    public void Segment_arithmetic_matches_the_xlog_internal_macros()
    {
        var seg = WalSegmentSize.FromMegabytes(16);
        Assert.Equal(new SegmentNumber(100), seg.SegmentOf(Lsn.Parse("0/64000028")));
        Assert.Equal(new SegmentNumber(100), seg.SegmentOf(Lsn.Parse("0/64000000")));
        Assert.Equal(new SegmentNumber(99), seg.PrevSegmentOf(Lsn.Parse("0/64000000")));
        Assert.Equal(Lsn.Parse("0/64000000"), seg.StartOf(new SegmentNumber(100)));
        Assert.Equal(0x28, seg.OffsetOf(Lsn.Parse("0/64000028")));
        Assert.Equal(new SegmentNumber(1029), seg.SegmentOf(Lsn.Parse("4/5005000")));
    }

    // XLogMBVarToSegs / ConvertToXSegs: MB / (SEG / MB), truncating.
    [Theory]
    [InlineData(16, 100L, 6UL)]
    [InlineData(16, 1024L, 64UL)]
    [InlineData(16, 15L, 0UL)]
    [InlineData(1, 100L, 100UL)]
    [InlineData(64, 1024L, 16UL)]
    [InlineData(16, 0L, 0UL)]
    [InlineData(16, -1L, 0UL)]
    public void Size_settings_convert_to_whole_segments_rounding_down(int segMb, long mb, ulong segs) =>
        Assert.Equal(segs, WalSegmentSize.FromMegabytes(segMb).MegabytesToSegments(mb));

    // initdb --wal-segsize: a power of two from 1 MB to 1 GB.
    [Theory]
    [InlineData(512 * 1024L)]
    [InlineData(3 * 1024 * 1024L)]
    [InlineData(2L * 1024 * 1024 * 1024)]
    [InlineData(0L)]
    public void Segment_size_must_be_a_power_of_two_between_1MB_and_1GB(long bytes)
    {
        Assert.False(WalSegmentSize.IsValid(bytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WalSegmentSize(bytes));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(1024)]
    public void Segment_sizes_1MB_to_1GB_are_accepted(int mb) =>
        Assert.Equal(mb * ByteCount.MiB, WalSegmentSize.FromMegabytes(mb).Bytes);

    // ------------------------------------------------------------------------------------------------ ByteCount

    // Reports use PostgreSQL's unit spelling (pg_size_pretty-like, but kB/MB/GB/TB as in GUCs).
    [Theory]
    [InlineData(0L, "0B")]
    [InlineData(512L, "512B")]
    [InlineData(1536L, "1.5kB")]
    [InlineData(16L * 1024 * 1024, "16MB")]
    [InlineData(-8_388_608L, "-8MB")]
    [InlineData(1024L * 1024 * 1024, "1GB")]
    [InlineData(1536L * 1024 * 1024, "1.5GB")]
    [InlineData(1024L * 1024 * 1024 * 1024, "1TB")]
    [InlineData(113_246_208L, "108MB")]
    public void Byte_counts_format_in_postgres_units(long bytes, string expected) =>
        Assert.Equal(expected, new ByteCount(bytes).ToString());

    [Fact]
    public void Byte_counts_and_lsns_format_the_same_under_a_comma_decimal_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1.5GB", new ByteCount(1536L * 1024 * 1024).ToString());
            Assert.Equal("16/B374D848", Lsn.Parse("16/B374D848").ToString());
            Assert.Equal(512d, ParseGuc("max_wal_size", "0.5GB"));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Byte_count_arithmetic_is_checked_and_signed()
    {
        Assert.Equal(new ByteCount(3 * ByteCount.MiB), ByteCount.FromMegabytes(1) + ByteCount.FromMegabytes(2));
        Assert.Equal(new ByteCount(-ByteCount.MiB), ByteCount.FromMegabytes(1) - ByteCount.FromMegabytes(2));
        Assert.Equal(ByteCount.FromKilobytes(2048), ByteCount.FromMegabytes(2));
        Assert.Throws<OverflowException>(() => new ByteCount(long.MaxValue) + new ByteCount(1));
    }

    // ------------------------------------------------------------------------------------------------ SimTime / SimDuration

    // ToString is exact (CSV time columns, logs, test messages); Display is what a DBA reads: whole seconds from a
    // minute on, milliseconds below, to the nearest with halves away from zero, carrying into the next unit.
    [Theory]
    [InlineData(10_470_399_657L, "2h54m30s", "2h54m30.399657s")]    // whatif's 15.18 standby1 extended
    [InlineData(20_297_599_288L, "5h38m18s", "5h38m17.599288s")]    // .599 rounds up
    [InlineData(570_500_000L, "9m31s", "9m30.5s")]                  // a half: away from zero
    [InlineData(570_499_999L, "9m30s", "9m30.499999s")]
    [InlineData(90_250_000L, "1m30s", "1m30.25s")]
    [InlineData(62_996_705L, "1m03s", "1m02.996705s")]
    [InlineData(60_000_000L, "1m", "1m")]
    [InlineData(59_999_600L, "1m", "59.9996s")]                     // 60.000s at the millisecond: carries to 1m
    [InlineData(59_999_400L, "59.999s", "59.9994s")]
    [InlineData(7_199_500_000L, "2h00m", "1h59m59.5s")]             // carries through minutes into hours
    [InlineData(183_605_700_000L, "2d03h00m06s", "2d03h00m05.7s")]
    [InlineData(26_000_000L, "26s", "26s")]                         // step scenarios: whole seconds stay whole
    [InlineData(1_500_000L, "1.5s", "1.5s")]
    [InlineData(250_000L, "0.25s", "0.25s")]
    [InlineData(1_234_567L, "1.235s", "1.234567s")]
    [InlineData(500L, "0.001s", "0.0005s")]
    [InlineData(400L, "0s", "0.0004s")]
    [InlineData(0L, "0s", "0s")]
    [InlineData(-400L, "0s", "-0.0004s")]                           // rounds to zero: no sign
    [InlineData(-1_500_000L, "-1.5s", "-1.5s")]
    [InlineData(-10_470_399_657L, "-2h54m30s", "-2h54m30.399657s")] // the magnitude rounds, the sign stays
    public void Times_display_to_the_second_from_a_minute_and_to_the_millisecond_below(long micros, string display, string exact)
    {
        Assert.Equal(display, new SimTime(micros).Display());
        Assert.Equal(display, new SimDuration(micros).Display());
        Assert.Equal(exact, new SimTime(micros).ToString());
        Assert.Equal(exact, new SimDuration(micros).ToString());
    }

    [Fact]
    public void Never_and_infinite_display_as_words()
    {
        Assert.Equal("never", SimTime.Never.Display());
        Assert.Equal("infinite", SimDuration.Infinite.Display());
    }

    // A sentence that contrasts two times must not print the same text for both.
    [Theory]
    [InlineData(10_470_399_657L, 10_470_399_590L, "2h54m30.399657s", "2h54m30.39959s")] // equal to the ms too: exact
    [InlineData(1_710_000_000L, 1_710_400_000L, "28m30s", "28m30.4s")]                 // equal to the second: ms
    [InlineData(27_666_199_019L, 20_610_000_000L, "7h41m06s", "5h43m30s")]              // already different: as displayed
    [InlineData(59_999_600L, 60_200_000L, "1m", "1m00.2s")]                             // both read 1m
    [InlineData(3_600_000_000L, 3_600_000_000L, "1h00m", "1h00m")]                      // equal: the same
    public void A_pair_of_different_times_never_reads_the_same(long a, long b, string expectedA, string expectedB)
    {
        Assert.Equal((expectedA, expectedB), SimTime.DisplayPair(new SimTime(a), new SimTime(b)));
        Assert.Equal((expectedA, expectedB), SimDuration.DisplayPair(new SimDuration(a), new SimDuration(b)));
    }

    [Fact]
    public void A_pair_with_never_displays_each_alone() =>
        Assert.Equal(("7h41m07s", "never"), SimTime.DisplayPair(new SimTime(27_667_199_019L), SimTime.Never));

    // ------------------------------------------------------------------------------------------------ PgVersion / VersionRange

    [Theory]
    [InlineData("13.4", 13, 4)]
    [InlineData(" 18.0 ", 18, 0)]
    [InlineData("15", 15, 18)] // a bare major means the newest minor walsim was checked against (retention-model.md §0)
    [InlineData("12", 12, 22)]
    [InlineData("13", 13, 23)]
    public void Version_parses_major_and_minor(string text, int major, int minor) =>
        Assert.Equal(new PgVersion(major, minor), PgVersion.Parse(text));

    [Theory]
    [InlineData("11", "12 to 18")]
    [InlineData("19.0", "12 to 18")]
    [InlineData("13.99", "newer")]
    [InlineData("abc", "like 15 or 13.4")]
    [InlineData("13.4.1", "like 15 or 13.4")]
    [InlineData("13.x", "minor")]
    [InlineData("", "like 15 or 13.4")]
    public void Version_parse_rejects_unknown_versions_with_a_reason(string text, string fragment)
    {
        Assert.False(PgVersion.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void Versions_order_by_major_then_minor()
    {
        Assert.True(PgVersion.Parse("13.10") > PgVersion.Parse("13.9"));
        Assert.True(PgVersion.Parse("14.0") > PgVersion.Parse("13.23"));
        Assert.Equal("13.4", PgVersion.Parse("13.4").ToString());
    }

    [Theory]
    [InlineData("13+", "13.0", true)]
    [InlineData("13+", "18.4", true)]
    [InlineData("13+", "12.22", false)]
    [InlineData("13.4+", "13.3", false)]
    [InlineData("13.4+", "13.4", true)]
    [InlineData("13-15", "15.18", true)]
    [InlineData("13-15", "16.0", false)]
    [InlineData("13-15", "13.0", true)]
    [InlineData("13.3", "13.3", true)]
    [InlineData("13.3", "13.4", false)]
    [InlineData("14", "14.0", true)]
    [InlineData("14", "14.23", true)]
    [InlineData("14", "15.0", false)]
    [InlineData("all", "12.0", true)]
    [InlineData("all", "18.4", true)]
    public void Version_ranges_select_majors_minors_and_open_ends(string range, string version, bool contained)
    {
        Assert.True(VersionRange.TryParse(range, out var r, out var error), error);
        Assert.Equal(contained, r.Contains(PgVersion.Parse(version)));
    }

    [Fact]
    public void Version_range_rejects_an_empty_or_unknown_range()
    {
        Assert.False(VersionRange.TryParse("15-13", out _, out var e1));
        Assert.Contains("empty", e1);
        Assert.False(VersionRange.TryParse("11+", out _, out _));
    }

    // ------------------------------------------------------------------------------------------------ GUC parsing

    private static double ParseGuc(string name, string text)
    {
        Assert.True(GucCatalog.TryParse(GucCatalog.All[name], text, out var v, out var error), error);
        return v;
    }

    // parse_int + convert_to_base_unit: memory GUCs in MB, time GUCs in seconds, rounded to the base unit.
    [Theory]
    [InlineData("max_wal_size", "1GB", 1024d)]
    [InlineData("max_wal_size", "0.5GB", 512d)]
    [InlineData("max_wal_size", "2048", 2048d)]
    [InlineData("max_wal_size", "1TB", 1048576d)]
    [InlineData("min_wal_size", "80MB", 80d)]
    [InlineData("min_wal_size", "81920kB", 80d)]
    [InlineData("max_slot_wal_keep_size", "-1", -1d)]
    [InlineData("wal_keep_size", " 256MB ", 256d)]
    [InlineData("checkpoint_timeout", "5min", 300d)]
    [InlineData("checkpoint_timeout", "1h", 3600d)]
    [InlineData("checkpoint_timeout", "1d", 86400d)]
    [InlineData("checkpoint_timeout", "30s", 30d)]
    [InlineData("checkpoint_timeout", "90000ms", 90d)]
    [InlineData("checkpoint_completion_target", "0.9", 0.9)]
    [InlineData("wal_recycle", "off", 0d)]
    [InlineData("wal_recycle", "on", 1d)]
    [InlineData("archive_mode", "always", 2d)]
    public void Guc_values_parse_into_their_base_unit(string name, string text, double expected) =>
        Assert.Equal(expected, ParseGuc(name, text), 9);

    // Units are case-sensitive in PostgreSQL: "1gb" fails with 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
    [Fact]
    public void Guc_unit_is_case_sensitive_and_the_error_names_the_valid_units()
    {
        Assert.False(GucCatalog.TryParse(GucCatalog.All["max_wal_size"], "1gb", out _, out var error));
        Assert.Contains("1gb", error);
        foreach (var unit in new[] { "\"B\"", "\"kB\"", "\"MB\"", "\"GB\"", "\"TB\"" }) Assert.Contains(unit, error);

        Assert.False(GucCatalog.TryParse(GucCatalog.All["checkpoint_timeout"], "5 mins", out _, out var timeError));
        foreach (var unit in new[] { "\"us\"", "\"ms\"", "\"s\"", "\"min\"", "\"h\"", "\"d\"" }) Assert.Contains(unit, timeError);
    }

    [Theory]
    [InlineData("checkpoint_timeout", "10s")]          // below 30 s
    [InlineData("checkpoint_timeout", "2d")]           // above 1 d
    [InlineData("max_slot_wal_keep_size", "-2")]
    [InlineData("checkpoint_completion_target", "1.5")]
    [InlineData("max_wal_size", "lots")]
    [InlineData("wal_recycle", "maybe")]
    [InlineData("archive_mode", "sometimes")]
    [InlineData("max_replication_slots", "10MB")]      // unitless parameter
    public void Guc_values_outside_the_range_or_malformed_are_rejected(string name, string text)
    {
        Assert.False(GucCatalog.TryParse(GucCatalog.All[name], text, out _, out var error));
        Assert.Contains(name, error);
    }

    // ReadControlFile: "min_wal_size must be at least twice wal_segment_size" (MBtoSegs < 2).
    [Theory]
    [InlineData(16, "min_wal_size", "16MB")]
    [InlineData(16, "min_wal_size", "31MB")]
    [InlineData(16, "max_wal_size", "16MB")]
    [InlineData(64, "min_wal_size", "100MB")]
    [InlineData(1024, "min_wal_size", "1GB")]
    public void Size_below_two_segments_is_rejected(int segMb, string name, string value)
    {
        var ex = Assert.Throws<SettingException>(() => RetentionVectorTests.Settings("15.18", segMb, (name, value)));
        Assert.Equal(name, ex.Setting);
        Assert.Contains("twice", ex.Message);
    }

    // guc_tables.c: min_wal_size / max_wal_size have a minimum of 2 (MB) whatever the segment size.
    [Fact]
    public void Size_below_the_guc_minimum_is_rejected_before_the_segment_check()
    {
        var ex = Assert.Throws<SettingException>(() => RetentionVectorTests.Settings("15.18", 1, ("min_wal_size", "1MB")));
        Assert.Equal("min_wal_size", ex.Setting);
        Assert.Contains("outside the valid range", ex.Message);
    }

    [Fact]
    public void Two_segments_is_the_smallest_accepted_min_wal_size() =>
        Assert.Equal(32, RetentionVectorTests.Settings("15.18", 16, ("min_wal_size", "32MB")).MinWalSizeMb);

    // wal_keep_segments was replaced by wal_keep_size (in MB) in 13 (c3fe108c0).
    [Fact]
    public void Wal_keep_segments_is_rejected_on_13_and_names_its_replacement()
    {
        var ex = Assert.Throws<SettingException>(() => RetentionVectorTests.Settings("13.4", 16, ("wal_keep_segments", "8")));
        Assert.Equal("wal_keep_segments", ex.Setting);
        Assert.Contains("wal_keep_size", ex.Message);
    }

    [Theory]
    [InlineData("12.22", "wal_keep_size")]
    [InlineData("12.22", "max_slot_wal_keep_size")]
    [InlineData("17.10", "idle_replication_slot_timeout")]
    public void Settings_the_version_does_not_have_are_rejected(string version, string name)
    {
        var ex = Assert.Throws<SettingException>(() => RetentionVectorTests.Settings(version, 16, (name, "1")));
        Assert.Equal(name, ex.Setting);
    }

    [Fact]
    public void Unknown_setting_is_rejected_with_the_known_names()
    {
        var ex = Assert.Throws<SettingException>(() => RetentionVectorTests.Settings("15.18", 16, ("max_wal_sise", "1GB")));
        Assert.Contains("max_wal_size", ex.Message);
    }

    // guc.c boot values per major (retention-model.md §1 table).
    [Theory]
    [InlineData("12.22", 0.5, false, 1024L, 80L, -1L)]
    [InlineData("13.23", 0.5, false, 1024L, 80L, -1L)]
    [InlineData("14.23", 0.9, false, 1024L, 80L, -1L)]
    [InlineData("15.18", 0.9, true, 1024L, 80L, -1L)]
    [InlineData("18.4", 0.9, true, 1024L, 80L, -1L)]
    public void Defaults_follow_the_version(string version, double cct, bool logCheckpoints, long maxWal, long minWal, long maxSlot)
    {
        var s = RetentionVectorTests.Settings(version, 16);
        Assert.Equal(cct, s.CheckpointCompletionTarget);
        Assert.Equal(logCheckpoints, s.LogCheckpoints);
        Assert.Equal((maxWal, minWal, maxSlot), (s.MaxWalSizeMb, s.MinWalSizeMb, s.MaxSlotWalKeepSizeMb));
        Assert.Equal(SimDuration.FromSeconds(300), s.CheckpointTimeout);
        Assert.True(s.WalRecycle);
    }

    // ------------------------------------------------------------------------------------------------ RetentionPolicy.For

    // The behaviour bands and minor-release change points of retention-model.md §2 / retention-model.md §16.
    [Theory]
    //           version  band        recompute guard  sampling                                    recheck skipsInv idle   redoRec
    [InlineData("12.22", "12",        false,    false, SlotMinimumSampling.AtCheckpointEnd,       false,  false,   false, false)]
    [InlineData("13.3",  "13.0-13.3", false,    false, SlotMinimumSampling.AtCheckpointEnd,       false,  false,   false, false)]
    [InlineData("13.4",  "13.4+",     true,     false, SlotMinimumSampling.AtCheckpointEnd,       true,   false,   false, false)]
    [InlineData("13.11", "13.4+",     true,     true,  SlotMinimumSampling.AtCheckpointEnd,       true,   false,   false, false)]
    [InlineData("13.22", "13.4+",     true,     true,  SlotMinimumSampling.AtCheckpointStart,     true,   false,   false, false)]
    [InlineData("14.7",  "14",        true,     false, SlotMinimumSampling.AtCheckpointEnd,       true,   false,   false, false)]
    [InlineData("14.19", "14",        true,     true,  SlotMinimumSampling.AtCheckpointStart,     true,   false,   false, false)]
    [InlineData("15.14", "15",        true,     true,  SlotMinimumSampling.AtCheckpointStart,     true,   false,   false, false)]
    [InlineData("16.3",  "16",        true,     true,  SlotMinimumSampling.AtCheckpointEnd,       false,  true,    false, false)]
    [InlineData("16.11", "16",        true,     true,  SlotMinimumSampling.AtCheckpointStart,     true,   true,    false, false)]
    [InlineData("17.6",  "17",        true,     true,  SlotMinimumSampling.AtCheckpointStart,     false,  true,    false, true)]
    [InlineData("17.7",  "17",        true,     true,  SlotMinimumSampling.AtCheckpointStart,     true,   true,    false, true)]
    [InlineData("18.0",  "18",        true,     true,  SlotMinimumSampling.LastSavedRestartLsn,   false,  true,    true,  true)]
    [InlineData("18.1",  "18",        true,     true,  SlotMinimumSampling.LastSavedRestartLsn,   true,   true,    true,  true)]
    public void Policy_for_a_version_picks_its_band_and_minor_release_flags(
        string version, string band, bool recompute, bool guard, SlotMinimumSampling sampling,
        bool recheck, bool skipsInvalidated, bool idleTimeout, bool redoRecord)
    {
        var p = RetentionPolicy.For(PgVersion.Parse(version));
        Assert.Equal(PgVersion.Parse(version), p.Version);
        Assert.Equal(band, p.Band);
        Assert.Equal(recompute, p.RecomputesHorizonAfterInvalidation);
        Assert.Equal(guard, p.KeepLogSegUnderflowGuard);
        Assert.Equal(sampling, p.SlotMinimumSampling);
        Assert.Equal(recheck, p.RechecksSlotAfterTerminating);
        Assert.Equal(skipsInvalidated, p.MinimumSkipsInvalidatedSlots);
        Assert.Equal(idleTimeout, p.HasIdleReplicationSlotTimeout);
        Assert.Equal(redoRecord, p.WritesCheckpointRedoRecord);

        var is12 = version.StartsWith("12", StringComparison.Ordinal);
        Assert.Equal(is12 ? WalKeepKnob.WalKeepSegments : WalKeepKnob.WalKeepSize, p.KeepKnob);
        Assert.Equal(!is12, p.CapsSlotRetention);
        Assert.Equal(!is12, p.ReportsWalStatus);
        Assert.Equal(p.Version.Major >= 17, p.ReportsInactiveSince);
        Assert.Equal(p.Version.Major >= 14 ? 0.9 : 0.5, p.DefaultCheckpointCompletionTarget);
        Assert.Equal(p.Version.Major >= 15, p.DefaultLogCheckpoints);
    }

    // 13.0–13.3 terminate with "is too far behind"; 13.4+ "to release replication slot" (218b101008).
    [Theory]
    [InlineData("13.3", "terminating process 4100 because replication slot \"s1\" is too far behind")]
    [InlineData("13.4", "terminating process 4100 to release replication slot \"s1\"")]
    [InlineData("18.4", "terminating process 4100 to release replication slot \"s1\"")]
    public void Termination_message_changed_in_13_4(string version, string expected) =>
        Assert.Equal(expected, RetentionPolicy.For(PgVersion.Parse(version)).TerminationMessage(4100, "s1"));
}

using System.Globalization;

namespace Walsim.Analyzer.Live;

/// <summary>
/// Reads the files <c>walsim sample</c> writes, streaming: rows are parsed as they are enumerated and nothing is
/// kept but the previous row's sample number, time and cluster, so memory does not grow with the file. Any problem
/// is a <see cref="SampleFileException"/> naming file, line and column. Checked across rows: sample numbers never
/// decrease, <c>local_time</c> (the file's time axis) never goes backwards, every row comes from one cluster
/// (one <c>system_identifier</c>), and the WAL position moves as a server's can (<see cref="MaxWalRate"/>).
/// </summary>
public static class SampleFile
{
    /// <summary>
    /// The fastest a sample file's WAL position may advance: 10 GB/s, several times what the busiest servers write
    /// (WAL insertion tops out around 1–2 GB/s), over the time between two samples plus
    /// <see cref="RateSlack"/>. A faster advance is no workload but an edited file or a damaged reading, and fitted
    /// it would forecast from a rate no server has.
    /// </summary>
    public static readonly ByteCount MaxWalRate = new(10 * ByteCount.GiB);

    /// <summary>Added to the time between two samples for <see cref="MaxWalRate"/>: a sample's LSN is read some
    /// moments after its timestamps, so two samples taken close together may be further apart than their times say.</summary>
    public static readonly TimeSpan RateSlack = TimeSpan.FromSeconds(1);

    /// <summary>The settings sidecar of <paramref name="samplesPath"/>: <c>x.csv</c> → <c>x.settings.csv</c>.</summary>
    public static string SettingsPath(string samplesPath)
    {
        var dir = Path.GetDirectoryName(samplesPath) ?? "";
        var name = Path.GetFileName(samplesPath);
        // A compressed file (x.csv.gz, as the backtest corpus keeps them) has its sidecar uncompressed: x.settings.csv.
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        var stem = name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
        return Path.Combine(dir, stem + ".settings.csv");
    }

    /// <summary>The rows of the sample file at <paramref name="path"/>, read lazily.</summary>
    public static IEnumerable<SampleRow> Read(string path) => ReadFile(path, Read);

    /// <summary>The rows of a sample file read from <paramref name="reader"/>; <paramref name="fileName"/> names it in errors.</summary>
    public static IEnumerable<SampleRow> Read(TextReader reader, string fileName)
    {
        var csv = new CsvRecordReader(reader);
        var cells = new Cells(csv, fileName);
        var c = cells.Header(SampleCsv.Columns, SampleCsv.OptionalColumns);
        long lastSample = 0;
        var lastTime = DateTimeOffset.MinValue;
        ulong? system = null;
        var systemLine = 0;
        PgVersion firstVersion = default;
        WalSegmentSize firstSegment = default;
        // Every row of a sample repeats its server columns. In a file walsim wrote they come first, so when a row
        // starts with the same text as the row before, its server part is the one already parsed.
        var serverFirst = Enumerable.Range(0, ServerColumns).All(k => c[k] == k) && c.Skip(ServerColumns).All(i => i >= ServerColumns);
        var previousPrefix = new char[512];
        var previousPrefixLength = -1;
        ServerSample? previousServer = null;
        ServerSample? previousSample = null; // the server part of the sample before this row's
        var previousSampleLine = 0;
        while (csv.Read())
        {
            cells.CheckCount();
            ServerSample? reuse = null;
            if (serverFirst)
            {
                var prefix = csv.Before(ServerColumns);
                if (previousServer is { } ps && prefix.SequenceEqual(previousPrefix.AsSpan(0, Math.Max(0, previousPrefixLength)))) reuse = ps;
                else
                {
                    if (prefix.Length > previousPrefix.Length) previousPrefix = new char[prefix.Length * 2];
                    prefix.CopyTo(previousPrefix);
                    previousPrefixLength = prefix.Length;
                }
            }
            var row = ParseRow(cells, c, reuse);
            previousServer = row.Server;
            var s = row.Server;
            if (s.Sample < lastSample)
                throw cells.Error(c[0], $"sample numbers must not decrease, got {s.Sample} after {lastSample}");
            if (s.LocalTime < lastTime)
                throw cells.Error(c[2], $"time went backwards: {SampleCsv.Time(s.LocalTime)} after {SampleCsv.Time(lastTime)}");
            if (system is { } id && id != s.SystemIdentifier)
                throw cells.Error(c[4], string.Create(CultureInfo.InvariantCulture,
                    $"{s.SystemIdentifier} is a different cluster from {id} (line {systemLine}): a sample file holds one cluster's samples"));
            if (system is null) { system = s.SystemIdentifier; systemLine = csv.Line; firstVersion = s.Version; firstSegment = s.SegmentSize; }
            else if (s.Version.Major != firstVersion.Major)
                throw cells.Error(c[5], string.Create(CultureInfo.InvariantCulture,
                    $"PostgreSQL {s.Version} after {firstVersion} (line {systemLine}): one major version per sample file (an upgrade starts a new file)"));
            else if (s.SegmentSize != firstSegment)
                throw cells.Error(c[6], string.Create(CultureInfo.InvariantCulture,
                    $"{s.SegmentSize.Bytes} after {firstSegment.Bytes} (line {systemLine}): wal_segment_size cannot change within a cluster"));
            if (previousSample is not { } before || before.Sample != s.Sample)
            {
                if (previousSample is { } p) CheckWalPosition(cells, c, p, previousSampleLine, s);
                previousSample = s;
                previousSampleLine = csv.Line;
            }
            lastSample = s.Sample;
            lastTime = s.LocalTime;
            yield return row;
        }
    }

    /// <summary>
    /// The WAL position (<see cref="ServerSample.HeadLsn"/>) of a sample against the one before (at
    /// <paramref name="line"/>). On one timeline it never goes backwards: a server restart, where WAL not yet flushed
    /// may be lost, reconnects the sampler, which marks the next sample as a gap; a restore or a promotion starts a new
    /// timeline. And it never advances faster than <see cref="MaxWalRate"/>, across a gap too (time still passed).
    /// </summary>
    private static void CheckWalPosition(Cells cells, int[] c, ServerSample before, int line, ServerSample now)
    {
        var (was, at) = (before.HeadLsn, now.HeadLsn);
        if (!was.IsValid || !at.IsValid) return;
        var column = c[HeadColumn(now)];
        if (at < was)
        {
            if (now.Gap || now.TimelineId != before.TimelineId || now.InRecovery != before.InRecovery) return;
            throw cells.Error(column, string.Create(CultureInfo.InvariantCulture,
                $"the WAL position went backwards on timeline {now.TimelineId}: {at} after {was} (line {line}), with no gap between the samples; a server's WAL position only moves forward (walsim sample marks a reconnect or a restart with gap=true, and a restore or promotion starts a new timeline): is the file edited, or are two files joined?"));
        }
        var seconds = Math.Max((now.LocalTime - before.LocalTime).TotalSeconds, (now.ServerTime - before.ServerTime).TotalSeconds);
        var allowed = MaxWalRate.Bytes * (Math.Max(0, seconds) + RateSlack.TotalSeconds);
        var advance = at.Value - was.Value;
        if (advance > allowed)
            throw cells.Error(column, string.Create(CultureInfo.InvariantCulture,
                $"the WAL position jumped {Amount(advance)} in {SimDuration.FromSeconds(Math.Max(0, seconds)).Display()}: {at} after {was} (line {line}), faster than the {MaxWalRate}/s a server can write; is the file edited, or are two files joined?"));
    }

    /// <summary>The column <see cref="ServerSample.HeadLsn"/> comes from, in <see cref="SampleCsv.Columns"/> order.</summary>
    private static int HeadColumn(ServerSample s) => s.InsertLsn.IsValid ? 10 : s.WriteLsn.IsValid ? 9 : s.ReceiveLsn.IsValid ? 11 : 12;

    /// <summary>An LSN difference, which can exceed what <see cref="ByteCount"/> holds (a jump to FFFFFFFF/FFFFFFFF)
    /// and its largest unit (TB): petabytes and exabytes are spelled so.</summary>
    private static string Amount(ulong bytes)
    {
        const double Pb = 1024d * 1024 * ByteCount.GiB, Eb = 1024 * Pb;
        return bytes >= Eb ? string.Create(CultureInfo.InvariantCulture, $"{bytes / Eb:0.#}EB")
            : bytes >= Pb ? string.Create(CultureInfo.InvariantCulture, $"{bytes / Pb:0.#}PB")
            : ByteCount.Format((long)bytes);
    }

    /// <summary>The rows of the settings sidecar at <paramref name="path"/> (see <see cref="SettingsPath"/>), read lazily.</summary>
    public static IEnumerable<SettingSample> ReadSettings(string path) => ReadFile(path, ReadSettings);

    /// <summary>The rows of a settings sidecar read from <paramref name="reader"/>.</summary>
    public static IEnumerable<SettingSample> ReadSettings(TextReader reader, string fileName)
    {
        var csv = new CsvRecordReader(reader);
        var cells = new Cells(csv, fileName);
        var c = cells.Header(SampleCsv.SettingsColumns);
        while (csv.Read())
        {
            cells.CheckCount();
            var setting = new SettingSample(cells.Long(c[0]), cells.Time(c[1]), cells.Text(c[2]) ?? throw cells.Error(c[2], "expected a setting name, got an empty cell"),
                cells.Text(c[3]) ?? "", cells.Text(c[4]));
            // Checked here, where the line is known: applied later (in a replay, in each forecast run), a value the
            // server could never have shown would surface far from its line.
            if (SettingProblem(setting) is { } problem) throw new SampleFileException(fileName, csv.Line, setting.Name, problem);
            yield return setting;
        }
    }

    /// <summary>What is wrong with a sidecar row of a parameter walsim models, as <c>expected …, got …</c>; null when
    /// PostgreSQL would accept it (parameters walsim does not model are not judged).</summary>
    private static string? SettingProblem(SettingSample setting)
    {
        if (!GucCatalog.All.TryGetValue(setting.Name, out var def)) return null;
        var text = SampledSettings.ToGucText(setting.Value, setting.Unit);
        if (GucCatalog.TryParse(def, text, out _, out var error)) return null;
        var shown = setting.Unit is { Length: > 0 } unit ? $"\"{setting.Value}\" (unit {unit})" : $"\"{setting.Value}\"";
        var expected = def.Kind switch
        {
            GucKind.MemoryMb => "a size as pg_settings shows it (value 1024, unit MB)",
            GucKind.TimeSeconds => "a time as pg_settings shows it (value 300, unit s)",
            GucKind.Integer => "a whole number",
            GucKind.Real => "a number like 0.9",
            GucKind.Boolean => "on or off",
            GucKind.Enum => $"one of {string.Join(", ", def.EnumValues!)}",
            _ => "a comma-separated list of slot names",
        };
        // A value of the right form but out of range: the server's own wording says the range.
        var looseDef = def with { Min = double.MinValue, Max = double.MaxValue };
        return GucCatalog.TryParse(looseDef, text, out _, out _) ? $"{error}" : $"expected {expected}, got {shown}";
    }

    /// <summary>The file at <paramref name="path"/> read lazily by <paramref name="read"/>: opened when enumeration
    /// starts (an open failure is a <see cref="SampleFileException"/>) and closed when it ends.</summary>
    private static IEnumerable<T> ReadFile<T>(string path, Func<TextReader, string, IEnumerable<T>> read)
    {
        using var reader = OpenText(path);
        foreach (var row in read(reader, path)) yield return row;
    }

    /// <summary>The file as text, decompressed when its first bytes say so (the recorded histories of
    /// scenarios/histories are kept gzipped): recognised by content, never by name.</summary>
    private static TextReader OpenText(string path)
    {
        try
        {
            return Sources.LogFiles.OpenText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleFileException(path, 0, "", e.Message, e);
        }
    }

    /// <summary>The server-wide columns come first in <see cref="SampleCsv.Columns"/>: sample … stat_wal_bytes.</summary>
    private static readonly int ServerColumns = SampleCsv.ServerColumns.Length;

    // c[] holds the position of each schema column in this file, in SampleCsv.Columns order.
    private static SampleRow ParseRow(Cells r, int[] c, ServerSample? sameServer)
    {
        ServerSample server;
        if (sameServer is { } same) server = same;
        else
        {
            server = default;
            var columns = SampleCsv.ServerColumns;
            for (var k = 0; k < columns.Length; k++) columns[k].Read(r, c[k], ref server);
        }
        if (r.IsEmpty(c[ServerColumns]))
        {
            for (var i = ServerColumns + 1; i < c.Length; i++)
                if (c[i] >= 0 && !r.IsEmpty(c[i])) throw r.Error(c[i], "must be empty when slot_name is (a sample without slots)");
            return new SampleRow(server, null);
        }
        SlotSample slot = default;
        var slotColumns = SampleCsv.SlotColumns;
        for (var k = 0; k < slotColumns.Length; k++)
            if (c[ServerColumns + k] >= 0) slotColumns[k].Read(r, c[ServerColumns + k], ref slot); // else a column this file predates
        return new SampleRow(server, slot);
    }

    /// <summary>Typed access to the cells of the current record, with errors that name the cell (the readers of
    /// <see cref="SampleCsv.ServerColumns"/> and <see cref="SampleCsv.SlotColumns"/> use it).</summary>
    internal sealed class Cells(CsvRecordReader csv, string file)
    {
        private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
        private string[] _names = [];
        private int _width;

        /// <summary>Reads the header; returns, for each expected column, its index in this file (−1 for one of
        /// <paramref name="optional"/> the file lacks).</summary>
        public int[] Header(IReadOnlyList<string> expected, IReadOnlySet<string>? optional = null)
        {
            if (!csv.Read()) throw new SampleFileException(file, 0, "", "the file is empty; expected a header line: " + string.Join(',', expected));
            _width = csv.Count;
            _names = new string[_width];
            _seen = new string[_width][];
            for (var i = 0; i < _width; i++) _names[i] = csv[i].ToString();
            var index = new int[expected.Count];
            var missing = new List<string>();
            for (var k = 0; k < expected.Count; k++)
            {
                index[k] = Array.IndexOf(_names, expected[k]);
                if (index[k] < 0 && optional?.Contains(expected[k]) != true) missing.Add(expected[k]);
            }
            if (missing.Count > 0)
                throw new SampleFileException(file, csv.Line, "", $"missing column(s) {string.Join(", ", missing)}: is this a file written by walsim sample?");
            return index;
        }

        public void CheckCount()
        {
            if (csv.Count != _width)
                throw new SampleFileException(file, csv.Line, "", string.Create(Inv, $"expected {_width} cells as in the header, got {csv.Count}"));
        }

        public SampleFileException Error(int i, string reason) => new(file, csv.Line, _names[i], reason);

        private SampleFileException Expected(int i, string what) =>
            Error(i, $"expected {what}, got {Walsim.Analyzer.Scenarios.ValueParser.Show(csv[i].ToString())}");

        public bool IsEmpty(int i) => csv[i].IsEmpty;

        public string? Text(int i) => csv[i].IsEmpty ? null : csv[i].ToString();

        // Slot names, plugins, databases and reasons repeat in every sample: the same few strings, not one per row.
        // Indexed by cell (sized by the header): a dictionary lookup per cell cost a twentieth of the parse.
        private string[]?[] _seen = [];

        /// <summary>As <see cref="Text"/>, returning the same string object for a value this column had recently.</summary>
        public string? Repeated(int i)
        {
            var span = csv[i];
            if (span.IsEmpty) return null;
            var recent = _seen[i] ??= new string[8];
            foreach (var r in recent) if (r is not null && span.SequenceEqual(r)) return r;
            var text = span.ToString();
            Array.Copy(recent, 0, recent, 1, recent.Length - 1);
            recent[0] = text;
            return text;
        }

        public long Long(int i) => OptionalLong(i) ?? throw Expected(i, "a whole number, at least 0");

        public long? OptionalLong(int i, long max = long.MaxValue, bool allowNegative = false)
        {
            var s = csv[i];
            if (s.IsEmpty) return null;
            if (long.TryParse(s, allowNegative ? NumberStyles.AllowLeadingSign : NumberStyles.None, Inv, out var v) && v <= max && (allowNegative || v >= 0))
                return v;
            throw Expected(i, allowNegative ? "a whole number of bytes" : "a whole number, at least 0");
        }

        public ulong ULong(int i, ulong max = ulong.MaxValue) =>
            ulong.TryParse(csv[i], NumberStyles.None, Inv, out var v) && v <= max ? v : throw Expected(i, "a whole number, at least 0");

        public bool Bool(int i) => OptionalBool(i) ?? throw Expected(i, "true or false");

        public bool? OptionalBool(int i) => csv[i] switch
        {
            "" => null,
            "true" => true,
            "false" => false,
            _ => throw Expected(i, "true or false"),
        };

        public DateTimeOffset Time(int i) =>
            FastTime(csv[i]) is { } fast ? fast
            : DateTimeOffset.TryParseExact(csv[i], SampleCsv.TimeFormat, Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? t : throw Expected(i, "a UTC time like 2025-01-31T12:00:00.000000Z");

        /// <summary>yyyy-MM-ddTHH:mm:ss.ffffffZ read digit by digit (the general parser is a fifth of a replay's time);
        /// null for anything else, which the general parser then judges.</summary>
        private static DateTimeOffset? FastTime(ReadOnlySpan<char> s)
        {
            if (s.Length != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z') return null;
            int year = Digits(s, 0, 4), month = Digits(s, 5, 2), day = Digits(s, 8, 2), hour = Digits(s, 11, 2), minute = Digits(s, 14, 2),
                second = Digits(s, 17, 2), micros = Digits(s, 20, 6);
            if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || micros < 0)
                return null;
            return new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(micros * 10L);
        }

        private static int Digits(ReadOnlySpan<char> s, int from, int count)
        {
            var v = 0;
            for (var k = from; k < from + count; k++)
            {
                var d = s[k] - '0';
                if ((uint)d > 9) return -1;
                v = v * 10 + d;
            }
            return v;
        }

        public Lsn Lsn(int i)
        {
            var s = csv[i];
            if (s.IsEmpty) return Simulator.Units.Lsn.Invalid;
            return Simulator.Units.Lsn.TryParse(s, out var lsn) ? lsn : throw Expected(i, "an LSN like 0/16B3748");
        }

        public PgVersion Version(int i)
        {
            // Not PgVersion.Parse: a server may run a minor newer than the newest walsim was checked against.
            var s = csv[i];
            var dot = s.IndexOf('.');
            if (dot > 0 && int.TryParse(s[..dot], NumberStyles.None, Inv, out var major) && LiveCatalog.Supports(major)
                && int.TryParse(s[(dot + 1)..], NumberStyles.None, Inv, out var minor))
                return new PgVersion(major, minor);
            throw Expected(i, $"a PostgreSQL version like 15.18 ({SupportedVersions.Range})");
        }

        public WalSegmentSize SegmentSize(int i) =>
            long.TryParse(csv[i], NumberStyles.None, Inv, out var b) && WalSegmentSize.IsValid(b)
                ? new WalSegmentSize(b) : throw Expected(i, "a segment size in bytes, a power of two from 1048576 to 1073741824");

        /// <summary>Empty, or a WAL segment file name: 24 upper-case hex digits (the sampler keeps only those).</summary>
        public string? WalFileName(int i)
        {
            var s = csv[i];
            if (s.IsEmpty) return null;
            if (s.Length == 24 && !s.ContainsAnyExcept("0123456789ABCDEF")) return s.ToString();
            throw Expected(i, "a WAL segment file name of 24 hex digits like 000000010000000000000003");
        }

        public SlotKind Kind(int i) => csv[i] switch
        {
            "physical" => SlotKind.Physical,
            "logical" => SlotKind.Logical,
            _ => throw Expected(i, "physical or logical"),
        };

        public WalStatus? WalStatus(int i) => csv[i] switch
        {
            "" => null,
            "reserved" => Simulator.Results.WalStatus.Reserved,
            "extended" => Simulator.Results.WalStatus.Extended,
            "unreserved" => Simulator.Results.WalStatus.Unreserved,
            "lost" => Simulator.Results.WalStatus.Lost,
            _ => throw Expected(i, "reserved, extended, unreserved or lost"),
        };
    }
}

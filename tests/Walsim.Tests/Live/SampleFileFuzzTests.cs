using Walsim.Analyzer.Live;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Live;

/// <summary>
/// Mutates a valid sample file and its settings sidecar in many small, deterministic ways — a cell replaced by a
/// value of another kind, an LSN moved far ahead or back, lines swapped, repeated or cut — and reads the results as
/// <c>replay</c> and <c>forecast</c> do: each must either read or be refused with a <see cref="SampleFileException"/>
/// naming its line, never anything else. The sample-file counterpart of <see cref="Scenarios.ScenarioFuzzTests"/>.
/// </summary>
public sealed class SampleFileFuzzTests
{
    private const int Cases = 400;

    private static readonly string[] Values =
    [
        "", "-1", "0", "abc", "1.5", "99999999999999999999", "0/0", "FFFFFFFF/FFFFFFFF", "0/1", "1/0", "true",
        "2025-01-31T12:00:00.000000Z", "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00.000000Z", "lost", "logical",
        "000000010000000000000001", "18.99", "11.0", "\"a,b\"",
    ];

    private static readonly string[] Settings =
        ["max_wal_size", "min_wal_size", "checkpoint_timeout", "wal_level", "max_slot_wal_keep_size", "wal_recycle", "checkpoint_completion_target"];

    private static readonly string[] SettingValues = ["banana", "", "-5", "1", "1e400", "0.5", "on", "300", "logical", "16"];

    private static readonly string[] Lines = Good().Split('\n');

    /// <summary>Twenty minutes of <see cref="ForecastTests.TwoHours"/>: enough samples for checkpoints and a rate.</summary>
    private static string Good() =>
        LiveFixtures.Csv([.. ForecastTests.TwoHours().Take(120).SelectMany(f => f.Slots.Select(s => (f.Server, (SlotSample?)s)))]);

    public static IEnumerable<object[]> Mutations() => Enumerable.Range(0, Cases).Select(i => new object[] { i });

    [Theory, MemberData(nameof(Mutations))]
    public void A_mutated_sample_file_reads_or_is_refused_with_its_line(int seed)
    {
        var (samples, settings, what) = Mutate(new Random(seed));
        if (Read(samples, settings) is { } e)
        {
            Assert.True(e.Line > 0, $"{what}: {e.Message}");
            Assert.DoesNotContain("Exception", e.Message);
        }
    }

    /// <summary>The mutations are worth their time only if some are refused and some still read.</summary>
    [Fact]
    public void The_mutations_are_a_mix_of_files_refused_and_files_that_still_read()
    {
        var refused = Enumerable.Range(0, Cases).Count(seed =>
        {
            var (samples, settings, _) = Mutate(new Random(seed));
            return Read(samples, settings) is not null;
        });
        Assert.InRange(refused, Cases / 5, Cases - Cases / 10);
    }

    /// <summary>Reads the files as replay and forecast do; returns the refusal, null when they read. Anything but a
    /// <see cref="SampleFileException"/> fails the test.</summary>
    private static SampleFileException? Read(string samples, string settings)
    {
        try
        {
            var rows = SampleFile.Read(new StringReader(samples), "samples.csv").ToList();
            var setting = SampleFile.ReadSettings(new StringReader(settings), "samples.settings.csv").ToList();
            if (rows.Count > 0) _ = SampledSettings.From(setting, rows[0].Server.Version);
            _ = SampleFrames.Group(rows).Count();
            return null;
        }
        catch (SampleFileException e)
        {
            return e;
        }
    }

    private static (string Samples, string Settings, string What) Mutate(Random rng)
    {
        var lines = Lines.ToList();
        var settings = $"{SampleCsv.SettingsHeader}\n1,2025-01-31T12:00:00.000000Z,max_wal_size,1024,MB\n1,2025-01-31T12:00:00.000000Z,min_wal_size,80,MB\n";
        var line = rng.Next(1, lines.Count - 1); // a data line (the last is empty: the file ends in a line end)
        string what;
        switch (rng.Next(6))
        {
            case 0 or 1:
            {
                var cells = lines[line].Split(',');
                var column = rng.Next(cells.Length);
                var value = Values[rng.Next(Values.Length)];
                cells[column] = value;
                lines[line] = string.Join(',', cells);
                what = $"line {line + 1}: {SampleCsv.Columns[Math.Min(column, SampleCsv.Columns.Count - 1)]} = {value}";
                break;
            }
            case 2:
            {
                // The WAL position of one sample's rows moved by up to ±2^k bytes.
                var shift = (long)Math.Pow(2, rng.Next(10, 63)) * (rng.Next(2) == 0 ? -1 : 1);
                var sample = lines[line].Split(',')[0];
                foreach (var k in Enumerable.Range(1, lines.Count - 2).Where(k => lines[k].Split(',')[0] == sample))
                {
                    var cells = lines[k].Split(',');
                    foreach (var c in new[] { 9, 10 })
                        if (Lsn.TryParse(cells[c], out var lsn)) cells[c] = new Lsn(unchecked((ulong)((long)lsn.Value + shift))).ToString();
                    lines[k] = string.Join(',', cells);
                }
                what = $"sample {sample}: WAL position {shift:+#;-#} bytes";
                break;
            }
            case 3:
            {
                var other = rng.Next(1, lines.Count - 1);
                (lines[line], lines[other]) = (lines[other], lines[line]);
                what = $"lines {line + 1} and {other + 1} swapped";
                break;
            }
            case 4:
                lines[line] = lines[line][..rng.Next(lines[line].Length)];
                what = $"line {line + 1} cut";
                break;
            default:
            {
                var name = Settings[rng.Next(Settings.Length)];
                var value = SettingValues[rng.Next(SettingValues.Length)];
                var unit = rng.Next(3) switch { 0 => "", 1 => "MB", _ => "s" };
                settings += $"1,2025-01-31T12:00:00.000000Z,{name},{value},{unit}\n";
                what = $"setting {name} = {value} {unit}";
                break;
            }
        }
        return (string.Join('\n', lines), settings, what);
    }
}

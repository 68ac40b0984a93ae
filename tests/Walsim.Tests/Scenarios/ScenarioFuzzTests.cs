using System.Text;
using System.Text.RegularExpressions;
using Walsim.Analyzer.Scenarios;

namespace Walsim.Tests.Scenarios;

/// <summary>
/// Mutates valid scenarios in many small, deterministic ways and loads the results from disk: each must either load
/// or be rejected with a <see cref="ScenarioException"/> that has a location and a message — never anything else.
/// </summary>
public sealed partial class ScenarioFuzzTests
{
    private const int Cases = 800;

    private static readonly string[] Seeds =
    [
        """
        name: retention-cap
        versions: [12, 13.3, 13.4, 16, 18]
        wal_segment_size: 1MB
        duration: 1d
        sample_interval: 10min
        start: {insert_lsn: 0/100028, files_ahead: 2}
        settings:
          max_wal_size: 64MB
          min_wal_size: 4MB
          checkpoint_timeout: 5min
          checkpoint_completion_target: 0.9
        version_settings:
          "12": {wal_keep_segments: 4}
          "13+": {wal_keep_size: 4MB, max_slot_wal_keep_size: 256MB}
        workload:
          - constant: 1MB/s
            from: 1h
            until: 20h
          - burst: {at: 3h, duration: 20min, rate: 20MB/s}
        slots:
          - name: rep1
            consumer:
              lag: 2s
              confirm_every: 10s
              outages:
                - {from: 6h, until: 9h}
        events:
          - {at: 2h, checkpoint: true}
          - {at: 4h, set: {max_slot_wal_keep_size: 1GB}, versions: "13+"}
          - {at: 10h, advance_slot: rep1, to: current}
        expect:
          - {slot: rep1, lost: {between: [6h, 9h]}, versions: "13.4+"}
          - {slot: rep1, lost: never, versions: "12"}
          - {peak_pg_wal: {max: 2GB}}
          - {at: 5h, files_in_pg_wal: {min: 2, max: 400}}
        """,
        """
        name: tap-steps
        versions: [13, 15, 17]
        wal_segment_size: 1MB
        sample_interval: 0
        settings: {min_wal_size: 2MB, max_wal_size: 4MB, log_checkpoints: "on"}
        slots:
          - {name: rep1, type: physical, reserve: false, consumer: none}
        steps:
          - observe
          - checkpoint
          - switch_wal
          - advance_slot: rep1
            via: walsender
          - write_segments: 4
          - set: {max_slot_wal_keep_size: 6MB}
          - write: 512kB
          - checkpoint
          - create_slot: {name: s2, type: physical, reserve: true}
          - drop_slot: s2
        expect:
          - {at_step: 1, slot: rep1, wal_status: null}
          - {at_step: 4, slot: rep1, wal_status: reserved}
          - {at_step: 6, slot: rep1, safe_wal_size: {min: 1MB, max: 7MB}}
          - {at_step: 8, checkpoint: {removed: 0, recycled: 1}}
          - {at_step: 8, keep_segment: 3}
          - {at_step: 10, slot: s2, wal_status: dropped}
          - {invalidations: 0}
        """,
        """
        name: managed-cdc
        description: >
          A logical slot on a quiet managed instance.
        versions: [14, 16, 18]
        wal_segment_size: 64MB
        duration: 2d
        sample_interval: 1h
        settings:
          wal_level: logical
          archive_mode: "on"
          archive_timeout: 5min
          min_wal_size: 192MB
          max_wal_size: 2GB
        workload:
          - daily: {mean: 2MB/s, amplitude: 0.5, peak_hour: 14, resolution: 30min}
          - piecewise: [{at: 0h, rate: 100kB/s}, {at: 12h, rate: 1MB/s}]
          - every: 5min
            write: 8kB
        slots:
          - name: cdc
            type: logical
            created_at: 10min
            consumer:
              lag: 1min
              lag_bytes: 16kB
              confirm_every: 0
              outages: [{from: 20h}]
        transactions:
          - {name: report, begin: 1h, until: 5h}
        archiver:
          lag: 30s
          failures: [{from: 2h, until: 3h}]
        disk:
          size: 100GB
          other_usage: 10GB
          read_only_at: 95%
        expect:
          - {disk_full: never}
          - {read_only: {after: 1d}}
          - {slot: cdc, extended: {before: 1d}, versions: "14+"}
          - {at: 1d, slot: cdc, retained_wal: {max: 50GB}}
          - {checkpoints: {min: 10}}
        """,
        """
        versions: 16
        duration: 12h
        settings: {wal_level: logical}
        slots: [{name: a, consumer: {lag: 5s}}, {name: b}]
        events:
          - {at: 1h, stop_consumer: a}
          - {at: 2h, start_consumer: a}
          - {at: 3h, write: 1GB}
          - {at: 3h, switch_wal: true}
          - {at: 4h, create_slot: {name: c, type: logical, consumer: {lag: 1s}}}
          - {at: 5h, advance_slot: b, to: 0/5000000}
          - {at: 6h, drop_slot: c}
          - {at: 7h, observe: true}
        expect:
          - {at: 2h, slot: a, active: true}
          - {at: 3h, slot: b, restart_lsn: 0/1000000}
          - {at: 6h, pg_wal_size: {max: 10GB}}
          - {slot: b, unreserved: {after: 1h}}
        """,
    ];

    private static readonly string[] Garbage =
    [
        "abc", "-5", "-1MB", "-0", "0", "1e308", "99999999999999999999999", "99999999TB", "9223372036854775807us",
        "18446744073709551616", "0x10", "NaN", ".inf", "1.5.5", "5 MB", "5mb", "5MB/fortnight", "1h30min", "13+", "0/0",
        "FFFFFFFF/FFFFFFFF", "G/1", "true", "off", "5MB/s", "1h", "[1, 2]", "{a: 1}", "[]", "{}", "~", "null", "''", "\"\"",
        "!!binary x", "&a", "*nope", "&a [*a]", "€", "\u0000", "\u202E", "\uD800", "x: y: z", "- item", "|", ">", "'unterminated",
        "\"unterminated", "{unclosed", "[unclosed", "2147483648", "-9223372036854775808", "1000001", "100%", "101%", "0%",
        new string('9', 400), new string('[', 200),
    ];

    private static readonly string[] NumberReplacements = ["0", "-1", "99999999999999999999", "2147483648", "9223372036854775807", "1.5", "00"];

    private static readonly byte[][] BadUtf8 =
    [
        [0xC3, 0x28], [0xFF], [0x80], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80],
    ];

    [GeneratedRegex(@"(?<=:[ \t]+)[^\s,{}\[\]#][^,{}\[\]#\n]*")]
    private static partial Regex MappingValue();

    [GeneratedRegex(@"(?<=[\[,][ \t]*)[^\s,{}\[\]#][^,{}\[\]#\n]*")]
    private static partial Regex FlowItem();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [Fact]
    public void Seeds_are_valid_scenarios()
    {
        foreach (var seed in Seeds) ScenarioLoader.Parse(seed, "seed.yaml");
    }

    [Fact]
    public void Mutated_scenarios_load_or_fail_with_a_located_scenario_error()
    {
        var rng = new Random(20_251_121);
        var dir = Directory.CreateTempSubdirectory("walsim-fuzz-");
        var failures = new List<string>();
        int loaded = 0, rejected = 0;
        try
        {
            for (var i = 0; i < Cases; i++)
            {
                var (bytes, what) = Mutate(Seeds[rng.Next(Seeds.Length)], rng);
                var path = Path.Combine(dir.FullName, $"case{i:000}.yaml");
                File.WriteAllBytes(path, bytes);
                try
                {
                    ScenarioLoader.Load(path);
                    loaded++;
                }
                catch (ScenarioException e)
                {
                    rejected++;
                    if (e.Line < 0 || string.IsNullOrWhiteSpace(e.Reason) || !e.Message.StartsWith(path, StringComparison.Ordinal))
                        failures.Add($"case {i} ({what}): badly located error: {e.Message}");
                }
                catch (Exception e)
                {
                    failures.Add($"case {i} ({what}): {e.GetType().Name}: {e.Message}\n---\n{Encoding.UTF8.GetString(bytes)}\n---");
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Both outcomes occur, so the mutations neither always break the file nor never touch anything that matters.
        Assert.InRange(loaded, 1, Cases - 1);
        Assert.Equal(Cases, loaded + rejected);
    }

    /// <summary>One to three text mutations, sometimes followed by invalid UTF-8 bytes; returns the bytes and a label.</summary>
    private static (byte[] Bytes, string What) Mutate(string seed, Random rng)
    {
        var text = seed;
        var labels = new List<string>();
        for (var n = rng.Next(1, 4); n > 0; n--)
        {
            var (mutated, label) = rng.Next(10) switch
            {
                0 => (text[..rng.Next(text.Length + 1)], "truncate"),
                1 => (ReplaceMatch(text, MappingValue(), rng, Pick(Garbage, rng)), "replace value"),
                2 => (ReplaceMatch(text, FlowItem(), rng, Pick(Garbage, rng)), "replace flow item"),
                3 => (ReplaceMatch(text, Digits(), rng, Pick(NumberReplacements, rng)), "replace number"),
                4 => (InsertUnknownKey(text, rng), "unknown key"),
                5 => (EditLines(text, rng, (lines, i) => lines.Insert(i, lines[i])), "duplicate line"),
                6 => (EditLines(text, rng, (lines, i) => lines.RemoveAt(i)), "delete line"),
                7 => (EditLines(text, rng, (lines, i) => lines[i] = Reindent(lines[i], rng)), "indentation"),
                8 => (EditLines(text, rng, (lines, i) => (lines[i], lines[(i + 1) % lines.Count]) = (lines[(i + 1) % lines.Count], lines[i])), "swap lines"),
                _ => (text.Insert(rng.Next(text.Length + 1), Pick(Garbage, rng)), "insert garbage"),
            };
            text = mutated;
            labels.Add(label);
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        if (rng.Next(8) == 0)
        {
            var at = rng.Next(bytes.Length + 1);
            bytes = [.. bytes[..at], .. Pick(BadUtf8, rng), .. bytes[at..]];
            labels.Add("invalid UTF-8");
        }
        return (bytes, string.Join(", ", labels));
    }

    private static T Pick<T>(T[] items, Random rng) => items[rng.Next(items.Length)];

    private static string ReplaceMatch(string text, Regex regex, Random rng, string replacement)
    {
        var matches = regex.Matches(text);
        if (matches.Count == 0) return text;
        var m = matches[rng.Next(matches.Count)];
        return string.Concat(text.AsSpan(0, m.Index), replacement, text.AsSpan(m.Index + m.Length));
    }

    private static string InsertUnknownKey(string text, Random rng)
    {
        var brace = text.IndexOf('{', rng.Next(text.Length));
        if (brace >= 0 && rng.Next(2) == 0) return text.Insert(brace + 1, "bogus_key: 1, ");
        return EditLines(text, rng, (lines, i) =>
        {
            var indent = lines[i].Length - lines[i].TrimStart().Length + (lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal) ? 2 : 0);
            lines.Insert(i + 1, new string(' ', indent) + "bogus_key: 1");
        });
    }

    private static string Reindent(string line, Random rng)
    {
        var body = line.TrimStart();
        return rng.Next(3) switch
        {
            0 => new string(' ', rng.Next(0, 9)) + body,
            1 => "\t" + line,
            _ => body,
        };
    }

    private static string EditLines(string text, Random rng, Action<List<string>, int> edit)
    {
        var lines = text.Split('\n').ToList();
        edit(lines, rng.Next(lines.Count));
        return string.Join('\n', lines);
    }
}

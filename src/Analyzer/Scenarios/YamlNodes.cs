using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Walsim.Analyzer.Scenarios;

/// <summary>A YAML node with the dotted path that leads to it, so every error can name file, line and field.</summary>
internal readonly record struct Node(YamlNode Yaml, string Path, string File)
{
    public int Line => YamlInput.ToInt(Yaml.Start.Line);
    public int Column => YamlInput.ToInt(Yaml.Start.Column);
    public SourceLocation Location => new(File, Line, Column);

    public ScenarioException Error(string reason) => new(File, Line, Column, Path, reason);

    public Node Child(YamlNode yaml, string key) => new(yaml, Path.Length == 0 ? key : $"{Path}.{key}", File);

    /// <summary>A plain <c>~</c>, <c>null</c> or empty value.</summary>
    public bool IsNull => Yaml is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private string Kind => Yaml switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull => "nothing",
        YamlScalarNode s => ValueParser.Show(s.Value),
        _ => "an unsupported node",
    };

    /// <summary>The text of a scalar; anything else (or an empty value) is an error naming <paramref name="expected"/>.</summary>
    public string Scalar(string expected) =>
        Yaml is YamlScalarNode { Value: { } v } && !IsNull ? v : throw Error($"expected {expected}, got {Kind}");

    public IReadOnlyList<Node> List(string expected)
    {
        if (Yaml is not YamlSequenceNode seq) throw Error($"expected {expected}, got {Kind}");
        var path = Path;
        var file = File;
        return seq.Children.Select((c, i) => new Node(c, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), file)).ToList();
    }

    /// <summary>A list, or a single scalar taken as a one-item list (<c>versions: 15</c>).</summary>
    public IReadOnlyList<Node> ListOrScalar(string expected) => Yaml is YamlScalarNode && !IsNull ? [this] : List(expected);

    /// <summary>Reads a mapping whose keys must all be in <paramref name="validKeys"/> (null: any key).</summary>
    public Map Map(string expected, IReadOnlyCollection<string>? validKeys, string keyNoun = "key")
    {
        if (Yaml is not YamlMappingNode map) throw Error($"expected {expected}, got {Kind}");
        var entries = new List<Entry>();
        foreach (var (k, v) in map.Children)
        {
            var keyText = k is YamlScalarNode { Value: { } s } ? s : "";
            var keyNode = Child(k, keyText);
            if (keyText.Length == 0) throw keyNode.Error("expected a key name");
            if (validKeys is not null && !validKeys.Contains(keyText))
                throw keyNode.Error($"unknown {keyNoun} {ValueParser.Show(keyText)}{Suggest(keyText, validKeys)}; valid {keyNoun}s: {string.Join(", ", validKeys)}");
            entries.Add(new Entry(keyText, keyNode, Child(v, keyText)));
        }
        return new Map(this, entries);
    }

    /// <summary>Which of <paramref name="candidates"/> are keys of this mapping (in file order).</summary>
    public IReadOnlyList<string> KeysAmong(IReadOnlyCollection<string> candidates, string expected) =>
        Yaml is YamlMappingNode map
            ? map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").Where(candidates.Contains).ToList()
            : throw Error($"expected {expected}, got {Kind}");

    public ByteCount Size(bool allowNegative = false) =>
        ValueParser.TryParseSize(Scalar(ValueParser.SizeExample), out var size, out var error, allowNegative) ? size : throw Error(error!);

    public ByteCount PositiveSize()
    {
        var size = Size();
        return size.Bytes > 0 ? size : throw Error($"expected a size greater than zero, got {Kind}");
    }

    public SimDuration Duration() =>
        ValueParser.TryParseDuration(Scalar(ValueParser.DurationExample), out var d, out var error) ? d : throw Error(error!);

    public SimDuration PositiveDuration()
    {
        var d = Duration();
        return d.Microseconds > 0 ? d : throw Error($"expected a duration greater than zero, got {Kind}");
    }

    /// <summary>A moment, written as the time since the scenario started (<c>6h</c>).</summary>
    public SimTime Time() => new(Duration().Microseconds);

    public double Rate() =>
        ValueParser.TryParseRate(Scalar(ValueParser.RateExample), out var r, out var error) ? r : throw Error(error!);

    public long Integer(long min, long max)
    {
        var expected = min == 0 && max >= int.MaxValue ? "a whole number (0 or more)" : string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} to {max}");
        var text = Scalar(expected);
        return ValueParser.TryParseInteger(text, out var v) && v >= min && v <= max ? v : throw Error($"expected {expected}, got {Kind}");
    }

    public double Number(double min, double max)
    {
        var expected = string.Create(CultureInfo.InvariantCulture, $"a number from {min} to {max}");
        var text = Scalar(expected);
        return ValueParser.TryParseNumber(text, out var v) && v >= min && v <= max ? v : throw Error($"expected {expected}, got {Kind}");
    }

    public bool Bool() => Scalar("true or false").ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => throw Error($"expected true or false, got {Kind}"),
    };

    public Lsn Lsn()
    {
        var text = Scalar("an LSN like 0/16B3748").Trim();
        return Walsim.Simulator.Units.Lsn.TryParse(text, out var lsn) ? lsn : throw Error($"expected an LSN like 0/16B3748, got {Kind}");
    }

    /// <summary>One of <paramref name="choices"/>, exactly.</summary>
    public string Choice(params string[] choices)
    {
        var expected = "one of " + string.Join(", ", choices);
        var text = Scalar(expected);
        return choices.Contains(text, StringComparer.Ordinal) ? text : throw Error($"expected {expected}, got {Kind}");
    }

    public VersionRange VersionRange()
    {
        var text = Scalar("a version range like 13+, 12, 13-15 or all");
        return Walsim.Simulator.Scenarios.VersionRange.TryParse(text, out var range, out var error) ? range : throw Error(error!);
    }

    /// <summary>The node as compact flow-style YAML (<c>{slot: rep1, lost: never}</c>), shortened if very long.</summary>
    public string FlowText()
    {
        var sb = new StringBuilder();
        AppendFlow(Yaml, sb, 0);
        return sb.Length > MaxFlowText ? sb.ToString(0, MaxFlowText) + "…" : sb.ToString();
    }

    private const int MaxFlowText = 200;

    private static void AppendFlow(YamlNode node, StringBuilder sb, int depth)
    {
        if (sb.Length > MaxFlowText) return;
        if (depth > 8) { sb.Append('…'); return; }
        switch (node)
        {
            case YamlScalarNode s when s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted:
                sb.Append('"').Append((s.Value ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                break;
            case YamlScalarNode s:
                sb.Append(s.Value);
                break;
            case YamlSequenceNode seq:
                sb.Append('[');
                var first = true;
                foreach (var c in seq.Children)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendFlow(c, sb, depth + 1);
                }
                sb.Append(']');
                break;
            case YamlMappingNode map:
                sb.Append('{');
                var firstPair = true;
                foreach (var (k, v) in map.Children)
                {
                    if (!firstPair) sb.Append(", ");
                    firstPair = false;
                    AppendFlow(k, sb, depth + 1);
                    sb.Append(": ");
                    AppendFlow(v, sb, depth + 1);
                }
                sb.Append('}');
                break;
        }
    }

    private static string Suggest(string key, IEnumerable<string> valid)
    {
        var best = valid.Select(v => (v, d: Distance(key, v))).MinBy(x => x.d);
        return best.v is not null && best.d <= Math.Max(1, key.Length / 4) ? $" (did you mean {best.v}?)" : "";
    }

    /// <summary>Levenshtein distance, for "did you mean" hints on misspelt keys.</summary>
    private static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

internal readonly record struct Entry(string Key, Node KeyNode, Node Value);

/// <summary>A mapping whose keys have been checked; values are looked up by key.</summary>
internal sealed class Map(Node node, IReadOnlyList<Entry> entries)
{
    public Node Node { get; } = node;
    public IReadOnlyList<Entry> Entries { get; } = entries;

    public Node? this[string key]
    {
        get
        {
            foreach (var e in Entries)
                if (e.Key == key) return e.Value;
            return null;
        }
    }

    public bool Has(string key) => Entries.Any(e => e.Key == key);

    public Node KeyNode(string key) => Entries.First(e => e.Key == key).KeyNode;

    public Node Required(string key) =>
        this[key] ?? throw Node.Error($"missing key \"{key}\"");
}

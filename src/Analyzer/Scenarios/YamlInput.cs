using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Walsim.Analyzer.Scenarios;

/// <summary>Turns scenario text into one YAML node tree, converting every failure into a <see cref="ScenarioException"/>.</summary>
internal static class YamlInput
{
    /// <summary>Collections nested deeper than this are rejected before YamlDotNet's recursive loader can exhaust the stack.</summary>
    private const int MaxDepth = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes UTF-8 strictly; an invalid byte is reported with its line.</summary>
    public static string Decode(byte[] bytes, string file)
    {
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException ex)
        {
            var at = Math.Clamp(ex.Index, 0, bytes.Length);
            var line = 1 + bytes.AsSpan(0, at).Count((byte)'\n');
            throw new ScenarioException(file, line, 0, "", "the file is not valid UTF-8 text", ex);
        }
    }

    /// <summary>The document's root node, or null when the file holds no document (empty or only comments).</summary>
    public static YamlNode? ReadRoot(string text, string file)
    {
        var stream = new YamlStream();
        var parser = new GuardedParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            const string duplicate = "Duplicate key ";
            var reason = ex switch
            {
                GuardException => ex.Message,
                _ when ex.Message.StartsWith(duplicate, StringComparison.Ordinal) => $"duplicate key \"{ex.Message[duplicate.Length..]}\"",
                _ => "invalid YAML: " + ex.Message.TrimEnd('.'),
            };
            throw new ScenarioException(file, ToInt(ex.Start.Line), ToInt(ex.Start.Column), "", reason, ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // The parser is third-party code at a trust boundary: whatever it throws on hostile input is still "bad YAML"
            // (YamlDotNet 16.3 throws InvalidOperationException for e.g. a flow list left open to the end of the file).
            var at = parser.LastGood;
            throw new ScenarioException(file, ToInt(at.Line), ToInt(at.Column), "", $"invalid YAML after this point ({ex.Message.TrimEnd('.')}); is a bracket or quote left open?", ex);
        }
        return stream.Documents.Count switch
        {
            0 => null,
            1 => stream.Documents[0].RootNode,
            _ => throw new ScenarioException(file, ToInt(stream.Documents[1].RootNode.Start.Line), 0, "",
                "a scenario file holds one YAML document; found a second one (remove the `---` separator)"),
        };
    }

    internal static int ToInt(long value) => (int)Math.Clamp(value, 0, int.MaxValue);

    private sealed class GuardException(Mark at, string message) : YamlException(at, at, message);

    /// <summary>
    /// Rejects, while parsing, what the scenario format never needs and what could make loading blow up: deep
    /// nesting, an alias inside its own anchor (a cyclic node graph) and non-scalar mapping keys.
    /// </summary>
    private sealed class GuardedParser(IParser inner) : IParser
    {
        private sealed class Frame(bool isMapping, string? anchor)
        {
            public bool IsMapping { get; } = isMapping;
            public string? Anchor { get; } = anchor;
            public bool ExpectKey { get; set; } = true;
        }

        private readonly List<Frame> open = [];

        public ParsingEvent? Current => inner.Current;

        /// <summary>Where the last event the parser produced starts, to place errors the parser throws without a mark.</summary>
        public Mark LastGood { get; private set; } = Mark.Empty;

        public bool MoveNext()
        {
            if (!inner.MoveNext()) return false;
            LastGood = inner.Current?.Start ?? LastGood;
            switch (inner.Current)
            {
                case MappingStart or SequenceStart or Scalar or AnchorAlias:
                    var e = inner.Current;
                    if (open.Count > 0 && open[^1].IsMapping)
                    {
                        if (open[^1].ExpectKey && e is not Scalar)
                            throw new GuardException(e.Start, "mapping keys must be plain names, not lists, mappings or aliases");
                        open[^1].ExpectKey = !open[^1].ExpectKey;
                    }
                    if (e is AnchorAlias alias && open.Exists(f => f.Anchor == alias.Value.Value))
                        throw new GuardException(e.Start, $"alias *{alias.Value.Value} refers to a node that contains it");
                    if (e is NodeEvent { } start and (MappingStart or SequenceStart))
                    {
                        if (open.Count >= MaxDepth)
                            throw new GuardException(e.Start, $"nesting deeper than {MaxDepth} levels");
                        open.Add(new Frame(e is MappingStart, start.Anchor.IsEmpty ? null : start.Anchor.Value));
                    }
                    break;
                case MappingEnd or SequenceEnd:
                    if (open.Count > 0) open.RemoveAt(open.Count - 1);
                    break;
            }
            return true;
        }
    }
}

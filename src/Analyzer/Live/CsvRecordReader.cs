using System.Text;

namespace Walsim.Analyzer.Live;

/// <summary>
/// Reads RFC 4180 records one at a time without buffering the file: a record is usually one line, several when a
/// quoted field holds a line break. Fields are spans over the line (or over an unescaped copy when the record has
/// quotes), valid until the next <see cref="Read"/>.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly List<(int Start, int Length)> _fields = [];
    private readonly StringBuilder _unescaped = new();
    private string _text = "";
    private int _nextLine = 1;

    /// <summary>The 1-based line on which the current record starts.</summary>
    public int Line { get; private set; }

    public int Count => _fields.Count;

    public ReadOnlySpan<char> this[int i] => _text.AsSpan(_fields[i].Start, _fields[i].Length);

    /// <summary>Reads the next record; false at the end of the input. Blank lines are skipped.</summary>
    public bool Read()
    {
        string? line;
        do
        {
            line = reader.ReadLine();
            if (line is null) return false;
            Line = _nextLine++;
        } while (line.Length == 0);
        _fields.Clear();
        if (!line.Contains('"'))
        {
            _text = line;
            var start = 0;
            for (var i = 0; i <= line.Length; i++)
            {
                if (i < line.Length && line[i] != ',') continue;
                _fields.Add((start, i - start));
                start = i + 1;
            }
            return true;
        }
        ReadQuoted(line);
        return true;
    }

    private void ReadQuoted(string line)
    {
        _unescaped.Clear();
        var i = 0;
        var fieldStart = 0;
        var inQuotes = false;
        while (true)
        {
            if (i == line.Length)
            {
                if (!inQuotes)
                {
                    _fields.Add((fieldStart, _unescaped.Length - fieldStart));
                    break;
                }
                // A quoted line break: the record goes on on the next line.
                var next = reader.ReadLine();
                if (next is null)
                {
                    _fields.Add((fieldStart, _unescaped.Length - fieldStart));
                    break;
                }
                _nextLine++;
                _unescaped.Append('\n');
                line = next;
                i = 0;
                continue;
            }
            var c = line[i++];
            if (inQuotes)
            {
                if (c != '"') _unescaped.Append(c);
                else if (i < line.Length && line[i] == '"') { _unescaped.Append('"'); i++; }
                else inQuotes = false;
            }
            else if (c == '"') inQuotes = true;
            else if (c == ',')
            {
                _fields.Add((fieldStart, _unescaped.Length - fieldStart));
                fieldStart = _unescaped.Length;
            }
            else _unescaped.Append(c);
        }
        _text = _unescaped.ToString();
    }
}

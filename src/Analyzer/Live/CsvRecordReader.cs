using System.Text;

namespace Walsim.Analyzer.Live;

/// <summary>
/// Reads RFC 4180 records one at a time without buffering the file: a record is usually one line, several when a
/// quoted field holds a line break. Lines are read into one reused buffer (a sample file of ten million rows must not
/// make ten million strings), and fields are spans over it (or over an unescaped copy when the record has quotes),
/// valid until the next <see cref="Read"/>.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly List<(int Start, int Length)> _fields = [];
    private readonly StringBuilder _unescaped = new();
    private readonly char[] _block = new char[1 << 16];
    private int _blockPos, _blockLen;
    private bool _eof;
    private char[] _line = new char[1024];
    private int _lineLen;
    private char[] _text = [];                 // the record's text: _line, or the unescaped copy
    private int _nextLine = 1;

    /// <summary>The 1-based line on which the current record starts.</summary>
    public int Line { get; private set; }

    public int Count => _fields.Count;

    public ReadOnlySpan<char> this[int i] => _text.AsSpan(_fields[i].Start, _fields[i].Length);

    /// <summary>The record's text before field <paramref name="i"/> (fields 0 to i−1 with their separators).</summary>
    public ReadOnlySpan<char> Before(int i) => _text.AsSpan(0, _fields[i].Start);

    /// <summary>Reads the next record; false at the end of the input. Blank lines are skipped.</summary>
    public bool Read()
    {
        do
        {
            if (!NextLine()) return false;
            Line = _nextLine++;
        } while (_lineLen == 0);
        _fields.Clear();
        var span = _line.AsSpan(0, _lineLen);
        if (!span.Contains('"'))
        {
            _text = _line;
            // Fields are short (8 characters on average): a plain scan beats a vectorised search per field.
            var start = 0;
            for (var i = 0; i < span.Length; i++)
            {
                if (span[i] != ',') continue;
                _fields.Add((start, i - start));
                start = i + 1;
            }
            _fields.Add((start, span.Length - start));
            return true;
        }
        ReadQuoted();
        return true;
    }

    /// <summary>The next line (without its \n or \r\n) into <see cref="_line"/>; false at the end of the input.</summary>
    private bool NextLine()
    {
        _lineLen = 0;
        var any = false;
        while (true)
        {
            if (_blockPos == _blockLen)
            {
                if (_eof) break;
                _blockLen = reader.Read(_block, 0, _block.Length);
                _blockPos = 0;
                if (_blockLen == 0) { _eof = true; break; }
            }
            any = true;
            var rest = _block.AsSpan(_blockPos, _blockLen - _blockPos);
            var nl = rest.IndexOf('\n');
            var take = nl < 0 ? rest.Length : nl;
            Append(rest[..take]);
            _blockPos += nl < 0 ? take : take + 1;
            if (nl >= 0) break;
        }
        if (!any) return false;
        if (_lineLen > 0 && _line[_lineLen - 1] == '\r') _lineLen--;
        return true;
    }

    private void Append(ReadOnlySpan<char> s)
    {
        if (_lineLen + s.Length > _line.Length) Array.Resize(ref _line, Math.Max(_line.Length * 2, _lineLen + s.Length));
        s.CopyTo(_line.AsSpan(_lineLen));
        _lineLen += s.Length;
    }

    private void ReadQuoted()
    {
        _unescaped.Clear();
        var line = _line.AsSpan(0, _lineLen).ToString();
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
                if (!NextLine())
                {
                    _fields.Add((fieldStart, _unescaped.Length - fieldStart));
                    break;
                }
                _nextLine++;
                _unescaped.Append('\n');
                line = _line.AsSpan(0, _lineLen).ToString();
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
        _text = new char[_unescaped.Length];
        _unescaped.CopyTo(0, _text, _unescaped.Length);
    }
}

namespace Walsim.Analyzer.Reports;

/// <summary>
/// Every format of one report, in one place beside its renderers: what <c>--format</c> accepts (the text formats
/// that go to stdout, the first being what a person at a terminal sees by default), what <c>--out DIR</c> writes and
/// what an HTML page brings along. A new format is one renderer registered here; the CLI reads its choices from
/// <see cref="StdoutNames"/> and writes files through <see cref="AtomicFile.WriteAll{TReport}"/>.
/// </summary>
/// <typeparam name="TReport">What the renderers render.</typeparam>
public sealed class RendererRegistry<TReport>
{
    private readonly Dictionary<string, IRenderer<TReport>> _byName;

    /// <param name="baseName">The files' name before the extension in <c>--out DIR</c> (<c>whatif</c> → whatif.md, whatif.json).</param>
    /// <param name="renderers">Every format; those with <see cref="IRenderer{TReport}.Stdout"/> in the order the help
    /// lists them, the first the default.</param>
    /// <param name="outFiles">The formats <c>--out DIR</c> writes, in order.</param>
    /// <param name="page">What an HTML page is written with: the page's format, then what goes beside it, named after
    /// the page with its own extension (simulate's data as JSON: report.html, report.json).</param>
    public RendererRegistry(string baseName, IReadOnlyList<IRenderer<TReport>> renderers, IReadOnlyList<string>? outFiles = null, IReadOnlyList<string>? page = null)
    {
        BaseName = baseName;
        All = renderers;
        _byName = renderers.ToDictionary(r => r.Name, StringComparer.Ordinal); // throws on a name given twice
        var stdout = new List<ITextRenderer<TReport>>();
        foreach (var r in renderers.Where(r => r.Stdout))
            stdout.Add(r as ITextRenderer<TReport> ?? throw new ArgumentException($"{baseName}: format {r.Name} is not text and cannot go to stdout", nameof(renderers)));
        Printable = stdout;
        OutFiles = (outFiles ?? []).Select(Get).ToList();
        Page = (page ?? []).Select(Get).ToList();
    }

    public string BaseName { get; }

    public IReadOnlyList<IRenderer<TReport>> All { get; }

    /// <summary>The formats <c>--format</c> offers on stdout.</summary>
    public IReadOnlyList<ITextRenderer<TReport>> Printable { get; }

    /// <summary><c>--format</c>'s choices.</summary>
    public string[] StdoutNames => [.. Printable.Select(r => r.Name)];

    /// <summary>
    /// <c>--format</c>'s default: the view for people at a terminal. Commands print their notes (the files they
    /// wrote) only with it, so that the other formats can be piped into a program.
    /// </summary>
    public ITextRenderer<TReport> Default => Printable[0];

    public IReadOnlyList<IRenderer<TReport>> OutFiles { get; }

    public IReadOnlyList<IRenderer<TReport>> Page { get; }

    public IRenderer<TReport> Get(string name) =>
        _byName.TryGetValue(name, out var r) ? r : throw new ArgumentException($"{BaseName} has no format \"{name}\"; it has {string.Join(", ", _byName.Keys)}", nameof(name));

    /// <summary>The stdout format called <paramref name="name"/>, or null when there is none.</summary>
    public ITextRenderer<TReport>? FindPrintable(string name) => Printable.FirstOrDefault(r => r.Name == name);

    /// <summary>The stdout format called <paramref name="name"/>; the CLI only passes names it offered (<see cref="StdoutNames"/>).</summary>
    public ITextRenderer<TReport> GetPrintable(string name) =>
        FindPrintable(name) ?? throw new ArgumentException($"{BaseName} has no format \"{name}\" for stdout; it has {string.Join(", ", StdoutNames)}", nameof(name));

    /// <summary><c>--format</c>'s choices for its help: "a table, Markdown (a pull-request comment) or JSON".</summary>
    public string DescribePrintable()
    {
        var names = Printable.Select(r => r.Description).OfType<string>().ToList();
        return names.Count < 2 ? string.Concat(names) : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    /// <summary>What <c>--out <paramref name="dir"/></c> writes: <c>BASE.EXTENSION</c> for each of <see cref="OutFiles"/>.</summary>
    public IEnumerable<(string Path, IRenderer<TReport> Renderer)> OutFilesIn(string dir) =>
        OutFiles.Select(r => (Path.Combine(dir, $"{BaseName}.{r.Extension}"), r));

    /// <summary>
    /// What a command writes, for <see cref="AtomicFile.WriteAll{TReport}"/>: <see cref="OutFiles"/> into
    /// <paramref name="outDir"/> (none without it), then the page when one is asked for (<paramref name="page"/>: its
    /// path, or empty for <c>BASE.html</c> in <paramref name="outDir"/>, else in <paramref name="pageDir"/>).
    /// </summary>
    public IEnumerable<(string Path, IRenderer<TReport> Renderer)> Files(string? outDir, string? page, string pageDir)
    {
        var files = outDir is null ? [] : OutFilesIn(outDir);
        return page is null ? files : files.Concat(PageAt(page.Length > 0 ? page : PageIn(outDir ?? pageDir)));
    }

    /// <summary>Where the page goes in <paramref name="dir"/> when no file is named: <c>BASE.html</c>.</summary>
    public string PageIn(string dir) => Path.Combine(dir, $"{BaseName}.{Page[0].Extension}");

    /// <summary>The page at <paramref name="pagePath"/> and what goes beside it (<see cref="Page"/>).</summary>
    public IEnumerable<(string Path, IRenderer<TReport> Renderer)> PageAt(string pagePath) =>
        Page.Select((r, i) => (i == 0 ? pagePath : Path.ChangeExtension(pagePath, r.Extension), r));
}

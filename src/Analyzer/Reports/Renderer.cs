namespace Walsim.Analyzer.Reports;

/// <summary>
/// One output format of one report (a what-if, a plan, a simulate summary …): what <c>--format NAME</c> prints and
/// what a command writes as <c>BASE.EXTENSION</c>. Each report lists its formats in a <see cref="RendererRegistry{T}"/>
/// beside its renderers; the CLI offers and looks them up there.
/// </summary>
/// <typeparam name="TReport">What is rendered (a <c>WhatIfReport</c>, a <c>PlanReport</c> …).</typeparam>
public interface IRenderer<in TReport>
{
    /// <summary>The format's name, as <c>--format</c> takes it: <c>table</c>, <c>markdown</c>, <c>json</c>, <c>png</c>.</summary>
    string Name { get; }

    /// <summary>The file extension, without the dot: <c>md</c>, <c>json</c>, <c>png</c>.</summary>
    string Extension { get; }

    /// <summary>Whether <c>--format</c> offers it on stdout: text meant to be read or piped. Pages and images go to files only.</summary>
    bool Stdout { get; }

    /// <summary>Writes the report to <paramref name="output"/> (UTF-8 text, or bytes), leaving the stream open.</summary>
    void Render(TReport report, Stream output);
}

/// <summary>A format that is text: it also writes to a <see cref="TextWriter"/> (stdout, a test's string).</summary>
public interface ITextRenderer<in TReport> : IRenderer<TReport>
{
    /// <summary>How <c>--format</c>'s help names it (<c>Markdown (a pull-request comment)</c>); null = left out of the help's sentence.</summary>
    string? Description { get; }

    void Render(TReport report, TextWriter output);
}

/// <summary>A text format from a write function: UTF-8 without a byte order mark, LF line ends, to a file or stdout.</summary>
/// <param name="name">See <see cref="IRenderer{TReport}.Name"/>.</param>
/// <param name="extension">See <see cref="IRenderer{TReport}.Extension"/>.</param>
/// <param name="write">Renders the report.</param>
/// <param name="description">See <see cref="ITextRenderer{TReport}.Description"/>.</param>
/// <param name="stdout">False for text that belongs in a file (an HTML page, SVG).</param>
public sealed class TextRenderer<TReport>(string name, string extension, Action<TextWriter, TReport> write, string? description = null, bool stdout = true)
    : ITextRenderer<TReport>
{
    public string Name => name;
    public string Extension => extension;
    public bool Stdout => stdout;
    public string? Description => description;

    public void Render(TReport report, TextWriter output) => write(output, report);

    public void Render(TReport report, Stream output)
    {
        using var writer = AtomicFile.NewTextWriter(output);
        write(writer, report);
    }
}

/// <summary>A format that is bytes (a PNG chart): files only.</summary>
public sealed class BinaryRenderer<TReport>(string name, string extension, Action<Stream, TReport> render) : IRenderer<TReport>
{
    public string Name => name;
    public string Extension => extension;
    public bool Stdout => false;

    public void Render(TReport report, Stream output) => render(output, report);
}

using Walsim.Analyzer.Reports.Charts;

namespace Walsim.Cli.Commands;

/// <summary>
/// <c>--png</c>, <c>--svg</c> and <c>--chart-size</c>, as simulate, whatif and plan take them: a report's charts as
/// images, one file per chart, named after the report (<c>whatif.pg-wal.png</c>, <c>whatif.slot-1-cdc.png</c>).
/// </summary>
internal sealed class ChartOptions
{
    private ChartOptions(Option<bool> png, Option<bool> svg, Option<ChartSize?> size) => (Png, Svg, Size) = (png, svg, size);

    public Option<bool> Png { get; }
    public Option<bool> Svg { get; }
    public Option<ChartSize?> Size { get; }

    /// <param name="files">The charts' files and where they go, for the help: "report.pg-wal.png and report.slot-N-NAME.png per slot, in the output directory".</param>
    /// <param name="more">What else to say of <c>--png</c> (whatif's <c>--out</c> writes them anyway); empty for nothing.</param>
    public static ChartOptions Create(string files, string more = "")
    {
        var png = new Option<bool>("--png") { Description = $"Also write the charts as PNG images, one file per chart: {files}.{more}" };
        var svg = new Option<bool>("--svg") { Description = "Also write the charts as SVG, named as --png names them with .svg (text, the same on every machine)." };
        var size = new Option<ChartSize?>("--chart-size")
        {
            Description = $"The charts' size in pixels, WIDTHxHEIGHT. [default: {ChartSize.Default}]",
            HelpName = "size",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (ChartSize.TryParse(text, out var s)) return s;
                r.AddError($"--chart-size: expected WIDTHxHEIGHT in pixels, {ChartSize.Range}, like {ChartSize.Default}, got \"{text}\"");
                return null;
            },
        };
        return new ChartOptions(png, svg, size);
    }

    public ChartOutput From(ParseResult r) => ChartOutput.Of(r.GetValue(Png), r.GetValue(Svg), r.GetValue(Size) ?? ChartSize.Default);
}

using Walsim.Analyzer.Reports;

namespace Walsim.Analyzer.Validation;

/// <summary>
/// The formats of <c>walsim validate</c>'s report (its runs, in order): the agreement table on stdout (printed run by
/// run as each finishes), and what <c>--out DIR</c> writes: every decision as validation.csv, the totals as
/// validation.json, both or neither.
/// </summary>
public static class ValidationRenderers
{
    public static readonly TextRenderer<IReadOnlyList<ValidationRun>> Table = new("table", "txt", (w, runs) =>
    {
        foreach (var run in runs) ValidationReport.WriteTable(w, run);
    }, "a table");

    public static readonly TextRenderer<IReadOnlyList<ValidationRun>> Csv = new("csv", "csv", ValidationReport.WriteCsv, stdout: false);

    public static readonly TextRenderer<IReadOnlyList<ValidationRun>> Json = new("json", "json", ValidationReport.WriteJson, stdout: false);

    public static readonly RendererRegistry<IReadOnlyList<ValidationRun>> Registry =
        new("validation", [Table, Csv, Json], outFiles: [Csv.Name, Json.Name]);
}

using System.Globalization;
using CsvHelper;

namespace Walsim.Analyzer.Validation;

/// <summary>Where the server's side of a decision was seen: a step of <c>walsim validate</c>, or a sample of
/// <c>walsim replay</c> with the server's clock at it.</summary>
public readonly record struct DecisionPoint(long Number, DateTimeOffset? Time)
{
    public static DecisionPoint AtStep(int step) => new(step, null);
    public static DecisionPoint AtSample(long sample, DateTimeOffset time) => new(sample, time);
}

/// <summary>
/// One decision compared, predicted against observed: what the model computed from the observed inputs, what the
/// server did, and whether they agree (a predicted range agrees when the observed value lies in it). Made by
/// <c>walsim validate</c> (<see cref="ModelReplay"/>, <see cref="RestartpointReplay"/>) and <c>walsim replay</c>.
/// </summary>
public sealed record Decision(
    DecisionPoint At,
    int? Checkpoint,
    string Subject,
    string Field,
    string Predicted,
    string Observed,
    bool Agrees,
    string Inputs)
{
    /// <summary>The validate step it was seen after.</summary>
    public int Step => checked((int)At.Number);

    /// <summary>The replay sample it was seen at.</summary>
    public long Sample => At.Number;

    /// <summary>The server time of that sample.</summary>
    public DateTimeOffset Time => At.Time ?? default;

    /// <summary>Slot names as a decision shows them: sorted (ordinal), comma-separated, "-" for none.</summary>
    public static string Names(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "-" : string.Join(",", list);
    }

    /// <summary>The CSV columns every decision has, after those saying where it was seen.</summary>
    internal static readonly string[] CsvColumns = ["checkpoint", "subject", "field", "predicted", "observed", "agrees", "inputs"];

    /// <summary>Writes <see cref="CsvColumns"/> of this decision (validation.csv and <c>replay --csv</c>).</summary>
    internal void WriteCsvFields(CsvWriter csv)
    {
        csv.WriteField(Checkpoint?.ToString(CultureInfo.InvariantCulture) ?? "");
        csv.WriteField(Subject);
        csv.WriteField(Field);
        csv.WriteField(Predicted);
        csv.WriteField(Observed);
        csv.WriteField(Agrees ? "true" : "false");
        csv.WriteField(Inputs);
    }

    /// <summary>Writes the JSON properties every decision has after where it was seen (validation.json).</summary>
    internal void WriteJsonFields(System.Text.Json.Utf8JsonWriter j)
    {
        j.WriteString("subject", Subject);
        j.WriteString("field", Field);
        j.WriteString("predicted", Predicted);
        j.WriteString("observed", Observed);
        j.WriteString("inputs", Inputs);
    }
}

using System.Text.Json;

namespace Walsim.Analyzer.Reports;

/// <summary>The one shape every JSON report repeats: a named array with one object per item.</summary>
internal static class JsonArrays
{
    /// <summary><c>name: [{…}, …]</c>, each object's members written by <paramref name="writeMembers"/>.</summary>
    public static void WriteObjects<T>(this Utf8JsonWriter j, string name, IEnumerable<T> items, Action<T> writeMembers)
    {
        j.WriteStartArray(name);
        foreach (var item in items)
        {
            j.WriteStartObject();
            writeMembers(item);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }
}

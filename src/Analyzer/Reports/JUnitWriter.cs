using System.Globalization;
using System.Xml;

namespace Walsim.Analyzer.Reports;

/// <summary>
/// Writes <c>walsim check</c> results as JUnit XML (the format CI servers show): one <c>testsuite</c> per scenario,
/// one <c>testcase</c> per expectation and version, a <c>failure</c> carrying the observed value, an <c>error</c>
/// for a scenario or version that could not be run.
/// </summary>
public static class JUnitWriter
{
    public static void Write(TextWriter w, IReadOnlyList<ScenarioCheck> checks)
    {
        var settings = new XmlWriterSettings { Indent = true, NewLineChars = "\n", OmitXmlDeclaration = false };
        using var x = XmlWriter.Create(w, settings);
        x.WriteStartDocument();
        x.WriteStartElement("testsuites");
        Count(x, checks.Sum(c => c.Outcomes.Count + c.Errors.Count), checks.Sum(c => c.Failed), checks.Sum(c => c.Errors.Count));
        foreach (var c in checks)
        {
            x.WriteStartElement("testsuite");
            x.WriteAttributeString("name", c.Scenario);
            Count(x, c.Outcomes.Count + c.Errors.Count, c.Failed, c.Errors.Count);
            x.WriteAttributeString("file", c.File);
            foreach (var e in c.Errors)
            {
                StartCase(x, c.Scenario, e.Version is { } v ? $"{v}: run" : "load");
                x.WriteStartElement("error");
                x.WriteAttributeString("message", e.Message);
                x.WriteEndElement();
                x.WriteEndElement();
            }
            foreach (var o in c.Outcomes)
            {
                StartCase(x, c.Scenario, CaseName(o));
                if (!o.Passed)
                {
                    x.WriteStartElement("failure");
                    x.WriteAttributeString("message", $"observed: {o.Observed}");
                    x.WriteString($"{Where(o, c.File)}expected {o.Expectation.Text} on PostgreSQL {o.Version}, observed {o.Observed}");
                    x.WriteEndElement();
                }
                x.WriteEndElement();
            }
            x.WriteEndElement();
        }
        x.WriteEndElement();
        x.WriteEndDocument();
        x.Flush();
        w.WriteLine();
    }

    /// <summary>The test name: version, then the expectation as written.</summary>
    public static string CaseName(ExpectationOutcome o) => $"{o.Version}: {o.Expectation.Text}";

    private static string Where(ExpectationOutcome o, string file) =>
        o.Expectation.Location.Line > 0 ? $"{o.Expectation.Location}: " : file.Length > 0 ? $"{file}: " : "";

    private static void StartCase(XmlWriter x, string scenario, string name)
    {
        x.WriteStartElement("testcase");
        x.WriteAttributeString("classname", scenario);
        x.WriteAttributeString("name", name);
    }

    private static void Count(XmlWriter x, int tests, int failures, int errors)
    {
        x.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("errors", errors.ToString(CultureInfo.InvariantCulture));
    }
}

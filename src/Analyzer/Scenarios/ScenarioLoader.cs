namespace Walsim.Analyzer.Scenarios;

/// <summary>
/// Reads scenario files (docs/scenarios.md) into <see cref="Scenario"/> records. Every problem — unreadable bytes,
/// YAML syntax, an unknown key, a malformed value, a slot that does not exist, a setting a version rejects — is
/// reported as a <see cref="ScenarioException"/> naming the file, line and field.
/// </summary>
public static class ScenarioLoader
{
    /// <summary>Scenario files are hand-written; anything this large is the wrong file, and is not read into memory.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>Reads and parses the scenario file at <paramref name="path"/> (UTF-8).</summary>
    public static Scenario Load(string path)
    {
        byte[] bytes;
        try
        {
            if (new FileInfo(path).Length > MaxFileBytes)
                throw new ScenarioException(path, 0, 0, "", $"the file is larger than {MaxFileBytes / (1024 * 1024)}MB; a scenario is a short YAML file");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException(path, 0, 0, "", $"cannot read the file: {ex.Message}", ex);
        }
        return Parse(YamlInput.Decode(bytes, path), path);
    }

    /// <summary>Parses scenario YAML; <paramref name="fileName"/> is used in errors and as the default name.</summary>
    public static Scenario Parse(string yamlText, string fileName) => new ScenarioReader(fileName).Read(yamlText);
}

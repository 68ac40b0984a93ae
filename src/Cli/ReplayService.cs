using Walsim.Analyzer.Live;
using Walsim.Analyzer.Reports;

namespace Walsim.Cli;

/// <param name="SamplesPath">A sample file written by <c>walsim sample</c>; its settings sidecar must be beside it.</param>
/// <param name="Until">Stop replaying there.</param>
/// <param name="CsvPath">Also write every decision to this CSV file.</param>
/// <param name="ListCheckpoints">List every checkpoint, not only those that disagree.</param>
public sealed record ReplayRequest(string SamplesPath, ReplayLimit Until, string? CsvPath, bool ListCheckpoints);

/// <summary><c>walsim replay</c>: a real cluster's samples through the retention model, checkpoint by checkpoint.</summary>
public sealed class ReplayService(TextWriter stdout, TextWriter stderr)
{
    public ExitCode Run(ReplayRequest request)
    {
        var settingsPath = SampleFile.SettingsPath(request.SamplesPath);
        if (!File.Exists(settingsPath))
        {
            stderr.WriteLine($"walsim: {settingsPath}: no such file: replay needs the settings walsim sample wrote beside {request.SamplesPath}");
            return ExitCode.UsageError;
        }
        AtomicFile? csvFile = null;
        try
        {
            csvFile = request.CsvPath is null ? null : AtomicFile.Create(request.CsvPath);
            using var csv = csvFile is null ? null : new ReplayReport.DecisionCsv(csvFile.Writer);
            var settingRows = SampleFile.ReadSettings(settingsPath).ToList();
            var replay = new LiveReplay(request.SamplesPath, v => SampledSettings.From(settingRows, v), csv is null ? null : csv.Write, request.Until);
            foreach (var frame in SampleFrames.Group(SampleFile.Read(request.SamplesPath)))
                if (!replay.Add(frame)) break;
            var summary = replay.Finish();
            csv?.Dispose();
            csvFile?.Commit();
            ReplayReport.WriteText(stdout, request.SamplesPath, summary, request.ListCheckpoints);
            if (csvFile is not null) stdout.WriteLine($"decisions: {request.CsvPath}");
            return summary.Agrees ? ExitCode.Ok : ExitCode.ExpectationsFailed;
        }
        catch (SampleFileException e)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.InvalidScenario;
        }
        catch (Walsim.Simulator.Settings.SettingException e)
        {
            stderr.WriteLine($"walsim: {settingsPath}: {e.Message}");
            return ExitCode.InvalidScenario;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"walsim: {e.Message}");
            return ExitCode.IoError;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"walsim: internal error, please report it with the sample file: {e}");
            return ExitCode.InternalError;
        }
        finally
        {
            csvFile?.Dispose();
        }
    }
}

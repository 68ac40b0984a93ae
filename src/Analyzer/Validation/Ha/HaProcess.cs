using System.Diagnostics;
using System.Globalization;

namespace Walsim.Analyzer.Validation.Ha;

/// <summary>
/// A long-running program of the HA harness (etcd, a Patroni member) started as the server user, its output in a log
/// file. It runs under <c>sh -c 'echo $$ &gt; pid; exec …'</c> so the harness knows the program's own process id (not
/// runuser's) and can signal it: SIGTERM for a clean stop, SIGKILL for a crash.
/// </summary>
internal sealed class HaProcess
{
    public string Name { get; }
    public string LogFile { get; }
    public int Pid { get; }

    private HaProcess(string name, string logFile, int pid)
    {
        Name = name;
        LogFile = logFile;
        Pid = pid;
    }

    /// <summary>The user servers run as: <c>walsim</c> (or <c>$WALSIM_PG_USER</c>) when this process is root, else none.</summary>
    public static string? RunAs => Environment.IsPrivilegedProcess
        ? Environment.GetEnvironmentVariable("WALSIM_PG_USER") is { Length: > 0 } u ? u : "walsim" : null;

    public static async Task<HaProcess> StartAsync(string name, string dir, string file, IReadOnlyList<string> args, CancellationToken ct)
    {
        var pidFile = Path.Combine(dir, name + ".pid");
        var log = Path.Combine(dir, name + ".log");
        var script = $"echo $$ > {Quote(pidFile)}; exec {Quote(file)} {string.Join(' ', args.Select(Quote))} > {Quote(log)} 2>&1";
        var psi = RunAs is { } user ? new ProcessStartInfo("runuser") : new ProcessStartInfo("sh");
        if (RunAs is { } u) foreach (var a in new[] { "-u", u, "--", "sh" }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.UseShellExecute = false;
        // runuser's own messages ("Terminated" when the program is stopped) stay out of walsim's output.
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.Environment["HOME"] = dir; // Patroni writes ~/.pgpass-like files and reads ~/.config
        psi.Environment["LC_ALL"] = "C.UTF-8";
        try
        {
            using var p = Process.Start(psi) ?? throw new ValidationEnvironmentException($"could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ValidationEnvironmentException($"could not start {file}: {e.Message}");
        }
        var started = await Poll.UntilAsync(() => Task.FromResult(File.Exists(pidFile) && new FileInfo(pidFile).Length > 0),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), ct);
        if (!started) throw new ValidationEnvironmentException($"{file} did not start (no {pidFile})");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), CultureInfo.InvariantCulture);
        return new HaProcess(name, log, pid);
    }

    public bool Running => IsRunning(Pid);

    public static bool IsRunning(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, KILL) to <paramref name="pid"/>, or to its process group when
    /// <paramref name="group"/> (a postmaster started with setsid: it and every backend, as a machine crash would).</summary>
    public static async Task SignalAsync(string signal, int pid, bool group)
    {
        var psi = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-" + signal);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add((group ? -pid : pid).ToString(CultureInfo.InvariantCulture));
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
    }

    /// <summary>
    /// A crash of a PostgreSQL server: SIGKILL of its postmaster and of every process it started. Each backend is in a
    /// process group of its own (PostgreSQL's children call setsid), so a group signal would not reach them; they are
    /// listed from /proc before the postmaster dies (they would exit on postmaster death anyway, a moment later).
    /// </summary>
    public static async Task CrashPostmasterAsync(int postmaster)
    {
        var children = new List<int>();
        var list = $"/proc/{postmaster}/task/{postmaster}/children";
        if (File.Exists(list))
            foreach (var t in (await File.ReadAllTextAsync(list)).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) children.Add(pid);
        await SignalAsync("KILL", postmaster, group: false);
        foreach (var pid in children) await SignalAsync("KILL", pid, group: false);
    }

    /// <summary>SIGTERM, then SIGKILL if it is still there after <paramref name="patience"/>.</summary>
    public async Task StopAsync(TimeSpan patience)
    {
        if (!Running) return;
        await SignalAsync("TERM", Pid, group: false);
        if (!await Poll.UntilAsync(() => Task.FromResult(!Running), patience, TimeSpan.FromMilliseconds(100), CancellationToken.None))
            await SignalAsync("KILL", Pid, group: false);
    }

    /// <summary>The last lines of its log, for an error message.</summary>
    public string Tail(int lines = 8)
    {
        try
        {
            using var f = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(f);
            return string.Join(" | ", r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
        }
        catch (IOException) { return "(no log)"; }
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

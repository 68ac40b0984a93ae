using System.Runtime.CompilerServices;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Sources;

/// <summary>
/// The real logs under <c>logs/</c>, captured by <c>scripts/capture-checkpoint-logs.sh</c> from PostgreSQL 12.22,
/// 13.23, 14.23, 15.18, 16.14, 17.10 and 18.4 (1 MB segments, max_wal_size 4MB then 6MB by a reload, min_wal_size
/// 2MB, max_slot_wal_keep_size 2MB on 13+, a restart in the middle).
/// </summary>
internal static class LogFixtures
{
    public static string Path(string name, [CallerFilePath] string source = "") =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(source)!, "logs", name);

    public static string Text(string name) => File.ReadAllText(Path(name));

    /// <summary>The stderr logs with the pgBadger prefix <c>'%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '</c>.</summary>
    public static TheoryData<string, int> PgBadgerLogs => new()
    {
        { "pg12-pgbadger.log", 12 }, { "pg13-pgbadger.log", 13 }, { "pg14-pgbadger.log", 14 }, { "pg15-pgbadger.log", 15 },
        { "pg16-pgbadger.log", 16 }, { "pg17-pgbadger.log", 17 }, { "pg18-pgbadger.log", 18 },
    };

    /// <summary>Every fixture, with the major that wrote it.</summary>
    public static TheoryData<string, int> AllLogs => new()
    {
        { "pg12-pgbadger.log", 12 }, { "pg13-pgbadger.log", 13 }, { "pg14-pgbadger.log", 14 }, { "pg15-pgbadger.log", 15 },
        { "pg16-pgbadger.log", 16 }, { "pg17-pgbadger.log", 17 }, { "pg18-pgbadger.log", 18 },
        { "pg14-cet-m.log", 14 }, { "pg17-cet-m.log", 17 },
        { "pg12-csvlog.csv", 12 }, { "pg15-csvlog.csv", 15 }, { "pg18-csvlog.csv", 18 }, { "pg17-cet-csvlog.csv", 17 },
        { "pg17-cet-jsonlog.json", 17 },
        { "pg12-standby-pgbadger.log", 12 }, { "pg15-standby-pgbadger.log", 15 }, { "pg15-standby-csvlog.csv", 15 },
        { "pg15-standby-jsonlog.json", 15 },
    };

    /// <summary>The settings the capture script starts its servers with (the reloads are in the logs).</summary>
    public static ServerSettings Settings(int major) =>
        ServerSettings.Create(RetentionPolicy.For(PgVersion.Parse(major.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            WalSegmentSize.FromMegabytes(1),
            [KeyValuePair.Create("max_wal_size", "4MB"), KeyValuePair.Create("min_wal_size", "2MB")]);

    public static int CompleteLines(string name) =>
        File.ReadLines(Path(name)).Count(l => l.Contains("checkpoint complete: ", StringComparison.Ordinal) || l.Contains("restartpoint complete: ", StringComparison.Ordinal));
}

/// <summary>
/// A 16-style log of timed checkpoints every 5 minutes, 4 lines each (start, another backend's ERROR and STATEMENT,
/// complete), generated line by line: 16 MB of WAL plus 0–3 MB in a weekly-irrelevant 7-step pattern per
/// checkpoint, with the estimate the checkpointer would log.
/// </summary>
internal sealed class SyntheticLog(int checkpoints) : TextReader
{
    private int _line;
    private ulong _redo = 16 * 1024 * 1024 + 40;
    private double _estimate;

    public static ByteCount DistanceOf(int n) => new(16L * 1024 * 1024 + n % 7 * 512 * 1024);

    public override string? ReadLine()
    {
        if (_line >= checkpoints * 4) return null;
        var n = _line / 4;
        var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(5 * n);
        string text;
        switch (_line % 4)
        {
            case 0:
                text = I($"{t:yyyy-MM-dd HH:mm:ss.fff} UTC [42] LOG:  checkpoint starting: time");
                break;
            case 1:
                text = I($"{t.AddSeconds(1):yyyy-MM-dd HH:mm:ss.fff} UTC [43] ERROR:  relation \"x\" does not exist at character 15");
                break;
            case 2:
                text = I($"{t.AddSeconds(1):yyyy-MM-dd HH:mm:ss.fff} UTC [43] STATEMENT:  select * from x;");
                break;
            default:
                var distance = DistanceOf(n);
                _redo += (ulong)distance.Bytes;
                _estimate = Walsim.Simulator.Engine.Retention.UpdateCheckPointDistanceEstimate(_estimate, distance.Bytes);
                var redo = new Lsn(_redo);
                text = I($"{t.AddSeconds(270):yyyy-MM-dd HH:mm:ss.fff} UTC [42] LOG:  checkpoint complete: wrote 10 buffers (0.1%); 0 WAL file(s) added, 0 removed, 1 recycled; write=269.900 s, sync=0.001 s, total=270.000 s; sync files=1, longest=0.001 s, average=0.001 s; distance={(int)(distance.Bytes / 1024.0)} kB, estimate={(int)(_estimate / 1024.0)} kB; lsn={redo + new ByteCount(56)}, redo lsn={redo}");
                break;
        }
        _line++;
        return text;
    }

    private static string I(FormattableString f) => f.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

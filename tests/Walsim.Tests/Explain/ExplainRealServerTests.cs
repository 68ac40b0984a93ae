using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Walsim.Analyzer.Explain;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Walsim.Tests.Validation;
using Xunit;
using Xunit.Abstractions;

namespace Walsim.Tests.Explain;

/// <summary>
/// <c>walsim explain</c> on real servers, 12–18: a slot left behind past max_slot_wal_keep_size (13+), a newer slot,
/// wal_keep_size (wal_keep_segments on 12), an archive_command that starts failing and a 12 MB spike that raises the
/// distance estimate. Five rounds: explain, then CHECKPOINT — the breakdown adds up to pg_ls_waldir(), the checkpoint's
/// "removed"/"recycled" counts are the predicted ones, and exactly the files predicted to go are gone.
/// </summary>
/// <remarks>
/// The archiver fails while the file <c>archive-fails</c> exists in the data directory (archive_command runs there):
/// archive_mode is a restart setting, so it is on from the start, and a flag file needs no reload to take effect. A
/// physical slot created with immediately_reserve starts at the last checkpoint's redo (ReplicationSlotReserveWal), so
/// s2 holds every file written after the archiver started failing: those files are "slot", not "archiver", until s2
/// and wal_keep_size let go of them (round 4); once the archiver recovers they are removable (round 5).
/// </remarks>
public sealed partial class ExplainRealServerTests(ITestOutputHelper output)
{
    [RealServerTheory(12, 13, 14, 15, 16, 17, 18)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task The_breakdown_adds_up_to_pg_ls_waldir_and_the_next_checkpoint_takes_exactly_the_files_predicted(int major)
    {
        var install = PostgresInstall.Find(major, PostgresInstall.DefaultRoot());
        Assert.True(install is not null, $"PostgreSQL {major} binaries are missing under {PostgresInstall.DefaultRoot()}: run scripts/install-postgres.sh");
        var policy = RetentionPolicy.For(install!.Version);
        KeyValuePair<string, string>[] settings =
        [
            new("wal_level", "logical"), new("max_wal_senders", "5"), new("max_replication_slots", "5"),
            new("max_wal_size", "64MB"), new("min_wal_size", "4MB"),
            new("archive_mode", "on"), new("archive_command", $"test ! -e {ArchiveFails}"),
            policy.KeepKnob == WalKeepKnob.WalKeepSegments ? new("wal_keep_segments", "8") : new("wal_keep_size", "8MB"),
            .. policy.CapsSlotRetention ? [new KeyValuePair<string, string>("max_slot_wal_keep_size", "24MB")] : Array.Empty<KeyValuePair<string, string>>(),
        ];
        {
            await using var cluster = await ThrowawayCluster.StartAsync(install, WalSegmentSize.FromMegabytes(1), settings, keep: false, CancellationToken.None);
            await using var c = await cluster.ConnectAsync(CancellationToken.None);
            await Exec(c, "SELECT pg_create_physical_replication_slot('s1', true)");
            await WriteMb(c, 2);
            await Exec(c, "CHECKPOINT");
            await WriteMb(c, 12); // the spike: the estimate jumps to its distance
            await Exec(c, "CHECKPOINT");
            await ArchiverCaughtUp(c);
            // From here on every archive attempt fails (the archiver retries, and keeps the oldest .ready first).
            await File.WriteAllTextAsync(Path.Combine(cluster.DataDir, ArchiveFails), "");
            await WriteMb(c, 3); // not archived: .ready from here on
            await Exec(c, "SELECT pg_create_physical_replication_slot('s2', true)");
            await WriteMb(c, 4);
            await Exec(c, "CHECKPOINT");
            await WriteMb(c, 6); // s1 is now 27 MB behind: past the 24 MB cap (13+)

            var round1 = await Round(cluster, c, "1: two slots, s1 past the cap");
            Assert.Contains(round1.Totals, t => t.Reason == WalHoldReason.Redo && t.Files > 0);
            Assert.Contains(round1.Totals, t => t.Reason == WalHoldReason.WalKeep && t.Files > 0);
            Assert.Contains(round1.Totals, t => t.Reason == WalHoldReason.Slot && t.Slot == "s1" && t.Files > 0);
            Assert.Contains(round1.Totals, t => t.Reason == WalHoldReason.Slot && t.Slot == "s2" && t.Files > 0);
            Assert.Equal("s1", round1.MinimumSlot?.Name);
            Assert.Equal("s2", round1.NextSlot?.Name);
            if (policy.CapsSlotRetention) Assert.Contains(round1.Next!.Invalidated, i => i.Name == "s1");

            await Exec(c, "SELECT pg_drop_replication_slot('s1')");
            await Round(cluster, c, "2: s1 dropped");

            await WriteMb(c, 1);
            var round3 = await Round(cluster, c, "3: recycled ahead");
            Assert.Contains(round3.Totals, t => t.Reason == WalHoldReason.RecycledAhead && t.Files > 0);

            // Nothing but the archiver holds the files written since it started failing: every .ready file below the
            // redo segment is "archiver", and RemoveOldXlogFiles keeps exactly them (XLogArchiveCheckDone).
            var keep = policy.KeepKnob == WalKeepKnob.WalKeepSegments ? "wal_keep_segments" : "wal_keep_size";
            await Exec(c, $"ALTER SYSTEM SET {keep} = 0");
            await Exec(c, "SELECT pg_reload_conf()");
            await Reloaded(cluster, keep);
            await Exec(c, "SELECT pg_drop_replication_slot('s2')");
            await WriteMb(c, 3);
            await Exec(c, "CHECKPOINT");
            var ready = await Ready(c);
            var round4 = await Round(cluster, c, "4: only the archiver holds");
            var archiver = round4.Files.Where(f => f.Reason == WalHoldReason.Archiver).Select(f => f.WalFile.Name).ToList();
            Assert.NotEmpty(archiver);
            Assert.Equal(ready, archiver);
            Assert.Equal(round4.FileCount - archiver.Count, round4.Totals.Where(t => t.Reason is WalHoldReason.Redo or WalHoldReason.RecycledAhead).Sum(t => t.Files));

            // The archiver recovers (a new .ready file wakes it): the same files are now removable, and the next
            // checkpoint takes exactly them.
            File.Delete(Path.Combine(cluster.DataDir, ArchiveFails));
            await WriteMb(c, 1);
            await ArchiverCaughtUp(c);
            var round5 = await Round(cluster, c, "5: the archiver caught up");
            Assert.Equal(archiver, round5.Files.Where(f => f.Reason == WalHoldReason.Removable).Select(f => f.WalFile.Name));
            // (It also takes the old redo segment: with wal_keep at 0 nothing holds it once the redo moves on.)
            Assert.Equal(archiver.Count, round5.Next!.Going.Where(g => g.Reason == WalHoldReason.Removable).Sum(g => g.Files));
        }
    }

    /// <summary>The file whose presence makes archive_command fail (relative: it runs in the data directory).</summary>
    private const string ArchiveFails = "archive-fails";

    /// <summary>Explains the server, checks the total against pg_ls_waldir(), runs CHECKPOINT and checks what it took.</summary>
    private async Task<WalBreakdown> Round(ThrowawayCluster cluster, NpgsqlConnection c, string name)
    {
        var estimate = LastEstimate(await File.ReadAllTextAsync(cluster.LogFile));
        var report = await LiveExplain.ReadAsync(LiveConnection.Create(cluster.ConnectionString, _ => null), estimate, CancellationToken.None);
        var text = new StringWriter { NewLine = "\n" };
        ExplainWriter.WriteTable(text, [report]);
        output.WriteLine($"round {name}\n{text}");
        var b = report.Breakdown;

        var before = await Files(c);
        var ready = await Ready(c);
        output.WriteLine($".ready: {ready.Count} file(s){(ready.Count > 0 ? $", {ready[0]}..{ready[^1]}" : "")}");
        Assert.Equal(before.Count, b.FileCount);
        // A file is "archiver" only if it is .ready; a .ready file nothing earlier in the order holds is "archiver".
        foreach (var f in b.Files)
            if (f.Reason == WalHoldReason.Archiver || (ready.Contains(f.WalFile.Name) && f.Reason is WalHoldReason.Removable or WalHoldReason.Other))
                Assert.True(f.Reason == WalHoldReason.Archiver && ready.Contains(f.WalFile.Name), $"{f.WalFile.Name}: {f.Reason.Label()}, .ready: {ready.Contains(f.WalFile.Name)}");
        Assert.Equal(before.Count, b.Totals.Sum(t => t.Files));
        Assert.Equal(b.Bytes.Bytes, b.Totals.Sum(t => t.Bytes.Bytes));

        await Exec(c, "CHECKPOINT");
        var log = await File.ReadAllTextAsync(cluster.LogFile);
        var last = CheckpointComplete().Matches(log)[^1];
        var removed = int.Parse(last.Groups["removed"].Value, CultureInfo.InvariantCulture);
        var recycled = int.Parse(last.Groups["recycled"].Value, CultureInfo.InvariantCulture);
        output.WriteLine($"server: {last.Value}");
        var next = b.Next!;
        Assert.Equal((next.Removed, next.Recycled), (removed, recycled));

        var after = (await Files(c)).ToHashSet(StringComparer.Ordinal);
        var going = b.Files.Where(f => f.WalFile.Segment < next.Keep && f.WalFile.Segment <= report.State.ArchivedThrough).Select(f => f.WalFile.Name).ToList();
        Assert.Equal(next.Going.Sum(g => g.Files), going.Count);
        Assert.Equal(removed + recycled, going.Count);
        foreach (var f in b.Files)
            Assert.True(going.Contains(f.WalFile.Name) != after.Contains(f.WalFile.Name),
                $"{f.WalFile.Name} ({f.Reason.Label()}{(f.Slot is null ? "" : " " + f.Slot)}): predicted to {(going.Contains(f.WalFile.Name) ? "go" : "stay")}");
        Assert.Equal(next.FilesAfter, after.Count);
        return b;
    }

    /// <summary>The segment files waiting for the archiver (<c>.ready</c> in pg_wal/archive_status), by name.</summary>
    private static async Task<List<string>> Ready(NpgsqlConnection c)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand("SELECT left(name, 24) FROM pg_ls_archive_statusdir() WHERE name ~ '^[0-9A-F]{24}[.]ready$' ORDER BY name", c);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }

    private static ByteCount? LastEstimate(string log) =>
        Estimate().Matches(log) is { Count: > 0 } m ? ByteCount.FromKilobytes(long.Parse(m[^1].Groups[1].Value, CultureInfo.InvariantCulture)) : null;

    [GeneratedRegex(@"estimate=(\d+) kB")]
    private static partial Regex Estimate();

    [GeneratedRegex(@"checkpoint complete: (?:wrote .*?; )?(?<added>\d+) WAL file\(s\) added, (?<removed>\d+) removed, (?<recycled>\d+) recycled")]
    private static partial Regex CheckpointComplete();

    private static async Task<List<string>> Files(NpgsqlConnection c)
    {
        var list = new List<string>();
        await using var cmd = new NpgsqlCommand($"SELECT name FROM pg_ls_waldir() WHERE {LiveCatalog.WalSegmentFileFilter} ORDER BY name", c);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>About <paramref name="mb"/> MB of WAL in committed messages (a commit flushes: the files exist).</summary>
    private static Task WriteMb(NpgsqlConnection c, int mb) =>
        Exec(c, $"SELECT count(pg_logical_emit_message(true, 'walsim', repeat('x', 100000))) FROM generate_series(1, {mb * 10})");

    /// <summary>Until a new backend shows <paramref name="setting"/> at 0: the postmaster has then read the file and
    /// signalled its children (it does both before it forks the next backend), so the checkpointer reloads at the top of
    /// its next loop, before it looks at a CHECKPOINT requested after this (<c>CheckpointerMain</c>). A fixed second's
    /// wait was enough only on an idle machine.</summary>
    private static async Task Reloaded(ThrowawayCluster cluster, string setting)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            await using var fresh = await cluster.ConnectAsync(CancellationToken.None);
            await using var cmd = new NpgsqlCommand($"SELECT setting FROM pg_settings WHERE name = '{setting}'", fresh);
            if ((string)(await cmd.ExecuteScalarAsync())! == "0") return;
            await Task.Delay(100);
        }
        Assert.Fail($"{setting} = 0 was not reloaded within 60 s");
    }

    private static async Task ArchiverCaughtUp(NpgsqlConnection c)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'", c);
            if ((long)(await cmd.ExecuteScalarAsync())! == 0) return;
            await Task.Delay(200);
        }
        Assert.Fail("the archiver did not catch up within 60 s");
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}

using Walsim.Analyzer.History;
using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>
/// <c>walsim replay</c> on the real histories of scenarios/histories (issue 20: "replay agrees on every decision of
/// every corpus history"), and the two server behaviours those histories showed that the replay had missed: a file
/// removal longer than a sampling interval, and a global slot minimum that lags a logical slot.
/// </summary>
public sealed class HistoryReplayTests
{
    private static string History(string name) =>
        RepoPaths.Of("scenarios", "histories", name, "samples.csv.gz");

    private static (ReplaySummary Summary, List<Decision> Decisions) Replay(string name)
    {
        var h = HistorySources.Open(History(name), HistoryUse.Replay);
        var rows = h.Settings;
        var decisions = new List<Decision>();
        var replay = new LiveReplay(h.Name, v => SampledSettings.From(rows, v), decisions.Add);
        foreach (var frame in h.Frames()) replay.Add(frame);
        return (replay.Finish(), decisions);
    }

    public static TheoryData<string> Corpus() =>
        new(Directory.GetDirectories(Path.GetDirectoryName(Path.GetDirectoryName(History("x")))!).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Replay_agrees_on_every_decision_of_every_corpus_history(string name)
    {
        var (r, _) = Replay(name);
        Assert.True(r.Decisions >= 100, $"{name}: {r.Decisions} decisions");
        Assert.True(r.Agrees, $"{name}: {r.Agreed}/{r.Decisions}; first: {string.Join(" | ", r.Disagreements.Take(2).Select(d => $"{d.Subject} {d.Field}: model {d.Predicted}, server {d.Observed}"))}");
    }

    [Fact]
    public void RemoveOldXlogFiles_longer_than_a_sampling_interval_is_judged_once_the_oldest_file_stops_moving()
    {
        // batch-forgotten-pg13, 22:02:07.97-22:02:09.67: the checkpoint that invalidated standby1 removed 142 files and
        // recycled 28 (server log). Sample 923 still listed 0x61.., sample 924 caught the removal half way (86 files
        // from 0x66), sample 925 showed it done: 29 files from 0x10B, the model's outcome (KeepLogSeg after
        // InvalidateObsoleteReplicationSlots: redo segment 0x10B).
        var (_, d) = Replay("batch-forgotten-pg13");
        var oldest = d.Single(x => x.Subject == "checkpoint 32" && x.Field == "oldest_file");
        var files = d.Single(x => x.Subject == "checkpoint 32" && x.Field == "files");
        Assert.Equal("00000001000000000000010B", oldest.Observed);
        Assert.Equal(("29", "29"), (files.Predicted, files.Observed));
        Assert.True(oldest.Agrees && files.Agrees);
        Assert.Contains("seen at sample 925", oldest.Inputs);
    }

    [Fact]
    public void A_logical_slot_counts_in_KeepLogSeg_only_where_the_last_ReplicationSlotsComputeRequiredLSN_saw_it()
    {
        // idle-pg18: standby1 was invalidated (idle_timeout) at the checkpoint ending 21:59:39, which recomputed the
        // minimum with cdc2 in segment 0x1C. After that only cdc2 (logical, catalog_xmin not moving) advanced, and
        // LogicalConfirmReceivedLocation recomputes only when catalog_xmin moves: the server kept 0x1C for seven
        // minutes while cdc2's restart_lsn went on to 0x24. The model's lower bracket keeps from 0x1C too.
        var (_, d) = Replay("idle-pg18");
        var late = d.Where(x => x.Field == "oldest_file" && x.Subject is "checkpoint 28" or "checkpoint 39").ToList();
        Assert.Equal(2, late.Count);
        Assert.All(late, x => Assert.Equal("00000001000000000000001C", x.Observed));
        Assert.All(late, x => Assert.StartsWith("00000001000000000000001C..", x.Predicted));
        Assert.All(late, x => Assert.True(x.Agrees));
    }
}

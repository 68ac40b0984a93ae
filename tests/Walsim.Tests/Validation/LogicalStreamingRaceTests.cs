using Walsim.Analyzer.Sources;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

using static Walsim.Tests.Validation.Snapshots;

namespace Walsim.Tests.Validation;

/// <summary>
/// A streaming logical consumer that has confirmed all WAL, and a CHECKPOINT on 12-16 (retention-model.md §12.2):
/// the checkpoint logs its running_xacts at its redo, which is the consumer's confirmed_flush, so the walsender takes
/// that record's restart point at once when it decodes it (LogicalIncreaseXminForSlot recomputes the minimum with the
/// restart_lsn from before, LogicalIncreaseRestartDecodingForSlot then moves restart_lsn), and it may decode it before
/// the checkpoint's KeepLogSeg and InvalidateObsoleteReplicationSlots or after them. Numbers from 16.14 runs of
/// scenarios/step-logical-streaming-consumer.yaml, step 11: 1 MB segments, min_wal_size 2MB, max_wal_size
/// 32MB, max_slot_wal_keep_size 4MB; the consumer came back at restart_lsn 0/C00058 and confirmed up to 0/1100058;
/// the CHECKPOINT's redo is 0/1100058 (segment 0x11), pg_wal holds 8..0x11.
/// </summary>
public sealed class LogicalStreamingRaceTests
{
    private static ModelReplay Replay(string version)
    {
        var policy = RetentionPolicy.For(PgVersion.Parse(version));
        return new ModelReplay(policy, ServerSettings.Create(policy, Seg,
            [new("min_wal_size", "2MB"), new("max_wal_size", "32MB"), new("max_slot_wal_keep_size", "4MB")]));
    }

    private static readonly ObservedSlot Before = new("cdc", "logical", new Lsn(0xC * MB + 0x58), true, "unreserved", null,
        new Lsn(0x11 * MB + 0x58), "740");

    private static LoggedCheckpoint Logged(int removed, int recycled, string cutoff, params string[] invalidated) =>
        new(CheckpointCause.Immediate, "immediate force wait", 0, removed, recycled, 5120, 5120, new Lsn(0x11 * MB + 0xD0), new Lsn(0x11 * MB + 0x58),
            [.. invalidated.Select(n => new LoggedInvalidation(n, new Lsn(0xC * MB + 0x58), ""))], [])
        { RemovalCutoff = cutoff };

    private static Dictionary<string, Decision> Run(ModelReplay replay, ObservedSlot after, LoggedCheckpoint logged)
    {
        var before = Snap(0xC * MB + 0x58, 0x11 * MB + 0x58, 8, 0x11, Before);
        replay.Checkpoint(11, before, Snap(0x11 * MB + 0x58, 0x11 * MB + 0x108, 0xD, 0x11, after), logged);
        return replay.Decisions.ToDictionary(d => d.Field);
    }

    // Checkpoint first: KeepLogSeg sees restart_lsn 0/C00058, 0x11 − 0xC = 5 > 4 segments → keep 0x11 − 4 = 0xD; cdc
    // (0/C00058 < 0/D00000) is invalidated and the horizon recomputed without it → keep 0x11, cut-off 0x10, files
    // 8..0x10 recycled (9).
    [Fact]
    public void A_checkpoint_that_reads_the_minimum_before_the_walsender_decodes_its_running_xacts_invalidates_the_slot()
    {
        var d = Run(Replay("16.14"), Before with { RestartLsn = Lsn.Invalid, WalStatus = "lost" }, Logged(0, 9, "000000000000000000000010", "cdc"));

        Assert.Equal(("cdc", "cdc"), (d["invalidated"].Predicted, d["invalidated"].Observed));
        Assert.True(d["recycled"].Agrees);
        Assert.True(d["cutoff"].Agrees);
    }

    // Decoded first: catalog_xmin 740 → 743 recomputes the minimum at 0/C00058 and restart_lsn becomes the running_xacts
    // at the redo, 0/1100058. KeepLogSeg: cap → keep 0xD; InvalidateObsoleteReplicationSlots finds restart_lsn
    // 0/1100058 ≥ 0/D00000: nothing invalidated; cut-off 0xC, files 8..0xC recycled (5).
    [Fact]
    public void A_walsender_that_decodes_the_checkpoints_running_xacts_first_saves_the_slot_on_12_to_16()
    {
        var d = Run(Replay("16.14"), Before with { RestartLsn = new Lsn(0x11 * MB + 0x58), ConfirmedFlush = new Lsn(0x11 * MB + 0x108), CatalogXmin = "743", WalStatus = "reserved" },
            Logged(0, 5, "00000000000000000000000C"));

        Assert.Equal(("-", "-"), (d["invalidated"].Predicted, d["invalidated"].Observed));
        Assert.Equal(("5", "5"), (d["recycled"].Predicted, d["recycled"].Observed));
        Assert.Equal("00000000000000000000000C", d["cutoff"].Predicted);
        Assert.Contains("decoded its running_xacts first (cdc)", d["cutoff"].Inputs, StringComparison.Ordinal);
    }

    // 17+: the checkpoint writes XLOG_CHECKPOINT_REDO first, so its running_xacts is 32 B past confirmed_flush and waits
    // for a confirmation: the slot the server still invalidates is no race (a server that saved it disagrees).
    [Fact]
    public void On_17_the_running_xacts_is_past_confirmed_flush_so_the_checkpoint_decides_first()
    {
        var d = Run(Replay("17.10"), Before with { RestartLsn = new Lsn(0x11 * MB + 0x78), CatalogXmin = "743", WalStatus = "reserved" },
            Logged(0, 5, "00000000000000000000000C"));

        Assert.Equal("cdc", d["invalidated"].Predicted);
        Assert.False(d["invalidated"].Agrees);
    }
}

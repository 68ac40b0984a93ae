using Walsim.Analyzer.Live;
using Walsim.Analyzer.Validation;
using Walsim.Simulator.Results;
using Walsim.Simulator.Units;
using Walsim.Tests.Live;
using Xunit;

namespace Walsim.Tests.Validation;

/// <summary>
/// The invalidation/removal window validate reports for the samples it records: CreateCheckPoint (18) updates
/// pg_control, then InvalidateObsoleteReplicationSlots marks the slot lost, then RemoveOldXlogFiles removes the files
/// it held. 1MB segments; slot s1 at 0/200028 (segment 2); the checkpoint's redo moves from segment 6 to 8 and
/// removes segments 2..7.
/// </summary>
public sealed class ValidationSamplesTests
{
    private static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);

    private static SampleFrame Frame(long n, ulong redoSeg, ulong oldest, WalStatus status) =>
        new(LiveFixtures.Server(n, n * 0.01) with
        {
            SegmentSize = Seg,
            RedoLsn = new Lsn(redoSeg * 0x100000 + 0x28),
            OldestWalFile = Seg.FileName(new SegmentNumber(oldest)),
            NewestWalFile = Seg.FileName(new SegmentNumber(10)),
        }, [LiveFixtures.Physical with { Name = "s1", RestartLsn = status == WalStatus.Lost ? Lsn.Invalid : new Lsn(0x200028), WalStatus = status }]);

    [Fact]
    public void A_sample_showing_the_slot_lost_before_its_files_are_removed_is_the_race_with_the_new_redo()
    {
        // Sample 2 read pg_control (redo 8) and pg_wal (still from 2) before RemoveOldXlogFiles, the slots after the
        // invalidation; sample 3, same redo, shows pg_wal from 8.
        var races = ReplayCheck.InvalidationRemovalRaces([
            Frame(1, redoSeg: 6, oldest: 2, WalStatus.Unreserved),
            Frame(2, redoSeg: 8, oldest: 2, WalStatus.Lost),
            Frame(3, redoSeg: 8, oldest: 8, WalStatus.Lost)]);
        Assert.Equal("sample 2: slot s1 already lost while pg_wal still began at 0000000000000002 (redo 0/800028); sample 3 (redo 0/800028) shows it begin at 0000000000000008",
            Assert.Single(races));
    }

    [Fact]
    public void A_sample_that_read_pg_control_before_its_update_and_the_slots_after_the_invalidation_is_the_race_too()
    {
        var races = ReplayCheck.InvalidationRemovalRaces([
            Frame(1, redoSeg: 6, oldest: 2, WalStatus.Unreserved),
            Frame(2, redoSeg: 6, oldest: 2, WalStatus.Lost),
            Frame(3, redoSeg: 8, oldest: 8, WalStatus.Lost)]);
        Assert.Single(races);
    }

    [Fact]
    public void A_sample_taken_while_the_removal_is_under_way_is_the_race_too()
    {
        // RemoveOldXlogFiles walks pg_wal in directory order: sample 2 listed it with segments 2 and 3 already gone.
        var races = ReplayCheck.InvalidationRemovalRaces([
            Frame(1, redoSeg: 6, oldest: 2, WalStatus.Unreserved),
            Frame(2, redoSeg: 8, oldest: 4, WalStatus.Lost),
            Frame(3, redoSeg: 8, oldest: 8, WalStatus.Lost)]);
        Assert.Single(races);
    }

    [Fact]
    public void A_sample_taken_after_the_removal_is_no_race()
    {
        var races = ReplayCheck.InvalidationRemovalRaces([
            Frame(1, redoSeg: 6, oldest: 2, WalStatus.Unreserved),
            Frame(2, redoSeg: 8, oldest: 8, WalStatus.Lost),
            Frame(3, redoSeg: 8, oldest: 8, WalStatus.Lost)]);
        Assert.Empty(races);
    }
}

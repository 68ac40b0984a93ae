using Walsim.Analyzer.Validation;
using Walsim.Simulator.Units;

namespace Walsim.Tests.Validation;

/// <summary>validate's observation of a 1 MB-segment server, as the model-replay tests write them.</summary>
internal static class Snapshots
{
    public static readonly WalSegmentSize Seg = WalSegmentSize.FromMegabytes(1);
    public const ulong MB = 0x100000;

    /// <summary>Redo at <paramref name="redo"/> (its checkpoint record 0x38 further), write and insert at
    /// <paramref name="write"/>, pg_wal the segments <paramref name="oldest"/>..<paramref name="newest"/>, every one present.</summary>
    public static ServerSnapshot Snap(ulong redo, ulong write, ulong oldest, ulong newest, params ObservedSlot[] slots) =>
        new(new Lsn(write), new Lsn(write), new Lsn(redo + 0x38), new Lsn(redo), slots, new SegmentNumber(oldest), new SegmentNumber(newest),
            (int)(newest - oldest + 1), (long)((newest - oldest + 1) * MB), true);
}

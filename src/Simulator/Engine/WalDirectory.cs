namespace Walsim.Simulator.Engine;

/// <summary>
/// The segment files in pg_wal on the insert timeline. Always a contiguous run [<see cref="Oldest"/>,
/// <see cref="Newest"/>]: files are created one after the other by insertion, recycled into the lowest free
/// names above the newest (<c>InstallXLogFileSegment</c>), pre-allocated just above the insert segment, and
/// removed from the bottom up to the cutoff — except files archiving still needs, and the archiver works
/// oldest-first, so the hole-free shape is preserved.
/// </summary>
public readonly record struct WalDirectory(SegmentNumber Oldest, SegmentNumber Newest)
{
    public long Count => (long)(Newest.Value - Oldest.Value + 1);
    public ByteCount Bytes(WalSegmentSize size) => size.Size * Count;
    public bool Contains(SegmentNumber s) => s >= Oldest && s <= Newest;

    /// <summary>The directory after insertion reached <paramref name="segment"/> (<c>XLogFileInit</c> creates missing files).</summary>
    public WalDirectory Through(SegmentNumber segment) => segment > Newest ? this with { Newest = segment } : this;

    public override string ToString() => $"[{Oldest}..{Newest}] ({Count} files)";
}

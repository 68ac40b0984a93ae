
namespace Walsim.Analyzer.History;

/// <summary>
/// A slot a recorded history shows lost, whatever recorded it: the server's log line invalidating it (exact to the
/// millisecond, with the restart_lsn and, 16+, the bytes over the limit), the first sample showing it lost, or later
/// the first Prometheus point of its <c>wal_status</c> = lost. <see cref="ExceedsBy"/> and <see cref="RestartLsn"/>
/// are null where the source does not say them.
/// </summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="At">When it was lost (the server's time).</param>
/// <param name="RestartLsn">Its restart_lsn when it was lost.</param>
/// <param name="ExceedsBy">How far its restart_lsn was behind the oldest WAL kept (16+ logs it).</param>
/// <param name="Where">Where the source shows it: "server.log:123", "samples.csv sample 41".</param>
public sealed record RecordedSlotLoss(string Slot, DateTimeOffset At, Lsn? RestartLsn, ByteCount? ExceedsBy, string Where);

namespace Walsim.Benchmarks;

/// <summary>
/// The primary the replay and watch benchmarks simulate: PostgreSQL 15 writing 1 MiB/s on average on a daily cycle
/// (±60 %, peak at 14:00, 5-minute noise), max_wal_size 1GB, checkpoint_timeout 5min, a 64GB slot cap, logical
/// decoding on. Each benchmark gives its own slots, sampling interval and length.
/// </summary>
internal static class BenchPrimary
{
    public static readonly PgVersion Version = PgVersion.Parse("15");

    public static Scenario Scenario(string name, IReadOnlyList<SlotSpec> slots, SimDuration sampleInterval, SimDuration duration) => new()
    {
        Name = name,
        Versions = [Version],
        Settings = new Dictionary<string, string> { ["max_wal_size"] = "1GB", ["checkpoint_timeout"] = "5min", ["max_slot_wal_keep_size"] = "64GB", ["wal_level"] = "logical" },
        Workload = new Workload([new DailyCycle(1 * ByteCount.MiB, 0.6, 14, SimDuration.FromMinutes(5))]),
        Slots = slots,
        SampleInterval = sampleInterval,
        Duration = duration,
    };
}

namespace Walsim.Analyzer.Live;

/// <summary>
/// A sample file as a scenario, for <c>walsim whatif samples.csv</c>: what the sampled cluster went through, replayed
/// under other versions' rules. It starts from the cluster at the first sample (pg_wal's oldest and newest files, the
/// last checkpoint's redo and when it started, every slot where it was); the workload is the WAL the samples saw
/// written (the rate between each two samples, exact in bytes); each slot moves where the samples saw it move (an
/// advance event per change: a consumer's confirmations, as <c>pg_replication_slot_advance</c> would), slots appear
/// and go as they did, settings change as they did. A slot the server lost stops moving from the sample that shows it
/// lost (its consumer was cut off), so on a version that would have kept it, it stays where it was.
/// </summary>
public static class SampledScenario
{
    /// <summary>Builds the scenario; throws <see cref="SampleFileException"/> for a file that cannot be one (a
    /// standby's, a version change, fewer than two samples).</summary>
    public static Scenario Build(string fileName, IEnumerable<SampleFrame> frames, IReadOnlyList<SettingSample> settingRows)
    {
        ServerSample? first = null;
        ServerSample prev = default;
        SampledSettings? settings = null;
        var initialSettings = new Dictionary<string, string>(StringComparer.Ordinal);
        var steps = new List<RateStep>();
        var events = new List<ScenarioEvent>();
        var slots = new List<SlotSpec>();
        var positions = new Dictionary<string, Lsn>(StringComparer.Ordinal);   // last position moved to, per live slot
        var lost = new HashSet<string>(StringComparer.Ordinal);
        var at = SimTime.Zero;

        foreach (var frame in frames)
        {
            var s = frame.Server;
            if (s.InRecovery)
                throw new SampleFileException(fileName, 0, "in_recovery", $"sample {s.Sample} is from a standby: a what-if replays a primary's WAL and slots (sample the primary)");
            if (first is null)
            {
                first = s;
                settings = SampledSettings.From(settingRows, s.Version);
                foreach (var (k, v) in settings.ChangesThrough(s.Sample)) initialSettings[k] = v;
                foreach (var slot in frame.Slots.Where(x => x.RestartLsn.IsValid))
                {
                    slots.Add(Existing(slot, SimTime.Zero));
                    positions[slot.Name] = Position(slot);
                }
                prev = s;
                continue;
            }
            if (s.Version.Major != first.Value.Version.Major || s.SegmentSize != first.Value.SegmentSize)
                throw new SampleFileException(fileName, 0, "server_version", $"sample {s.Sample}: the server changed from PostgreSQL {first.Value.Version} to {s.Version}; a what-if replays one major version's samples");
            var next = new SimTime((long)((s.ServerTime - first.Value.ServerTime).Ticks / 10));
            if (next <= at) continue; // the same instant (or a clock step back): nothing to replay in between

            // The WAL written since the previous sample, at its mean rate over the interval.
            var bytes = s.HeadLsn > prev.HeadLsn ? (double)(s.HeadLsn.Value - prev.HeadLsn.Value) : 0;
            steps.Add(new RateStep(at, bytes / (next - at).TotalSeconds));
            at = next;

            // The sidecar records a setting when it changes (a reload): the same change here.
            var changed = Dictionary(settings!.ChangesThrough(s.Sample));
            if (changed.Count > 0) events.Add(new ChangeSettings(changed, VersionRange.All) { At = at });

            foreach (var slot in frame.Slots)
            {
                if (lost.Contains(slot.Name)) continue;
                if (!positions.TryGetValue(slot.Name, out var was))
                {
                    if (!slot.RestartLsn.IsValid) continue; // created and not yet reserved, or already gone
                    events.Add(new CreateSlot(Existing(slot, at)) { At = at });
                    positions[slot.Name] = Position(slot);
                    continue;
                }
                if (!slot.RestartLsn.IsValid || slot.WalStatus == Walsim.Simulator.Results.WalStatus.Lost)
                {
                    lost.Add(slot.Name); // the server lost it: its consumer cannot move it any more
                    continue;
                }
                var now = Position(slot);
                if (now > was)
                {
                    events.Add(new AdvanceSlot(slot.Name, now) { At = at });
                    positions[slot.Name] = now;
                }
            }
            foreach (var gone in positions.Keys.Where(n => frame.Slot(n) is null && !lost.Contains(n)).ToList())
            {
                events.Add(new DropSlot(gone) { At = at });
                positions.Remove(gone);
            }
            prev = s;
        }
        if (first is not { } f || steps.Count == 0)
            throw new SampleFileException(fileName, 0, "", "a what-if needs at least two samples");

        var seg = f.SegmentSize;
        return new Scenario
        {
            // A Prometheus URL names its host (reports go to reports/<host>), not the last piece of its address.
            Name = Uri.TryCreate(fileName, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url.Host : Path.GetFileNameWithoutExtension(fileName),
            Description = $"The {steps.Count + 1} samples of {fileName} (PostgreSQL {f.Version}, {f.ServerTime:yyyy-MM-dd HH:mm:ss} UTC, {at.Display()}) replayed: the WAL written, each slot moved as sampled.",
            SourceFile = fileName,
            Versions = [f.Version],
            SegmentSize = seg,
            Settings = initialSettings,
            Workload = new Workload([new PiecewiseRate(steps)]),
            Slots = slots,
            Events = events,
            Duration = at - SimTime.Zero,
            SampleInterval = SimDuration.FromMinutes(1),
            // The distance estimate is not sampled: 0, as after a postmaster start; it follows the replayed checkpoints.
            Start = SampleStart.Of(f, ByteCount.Zero),
        };
    }

    private static Dictionary<string, string> Dictionary(IEnumerable<KeyValuePair<string, string>> changes) =>
        changes.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary>Where a slot's consumer has got to: confirmed_flush for a logical slot, restart_lsn for a physical one.</summary>
    private static Lsn Position(SlotSample s) => s.Kind == SlotKind.Logical && s.ConfirmedFlushLsn.IsValid ? s.ConfirmedFlushLsn : s.RestartLsn;

    private static SlotSpec Existing(SlotSample s, SimTime at) => new()
    {
        Name = s.Name,
        Kind = s.Kind,
        CreatedAt = at,
        RestartLsn = s.RestartLsn,
        ConfirmedFlushLsn = s.ConfirmedFlushLsn.IsValid ? s.ConfirmedFlushLsn : null,
        Consumer = ConsumerSpec.None,
    };
}

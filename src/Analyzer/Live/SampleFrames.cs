using System.Globalization;
using System.Text.RegularExpressions;

namespace Walsim.Analyzer.Live;

/// <summary>One sample of a sample file: the server part and every slot row it had.</summary>
public sealed record SampleFrame(ServerSample Server, IReadOnlyList<SlotSample> Slots)
{
    public SlotSample? Slot(string name)
    {
        foreach (var s in Slots) if (s.Name == name) return s;
        return null;
    }
}

public static class SampleFrames
{
    /// <summary>
    /// Enumerates <paramref name="frames"/> on another thread, a batch ahead of the caller, so that reading and
    /// parsing a file overlaps with what the caller does with each sample (on two cores, a replay runs at the pace
    /// of the slower of the two rather than their sum). Order is kept; an exception of the reader (a bad line)
    /// surfaces at the point of the file it concerns; stopping early (disposing the enumerator) stops the reader.
    /// </summary>
    public static IEnumerable<SampleFrame> ReadAhead(IEnumerable<SampleFrame> frames, int batchSize = 512, int batches = 4)
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<List<SampleFrame>>(batches);
        using var stop = new CancellationTokenSource();
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var reader = Task.Run(() =>
        {
            var batch = new List<SampleFrame>(batchSize);
            try
            {
                foreach (var f in frames)
                {
                    batch.Add(f);
                    if (batch.Count < batchSize) continue;
                    queue.Add(batch, stop.Token);
                    batch = new List<SampleFrame>(batchSize);
                }
                if (batch.Count > 0) queue.Add(batch, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                // The samples before the bad line first, then the error.
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                try { if (batch.Count > 0) queue.Add(batch, stop.Token); } catch (OperationCanceledException) { }
            }
            finally { queue.CompleteAdding(); }
        });
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
                foreach (var f in batch) yield return f;
            reader.Wait();
            failure?.Throw();
        }
        finally
        {
            stop.Cancel();
            try { reader.Wait(); } catch (AggregateException) { }
        }
    }

    /// <summary>Groups the rows of a sample file (one per slot per sample) back into samples, lazily: one sample
    /// is held at a time, so a file of any length streams.</summary>
    public static IEnumerable<SampleFrame> Group(IEnumerable<SampleRow> rows)
    {
        ServerSample? current = null;
        var slots = new List<SlotSample>();
        foreach (var row in rows)
        {
            if (current is { } c && c.Sample != row.Server.Sample)
            {
                yield return new SampleFrame(c, slots);
                slots = [];
            }
            current = row.Server;
            if (row.Slot is { } s) slots.Add(s);
        }
        if (current is { } last) yield return new SampleFrame(last, slots);
    }
}

/// <summary>
/// The settings a sample file's sidecar recorded, turned back into the text PostgreSQL would accept
/// (<c>pg_settings.setting</c> with its <c>unit</c>: 1024 + MB → <c>1024MB</c>, 8 + 8kB → <c>64kB</c>), as they
/// stood at each sample. Only the parameters walsim models and the version has are kept.
/// </summary>
public sealed partial class SampledSettings
{
    private readonly List<(long Sample, string Name, string Text)> _changes;
    private int _next;

    private readonly PgVersion _version;

    private SampledSettings(List<(long, string, string)> changes, PgVersion version)
    {
        _changes = changes;
        _version = version;
    }

    /// <summary>Reads the sidecar rows, ordered by sample, keeping the parameters <paramref name="version"/> has.</summary>
    public static SampledSettings From(IEnumerable<SettingSample> rows, PgVersion version)
    {
        var list = new List<(long, string, string)>();
        foreach (var r in rows)
        {
            if (!GucCatalog.All.TryGetValue(r.Name, out var def) || !def.ExistsIn(version)) continue;
            list.Add((r.Sample, r.Name, ToGucText(r.Value, r.Unit)));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return new SampledSettings(list, version);
    }

    /// <summary>A setting read after those given to <see cref="From"/> (a watcher sees a reload as it happens); its
    /// sample must not be before the last one added.</summary>
    public void Add(SettingSample row)
    {
        if (!GucCatalog.All.TryGetValue(row.Name, out var def) || !def.ExistsIn(_version)) return;
        if (_changes.Count > 0 && row.Sample < _changes[^1].Sample)
            throw new ArgumentException($"setting {row.Name} at sample {row.Sample} is before the last one added ({_changes[^1].Sample})", nameof(row));
        _changes.Add((row.Sample, row.Name, ToGucText(row.Value, row.Unit)));
    }

    /// <summary>The changes recorded at or before <paramref name="sample"/> not yet returned.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ChangesThrough(long sample)
    {
        if (_next >= _changes.Count || _changes[_next].Sample > sample) return []; // the usual case: asked once per sample
        var changes = new List<KeyValuePair<string, string>>();
        while (_next < _changes.Count && _changes[_next].Sample <= sample)
        {
            var (_, name, text) = _changes[_next++];
            changes.Add(new(name, text));
        }
        return changes;
    }

    [GeneratedRegex(@"^(?<n>\d+)?(?<u>B|kB|MB|GB|TB|us|ms|s|min|h|d)$")]
    private static partial Regex UnitPattern();

    /// <summary><c>pg_settings</c>' value and unit as a GUC value: the unit may carry a multiplier (<c>8kB</c>, <c>16MB</c>).</summary>
    public static string ToGucText(string value, string? unit)
    {
        if (string.IsNullOrEmpty(unit)) return value;
        var m = UnitPattern().Match(unit);
        if (!m.Success || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return value;
        // -1 means "no limit" (max_slot_wal_keep_size): a unit would turn it into -8kB.
        if (n < 0) return value;
        var factor = m.Groups["n"].Success ? long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : 1;
        return string.Create(CultureInfo.InvariantCulture, $"{n * factor}{m.Groups["u"].Value}");
    }
}

using Walsim.Analyzer.Live;

namespace Walsim.Analyzer.Watch;

/// <summary>
/// A watcher's rolling history: the samples of the last <see cref="Span"/> (by the sampler's clock), at most
/// <see cref="Capacity"/> of them, oldest first. A circular array: adding past either bound drops the oldest, so a
/// watcher that runs for months holds what it held after its first <see cref="Span"/>.
/// </summary>
public sealed class FrameRing(TimeSpan span, int capacity)
{
    private readonly SampleFrame[] _frames = new SampleFrame[Math.Max(2, capacity)];
    private int _start, _count;

    public TimeSpan Span { get; } = span;
    public int Capacity => _frames.Length;
    public int Count => _count;

    public SampleFrame? Newest => _count == 0 ? null : _frames[(_start + _count - 1) % _frames.Length];
    public SampleFrame? Oldest => _count == 0 ? null : _frames[_start];

    public void Add(SampleFrame frame)
    {
        if (_count == _frames.Length) Drop();
        _frames[(_start + _count) % _frames.Length] = frame;
        _count++;
        var horizon = frame.Server.LocalTime - Span;
        while (_count > 1 && _frames[_start].Server.LocalTime < horizon) Drop();
    }

    /// <summary>The frames held, oldest first (a copy: the sampler goes on adding while a forecast reads it).</summary>
    public SampleFrame[] ToArray()
    {
        var copy = new SampleFrame[_count];
        for (var i = 0; i < _count; i++) copy[i] = _frames[(_start + i) % _frames.Length];
        return copy;
    }

    private void Drop()
    {
        _frames[_start] = null!;
        _start = (_start + 1) % _frames.Length;
        _count--;
    }
}

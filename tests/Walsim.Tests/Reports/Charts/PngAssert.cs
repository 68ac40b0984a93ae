using System.Buffers.Binary;
using SkiaSharp;
using Xunit;

namespace Walsim.Tests.Reports.Charts;

/// <summary>What a chart's PNG must be, wherever it is drawn (a chart, a registry's format, a file the CLI wrote).</summary>
internal static class PngAssert
{
    /// <summary>A PNG of exactly <paramref name="width"/> × <paramref name="height"/> with a chart on it, not a blank or single-colour image.</summary>
    public static void HasSizeAndInk(byte[] png, int width, int height, string id)
    {
        // The signature, then IHDR with the width and height, big-endian.
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));

        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var pixels = bitmap.Pixels;
        var inked = pixels.Count(p => p != SKColors.White);
        var colours = pixels.Distinct().Count();
        // Axes, text and at least one coloured series or cell: well above a blank or single-colour image.
        Assert.True(inked > width * height / 50, $"{id}: only {inked} of {width * height} pixels are not white");
        Assert.True(colours >= 20, $"{id}: only {colours} distinct colours");
    }
}

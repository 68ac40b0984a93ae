using System.Runtime.CompilerServices;
using Xunit;

namespace Walsim.Tests;

/// <summary>
/// Golden-file assertions: <c>NAME.verified.txt</c> beside the calling test's source file holds the approved text.
/// On a mismatch the actual text goes to <c>NAME.received.txt</c> (diff the two; to approve, rename received to
/// verified) and the test fails. A missing verified file is created from the actual text and the test fails once,
/// so a new golden file is always looked at; with <c>CI=true</c> nothing is ever accepted automatically.
/// Line endings are normalised to LF so the files compare the same on every OS.
/// </summary>
public static class Golden
{
    public static void Verify(string actual, string name, [CallerFilePath] string sourceFile = "")
    {
        var dir = Path.GetDirectoryName(sourceFile)
            ?? throw new InvalidOperationException("the caller's source path is unknown");
        var verified = Path.Combine(dir, name + ".verified.txt");
        var received = Path.Combine(dir, name + ".received.txt");
        var text = Normalize(actual);

        if (!File.Exists(verified))
        {
            if (IsCi)
            {
                File.WriteAllText(received, text);
                Assert.Fail($"golden file {verified} is missing; CI never creates one. Review {received}, rename it to .verified.txt and commit it.");
            }
            File.WriteAllText(verified, text);
            Assert.Fail($"golden file {verified} did not exist and was created from this run. Review it, commit it and re-run.");
        }

        if (Normalize(File.ReadAllText(verified)) == text)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, text);
        Assert.Fail($"output differs from {verified}; the actual output is in {received}. Diff them; if the change is intended, rename the received file to .verified.txt.");
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string s) => s.ReplaceLineEndings("\n");
}

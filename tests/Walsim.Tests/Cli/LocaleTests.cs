using System.Globalization;
using Xunit;

namespace Walsim.Tests.Cli;

/// <summary>
/// walsim's output does not depend on the user's locale: a DBA whose LANG is de_DE or fr_FR gets the same help, the same
/// errors and the same figures (a decimal point, never a comma, in reports that programs read) as everyone else.
/// </summary>
public sealed class LocaleTests
{
    [Theory, InlineData("de-DE"), InlineData("fr-FR")]
    public void A_run_under_a_european_locale_prints_exactly_what_it_prints_under_the_invariant_one(string locale)
    {
        string[][] commands =
        [
            ["--help"],
            ["forecast", "--help"],
            ["simulate", "--no-such-option"],
            ["forecast", Path.Combine(RepoPaths.Root, "scenarios", "histories", "archiver-pg14", "samples.csv.gz"), "--runs", "20", "--horizon", "30min"],
        ];
        foreach (var args in commands)
        {
            var invariant = Under(CultureInfo.InvariantCulture, args);
            var local = Under(CultureInfo.GetCultureInfo(locale), args);
            Assert.Equal(invariant, local);
        }
        // The caller's culture is given back when the run ends.
        Assert.Equal(locale, Under(CultureInfo.GetCultureInfo(locale), () => { CliRun.Invoke(null, "--help"); return CultureInfo.CurrentCulture.Name; }));
    }

    /// <summary>The command line run with <paramref name="culture"/> current from the commands' construction on, as
    /// a process started under that LANG has it.</summary>
    private static CliRun Under(CultureInfo culture, string[] args) => Under(culture, () => CliRun.Invoke(null, args));

    private static T Under<T>(CultureInfo culture, Func<T> run)
    {
        var (saved, savedUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
        try { return run(); }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (saved, savedUi); }
    }
}

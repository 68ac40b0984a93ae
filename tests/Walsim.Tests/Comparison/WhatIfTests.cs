using Walsim.Analyzer.Scenarios;
using Walsim.Analyzer.Comparison;
using Walsim.Simulator.Settings;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Comparison;

/// <summary>Settings moved across versions (guc.c 12–14, guc_tables.c 15+, release notes 13/14/15/18).</summary>
public sealed class SettingsTranslationTests
{
    private static readonly WalSegmentSize Seg16 = WalSegmentSize.Default;

    private static SettingTranslation Line(TranslatedSettings t, string name) => Assert.Single(t.Lines, l => l.Name == name);

    [Theory]
    // 13's KeepLogSeg keeps XLogMBVarToSegs(wal_keep_size_mb) segments: 64 x 16MB = 1024MB keeps the same 64.
    [InlineData("64", 16, "1024MB")]
    [InlineData("10", 1, "10MB")]
    [InlineData("3", 64, "192MB")]
    public void Wal_keep_segments_on_12_becomes_wal_keep_size_in_MB_at_the_segment_size(string segments, int segMb, string expected)
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string> { ["wal_keep_segments"] = segments },
            PgVersion.Parse("12"), PgVersion.Parse("15"), WalSegmentSize.FromMegabytes(segMb));
        Assert.Equal(expected, t.Settings["wal_keep_size"]);
        Assert.False(t.Settings.ContainsKey("wal_keep_segments"));
        var line = Line(t, "wal_keep_size");
        Assert.Equal(TranslationKind.Converted, line.Kind);
        Assert.Equal("wal_keep_segments", line.SourceName);
    }

    [Theory]
    [InlineData("1GB", "64")]    // 1024MB / 16MB, exact
    [InlineData("100MB", "7")]   // 6.25 segments: rounded up, keeps at least as much
    public void Wal_keep_size_going_back_to_12_becomes_a_segment_count(string size, string expected)
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string> { ["wal_keep_size"] = size },
            PgVersion.Parse("15"), PgVersion.Parse("12"), Seg16);
        Assert.Equal(expected, t.Settings["wal_keep_segments"]);
    }

    [Fact]
    public void Max_slot_wal_keep_size_appears_in_13_with_default_minus_1()
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string>(), PgVersion.Parse("12"), PgVersion.Parse("13"), Seg16);
        var line = Line(t, "max_slot_wal_keep_size");
        Assert.Equal(TranslationKind.New, line.Kind);
        Assert.Equal("-1", line.TargetValue);
        Assert.Contains("new in 13", line.Note);
        Assert.False(t.Settings.ContainsKey("max_slot_wal_keep_size")); // the target's default applies
    }

    [Fact]
    public void Idle_replication_slot_timeout_appears_in_18_only()
    {
        var to18 = SettingsTranslator.Translate(new Dictionary<string, string>(), PgVersion.Parse("17"), PgVersion.Parse("18"), Seg16);
        Assert.Equal(TranslationKind.New, Line(to18, "idle_replication_slot_timeout").Kind);
        var back = SettingsTranslator.Translate(new Dictionary<string, string> { ["idle_replication_slot_timeout"] = "1h" },
            PgVersion.Parse("18"), PgVersion.Parse("17"), Seg16);
        Assert.Equal(TranslationKind.Dropped, Line(back, "idle_replication_slot_timeout").Kind);
        Assert.Empty(back.Settings);
    }

    [Fact]
    public void Checkpoint_completion_target_default_change_in_14_is_listed_when_not_set()
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string>(), PgVersion.Parse("13"), PgVersion.Parse("14"), Seg16);
        var line = Line(t, "checkpoint_completion_target");
        Assert.Equal(TranslationKind.DefaultChanged, line.Kind);
        Assert.Equal(("0.5", "0.9"), (line.SourceValue, line.TargetValue));
        Assert.DoesNotContain(t.Lines, l => l.Name == "log_checkpoints"); // its default changes in 15, not 14
    }

    [Fact]
    public void A_default_change_is_not_listed_when_the_scenario_sets_the_value()
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string> { ["checkpoint_completion_target"] = "0.7" },
            PgVersion.Parse("13"), PgVersion.Parse("15"), Seg16);
        Assert.Equal(TranslationKind.Kept, Line(t, "checkpoint_completion_target").Kind);
        Assert.Equal(TranslationKind.DefaultChanged, Line(t, "log_checkpoints").Kind); // off until 14, on from 15
    }

    [Fact]
    public void Max_slot_wal_keep_size_is_dropped_going_back_to_12_and_slots_are_unlimited_there()
    {
        var t = SettingsTranslator.Translate(new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "10GB" },
            PgVersion.Parse("15"), PgVersion.Parse("12"), Seg16);
        var line = Line(t, "max_slot_wal_keep_size");
        Assert.Equal(TranslationKind.Dropped, line.Kind);
        Assert.Contains("without limit", line.Note);
    }
}

/// <summary>Whole what-if runs on bundled scenarios, checked against the arithmetic in their comments.</summary>
public sealed class WhatIfAnalysisTests
{
    private static Simulator.Scenarios.Scenario Bundled(string name) =>
        ScenarioLoader.Load(RepoPaths.Of("scenarios", name));

    [Fact]
    public void On_12_vs_15_13_the_first_divergence_is_the_cap_invalidating_the_standby_at_5h43m30s()
    {
        // standby-stalled-past-cap: 13+ cap 64GB = 4096 segments, invalidated at the checkpoint ending 5h43m30s
        // (InvalidateObsoleteReplicationSlots); 12 keeps everything and fills 100GB at ~7h41m. 15.13 still samples
        // the slot minimum at the checkpoint's end, as 12 does, so nothing differs before.
        var r = WhatIfAnalysis.Run(Bundled("standby-stalled-past-cap.yaml"), PgVersion.Parse("12"), [PgVersion.Parse("15.13")]);
        var d = Assert.Single(r.Comparisons).FirstDivergence!;
        Assert.Equal(22, d.Checkpoint);
        Assert.Equal(SimTime.FromSeconds(20610), d.FromAt); // 5h43m30s
        Assert.Equal("CapsSlotRetention", d.Cause!.Capability);
        Assert.StartsWith("13+ caps slot retention at max_slot_wal_keep_size (64GB here)", d.Explanation);
        Assert.Contains(d.Differences, x => x is { Decision: "invalidated", FromValue: "none", ToValue: "standby1" });
        Assert.Contains("standby1 is never lost on 12.22, lost at 5h43m30s on 15.13", d.Explanation);
        Assert.Contains("the disk fills at 7h41m07s on 12.22, never on 15.13", d.Explanation); // 7h41m07.199019s, rounded
        Assert.Equal("64GB", Assert.Single(r.Comparisons[0].Settings.Lines, l => l.Name == "max_slot_wal_keep_size").TargetValue);
    }

    [Fact]
    public void On_12_vs_15_18_the_first_divergence_is_the_slot_minimum_read_at_checkpoint_start()
    {
        // 15.14+ read the slot minimum at checkpoint start: at the first checkpoint (start 15min, end 28m30s) the
        // standby's restart_lsn of 15min is one segment older than at 28m30s, so one more segment is kept.
        var r = WhatIfAnalysis.Run(Bundled("standby-stalled-past-cap.yaml"), PgVersion.Parse("12"), [PgVersion.Parse("15")]);
        var c = Assert.Single(r.Comparisons);
        Assert.Equal(1, c.FirstDivergence!.Checkpoint);
        Assert.Equal("SlotMinimumSampling", c.FirstDivergence.Cause!.Capability);
        Assert.Contains(c.FirstDivergence.Differences, x => x is { Decision: "keep segment", FromValue: "282", ToValue: "281" });
        // The loss itself is still put down to the cap.
        Assert.Contains("(13+ caps slot retention", c.FirstDivergence.Explanation);
        Assert.True(c.OutcomeDiffers);
    }

    [Fact]
    public void On_13_3_vs_13_4_the_stale_horizon_keeps_the_cap_after_the_invalidation()
    {
        // 019-replslot-limit step 26: rep1 invalidated; 13.4 recomputes -> keep 29, 4 files; 13.3 keeps 23, 8 files.
        var r = WhatIfAnalysis.Run(Bundled("019-replslot-limit.yaml"), PgVersion.Parse("13.3"), [PgVersion.Parse("13.4")]);
        var d = r.Comparisons[0].FirstDivergence!;
        Assert.Equal(17, d.Checkpoint);
        Assert.Equal(SimTime.FromSeconds(26), d.FromAt);
        Assert.Equal("RecomputesHorizonAfterInvalidation", d.Cause!.Capability);
        Assert.Contains(d.Differences, x => x is { Decision: "keep segment", FromValue: "23", ToValue: "29" });
        Assert.Contains(d.Differences, x => x is { Decision: "files after", FromValue: "8", ToValue: "4" });
        Assert.StartsWith("13.4 recomputes the slot horizon after invalidating", d.Explanation);
    }

    [Fact]
    public void Minor_13_3_is_warned_about_and_compared_with_13_23_on_the_stale_horizon_scenario()
    {
        // pg13-stale-horizon: 13.3 keeps ~148 files after the invalidation at 1h37m30s, 13.4+ shrink to ~33.
        var r = WhatIfAnalysis.Run(Bundled("pg13-stale-horizon-13.3-vs-13.4.yaml"), PgVersion.Parse("13.3"), [PgVersion.Parse("13.4")]);
        var stale = Assert.Single(r.MinorWarnings, w => w.Version == PgVersion.Parse("13.3"));
        Assert.Equal(PgVersion.Parse("13.23"), stale.ComparedWith);
        Assert.Equal(["13.4", "13.4", "13.11", "13.22"], stale.Bugs.Select(b => b.FixedIn.ToString()));
        Assert.Contains(stale.Bugs, b => b.Capability == "RecomputesHorizonAfterInvalidation" && b.FixedIn == PgVersion.Parse("13.4"));
        Assert.True(stale.OutcomeDiffers);
        Assert.Contains("pg_wal peaks at 148 files (2.31GB) on 13.3, 142 files (2.22GB) on 13.23", stale.Effect);
        Assert.Contains(r.Runs, x => x.Version == PgVersion.Parse("13.23") && x.Role == RunRole.FixedMinor);

        // 13.3 -> 13.4 alone: the first different decision is the invalidating checkpoint.
        var d = r.Comparisons[0].FirstDivergence!;
        Assert.Equal(19, d.Checkpoint);
        Assert.Contains(d.Differences, x => x is { Decision: "files after", FromValue: "142", ToValue: "33" });
    }

    [Fact]
    public void The_newest_minor_gets_no_warning()
    {
        var r = WhatIfAnalysis.Run(Bundled("019-replslot-limit.yaml"), PgVersion.Parse("15"), [PgVersion.Parse("17")]);
        Assert.Empty(r.MinorWarnings);
        Assert.Equal([RunRole.Source, RunRole.Target], r.Runs.Select(x => x.Role));
    }

    [Fact]
    public void The_14_default_checkpoint_completion_target_is_named_when_checkpoint_timing_moves_first()
    {
        // pg13-stale-horizon on 13.23 vs 14.23: cct not set -> 0.5 vs 0.9; CheckPointSegments = floor(64/1.5) = 42
        // vs floor(64/1.9) = 33; a timed checkpoint ends 2m30s vs 4m30s after it starts.
        var r = WhatIfAnalysis.Run(Bundled("pg13-stale-horizon-13.3-vs-13.4.yaml"), PgVersion.Parse("13"), [PgVersion.Parse("14")]);
        var d = r.Comparisons[0].FirstDivergence!;
        Assert.Equal(1, d.Checkpoint);
        Assert.Equal("checkpoint_completion_target", d.Cause!.Capability);
        Assert.Contains("every 33 segments instead of 42", d.Explanation);
        Assert.Contains("ends 4m30s after it starts instead of 2m30s", d.Explanation);
        Assert.Equal((SimTime.FromSeconds(450), SimTime.FromSeconds(570)), (d.FromAt, d.ToAt));
    }

    [Fact]
    public void Same_version_twice_has_no_divergence()
    {
        var r = WhatIfAnalysis.Run(Bundled("019-replslot-limit.yaml"), PgVersion.Parse("16"), [PgVersion.Parse("16.14")]);
        Assert.Empty(r.Comparisons); // 16 = 16.14: the source itself is not a target
        Assert.Single(r.Runs);
    }

    [Fact]
    public void Chart_data_is_collected_in_the_comparison_runs_themselves_one_per_run_kept()
    {
        // 13.3 -> 15 on 019: 13.3 vs 15.18, then 13.3 vs its fixed minor 13.23 (bugs fixed in 13.4..13.22): four
        // runs, with or without charts.
        var s = Bundled("019-replslot-limit.yaml");
        var calls = 0;
        WhatIfReport Run(bool charts) => WhatIfAnalysis.Run(s, PgVersion.Parse("13.3"), [PgVersion.Parse("15")],
            (sc, v, o) => { Interlocked.Increment(ref calls); return Simulator.Engine.Simulation.Run(sc, v, o); }, charts);

        Assert.Empty(Run(charts: false).Charts);
        Assert.Equal(4, calls);
        var r = Run(charts: true);
        Assert.Equal(8, calls);

        Assert.Equal(["13.3", "15.18", "13.23"], r.Charts.Select(c => c.Result.Policy.Version.ToString()));
        foreach (var (run, chart) in r.Runs.Zip(r.Charts))
        {
            Assert.Equal(run.Summary, chart.Result.Summary);
            Assert.Equal(run.Summary.End.Microseconds, chart.Points[^1].AtMicroseconds); // each timeline reaches its run's end
            Assert.Equal(run.Summary.Checkpoints, chart.CheckpointsSeen);
        }
        // Each from the scenario as that run had it (a target's settings translated), not the file's.
        Assert.Equal([["13.3"], ["15.18"], ["13.23"]], r.Charts.Select(c => c.Result.Scenario.Versions.Select(v => v.ToString())));
    }

    [Fact]
    public void Csv_has_one_row_per_run_and_numeric_field_with_exact_values_and_no_row_for_what_does_not_apply()
    {
        var r = WhatIfAnalysis.Run(Bundled("standby-stalled-past-cap.yaml"), PgVersion.Parse("12"), [PgVersion.Parse("15")]);
        var w = new StringWriter();
        WhatIfWriter.WriteCsv(w, r);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string? Value(string version, string slot, string measure) =>
            lines.Select(l => l.Split(',')).SingleOrDefault(c => c[1] == version && c[3] == slot && c[4] == measure)?[5];

        Assert.Equal("scenario,version,role,slot,measure,value", lines[0]);
        // 12 summary fields but the final LSN; per slot lost_s and peak_retained_bytes, and on 15 extended_s and
        // unreserved_s too (12 has no wal_status: no row rather than an empty "never").
        Assert.Equal(1 + (12 + 2) + (12 + 4), lines.Length);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("standby-stalled-past-cap,", l));
        Assert.Null(Value("12.22", "standby1", "extended_s"));
        Assert.Equal("", Value("12.22", "standby1", "lost_s"));                  // never
        Assert.Equal("107374182400", Value("12.22", "", "peak_pg_wal_bytes"));   // the 100GB volume: 6400 x 16MB
        Assert.Equal("6400", Value("12.22", "", "peak_pg_wal_files"));
        Assert.Equal("27667.199019", Value("12.22", "", "disk_full_s"));         // 7h41m07.199019s, exact
        Assert.Equal("10470.399657", Value("15.18", "standby1", "extended_s"));  // 2h54m30.399657s
        Assert.Equal("20610", Value("15.18", "standby1", "lost_s"));             // 5h43m30s: the 64GB cap
        Assert.Equal(["source", "target"], lines.Skip(1).Select(l => l.Split(',')[2]).Distinct());
    }

    [Fact]
    public void A_12_scenario_with_wal_keep_segments_runs_on_15_with_the_converted_wal_keep_size()
    {
        var s = Bundled("standby-stalled-past-cap.yaml");
        var r = WhatIfAnalysis.Run(s with { Settings = new Dictionary<string, string>(s.Settings) { ["wal_keep_segments"] = "64" } },
            PgVersion.Parse("12"), [PgVersion.Parse("15")]);
        var run15 = r.Run(PgVersion.Parse("15.18"));
        Assert.Contains(run15.Settings, kv => kv is { Key: "wal_keep_size", Value: "1GB" }); // 64 x 16MB
    }
}

using Walsim.Analyzer.Scenarios;
using Walsim.Simulator.Engine;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;
using Xunit;

namespace Walsim.Tests.Engine;

/// <summary>
/// The step-list ops that say what a real test did: sleep (real time between steps), mark and to: NAME±size,
/// a transaction that writes its own first record, and start: initdb (pg_wal as initdb --wal-segsize=1 leaves it).
/// </summary>
public sealed class StepListTests
{
    private static Scenario Parse(string yaml) => ScenarioLoader.Parse(yaml, "scenarios/x.yaml");

    [Fact]
    public void A_sleep_step_happens_at_the_end_of_its_sleep_and_the_next_one_second_later()
    {
        var s = Parse("versions: 16\nsteps:\n  - checkpoint\n  - sleep: 16s\n  - observe\n");
        // step 1 at 1s; the sleep ends at 1s + 16s = 17s; step 3 at 18s; the run ends one second after the last step.
        Assert.Equal([1.0, 17.0, 18.0], s.Events.Select(e => e.At.TotalSeconds));
        Assert.Equal(19.0, s.Duration.TotalSeconds);
    }

    [Fact]
    public void A_mark_plus_or_minus_a_size_is_resolved_against_the_marked_insert_position()
    {
        var s = Parse("versions: 16\n" +
            "slots: [{name: rep1, type: physical, consumer: none}]\nsteps:\n  - mark: burst\n  - write: 64kB\n  - advance_slot: rep1\n    to: burst+16kB\n  - advance_slot: rep1\n    to: burst-8kB\n");
        var first = Assert.IsType<AdvanceSlot>(s.Events[2]);
        Assert.Equal(new MarkOffset("burst", 16 * 1024), first.ToMark);
        Assert.Equal(new MarkOffset("burst", -8 * 1024), Assert.IsType<AdvanceSlot>(s.Events[3]).ToMark);
        // 0/1000028 + 16kB = 0/1004028.
        Assert.Equal(Lsn.Parse("0/1004028"), first.ToMark!.Value.Resolve(Lsn.Parse("0/1000028")));
        Assert.Equal(Lsn.Parse("0/FFE028"), new MarkOffset("burst", -8 * 1024).Resolve(Lsn.Parse("0/1000028")));
    }

    [Fact]
    public void A_target_naming_a_mark_no_earlier_step_set_is_rejected_with_the_line()
    {
        var ex = Assert.Throws<ScenarioException>(() => Parse(
            "versions: 16\nslots: [{name: rep1, type: physical, consumer: none}]\nsteps:\n  - advance_slot: rep1\n    to: later+8kB\n  - mark: later\n"));
        Assert.Contains("scenarios/x.yaml:4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("names mark \"later\", but no mark: step comes before it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transaction_that_writes_when_it_begins_moves_the_insert_position_by_its_record()
    {
        // 1MB segments, start 0/100028 (segment 1): the 8kB INSERT ends at 0/100028 + 8192 = 0/102028; the pin alone writes nothing.
        const string head = "versions: 16\nwal_segment_size: 1MB\nsample_interval: 0\nsettings: {wal_level: logical}\nsteps:\n";
        var written = Simulation.Run(Parse(head + "  - begin_transaction: {name: load, write: 8kB}\n  - observe\n"), new PgVersion(16, 14));
        var pinned = Simulation.Run(Parse(head + "  - begin_transaction: load\n  - observe\n"), new PgVersion(16, 14));
        Assert.Equal(Lsn.Parse("0/102028"), written.Summary.FinalInsertLsn);
        Assert.Equal(Lsn.Parse("0/100028"), pinned.Summary.FinalInsertLsn);
    }

    [Theory]
    // RetentionPolicy.Initdb, measured: redo of initdb's shutdown checkpoint and the files above the insert segment.
    // Insert = redo + 120 (the checkpoint record); pg_wal = the insert segment + files ahead.
    [InlineData("12", "0/743158", 7)]
    [InlineData("15", "0/5F4B28", 5)]
    [InlineData("18", "0/84B330", 8)]
    public void Start_initdb_is_pg_wal_as_initdb_left_it(string version, string insert, int files)
    {
        var s = Parse("versions: " + version + "\nwal_segment_size: 1MB\nsample_interval: 0\nstart: initdb\nsteps:\n  - observe\n");
        var r = Simulation.Run(s, PgVersion.Parse(version));
        Assert.Equal(Lsn.Parse(insert), r.Summary.FinalInsertLsn);
        Assert.Equal(files, Assert.Single(r.Probes).FilesInPgWal);
    }

    [Fact]
    public void Start_initdb_is_refused_for_segments_it_was_not_measured_with()
    {
        var ex = Assert.Throws<ScenarioException>(() => Parse("versions: 16\nstart: initdb\nsteps:\n  - observe\n"));
        Assert.Contains("measured with 1MB segments", ex.Message, StringComparison.Ordinal);
    }
}

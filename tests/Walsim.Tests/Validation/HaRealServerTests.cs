using Walsim.Analyzer.Validation.Ha;
using Xunit.Abstractions;

namespace Walsim.Tests.Validation;

/// <summary>
/// A test that needs Patroni + etcd or the pg_failover_slots extension on Debian's PostgreSQL 15 (.ci/run installs
/// them and builds the extension from $WALSIM_THIRD_PARTY). Skipped with the reason when they are missing, unless
/// CI=true, where a missing install is a failure.
/// </summary>
public sealed class HaServerFactAttribute : FactAttribute
{
    public HaServerFactAttribute(HaMechanism mechanism)
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && HaEnvironment.Missing(mechanism) is { } why) Skip = $"{mechanism}: {why}; with CI=true this test fails instead";
    }
}

/// <summary>
/// Patroni 3.0.2's permanent slots and pg_failover_slots 1.2.1 on real servers, against walsim's model of them
/// (<c>Standby.PatroniLoop</c>, <c>Standby.FailoverSlotsCycle</c>, <c>Topology.Outcome</c>): a switchover and a crash
/// failover each, every compared field within one interval (loop_wait / worker_nap_time) plus one consumer period of WAL;
/// the copy lag and the rows received twice, with the model's cycles at the run's phase, within one consumer period
/// and a second (HaComparison.CopyTolerance).
/// </summary>
[Collection(RunAloneCollection.Name)]
public class HaRealServerTests(ITestOutputHelper output)
{
    private async Task AgreesOn(HaMechanism m, HaEvent ev)
    {
        Assert.True(HaEnvironment.Missing(m) is null, HaEnvironment.Missing(m));
        var c = await HaValidation.RunCaseAsync(m, ev, keep: false, _ => { }, CancellationToken.None);
        // The agreement table, as walsim validate --ha prints it (every field's model and server figures).
        using (var table = new StringWriter()) { HaValidation.WriteTable(table, c); output.WriteLine(table.ToString()); }
        var o = c.Observed;
        // The servers' own arithmetic: decoding resumed at the slot's confirmed_flush on the new primary, so exactly
        // the rows committed after it were received again, and no row of the new primary was missed.
        Assert.True(o.SlotOnNewPrimary, $"{c.Name}: the slot is missing on the new primary");
        Assert.Equal(o.RowsTwiceByPosition, o.RowsTwice);
        Assert.Equal(0, o.RowsMissed);
        Assert.All(c.Fields, f => Assert.True(f.Agrees, $"{c.Name} {f.Field}: model {f.Model}, server {f.Server}, tolerance {f.Tolerance}"));
    }

    [HaServerFact(HaMechanism.PgFailoverSlots)]
    public Task Pg_failover_slots_switchover_keeps_the_copy_at_most_a_nap_behind() => AgreesOn(HaMechanism.PgFailoverSlots, HaEvent.Switchover);

    [HaServerFact(HaMechanism.PgFailoverSlots)]
    public Task Pg_failover_slots_crash_failover_keeps_the_copy_at_most_a_nap_behind() => AgreesOn(HaMechanism.PgFailoverSlots, HaEvent.Crash);

    [HaServerFact(HaMechanism.Patroni)]
    public Task Patroni_switchover_keeps_the_permanent_slot_at_most_a_loop_behind() => AgreesOn(HaMechanism.Patroni, HaEvent.Switchover);

    [HaServerFact(HaMechanism.Patroni)]
    public Task Patroni_crash_failover_keeps_the_permanent_slot_at_most_a_loop_behind() => AgreesOn(HaMechanism.Patroni, HaEvent.Crash);
}

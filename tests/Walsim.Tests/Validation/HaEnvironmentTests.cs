using System.Net;
using System.Net.Sockets;
using Walsim.Analyzer.Validation;
using Walsim.Analyzer.Validation.Ha;
using Xunit;

namespace Walsim.Tests.Validation;

public sealed class HaEnvironmentTests
{
    [Fact]
    public async Task An_ha_run_refuses_a_port_another_process_listens_on_and_names_it_and_WALSIM_HA_PORT()
    {
        // Something still listening on one of the harness's fixed ports after the patience given (another HA run's etcd,
        // say): the harness must not start and then drive the other run's cluster.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var busy = ((IPEndPoint)taken.LocalEndpoint).Port;
        var free = LoopbackPorts.Free();

        await HaEnvironment.EnsurePortsFreeAsync([free], TimeSpan.Zero, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ValidationEnvironmentException>(() => HaEnvironment.EnsurePortsFreeAsync([free, busy], TimeSpan.FromMilliseconds(600), CancellationToken.None));
        Assert.Contains($"port {busy} on 127.0.0.1 is in use", e.Message, StringComparison.Ordinal);
        Assert.Contains("WALSIM_HA_PORT", e.Message, StringComparison.Ordinal);
        // The kernel chose `busy` from its ephemeral range, where an outgoing connection may be what holds a port.
        if (HaEnvironment.EphemeralPorts() is { } range && busy >= range.Low && busy <= range.High)
            Assert.Contains($"ephemeral range ({range.Low}-{range.High}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_ports_lie_below_the_ephemeral_range_so_no_outgoing_connection_can_hold_one()
    {
        // Linux takes a connect()'s local port from net.ipv4.ip_local_port_range (32768-60999 by default); the
        // harness's fixed ports must not be among them (the old base, 55600, was: a CI run found 55610 held).
        var (low, high) = HaEnvironment.EphemeralPorts() ?? (32768, 60999);
        var last = HaEnvironment.DefaultBasePort + HaEnvironment.PortSpan;
        Assert.True(last < low || HaEnvironment.DefaultBasePort > high,
            $"{HaEnvironment.DefaultBasePort}-{last} overlaps the ephemeral range {low}-{high}");
    }
}

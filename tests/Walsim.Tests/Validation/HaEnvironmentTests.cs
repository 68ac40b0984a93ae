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
    }
}

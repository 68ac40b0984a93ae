using System.Net;
using System.Net.Sockets;

namespace Walsim.Tests;

/// <summary>Loopback ports the system picks, for the processes a real-parts test starts (exporter, Prometheus, a
/// watcher's /metrics): fixed ports collided when two test runs shared a machine.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port free at the time of asking (the probe releases it for the process the test starts next).</summary>
    public static int Free()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

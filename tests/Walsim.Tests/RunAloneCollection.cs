namespace Walsim.Tests;

/// <summary>
/// Real-server tests that judge timings — a failover mechanism's cycle against the consumer's calls, an alert's lead
/// over the server's invalidation — run after every other test, one at a time. On a two-core machine a concurrent
/// real-server test is load that stretches exactly the times they judge; their own pace checks rerun a stretched
/// attempt, but they should not have to compete with the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAloneCollection
{
    public const string Name = "timing-judging real-server tests, run alone";
}

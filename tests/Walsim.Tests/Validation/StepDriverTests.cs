using Walsim.Analyzer.Scenarios;
using Walsim.Analyzer.Validation;

namespace Walsim.Tests.Validation;

/// <summary>
/// What <c>walsim validate</c> can drive of a streaming consumer: one that confirms everything by the next step (no
/// lag, a report at least once a second), so that waiting for it after every step leaves the slot where the model's
/// consumer has it when the next step's CHECKPOINT runs.
/// </summary>
public class StepDriverTests
{
    private static IReadOnlyList<string> Problems(string consumer, string type = "physical") => StepDriver.Unsupported(ScenarioLoader.Parse($$"""
        versions: [16]
        wal_segment_size: 1MB
        settings: {wal_level: logical}
        steps:
          - create_slot: {name: rep1, type: {{type}}, consumer: {{consumer}}}
          - write_segments: 1
          - stop_consumer: rep1
          - start_consumer: rep1
        """, "scenarios/x.yaml"));

    [Fact]
    public void Consumer_reporting_every_200ms_without_lag_is_driven_with_its_stop_and_start_steps()
    {
        Assert.Empty(Problems("{confirm_every: 200ms}"));
        Assert.Empty(Problems("{confirm_every: 0}"));   // a report after every message
    }

    [Theory]
    [InlineData("{lag: 2s, confirm_every: 200ms}", "physical", "lag and lag_bytes must be 0")]
    [InlineData("{lag_bytes: 8kB, confirm_every: 200ms}", "physical", "lag and lag_bytes must be 0")]
    [InlineData("{confirm_every: 10s}", "physical", "confirm_every 10s is longer than a step (1s)")]
    [InlineData("{confirm_every: 200ms, outages: [{from: 2s, until: 3s}]}", "physical", "use stop_consumer and start_consumer steps")]
    [InlineData("{lag: 2s, confirm_every: 200ms}", "logical", "lag and lag_bytes must be 0")]
    public void Consumer_the_driver_cannot_keep_in_step_with_the_model_is_refused(string consumer, string type, string why)
    {
        var problem = Assert.Single(Problems(consumer, type));
        Assert.StartsWith("the consumer of slot \"rep1\": ", problem);
        Assert.Contains(why, problem);
    }

    // A logical slot's consumer decodes with test_decoding and confirms what it received, keepalives included, so by
    // the next step its confirmed_flush_lsn is the end of WAL (LogicalStreamingConsumer).
    [Fact]
    public void Logical_consumer_confirming_every_200ms_is_driven_like_a_physical_one()
    {
        Assert.Empty(Problems("{confirm_every: 200ms}", "logical"));
        var file = RepoPaths.Of("scenarios", "step-logical-streaming-consumer.yaml");
        Assert.Empty(StepDriver.Unsupported(ScenarioLoader.Load(file)));
    }

    [Fact]
    public void Repository_streaming_consumer_scenario_is_drivable()
    {
        var file = RepoPaths.Of("scenarios", "step-streaming-consumer.yaml");
        Assert.Empty(StepDriver.Unsupported(ScenarioLoader.Load(file)));
    }
}

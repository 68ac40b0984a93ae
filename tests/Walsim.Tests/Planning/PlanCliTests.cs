using System.Text.Json.Nodes;
using Walsim.Cli;
using Walsim.Simulator.Scenarios;
using Walsim.Simulator.Units;
using Walsim.Simulator.Versions;

namespace Walsim.Tests.Planning;

/// <summary><c>walsim plan</c> run in-process: what it prints, the files it writes, how it refuses bad input.</summary>
public sealed class PlanCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-plan-").FullName;

    // The file must exist (the command checks); its content is the in-code scenario below.
    public PlanCliTests() => File.WriteAllText(Path.Combine(_dir, "s.yaml"), "");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Run(int Code, string Out, string Err);

    private static Run Walsim(Func<string, Scenario>? load, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr, load).Invoke(args);
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// A standby on a primary writing 5MB/s (16MB segments, checkpoint_timeout=15min, timed checkpoints), 100GB
    /// volume: the scenario's own outage is replaced by the plan's. No noise: runs differ only in the start.
    /// </summary>
    private Scenario Standby(string file) => new()
    {
        Name = "plan-cli",
        SourceFile = file,
        Versions = [PgVersion.Parse("15")],
        SegmentSize = WalSegmentSize.FromMegabytes(16),
        Settings = new Dictionary<string, string>
        {
            ["checkpoint_timeout"] = "15min", ["max_wal_size"] = "16GB", ["min_wal_size"] = "2GB",
        },
        Workload = new Workload([new ConstantRate(5 * 1048576, SimTime.Zero, SimTime.Never)]),
        Slots =
        [
            new SlotSpec { Name = "standby1", Consumer = new ConsumerSpec { Lag = SimDuration.FromSeconds(1), Outages = [new Outage(SimTime.FromSeconds(7200), SimTime.Never)] } },
            new SlotSpec { Name = "forgotten", Consumer = ConsumerSpec.None, RestartLsn = null, Reserve = false },
        ],
        Disk = new DiskSpec(ByteCount.FromMegabytes(100 * 1024), ByteCount.Zero, null),
        Duration = SimDuration.FromHours(9),
    };

    private string[] Args(params string[] extra) =>
        ["plan", Path.Combine(_dir, "s.yaml"), "--cap", "32GB,64GB,96GB,-1", "--outage", "3h,4h,6h", "--window", "15min", "--runs", "4", "--threads", "2", .. extra];

    [Fact]
    public void Plan_prints_per_cap_how_long_the_standby_may_be_away_and_recommends_the_smallest_cap_that_survives_the_target()
    {
        var run = Walsim(Standby, Args("--target", "3h"));
        Assert.True(run.Code == 0, run.Err);
        // The never-consuming slot is not planned for: only standby1.
        Assert.Contains("slot standby1 (physical)", run.Out);
        Assert.DoesNotContain("slot forgotten", run.Out);
        // 64GB at 5MB/s: 13,107 s ≈ 3h38m of WAL, lost at the next checkpoint end (up to 15 min later);
        // without a cap the 100GB volume fills after 20,480 s ≈ 5h41m.
        var rows = run.Out.Split('\n');
        Assert.Matches(@"^\s+64GB\s+3h(3[89]|4\d|5[0-3])m\s", rows.Single(r => r.TrimStart().StartsWith("64GB ", StringComparison.Ordinal)));
        Assert.Contains("disk full 4", rows.Single(r => r.TrimStart().StartsWith("unlimited ", StringComparison.Ordinal)));
        // 32GB is lost within 3h in every run, 64GB in none: the bisection finds the cap between them.
        var rec = rows.Single(r => r.Contains("recommendation:", StringComparison.Ordinal));
        Assert.Matches(@"max_slot_wal_keep_size = (5\d|6[0-4])GB: the smallest with which slot standby1 outlives a 3h00m outage in 100 % of runs", rec);
        Assert.Contains("the 100GB volume is enough", rec);
    }

    [Fact]
    public void Plan_writes_markdown_csv_json_and_html_with_out_and_they_agree()
    {
        var outDir = Path.Combine(_dir, "out");
        var run = Walsim(Standby, Args("--out", outDir, "--html"));
        Assert.True(run.Code == 0, run.Err);
        var csv = File.ReadAllLines(Path.Combine(outDir, "plan.csv"));
        Assert.Equal("slot,cap_mb,outage_s,runs,slot_lost,disk_full,read_only,p_slot_lost,p_disk_full,p_read_only", csv[0]);
        Assert.Equal(1 + 4 * 3, csv.Length); // one slot x 4 caps x 3 outages
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "plan.json")))!;
        var caps = json["slots"]![0]!["caps"]!.AsArray();
        Assert.Equal([32768, 65536, 98304, -1], caps.Select(c => (long)c!["cap_mb"]!));
        // The CSV row of 32GB at 3h is the JSON cell.
        var cell = caps[0]!["cells"]![0]!;
        Assert.StartsWith($"standby1,32768,10800,4,{(int)cell["slot_lost"]!},{(int)cell["disk_full"]!},{(int)cell["read_only"]!},", csv[1]);
        Assert.Contains("| max_slot_wal_keep_size |", File.ReadAllText(Path.Combine(outDir, "plan.md")));
        var html = File.ReadAllText(Path.Combine(outDir, "plan.html"));
        Assert.Contains("id=\"walsim-data\"", html);
        Assert.Contains("reports: ", run.Out);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp*"));
        // The charts, beside plan.md and shown in it.
        Assert.Equal(["plan.csv", "plan.html", "plan.json", "plan.md", "plan.p-slot-lost-1-standby1.png", "plan.survival-1-standby1.png"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.EndsWith("\n\n![slot standby1: longest outage survived (PostgreSQL 15.18)](plan.survival-1-standby1.png)\n" +
                        "\n![slot standby1: P(slot lost), % of runs (PostgreSQL 15.18)](plan.p-slot-lost-1-standby1.png)\n", File.ReadAllText(Path.Combine(outDir, "plan.md")));
    }

    [Theory]
    [InlineData("--outage", "0s..1h", "--outage")]
    [InlineData("--outage", "3 hours", "--outage")]
    [InlineData("--cap", "512kB", "whole MB")]
    [InlineData("--cap", "1GB..1GB", "--cap")]
    [InlineData("--risk", "100%", "--risk")]
    [InlineData("--slot", "nope", "there is no slot \"nope\"")]
    [InlineData("--slot", "forgotten", "no consumer")]
    public void Plan_bad_options_exit_3_and_say_what_was_expected(string option, string value, string message)
    {
        var defaults = new Dictionary<string, string> { ["--runs"] = "1", ["--outage"] = "3h", ["--cap"] = "64GB", [option] = value };
        var run = Walsim(Standby, ["plan", Path.Combine(_dir, "s.yaml"), .. defaults.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains(message, run.Err);
    }

    [Fact]
    public void Without_caps_the_candidates_span_the_WAL_the_outages_write_up_to_the_volume()
    {
        // 5MB/s: half of 3h = 27GB → 24GB (the nearest 2^k or 1.5 x 2^k MB); twice 6h = 211GB, above the 100GB
        // volume, so up to 100GB; and unlimited.
        var run = Walsim(Standby, ["plan", Path.Combine(_dir, "s.yaml"), "--outage", "3h,6h", "--steps", "4", "--window", "15min", "--runs", "2", "--format", "json"]);
        Assert.True(run.Code == 0, run.Err);
        var caps = System.Text.Json.Nodes.JsonNode.Parse(run.Out)!["caps_mb"]!.AsArray().Select(c => (long)c!).ToList();
        Assert.Equal(24 * 1024, caps[0]);
        Assert.Equal(100 * 1024, caps[^2]);
        Assert.Equal(-1, caps[^1]);
        Assert.Equal(5, caps.Count); // 24GB, 2 between, 100GB, unlimited
    }

    [Fact]
    public void Plan_from_a_real_trace_starts_from_the_cluster_as_sampled_and_plans_for_the_consumers_that_keep_up()
    {
        // diurnal-pg15 (PostgreSQL 15.18, 1MB segments, ~112kB/s over a compressed 10-minute "day"): pg_receivewal
        // keeps standby1 up; the CDC slot was lost before the last sample, so there is nothing to plan for it.
        var samples = RepoPaths.Of("scenarios", "traces", "diurnal-pg15", "samples.csv");
        var run = Walsim(null, ["plan", samples, "--period", "10min", "--bucket", "20s", "--outage", "1min..30min", "--runs", "20", "--window", "1h", "--format", "json"]);
        Assert.True(run.Code == 0, run.Err);
        var json = JsonNode.Parse(run.Out)!;
        Assert.True((bool)json["from_samples"]!);
        Assert.Equal("15.18", (string)json["version"]!);
        Assert.Equal(["standby1"], json["slots"]!.AsArray().Select(x => (string)x!["name"]!));
        // 30 min at ~112kB/s is ~200MB: the recommendation is in megabytes, between the candidates around it.
        var rec = json["slots"]![0]!["recommendation"]!;
        Assert.InRange((long)rec["cap_mb"]!, 150, 400);
    }

    [Fact]
    public void Plan_for_12_compares_no_caps_and_refuses_them()
    {
        var refused = Walsim(Standby, ["plan", Path.Combine(_dir, "s.yaml"), "--pg", "12", "--cap", "64GB"]);
        Assert.Equal((int)ExitCode.UsageError, refused.Code);
        Assert.Contains("PostgreSQL 12 has no max_slot_wal_keep_size", refused.Err);

        var run = Walsim(Standby, ["plan", Path.Combine(_dir, "s.yaml"), "--pg", "12", "--outage", "3h,6h", "--window", "15min", "--runs", "2"]);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("PostgreSQL 12 has no max_slot_wal_keep_size: only the volume limits a slot", run.Out);
        Assert.Contains("disk full 2", run.Out);
    }
}

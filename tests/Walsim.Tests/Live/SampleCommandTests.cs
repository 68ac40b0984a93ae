using Walsim.Cli;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary><c>walsim sample</c> in-process, where no server is needed: options, refusals, and passwords.</summary>
public sealed class SampleCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("walsim-samplecmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Walsim(Func<string, string?> env, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var code = new WalsimCommands(stdout, stderr, environment: env).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A unix socket directory where no server listens: connecting fails at once.</summary>
    private string NoServer => _dir;

    [Fact]
    public void A_password_never_appears_in_messages_or_files_when_the_server_cannot_be_reached()
    {
        var file = Path.Combine(_dir, "s.csv");
        var run = Walsim(_ => null, "sample", "--connection", $"Host={NoServer};Port=5999;Username=x;Password=SuperSecret123;Timeout=2",
            "--interval", "100ms", "--duration", "1s", "--out", file);
        Assert.Equal((int)ExitCode.ServerUnavailable, run.Code);
        Assert.Contains("cannot connect to x@", run.Err);
        Assert.DoesNotContain("SuperSecret123", run.Out + run.Err);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_password_from_PGPASSWORD_or_a_uri_never_appears_either()
    {
        var env = (string k) => k switch { "PGHOST" => NoServer, "PGPORT" => "5998", "PGPASSWORD" => "EnvSecret456", _ => null };
        var run = Walsim(env, "sample", "--duration", "1s", "--out", Path.Combine(_dir, "a.csv"));
        Assert.Equal((int)ExitCode.ServerUnavailable, run.Code);
        Assert.DoesNotContain("EnvSecret456", run.Out + run.Err);

        var uri = Walsim(_ => null, "sample", "--connection", "postgresql://bob:UriSecret789@127.0.0.1:1/db?connect_timeout=2", "--duration", "1s", "--out", Path.Combine(_dir, "b.csv"));
        Assert.Equal((int)ExitCode.ServerUnavailable, uri.Code);
        Assert.DoesNotContain("UriSecret789", uri.Out + uri.Err);
    }

    [Fact]
    public void The_connection_string_may_be_the_argument_as_with_psql_and_its_password_never_appears_either()
    {
        var run = Walsim(_ => null, "sample", $"host={NoServer} port=5997 user=x password='Arg Secret 321' connect_timeout=2",
            "--duration", "1s", "--out", Path.Combine(_dir, "c.csv"));
        Assert.Equal((int)ExitCode.ServerUnavailable, run.Code);
        Assert.Contains("cannot connect to x@", run.Err);
        Assert.DoesNotContain("Arg Secret 321", run.Out + run.Err);

        var both = Walsim(_ => null, "sample", "host=db1", "--connection", "host=db2");
        Assert.Equal((int)ExitCode.UsageError, both.Code);
        Assert.Contains("give the connection string once", both.Err);

        var bad = Walsim(_ => null, "sample", "host=db1 usr=monitor", "--out", Path.Combine(_dir, "d.csv"));
        Assert.Equal((int)ExitCode.UsageError, bad.Code);
        Assert.Contains("walsim: connection string: \"usr\" is not a connection parameter walsim knows", bad.Err);
    }

    [Fact]
    public void An_existing_output_file_is_refused_without_append()
    {
        var file = Path.Combine(_dir, "s.csv");
        File.WriteAllText(file, "keep me\n");
        var run = Walsim(_ => null, "sample", "--connection", $"Host={NoServer}", "--out", file);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains("already exists; use --append", run.Err);
        Assert.Equal("keep me\n", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("--interval", "10", "--interval: expected a duration like 10s or 5min")]
    [InlineData("--interval", "0s", "--interval: must be more than 0")]
    [InlineData("--duration", "soon", "--duration: expected a duration like 10s or 5min")]
    public void Bad_durations_are_usage_errors(string option, string value, string message)
    {
        var run = Walsim(_ => null, "sample", option, value);
        Assert.Equal((int)ExitCode.UsageError, run.Code);
        Assert.Contains(message, run.Err);
    }
}

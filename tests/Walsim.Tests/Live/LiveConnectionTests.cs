using Npgsql;
using Walsim.Analyzer.Live;
using Xunit;

namespace Walsim.Tests.Live;

/// <summary>Connection settings from a connection string and the libpq environment; passwords never shown.</summary>
public sealed class LiveConnectionTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void The_libpq_environment_fills_what_npgsql_does_not_read_itself()
    {
        var c = LiveConnection.Create(null, Env(("PGHOST", "db1"), ("PGPORT", "6543"), ("PGUSER", "monitor"), ("PGDATABASE", "app"),
            ("PGSSLMODE", "require"), ("PGPASSWORD", "pw")));
        Assert.Equal(("db1", 6543, "monitor", "app", SslMode.Require, "pw"),
            (c.Builder.Host, c.Builder.Port, c.Builder.Username, c.Builder.Database, c.Builder.SslMode, c.Builder.Password));
        Assert.Equal("monitor@db1:6543/app", c.Describe());
        Assert.False(c.Builder.Pooling);
    }

    [Fact]
    public void The_connection_string_wins_over_the_environment_and_the_database_defaults_to_the_user()
    {
        var c = LiveConnection.Create("Host=db2;Port=5433;Username=alice", Env(("PGHOST", "db1"), ("PGPORT", "6543"), ("PGSSLMODE", "disable")));
        Assert.Equal(("db2", 5433, "alice", "alice", SslMode.Disable), (c.Builder.Host, c.Builder.Port, c.Builder.Username, c.Builder.Database, c.Builder.SslMode));
    }

    [Fact]
    public void A_postgresql_uri_is_accepted()
    {
        var c = LiveConnection.Create("postgresql://monitor:s3cr%40t@db3:5444/app?sslmode=verify-full", Env());
        Assert.Equal(("db3", 5444, "monitor", "app", SslMode.VerifyFull, "s3cr@t"),
            (c.Builder.Host, c.Builder.Port, c.Builder.Username, c.Builder.Database, c.Builder.SslMode, c.Builder.Password));
    }

    [Fact]
    public void A_libpq_keyword_value_string_is_accepted_as_psql_takes_it()
    {
        var c = LiveConnection.Create(@"host=db4 port = 5445 user=monitor dbname='my app' password='it\'s secret' sslmode=require application_name=probe", Env(("PGHOST", "db1")));
        Assert.Equal(("db4", 5445, "monitor", "my app", SslMode.Require, "it's secret", "probe"),
            (c.Builder.Host, c.Builder.Port, c.Builder.Username, c.Builder.Database, c.Builder.SslMode, c.Builder.Password, c.Builder.ApplicationName));
        Assert.Equal("monitor@db4:5445/my app", c.Describe());
    }

    [Fact]
    public void A_name_alone_is_the_database_and_the_rest_comes_from_the_environment()
    {
        var c = LiveConnection.Create("app", Env(("PGHOST", "db1"), ("PGUSER", "monitor")));
        Assert.Equal(("db1", "monitor", "app"), (c.Builder.Host, c.Builder.Username, c.Builder.Database));
    }

    [Fact]
    public void A_uri_takes_the_same_parameters_in_its_query()
    {
        var c = LiveConnection.Create("postgresql://db5/app?user=monitor&port=5446&connect_timeout=3", Env());
        Assert.Equal(("db5", 5446, "monitor", "app", 3), (c.Builder.Host, c.Builder.Port, c.Builder.Username, c.Builder.Database, c.Builder.Timeout));
    }

    [Theory]
    [InlineData("host=db1 usr=monitor", "connection string: \"usr\" is not a connection parameter walsim knows")]
    [InlineData("host=db1 port=fivefour", "connection string: port: expected a whole number, got \"fivefour\"")]
    [InlineData("host=db1 user", "connection string: expected keyword=value pairs like host=db1 user=monitor, got \"user\" without a value")]
    [InlineData("host='db1 user=x", "connection string: the value of host has no closing quote")]
    [InlineData("postgresql://db1/app?sslmode=sometimes", "connection string: sslmode: expected disable, allow")]
    [InlineData("postgresql://db1/app?connect_timeout=soon", "connection string: connect_timeout: expected a whole number")]
    public void A_connection_string_that_cannot_be_used_says_why(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => LiveConnection.Create(text, Env()));
        Assert.StartsWith(message, e.Message);
    }

    [Theory]
    [InlineData("Host=db;Password=hunter2;Username=x", "Host=db;Password=********;Username=x")]
    [InlineData("host=db password='hunter 2' user=x", "host=db password=******** user=x")]
    [InlineData("connect to postgresql://bob:hunter2@db:5432/app failed", "connect to postgresql://bob:********@db:5432/app failed")]
    [InlineData("PWD=hunter2", "PWD=********")]
    public void Passwords_are_masked_in_any_text(string text, string expected) =>
        Assert.Equal(expected, LiveConnection.ScrubConnectionString(text));

    [Fact]
    public void The_password_is_masked_where_it_stands_not_wherever_its_text_appears()
    {
        // Masking every occurrence of the password's text would turn "cannot connect" into "cannot ********" for the
        // password "connect", and so tell the reader the password.
        var c = LiveConnection.Create("Host=db;Username=x;Password=connect", Env());
        Assert.Equal("cannot connect to server: Connection refused", c.Scrub("cannot connect to server: Connection refused"));
        Assert.Equal("bad Password=******** in Host=db", c.Scrub("bad Password=connect in Host=db"));
        Assert.Equal("postgresql://x:********@db/app", c.Scrub("postgresql://x:connect@db/app"));
        Assert.DoesNotContain("connect", c.Describe());
    }

    [Fact]
    public void A_bad_sslmode_in_the_environment_is_an_argument_error()
    {
        var e = Assert.Throws<ArgumentException>(() => LiveConnection.Create(null, Env(("PGSSLMODE", "sometimes"))));
        Assert.Contains("PGSSLMODE", e.Message);
    }

    [Fact]
    public void A_wrong_password_costs_one_login_attempt_GSS_encryption_is_not_tried_unless_asked()
    {
        // Npgsql's default "prefer" opened a second connection after a failed login (two "password authentication
        // failed" lines on a real 15.18 over TCP); libpq tries GSS encryption only with Kerberos credentials at hand.
        Assert.Equal(Npgsql.GssEncryptionMode.Disable, LiveConnection.Create("host=db user=x", Env()).Builder.GssEncryptionMode);
        Assert.Equal(Npgsql.GssEncryptionMode.Prefer, LiveConnection.Create("host=db user=x gssencmode=prefer", Env()).Builder.GssEncryptionMode);
        Assert.Equal(Npgsql.GssEncryptionMode.Require, LiveConnection.Create("host=db user=x", Env(("PGGSSENCMODE", "require"))).Builder.GssEncryptionMode);
    }
}

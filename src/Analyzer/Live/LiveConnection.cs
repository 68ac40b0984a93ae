using System.Text.RegularExpressions;
using Npgsql;

namespace Walsim.Analyzer.Live;

/// <summary>
/// The connection settings of <c>walsim sample</c>: a connection string in any form <c>psql</c> takes (libpq's
/// <c>host=db1 user=monitor</c>, a <c>postgresql://</c> URI, or a database name alone) or Npgsql's
/// <c>Host=db1;Username=monitor</c>, with what it leaves unset taken from the libpq environment as <c>psql</c> would. Npgsql itself reads <c>PGUSER</c>, <c>PGPASSWORD</c>, <c>PGPASSFILE</c>
/// (and <c>~/.pgpass</c>), <c>PGSSLCERT</c>/<c>PGSSLKEY</c>/<c>PGSSLROOTCERT</c>, <c>PGAPPNAME</c>, <c>PGOPTIONS</c>
/// and <c>PGTZ</c>; this fills in <c>PGHOST</c>, <c>PGPORT</c>, <c>PGDATABASE</c> and <c>PGSSLMODE</c>, which it
/// does not. Never prints the password: <see cref="Describe"/> and <see cref="Scrub"/> are what messages use.
/// </summary>
public sealed partial class LiveConnection
{
    private LiveConnection(NpgsqlConnectionStringBuilder builder) => Builder = builder;

    /// <summary>The effective settings (holds the password: never print it; use <see cref="Describe"/>).</summary>
    public NpgsqlConnectionStringBuilder Builder { get; }

    /// <summary>
    /// <paramref name="connectionString"/> (see <see cref="ToNpgsql"/>) over the libpq environment read through
    /// <paramref name="env"/>. The session is made read-only and named <c>walsim sample</c>; pooling is off (a
    /// reconnect must be a new connection). A string that cannot be used is an <see cref="ArgumentException"/>.
    /// </summary>
    public static LiveConnection Create(string? connectionString, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        NpgsqlConnectionStringBuilder b;
        System.Data.Common.DbConnectionStringBuilder given;
        try
        {
            var text = connectionString is null ? "" : ToNpgsql(connectionString);
            b = new NpgsqlConnectionStringBuilder(text);
            // A plain builder holds only the keys actually written, so "port not given" can be told from "5432".
            given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = text };
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the offending key, not its value; scrub anyway.
            throw new ArgumentException($"connection string: {ScrubConnectionString(e.Message)}");
        }
        bool Given(params string[] keys) => keys.Any(given.ContainsKey);
        if (!Given("host", "server")) b.Host = env("PGHOST") is { Length: > 0 } h ? h : DefaultHost();
        if (!Given("port") && env("PGPORT") is { Length: > 0 } port)
            b.Port = int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p)
                ? p : throw new ArgumentException($"PGPORT: expected a port number, got \"{port}\"");
        if (string.IsNullOrEmpty(b.Username)) b.Username = env("PGUSER") is { Length: > 0 } u ? u : Environment.UserName;
        if (!Given("database", "db")) b.Database = env("PGDATABASE") is { Length: > 0 } d ? d : b.Username;
        if (!Given("ssl mode", "sslmode") && env("PGSSLMODE") is { Length: > 0 } mode) b.SslMode = ParseSslMode(mode, "PGSSLMODE");
        if (string.IsNullOrEmpty(b.Password) && env("PGPASSWORD") is { Length: > 0 } pw) b.Password = pw;
        if (!Given("application name", "applicationname")) b.ApplicationName = "walsim sample";
        // Npgsql's default GSS encryption "prefer" opens a second connection after a failed login (a wrong password
        // costs two authentication attempts on the server, two lines in its log, two counts towards a lockout);
        // libpq tries GSS encryption only with Kerberos credentials at hand. Off unless asked for (gssencmode).
        if (!Given("gss encryption mode", "gssencryptionmode", "gssencmode"))
            b.GssEncryptionMode = env("PGGSSENCMODE") is { Length: > 0 } gss ? ParseGssEncMode(gss, "PGGSSENCMODE") : GssEncryptionMode.Disable;
        b.Pooling = false;
        return new LiveConnection(b);
    }

    /// <summary><c>user@host:port/database</c>, for messages. No password.</summary>
    public string Describe() => $"{Builder.Username}@{Builder.Host}:{Builder.Port}/{Builder.Database}";

    /// <summary>
    /// Masks passwords where a password stands — the value of a <c>password=</c> key, the password of a URI — and
    /// nowhere else: replacing the password's text wherever it occurs would mangle a message that merely contains
    /// the same word ("cannot connect" with the password "connect") and so tell the reader the password.
    /// </summary>
    public string Scrub(string text) => ScrubConnectionString(text);

    /// <summary>Masks <c>Password=...</c> / <c>password=...</c> values and <c>scheme://user:password@</c> in any text.</summary>
    public static string ScrubConnectionString(string text)
    {
        text = PasswordPair().Replace(text, m => m.Groups["key"].Value + "********");
        return UriPassword().Replace(text, m => m.Groups["head"].Value + "********@");
    }

    [GeneratedRegex(@"(?<key>\b(?:password|pwd)\s*=\s*)(?:'(?:[^']|'')*'|""(?:[^""]|"""")*""|[^;\s]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordPair();

    [GeneratedRegex(@"(?<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UriPassword();

    /// <summary>libpq's default: the unix socket directory when a server's socket is there, else localhost.</summary>
    private static string DefaultHost()
    {
        foreach (var dir in new[] { "/var/run/postgresql", "/tmp" })
            if (Directory.Exists(dir) && Directory.EnumerateFiles(dir, ".s.PGSQL.*").Any()) return dir;
        return "localhost";
    }

    private static SslMode ParseSslMode(string mode, string name) => mode.ToLowerInvariant() switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new ArgumentException($"{name}: expected disable, allow, prefer, require, verify-ca or verify-full, got \"{mode}\""),
    };

    private static GssEncryptionMode ParseGssEncMode(string mode, string name) => mode.ToLowerInvariant() switch
    {
        "disable" => GssEncryptionMode.Disable,
        "prefer" => GssEncryptionMode.Prefer,
        "require" => GssEncryptionMode.Require,
        _ => throw new ArgumentException($"{name}: expected disable, prefer or require, got \"{mode}\""),
    };

    /// <summary>
    /// What a user typed, as an Npgsql connection string. As <c>psql</c> reads its argument: a <c>postgresql://</c>
    /// URI; else, with a '=', libpq's keyword/value form (<c>host=db1 user=monitor</c>); else a database name. A ';'
    /// marks Npgsql's own form (<c>Host=db1;Username=monitor</c>), taken as it is.
    /// </summary>
    private static string ToNpgsql(string text)
    {
        if (FromUri(text) is { } uri) return uri;
        if (text.Contains(';', StringComparison.Ordinal)) return text;
        var b = new NpgsqlConnectionStringBuilder();
        if (!text.Contains('=', StringComparison.Ordinal))
        {
            if (text.Trim().Length > 0) b.Database = text.Trim();
            return b.ConnectionString;
        }
        foreach (var (key, value) in KeywordValues(text)) Apply(b, key, value);
        return b.ConnectionString;
    }

    /// <summary>libpq's <c>keyword = value</c> pairs, separated by spaces; a value in single quotes may hold spaces,
    /// and a backslash escapes the next character (as <c>conninfo_parse</c> reads them).</summary>
    private static IEnumerable<(string Key, string Value)> KeywordValues(string text)
    {
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i == text.Length) yield break;
            var start = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i])) i++;
            var key = text[start..i];
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i == text.Length || text[i] != '=')
                throw new ArgumentException($"expected keyword=value pairs like host=db1 user=monitor, got \"{key}\" without a value");
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            var value = new System.Text.StringBuilder();
            var quoted = i < text.Length && text[i] == '\'';
            if (quoted) i++;
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted ? c == '\'' : char.IsWhiteSpace(c)) break;
                if (c == '\\' && i + 1 < text.Length) c = text[++i];
                value.Append(c);
            }
            if (quoted)
            {
                if (i == text.Length) throw new ArgumentException($"the value of {key} has no closing quote");
                i++;
            }
            yield return (key, value.ToString());
        }
    }

    /// <summary>The libpq connection parameters walsim passes on, by their libpq names (in a URI's query too).</summary>
    private static readonly string[] Keywords =
    [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "connect_timeout", "sslmode", "gssencmode", "sslcert",
        "sslkey", "sslrootcert", "sslpassword", "application_name", "options", "target_session_attrs", "client_encoding",
    ];

    /// <summary>Sets libpq parameter <paramref name="key"/> on <paramref name="b"/> (keys compared ignoring case).</summary>
    private static void Apply(NpgsqlConnectionStringBuilder b, string key, string value)
    {
        static int Number(string key, string value) =>
            int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                ? n : throw new ArgumentException($"{key}: expected a whole number, got \"{value}\"");
        switch (key.ToLowerInvariant())
        {
            case "host": b.Host = value; break;
            case "hostaddr": if (string.IsNullOrEmpty(b.Host)) b.Host = value; break; // Npgsql has one host setting; host wins
            case "port": b.Port = Number(key, value); break;
            case "dbname": b.Database = value; break;
            case "user": b.Username = value; break;
            case "password": b.Password = value; break;
            case "passfile": b.Passfile = value; break;
            case "connect_timeout": b.Timeout = Number(key, value); break;
            case "sslmode": b.SslMode = ParseSslMode(value, key); break;
            case "gssencmode": b.GssEncryptionMode = ParseGssEncMode(value, key); break;
            case "sslcert": b.SslCertificate = value; break;
            case "sslkey": b.SslKey = value; break;
            case "sslrootcert": b.RootCertificate = value; break;
            case "sslpassword": b.SslPassword = value; break;
            case "application_name": b.ApplicationName = value; break;
            case "options": b.Options = value; break;
            case "target_session_attrs": b.TargetSessionAttributes = value; break;
            case "client_encoding": b.ClientEncoding = value; break;
            default:
                throw new ArgumentException(
                    $"\"{key}\" is not a connection parameter walsim knows (it knows {string.Join(", ", Keywords)}); for Npgsql's form, separate Key=Value pairs with ';'");
        }
    }

    /// <summary>A libpq URI (<c>postgresql://user:pw@host:port/db?sslmode=require</c>) as an Npgsql connection string.</summary>
    private static string? FromUri(string text)
    {
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)) throw new ArgumentException("not a valid postgresql:// URI");
        var b = new NpgsqlConnectionStringBuilder();
        if (uri.Host.Length > 0) b.Host = uri.Host;
        if (uri.Port > 0) b.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        var db = uri.AbsolutePath.TrimStart('/');
        if (db.Length > 0) b.Database = Uri.UnescapeDataString(db);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            Apply(b, Uri.UnescapeDataString(kv[0]), kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "");
        }
        return b.ConnectionString;
    }
}

using AdminPortal.App.Data;
using AdminPortal.Tests.Infrastructure;
using Npgsql;

namespace AdminPortal.Tests.CommandLine;

/// <summary>The built portal's command line, run as its own process, as an operator types it.</summary>
public class CommandLineTests
{
    private static Dictionary<string, string?> Sqlite(string folder, string environment = "Development") => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = environment,
        ["Database__Provider"] = "Sqlite",
        ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
    };

    [Theory]
    [InlineData("--help", "migrate", "Key=Value")]
    [InlineData("migrate --help", "--seed-demo-data", "--force")]
    [InlineData("seed --help", "--users", "demo data")]
    [InlineData("schema --help", "status", "adopt")]
    [InlineData("schema status --help", "--json", "pending")]
    [InlineData("schema drift --help", "--json", "drift")]
    [InlineData("schema adopt --help", "--dry-run", "baseline")]
    public async Task Help_RootAndEveryVerb_PrintsUsageAndExitsZero(string arguments, string mentions, string alsoMentions)
    {
        // No database at all: help never builds the host.
        var environment = new Dictionary<string, string?> { ["Database__Provider"] = "Postgres", ["ConnectionStrings__Portal"] = "Host=127.0.0.1;Port=1;Database=none" };

        var (exitCode, output) = await PortalProcess.RunAsync(environment, arguments.Split(' '));

        Assert.True(exitCode == 0, output);
        Assert.Contains("Usage:", output);
        Assert.Contains(mentions, output);
        Assert.Contains(alsoMentions, output);
    }

    [Theory]
    [InlineData("--frobnicate", "--frobnicate")]
    [InlineData("migrat", "migrat")]
    [InlineData("migrate --forse", "--forse")]
    [InlineData("schema", "Required command")]
    [InlineData("seed --users lots", "lots")]
    public async Task UnknownVerbOrOption_SaysSoAndExitsTwo(string arguments, string named)
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-cli-").FullName;
        try
        {
            var (exitCode, output) = await PortalProcess.RunAsync(Sqlite(folder), arguments.Split(' '));

            Assert.True(exitCode == 2, output);
            Assert.Contains(named, output);
            Assert.Contains("--help", output);
            Assert.DoesNotContain("   at ", output);
            Assert.False(File.Exists(Path.Combine(folder, "portal.db")), "a usage error must not touch the database");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Urls_TwoWordFormsAndOverrides_ReachTheHost()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-cli-").FullName;
        string database = Path.Combine(folder, "two-word.db");
        int port = PortalProcess.FreePort();
        try
        {
            // Production in the environment, Development on the command line: the command line wins, as in ASP.NET Core.
            await using var portal = PortalProcess.Start(Sqlite(folder, environment: "Production"), dotnetRun: false,
                "--urls", $"http://127.0.0.1:{port}", "--environment", "Development", "--ConnectionStrings:Portal", $"Data Source={database}");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

            using var live = await portal.WaitForAsync(client, $"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(180));
            string signIn = await client.GetStringAsync($"http://127.0.0.1:{port}/signin");

            Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
            Assert.Contains("Development sign-in", signIn); // only in Development with SQLite
            Assert.True(File.Exists(database), "--ConnectionStrings:Portal <value> chose the database");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task DotnetRun_ReadmeCommandWithUrls_Serves()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-cli-").FullName;
        int port = PortalProcess.FreePort();
        try
        {
            // The README's `dotnet run` (launch profile: Development, port 5080), moved to a free port with --urls.
            var environment = new Dictionary<string, string?> { ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}" };
            await using var portal = PortalProcess.Start(environment, dotnetRun: true, "--urls", $"http://127.0.0.1:{port}");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

            using var ready = await portal.WaitForAsync(client, $"http://127.0.0.1:{port}/health/ready", TimeSpan.FromSeconds(180));

            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("Development sign-in", await client.GetStringAsync($"http://127.0.0.1:{port}/signin"));
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task KeyValueOverrides_ReadmeForm_SeedsTheNamedDatabase()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-cli-").FullName;
        string database = Path.Combine(folder, "key-value.db");
        try
        {
            var (exitCode, output) = await PortalProcess.RunAsync(Sqlite(folder), "seed", "--users", "3", $"ConnectionStrings:Portal=Data Source={database}");

            Assert.True(exitCode == 0, output);
            Assert.True(File.Exists(database), output);
            Assert.False(File.Exists(Path.Combine(folder, "portal.db")), "the override replaced the environment's database");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Migrate_MissingPostgresDatabase_CreatesAndMigratesIt()
    {
        string name = "cli_" + Guid.NewGuid().ToString("N");
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = name }.ConnectionString;
        try
        {
            var (exitCode, output) = await PortalProcess.RunAsync(Postgres(connection), "migrate");
            var (statusCode, status) = await PortalProcess.RunAsync(Postgres(connection), "schema", "status");

            Assert.True(exitCode == 0, output);
            Assert.Contains($"Created the PostgreSQL database {name}", output);
            Assert.True(statusCode == 0, status);
            Assert.Contains("Up to date.", status);
        }
        finally
        {
            await AdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task Migrate_MissingDatabaseRoleCannotCreate_OneLineAndExitFive()
    {
        string role = "cli_role_" + Guid.NewGuid().ToString("N")[..12];
        string name = "cli_" + Guid.NewGuid().ToString("N");
        // The private cluster trusts local connections, so a role without CREATEDB needs no password.
        await AdminAsync($"CREATE ROLE {role} LOGIN NOCREATEDB");
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = name, Username = role }.ConnectionString;
        try
        {
            var (exitCode, output) = await PortalProcess.RunAsync(Postgres(connection), "migrate");
            var (statusCode, status) = await PortalProcess.RunAsync(Postgres(connection), "schema", "status");

            Assert.True(exitCode == 5, output);
            string line = Assert.Single(output.Split('\n'), l => l.StartsWith("migrate failed:"));
            Assert.Contains($"\"{name}\" does not exist", line);
            Assert.Contains("cannot create it", line);
            Assert.DoesNotContain("   at ", output);
            Assert.DoesNotContain("Unhandled exception", output);
            Assert.True(statusCode == 5, status);
            Assert.Contains("schema status failed:", status);
            Assert.DoesNotContain("   at ", status);
        }
        finally
        {
            await AdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await AdminAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Migrate_UnreachableServer_OneLineAndExitOne()
    {
        var (exitCode, output) = await PortalProcess.RunAsync(Postgres($"Host=127.0.0.1;Port={PortalProcess.FreePort()};Database=x;Username=x;Timeout=3"), "migrate");

        Assert.True(exitCode == 1, output);
        Assert.Contains("migrate failed: the database could not be reached", output);
        Assert.DoesNotContain("   at ", output);
    }

    private static Dictionary<string, string?> Postgres(string connection) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Database__Provider"] = nameof(DatabaseProvider.Postgres),
        ["ConnectionStrings__Portal"] = connection,
    };

    private static async Task AdminAsync(string sql)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}

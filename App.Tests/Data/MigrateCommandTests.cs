using System.Diagnostics;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

/// <summary>The real binary's command-line mode, as an operator runs it: <c>dotnet run -- migrate</c>.</summary>
public class MigrateCommandTests
{
    private static async Task<(int ExitCode, string Output)> RunPortalAsync(TestDatabase database, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AdminPortal.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The same configuration the portal reads, through environment variables as the README documents.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Database__Provider"] = database.Provider.ToString();
        start.Environment["ConnectionStrings__Portal"] = database.Options.ConnectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task Migrate_EmptyPostgres_AppliesEveryMigrationThenIsANoOp()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);

        var (first, second) = await MigrateTwiceAsync(database);

        Assert.Matches(@"Applying [1-9]\d* migration\(s\)", first);
        Assert.Contains("Applying 0 migration(s)", second);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Empty(await context.Db.Database.GetPendingMigrationsAsync());
        Assert.Equal(DemoData.UserCount, await context.Db.Users.CountAsync());
    }

    /// <summary>
    /// <c>migrate --seed-demo-data</c>, then <c>migrate</c>: both succeed, and the first, only, gives the Data Protection
    /// key ring its one key, so that instances started together find it instead of each creating their own.
    /// </summary>
    private static async Task<(string First, string Second)> MigrateTwiceAsync(TestDatabase database)
    {
        var first = await RunPortalAsync(database, "migrate", "--seed-demo-data");
        var second = await RunPortalAsync(database, "migrate");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("Created the first Data Protection key", first.Output);
        Assert.DoesNotContain("Data Protection key", second.Output);
        Assert.Equal(1, await DataProtectionKeyCountAsync(database));
        return (first.Output, second.Output);
    }

    private static async Task<int> DataProtectionKeyCountAsync(TestDatabase database)
    {
        var options = new DbContextOptionsBuilder<DataProtectionKeyContext>();
        if (database.Provider == DatabaseProvider.Postgres)
        {
            options.UseNpgsql(database.Options.ConnectionString);
        }
        else
        {
            options.UseSqlite(database.Options.ConnectionString);
        }

        await using var keys = new DataProtectionKeyContext(options.Options);
        return await keys.DataProtectionKeys.CountAsync();
    }

    [Fact]
    public async Task Migrate_Sqlite_CreatesTheFirstDataProtectionKeyOnce_AndInstancesUseIt()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

        await MigrateTwiceAsync(database);

        // Two instances started together: each reads what the other protects, and neither made a key of its own.
        await using var a = new PortalOn(database);
        await using var b = new PortalOn(database);
        var protectors = await Task.WhenAll(Task.Run(a.Protector), Task.Run(b.Protector));
        string hostile = "<script>alert(1)</script>\u202e\0" + new string('x', 5_000);
        Assert.Equal(hostile, protectors[1].Unprotect(protectors[0].Protect(hostile)));
        Assert.Equal(hostile, protectors[0].Unprotect(protectors[1].Protect(hostile)));
        Assert.Equal(1, await DataProtectionKeyCountAsync(database));
    }

    /// <summary>A portal instance on the test's database.</summary>
    private sealed class PortalOn(TestDatabase database) : WebApplicationFactory<Program>
    {
        public IDataProtector Protector() => Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("Database:Provider", database.Provider.ToString());
            builder.UseSetting("ConnectionStrings:Portal", database.Options.ConnectionString);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }

    [Fact]
    public async Task SchemaCommands_Postgres_ExitCodesSayPendingAndDrift()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);

        var pending = await RunPortalAsync(database, "schema", "status");
        await RunPortalAsync(database, "migrate");
        var clean = await RunPortalAsync(database, "schema", "drift");
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Database.ExecuteSqlRawAsync("ALTER TABLE users ADD COLUMN nickname text");
        }

        var drift = await RunPortalAsync(database, "schema", "drift", "--json");
        var refused = await RunPortalAsync(database, "migrate");

        Assert.True(pending.ExitCode == 3, pending.Output);
        Assert.Matches(@"Pending \([1-9]\d*\)", pending.Output);
        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.True(drift.ExitCode == 4, drift.Output);
        using var json = System.Text.Json.JsonDocument.Parse(drift.Output[drift.Output.IndexOf('{')..]);
        var item = json.RootElement.GetProperty("Items").EnumerateArray().Single();
        Assert.Equal(("users", "ExtraColumn", "nickname"), (item.GetProperty("Table").GetString(), item.GetProperty("Kind").GetString(), item.GetProperty("Object").GetString()));
        // A harmless extra column is drift to report, but no reason to refuse migrate.
        Assert.True(refused.ExitCode == 0, refused.Output);
    }
}

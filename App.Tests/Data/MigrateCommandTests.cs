using System.Diagnostics;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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

        var first = await RunPortalAsync(database, "migrate", "--seed-demo-data");
        var second = await RunPortalAsync(database, "migrate");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("Applying 1 migration(s)", first.Output);
        Assert.Contains("Applying 0 migration(s)", second.Output);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Empty(await context.Db.Database.GetPendingMigrationsAsync());
        Assert.Equal(DemoData.UserCount, await context.Db.Users.CountAsync());
    }
}

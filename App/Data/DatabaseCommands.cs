using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Data;

/// <summary>Migration and seeding, for start-up and for the <c>migrate</c> command line mode.</summary>
public sealed class DatabaseCommands(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, DatabaseOptions options, ILogger<DatabaseCommands> logger)
{
    /// <summary>What start-up does: migrate and seed the embedded database; refuse to serve a PostgreSQL database that is behind.</summary>
    public async Task PrepareAtStartupAsync(CancellationToken cancellationToken = default)
    {
        tenant.Use(TenantScope.System("startup"));
        if (options.ShouldMigrateOnStartup)
        {
            await MigrateAsync(cancellationToken);
        }
        else
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The {options.Provider} database is missing {pending.Count} migration(s) ({string.Join(", ", pending)}). " +
                    "Apply them with: dotnet run -- migrate   (or set Database:MigrateOnStartup=true for a development database).");
            }
        }

        if (options.ShouldSeedDemoData)
        {
            await SeedAsync(cancellationToken);
        }
    }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        tenant.Use(TenantScope.System("migrate"));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        logger.LogInformation("Applying {Count} migration(s) to the {Provider} database: {Migrations}", pending.Count, options.Provider, pending);
        await db.Database.MigrateAsync(cancellationToken);
    }

    /// <returns>True when it seeded; false when the database already had data.</returns>
    public async Task<bool> SeedAsync(CancellationToken cancellationToken = default)
    {
        tenant.Use(TenantScope.System("seed"));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        bool seeded = await DemoData.SeedIfEmptyAsync(db, DateTime.UtcNow, cancellationToken);
        if (seeded)
        {
            logger.LogInformation("Seeded the empty database with demo data.");
        }

        return seeded;
    }

    /// <summary>
    /// Runs a command-line mode, if <paramref name="args"/> names one. Returns the process exit code, or null when the
    /// arguments ask for the web server.
    /// </summary>
    public static async Task<int?> RunCommandLineAsync(WebApplication app, string[] args)
    {
        if (args.FirstOrDefault() != "migrate")
        {
            return null;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
        await commands.MigrateAsync();
        if (args.Contains("--seed-demo-data"))
        {
            await commands.SeedAsync();
        }

        return 0;
    }
}

using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Data;

/// <summary>Migration and seeding, for start-up and for the <c>migrate</c> command line mode.</summary>
public sealed class DatabaseCommands(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, DatabaseOptions options, Features.Schema.SchemaService schema, ILogger<DatabaseCommands> logger)
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

    /// <summary>Applies pending migrations, unless the database has drift or tables without history (then only with <paramref name="force"/>).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default, bool force = false)
    {
        if (await schema.ReasonNotToMigrateAsync(cancellationToken) is { } reason)
        {
            if (!force)
            {
                throw new MigrationRefusedException(reason);
            }

            logger.LogWarning("Migrating despite: {Reason} (--force). If a migration fails part-way the database is left between versions; take a backup first.", reason);
        }

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
    /// arguments ask for the web server. Modes: migrate [--seed-demo-data] [--force]; schema status|drift|adopt.
    /// </summary>
    public static async Task<int?> RunCommandLineAsync(WebApplication app, string[] args)
    {
        string? mode = args.FirstOrDefault();
        if (mode is not ("migrate" or "schema" or "seed"))
        {
            return null;
        }

        await using var scope = app.Services.CreateAsyncScope();
        if (mode == "seed")
        {
            // seed [--users N]: the demo data if the database is empty, then N generated users (load and benchmark work).
            var seeder = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
            var status = await scope.ServiceProvider.GetRequiredService<Features.Schema.SchemaService>().GetStatusAsync();
            if (!status.UpToDate)
            {
                if (!scope.ServiceProvider.GetRequiredService<DatabaseOptions>().ShouldMigrateOnStartup)
                {
                    await Console.Error.WriteLineAsync($"seed refused: {status.Pending.Count} migration(s) are pending. Run: dotnet run -- migrate");
                    return Features.Schema.SchemaService.ExitPending;
                }

                await seeder.MigrateAsync();
            }

            await seeder.SeedAsync();
            int index = Array.IndexOf(args, "--users");
            if (index > 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out int users) && users > 0)
            {
                await scope.ServiceProvider.GetRequiredService<Features.Users.UserDataGenerator>().GenerateAsync(users, Console.Out);
            }

            return 0;
        }

        if (mode == "schema")
        {
            return await Features.Schema.SchemaCommandLine.RunAsync(scope.ServiceProvider, args.Skip(1).ToArray(), Console.Out);
        }

        var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
        try
        {
            await commands.MigrateAsync(force: args.Contains("--force"));
        }
        catch (MigrationRefusedException refused)
        {
            await Console.Error.WriteLineAsync($"migrate refused: {refused.Message}\nRun with --force to migrate anyway.");
            return Features.Schema.SchemaService.ExitDrift;
        }

        if (args.Contains("--seed-demo-data"))
        {
            await commands.SeedAsync();
        }

        return 0;
    }
}

/// <summary>migrate will not run: the database has drift, or tables without this app's migration history.</summary>
public sealed class MigrationRefusedException(string message) : InvalidOperationException(message);

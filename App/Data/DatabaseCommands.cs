using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

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
            // A database that does not exist would otherwise read as "missing every migration": say what it is.
            if (options.Provider == DatabaseProvider.Postgres && !await db.GetService<IRelationalDatabaseCreator>().ExistsAsync(cancellationToken))
            {
                string name = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString).Database ?? "(none)";
                throw new CommandLine.StartupRefusedException(
                    $"the PostgreSQL database \"{name}\" does not exist. Create and migrate it with: dotnet run -- migrate", exitCode: CommandLine.PortalCommandLine.ExitDatabaseMissing);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                throw new CommandLine.StartupRefusedException(
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
        if (options.Provider == DatabaseProvider.Postgres && await CockroachDb.DetectAsync(db, cancellationToken))
        {
            logger.LogInformation("The server is CockroachDB: its built-in unique_rowid() is kept, and migrations take no LOCK TABLE.");
        }

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
    /// PostgreSQL only: creates the configured database when it does not exist, if the connection's role may
    /// (CREATEDB). Returns null when the database is there (or was created), otherwise one line saying why not.
    /// </summary>
    public async Task<string?> EnsureDatabaseExistsAsync(CancellationToken cancellationToken = default)
    {
        if (options.Provider != DatabaseProvider.Postgres)
        {
            return null;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(cancellationToken))
        {
            return null;
        }

        string name = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString).Database ?? "(none)";
        try
        {
            await creator.CreateAsync(cancellationToken);
            logger.LogInformation("Created the PostgreSQL database {Database}.", name);
            return null;
        }
        catch (Npgsql.PostgresException refused) when (refused.SqlState is "42501" or "3D000" or "28000")
        {
            // 42501: the role lacks CREATEDB; 3D000: the maintenance database it connects through is missing too.
            return $"the PostgreSQL database \"{name}\" does not exist, and this role cannot create it ({refused.MessageText}). " +
                "Ask a DBA to run: CREATE DATABASE " + name + " OWNER <this role>;  then run migrate again.";
        }
    }
}

/// <summary>migrate will not run: the database has drift, or tables without this app's migration history.</summary>
public sealed class MigrationRefusedException(string message) : InvalidOperationException(message);

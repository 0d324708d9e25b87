using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AdminPortal.App.Data;

/// <summary>Registers the portal's data access: one provider, a scoped context factory, the tenant context.</summary>
public static class DatabaseSetup
{
    public const string HistoryTable = "migration_status";

    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        var options = ReadOptions(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddPortalData(options);
        DataProtectionKeyContext.ProtectKeysWithConfiguredCertificate(builder.Services, builder.Configuration);
        builder.Services.AddHostedService<DatabaseAvailabilityProbe>();
        if (options.Provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddHostedService(services => services.GetRequiredService<PostgresChangeFeed>());
        }

        builder.Services.AddHostedService<Grid.RememberedCountInvalidation>();
        builder.Services.AddPortalHealthChecks();
        return builder;
    }

    public static DatabaseOptions ReadOptions(IConfiguration configuration, string contentRoot)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        options.ConnectionString ??= configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            options.ConnectionString = SqliteFileUnder(contentRoot, options.ConnectionString ?? DatabaseOptions.DefaultSqliteConnectionString);
        }
        else if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new CommandLine.StartupRefusedException(
                "Database:Provider is Postgres but there is no connection string. Set ConnectionStrings:Portal " +
                "(environment variable ConnectionStrings__Portal), e.g. Host=127.0.0.1;Database=adminportal;Username=portal;Password=...");
        }

        return options;
    }

    /// <summary>Makes a relative SQLite file path relative to the content root and creates its folder.</summary>
    private static string SqliteFileUnder(string contentRoot, string connectionString)
    {
        var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (sqlite.DataSource != ":memory:" && sqlite.Mode != Microsoft.Data.Sqlite.SqliteOpenMode.Memory && !Path.IsPathRooted(sqlite.DataSource))
        {
            sqlite.DataSource = Path.Combine(contentRoot, sqlite.DataSource);
        }

        if (Path.GetDirectoryName(sqlite.DataSource) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        return sqlite.ToString();
    }

    public static IServiceCollection AddPortalData(this IServiceCollection services, DatabaseOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(provider => new DatabaseAvailability(options, provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddScoped<TenantContext>();
        services.AddSingleton<ChangeCapture>();
        // The contexts are pooled (one pool per process, DbContext pooling): a fresh context per operation cost every
        // call EF's service resolution for a new instance. The scoped PortalDbContextFactory binds each leased context to
        // its circuit's tenant, and the context forgets it when the lease ends (PortalDbContext.Dispose).
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddSingleton<IChangeFeed, InProcessChangeFeed>();
                services.AddPooledDbContextFactory<SqlitePortalDbContext>((provider, builder) =>
                {
                    Configure(builder, options);
                    builder.AddInterceptors(provider.GetRequiredService<ChangeCapture>());
                });
                services.AddScoped<IDbContextFactory<PortalDbContext>, PortalDbContextFactory<SqlitePortalDbContext>>();
                break;
            case DatabaseProvider.Postgres:
                // LISTEN/NOTIFY between instances; its listener runs as a hosted service (AddData).
                services.AddSingleton<PostgresChangeFeed>();
                services.AddSingleton<IChangeFeed>(provider => provider.GetRequiredService<PostgresChangeFeed>());
                services.AddPooledDbContextFactory<PostgresPortalDbContext>((provider, builder) =>
                {
                    Configure(builder, options, provider.GetRequiredService<DatabaseAvailability>());
                    builder.AddInterceptors(provider.GetRequiredService<ChangeCapture>());
                });
                services.AddScoped<IDbContextFactory<PortalDbContext>, PortalDbContextFactory<PostgresPortalDbContext>>();
                break;
        }

        DataProtectionKeyContext.AddPortalDataProtection(services, builder => Configure(builder, options));
        services.AddScoped<DatabaseCommands>();
        services.AddScoped<Features.Schema.SchemaService>();
        services.AddScoped<Features.Users.UserDataGenerator>();
        return services;
    }

    /// <summary>Statements each server connection keeps prepared (Npgsql's <c>Max Auto Prepare</c>), unless the connection string says.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>Executions of one SQL text on a connection before Npgsql prepares it (<c>Auto Prepare Min Usages</c>), unless the connection string says.</summary>
    public const int DefaultAutoPrepareMinUsages = 2;

    /// <summary>
    /// The connection string EF's contexts use on PostgreSQL: the configured one, with Npgsql's automatic preparation
    /// on: each of the two settings the connection string does not name is set here. A prepared statement is parsed once per server connection, and after
    /// five executions PostgreSQL may keep one generic plan and stop planning it: planning was 0.4 ms of the users
    /// grid's 0.5 ms on the server. The grids' LIMITs are literals (<see cref="Grid.LiteralLimit"/>) so that their
    /// generic plan is the custom one. Set <c>Max Auto Prepare=0</c> for a pooler that cannot keep prepared statements
    /// (PgBouncer before 1.21 in transaction mode).
    /// </summary>
    public static string PostgresConnectionString(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Says(string keyword) => given.Keys.Cast<string>().Any(key => string.Equals(key.Replace(" ", "", StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase));
        var npgsql = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!Says("MaxAutoPrepare"))
        {
            npgsql.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!Says("AutoPrepareMinUsages"))
        {
            npgsql.AutoPrepareMinUsages = DefaultAutoPrepareMinUsages;
        }

        if (!Says("NoResetOnClose"))
        {
            npgsql.NoResetOnClose = true;
        }

        return npgsql.ConnectionString;
    }

    public static DbContextOptions<TContext> CreateOptions<TContext>(DatabaseOptions options) where TContext : PortalDbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        Configure(builder, options);
        return builder.Options;
    }

    /// <param name="availability">When given (the running portal), failures are reported to it and lost connections
    /// stop being retried once an outage outlasts <see cref="DatabaseOptions.RetryDuringOutage"/>.</param>
    private static void Configure(DbContextOptionsBuilder builder, DatabaseOptions options, DatabaseAvailability? availability = null)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(options.ConnectionString, sqlite => sqlite.MigrationsHistoryTable(HistoryTable));
                builder.ReplaceService<IHistoryRepository, PortalSqliteHistoryRepository>();
                break;
            case DatabaseProvider.Postgres:
                // The retrying strategy covers SQLSTATE 40001, which CockroachDB returns for serialization conflicts.
                builder.UseNpgsql(PostgresConnectionString(options.ConnectionString!), npgsql =>
                {
                    npgsql.MigrationsHistoryTable(HistoryTable);
                    if (availability is null)
                    {
                        npgsql.EnableRetryOnFailure(options.MaxRetryCount, options.MaxRetryDelay, null);
                    }
                    else
                    {
                        npgsql.ExecutionStrategy(dependencies => new PortalRetryingExecutionStrategy(dependencies, availability));
                    }
                });
                if (availability is not null)
                {
                    builder.AddInterceptors(availability.FailureInterceptor);
                }

                builder.ReplaceService<IMigrationsSqlGenerator, CockroachAwareMigrationsSqlGenerator>();
                if (options.SkipMigrationLock)
                {
                    builder.ReplaceService<IHistoryRepository, UnlockedNpgsqlHistoryRepository>();
                }
                else
                {
                    builder.ReplaceService<IHistoryRepository, PortalNpgsqlHistoryRepository>();
                }

                break;
        }

        builder.UseSnakeCaseNamingConvention();
        // Below SaveChanges: a bulk ExecuteUpdate or raw SQL from a read-only "view as" circuit is refused too.
        builder.AddInterceptors(Features.ViewAs.ReadOnlyViewGuard.Interceptor);
        // Posts and mappings are filtered through their site and user, which are filtered the same way; the warning
        // about required navigations to filtered entities does not apply.
        builder.ConfigureWarnings(w => w.Ignore(CoreEventId.PossibleIncorrectRequiredNavigationWithQueryFilterInteractionWarning));
        // Capped counts (Take(10001).Count()) need no order; grids always order by their keyset.
        builder.ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning));
    }
}

/// <summary>
/// Creates contexts only after the circuit's tenant is resolved, so that a service can never query with an
/// unresolved tenant by accident (an unresolved tenant sees nothing). The inner factory is the process's context pool:
/// a context straight from it has no tenant and sees nothing.
/// </summary>
public sealed class PortalDbContextFactory<TContext>(IDbContextFactory<TContext> inner, TenantContext tenant) : IDbContextFactory<PortalDbContext>
    where TContext : PortalDbContext
{
    public PortalDbContext CreateDbContext()
    {
        var db = inner.CreateDbContext();
        db.UseTenant(tenant);
        return db;
    }

    public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
    {
        await tenant.ResolveAsync();
        var db = await inner.CreateDbContextAsync(cancellationToken);
        db.UseTenant(tenant);
        return db;
    }
}

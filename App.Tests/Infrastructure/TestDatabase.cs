using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AdminPortal.Tests.Infrastructure;

/// <summary>
/// A real, empty database of its own for one test: a SQLite file, or a database in the private PostgreSQL cluster
/// that ./test.sh starts (its connection string arrives in ADMINPORTAL_TEST_POSTGRES).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "ADMINPORTAL_TEST_POSTGRES";

    private readonly string? sqliteFolder;
    private readonly string? postgresDatabase;

    private TestDatabase(DatabaseOptions options, string? sqliteFolder, string? postgresDatabase)
    {
        Options = options;
        this.sqliteFolder = sqliteFolder;
        this.postgresDatabase = postgresDatabase;
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPortalData(options);
        Services = services.BuildServiceProvider();
    }

    public DatabaseOptions Options { get; }

    public DatabaseProvider Provider => Options.Provider;

    public ServiceProvider Services { get; }

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            string folder = Directory.CreateTempSubdirectory("adminportal-test-").FullName;
            var options = new DatabaseOptions { Provider = provider, ConnectionString = $"Data Source={Path.Combine(folder, "portal.db")}" };
            return new TestDatabase(options, folder, null);
        }

        string name = "t_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
        return new TestDatabase(new DatabaseOptions { Provider = provider, ConnectionString = builder.ConnectionString }, null, name);
    }

    /// <summary>A migrated database; with <paramref name="seed"/>, holding the demo data too.</summary>
    public static async Task<TestDatabase> CreateMigratedAsync(DatabaseProvider provider, bool seed = false)
    {
        var database = await CreateAsync(provider);
        await using var scope = database.Scope(TenantScope.System());
        var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
        await commands.MigrateAsync();
        if (seed)
        {
            await commands.SeedAsync();
        }

        return database;
    }

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{PostgresVariable} is not set. Run the tests with ./test.sh, which starts a private PostgreSQL cluster.");

    /// <summary>A DI scope (like one circuit) whose tenant is <paramref name="tenant"/>.</summary>
    public AsyncServiceScope Scope(TenantScope tenant)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
        return scope;
    }

    /// <summary>A context for one operation, as a service would get it, in a scope of its own.</summary>
    public async Task<ScopedContext> ContextAsync(TenantScope tenant)
    {
        var scope = Scope(tenant);
        var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return new ScopedContext(scope, db);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (sqliteFolder is not null)
        {
            TempFolder.Delete(sqliteFolder);
        }

        if (postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(AdminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {postgresDatabase} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>A context and the scope that owns it; disposing disposes both.</summary>
public sealed class ScopedContext(AsyncServiceScope scope, PortalDbContext db) : IAsyncDisposable
{
    public PortalDbContext Db { get; } = db;

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        await scope.DisposeAsync();
    }
}

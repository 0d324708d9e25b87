using System.Data.Common;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

/// <summary>The migrations reproduce the seed's schema on both providers, and nothing drifts from the model.</summary>
public class SchemaTests
{
    /// <summary>Every column MIGRATION-STATUS-REAL.md names, in the seed's snake_case.</summary>
    public static readonly Dictionary<string, string[]> SeedColumns = new()
    {
        ["customers"] = ["id", "name", "slug", "is_active", "created_at", "updated_at", "version"],
        ["sites"] = ["id", "customer_id", "name", "domain", "is_active", "created_at", "updated_at", "version"],
        ["users"] =
        [
            "id", "customer_id", "site_id", "email", "display_name",
            "password_hash", "azure_object_id", "azure_tenant_id", "oidc_subject", "oidc_issuer",
            "login_count", "last_login_at", "refresh_token_hash", "token_expires_at", "tokens_revoked_at",
            "sync_status", "last_synced_at", "last_sync_error", "is_active", "is_locked", "created_at", "updated_at", "version",
        ],
        ["posts"] = ["id", "site_id", "author_id", "title", "slug", "content", "status", "published_at", "deleted_at", "created_at", "updated_at", "version"],
        ["ciam_systems"] = ["id", "customer_id", "name", "provider_type", "authority", "client_id", "client_secret_protected", "scopes", "is_enabled", "version"],
        ["user_ciam_mappings"] = ["id", "user_id", "ciam_system_id", "external_subject", "created_at"],
        ["migration_status"] = ["migration_id", "product_version"],
        ["audit_log"] = ["id", "at", "actor", "customer_id", "entity_type", "entity_id", "action", "changes"],
    };

    [Theory, BothProviders]
    public async Task Migrate_EmptyDatabase_CreatesEverySeedColumn(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        await using var context = await database.ContextAsync(TenantScope.System());

        foreach (var (table, columns) in SeedColumns)
        {
            var actual = await ColumnsAsync(context.Db, table);
            Assert.True(actual.Count > 0, $"table {table} is missing");
            Assert.Empty(columns.Except(actual));
        }

        Assert.Empty(await context.Db.Database.GetPendingMigrationsAsync());
        Assert.Equal(context.Db.Database.GetMigrations(), await context.Db.Database.GetAppliedMigrationsAsync());
    }

    [Theory, BothProviders]
    public async Task Migrate_EmptyDatabase_CreatesTenantLeadingKeysetIndexes(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        await using var context = await database.ContextAsync(TenantScope.System());

        var indexes = await IndexNamesAsync(context.Db);

        Assert.Contains("ix_users_customer_id_created_at_id", indexes);
        Assert.Contains("ix_users_customer_id_email", indexes);
        Assert.Contains("ix_posts_site_id_slug", indexes);
        Assert.Contains("ix_posts_site_id_status_updated_at_id", indexes);
        Assert.Contains("ix_user_ciam_mappings_ciam_system_id_external_subject", indexes);
        Assert.Contains("ix_audit_log_customer_id_at_id", indexes);
        Assert.Contains("ix_portal_sessions_customer_id_user_id_started_at_id", indexes);
    }

    [Theory, BothProviders]
    public async Task HasPendingModelChanges_EachContext_IsClean(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var context = await database.ContextAsync(TenantScope.System());

        Assert.False(context.Db.Database.HasPendingModelChanges(), $"The {provider} model has changes without a migration: run dotnet ef migrations add for both contexts.");
    }

    [Fact]
    public async Task PostgresScript_InRepository_MatchesTheMigrations()
    {
        var options = DatabaseSetup.CreateOptions<PostgresPortalDbContext>(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = "Host=127.0.0.1;Database=unused" });
        await using var db = new PostgresPortalDbContext(options);
        string expected = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        string committed = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "Migrations", "postgres.sql"));

        Assert.True(
            Normalize(expected) == Normalize(committed),
            "Migrations/postgres.sql is stale. Regenerate it: dotnet ef migrations script --idempotent --context PostgresPortalDbContext -o Migrations/postgres.sql");
    }

    [Fact]
    public async Task UniqueRowid_OnPostgres_GivesTimeOrderedIdsLikeTheApp()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres);
        await using var context = await database.ContextAsync(TenantScope.System());
        long before = TimeOrderedId.Next();

        // A row inserted by another tool, with no id: the column default must supply one.
        await context.Db.Database.ExecuteSqlRawAsync(
            "INSERT INTO customers (name, slug, is_active, created_at, updated_at, version) VALUES ('Raw', 'raw', true, now(), now(), 1)");
        long rawId = await context.Db.Customers.Where(c => c.Slug == "raw").Select(c => c.Id).SingleAsync();
        long after = TimeOrderedId.Next();

        Assert.True(rawId > 1L << 53, $"id {rawId} should be beyond 2^53, like CockroachDB's unique_rowid()");
        Assert.InRange(TimeOrderedId.CreatedAt(rawId), TimeOrderedId.CreatedAt(before).AddSeconds(-5), TimeOrderedId.CreatedAt(after).AddSeconds(5));
    }

    [Fact]
    public async Task PrepareAtStartup_PostgresWithPendingMigrations_RefusesWithTheCommandToRun()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var scope = database.Scope(TenantScope.System());
        var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();

        var error = await Assert.ThrowsAsync<App.CommandLine.StartupRefusedException>(() => commands.PrepareAtStartupAsync());

        Assert.Contains("dotnet run -- migrate", error.Message);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Empty(await context.Db.Database.GetAppliedMigrationsAsync());
    }

    private static string Normalize(string script) => script.Replace("\r\n", "\n").Trim('\uFEFF', '\n', ' ');

    private static async Task<List<string>> ColumnsAsync(PortalDbContext db, string table) =>
        await QueryStringsAsync(db, db.Database.IsNpgsql()
            ? $"SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"
            : $"SELECT name FROM pragma_table_info('{table}')");

    private static async Task<List<string>> IndexNamesAsync(PortalDbContext db) =>
        await QueryStringsAsync(db, db.Database.IsNpgsql()
            ? "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            : "SELECT name FROM sqlite_master WHERE type = 'index'");

    private static async Task<List<string>> QueryStringsAsync(PortalDbContext db, string sql)
    {
        DbConnection connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}

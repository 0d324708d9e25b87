using AdminPortal.App.Data;
using AdminPortal.App.Features.Schema;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Schema;

/// <summary>Status, drift and adopt against real catalogs, on both databases.</summary>
public class SchemaServiceTests
{
    private static SchemaService Service(TestDatabase database) => database.Services.GetRequiredService<SchemaService>();

    private static async Task ExecuteAsync(TestDatabase database, params string[] statements)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        foreach (string sql in statements)
        {
            await context.Db.Database.ExecuteSqlRawAsync(sql);
        }
    }

    private static async Task<long> ScalarAsync(TestDatabase database, string sql)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Database.SqlQueryRaw<long>(sql).SingleAsync();
    }

    /// <summary>A database built by hand from SQL that reproduces the model, with no migration history: how the seed's real database came to be.</summary>
    private static async Task<TestDatabase> CreateHandMadeAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        await using var context = await database.ContextAsync(TenantScope.System());
        if (provider == DatabaseProvider.Postgres)
        {
            await context.Db.Database.ExecuteSqlRawAsync("CREATE SEQUENCE unique_rowid_seq MINVALUE 0 MAXVALUE 32767 CYCLE");
            await context.Db.Database.ExecuteSqlRawAsync("CREATE FUNCTION unique_rowid() RETURNS bigint LANGUAGE sql VOLATILE AS 'SELECT ((floor(extract(epoch FROM clock_timestamp()) * 100000)::bigint) << 15) | nextval(''unique_rowid_seq'')'");
        }

        await context.Db.Database.ExecuteSqlRawAsync(context.Db.Database.GenerateCreateScript());
        // The seed's own history table: another tool's shape, with rows that must stay readable.
        await context.Db.Database.ExecuteSqlRawAsync("CREATE TABLE migration_status (version varchar(20) NOT NULL, name varchar(200) NOT NULL, applied_at timestamp NOT NULL)");
        await context.Db.Database.ExecuteSqlRawAsync("INSERT INTO migration_status (version, name, applied_at) VALUES ('012', 'real_database_schema', '2025-10-04 10:00:00'), ('013', 'align_with_real_database', '2025-10-04 11:00:00')");
        await context.Db.Database.ExecuteSqlRawAsync("INSERT INTO customers (id, name, slug, is_active, created_at, updated_at, version) VALUES (1, 'Hand-made', 'hand-made', TRUE, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00', 1)");
        return database;
    }

    [Theory, BothProviders]
    public async Task StatusAndDrift_FreshMigratedDatabase_UpToDateAndNoDrift(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);

        var status = await Service(database).GetStatusAsync();
        var drift = await Service(database).GetDriftAsync();

        Assert.True(status.UpToDate);
        Assert.NotEmpty(status.Applied);
        Assert.All(status.Applied, m => Assert.InRange(m.AppliedAt!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1)));
        Assert.False(status.HasForeignHistory);
        Assert.Empty(drift.Items);
    }

    [Theory, BothProviders]
    public async Task Status_EmptyDatabase_ListsEveryMigrationAsPending(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);

        var status = await Service(database).GetStatusAsync();

        Assert.False(status.UpToDate);
        Assert.Empty(status.Applied);
        Assert.Equal("InitialSchema", status.Pending[0].Name);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(context.Db.Database.GetMigrations(), status.Pending.Select(m => m.Id));
    }

    [Fact]
    public async Task Drift_DatabaseBehindByAMigration_IsComparedWithThatMigrationsSchemaAndShowsNoDrift()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        string first;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var migrations = context.Db.Database.GetMigrations().ToList();
            Assert.True(migrations.Count > 1, "this test needs a PostgreSQL migration after the first");
            first = migrations[0];
            await context.Db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(first);
        }

        var status = await Service(database).GetStatusAsync();
        var drift = await Service(database).GetDriftAsync();

        Assert.Equal([first], status.Applied.Select(m => m.Id));
        Assert.NotEmpty(status.Pending);
        Assert.Equal(first, drift.ComparedWith);
        Assert.Empty(drift.Items);
    }

    [Theory, BothProviders]
    public async Task Drift_ManualChanges_ReportsEachOnePrecisely(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        await ExecuteAsync(database,
            "ALTER TABLE users ADD COLUMN nickname varchar(50)",
            "DROP INDEX ix_posts_site_id_status_title_id",
            "CREATE TABLE legacy_notes (id bigint PRIMARY KEY, body text)");
        (string Table, string Column, string Expected, string Actual) typeChange;
        if (provider == DatabaseProvider.Postgres)
        {
            await ExecuteAsync(database, "ALTER TABLE users ALTER COLUMN display_name TYPE text");
            typeChange = ("users", "display_name", "character varying(200)", "text");
        }
        else
        {
            // SQLite cannot alter a column's type: rebuild the table as a person would, keeping rows and indexes.
            await using var context = await database.ContextAsync(TenantScope.System());
            var indexes = await context.Db.Database.SqlQueryRaw<string>("SELECT sql AS \"Value\" FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL").ToListAsync();
            await context.Db.Database.ExecuteSqlRawAsync(
                "CREATE TABLE audit_log_new (id INTEGER NOT NULL CONSTRAINT pk_audit_log PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, actor_user_id INTEGER NULL, customer_id INTEGER NULL, entity_type TEXT NOT NULL, entity_id INTEGER NOT NULL, action TEXT NOT NULL, changes BLOB NULL, entity_label TEXT NULL)");
            await context.Db.Database.ExecuteSqlRawAsync("INSERT INTO audit_log_new SELECT * FROM audit_log");
            await context.Db.Database.ExecuteSqlRawAsync("DROP TABLE audit_log");
            await context.Db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_log_new RENAME TO audit_log");
            foreach (string index in indexes)
            {
                await context.Db.Database.ExecuteSqlRawAsync(index);
            }

            typeChange = ("audit_log", "changes", "TEXT", "BLOB");
        }

        var drift = await Service(database).GetDriftAsync();

        Assert.Equal(4, drift.Items.Count);
        Assert.Contains(drift.Items, i => i is { Kind: DriftKind.ExtraColumn, Table: "users", Object: "nickname", Harmless: true });
        Assert.Contains(drift.Items, i => i is { Kind: DriftKind.MissingIndex, Table: "posts", Object: "ix_posts_site_id_status_title_id", Harmless: false });
        Assert.Contains(drift.Items, i => i is { Kind: DriftKind.ExtraTable, Table: "legacy_notes", Harmless: true });
        var type = Assert.Single(drift.Items, i => i.Kind == DriftKind.TypeDiffers);
        Assert.Equal(typeChange, (type.Table, type.Object, type.Expected!, type.Actual!));
    }

    [Theory, BothProviders]
    public async Task Adopt_HandMadeDatabaseMatchingTheModel_BaselinesKeepsTheOldHistoryAndMigrateIsANoOp(DatabaseProvider provider)
    {
        await using var database = await CreateHandMadeAsync(provider);
        var service = Service(database);

        var dryRun = await service.AdoptAsync(dryRun: true);
        Assert.Equal(AdoptOutcome.Baselined, dryRun.Outcome);
        Assert.True((await service.GetStatusAsync()).HasForeignHistory); // the dry run changed nothing

        var adopted = await service.AdoptAsync(dryRun: false);

        Assert.Equal(AdoptOutcome.Baselined, adopted.Outcome);
        Assert.True(adopted.MovesForeignHistory);
        var status = await service.GetStatusAsync();
        Assert.True(status.UpToDate);
        Assert.Empty((await service.GetDriftAsync()).Items);
        Assert.Null(await service.ReasonNotToMigrateAsync());
        await using (var scope = database.Scope(TenantScope.System()))
        {
            await scope.ServiceProvider.GetRequiredService<DatabaseCommands>().MigrateAsync();
        }

        Assert.Equal(2, await ScalarAsync(database, $"SELECT COUNT(*) AS \"Value\" FROM {SchemaService.LegacyHistoryTable}"));
        Assert.Equal(1, await ScalarAsync(database, "SELECT COUNT(*) AS \"Value\" FROM customers"));
        Assert.Equal(AdoptOutcome.AlreadyTracked, (await service.AdoptAsync(dryRun: false)).Outcome);
    }

    [Theory, BothProviders]
    public async Task Adopt_DatabaseMadeBeforeTheNewestMigration_BaselinesUpToItAndMigrateAppliesTheRest(DatabaseProvider provider)
    {
        // Built by the migrations up to the one before the newest, then stripped of its history: a database from
        // before the newest release, made by hand.
        await using var database = await TestDatabase.CreateAsync(provider);
        string[] all;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            all = context.Db.Database.GetMigrations().ToArray();
            await context.Db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(all[^2]);
            await context.Db.Database.ExecuteSqlRawAsync("DROP TABLE migration_status");
        }

        var service = Service(database);
        var adopted = await service.AdoptAsync(dryRun: false);

        Assert.Equal(AdoptOutcome.Baselined, adopted.Outcome);
        Assert.Equal(all[..^1], adopted.Migrations);
        Assert.Equal([all[^1]], (await service.GetStatusAsync()).Pending.Select(m => m.Id));
        Assert.Null(await service.ReasonNotToMigrateAsync());
        await using (var scope = database.Scope(TenantScope.System()))
        {
            await scope.ServiceProvider.GetRequiredService<DatabaseCommands>().MigrateAsync();
        }

        Assert.True((await service.GetStatusAsync()).UpToDate);
        Assert.Empty((await service.GetDriftAsync()).Items);
    }

    [Theory, BothProviders]
    public async Task Adopt_HandMadeDatabaseThatDiffers_RefusesAndEveryRowIsStillThere(DatabaseProvider provider)
    {
        await using var database = await CreateHandMadeAsync(provider);
        await ExecuteAsync(database, "DROP INDEX ix_users_customer_id_email");
        long customersBefore = await ScalarAsync(database, "SELECT COUNT(*) AS \"Value\" FROM customers");
        long historyBefore = await ScalarAsync(database, "SELECT COUNT(*) AS \"Value\" FROM migration_status");

        var result = await Service(database).AdoptAsync(dryRun: false);

        Assert.Equal(AdoptOutcome.RefusedDrift, result.Outcome);
        Assert.Contains(result.Drift.Items, i => i is { Kind: DriftKind.MissingIndex, Object: "ix_users_customer_id_email" });
        Assert.Equal(customersBefore, await ScalarAsync(database, "SELECT COUNT(*) AS \"Value\" FROM customers"));
        Assert.Equal(historyBefore, await ScalarAsync(database, "SELECT COUNT(*) AS \"Value\" FROM migration_status"));
        Assert.True((await Service(database).GetStatusAsync()).HasForeignHistory);
    }

    [Theory, BothProviders]
    public async Task Migrate_DatabaseWithDriftOrWithoutHistory_IsRefusedUnlessForced(DatabaseProvider provider)
    {
        await using var drifted = await TestDatabase.CreateMigratedAsync(provider);
        await ExecuteAsync(drifted, "DROP INDEX ix_posts_site_id_status_title_id");
        await using var handMade = await CreateHandMadeAsync(provider);

        await using (var scope = drifted.Scope(TenantScope.System()))
        {
            var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
            var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => commands.MigrateAsync());
            Assert.Contains("schema drift", refused.Message);
            await commands.MigrateAsync(force: true);
        }

        await using (var scope = handMade.Scope(TenantScope.System()))
        {
            var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => scope.ServiceProvider.GetRequiredService<DatabaseCommands>().MigrateAsync());
            Assert.Contains("schema adopt", refused.Message);
        }

        Assert.Equal(1, await ScalarAsync(handMade, "SELECT COUNT(*) AS \"Value\" FROM customers"));
    }
}

using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AdminPortal.App.Features.Schema;

/// <param name="AppliedAt">From migration_status.applied_at; null when pending, or when applied before that column existed (e.g. adopted).</param>
public sealed record MigrationInfo(string Id, string Name, DateTime CreatedAt, DateTime? AppliedAt = null);

public sealed record SchemaStatus(string Provider, string Database, List<MigrationInfo> Applied, List<MigrationInfo> Pending, bool HasForeignHistory)
{
    public bool UpToDate => Pending.Count == 0;
}

/// <param name="ComparedWith">The migration whose target schema the database was compared with, or "model".</param>
public sealed record DriftReport(string ComparedWith, List<DriftItem> Items)
{
    public bool HasDrift => Items.Count > 0;

    public bool HasBlockingDrift => Items.Any(i => !i.Harmless);
}

public enum AdoptOutcome
{
    /// <summary>The migrations were recorded as applied (or would be, with --dry-run).</summary>
    Baselined,
    /// <summary>The database already has this app's migration history: nothing to do.</summary>
    AlreadyTracked,
    /// <summary>The live schema differs from the model in ways that are not harmless extras: nothing was changed.</summary>
    RefusedDrift,
}

public sealed record AdoptResult(AdoptOutcome Outcome, bool DryRun, List<string> Migrations, bool MovesForeignHistory, DriftReport Drift);

/// <summary>
/// Schema truth: which migrations are applied, how the live database differs from what they produce, and adopting a
/// database that grew outside migrations (Flyway's "baseline"). Reads the live schema from the catalog; never drops
/// or rewrites a table, a column or a row.
/// </summary>
/// <remarks>
/// Each operation runs in a DI scope of its own with the platform's scope: the schema is platform-wide, and the
/// caller's tenant (a circuit's) must stay as it is.
/// </remarks>
public sealed class SchemaService(IServiceScopeFactory scopes, DatabaseOptions options)
{
    /// <summary>Exit code of <c>schema status</c> when migrations are pending.</summary>
    public const int ExitPending = 3;

    /// <summary>Exit code of <c>schema drift</c>, <c>schema adopt</c> and <c>migrate</c> when the database has drift.</summary>
    public const int ExitDrift = 4;

    /// <summary>A migration history of another shape (e.g. version, name, applied_at) is renamed to this, rows intact.</summary>
    public const string LegacyHistoryTable = "migration_status_legacy";

    private async Task<Session> OpenAsync(CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("schema"));
        return new Session(scope, await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken));
    }

    private sealed class Session(AsyncServiceScope scope, PortalDbContext db) : IAsyncDisposable
    {
        public PortalDbContext Db => db;

        public async ValueTask DisposeAsync()
        {
            await db.DisposeAsync();
            await scope.DisposeAsync();
        }
    }

    public async Task<SchemaStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var db = session.Db;
        bool foreign = await HasForeignHistoryAsync(db, cancellationToken);
        var applied = foreign ? [] : (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToHashSet();
        var appliedAt = applied.Count == 0 ? [] : await AppliedAtAsync(db, cancellationToken);
        var all = db.Database.GetMigrations().Select(Describe).ToList();
        return new SchemaStatus(
            options.Provider.ToString(),
            db.Database.IsNpgsql() ? db.Database.GetDbConnection().Database : db.Database.GetDbConnection().DataSource,
            all.Where(m => applied.Contains(m.Id)).Select(m => m with { AppliedAt = appliedAt.GetValueOrDefault(m.Id) }).ToList(),
            all.Where(m => !applied.Contains(m.Id)).ToList(),
            foreign);
    }

    /// <summary>
    /// Compares the live schema with what the last applied migration produces (the current model when none is
    /// applied, or when all are), so that a database that is merely behind shows pending migrations, not drift.
    /// </summary>
    public async Task<DriftReport> GetDriftAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var db = session.Db;
        bool foreign = await HasForeignHistoryAsync(db, cancellationToken);
        string? lastApplied = foreign ? null : (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).LastOrDefault();
        return await DriftAsync(db, lastApplied, cancellationToken);
    }

    private static async Task<DriftReport> DriftAsync(PortalDbContext db, string? migrationId, CancellationToken cancellationToken)
    {
        var live = await LiveSchemaReader.ReadAsync(db, cancellationToken);
        var (label, expected) = ExpectedShape(db, migrationId);
        return new DriftReport(label, SchemaComparer.Compare(expected, live));
    }

    private static (string Label, SchemaShape Shape) ExpectedShape(PortalDbContext db, string? migrationId)
    {
        var migrations = db.Database.GetMigrations().ToList();
        if (migrationId is null || migrationId == migrations.LastOrDefault())
        {
            return (migrationId ?? "model", SchemaShape.FromModel(db.GetService<IDesignTimeModel>().Model.GetRelationalModel()));
        }

        var assembly = db.GetService<IMigrationsAssembly>();
        var migration = assembly.CreateMigration(assembly.Migrations[migrationId], db.Database.ProviderName!);
        var model = db.GetService<IModelRuntimeInitializer>().Initialize(migration.TargetModel!, designTime: true, validationLogger: null);
        return (migrationId, SchemaShape.FromModel(model.GetRelationalModel()));
    }

    public async Task<AdoptResult> AdoptAsync(bool dryRun, CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var db = session.Db;
        var migrations = db.Database.GetMigrations().ToList();
        bool foreign = await HasForeignHistoryAsync(db, cancellationToken);
        if (!foreign && (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any())
        {
            return new AdoptResult(AdoptOutcome.AlreadyTracked, dryRun, [], false, await DriftAsync(db, (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Last(), cancellationToken));
        }

        var drift = await DriftAsync(db, null, cancellationToken);
        if (drift.HasBlockingDrift)
        {
            // A database made before the newest migrations may match an earlier one exactly: baseline up to the newest
            // migration it matches, and `migrate` applies the rest as usual.
            int matched = -1;
            for (int i = migrations.Count - 2; i >= 0 && matched < 0; i--)
            {
                if (!(await DriftAsync(db, migrations[i], cancellationToken)).HasBlockingDrift)
                {
                    matched = i;
                }
            }

            if (matched < 0)
            {
                return new AdoptResult(AdoptOutcome.RefusedDrift, dryRun, [], foreign, drift);
            }

            migrations = migrations[..(matched + 1)];
            drift = await DriftAsync(db, migrations[^1], cancellationToken);
        }

        if (!dryRun)
        {
            var history = db.GetService<IHistoryRepository>();
            var strategy = db.Database.CreateExecutionStrategy();
            await strategy.ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                if (foreign)
                {
                    // Kept, not converted: its rows describe scripts that are not EF migrations.
                    await db.Database.ExecuteSqlRawAsync($"ALTER TABLE {DatabaseSetup.HistoryTable} RENAME TO {LegacyHistoryTable}", cancellationToken);
                }

                await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
                string version = ProductInfo.GetVersion();
                foreach (string migration in migrations)
                {
                    await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(migration, version)), cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            });
        }

        return new AdoptResult(AdoptOutcome.Baselined, dryRun, migrations, foreign, drift);
    }

    /// <summary>
    /// What <c>migrate</c> checks first: a database with tables but no history must be adopted, and one whose schema
    /// drifted from its applied migrations must be repaired, unless forced. Returns the reason to refuse, or null.
    /// </summary>
    public async Task<string?> ReasonNotToMigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var db = session.Db;
        bool foreign = await HasForeignHistoryAsync(db, cancellationToken);
        var applied = foreign ? [] : (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var live = await LiveSchemaReader.ReadAsync(db, cancellationToken);
        if (applied.Count == 0)
        {
            return live.Tables.Count == 0 ? null
                : $"The database has {live.Tables.Count} table(s) but no migration history of this app. Migrating would try to create them again. Run: dotnet run -- schema adopt";
        }

        var drift = await DriftAsync(db, applied[^1], cancellationToken);
        return drift.HasBlockingDrift
            ? $"The database differs from what its applied migrations produce ({drift.Items.Count(i => !i.Harmless)} difference(s); see: dotnet run -- schema drift). Migrating on top of drift can fail half-way or silently build on a wrong schema."
            : null;
    }

    public string? ReadPostgresScript(string contentRoot)
    {
        string path = Path.Combine(contentRoot, "Migrations", "postgres.sql");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public async Task<string> DescribeModelAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var db = session.Db;
        return db.GetService<IDesignTimeModel>().Model.ToDebugString(MetadataDebugStringOptions.ShortDefault);
    }

    private static MigrationInfo Describe(string id)
    {
        // EF migration ids start with their creation time: yyyyMMddHHmmss_Name.
        DateTime created = DateTime.TryParseExact(id[..Math.Min(14, id.Length)], "yyyyMMddHHmmss", null, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at) ? at : default;
        return new MigrationInfo(id, id.Contains('_') ? id[(id.IndexOf('_') + 1)..] : id, created);
    }

    private static async Task<Dictionary<string, DateTime?>> AppliedAtAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, DateTime?>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT migration_id, {HistoryTable.AppliedAtColumn} FROM {DatabaseSetup.HistoryTable}";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // SQLite hands back text ("yyyy-MM-dd HH:mm:ss", UTC); PostgreSQL a timestamptz.
                object value = reader.GetValue(1);
                rows[reader.GetString(0)] = value switch
                {
                    DateTime at => DateTime.SpecifyKind(at.ToUniversalTime(), DateTimeKind.Utc),
                    string text when DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at) => at,
                    _ => null,
                };
            }
        }
        catch (System.Data.Common.DbException)
        {
            // A history table from before applied_at existed: no dates to show.
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return rows;
    }

    /// <summary>A migration_status table without EF's migration_id column: another tool's history, like the seed's.</summary>
    private static async Task<bool> HasForeignHistoryAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        string sql = db.Database.IsNpgsql()
            ? $"SELECT column_name::text AS \"Value\" FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{DatabaseSetup.HistoryTable}'"
            : $"SELECT name AS \"Value\" FROM pragma_table_info('{DatabaseSetup.HistoryTable}')";
        var columns = await db.Database.SqlQueryRaw<string>(sql).ToListAsync(cancellationToken);
        return columns.Count > 0 && !columns.Contains("migration_id");
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Sqlite.Migrations.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations.Internal;

namespace AdminPortal.App.Data;

#pragma warning disable EF1001 // The providers' history repositories are internal API; subclassing them is how the history table is customised.

/// <summary>The history table's extra column: when each migration was applied, filled by the database itself.</summary>
internal static class HistoryTable
{
    public const string AppliedAtColumn = "applied_at";

    public static void AddAppliedAt(EntityTypeBuilder<HistoryRow> history) =>
        history.Property<DateTime>(AppliedAtColumn).HasColumnName(AppliedAtColumn).HasDefaultValueSql("CURRENT_TIMESTAMP");
}

/// <summary>migration_status on SQLite: EF's two columns plus applied_at.</summary>
internal sealed class PortalSqliteHistoryRepository(HistoryRepositoryDependencies dependencies) : SqliteHistoryRepository(dependencies)
{
    protected override void ConfigureTable(EntityTypeBuilder<HistoryRow> history)
    {
        base.ConfigureTable(history);
        HistoryTable.AddAppliedAt(history);
    }
}

/// <summary>migration_status on PostgreSQL: EF's two columns plus applied_at. No LOCK TABLE on a detected CockroachDB.</summary>
internal class PortalNpgsqlHistoryRepository(HistoryRepositoryDependencies dependencies) : NpgsqlHistoryRepository(dependencies)
{
    protected override void ConfigureTable(EntityTypeBuilder<HistoryRow> history)
    {
        base.ConfigureTable(history);
        HistoryTable.AddAppliedAt(history);
    }

    public override IMigrationsDatabaseLock AcquireDatabaseLock() =>
        CockroachDb.IsTarget(Dependencies.CurrentContext.Context) ? new NoMigrationLock(this) : base.AcquireDatabaseLock();

    public override Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(CancellationToken cancellationToken = default) =>
        CockroachDb.IsTarget(Dependencies.CurrentContext.Context) ? Task.FromResult<IMigrationsDatabaseLock>(new NoMigrationLock(this)) : base.AcquireDatabaseLockAsync(cancellationToken);
}

/// <summary>
/// EF's migration lock on PostgreSQL is a LOCK TABLE, which CockroachDB does not support. With
/// Database:SkipMigrationLock the lock is a no-op: then only one process may run migrations at a time.
/// </summary>
internal sealed class UnlockedNpgsqlHistoryRepository(HistoryRepositoryDependencies dependencies) : PortalNpgsqlHistoryRepository(dependencies)
{
    public override IMigrationsDatabaseLock AcquireDatabaseLock() => new NoMigrationLock(this);

    public override Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IMigrationsDatabaseLock>(new NoMigrationLock(this));
}

internal sealed class NoMigrationLock(IHistoryRepository historyRepository) : IMigrationsDatabaseLock
{
    public IHistoryRepository HistoryRepository => historyRepository;

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
#pragma warning restore EF1001

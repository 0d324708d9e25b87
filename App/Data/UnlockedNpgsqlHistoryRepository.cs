using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations.Internal;

namespace AdminPortal.App.Data;

#pragma warning disable EF1001 // Npgsql's history repository is internal API; this is the documented way to swap the lock.
/// <summary>
/// EF's migration lock on PostgreSQL is a LOCK TABLE, which CockroachDB does not support. With
/// Database:SkipMigrationLock the lock is a no-op: then only one process may run migrations at a time.
/// </summary>
internal sealed class UnlockedNpgsqlHistoryRepository(HistoryRepositoryDependencies dependencies) : NpgsqlHistoryRepository(dependencies)
{
    public override IMigrationsDatabaseLock AcquireDatabaseLock() => new NoLock(this);

    public override Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IMigrationsDatabaseLock>(new NoLock(this));

    private sealed class NoLock(IHistoryRepository historyRepository) : IMigrationsDatabaseLock
    {
        public IHistoryRepository HistoryRepository => historyRepository;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
#pragma warning restore EF1001

using System.Data.Common;
using System.Runtime.CompilerServices;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AdminPortal.App.Data;

/// <summary>
/// Publishes what every EF save changed on the <see cref="IChangeFeed"/>, once it is committed: the entity types
/// saved (remembered counts on every instance are recomputed) and the posts with their status (open post grids and
/// editors refresh). A save inside an explicit transaction (a bulk batch) is held until that transaction commits,
/// and dropped if it rolls back.
/// </summary>
/// <remarks>User changes carry a kind (sync, lock…) that a save cannot know: their services publish them through
/// <see cref="Features.Users.UserSyncNotifier"/>.</remarks>
public sealed class ChangeCapture(IChangeFeed feed) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private sealed class Captured
    {
        public readonly HashSet<string> Types = new(StringComparer.Ordinal);
        public readonly Dictionary<string, List<long>> PostsByStatus = new(StringComparer.Ordinal);

        public bool IsEmpty => Types.Count == 0;

        public void Add(Captured other)
        {
            Types.UnionWith(other.Types);
            foreach (var (status, ids) in other.PostsByStatus)
            {
                PostsList(status).AddRange(ids);
            }
        }

        public List<long> PostsList(string status) =>
            PostsByStatus.TryGetValue(status, out var ids) ? ids : PostsByStatus[status] = [];
    }

    // Per context: what the save in flight changed, and what saves inside the open transaction changed.
    private readonly ConditionalWeakTable<DbContext, Captured> saving = new();
    private readonly ConditionalWeakTable<DbContext, Captured> inTransaction = new();

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            saving.AddOrUpdate(context, Capture(context));
        }

        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context)
        {
            saving.AddOrUpdate(context, Capture(context));
        }

        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && saving.TryGetValue(context, out var captured))
        {
            saving.Remove(context);
            if (context.Database.CurrentTransaction is null)
            {
                await PublishAsync(captured);
            }
            else
            {
                inTransaction.GetOrCreateValue(context).Add(captured);
            }
        }

        return result;
    }

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            saving.Remove(context);
        }

        return Task.CompletedTask;
    }

    public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && inTransaction.TryGetValue(context, out var captured))
        {
            inTransaction.Remove(context);
            await PublishAsync(captured);
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context && inTransaction.TryGetValue(context, out var captured))
        {
            inTransaction.Remove(context);
            _ = PublishAsync(captured);
        }
    }

    // A transaction abandoned without a commit or a rollback (disposed after an exception) leaves its saves here, and
    // with pooled contexts the same context serves the next lease: a new transaction starts from nothing.
    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        TransactionStarted(connection, eventData, result);
        return ValueTask.FromResult(result);
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        if (eventData.Context is { } context)
        {
            inTransaction.Remove(context);
        }

        return result;
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            inTransaction.Remove(context);
        }

        return Task.CompletedTask;
    }

    private static Captured Capture(DbContext context)
    {
        var captured = new Captured();
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted) || entry.Entity is AuditEntry)
            {
                continue;
            }

            captured.Types.Add(entry.Metadata.ClrType.Name);
            if (entry.Entity is Post post)
            {
                string status = entry.State == EntityState.Deleted ? "Purged" : post.DeletedAt is not null ? "Trashed" : post.Status.ToString();
                captured.PostsList(status).Add(post.Id);
            }
        }

        return captured;
    }

    // Ids only, never titles or names: the receivers re-read through their tenant filters.
    private async Task PublishAsync(Captured captured)
    {
        if (captured.IsEmpty)
        {
            return;
        }

        await feed.PublishAsync(Change.CountsChanged(captured.Types));
        foreach (var (status, ids) in captured.PostsByStatus)
        {
            await feed.PublishAsync(Change.PostsChanged(ids, status));
        }
    }
}

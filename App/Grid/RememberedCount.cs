using System.Collections.Concurrent;

namespace AdminPortal.App.Grid;

/// <summary>
/// A grid's capped count, kept across page turns: a page turn with the same filter and tenant reads only its rows
/// (1 command instead of 2). It stays truthful: any save through the portal of a row of the types the count reads
/// (<see cref="NoteChange"/>, called by PortalDbContext after a successful save: bulk actions, lock, sign-in, sync…),
/// a different filter or tenant, or an age above <see cref="MaxAge"/> (changes by another process) recompute it.
/// </summary>
/// <remarks>One per grid service instance, i.e. per circuit; it holds a single entry, the last filter counted.</remarks>
public sealed class RememberedCount(TimeProvider clock, params Type[] dependsOn)
{
    /// <summary>A count older than this is recomputed, whatever changed or did not: other processes write too.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    // Process-wide, per entity type name: every circuit's count of that type is invalidated by a change from any
    // circuit, and from any instance through the change feed (RememberedCountInvalidation).
    private static readonly ConcurrentDictionary<string, long> Changes = new(StringComparer.Ordinal);
    private static long everything;

    private Entry? last;

    private sealed record Entry(object Key, long Version, DateTimeOffset At, CappedCount Count);

    /// <summary>Records that rows of <paramref name="entityType"/> were saved: counts that read it are recomputed.</summary>
    public static void NoteChange(Type entityType) => NoteChange(entityType.Name);

    /// <summary>Records that rows of the entity type named <paramref name="entityTypeName"/> were saved (by any instance).</summary>
    public static void NoteChange(string entityTypeName) => Changes.AddOrUpdate(entityTypeName, 1, (_, version) => version + 1);

    /// <summary>Every remembered count is recomputed: changes may have been missed (the change feed reconnected).</summary>
    public static void NoteEverythingChanged() => Interlocked.Increment(ref everything);

    private long Version() => Interlocked.Read(ref everything) + dependsOn.Sum(type => Changes.GetValueOrDefault(type.Name));

    /// <summary>
    /// The count for <paramref name="key"/> (the tenant and the filter without its sort; it must have value equality),
    /// remembered or from <paramref name="count"/>.
    /// </summary>
    public async Task<CappedCount> GetAsync(object key, Func<Task<CappedCount>> count)
    {
        // The version is read before counting: a change during the count makes the next page count again.
        long version = Version();
        DateTimeOffset now = clock.GetUtcNow();
        if (last is { } known && known.Version == version && Equals(known.Key, key) && now - known.At < MaxAge && now >= known.At)
        {
            return known.Count;
        }

        var counted = await count();
        last = new Entry(key, version, now, counted);
        return counted;
    }

    /// <summary>Forgets the remembered count: the next page counts again.</summary>
    public void Forget() => last = null;
}

/// <summary>Applies the change feed's notices to the remembered counts of this process, whichever instance saved.</summary>
public sealed class RememberedCountInvalidation(Data.IChangeFeed feed) : IHostedService
{
    private IDisposable? subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = feed.Subscribe(change =>
        {
            switch (change.Topic)
            {
                case Data.ChangeTopic.Counts:
                    foreach (string type in change.Detail.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        RememberedCount.NoteChange(type);
                    }

                    break;
                case Data.ChangeTopic.Users:
                    // A bulk run may change users with ExecuteUpdate, which no save sees.
                    RememberedCount.NoteChange(nameof(Features.Users.User));
                    break;
                case Data.ChangeTopic.Posts:
                    RememberedCount.NoteChange(nameof(Features.Posts.Post));
                    break;
                case Data.ChangeTopic.Resync:
                    RememberedCount.NoteEverythingChanged();
                    break;
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        subscription?.Dispose();
        return Task.CompletedTask;
    }
}

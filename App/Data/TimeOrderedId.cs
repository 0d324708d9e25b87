namespace AdminPortal.App.Data;

/// <summary>
/// Ids of the same shape as CockroachDB's <c>unique_rowid()</c>: a timestamp in 10 µs units shifted left by
/// 15 bits, with the low bits free for a per-process sequence. They sort by creation time, so keyset pages over
/// (created_at, id) and (id) agree, and they are larger than 2^53: never hand them to JavaScript as numbers.
/// </summary>
/// <remarks>
/// The PostgreSQL migration defines a <c>unique_rowid()</c> function with the same layout, so that ids made by the
/// app and ids made by a column default interleave in time order.
/// </remarks>
public static class TimeOrderedId
{
    private const int NodeBits = 15;

    // Like CockroachDB's node id: two processes (or the app and the database's own unique_rowid()) making an id in the
    // same 10 µs tick differ in these bits, except for a 1-in-32,768 chance per pair of processes.
    private static readonly long Node = Random.Shared.Next(1 << NodeBits);
    private static readonly object Gate = new();
    private static long lastTick;

    public static long Next() => Next(DateTime.UtcNow);

    public static long Next(DateTime utcNow)
    {
        long tick = TenMicrosecondTicks(utcNow);
        lock (Gate)
        {
            // One id per tick and process; a burst borrows ticks from the near future, so ids stay strictly increasing.
            lastTick = Math.Max(tick, lastTick + 1);
            return (lastTick << NodeBits) | Node;
        }
    }

    /// <summary>The smallest id that a row created at <paramref name="utc"/> can have; useful for id-range scans.</summary>
    public static long TimestampPart(DateTime utc) => TenMicrosecondTicks(utc) << NodeBits;

    /// <summary>When the id was made, to 10 µs.</summary>
    public static DateTime CreatedAt(long id) => DateTime.UnixEpoch.AddTicks((id >> NodeBits) * 100);

    private static long TenMicrosecondTicks(DateTime utc) => (utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 100;
}

/// <summary>Lets EF assign the id on Add, so that audit entries and related rows know it before the insert.</summary>
public sealed class TimeOrderedIdGenerator : Microsoft.EntityFrameworkCore.ValueGeneration.ValueGenerator<long>
{
    public override bool GeneratesTemporaryValues => false;

    public override long Next(Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry entry) => TimeOrderedId.Next();
}

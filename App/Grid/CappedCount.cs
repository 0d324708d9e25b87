using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Grid;

/// <summary>A count that stops at a cap, so that a tenant with millions of rows costs no more than one with ten thousand.</summary>
public readonly record struct CappedCount(int Value, bool IsCapped)
{
    public const int Cap = 10_000;

    public override string ToString() => IsCapped ? $"{Value:N0}+" : Value.ToString("N0");

    /// <summary>Counts at most <see cref="Cap"/> + 1 rows: <c>SELECT count(*) FROM (… LIMIT 10001)</c>.</summary>
    public static async Task<CappedCount> CountAsync<T>(IQueryable<T> query, CancellationToken cancellationToken = default) where T : class
    {
        int count = await LiteralLimit.Take(query.AsNoTracking(), Cap + 1).CountAsync(cancellationToken);
        return count > Cap ? new CappedCount(Cap, true) : new CappedCount(count, false);
    }
}

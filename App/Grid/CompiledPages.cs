using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Grid;

/// <summary>
/// A grid's most common pages, the unfiltered view of one scope (a customer), as EF compiled queries: one per sort,
/// direction and kind of cursor, built on first use. A LINQ page query makes EF walk, hash and look up the whole
/// expression tree on every call, and the grid builds that tree anew each turn; a compiled query does neither, and
/// only binds its parameters (docs/performance.md, "Seventeenth round").
/// </summary>
/// <remarks>
/// The root query (<c>(db, customerId) =&gt; db.Users.Where(u =&gt; u.CustomerId == customerId)</c>) starts from the
/// context's set, so the model's <c>Tenant</c> query filter applies exactly as it does to a LINQ query: the scope
/// parameter only repeats it, for the index. Pages of any other size than <see cref="GridPage.DefaultSize"/> are not
/// served (<see cref="Serves"/>), so a tampered size cannot make the cache grow: there are at most
/// sorts × 2 directions × 3 cursor kinds × 2 databases entries.
/// </remarks>
public sealed class CompiledPages<TContext, T, TShape, TRow>(
    Expression<Func<TContext, long, IQueryable<T>>> root,
    Expression<Func<T, TShape>> shape,
    Func<TShape, TRow> toRow)
    where TContext : DbContext
    where T : class
{
    private readonly ConcurrentDictionary<(KeysetSort<T, TRow> Sort, bool Descending, PageSeek Seek, bool Postgres), Func<TContext, long, PageCursor?, int, IAsyncEnumerable<TShape>>> compiled = new();

    /// <summary>How many compiled queries these pages hold: tests prove with it that the compiled path ran.</summary>
    internal int CompiledCount => compiled.Count;

    /// <summary>Whether this request is one these compiled queries answer: a page of the default size.</summary>
    public static bool Serves(PageRequest request) => request.Size == GridPage.DefaultSize;

    /// <summary>The page without its count, as <see cref="KeysetPager.ReadRowsAsync{T, TShape, TRow}(IQueryable{T}, KeysetSort{T, TRow}, bool, PageRequest, bool, Func{IQueryable{T}, IQueryable{TShape}}, Func{TShape, TRow}, CancellationToken)"/> reads it from the root.</summary>
    public Task<GridPage<TRow>> ReadRowsAsync(TContext db, long scope, KeysetSort<T, TRow> sort, bool descending, PageRequest request, CancellationToken cancellationToken)
    {
        if (!Serves(request))
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Size, "Compiled pages serve the default page size only.");
        }

        bool postgres = KeysetPager.NullsSortHigh(db);
        return KeysetPager.ReadRowsAsync(sort, descending, request, toRow, async (cursor, readDescending, take) =>
        {
            var seek = cursor is null ? PageSeek.None : sort.SeekOf(cursor);
            var query = compiled.GetOrAdd((sort, readDescending, seek, postgres),
                key => key.Sort.Compile(root, shape, key.Descending, key.Seek, nullsHigh: key.Postgres, literalTake: key.Postgres ? GridPage.DefaultSize + 1 : null));
            var shapes = new List<TShape>(take);
            await foreach (var item in query(db, scope, cursor, take).WithCancellation(cancellationToken))
            {
                shapes.Add(item);
            }

            return shapes;
        });
    }
}

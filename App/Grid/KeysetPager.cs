using System.Globalization;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Grid;

/// <summary>
/// One sort of a keyset-paged grid: the entity's sort key and id (for ORDER BY and the seek predicate) and the same
/// two values read from a shown row (for the cursors). Build one with <see cref="KeysetSort"/> and keep it in a static
/// field: the expressions are built once, and only the cursor's values change from call to call.
/// </summary>
public abstract class KeysetSort<T, TRow>
{
    /// <summary>Whether a cursor from the URL carries a key of this sort's type (the cursor is untrusted input).</summary>
    public abstract bool Fits(PageCursor cursor);

    public abstract IOrderedQueryable<T> Order(IQueryable<T> query, bool descending);

    /// <summary>The rows strictly beyond the cursor in the given direction, ties broken by id.</summary>
    public abstract IQueryable<T> Seek(IQueryable<T> query, PageCursor cursor, bool descending, bool nullsHigh);

    public abstract PageCursor CursorOf(TRow row);

    /// <summary>Where a page after <paramref name="cursor"/> starts; the cursor fits (<see cref="Fits"/>).</summary>
    internal abstract PageSeek SeekOf(PageCursor cursor);

    /// <summary>
    /// The page query of <paramref name="root"/> in this sort, compiled once (<see cref="CompiledPages{TContext, T, TShape, TRow}"/>):
    /// the cursor's key and id, the root's scope and the row count are the compiled query's parameters.
    /// </summary>

    internal abstract Func<TContext, long, PageCursor?, int, IAsyncEnumerable<TShape>> Compile<TContext, TShape>(
        Expression<Func<TContext, long, IQueryable<T>>> root, Expression<Func<T, TShape>> shape, bool descending, PageSeek seek, bool nullsHigh, int? literalTake)
        where TContext : DbContext;
}

/// <summary>Where a page starts: at the top, after a cursor with a key, or after a cursor inside the NULL block.</summary>
internal enum PageSeek
{
    None,
    Key,
    NullKey,
}

/// <summary>Sorts by the key types the grids use: text, whole numbers, times, and times that may be NULL.</summary>
public static class KeysetSort
{
    public static KeysetSort<T, TRow> Text<T, TRow>(Expression<Func<T, string>> key, Expression<Func<T, long>> id, Func<TRow, string> rowKey, Func<TRow, long> rowId) =>
        new KeysetSort<T, TRow, string>(key, id, rowKey, rowId, nullable: false,
            (string? text, out string value) => { value = text ?? ""; return text is { Length: <= PageCursor.MaxTextKeyLength }; },
            value => value);

    public static KeysetSort<T, TRow> Number<T, TRow>(Expression<Func<T, int>> key, Expression<Func<T, long>> id, Func<TRow, int> rowKey, Func<TRow, long> rowId) =>
        new KeysetSort<T, TRow, int>(key, id, rowKey, rowId, nullable: false,
            (string? text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value),
            value => value.ToString(CultureInfo.InvariantCulture));

    public static KeysetSort<T, TRow> Time<T, TRow>(Expression<Func<T, DateTime>> key, Expression<Func<T, long>> id, Func<TRow, DateTime> rowKey, Func<TRow, long> rowId) =>
        new KeysetSort<T, TRow, DateTime>(key, id, rowKey, rowId, nullable: false,
            (string? text, out DateTime value) => PageCursor.TryTime(text, out value),
            value => value.Ticks.ToString(CultureInfo.InvariantCulture));

    public static KeysetSort<T, TRow> NullableTime<T, TRow>(Expression<Func<T, DateTime?>> key, Expression<Func<T, long>> id, Func<TRow, DateTime?> rowKey, Func<TRow, long> rowId) =>
        new KeysetSort<T, TRow, DateTime?>(key, id, rowKey, rowId, nullable: true,
            (string? text, out DateTime? value) =>
            {
                value = null;
                if (text is null)
                {
                    return true; // the cursor sits in the NULL block
                }

                bool ok = PageCursor.TryTime(text, out var time);
                value = time;
                return ok;
            },
            value => value?.Ticks.ToString(CultureInfo.InvariantCulture));
}

internal delegate bool KeyParser<TKey>(string? text, out TKey value);

internal sealed class KeysetSort<T, TRow, TKey> : KeysetSort<T, TRow>
{
    private static readonly System.Reflection.MethodInfo CompareStrings = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

    private readonly Expression<Func<T, TKey>> key;
    private readonly Expression<Func<T, long>> id;
    private readonly Func<TRow, TKey> rowKey;
    private readonly Func<TRow, long> rowId;
    private readonly bool nullable;
    private readonly KeyParser<TKey> parse;
    private readonly Func<TKey, string?> format;

    internal KeysetSort(Expression<Func<T, TKey>> key, Expression<Func<T, long>> id, Func<TRow, TKey> rowKey, Func<TRow, long> rowId, bool nullable, KeyParser<TKey> parse, Func<TKey, string?> format)
    {
        this.key = key;
        // One parameter for both halves of the predicate.
        this.id = Expression.Lambda<Func<T, long>>(new Rebind(id.Parameters[0], key.Parameters[0]).Visit(id.Body), key.Parameters[0]);
        this.rowKey = rowKey;
        this.rowId = rowId;
        this.nullable = nullable;
        this.parse = parse;
        this.format = format;
    }

    public override bool Fits(PageCursor cursor) => parse(cursor.Key, out _);

    internal override PageSeek SeekOf(PageCursor cursor) => parse(cursor.Key, out TKey value) && nullable && value is null ? PageSeek.NullKey : PageSeek.Key;

    public override IOrderedQueryable<T> Order(IQueryable<T> query, bool descending) =>
        descending ? query.OrderByDescending(key).ThenByDescending(id) : query.OrderBy(key).ThenBy(id);

    public override PageCursor CursorOf(TRow row) => new(format(rowKey(row)), rowId(row));

    /// <summary>
    /// "(key, id) beyond (k, i)", written as "key ≥ k AND (key > k OR id > i)" rather than "key > k OR (key = k AND
    /// id > i)": the first half is a range the index can seek to, so a page 100,000 rows deep costs what page 1 costs.
    /// The cursor's values go in as closure fields, which EF turns into SQL parameters: the SQL text, and so EF's
    /// compiled-query cache entry, is the same for every cursor of a sort and direction.
    /// </summary>
    public override IQueryable<T> Seek(IQueryable<T> query, PageCursor cursor, bool descending, bool nullsHigh)
    {
        if (!parse(cursor.Key, out TKey value))
        {
            return query; // Fits says no first; a caller that did not ask gets the first page, never an error
        }

        var predicate = Beyond(nullable && value is null ? null : Parameter(value), Parameter(cursor.Id), descending, nullsHigh);
        return query.Where(Expression.Lambda<Func<T, bool>>(predicate, key.Parameters[0]));
    }

    /// <summary>
    /// The seek predicate over the row parameter of <see cref="key"/>: beyond the key <paramref name="value"/> (null for
    /// a cursor inside the NULL block) and the id <paramref name="cursorId"/>. Both are closure fields for a LINQ query
    /// (<see cref="Seek"/>) and lambda parameters for a compiled one (<see cref="Compile"/>).
    /// </summary>
    private Expression Beyond(Expression? value, Expression cursorId, bool descending, bool nullsHigh)
    {
        var keyBody = key.Body;
        var idBeyond = descending
            ? Expression.LessThan(id.Body, cursorId)
            : Expression.GreaterThan(id.Body, cursorId);
        if (value is null)
        {
            // The cursor is inside the NULL block: NULLs with a later id, then (when NULLs come first) every other row.
            var isNull = Expression.Equal(keyBody, Expression.Constant(null, typeof(TKey)));
            return NullsFirst(descending, nullsHigh)
                ? Expression.OrElse(Expression.Not(isNull), idBeyond)
                : Expression.AndAlso(isNull, idBeyond);
        }

        Expression predicate = Expression.AndAlso(
            Compare(descending ? ExpressionType.LessThanOrEqual : ExpressionType.GreaterThanOrEqual, keyBody, value),
            Expression.OrElse(Compare(descending ? ExpressionType.LessThan : ExpressionType.GreaterThan, keyBody, value), idBeyond));
        if (nullable && !NullsFirst(descending, nullsHigh))
        {
            // NULLs come after every value in this direction: they are all still ahead.
            predicate = Expression.OrElse(predicate, Expression.Equal(keyBody, Expression.Constant(null, typeof(TKey))));
        }

        return predicate;
    }

    internal override Func<TContext, long, PageCursor?, int, IAsyncEnumerable<TShape>> Compile<TContext, TShape>(
        Expression<Func<TContext, long, IQueryable<T>>> root, Expression<Func<T, TShape>> shape, bool descending, PageSeek seek, bool nullsHigh, int? literalTake)
    {
        var db = root.Parameters[0];
        var scope = root.Parameters[1];
        var cursorKey = Expression.Parameter(typeof(TKey), "cursorKey");
        var cursorId = Expression.Parameter(typeof(long), "cursorId");
        var take = Expression.Parameter(typeof(int), "take");
        var row = key.Parameters[0];

        Expression query = root.Body;
        if (seek != PageSeek.None)
        {
            var beyond = Beyond(seek == PageSeek.Key ? cursorKey : null, cursorId, descending, nullsHigh);
            query = Call(nameof(Queryable.Where), [typeof(T)], query, Expression.Lambda<Func<T, bool>>(beyond, row));
        }

        query = Call(descending ? nameof(Queryable.OrderByDescending) : nameof(Queryable.OrderBy), [typeof(T), typeof(TKey)], query, key);
        query = Call(descending ? nameof(Queryable.ThenByDescending) : nameof(Queryable.ThenBy), [typeof(T), typeof(long)], query, id);
        query = Expression.Call(typeof(Queryable), nameof(Queryable.Take), [typeof(T)], query,
            literalTake is int literal ? Expression.Constant(literal) : take);
        query = Call(nameof(Queryable.Select), [typeof(T), typeof(TShape)], query, shape);

        var compiled = EF.CompileAsyncQuery(Expression.Lambda<Func<TContext, long, TKey, long, int, IQueryable<TShape>>>(query, db, scope, cursorKey, cursorId, take));
        var parse = this.parse;
        return (context, scopeId, cursor, count) =>
        {
            TKey value = default!;
            if (seek != PageSeek.None && (cursor is null || !parse(cursor.Key, out value)))
            {
                throw new ArgumentException("The cursor does not fit the compiled seek.", nameof(cursor)); // the pager checks first
            }

            return compiled(context, scopeId, value, cursor?.Id ?? 0, count);
        };
    }

    private static MethodCallExpression Call(string method, Type[] types, Expression source, LambdaExpression lambda) =>
        Expression.Call(typeof(Queryable), method, types, source, Expression.Quote(lambda));

    /// <summary>PostgreSQL sorts NULL above every value, SQLite below: in the read direction, do NULLs come first?</summary>
    private static bool NullsFirst(bool descending, bool nullsHigh) => descending == nullsHigh;

    private static Expression Compare(ExpressionType comparison, Expression left, Expression right) =>
        typeof(TKey) == typeof(string)
            ? Expression.MakeBinary(comparison, Expression.Call(CompareStrings, left, right), Expression.Constant(0))
            : Expression.MakeBinary(comparison, left, right);

    private static MemberExpression Parameter<TValue>(TValue value) =>
        Expression.Field(Expression.Constant(new Closure<TValue>(value)), nameof(Closure<TValue>.Value));

    private sealed class Closure<TValue>(TValue value)
    {
        public readonly TValue Value = value;
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}

/// <summary>
/// The one keyset pager. Reads a page of <paramref name="filtered"/> in two SQL commands at any depth: the rows (one
/// more than asked, to know whether another page follows) and the capped count. Before and Last read backwards (the
/// sort reversed) and flip the rows back; a cursor that does not fit the sort (tampered or stale) reads the first page.
/// </summary>
public static class KeysetPager
{
    public static async Task<GridPage<TRow>> ReadAsync<T, TShape, TRow>(
        IQueryable<T> filtered,
        KeysetSort<T, TRow> sort,
        bool descending,
        PageRequest request,
        bool nullsHigh,
        Func<IQueryable<T>, IQueryable<TShape>> project,
        Func<TShape, TRow> toRow,
        CancellationToken cancellationToken) where T : class
    {
        var rows = await ReadRowsAsync(filtered, sort, descending, request, nullsHigh, project, toRow, cancellationToken);
        return rows with { Total = await CappedCount.CountAsync(filtered, cancellationToken) };
    }

    /// <summary>The page without its count (one command): what <see cref="ReadAsync"/> does before it counts.</summary>
    public static Task<GridPage<TRow>> ReadRowsAsync<T, TShape, TRow>(
        IQueryable<T> filtered,
        KeysetSort<T, TRow> sort,
        bool descending,
        PageRequest request,
        bool nullsHigh,
        Func<IQueryable<T>, IQueryable<TShape>> project,
        Func<TShape, TRow> toRow,
        CancellationToken cancellationToken) where T : class =>
        ReadRowsAsync(sort, descending, request, toRow, (cursor, readDescending, take) =>
        {
            var query = cursor is null ? filtered : sort.Seek(filtered, cursor, readDescending, nullsHigh);
            return project(LiteralLimit.Take(sort.Order(query, readDescending), take)).ToListAsync(cancellationToken);
        });

    /// <summary>
    /// The pager itself: a tampered cursor reads the first page; Before and Last read backwards and flip the rows back;
    /// one row more than asked says whether another page follows. <paramref name="fetch"/> reads up to <c>take</c>
    /// shapes beyond the cursor (none: from the top) in the given direction.
    /// </summary>
    internal static async Task<GridPage<TRow>> ReadRowsAsync<T, TShape, TRow>(
        KeysetSort<T, TRow> sort,
        bool descending,
        PageRequest request,
        Func<TShape, TRow> toRow,
        Func<PageCursor?, bool, int, Task<List<TShape>>> fetch)
    {
        int size = Math.Clamp(request.Size, 1, GridPage.MaxSize);
        if (request.Cursor is { } given && !sort.Fits(given))
        {
            request = new PageRequest(Size: size); // a tampered or stale link: the first page, never an error
        }

        bool backwards = request.Kind is PageRequestKind.Before or PageRequestKind.Last;
        bool readDescending = descending != backwards;
        var seekFrom = request.Kind is PageRequestKind.After or PageRequestKind.Before ? request.Cursor : null;
        var fetched = await fetch(seekFrom, readDescending, size + 1);
        bool more = fetched.Count > size;
        var rows = new List<TRow>(Math.Min(fetched.Count, size));
        for (int i = 0; i < fetched.Count && i < size; i++)
        {
            rows.Add(toRow(fetched[i]));
        }

        if (backwards)
        {
            rows.Reverse();
        }

        bool hasPrevious = request.Kind switch { PageRequestKind.First => false, PageRequestKind.After => true, _ => more };
        bool hasNext = request.Kind switch { PageRequestKind.Last => false, PageRequestKind.Before => true, _ => more };
        bool any = rows.Count > 0;
        return new GridPage<TRow>(rows, default, any ? sort.CursorOf(rows[0]) : null, any ? sort.CursorOf(rows[^1]) : null, hasPrevious && any, hasNext && any);
    }

    /// <summary>PostgreSQL puts NULL after every value, SQLite before; the seek predicate follows the database's order.</summary>
    public static bool NullsSortHigh(DbContext db) => db.Database.IsNpgsql();
}

/// <summary>
/// <c>Take(n)</c> for the grids' pages and counts. On PostgreSQL n is written into the SQL (<c>LIMIT 26</c>) instead of
/// sent as a parameter (<c>LIMIT $1</c>), for the few fixed sizes the grids use (page sizes up to
/// <see cref="GridPage.MaxSize"/> + 1, the count's cap + 1). PostgreSQL makes a prepared statement's generic plan
/// without the parameters' values, and costs a <c>LIMIT $1</c> it cannot see as a tenth of the rows (planner.c,
/// preprocess_limit): a page's generic plan would be costed as reading tens of thousands of rows and lose to planning
/// every call. With the literal, the generic plan is the custom plan (the users benchmark prints both), and PostgreSQL
/// can stop planning the page.
/// </summary>
/// <remarks>
/// The literal has a price: EF inlines <c>EF.Constant</c> only while it generates the SQL, so it generates the SQL
/// anew on every call (EF 10 turns a plain constant in <c>Take</c> into a parameter too). On SQLite, which plans each
/// statement as it prepares it and has no generic plan, that bought nothing and cost 17 % of a users-grid page
/// turn's allocation; there n is a parameter and EF reuses the SQL it generated (docs/performance.md, fourteenth round).
/// </remarks>
public static class LiteralLimit
{
    private static readonly System.Reflection.MethodInfo TakeMethod = new Func<IQueryable<object>, int, IQueryable<object>>(Queryable.Take).Method.GetGenericMethodDefinition();
    private static readonly System.Reflection.MethodInfo ConstantMethod = typeof(EF).GetMethod(nameof(EF.Constant))!.MakeGenericMethod(typeof(int));

    public static IQueryable<T> Take<T>(IQueryable<T> query, int count) =>
        OnPostgres(query.Expression)
            ? query.Provider.CreateQuery<T>(Expression.Call(null, TakeMethod.MakeGenericMethod(typeof(T)), query.Expression, Expression.Call(ConstantMethod, Expression.Constant(count))))
            : query.Take(count);

    /// <summary>Whether the query reads through Npgsql's model: its root entity's model carries Npgsql's annotations.</summary>
    internal static bool OnPostgres(Expression query)
    {
        var root = query;
        while (root is MethodCallExpression { Arguments.Count: > 0 } call)
        {
            root = call.Arguments[0];
        }

        return root is Microsoft.EntityFrameworkCore.Query.EntityQueryRootExpression entity
            && entity.EntityType.Model.FindAnnotation("Npgsql:ValueGenerationStrategy") is not null;
    }
}

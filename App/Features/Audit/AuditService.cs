using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Audit;

public sealed record AuditFilter(string? Actor = null, string? EntityType = null, string? Action = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

public sealed record AuditRow(string Id, DateTime At, string Actor, string? Customer, string EntityType, string EntityId, string Action, string? Changes);

public sealed record AuditEntriesPage(List<AuditRow> Rows, CappedCount Total, PageCursor? First, PageCursor? Last, bool HasPrevious, bool HasNext);

/// <summary>
/// The audit log, newest first, within the circuit's tenant (customer admins: their customer's entries; platform
/// admins: everything, tenant switches included). Keyset paging on (at, id); filters on actor, entity, action, dates.
/// </summary>
public sealed class AuditService(IDbContextFactory<PortalDbContext> factory)
{
    public async Task<AuditEntriesPage> GetPageAsync(AuditFilter filter, PageRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        int size = Math.Clamp(request.Size, 1, UserService.MaxPageSize);
        var filtered = Filter(db, filter);
        if (request.Cursor is { } given && !CursorFits(given))
        {
            request = new PageRequest(Size: request.Size); // a tampered or stale link: the first page, never an error
        }

        // Newest first; Before and Last read the other way and flip.
        bool backwards = request.Kind is PageRequestKind.Before or PageRequestKind.Last;
        var query = filtered;
        if (request.Cursor is { } cursor && request.Kind is PageRequestKind.After or PageRequestKind.Before)
        {
            PageCursor.TryTime(cursor.Key, out var at); // CursorFits checked it
            long id = cursor.Id;
            query = backwards
                ? query.Where(a => a.At >= at && (a.At > at || a.Id > id))
                : query.Where(a => a.At <= at && (a.At < at || a.Id < id));
        }

        var ordered = backwards ? query.OrderBy(a => a.At).ThenBy(a => a.Id) : query.OrderByDescending(a => a.At).ThenByDescending(a => a.Id);
        var customers = await db.Customers.AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
        var fetched = await ordered.Take(size + 1).AsNoTracking().ToListAsync(cancellationToken);
        bool more = fetched.Count > size;
        var rows = fetched.Take(size).Select(a => new AuditRow(
            a.Id.ToString(CultureInfo.InvariantCulture), a.At, a.Actor, a.CustomerId is long c ? customers.GetValueOrDefault(c, "—") : null,
            a.EntityType, a.EntityId.ToString(CultureInfo.InvariantCulture), a.Action, a.Changes)).ToList();
        if (backwards)
        {
            rows.Reverse();
        }

        static PageCursor CursorOf(AuditRow row) => new(row.At.Ticks.ToString(CultureInfo.InvariantCulture), long.Parse(row.Id, CultureInfo.InvariantCulture));
        bool hasPrevious = request.Kind switch { PageRequestKind.First => false, PageRequestKind.After => true, _ => more };
        bool hasNext = request.Kind switch { PageRequestKind.Last => false, PageRequestKind.Before => true, _ => more };
        return new AuditEntriesPage(rows, await CappedCount.CountAsync(filtered, cancellationToken),
            rows.Count > 0 ? CursorOf(rows[0]) : null, rows.Count > 0 ? CursorOf(rows[^1]) : null, hasPrevious && rows.Count > 0, hasNext && rows.Count > 0);
    }

    /// <summary>Whether a cursor from the URL carries a time key (the cursor is untrusted input).</summary>
    public static bool CursorFits(PageCursor cursor) => cursor.HasTimeKey;

    /// <summary>The entity types and actions present, for the filter lists.</summary>
    public async Task<(List<string> EntityTypes, List<string> Actions)> GetChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var types = await db.AuditLog.Select(a => a.EntityType).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
        var actions = await db.AuditLog.Select(a => a.Action).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
        return (types, actions);
    }

    public static IQueryable<AuditEntry> Filter(PortalDbContext db, AuditFilter filter)
    {
        var query = db.AuditLog.AsQueryable();
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            string actor = filter.Actor.Trim();
            query = query.Where(a => a.Actor.StartsWith(actor));
        }

        if (!string.IsNullOrEmpty(filter.EntityType))
        {
            query = query.Where(a => a.EntityType == filter.EntityType);
        }

        if (!string.IsNullOrEmpty(filter.Action))
        {
            query = query.Where(a => a.Action == filter.Action);
        }

        if (filter.FromUtc is DateTime from)
        {
            query = query.Where(a => a.At >= from);
        }

        if (filter.ToUtc is DateTime to)
        {
            query = query.Where(a => a.At < to);
        }

        return query;
    }
}

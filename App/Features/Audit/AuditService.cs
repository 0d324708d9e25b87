using System.Globalization;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Audit;

public sealed record AuditFilter(string? Actor = null, string? EntityType = null, string? Action = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

public sealed record AuditRow(string Id, DateTime At, string Actor, string? Customer, string EntityType, string EntityId, string Action, string? Changes);

/// <summary>
/// The audit log, newest first, within the circuit's tenant (customer admins: their customer's entries; platform
/// admins: everything, tenant switches included). Keyset paging on (at, id); filters on actor, entity, action, dates.
/// </summary>
public sealed class AuditService(IDbContextFactory<PortalDbContext> factory)
{
    /// <summary>Newest first: the grid asks for (at, id) descending; Before and Last read the other way and flip.</summary>
    private static readonly KeysetSort<AuditEntry, AuditRow> ByTime =
        KeysetSort.Time<AuditEntry, AuditRow>(a => a.At, a => a.Id, r => r.At, r => long.Parse(r.Id, CultureInfo.InvariantCulture));

    public async Task<GridPage<AuditRow>> GetPageAsync(AuditFilter filter, PageRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // The customer's name comes in the page's own query (a customer the circuit cannot see shows as "—").
        return await KeysetPager.ReadAsync(Filter(db, filter), ByTime, descending: true, request, KeysetPager.NullsSortHigh(db),
            page => page.Select(a => new AuditShape(a.Id, a.At, a.Actor, a.CustomerId,
                db.Customers.Where(c => c.Id == a.CustomerId).Select(c => c.Name).FirstOrDefault(),
                a.EntityType, a.EntityId, a.Action, a.Changes)),
            a => new AuditRow(a.Id.ToString(CultureInfo.InvariantCulture), a.At, a.Actor, a.CustomerId is null ? null : a.Customer ?? "—",
                a.EntityType, a.EntityId.ToString(CultureInfo.InvariantCulture), a.Action, a.Changes),
            cancellationToken);
    }

    private sealed record AuditShape(long Id, DateTime At, string Actor, long? CustomerId, string? Customer, string EntityType, long EntityId, string Action, string? Changes);

    /// <summary>Whether a cursor from the URL carries a time key (the cursor is untrusted input).</summary>
    public static bool CursorFits(PageCursor cursor) => ByTime.Fits(cursor);

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

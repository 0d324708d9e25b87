using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Audit;

public sealed record AuditFilter(string? Actor = null, string? EntityType = null, string? Action = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

/// <summary>
/// One entry as the page shows it: <see cref="Actor"/> is the stored name (what the Who filter matches),
/// <see cref="ActorLabel"/> the one display format; <see cref="EntityHref"/> is set only while the entity exists and
/// is in the viewer's tenant; <see cref="Changes"/> is already cut for display.
/// </summary>
public sealed record AuditRow(string Id, DateTime At, string Actor, string ActorLabel, string? Customer, string EntityType, string EntityId,
    string EntityLabel, string? EntityHref, string Action, IReadOnlyList<AuditChange> Changes);

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
        // Names come in the page's own query (a customer the circuit cannot see shows as "—").
        return await KeysetPager.ReadAsync(Filter(db, filter), ByTime, descending: true, request, KeysetPager.NullsSortHigh(db),
            page => page.Select(a => new AuditShape(a.Id, a.At, a.Actor, a.ActorUserId,
                db.Users.Where(u => u.Id == a.ActorUserId).Select(u => u.DisplayName).FirstOrDefault(),
                db.Users.Where(u => u.Id == a.ActorUserId).Select(u => u.Email).FirstOrDefault(),
                a.CustomerId,
                db.Customers.Where(c => c.Id == a.CustomerId).Select(c => c.Name).FirstOrDefault(),
                a.EntityType, a.EntityId, a.EntityLabel,
                // Whether the entity still exists where the viewer can see it: subqueries under the tenant filters, in
                // the page's own command (the grid stays at two commands whatever the page size).
                a.EntityType == nameof(User) ? db.Users.Any(u => u.Id == a.EntityId)
                : a.EntityType == nameof(Posts.Post) ? db.Posts.Any(p => p.Id == a.EntityId)
                : a.EntityType == nameof(IdentityProviders.CiamSystem) ? db.CiamSystems.Any(c => c.Id == a.EntityId)
                : a.EntityType == nameof(Customers.Customer) ? db.Customers.Any(c => c.Id == a.EntityId)
                : a.EntityType == nameof(Customers.CustomerDomain) && db.CustomerDomains.Any(d => d.Id == a.EntityId),
                // Identity links and sessions link to their user's page while both are visible to the viewer.
                a.EntityType == nameof(IdentityProviders.UserCiamMapping)
                    ? db.UserCiamMappings.Where(m => m.Id == a.EntityId && db.Users.Any(u => u.Id == m.UserId)).Select(m => (long?)m.UserId).FirstOrDefault()
                : a.EntityType == nameof(Sessions.PortalSession)
                    ? db.PortalSessions.Where(s => s.Id == a.EntityId && db.Users.Any(u => u.Id == s.UserId)).Select(s => (long?)s.UserId).FirstOrDefault()
                : null,
                // Their names for entries written without one (before names were stored): what the viewer can see now.
                a.EntityLabel != null ? null
                : a.EntityType == nameof(IdentityProviders.UserCiamMapping)
                    ? db.Users.Where(u => db.UserCiamMappings.Any(m => m.Id == a.EntityId && m.UserId == u.Id)).Select(u => u.DisplayName).FirstOrDefault()
                : a.EntityType == nameof(Sessions.PortalSession)
                    ? db.Users.Where(u => db.PortalSessions.Any(s => s.Id == a.EntityId && s.UserId == u.Id)).Select(u => u.DisplayName).FirstOrDefault()
                : null,
                a.EntityLabel != null ? null
                : a.EntityType == nameof(IdentityProviders.UserCiamMapping)
                    ? db.CiamSystems.Where(c => db.UserCiamMappings.Any(m => m.Id == a.EntityId && m.CiamSystemId == c.Id)).Select(c => c.Name).FirstOrDefault()
                : a.EntityType == nameof(Sessions.PortalSession)
                    ? db.PortalSessions.Where(s => s.Id == a.EntityId).Select(s => s.UserAgent).FirstOrDefault()
                : null,
                a.Action, a.Changes)),
            ToRow,
            cancellationToken);
    }

    private static AuditRow ToRow(AuditShape a) => new(
        a.Id.ToString(CultureInfo.InvariantCulture), a.At, a.Actor, AuditLabels.Actor(a.Actor, a.ActorUserId, a.ActorName, a.ActorEmail),
        a.CustomerId is null ? null : a.Customer ?? "—",
        a.EntityType, a.EntityId.ToString(CultureInfo.InvariantCulture),
        a.EntityLabel is null && RelatedLabel(a.EntityType, a.RelatedName, a.RelatedDetail) is { } related ? related : EntityLabel(a.EntityType, a.EntityId, a.EntityLabel, a.Changes),
        a.EntityVisible ? AuditLabels.Href(a.EntityType, a.EntityId, a.CustomerId) : a.RelatedUserId is { } userId ? $"/users/{userId.ToString(CultureInfo.InvariantCulture)}" : null,
        a.Action, AuditDiff.Parse(a.Changes));

    /// <summary>The stored name; for older entries what the changes tell; else the type and id.</summary>
    public static string EntityLabel(string entityType, long entityId, string? stored, string? changes) =>
        stored ?? AuditLabels.FromChanges(entityType, changes) ?? (entityId == 0 ? entityType : $"{entityType} #{entityId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>An identity link or session without a stored name: named from its rows if the viewer sees them, else "(deleted)".</summary>
    private static string? RelatedLabel(string entityType, string? person, string? detail) => entityType switch
    {
        nameof(IdentityProviders.UserCiamMapping) => person is null ? AuditRelatedLabels.DeletedMapping : AuditLabels.Clip(AuditRelatedLabels.Mapping(person, detail)),
        nameof(Sessions.PortalSession) => person is null ? AuditRelatedLabels.DeletedSession : AuditLabels.Clip(AuditRelatedLabels.Session(person, detail)),
        _ => null,
    };

    private sealed record AuditShape(long Id, DateTime At, string Actor, long? ActorUserId, string? ActorName, string? ActorEmail, long? CustomerId, string? Customer,
        string EntityType, long EntityId, string? EntityLabel, bool EntityVisible, long? RelatedUserId, string? RelatedName, string? RelatedDetail,
        string Action, string? Changes);

    /// <summary>Whether a cursor from the URL carries a time key (the cursor is untrusted input).</summary>
    public static bool CursorFits(PageCursor cursor) => ByTime.Fits(cursor);

    /// <summary>The entity types and actions present, for the filter lists.</summary>
    public async Task<(List<string> EntityTypes, List<string> Actions)> GetChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var types = await db.TenantAuditLog.Select(a => a.EntityType).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
        var actions = await db.TenantAuditLog.Select(a => a.Action).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
        return (types, actions);
    }

    public static IQueryable<AuditEntry> Filter(PortalDbContext db, AuditFilter filter)
    {
        var query = db.TenantAuditLog;
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

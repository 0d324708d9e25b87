using System.Globalization;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

/// <summary>
/// The users grid: filters, keyset (seek) paging over indexes that lead with the tenant, capped counts. A page is two
/// SQL commands, the rows and the capped count, at any depth.
/// </summary>
public sealed class UserService(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    public const int MaxPageSize = 200;

    public async Task<UserPage> GetPageAsync(UserFilter filter, PageRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        int size = Math.Clamp(request.Size, 1, MaxPageSize);
        var filtered = Filter(db, filter);
        if (request.Cursor is { } given && !CursorFits(filter.Sort, given))
        {
            request = new PageRequest(Size: request.Size); // a tampered or stale link: the first page, never an error
        }

        // Before and Last read backwards (the sort reversed) and flip the rows back.
        bool backwards = request.Kind is PageRequestKind.Before or PageRequestKind.Last;
        bool descending = filter.Descending != backwards;
        var query = filtered;
        if (request.Cursor is { } cursor && request.Kind is PageRequestKind.After or PageRequestKind.Before)
        {
            query = Seek(query, filter.Sort, descending, cursor, NullsSortHigh(db));
        }

        var fetched = await Order(query, filter.Sort, descending)
            .Take(size + 1)
            .Select(u => new
            {
                u.Id, u.DisplayName, u.Email, Site = u.Site!.Name,
                Legacy = u.PasswordHash != null || u.AzureObjectId != null,
                Oidc = db.UserCiamMappings.Any(m => m.UserId == u.Id),
                u.LoginCount, u.LastLoginAt, u.SyncStatus, u.IsActive, u.IsLocked, u.CreatedAt,
                Invited = u.InvitedAt != null && u.InvitationAcceptedAt == null,
            })
            .AsNoTracking()
            .ToListAsync(cancellationToken);

        bool more = fetched.Count > size;
        var rows = fetched.Take(size).ToList();
        if (backwards)
        {
            rows.Reverse();
        }

        var page = rows.Select(u => new UserRow(
            u.Id.ToString(CultureInfo.InvariantCulture), u.DisplayName, u.Email, u.Site,
            u.Legacy && u.Oidc ? AuthKind.Both : u.Oidc ? AuthKind.Oidc : AuthKind.LegacyOnly,
            u.LoginCount, u.LastLoginAt, u.SyncStatus, u.IsActive, u.IsLocked, u.CreatedAt, u.Invited)).ToList();

        bool hasPrevious = request.Kind switch
        {
            PageRequestKind.First => false,
            PageRequestKind.After => true,
            _ => more,
        };
        bool hasNext = request.Kind switch
        {
            PageRequestKind.Last => false,
            PageRequestKind.Before => true,
            _ => more,
        };

        var total = await CappedCount.CountAsync(filtered, cancellationToken);
        return new UserPage(page, total, page.Count > 0 ? CursorOf(page[0], filter.Sort) : null, page.Count > 0 ? CursorOf(page[^1], filter.Sort) : null, hasPrevious && page.Count > 0, hasNext && page.Count > 0);
    }

    /// <summary>
    /// Legacy → OIDC migration: per site, how many users sign in with legacy credentials only, with both, or with OIDC
    /// only. One grouped query; it reads every user of the tenant, so it is a report, not a grid.
    /// </summary>
    public async Task<List<MigrationBucket>> GetMigrationAsync(CancellationToken cancellationToken = default) =>
        ToMigrationBuckets(await CountMigrationBySiteAsync(cancellationToken), await GetMigrationSitesAsync(cancellationToken));

    /// <summary>
    /// The expensive half of the migration view: every user of the scope, grouped by site and sign-in kind in one
    /// statement. At a million users this takes seconds, so pages read it from a report snapshot (Features/Reports).
    /// </summary>
    public async Task<List<SiteMigrationCounts>> CountMigrationBySiteAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var groups = await db.Users.AsNoTracking()
            .Select(u => new
            {
                u.SiteId,
                Legacy = u.PasswordHash != null || u.AzureObjectId != null,
                Oidc = db.UserCiamMappings.Any(m => m.UserId == u.Id),
            })
            .GroupBy(u => new { u.SiteId, u.Legacy, u.Oidc })
            .Select(g => new { g.Key.SiteId, g.Key.Legacy, g.Key.Oidc, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return groups
            .GroupBy(g => g.SiteId)
            .Select(site => new SiteMigrationCounts(
                site.Key,
                site.Where(g => g.Legacy && !g.Oidc).Sum(g => g.Count),
                site.Where(g => g.Legacy && g.Oidc).Sum(g => g.Count),
                site.Where(g => !g.Legacy && g.Oidc).Sum(g => g.Count)))
            .OrderBy(c => c.SiteId)
            .ToList();
    }

    /// <summary>The cheap half: the sites the scope can see, with their current names (a rename shows at once).</summary>
    public async Task<List<MigrationSite>> GetMigrationSitesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Sites.AsNoTracking().Select(s => new MigrationSite(s.Id, s.Name, s.Customer!.Name)).ToListAsync(cancellationToken);
    }

    /// <summary>One bucket per visible site, ordered by customer and site; a site without users has zeros.</summary>
    public static List<MigrationBucket> ToMigrationBuckets(IEnumerable<SiteMigrationCounts> counts, IEnumerable<MigrationSite> sites)
    {
        var bySite = counts.ToDictionary(c => c.SiteId);
        return sites
            .OrderBy(s => s.Customer).ThenBy(s => s.Name)
            .Select(site => bySite.GetValueOrDefault(site.Id) is { } c
                ? new MigrationBucket(site.Id.ToString(CultureInfo.InvariantCulture), site.Customer, site.Name, c.LegacyOnly, c.Both, c.OidcOnly)
                : new MigrationBucket(site.Id.ToString(CultureInfo.InvariantCulture), site.Customer, site.Name, 0, 0, 0))
            .ToList();
    }

    /// <summary>The sites the circuit can see, for the site filter. Ids as strings: they exceed 2^53.</summary>
    public async Task<List<(string Id, string Name)>> GetSiteChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(cancellationToken);
        return sites.Select(s => (s.Id.ToString(CultureInfo.InvariantCulture), s.Name)).ToList();
    }

    /// <summary>The identity providers this tenant can see, for the grid's provider filter.</summary>
    public async Task<List<(string Id, string Name)>> GetProviderChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var providers = await db.CiamSystems.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        return providers.Select(p => (p.Id.ToString(CultureInfo.InvariantCulture), p.Name)).ToList();
    }

    /// <summary>The filter as a query: the same for the grid, the CSV export and bulk actions.</summary>
    public IQueryable<User> Filter(PortalDbContext db, UserFilter filter)
    {
        var query = db.Users.AsQueryable();
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            // Prefix match, which the (customer_id, email) and (customer_id, display_name, id) indexes can serve.
            string term = filter.Search.Trim();
            string email = term.ToLowerInvariant();
            query = query.Where(u => u.Email.StartsWith(email) || u.DisplayName.StartsWith(term));
        }

        if (filter.SiteId is long siteId)
        {
            query = query.Where(u => u.SiteId == siteId);
        }

        if (filter.ProviderId is long providerId)
        {
            query = query.Where(u => db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystemId == providerId));
        }

        if (filter.SyncStatus is SyncStatus sync)
        {
            query = query.Where(u => u.SyncStatus == sync);
        }

        query = filter.State switch
        {
            UserState.Active => query.Where(u => u.IsActive && !u.IsLocked && (u.InvitedAt == null || u.InvitationAcceptedAt != null)),
            UserState.Invited => query.Where(u => u.InvitedAt != null && u.InvitationAcceptedAt == null),
            UserState.Inactive => query.Where(u => !u.IsActive),
            UserState.Locked => query.Where(u => u.IsLocked),
            _ => query,
        };

        if (filter.DormantDays is int days and > 0 and <= UserFilter.MaxDormantDays)
        {
            DateTime since = clock.GetUtcNow().UtcDateTime.AddDays(-days);
            query = query.Where(u => u.LastLoginAt == null || u.LastLoginAt < since);
        }

        query = filter.AuthKind switch
        {
            AuthKind.LegacyOnly => query.Where(u => (u.PasswordHash != null || u.AzureObjectId != null) && !db.UserCiamMappings.Any(m => m.UserId == u.Id)),
            AuthKind.Oidc => query.Where(u => u.PasswordHash == null && u.AzureObjectId == null && db.UserCiamMappings.Any(m => m.UserId == u.Id)),
            AuthKind.Both => query.Where(u => (u.PasswordHash != null || u.AzureObjectId != null) && db.UserCiamMappings.Any(m => m.UserId == u.Id)),
            _ => query,
        };

        return query;
    }

    private static bool NullsSortHigh(PortalDbContext db) => db.Database.IsNpgsql(); // PostgreSQL: NULL sorts after everything; SQLite: before

    private static IOrderedQueryable<User> Order(IQueryable<User> query, UserSort sort, bool descending) => sort switch
    {
        UserSort.Email => descending ? query.OrderByDescending(u => u.Email).ThenByDescending(u => u.Id) : query.OrderBy(u => u.Email).ThenBy(u => u.Id),
        UserSort.LastLogin => descending ? query.OrderByDescending(u => u.LastLoginAt).ThenByDescending(u => u.Id) : query.OrderBy(u => u.LastLoginAt).ThenBy(u => u.Id),
        UserSort.LoginCount => descending ? query.OrderByDescending(u => u.LoginCount).ThenByDescending(u => u.Id) : query.OrderBy(u => u.LoginCount).ThenBy(u => u.Id),
        UserSort.Created => descending ? query.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id) : query.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id),
        _ => descending ? query.OrderByDescending(u => u.DisplayName).ThenByDescending(u => u.Id) : query.OrderBy(u => u.DisplayName).ThenBy(u => u.Id),
    };

    /// <summary>
    /// Rows strictly after the cursor in the given order: (key, id) beyond (cursor key, cursor id). Written as
    /// "key ≥ k AND (key > k OR id > i)" rather than "key > k OR (key = k AND id > i)": the first half is a range the
    /// index can seek to, so a page 100,000 rows deep costs what page 1 costs.
    /// </summary>
    private static IQueryable<User> Seek(IQueryable<User> query, UserSort sort, bool descending, PageCursor cursor, bool nullsHigh)
    {
        long id = cursor.Id;
        switch (sort)
        {
            case UserSort.Email:
            {
                string key = cursor.Key ?? "";
                return descending
                    ? query.Where(u => string.Compare(u.Email, key) <= 0 && (string.Compare(u.Email, key) < 0 || u.Id < id))
                    : query.Where(u => string.Compare(u.Email, key) >= 0 && (string.Compare(u.Email, key) > 0 || u.Id > id));
            }

            case UserSort.LoginCount:
            {
                int key = int.Parse(cursor.Key!, CultureInfo.InvariantCulture); // CursorFits checked it
                return descending
                    ? query.Where(u => u.LoginCount <= key && (u.LoginCount < key || u.Id < id))
                    : query.Where(u => u.LoginCount >= key && (u.LoginCount > key || u.Id > id));
            }

            case UserSort.Created:
            {
                DateTime key = FromTicks(cursor.Key)!.Value;
                return descending
                    ? query.Where(u => u.CreatedAt <= key && (u.CreatedAt < key || u.Id < id))
                    : query.Where(u => u.CreatedAt >= key && (u.CreatedAt > key || u.Id > id));
            }

            case UserSort.LastLogin:
                return SeekNullable(query, FromTicks(cursor.Key), id, descending, nullsHigh);

            default:
            {
                string key = cursor.Key ?? "";
                return descending
                    ? query.Where(u => string.Compare(u.DisplayName, key) <= 0 && (string.Compare(u.DisplayName, key) < 0 || u.Id < id))
                    : query.Where(u => string.Compare(u.DisplayName, key) >= 0 && (string.Compare(u.DisplayName, key) > 0 || u.Id > id));
            }
        }
    }

    /// <summary>
    /// Seek on last_login_at, which may be NULL. Each database puts NULLs at one end (PostgreSQL: high, SQLite: low), and
    /// the seek predicate follows that same order, so the pages match the ORDER BY and the index.
    /// </summary>
    private static IQueryable<User> SeekNullable(IQueryable<User> query, DateTime? key, long id, bool descending, bool nullsHigh)
    {
        bool nullsFirst = descending == nullsHigh;
        if (key is null)
        {
            // The cursor is inside the NULL block: NULLs with a later id, then (when NULLs come first) every other row.
            return (descending, nullsFirst) switch
            {
                (true, true) => query.Where(u => u.LastLoginAt != null || u.Id < id),
                (false, true) => query.Where(u => u.LastLoginAt != null || u.Id > id),
                (true, false) => query.Where(u => u.LastLoginAt == null && u.Id < id),
                (false, false) => query.Where(u => u.LastLoginAt == null && u.Id > id),
            };
        }

        DateTime value = key.Value;
        return (descending, nullsFirst) switch
        {
            (true, true) => query.Where(u => u.LastLoginAt <= value && (u.LastLoginAt < value || u.Id < id)),
            (true, false) => query.Where(u => (u.LastLoginAt <= value && (u.LastLoginAt < value || u.Id < id)) || u.LastLoginAt == null),
            (false, true) => query.Where(u => u.LastLoginAt >= value && (u.LastLoginAt > value || u.Id > id)),
            (false, false) => query.Where(u => (u.LastLoginAt >= value && (u.LastLoginAt > value || u.Id > id)) || u.LastLoginAt == null),
        };
    }

    /// <summary>Whether a cursor from the URL carries a key of the sort's type (the cursor is untrusted input).</summary>
    public static bool CursorFits(UserSort sort, PageCursor cursor) => sort switch
    {
        UserSort.LoginCount => int.TryParse(cursor.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        UserSort.Created => cursor.HasTimeKey,
        UserSort.LastLogin => cursor.Key is null || cursor.HasTimeKey,
        _ => cursor.HasTextKey,
    };

    private static PageCursor CursorOf(UserRow row, UserSort sort) => new(sort switch
    {
        UserSort.Email => row.Email,
        UserSort.LoginCount => row.LoginCount.ToString(CultureInfo.InvariantCulture),
        UserSort.Created => row.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture),
        UserSort.LastLogin => row.LastLoginAt?.Ticks.ToString(CultureInfo.InvariantCulture),
        _ => row.DisplayName,
    }, long.Parse(row.Id, CultureInfo.InvariantCulture));

    private static DateTime? FromTicks(string? ticks) => PageCursor.TryTime(ticks, out var time) ? time : null;
}

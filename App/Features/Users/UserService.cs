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
    // Scoped, so one per circuit: the users grid's page turns with an unchanged filter skip the count.
    private readonly RememberedCount rememberedCount = new(clock, typeof(User), typeof(IdentityProviders.UserCiamMapping), typeof(Sites.Site));

    /// <summary>The grid's page size cap; the kernel's, kept here for callers that read it from the users grid.</summary>
    public const int MaxPageSize = GridPage.MaxSize;

    /// <summary>The grid's sorts: entity key and id for SQL, the same two read back from a row for the cursors.</summary>
    private static readonly Dictionary<UserSort, KeysetSort<User, UserRow>> Sorts = new()
    {
        [UserSort.Name] = KeysetSort.Text<User, UserRow>(u => u.DisplayName, u => u.Id, r => r.DisplayName, RowId),
        [UserSort.Email] = KeysetSort.Text<User, UserRow>(u => u.Email, u => u.Id, r => r.Email, RowId),
        [UserSort.LastLogin] = KeysetSort.NullableTime<User, UserRow>(u => u.LastLoginAt, u => u.Id, r => r.LastLoginAt, RowId),
        [UserSort.LoginCount] = KeysetSort.Number<User, UserRow>(u => u.LoginCount, u => u.Id, r => r.LoginCount, RowId),
        [UserSort.Created] = KeysetSort.Time<User, UserRow>(u => u.CreatedAt, u => u.Id, r => r.CreatedAt, RowId),
    };

    private static long RowId(UserRow row) => long.Parse(row.Id, CultureInfo.InvariantCulture);

    private static KeysetSort<User, UserRow> SortOf(UserSort sort) => Sorts.GetValueOrDefault(sort) ?? Sorts[UserSort.Name];

    public Task<GridPage<UserRow>> GetPageAsync(UserFilter filter, PageRequest request, CancellationToken cancellationToken = default) =>
        ReadAsync(filter, request, withCount: true, cancellationToken);

    /// <summary>The page without its capped count: one command. The benchmark times the two halves apart.</summary>
    public Task<GridPage<UserRow>> GetRowsAsync(UserFilter filter, PageRequest request, CancellationToken cancellationToken = default) =>
        ReadAsync(filter, request, withCount: false, cancellationToken);

    /// <summary>The capped count of the filter alone: the other command of a page.</summary>
    public async Task<CappedCount> CountAsync(UserFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await CappedCount.CountAsync(Filter(db, filter), cancellationToken);
    }

    private async Task<GridPage<UserRow>> ReadAsync(UserFilter filter, PageRequest request, bool withCount, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var page = await ReadRowsAsync(db, filter, request, cancellationToken);
        if (!withCount)
        {
            return page;
        }

        // The sort and direction do not change how many rows match; everything else in the filter does. The filtered
        // query is built only when it is counted: a turn of the unfiltered view needs neither it nor the count.
        var key = (db.Tenant, filter with { Sort = UserSort.Name, Descending = false });
        return page with { Total = await rememberedCount.GetAsync(key, () => CappedCount.CountAsync(Filter(db, filter), cancellationToken)) };
    }

    /// <summary>The page's rows on a context the caller owns: the benchmark times the query apart from the context.</summary>
    public Task<GridPage<UserRow>> GetRowsAsync(PortalDbContext db, UserFilter filter, PageRequest request, CancellationToken cancellationToken = default) =>
        ReadRowsAsync(db, filter, request, cancellationToken);

    private Task<GridPage<UserRow>> ReadRowsAsync(PortalDbContext db, UserFilter filter, PageRequest request, CancellationToken cancellationToken) =>
        db.Tenant is { AllCustomers: false, CustomerId: long customerId } && IsUnfiltered(filter) && CompiledPages<PortalDbContext, User, UserShape, UserRow>.Serves(request)
            ? Unfiltered.ReadRowsAsync(db, customerId, SortOf(filter.Sort), filter.Descending, request, cancellationToken)
            : KeysetPager.ReadRowsAsync(Filter(db, filter), SortOf(filter.Sort), filter.Descending, request, KeysetPager.NullsSortHigh(db), Project, ToRow, cancellationToken);

    private static readonly UserFilter NoFilter = new();

    /// <summary>The compiled queries of the unfiltered view built so far (tests).</summary>
    internal static int CompiledPageQueries => Unfiltered.CompiledCount;

    /// <summary>No filter but the sort: what <see cref="Filter"/> would leave as <see cref="PortalDbContext.TenantUsers"/>.</summary>
    internal static bool IsUnfiltered(UserFilter filter) => filter with { Sort = NoFilter.Sort, Descending = NoFilter.Descending } == NoFilter;

    /// <summary>
    /// The row's columns, built once: the projection used to capture the call's context (for the mappings' EXISTS), so
    /// every page call built its expression tree again. Through the navigation it needs no context, and the mappings'
    /// Tenant filter still applies to the EXISTS.
    /// </summary>
    internal static readonly System.Linq.Expressions.Expression<Func<User, UserShape>> Shape = u => new UserShape(
        u.Id, u.DisplayName, u.Email, u.Site!.Name,
        u.PasswordHash != null || u.AzureObjectId != null,
        u.CiamMappings!.Any(),
        u.LoginCount, u.LastLoginAt, u.SyncStatus, u.IsActive, u.IsLocked, u.CreatedAt,
        u.InvitedAt != null && u.InvitationAcceptedAt == null);

    private static readonly Func<IQueryable<User>, IQueryable<UserShape>> Project = page => page.Select(Shape);

    private static readonly Func<UserShape, UserRow> ToRow = u => new UserRow(
        u.Id.ToString(CultureInfo.InvariantCulture), u.DisplayName, u.Email, u.Site,
        u.Legacy && u.Oidc ? AuthKind.Both : u.Oidc ? AuthKind.Oidc : AuthKind.LegacyOnly,
        u.LoginCount, u.LastLoginAt, u.SyncStatus, u.IsActive, u.IsLocked, u.CreatedAt, u.Invited);

    /// <summary>
    /// A customer's unfiltered view, the grid's most common page, as compiled queries (after
    /// <see cref="Shape"/> and <see cref="ToRow"/>: static fields start in order). The root is the same as
    /// <see cref="PortalDbContext.TenantUsers"/>: the model's Tenant filter, and the customer repeated for the index.
    /// </summary>
    private static readonly CompiledPages<PortalDbContext, User, UserShape, UserRow> Unfiltered =
        new((db, customerId) => db.Users.Where(u => u.CustomerId == customerId), Shape, ToRow);

    /// <summary>What the grid reads of a user: the row's columns, no more.</summary>
    internal sealed record UserShape(long Id, string DisplayName, string Email, string Site, bool Legacy, bool Oidc, int LoginCount, DateTime? LastLoginAt, SyncStatus SyncStatus, bool IsActive, bool IsLocked, DateTime CreatedAt, bool Invited);

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
        var groups = await db.TenantUsers.AsNoTracking()
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
        var query = db.TenantUsers;
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

    /// <summary>Whether a cursor from the URL carries a key of the sort's type (the cursor is untrusted input).</summary>
    public static bool CursorFits(UserSort sort, PageCursor cursor) => SortOf(sort).Fits(cursor);
}

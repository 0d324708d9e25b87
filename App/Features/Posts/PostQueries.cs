using System.Globalization;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Posts;

public enum PostTab
{
    Drafts,
    Scheduled,
    Published,
    Trash,
}

public enum PostSort
{
    Updated,
    Published,
    Title,
}

public sealed record PostFilter(PostTab Tab = PostTab.Drafts, string? Search = null, long? SiteId = null, PostSort Sort = PostSort.Updated, bool Descending = true, long? AuthorId = null);

public sealed record PostRow(string Id, string Title, string Site, string? Author, PostStatus Status, DateTime? PublishedAt, DateTime UpdatedAt, DateTime? DeletedAt);

public sealed record PostDetail(string Id, string SiteId, string Site, string Title, string Slug, string Content, PostStatus Status, DateTime? PublishedAt, DateTime? DeletedAt, DateTime UpdatedAt, long Version);

/// <summary>The posts grid (tabs with capped counts, title prefix, site, keyset paging) and one post for the editor.</summary>
public sealed class PostQueries(IDbContextFactory<PortalDbContext> factory)
{
    public async Task<Dictionary<PostTab, CappedCount>> CountTabsAsync(PostFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var counts = new Dictionary<PostTab, CappedCount>();
        foreach (var tab in Enum.GetValues<PostTab>())
        {
            counts[tab] = await CappedCount.CountAsync(Filter(db, filter with { Tab = tab }), cancellationToken);
        }

        return counts;
    }

    private static readonly Dictionary<PostSort, KeysetSort<Post, PostRow>> Sorts = new()
    {
        [PostSort.Updated] = KeysetSort.Time<Post, PostRow>(p => p.UpdatedAt, p => p.Id, r => r.UpdatedAt, RowId),
        [PostSort.Published] = KeysetSort.NullableTime<Post, PostRow>(p => p.PublishedAt, p => p.Id, r => r.PublishedAt, RowId),
        [PostSort.Title] = KeysetSort.Text<Post, PostRow>(p => p.Title, p => p.Id, r => r.Title, RowId),
    };

    private static long RowId(PostRow row) => long.Parse(row.Id, CultureInfo.InvariantCulture);

    private static KeysetSort<Post, PostRow> SortOf(PostSort sort) => Sorts.GetValueOrDefault(sort) ?? Sorts[PostSort.Updated];

    public async Task<GridPage<PostRow>> GetPageAsync(PostFilter filter, PageRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await KeysetPager.ReadAsync(Filter(db, filter), SortOf(filter.Sort), filter.Descending, request, KeysetPager.NullsSortHigh(db),
            page => page.Select(p => new PostShape(p.Id, p.Title, p.Site!.Name, p.Author != null ? p.Author.DisplayName : null, p.Status, p.PublishedAt, p.UpdatedAt, p.DeletedAt)),
            p => new PostRow(p.Id.ToString(CultureInfo.InvariantCulture), p.Title, p.Site, p.Author, p.Status, p.PublishedAt, p.UpdatedAt, p.DeletedAt),
            cancellationToken);
    }

    private sealed record PostShape(long Id, string Title, string Site, string? Author, PostStatus Status, DateTime? PublishedAt, DateTime UpdatedAt, DateTime? DeletedAt);

    /// <summary>Whether a cursor from the URL carries a key of the sort's type (the cursor is untrusted input).</summary>
    public static bool CursorFits(PostSort sort, PageCursor cursor) => SortOf(sort).Fits(cursor);

    public async Task<PostDetail?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AsNoTracking().Where(p => p.Id == id)
            .Select(p => new PostDetail(p.Id.ToString(), p.SiteId.ToString(), p.Site!.Name, p.Title, p.Slug, p.Content, p.Status, p.PublishedAt, p.DeletedAt, p.UpdatedAt, p.Version))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<List<(string Id, string Name)>> GetSiteChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sites = await db.TenantSites.AsNoTracking().OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(cancellationToken);
        return sites.Select(s => (s.Id.ToString(CultureInfo.InvariantCulture), s.Name)).ToList();
    }

    /// <summary>The people who wrote posts the circuit can see, for the author filter.</summary>
    public async Task<List<(string Id, string Name)>> GetAuthorChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var authors = await db.TenantPosts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.AuthorId != null)
            .Select(p => new { Id = p.AuthorId!.Value, p.Author!.DisplayName }).Distinct().OrderBy(a => a.DisplayName).ToListAsync(cancellationToken);
        return authors.Select(a => (a.Id.ToString(CultureInfo.InvariantCulture), a.DisplayName)).ToList();
    }

    public static IQueryable<Post> Filter(PortalDbContext db, PostFilter filter)
    {
        // Only the Trash tab looks past the SoftDelete filter; the Tenant filter always applies (TenantPosts only lets
        // SQLite seek the tenant's sites).
        var query = filter.Tab == PostTab.Trash
            ? db.TenantPosts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.DeletedAt != null)
            : db.TenantPosts.Where(p => p.Status == (filter.Tab == PostTab.Drafts ? PostStatus.Draft : filter.Tab == PostTab.Scheduled ? PostStatus.Scheduled : PostStatus.Published));
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            string term = filter.Search.Trim();
            query = query.Where(p => p.Title.StartsWith(term));
        }

        if (filter.SiteId is long site)
        {
            query = query.Where(p => p.SiteId == site);
        }

        if (filter.AuthorId is long author)
        {
            query = query.Where(p => p.AuthorId == author);
        }

        return query;
    }
}

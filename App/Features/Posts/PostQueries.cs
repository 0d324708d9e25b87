using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
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

public sealed record PostPage(List<PostRow> Rows, CappedCount Total, PageCursor? First, PageCursor? Last, bool HasPrevious, bool HasNext);

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

    public async Task<PostPage> GetPageAsync(PostFilter filter, PageRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        int size = Math.Clamp(request.Size, 1, UserService.MaxPageSize);
        var filtered = Filter(db, filter);
        if (request.Cursor is { } given && !CursorFits(filter.Sort, given))
        {
            request = new PageRequest(Size: request.Size); // a tampered or stale link: the first page, never an error
        }

        bool backwards = request.Kind is PageRequestKind.Before or PageRequestKind.Last;
        bool descending = filter.Descending != backwards;
        var query = filtered;
        if (request.Cursor is { } cursor && request.Kind is PageRequestKind.After or PageRequestKind.Before)
        {
            long id = cursor.Id;
            if (filter.Sort == PostSort.Published)
            {
                query = SeekPublished(query, PageCursor.TryTime(cursor.Key, out var at) ? at : null, id, descending, db.Database.IsNpgsql());
            }
            else if (filter.Sort == PostSort.Title)
            {
                string key = cursor.Key ?? "";
                query = descending
                    ? query.Where(p => string.Compare(p.Title, key) <= 0 && (string.Compare(p.Title, key) < 0 || p.Id < id))
                    : query.Where(p => string.Compare(p.Title, key) >= 0 && (string.Compare(p.Title, key) > 0 || p.Id > id));
            }
            else
            {
                PageCursor.TryTime(cursor.Key, out var key); // CursorFits checked it
                query = descending
                    ? query.Where(p => p.UpdatedAt <= key && (p.UpdatedAt < key || p.Id < id))
                    : query.Where(p => p.UpdatedAt >= key && (p.UpdatedAt > key || p.Id > id));
            }
        }

        var ordered = filter.Sort switch
        {
            PostSort.Title => descending ? query.OrderByDescending(p => p.Title).ThenByDescending(p => p.Id) : query.OrderBy(p => p.Title).ThenBy(p => p.Id),
            PostSort.Published => descending ? query.OrderByDescending(p => p.PublishedAt).ThenByDescending(p => p.Id) : query.OrderBy(p => p.PublishedAt).ThenBy(p => p.Id),
            _ => descending ? query.OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id) : query.OrderBy(p => p.UpdatedAt).ThenBy(p => p.Id),
        };
        var fetched = await ordered.Take(size + 1).AsNoTracking()
            .Select(p => new { p.Id, p.Title, Site = p.Site!.Name, Author = p.Author != null ? p.Author.DisplayName : null, p.Status, p.PublishedAt, p.UpdatedAt, p.DeletedAt })
            .ToListAsync(cancellationToken);
        bool more = fetched.Count > size;
        var rows = fetched.Take(size).Select(p => new PostRow(p.Id.ToString(CultureInfo.InvariantCulture), p.Title, p.Site, p.Author, p.Status, p.PublishedAt, p.UpdatedAt, p.DeletedAt)).ToList();
        if (backwards)
        {
            rows.Reverse();
        }

        PageCursor CursorOf(PostRow row) => new(filter.Sort switch
        {
            PostSort.Title => row.Title,
            PostSort.Published => row.PublishedAt?.Ticks.ToString(CultureInfo.InvariantCulture),
            _ => row.UpdatedAt.Ticks.ToString(CultureInfo.InvariantCulture),
        }, long.Parse(row.Id, CultureInfo.InvariantCulture));
        bool hasPrevious = request.Kind switch { PageRequestKind.First => false, PageRequestKind.After => true, _ => more };
        bool hasNext = request.Kind switch { PageRequestKind.Last => false, PageRequestKind.Before => true, _ => more };
        return new PostPage(rows, await CappedCount.CountAsync(filtered, cancellationToken),
            rows.Count > 0 ? CursorOf(rows[0]) : null, rows.Count > 0 ? CursorOf(rows[^1]) : null, hasPrevious && rows.Count > 0, hasNext && rows.Count > 0);
    }

    /// <summary>Whether a cursor from the URL carries a key of the sort's type (the cursor is untrusted input).</summary>
    public static bool CursorFits(PostSort sort, PageCursor cursor) => sort switch
    {
        PostSort.Title => cursor.HasTextKey,
        PostSort.Published => cursor.Key is null || cursor.HasTimeKey,
        _ => cursor.HasTimeKey,
    };

    /// <summary>Seek on published_at, which drafts leave NULL; NULLs sit where each database sorts them (as the users grid does).</summary>
    private static IQueryable<Post> SeekPublished(IQueryable<Post> query, DateTime? key, long id, bool descending, bool nullsHigh)
    {
        bool nullsFirst = descending == nullsHigh;
        if (key is null)
        {
            return (descending, nullsFirst) switch
            {
                (true, true) => query.Where(p => p.PublishedAt != null || p.Id < id),
                (false, true) => query.Where(p => p.PublishedAt != null || p.Id > id),
                (true, false) => query.Where(p => p.PublishedAt == null && p.Id < id),
                (false, false) => query.Where(p => p.PublishedAt == null && p.Id > id),
            };
        }

        DateTime value = key.Value;
        return (descending, nullsFirst) switch
        {
            (true, true) => query.Where(p => p.PublishedAt <= value && (p.PublishedAt < value || p.Id < id)),
            (true, false) => query.Where(p => (p.PublishedAt <= value && (p.PublishedAt < value || p.Id < id)) || p.PublishedAt == null),
            (false, true) => query.Where(p => p.PublishedAt >= value && (p.PublishedAt > value || p.Id > id)),
            (false, false) => query.Where(p => (p.PublishedAt >= value && (p.PublishedAt > value || p.Id > id)) || p.PublishedAt == null),
        };
    }

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
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(cancellationToken);
        return sites.Select(s => (s.Id.ToString(CultureInfo.InvariantCulture), s.Name)).ToList();
    }

    /// <summary>The people who wrote posts the circuit can see, for the author filter.</summary>
    public async Task<List<(string Id, string Name)>> GetAuthorChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var authors = await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.AuthorId != null)
            .Select(p => new { Id = p.AuthorId!.Value, p.Author!.DisplayName }).Distinct().OrderBy(a => a.DisplayName).ToListAsync(cancellationToken);
        return authors.Select(a => (a.Id.ToString(CultureInfo.InvariantCulture), a.DisplayName)).ToList();
    }

    public static IQueryable<Post> Filter(PortalDbContext db, PostFilter filter)
    {
        // Only the Trash tab looks past the SoftDelete filter; the Tenant filter always applies.
        var query = filter.Tab == PostTab.Trash
            ? db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.DeletedAt != null)
            : db.Posts.Where(p => p.Status == (filter.Tab == PostTab.Drafts ? PostStatus.Draft : filter.Tab == PostTab.Scheduled ? PostStatus.Scheduled : PostStatus.Published));
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

using System.Globalization;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Posts;

public enum PostBulkAction
{
    Publish,
    Unpublish,
    Trash,
    Restore,
}

/// <summary>Which posts: the selected ids, or every post matching the filter (when <see cref="SelectedIds"/> is null).</summary>
public sealed record PostBulkTarget(PostFilter Filter, IReadOnlyCollection<string>? SelectedIds);

/// <summary>
/// Bulk publish, unpublish, trash and restore: a dry-run count first, then batches by id, each one transaction;
/// stopping takes effect between batches, so no batch is half done.
/// </summary>
public sealed class PostBulkService(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    public const int DefaultBatchSize = 200;

    public async Task<int> PreviewAsync(PostBulkAction action, PostBulkTarget target, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await Eligible(db, action, target).CountAsync(cancellationToken);
    }

    public async Task<BulkRun> RunAsync(PostBulkAction action, PostBulkTarget target, IProgress<BulkProgress>? progress = null, CancellationToken cancellationToken = default, int batchSize = DefaultBatchSize)
    {
        int total = await PreviewAsync(action, target, cancellationToken);
        return await BulkRunner.RunAsync(factory, total, Plan(action, target, batchSize).Batch, progress, cancellationToken);
    }

    /// <summary>The batches of a run; a job (Features/Jobs) runs the same plan.</summary>
    public BulkPlan Plan(PostBulkAction action, PostBulkTarget target, int batchSize = DefaultBatchSize) => new(async (db, after) =>
    {
        var batch = await Eligible(db, action, target).Where(p => p.Id > after).OrderBy(p => p.Id).Take(batchSize).ToListAsync(CancellationToken.None);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        foreach (var post in batch)
        {
            Apply(action, post, now);
            db.SetAuditAction(post, "bulk_" + action.ToString().ToLowerInvariant());
        }

        await db.SaveChangesAsync(CancellationToken.None);
        return new BulkBatch(batch.Count, batch.Count > 0 ? batch[^1].Id : after, batch.Select(p => p.Id).ToList());
    });

    private static void Apply(PostBulkAction action, Post post, DateTime now)
    {
        switch (action)
        {
            case PostBulkAction.Publish:
                post.Status = PostStatus.Published;
                post.PublishedAt = now;
                break;
            case PostBulkAction.Unpublish:
                post.Status = PostStatus.Draft;
                post.PublishedAt = null;
                break;
            case PostBulkAction.Trash:
                post.DeletedAt = now;
                break;
            default:
                post.DeletedAt = null;
                break;
        }
    }

    private static IQueryable<Post> Eligible(PortalDbContext db, PostBulkAction action, PostBulkTarget target)
    {
        var query = target.SelectedIds is { } selected
            ? db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => SelectedIds(selected).Contains(p.Id))
            : PostQueries.Filter(db, target.Filter);
        return action switch
        {
            // Only live posts are published, unpublished or trashed; only trashed ones restored.
            PostBulkAction.Publish => query.Where(p => p.DeletedAt == null && p.Status != PostStatus.Published),
            PostBulkAction.Unpublish => query.Where(p => p.DeletedAt == null && p.Status != PostStatus.Draft),
            PostBulkAction.Trash => query.Where(p => p.DeletedAt == null),
            _ => query.Where(p => p.DeletedAt != null),
        };
    }

    private static List<long> SelectedIds(IReadOnlyCollection<string> ids) =>
        ids.Select(id => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : 0).Where(id => id != 0).ToList();
}

using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Posts;

/// <summary>A post as the editor edits it; <see cref="Version"/> is the one the form was loaded with.</summary>
public sealed class PostEdit
{
    public string Title { get; set; } = "";
    public string Slug { get; set; } = "";
    public string Content { get; set; } = "";
    public long Version { get; set; }

    /// <summary>A copy that later keystrokes cannot change while a save is on its way.</summary>
    public PostEdit Clone() => (PostEdit)MemberwiseClone();

    public bool SameTextAs(PostEdit other) => Title == other.Title && Slug == other.Slug && Content == other.Content;
}

/// <summary>
/// The editorial workflow: draft, save, publish now, schedule, unpublish, trash (with undo), restore and purge. Each
/// transition is one rule here, audited by the context; an illegal one gives a clear reason and changes nothing.
/// </summary>
public sealed class PostLifecycleService(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, TimeProvider clock)
{
    /// <summary>How long a trashed post can be brought back with Undo, exactly as it was.</summary>
    public static readonly TimeSpan UndoWindow = TimeSpan.FromSeconds(10);

    public async Task<(ChangeResult Result, string? Id)> CreateDraftAsync(long siteId, PostEdit edit, CancellationToken cancellationToken = default)
    {
        if (Validate(edit) is { } invalid)
        {
            return (invalid, null);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!await db.Sites.AnyAsync(s => s.Id == siteId, cancellationToken))
        {
            return (ChangeResult.Invalid("Site", "Choose one of your sites."), null);
        }

        var post = new Post { SiteId = siteId, AuthorId = tenant.Current.ActorUserId, Title = edit.Title.Trim(), Slug = SlugOf(edit), Content = edit.Content, Status = PostStatus.Draft };
        db.Posts.Add(post);
        var result = await SaveAsync(db, post, cancellationToken);
        return (result, result.Succeeded ? post.Id.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>
    /// Saves title, slug and content; a concurrent save is a conflict (with who and when), never an overwrite. On
    /// success <paramref name="edit"/>'s version is the saved one.
    /// </summary>
    public async Task<ChangeResult> SaveAsync(long id, PostEdit edit, CancellationToken cancellationToken = default)
    {
        if (Validate(edit) is { } invalid)
        {
            return invalid;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var post = await db.Posts.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (post is null)
        {
            return ChangeResult.Missing();
        }

        db.Entry(post).Property(p => p.Version).OriginalValue = edit.Version;
        post.Title = edit.Title.Trim();
        post.Slug = SlugOf(edit);
        post.Content = edit.Content;
        var result = await SaveAsync(db, post, cancellationToken);
        if (result.Succeeded)
        {
            edit.Version = post.Version; // so that the editor's next save is not a conflict with its own
        }

        return result;
    }

    /// <summary>
    /// "Leave without saving" after autosaves: puts back the post as it was when the editor opened it
    /// (<paramref name="opened"/>), or, for a draft this editing session created (<paramref name="opened"/> null),
    /// removes it again. Only while the row is still at <paramref name="sessionVersion"/>, the version this session last
    /// saved: a save by anyone else since is a conflict, never overwritten.
    /// </summary>
    public async Task<ChangeResult> DiscardSessionAsync(long id, PostEdit? opened, long sessionVersion, CancellationToken cancellationToken = default)
    {
        if (opened is not null && Validate(opened) is { } invalid)
        {
            return invalid;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var post = await db.Posts.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (post is null)
        {
            return ChangeResult.Missing();
        }

        db.Entry(post).Property(p => p.Version).OriginalValue = sessionVersion;
        if (opened is null)
        {
            if (post.Status != PostStatus.Draft)
            {
                return ChangeResult.Invalid("Action", "The post is no longer a draft: it stays.");
            }

            db.Posts.Remove(post);
            db.SetAuditAction(post, "discard_draft");
        }
        else
        {
            post.Title = opened.Title.Trim();
            post.Slug = SlugOf(opened);
            post.Content = opened.Content;
            db.SetAuditAction(post, "discard_changes");
        }

        return await SaveAsync(db, post, cancellationToken);
    }

    public Task<ChangeResult> PublishAsync(long id, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, "publish", post =>
        {
            if (post.Status == PostStatus.Published)
            {
                return "The post is already published.";
            }

            post.Status = PostStatus.Published;
            post.PublishedAt = Now;
            return null;
        }, cancellationToken);

    public Task<ChangeResult> ScheduleAsync(long id, DateTime publishAtUtc, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, "schedule", post =>
        {
            if (publishAtUtc.Kind != DateTimeKind.Utc || publishAtUtc <= Now)
            {
                return "Choose a time in the future to schedule the post.";
            }

            if (post.Status == PostStatus.Published)
            {
                return "The post is published: unpublish it first to schedule it.";
            }

            post.Status = PostStatus.Scheduled;
            post.PublishedAt = ToMicroseconds(publishAtUtc);
            return null;
        }, cancellationToken, field: "PublishAt");

    public Task<ChangeResult> UnpublishAsync(long id, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, "unpublish", post =>
        {
            if (post.Status == PostStatus.Draft)
            {
                return "The post is a draft already.";
            }

            post.Status = PostStatus.Draft;
            post.PublishedAt = null;
            return null;
        }, cancellationToken);

    /// <summary>Soft delete: the post leaves every list and count but Trash. Returns the token that Undo needs.</summary>
    public async Task<(ChangeResult Result, DateTime? DeletedAt)> TrashAsync(long id, CancellationToken cancellationToken = default)
    {
        DateTime deletedAt = Now;
        var result = await TransitionAsync(id, "trash", post =>
        {
            post.DeletedAt = deletedAt;
            return null;
        }, cancellationToken);
        return (result, result.Succeeded ? deletedAt : null);
    }

    /// <summary>Within <see cref="UndoWindow"/> of its own trash, and only if nothing touched it since: exactly as it was.</summary>
    public Task<ChangeResult> UndoTrashAsync(long id, DateTime deletedAt, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, "undo_trash", post =>
        {
            if (post.DeletedAt != deletedAt)
            {
                return "The post changed since it was trashed: restore it from the Trash instead.";
            }

            if (Now - deletedAt > UndoWindow)
            {
                return "Undo has expired: restore the post from the Trash.";
            }

            post.DeletedAt = null;
            return null;
        }, cancellationToken, inTrash: true);

    /// <summary>
    /// From the Trash back to the status it had. Slugs stay unique per site in the Trash too (the unique index covers
    /// trashed rows), so a restore never collides with a post created meanwhile.
    /// </summary>
    public Task<ChangeResult> RestoreAsync(long id, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, "restore", post =>
        {
            post.DeletedAt = null;
            return null;
        }, cancellationToken, inTrash: true);

    /// <summary>Permanent delete: customer or platform admins only, from the Trash only, confirmed by typing the title.</summary>
    public async Task<ChangeResult> PurgeAsync(long id, string typedConfirmation, CancellationToken cancellationToken = default)
    {
        await tenant.ResolveAsync();
        if (tenant.Current.Role is not (PortalRoles.CustomerAdmin or PortalRoles.PlatformAdmin))
        {
            return ChangeResult.Invalid("Action", "Only a customer admin can purge posts.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var post = await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (post is null)
        {
            return ChangeResult.Missing();
        }

        if (post.DeletedAt is null)
        {
            return ChangeResult.Invalid("Action", "Only a post in the Trash can be purged: trash it first.");
        }

        if (!string.Equals(typedConfirmation.Trim(), post.Title, StringComparison.Ordinal))
        {
            return ChangeResult.Invalid("Confirmation", "Type the post's title exactly to purge it.");
        }

        db.Posts.Remove(post);
        db.SetAuditAction(post, "purge");
        return await SaveAsync(db, post, cancellationToken);
    }

    // Whole microseconds: what PostgreSQL stores, so a time handed out (the Undo token) compares equal when read back.
    private DateTime Now => ToMicroseconds(clock.GetUtcNow().UtcDateTime);

    private static DateTime ToMicroseconds(DateTime utc) => new(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);

    private async Task<ChangeResult> TransitionAsync(long id, string action, Func<Post, string?> rule, CancellationToken cancellationToken, bool inTrash = false, string field = "Action")
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var post = await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (post is null)
        {
            return ChangeResult.Missing();
        }

        if (inTrash != (post.DeletedAt is not null))
        {
            return ChangeResult.Invalid("Action", inTrash ? "The post is not in the Trash." : "The post is in the Trash: restore it first.");
        }

        if (rule(post) is { } reason)
        {
            return ChangeResult.Invalid(field, reason);
        }

        db.SetAuditAction(post, action);
        return await SaveAsync(db, post, cancellationToken);
    }

    private async Task<ChangeResult> SaveAsync(PortalDbContext db, Post post, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return ChangeResult.Ok();
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await factory.CreateDbContextAsync(cancellationToken);
            var last = await fresh.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(Post) && a.EntityId == post.Id)
                .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).FirstOrDefaultAsync(cancellationToken);
            string who = last is null ? "Someone else" : $"{last.Actor} ({last.Action.Replace('_', ' ')}, {AdminPortal.App.Components.Shared.ViewerTimeZone.Current.Format(last.At, "yyyy-MM-dd HH:mm:ss")})";
            return new ChangeResult(false, [], $"{who} saved this post after you opened it. Reload to see their version; nothing of yours was saved.");
        }
        catch (DbUpdateException)
        {
            if (await SlugTakenAsync(post, cancellationToken))
            {
                return ChangeResult.Invalid(nameof(PostEdit.Slug), $"Another post of this site already uses the slug '{post.Slug}'. Choose another.");
            }

            throw;
        }
    }

    private async Task<bool> SlugTakenAsync(Post post, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AnyAsync(p => p.SiteId == post.SiteId && p.Slug == post.Slug && p.Id != post.Id, cancellationToken);
    }

    private static string SlugOf(PostEdit edit) => string.IsNullOrWhiteSpace(edit.Slug) ? PostMarkdown.Slugify(edit.Title) : edit.Slug.Trim();

    /// <summary>Every limit is checked before anything touches the database: an oversized field saves nothing.</summary>
    private static ChangeResult? Validate(PostEdit edit)
    {
        var errors = new Dictionary<string, string>();
        string title = edit.Title.Trim();
        if (title.Length > Post.MaxTitleLength)
        {
            errors[nameof(PostEdit.Title)] = TextLimits.Message("A title", Post.MaxTitleLength, title.Length);
        }

        if (edit.Slug.Trim().Length > Post.MaxSlugLength)
        {
            errors[nameof(PostEdit.Slug)] = TextLimits.Message("A slug", Post.MaxSlugLength, edit.Slug.Trim().Length);
        }

        if (edit.Content.Length > Post.MaxContentLength)
        {
            errors[nameof(PostEdit.Content)] = TextLimits.Message("The content", Post.MaxContentLength, edit.Content.Length);
        }

        if (errors.Count > 0)
        {
            return new ChangeResult(false, errors);
        }

        if (title.Length == 0)
        {
            return ChangeResult.Invalid(nameof(PostEdit.Title), "Enter a title.");
        }

        return !string.IsNullOrWhiteSpace(edit.Slug) && !PostMarkdown.IsValidSlug(edit.Slug.Trim())
            ? ChangeResult.Invalid(nameof(PostEdit.Slug), "A slug has lower-case letters, digits and single hyphens, like 'quarterly-results-2026'.")
            : null;
    }
}

/// <summary>
/// Publishes scheduled posts when they fall due, with published_at kept at the scheduled time, not the time the job
/// ran. Runs after a restart from the database's state, so nothing is missed; two runs at once publish each post
/// once (the second one's save meets a changed version and drops the post).
/// </summary>
public sealed class ScheduledPostPublisher(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<ScheduledPostPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Posts:PublisherInterval", TimeSpan.FromSeconds(15));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "Publishing scheduled posts failed; it runs again in {Interval}.", interval);
            }

            await Task.Delay(interval, stoppingToken);
        }
    }

    /// <returns>How many posts this run published.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("post-publisher"));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var reader = await factory.CreateDbContextAsync(cancellationToken);
        var due = await reader.Posts.AsNoTracking().Where(p => p.Status == PostStatus.Scheduled && p.PublishedAt <= now)
            .OrderBy(p => p.PublishedAt).Select(p => p.Id).Take(500).ToListAsync(cancellationToken);
        int published = 0;
        foreach (long id in due)
        {
            // One post, one save: a conflict with a concurrent run (or an editor) affects only that post.
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var post = await db.Posts.FirstOrDefaultAsync(p => p.Id == id && p.Status == PostStatus.Scheduled && p.PublishedAt <= now, cancellationToken);
            if (post is null)
            {
                continue;
            }

            post.Status = PostStatus.Published; // published_at stays the scheduled time
            db.SetAuditAction(post, "publish_scheduled");
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                published++;
            }
            catch (DbUpdateConcurrencyException)
            {
                // Someone else changed or published it first.
            }
        }

        return published;
    }
}

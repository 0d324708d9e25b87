using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The editorial workflow's rules, on both databases.</summary>
public class PostLifecycleTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTime start) : TimeProvider
    {
        public DateTime Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    private static async Task<(long Site, long Customer)> SiteAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var site = await context.Db.Sites.OrderBy(s => s.Name).FirstAsync();
        return (site.Id, site.CustomerId);
    }

    private static PostLifecycleService Service(AsyncServiceScope scope, TimeProvider clock) =>
        new(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), scope.ServiceProvider.GetRequiredService<TenantContext>(), clock);

    private static async Task<Post> PostAsync(TestDatabase database, long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AsNoTracking().SingleAsync(p => p.Id == id);
    }

    [Theory, BothProviders]
    public async Task Lifecycle_EveryTransition_DoesWhatItSaysAndRefusesWhatItShouldNot(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        var clock = new ManualClock(DateTime.UtcNow);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "editor@contoso.example", PortalRoles.Editor, site));
        var posts = Service(scope, clock);

        var (created, idText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Hello, Wörld!", Content = "# Hi" });
        Assert.True(created.Succeeded);
        long id = long.Parse(idText!);
        var draft = await PostAsync(database, id);
        Assert.Equal(("hello-world", PostStatus.Draft, (DateTime?)null), (draft.Slug, draft.Status, draft.PublishedAt));

        // Schedule: never in the past; then unpublish back to draft.
        Assert.Contains("future", (await posts.ScheduleAsync(id, clock.Now.AddMinutes(-1))).Errors["PublishAt"]);
        DateTime at = new(clock.Now.AddHours(2).Ticks / 10 * 10, DateTimeKind.Utc);
        Assert.True((await posts.ScheduleAsync(id, at)).Succeeded);
        Assert.Equal((PostStatus.Scheduled, at), ((await PostAsync(database, id)).Status, (await PostAsync(database, id)).PublishedAt!.Value));
        Assert.True((await posts.UnpublishAsync(id)).Succeeded);
        Assert.Equal((PostStatus.Draft, (DateTime?)null), ((await PostAsync(database, id)).Status, (await PostAsync(database, id)).PublishedAt));
        Assert.False((await posts.UnpublishAsync(id)).Succeeded);

        // Publish now.
        Assert.True((await posts.PublishAsync(id)).Succeeded);
        var published = await PostAsync(database, id);
        Assert.Equal(PostStatus.Published, published.Status);
        Assert.Equal(clock.Now, published.PublishedAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.False((await posts.PublishAsync(id)).Succeeded);

        // Trash: out of every list but the Trash; a trashed post cannot be published or unpublished; purge needs the Trash and an admin.
        var (trashed, deletedAt) = await posts.TrashAsync(id);
        Assert.True(trashed.Succeeded);
        Assert.Contains("in the Trash", (await posts.PublishAsync(id)).Errors["Action"]);
        Assert.Contains("in the Trash", (await posts.UnpublishAsync(id)).Errors["Action"]);
        Assert.Contains("Only a customer admin", (await posts.PurgeAsync(id, published.Title)).Errors["Action"]);
        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(customer)))
        {
            Assert.False(await context.Db.Posts.AnyAsync(p => p.Id == id));
        }

        // Undo within the window restores exactly what was there; after it, only Restore works.
        clock.Now = clock.Now.AddSeconds(5);
        Assert.True((await posts.UndoTrashAsync(id, deletedAt!.Value)).Succeeded);
        var restored = await PostAsync(database, id);
        Assert.Equal((PostStatus.Published, published.PublishedAt, published.Slug, (DateTime?)null), (restored.Status, restored.PublishedAt, restored.Slug, restored.DeletedAt));
        var (_, again) = await posts.TrashAsync(id);
        clock.Now = clock.Now.AddSeconds(30);
        Assert.Contains("expired", (await posts.UndoTrashAsync(id, again!.Value)).Errors["Action"]);
        Assert.True((await posts.RestoreAsync(id)).Succeeded);
        Assert.Equal(PostStatus.Published, (await PostAsync(database, id)).Status);
        Assert.Contains("not in the Trash", (await posts.RestoreAsync(id)).Errors["Action"]);

        await using var context2 = await database.ContextAsync(TenantScope.System());
        foreach (string action in new[] { "created", "schedule", "unpublish", "publish", "trash", "undo_trash", "restore" })
        {
            Assert.True(await context2.Db.AuditLog.AnyAsync(a => a.EntityId == id && a.Action == action), $"no audit entry for {action}");
        }
    }

    [Theory, BothProviders]
    public async Task Purge_ByACustomerAdmin_NeedsTheTrashAndTheTypedTitle(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        var clock = new ManualClock(DateTime.UtcNow);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "admin@contoso.example", PortalRoles.CustomerAdmin));
        var posts = Service(scope, clock);
        var (_, idText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "To be purged" });
        long id = long.Parse(idText!);

        Assert.Contains("trash it first", (await posts.PurgeAsync(id, "To be purged")).Errors["Action"]);
        await posts.TrashAsync(id);
        Assert.True((await posts.PurgeAsync(id, "to be purged")).Errors.ContainsKey("Confirmation"));
        Assert.True((await posts.PurgeAsync(id, "To be purged")).Succeeded);

        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.False(await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AnyAsync(p => p.Id == id));
        Assert.True(await context.Db.AuditLog.AnyAsync(a => a.EntityId == id && a.Action == "purge"));
    }

    [Theory, BothProviders]
    public async Task Save_SlugClashOrConcurrentEdit_IsAClearErrorAndNothingIsOverwritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        var clock = new ManualClock(DateTime.UtcNow);
        await using var mine = database.Scope(TenantScope.ForCustomer(customer, "me@contoso.example"));
        await using var theirs = database.Scope(TenantScope.ForCustomer(customer, "them@contoso.example"));
        var (_, firstId) = await Service(mine, clock).CreateDraftAsync(site, new PostEdit { Title = "First" });
        var (_, secondId) = await Service(mine, clock).CreateDraftAsync(site, new PostEdit { Title = "Second" });
        var second = await PostAsync(database, long.Parse(secondId!));

        var clash = await Service(mine, clock).SaveAsync(second.Id, new PostEdit { Title = "Second", Slug = "first", Version = second.Version });
        Assert.Contains("already uses the slug 'first'", clash.Errors["Slug"]);

        Assert.True((await Service(theirs, clock).SaveAsync(second.Id, new PostEdit { Title = "Their title", Content = "theirs", Version = second.Version })).Succeeded);
        var stale = await Service(mine, clock).SaveAsync(second.Id, new PostEdit { Title = "My title", Content = "mine", Version = second.Version });

        Assert.Contains("them@contoso.example", stale.Conflict);
        var kept = await PostAsync(database, second.Id);
        Assert.Equal(("Their title", "theirs"), (kept.Title, kept.Content));
        Assert.Equal("first", (await PostAsync(database, long.Parse(firstId!))).Slug);
    }

    [Theory, BothProviders]
    public async Task Publisher_TwoRunsAtOnce_PublishEachDuePostOnceAtItsScheduledTime(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        var clock = new ManualClock(DateTime.UtcNow);
        var ids = new List<long>();
        await using (var scope = database.Scope(TenantScope.ForCustomer(customer)))
        {
            for (int i = 0; i < 6; i++)
            {
                var (_, id) = await Service(scope, clock).CreateDraftAsync(site, new PostEdit { Title = $"Scheduled {i}" });
                Assert.True((await Service(scope, clock).ScheduleAsync(long.Parse(id!), clock.Now.AddMinutes(i + 1))).Succeeded);
                ids.Add(long.Parse(id!));
            }
        }

        var expected = new Dictionary<long, DateTime>();
        foreach (long id in ids)
        {
            expected[id] = (await PostAsync(database, id)).PublishedAt!.Value;
        }

        // The job wakes long after the posts fell due (say, after a restart): they still carry their own times.
        clock.Now = clock.Now.AddMinutes(30);
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var config = new ConfigurationBuilder().Build();
        var first = new ScheduledPostPublisher(scopes, clock, config, NullLogger<ScheduledPostPublisher>.Instance);
        var second = new ScheduledPostPublisher(scopes, clock, config, NullLogger<ScheduledPostPublisher>.Instance);
        int[] counts = await Task.WhenAll(first.RunOnceAsync(), second.RunOnceAsync());

        await using var context = await database.ContextAsync(TenantScope.System());
        var seededDue = await context.Db.AuditLog.CountAsync(a => a.Action == "publish_scheduled");
        Assert.Equal(seededDue, counts.Sum());
        foreach (long id in ids)
        {
            var post = await PostAsync(database, id);
            Assert.Equal(PostStatus.Published, post.Status);
            Assert.Equal(expected[id], post.PublishedAt!.Value);
            Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == "publish_scheduled"));
        }

        Assert.Equal(0, await first.RunOnceAsync());
    }

    [Theory]
    [InlineData("<script>alert(1)</script>", "<script")]
    [InlineData("<img src=x onerror=alert(1)>", "onerror")]
    [InlineData("[click](javascript:alert(1))", "javascript:")]
    [InlineData("<a href=\"#\" onclick=\"steal()\">x</a>", "onclick")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>", "<iframe")]
    public void Markdown_HostileContent_IsRenderedWithoutAnythingExecutable(string markdown, string forbidden)
    {
        string html = PostMarkdown.ToSafeHtml("# Title\n\n" + markdown);

        Assert.Contains("<h1", html);
        Assert.DoesNotContain(forbidden, html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory, BothProviders]
    public async Task DiscardSession_AfterAutosaves_PutsBackThePostAsOpenedAndIsAudited(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "editor@contoso.example", PortalRoles.Editor, site));
        var posts = Service(scope, TimeProvider.System);
        var (_, idText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Opened title", Content = "Opened **content**" });
        long id = long.Parse(idText!);
        var opened = await PostAsync(database, id);
        var session = new PostEdit { Title = opened.Title, Slug = opened.Slug, Content = opened.Content, Version = opened.Version };
        var start = session.Clone();

        // Two autosaves of this editing session.
        session.Content = "Autosaved once";
        Assert.True((await posts.SaveAsync(id, session)).Succeeded);
        session.Title = "Autosaved <script>alert(1)</script> title";
        session.Content = new string('x', Post.MaxContentLength);
        Assert.True((await posts.SaveAsync(id, session)).Succeeded);

        var discarded = await posts.DiscardSessionAsync(id, start, session.Version);

        Assert.True(discarded.Succeeded);
        var after = await PostAsync(database, id);
        Assert.Equal((opened.Title, opened.Slug, opened.Content, PostStatus.Draft), (after.Title, after.Slug, after.Content, after.Status));
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == "discard_changes"));
    }

    [Theory, BothProviders]
    public async Task DiscardSession_SomeoneElseSavedMeanwhile_IsAConflictAndOverwritesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "editor@contoso.example", PortalRoles.Editor, site));
        var posts = Service(scope, TimeProvider.System);
        var (_, idText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Shared", Content = "Start" });
        long id = long.Parse(idText!);
        var opened = await PostAsync(database, id);
        var mine = new PostEdit { Title = opened.Title, Slug = opened.Slug, Content = "Mine, autosaved", Version = opened.Version };
        var start = new PostEdit { Title = opened.Title, Slug = opened.Slug, Content = opened.Content, Version = opened.Version };
        Assert.True((await posts.SaveAsync(id, mine)).Succeeded);
        var theirs = new PostEdit { Title = "Shared", Slug = opened.Slug, Content = "Theirs, saved later", Version = mine.Version };
        Assert.True((await posts.SaveAsync(id, theirs)).Succeeded);

        var discarded = await posts.DiscardSessionAsync(id, start, mine.Version);

        Assert.False(discarded.Succeeded);
        Assert.NotNull(discarded.Conflict);
        Assert.Equal("Theirs, saved later", (await PostAsync(database, id)).Content);
    }

    [Theory, BothProviders]
    public async Task DiscardSession_OfADraftThisSessionCreated_RemovesIt_ButNeverAPublishedPostOrAnotherTenants(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (site, customer) = await SiteAsync(database);
        long foreign;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            foreign = await context.Db.Posts.Where(p => p.Site!.CustomerId != customer).Select(p => p.Id).FirstAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "editor@contoso.example", PortalRoles.Editor, site));
        var posts = Service(scope, TimeProvider.System);
        var (_, idText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Autosaved new post", Content = "" });
        long id = long.Parse(idText!);
        long version = (await PostAsync(database, id)).Version;

        Assert.True((await posts.DiscardSessionAsync(id, null, version)).Succeeded);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.False(await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AnyAsync(p => p.Id == id));
            Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == "discard_draft"));
        }

        var (_, publishedText) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Published meanwhile", Content = "" });
        long published = long.Parse(publishedText!);
        Assert.True((await posts.PublishAsync(published)).Succeeded);
        var refused = await posts.DiscardSessionAsync(published, null, (await PostAsync(database, published)).Version);
        Assert.Equal("The post is no longer a draft: it stays.", refused.Errors["Action"]);
        Assert.Equal(PostStatus.Published, (await PostAsync(database, published)).Status);

        // Another tenant's post id: not found, and untouched.
        var foreignBefore = await PostAsync(database, foreign);
        Assert.True((await posts.DiscardSessionAsync(foreign, null, foreignBefore.Version)).NotFound);
        Assert.True((await posts.DiscardSessionAsync(foreign, new PostEdit { Title = "Hijacked", Content = "x" }, foreignBefore.Version)).NotFound);
        var foreignAfter = await PostAsync(database, foreign);
        Assert.Equal((foreignBefore.Title, foreignBefore.Content, foreignBefore.Version), (foreignAfter.Title, foreignAfter.Content, foreignAfter.Version));
    }
}

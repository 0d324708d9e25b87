using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MudBlazor;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>
/// The posts grid's rows are one markup frame each, checkbox included, with one <c>@onrowselect</c> on the table body
/// (RowSelect): they must read and select as the MudBlazor components did, take hostile titles as text, and take from
/// the browser only the ids of rows on screen.
/// </summary>
public sealed class PostsRowMarkupTests : PostsGridContext
{
    private readonly FailingLogs logs = new();
    private volatile bool databaseGone;

    protected override void AddServices()
    {
        // The grid's reads can be made to fail (databaseGone), and the logging too (FailingLogs).
        Services.AddScoped(provider => new PostQueries(new Failable(provider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), () => databaseGone)));
        Services.AddSingleton<ILoggerFactory>(LoggerFactory.Create(logging => logging.AddProvider(logs)));
    }

    private IRenderedComponent<PostsPage> RenderGrid(string address = "/posts")
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        var grid = Render<PostsPage>();
        grid.WaitForAssertion(() => Assert.True(grid.FindAll("tr[data-post-id]").Count > 0, grid.Markup), TimeSpan.FromSeconds(10));
        return grid;
    }

    [Fact]
    public async Task Grid_Rows_AreMarkupWithTheSameLabels_AndSelectionStillWorks()
    {
        var grid = RenderGrid();
        int onScreen = grid.FindAll("tr[data-post-id]").Count;
        long id = long.Parse(grid.Find("tr[data-post-id]").GetAttribute("data-post-id")!);
        var first = await Database.QueryFirstPostAsync(id);

        // No component per row: on main each row held the checkbox's closures, and the cells were about 60 frames.
        Assert.Empty(grid.FindComponents<MudCheckBox<bool>>());
        Assert.Empty(grid.FindComponents<MudLink>());
        Assert.Empty(grid.FindComponents<MudChip<string>>());
        Assert.Empty(grid.FindComponents<RelativeTime>());
        var row = grid.Find($"tr[data-post-id='{first.Id}']");
        var cells = row.QuerySelectorAll("td");
        Assert.Equal(7, cells.Length);
        var box = cells[0].QuerySelector("input[type=checkbox]")!;
        Assert.Equal($"Select {first.Title}", box.GetAttribute("aria-label"));
        Assert.Equal(first.Id.ToString(), box.GetAttribute("data-row-select"));
        Assert.False(box.HasAttribute("disabled"));
        Assert.Equal("0", box.GetAttribute("tabindex"));
        var link = cells[1].QuerySelector("a")!;
        Assert.Equal($"/posts/{first.Id}", link.GetAttribute("href"));
        Assert.Equal(first.Title, link.TextContent);
        Assert.Equal("mud-typography mud-link mud-primary-text mud-link-underline-hover", link.ClassName);
        Assert.Equal(first.Site, cells[2].TextContent);
        Assert.Equal(first.Author ?? "—", cells[3].TextContent);
        Assert.Equal(first.Status.ToString(), cells[4].QuerySelector(".mud-chip .mud-chip-content")!.TextContent);
        Assert.Contains($"mud-chip-color-{PostsPage.StatusColor(first.Status).ToString().ToLowerInvariant()}", cells[4].QuerySelector(".mud-chip")!.ClassName);
        Assert.Equal("—", cells[5].TextContent);
        Assert.NotNull(cells[6].QuerySelector("span.relative-time[title] span.absolute-time"));

        await box.CheckRowAsync(true);

        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Find("[data-testid=bulk-bar]").TextContent));
        Assert.True(grid.Find($"tr[data-post-id='{first.Id}'] input[type=checkbox]").HasAttribute("checked"));
        Assert.Contains("mud-checkbox-true", grid.Find($"tr[data-post-id='{first.Id}'] .mud-checkbox-dense").ClassName);
        grid.Find("input[aria-label='Select this page']").Change(true);
        grid.WaitForAssertion(() => Assert.Contains($"Selected ({onScreen})", grid.Find("[data-testid=bulk-bar]").TextContent));
        await grid.Find($"tr[data-post-id='{first.Id}'] input[type=checkbox]").CheckRowAsync(false);
        grid.WaitForAssertion(() => Assert.Contains($"Selected ({onScreen - 1})", grid.Find("[data-testid=bulk-bar]").TextContent));
        Assert.False(grid.Find($"tr[data-post-id='{first.Id}'] input[type=checkbox]").HasAttribute("checked"));
    }

    [Fact]
    public async Task Grid_RowSelect_FromATamperedBrowser_SelectsOnlyRowsOnScreen()
    {
        long otherTenantsPost, offScreenPost;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            otherTenantsPost = await context.Db.Posts.Where(p => p.Site!.CustomerId != Contoso && p.Status == PostStatus.Draft).Select(p => p.Id).FirstAsync();
            offScreenPost = await context.Db.Posts.Where(p => p.Site!.CustomerId == Contoso && p.Status == PostStatus.Published).Select(p => p.Id).FirstAsync();
        }

        var grid = RenderGrid();
        var body = grid.Find("tbody");

        // What a tampered client could send instead of a row's id: another tenant's draft, this tenant's post on
        // another tab, script, 5,000 characters, an empty id, none at all.
        foreach (string? id in new[] { otherTenantsPost.ToString(), offScreenPost.ToString(), "<script>alert(1)</script>", new string('9', 5000), "", null })
        {
            await body.TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = id, Checked = true });
        }

        Assert.Empty(grid.FindAll("[data-testid=bulk-bar]"));
        Assert.DoesNotContain("Selected (", grid.Markup);
        Assert.Empty(grid.FindAll("tbody input[type=checkbox][checked]"));
        // The first real one counts.
        string onScreen = grid.Find("tr[data-post-id]").GetAttribute("data-post-id")!;
        await body.TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = onScreen, Checked = true });
        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Find("[data-testid=bulk-bar]").TextContent));
        Assert.Single(grid.FindAll("tbody input[type=checkbox][checked]"));
    }

    [Fact]
    public async Task Grid_InsideAReadOnlyViewAs_BoxesAreDisabled_AndARowSelectChangesNothing()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts");
        var frame = this.RenderReadOnly<PostsPage>();
        frame.WaitForAssertion(() => Assert.NotEmpty(frame.FindAll("tr[data-post-id]")), TimeSpan.FromSeconds(10));
        int rows = frame.FindAll("tr[data-post-id]").Count;
        var boxes = frame.FindAll("table input[type=checkbox]");
        Assert.Equal(rows + 1, boxes.Count);
        Assert.All(boxes, box => Assert.True(box.HasAttribute("disabled")));
        Assert.All(boxes, box => Assert.Equal("-1", box.GetAttribute("tabindex")));
        string onScreen = frame.Find("tr[data-post-id]").GetAttribute("data-post-id")!;

        await frame.Find("tbody").TriggerEventAsync("onrowselect", new RowSelectEventArgs { Id = onScreen, Checked = true });

        Assert.Empty(frame.FindAll("tbody input[type=checkbox][checked]"));
        Assert.DoesNotContain("Selected (", frame.Markup);
    }

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("\"><script>alert(2)</script>")]
    [InlineData("' onmouseover='alert(3)' & <b>bold</b> &amp;")]
    public async Task Grid_HostileTitleSiteAndAuthor_RenderAsTextInTheRowsMarkup(string hostile)
    {
        long postId;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            var site = new AdminPortal.App.Features.Sites.Site { CustomerId = Contoso, Name = "Site " + hostile, Domain = "hostile.contoso.example" };
            context.Db.Sites.Add(site);
            await context.Db.SaveChangesAsync();
            var author = new AdminPortal.App.Features.Users.User { CustomerId = Contoso, SiteId = site.Id, Email = "hostile@contoso.example", DisplayName = "Author " + hostile };
            context.Db.Users.Add(author);
            await context.Db.SaveChangesAsync();
            var post = new Post { SiteId = site.Id, AuthorId = author.Id, Title = hostile, Slug = "hostile-title", Content = "Body", Status = PostStatus.Published, PublishedAt = DateTime.UtcNow.AddHours(-2) };
            context.Db.Posts.Add(post);
            await context.Db.SaveChangesAsync();
            postId = post.Id;
        }

        var grid = RenderGrid($"/posts?tab=Published&q={Uri.EscapeDataString(hostile)}");

        var row = grid.Find($"tr[data-post-id='{postId}']");
        Assert.Empty(grid.FindAll("tbody img, tbody script, tbody b, tbody [onerror], tbody [onmouseover]"));
        var cells = row.QuerySelectorAll("td");
        Assert.Equal(7, cells.Length);
        Assert.Equal(hostile, cells[1].QuerySelector("a.mud-link")!.TextContent);
        Assert.Equal($"/posts/{postId}", cells[1].QuerySelector("a.mud-link")!.GetAttribute("href"));
        Assert.Equal("Select " + hostile, cells[0].QuerySelector("input[type=checkbox]")!.GetAttribute("aria-label"));
        Assert.Equal("Site " + hostile, cells[2].TextContent);
        Assert.Equal("Author " + hostile, cells[3].TextContent);
        Assert.Equal("Published", cells[4].TextContent);

        // And it selects like any other row.
        await cells[0].QuerySelector("input[type=checkbox]")!.CheckRowAsync(true);
        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Find("[data-testid=bulk-bar]").TextContent));
    }

    // Nobody awaits the reload a change notice starts: a failure that escaped it (here, a log sink that throws while
    // the failed load is being logged) vanished with the discarded task, and the page went on showing stale rows.
    [Fact]
    public async Task Grid_AReloadOnAChangeThatThrows_ReachesTheErrorBoundary()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts");
        var boundary = Render<ErrorBoundary>(parameters => parameters
            .Add(b => b.ErrorContent, _ => builder => builder.AddMarkupContent(0, "<p data-testid=boundary>Something went wrong.</p>"))
            .AddChildContent<PostsPage>());
        boundary.WaitForAssertion(() => Assert.NotEmpty(boundary.FindAll("tr[data-post-id]")), TimeSpan.FromSeconds(10));
        Assert.Empty(boundary.FindAll("[data-testid=boundary]"));

        databaseGone = true;
        logs.Failing = true;
        await Services.GetRequiredService<IChangeFeed>().PublishAsync(Change.PostsChanged([1], "Published"));

        boundary.WaitForAssertion(() => Assert.Single(boundary.FindAll("[data-testid=boundary]")), TimeSpan.FromSeconds(5));
    }

    private sealed class Failable(IDbContextFactory<PortalDbContext> real, Func<bool> gone) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => gone() ? throw new InvalidOperationException("The database went away.") : real.CreateDbContext();

        public Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            gone() ? throw new InvalidOperationException("The database went away.") : real.CreateDbContextAsync(cancellationToken);
    }

    /// <summary>A log sink that fails every error it is given once told to (a logger throws what its sinks threw).</summary>
    private sealed class FailingLogs : ILoggerProvider, ILogger
    {
        public volatile bool Failing;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Failing && logLevel >= LogLevel.Error)
            {
                throw new IOException("The log sink is full.");
            }
        }

        public void Dispose()
        {
        }
    }
}

internal static class PostsRowMarkupQueries
{
    /// <summary>What the grid's row should show for one post, read straight from the database.</summary>
    public static async Task<(long Id, string Title, string Site, string? Author, PostStatus Status)> QueryFirstPostAsync(this TestDatabase database, long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var post = await context.Db.Posts.Where(p => p.Id == id)
            .Select(p => new { p.Id, p.Title, Site = p.Site!.Name, Author = p.Author == null ? null : p.Author.DisplayName, p.Status }).SingleAsync();
        return (post.Id, post.Title, post.Site, post.Author, post.Status);
    }
}

using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.Tests.Grid;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The posts grid's page turn: every test of <see cref="GridPageTurnTests{TPage}"/>, on the Drafts tab.</summary>
public sealed class PostsPageTurnTests : GridPageTurnTests<PostsPageTurnTests.Counted>
{
    public sealed class Counted : PostsPage, ICountsRenders
    {
        public int Renders { get; private set; }

        protected override void OnAfterRender(bool firstRender) => Renders++;
    }

    protected override string Url => "/posts";

    protected override string RowIdAttribute => "data-post-id";

    protected override void AddPageServices(Func<IServiceProvider, IDbContextFactory<PortalDbContext>> held)
    {
        // Both of the page's calls (the tab counts and the page) wait at the held factory.
        Services.AddScoped(provider => new PostQueries(held(provider)));
        Services.AddScoped<PostBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
    }

    protected override void AddRows(PortalDbContext db, long customer, long site)
    {
        for (int i = 0; i < 3 * App.Grid.GridPage.DefaultSize; i++)
        {
            db.Posts.Add(new Post { SiteId = site, Title = $"Page turn draft {i:D2}", Slug = $"page-turn-draft-{i}", Content = "Body" });
        }
    }
}

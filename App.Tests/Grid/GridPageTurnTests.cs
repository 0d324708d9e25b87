using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Reports;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// A grid page's page turn (QuietGridLoad), with real MudBlazor over a seeded SQLite database: the page's data calls
/// go through a factory behind a wait, so that a call is truly asynchronous as on PostgreSQL, and its spinner's timer
/// runs on a manual clock. Each grid page that shares the load derives a class and runs every test here.
/// </summary>
/// <typeparam name="TPage">The page, as a subclass that counts its own renders.</typeparam>
public abstract class GridPageTurnTests<TPage> : BunitContext, IAsyncLifetime where TPage : IComponent, ICountsRenders
{
    private TestDatabase database = null!;
    private Func<Task>? beforeCall;
    protected readonly ManualClock Clock = new(DateTimeOffset.UtcNow);

    /// <summary>The page's address, without a query.</summary>
    protected abstract string Url { get; }

    /// <summary>The attribute that carries a row's id on its <c>tr</c>, e.g. <c>data-post-id</c>.</summary>
    protected abstract string RowIdAttribute { get; }

    /// <summary>Registers the page's services; <paramref name="held"/> gives the factory its data calls must use.</summary>
    protected abstract void AddPageServices(Func<IServiceProvider, IDbContextFactory<PortalDbContext>> held);

    /// <summary>Adds rows enough for three pages to the customer's grid.</summary>
    protected abstract void AddRows(PortalDbContext db, long customer, long site);

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            long site = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            AddRows(context.Db, contoso, site);
            await context.Db.SaveChangesAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton<TimeProvider>(Clock);
        AddPageServices(provider => new HeldFactory(provider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), this));
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Customer admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>The portal's factory, behind a wait: a call that opens a context is truly asynchronous, as on PostgreSQL.</summary>
    private sealed class HeldFactory(IDbContextFactory<PortalDbContext> real, GridPageTurnTests<TPage> test) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => real.CreateDbContext();

        public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
        {
            if (test.beforeCall is { } before)
            {
                await before();
            }

            return await real.CreateDbContextAsync(cancellationToken);
        }
    }

    /// <summary>From now on every data call waits at the database until <c>Release</c>; <c>Reached</c> says one is waiting.</summary>
    private (Task Reached, TaskCompletionSource Release) HoldCalls()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        beforeCall = () =>
        {
            reached.TrySetResult();
            return release.Task;
        };
        return (reached.Task, release);
    }

    private IRenderedComponent<TPage> RenderFirstPage()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(Url);
        var page = Render<TPage>();
        page.WaitForAssertion(() => Assert.Equal(GridPage.DefaultSize, RowIds(page).Count), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("could not be loaded", page.Markup);
        return page;
    }

    private List<string?> RowIds(IRenderedComponent<TPage> page) =>
        page.FindAll($"tr[{RowIdAttribute}]").Select(r => r.GetAttribute(RowIdAttribute)).ToList();

    private Task Click(IRenderedComponent<TPage> page, string pagerButton) => page.FollowLinkAsync(this, pagerButton);

    [Fact]
    public async Task PageTurn_CallEndsWithinTheDelay_KeepsTheRowsMeanwhileAndRendersOnce()
    {
        var page = RenderFirstPage();
        var firstPage = RowIds(page);
        var (reached, release) = HoldCalls();
        int batches = page.RenderCount;
        int renders = page.Instance.Renders;

        await Click(page, "Next page");
        await reached.WaitAsync(TimeSpan.FromSeconds(10));

        // In flight, within the delay: nothing rendered, the page nor anything in it; the first page stays, without a
        // spinner. Then one render of the page with the new rows (its MudBlazor children may render again on their own).
        Assert.Equal(batches, page.RenderCount);
        Assert.Equal(firstPage, RowIds(page));
        Assert.Empty(page.FindAll("[aria-label=Loading]"));
        release.SetResult();
        page.WaitForAssertion(() => Assert.Empty(RowIds(page).Intersect(firstPage)), TimeSpan.FromSeconds(10));
        Assert.Equal(renders + 1, page.Instance.Renders);
        Assert.Empty(page.FindAll("[aria-label=Loading]"));
    }

    [Fact]
    public async Task PageTurn_CallStillRunningAfterTheDelay_ShowsTheSpinnerNextToTheOldRowsUntilTheNewOnes()
    {
        var page = RenderFirstPage();
        var firstPage = RowIds(page);
        var (reached, release) = HoldCalls();

        await Click(page, "Next page");
        await reached.WaitAsync(TimeSpan.FromSeconds(10));
        Clock.Advance(QuietGridLoad.IndicatorDelay - TimeSpan.FromMilliseconds(1));
        Assert.Empty(page.FindAll("[aria-label=Loading]"));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[aria-label=Loading]")), TimeSpan.FromSeconds(10));
        Assert.Equal(firstPage, RowIds(page));
        release.SetResult();
        page.WaitForAssertion(() => Assert.Empty(RowIds(page).Intersect(firstPage)), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[aria-label=Loading]"));
    }

    [Fact]
    public async Task PageTurn_CallFails_SaysSoKeepsTheRowsAndTheNextTurnWorks()
    {
        var page = RenderFirstPage();
        var firstPage = RowIds(page);
        beforeCall = () => throw new InvalidOperationException("<b>connection to 10.0.0.7 refused</b>");

        await Click(page, "Next page");

        // The page's own message, never the error's text; the rows it had stay, and so does the pager.
        page.WaitForAssertion(() => Assert.Contains("could not be loaded. The error has been logged.", page.Markup), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("10.0.0.7", page.Markup);
        Assert.Equal(firstPage, RowIds(page));
        Assert.Empty(page.FindAll("[aria-label=Loading]"));

        // The database answers again: the next turn shows its rows and the message goes.
        beforeCall = null;
        await Click(page, "Last page");
        page.WaitForAssertion(() => Assert.NotEqual(firstPage, RowIds(page)), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("could not be loaded", page.Markup);
        Assert.Equal(GridPage.DefaultSize, RowIds(page).Count);
    }

    public static TheoryData<string, string> TamperedCursors => new()
    {
        { "after", "<script>alert(1)</script>" },
        { "before", "\"><img src=x onerror=alert(1)>" },
        { "after", new string('A', 5_000) },
        { "before", "eyJrIjoiMSJ9" + new string('%', 10) },
    };

    [Theory, MemberData(nameof(TamperedCursors))]
    public async Task PageTurn_TamperedCursorInTheUrl_IsTheFirstPageWithTheResetNotice(string name, string value)
    {
        var page = RenderFirstPage();
        var firstPage = RowIds(page);
        await Click(page, "Next page");
        page.WaitForAssertion(() => Assert.Empty(RowIds(page).Intersect(firstPage)), TimeSpan.FromSeconds(10));
        var (reached, release) = HoldCalls();
        int batches = page.RenderCount;
        int renders = page.Instance.Renders;

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameters(new Dictionary<string, object?> { ["after"] = null, ["before"] = null, [name] = value }));
        await reached.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(batches, page.RenderCount);
        release.SetResult();

        page.WaitForAssertion(() => Assert.Equal(firstPage, RowIds(page)), TimeSpan.FromSeconds(10));
        Assert.Equal(renders + 1, page.Instance.Renders);
        Assert.Contains("were reset: page position.", page.Find("[data-testid=url-state-notice]").TextContent);
        Assert.DoesNotContain("could not be loaded", page.Markup);
        Assert.Empty(page.FindAll("script, img"));
        Assert.DoesNotContain(value, page.Markup);
    }
}

/// <summary>
/// A page that counts its own renders: OnAfterRender runs once after each render of that component, and not for its
/// children's (bUnit's RenderCount counts every render batch the page or any child was in).
/// </summary>
public interface ICountsRenders
{
    int Renders { get; }
}

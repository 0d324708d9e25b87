using System.Net.Sockets;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Layout;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Hardening;

/// <summary>The database "goes away" on demand: every context creation throws what Npgsql and EF throw in an outage.</summary>
public sealed class Outage
{
    public bool Down { get; set; }
}

public sealed class SwitchableFactory(PortalDbContextFactory<SqlitePortalDbContext> inner, Outage outage) : IDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext() => throw new NotSupportedException();

    public Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) => outage.Down
        ? throw new RetryLimitExceededException("The maximum number of retries (6) was exceeded.", new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)))
        : inner.CreateDbContextAsync(cancellationToken);
}

/// <summary>A page part that throws when asked to: the error boundary's subject.</summary>
public sealed class Fragile : ComponentBase
{
    private bool broken;

    [Parameter]
    public string Id { get; set; } = "break";

    /// <summary>What it throws; by default a bug of its own.</summary>
    [Parameter]
    public Func<Exception> Failure { get; set; } = () => new InvalidOperationException("Fragile broke while rendering.");

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (broken)
        {
            throw Failure();
        }

        builder.OpenElement(0, "button");
        builder.AddAttribute(1, "id", Id);
        builder.AddAttribute(2, "onclick", EventCallback.Factory.Create(this, () => broken = true));
        builder.AddContent(3, "Break it");
        builder.CloseElement();
    }
}

/// <summary>
/// No exception leaves a person on a dead page: the layout's error boundary recovers, and a button whose service throws
/// says so in a snackbar and keeps the page and its typed text. A failed save is never reported as saved.
/// </summary>
public sealed class FailureHandlingTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private readonly Outage outage = new();
    private readonly FakeLogCollector logs = new();
    private long contoso;
    private BunitAuthorizationContext authorization = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddScoped<PortalDbContextFactory<SqlitePortalDbContext>>();
        Services.AddSingleton(outage);
        Services.AddSingleton<ILogger<PortalErrorBoundary>>(new FakeLogger<PortalErrorBoundary>(logs));
        Services.AddScoped<IDbContextFactory<PortalDbContext>, SwitchableFactory>();
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<TenantSwitchService>();
        Services.AddScoped<LastingTenantSwitch>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        Services.AddScoped<TenantAdminService>();
        Services.AddScoped<PostQueries>();
        Services.AddScoped<PostLifecycleService>();
        authorization = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private void SignIn(string role, long? customer)
    {
        authorization.SetAuthorized("Test user");
        var claims = new List<Claim> { new(PortalClaimTypes.Role, role) };
        if (customer is long c)
        {
            claims.Add(new Claim(PortalClaimTypes.CustomerId, c.ToString()));
        }

        authorization.SetClaims([.. claims]);
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Any(r => r.ToString() == role)).Select(p => p.Key).ToArray());
    }

    [Fact]
    public void Layout_APageThrows_ShowsSomethingWentWrong_TryAgainAndNavigationRecover()
    {
        SignIn(PortalRoles.PlatformAdmin, null);
        RenderFragment body = builder =>
        {
            builder.OpenComponent<Fragile>(0);
            builder.CloseComponent();
        };
        var layout = Render<MainLayout>(parameters => parameters.Add(l => l.Body, body));

        layout.Find("#break").Click();
        layout.WaitForAssertion(() => Assert.Contains("Something went wrong", layout.Find("[data-testid=error-boundary]").TextContent));
        Assert.NotEmpty(layout.FindAll("nav, .mud-drawer")); // the shell is still there: the person can go elsewhere
        layout.FindAll("[data-testid=error-boundary] button").Single(b => b.TextContent.Contains("Try again")).Click();
        layout.WaitForAssertion(() => Assert.Single(layout.FindAll("#break")));

        layout.Find("#break").Click();
        layout.WaitForAssertion(() => Assert.Single(layout.FindAll("[data-testid=error-boundary]")));
        Services.GetRequiredService<NavigationManager>().NavigateTo("/somewhere-else");
        layout.WaitForAssertion(() => Assert.Empty(layout.FindAll("[data-testid=error-boundary]")));
        Assert.Single(layout.FindAll("#break"));
    }

    [Fact]
    public void Layout_ABrowserThatWentAway_IsNotLoggedAsAnError_ABugIs()
    {
        SignIn(PortalRoles.PlatformAdmin, null);
        bool gone = true;
        RenderFragment body = builder =>
        {
            builder.OpenComponent<Fragile>(0);
            builder.AddAttribute(1, nameof(Fragile.Failure), (Func<Exception>)(() => gone ? new JSDisconnectedException("JavaScript interop calls cannot be issued at this time.") : new InvalidOperationException("A bug.")));
            builder.CloseComponent();
        };
        var layout = Render<MainLayout>(parameters => parameters.Add(l => l.Body, body));

        layout.Find("#break").Click();
        layout.WaitForAssertion(() => Assert.Single(layout.FindAll("[data-testid=error-boundary]")));
        var disconnected = Assert.Single(logs.GetSnapshot(), r => r.Exception is JSDisconnectedException);
        Assert.Equal(LogLevel.Debug, disconnected.Level);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Warning);

        gone = false;
        layout.FindAll("[data-testid=error-boundary] button").Single(b => b.TextContent.Contains("Try again")).Click();
        layout.WaitForAssertion(() => Assert.Single(layout.FindAll("#break")));
        layout.Find("#break").Click();
        layout.WaitForAssertion(() => Assert.Single(layout.FindAll("[data-testid=error-boundary]")));
        var bug = Assert.Single(logs.GetSnapshot(), r => r.Exception is InvalidOperationException);
        Assert.Equal(LogLevel.Error, bug.Level);
    }

    [Fact]
    public void CustomersPage_SaveWhileTheDatabaseIsDown_SaysSoKeepsTheTextAndSavesOnceItIsBack()
    {
        SignIn(PortalRoles.PlatformAdmin, null);
        var snackbars = Render<MudSnackbarProvider>();
        var page = Render<CustomersPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("tr[data-customer]")));

        page.FindAll("button").Single(b => b.TextContent.Contains("New customer")).Click();
        var inputs = page.FindAll("form input");
        inputs[0].Input("Northwind");
        page.FindAll("form input")[1].Input("northwind");
        outage.Down = true;
        page.Find("form").Submit();

        snackbars.WaitForAssertion(() => Assert.Contains("Saving the customer failed: the database is unavailable", snackbars.Markup));
        Assert.DoesNotContain("Customer saved.", snackbars.Markup);
        Assert.DoesNotContain("127.0.0.1", snackbars.Markup); // never the exception's text
        Assert.Equal("Northwind", page.FindAll("form input")[0].GetAttribute("value"));

        outage.Down = false;
        page.Find("form").Submit();
        snackbars.WaitForAssertion(() => Assert.Contains("Customer saved.", snackbars.Markup));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tr[data-customer=northwind]")));
    }

    [Fact]
    public async Task PostEditor_DatabaseDownDuringAutosave_NotSavedAndRetrying_TextKept_SavedWhenItIsBack()
    {
        SignIn(PortalRoles.CustomerAdmin, contoso);
        long id;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            id = await context.Db.Posts.Where(p => p.Site!.CustomerId == contoso && p.Status == PostStatus.Draft).Select(p => p.Id).FirstAsync();
        }

        var editor = Render<PostEditorPage>(parameters => parameters.Add(p => p.Id, id.ToString()));
        editor.WaitForAssertion(() => Assert.Equal("All changes saved", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));

        outage.Down = true;
        editor.Find("textarea").Input("Written during the outage");
        var states = new List<string>();
        editor.WaitForAssertion(() =>
        {
            string state = editor.Find("[data-testid=save-state]").TextContent.Trim();
            states.Add(state);
            Assert.Equal("Not saved — database unavailable, retrying in 2 s. Your text is kept here.", state);
        }, TimeSpan.FromSeconds(10));
        Assert.Equal("Written during the outage", editor.Find("textarea").GetAttribute("value") ?? editor.Find("textarea").TextContent);

        // Still down at the first retry: the next one waits longer.
        editor.WaitForAssertion(() =>
        {
            string state = editor.Find("[data-testid=save-state]").TextContent.Trim();
            states.Add(state);
            Assert.Equal("Not saved — database unavailable, retrying in 4 s. Your text is kept here.", state);
        }, TimeSpan.FromSeconds(10));
        outage.Down = false;
        editor.WaitForAssertion(() =>
        {
            string state = editor.Find("[data-testid=save-state]").TextContent.Trim();
            states.Add(state);
            Assert.StartsWith("All changes saved · autosaved at", state);
        }, TimeSpan.FromSeconds(15));

        // From the first failure until the database came back, nothing ever said "saved" (the field debounces for 200 ms,
        // so the states seen before it are the page's as loaded).
        var sinceFailure = states.SkipWhile(s => !s.StartsWith("Not saved", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(sinceFailure);
        Assert.DoesNotContain(sinceFailure.Take(sinceFailure.Count - 1), s => s.StartsWith("All changes saved", StringComparison.Ordinal));
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal("Written during the outage", await check.Db.Posts.Where(p => p.Id == id).Select(p => p.Content).SingleAsync());
    }
}

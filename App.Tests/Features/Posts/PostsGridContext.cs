using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The posts page's services over a seeded SQLite database, for a Contoso customer admin.</summary>
public abstract class PostsGridContext : BunitContext, IAsyncLifetime
{
    protected TestDatabase Database { get; private set; } = null!;

    protected long Contoso { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            Contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            await PrepareAsync(context.Db);
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(Database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<PostQueries>();
        Services.AddScoped<PostLifecycleService>();
        Services.AddScoped<PostBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        AddServices();
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Customer admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, Contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", true));
    }

    /// <summary>Rows a test class adds to the seed's, or reads from it, in the platform's scope.</summary>
    protected virtual Task PrepareAsync(PortalDbContext db) => Task.CompletedTask;

    /// <summary>Services a test class adds or replaces.</summary>
    protected virtual void AddServices()
    {
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Database.DisposeAsync();
    }
}

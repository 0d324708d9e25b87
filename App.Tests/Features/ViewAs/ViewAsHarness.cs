using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Features.ViewAs;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdminPortal.Tests.Features.ViewAs;

/// <summary>
/// The services of a circuit over a test database: the real data layer, the real policies and feature services, and
/// a server authentication state the test sets to a signed-in user (as the cookie would).
/// </summary>
public sealed class ViewAsHarness : IAsyncDisposable
{
    private ViewAsHarness(TestDatabase database, ServiceProvider services)
    {
        Database = database;
        Services = services;
    }

    public TestDatabase Database { get; }

    public ServiceProvider Services { get; }

    public static async Task<ViewAsHarness> CreateAsync(DatabaseProvider provider, TimeSpan? maxDuration = null)
    {
        var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ViewAsService.MaxDurationSetting] = (maxDuration ?? ViewAsService.DefaultMaxDuration).ToString("c", CultureInfo.InvariantCulture),
        }).Build());
        services.AddPortalData(database.Options);
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<AuthenticationStateProvider, ServerAuthenticationStateProvider>();
        services.AddAuthorizationBuilder().AddPortalPolicies();
        services.AddScoped<ViewAsService>();
        services.AddSingleton<UserAccessService>();
        services.AddSingleton<UserSyncNotifier>();
        services.AddScoped<UserService>();
        services.AddScoped<UserSupportService>();
        services.AddScoped<UserBulkService>();
        services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        services.AddScoped<PostLifecycleService>();
        services.AddScoped<PostBulkService>();
        services.AddScoped<PostQueries>();
        services.AddScoped<TenantSwitchService>();
        services.AddScoped<LastingTenantSwitch>();
        return new ViewAsHarness(database, services.BuildServiceProvider());
    }

    /// <summary>A circuit signed in as <paramref name="userId"/>, with the claims sign-in would give them.</summary>
    public async Task<AsyncServiceScope> CircuitAsync(long userId)
    {
        var principal = await PrincipalAsync(userId);
        var scope = Services.CreateAsyncScope();
        ((ServerAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>())
            .SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        await scope.ServiceProvider.GetRequiredService<TenantContext>().ResolveAsync();
        return scope;
    }

    public async Task<ClaimsPrincipal> PrincipalAsync(long userId)
    {
        var user = await QueryAsync(db => db.Users.AsNoTracking().Include(u => u.Customer).SingleAsync(u => u.Id == userId));
        var identity = new ClaimsIdentity("test", PortalClaimTypes.DisplayName, PortalClaimTypes.Role);
        identity.AddClaim(new Claim(PortalClaimTypes.UserId, user.Id.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(PortalClaimTypes.DisplayName, user.DisplayName));
        identity.AddClaim(new Claim(PortalClaimTypes.SessionId, "1"));
        identity.AddClaims(PortalClaimsTransformation.ClaimsFor(new UserAccess(user.Id, user.PortalRole, user.CustomerId, user.SiteId, user.Customer!.Name, true, false, true, null)));
        return new ClaimsPrincipal(identity);
    }

    public async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var context = await Database.ContextAsync(TenantScope.System());
        return await query(context.Db);
    }

    /// <summary>The first user of <paramref name="customer"/> (slug) with <paramref name="role"/>.</summary>
    public Task<User> PersonaAsync(string customer, PortalRole role) =>
        QueryAsync(db => db.Users.AsNoTracking().Where(u => u.Customer!.Slug == customer && u.PortalRole == role && u.IsActive && !u.IsLocked).OrderBy(u => u.Id).FirstAsync());

    public Task<List<(string Action, long? ActorUserId, long? CustomerId, long EntityId, string? Changes)>> ViewAsAuditAsync() =>
        QueryAsync(async db => (await db.AuditLog.AsNoTracking().Where(a => a.Action.StartsWith("view_as_")).OrderBy(a => a.Id)
            .Select(a => new { a.Action, a.ActorUserId, a.CustomerId, a.EntityId, a.Changes }).ToListAsync())
            .Select(a => (a.Action, a.ActorUserId, a.CustomerId, a.EntityId, a.Changes)).ToList());

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Database.DisposeAsync();
    }
}

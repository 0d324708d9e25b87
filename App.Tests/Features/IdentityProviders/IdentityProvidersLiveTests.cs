using System.Collections.Concurrent;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.IdentityProviders;

/// <summary>The providers list follows the change feed; a failed reload is logged, and a reload after the page closed is harmless.</summary>
public sealed class IdentityProvidersLiveTests : BunitContext, IAsyncLifetime
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> logs = new();
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<ILoggerFactory>(new LoggerFactory([new CapturingLoggerProvider(logs)]));
        Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        Services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Production });
        Services.AddSingleton(TimeProvider.System);
        Services.AddPortalData(database.Options);
        Services.AddAuthentication();
        Services.AddSingleton(new SignInProviders());
        Services.AddIdentityProviders();
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Platform admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.PlatformAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task SqlAsync(string sql)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        await context.Db.Database.ExecuteSqlRawAsync(sql);
    }

    [Fact]
    public async Task List_ChangedElsewhere_Reloads_AFailedReloadIsLogged_AndAReloadAfterCloseIsHarmless()
    {
        var page = Render<IdentityProvidersPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("tr[data-provider]")), TimeSpan.FromSeconds(10));
        var feed = Services.GetRequiredService<IChangeFeed>();

        // Renamed on another instance: the notice reloads the list.
        long id;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            id = await context.Db.CiamSystems.OrderBy(c => c.Id).Select(c => c.Id).FirstAsync();
            await context.Db.CiamSystems.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Name, "Renamed elsewhere"));
        }

        await feed.PublishAsync(Change.ProvidersChanged());
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tr[data-provider='Renamed elsewhere']")), TimeSpan.FromSeconds(5));

        // A reload that fails for a reason other than an outage (the table is gone) is logged, never left unobserved,
        // and the page keeps what it showed.
        await SqlAsync("ALTER TABLE ciam_systems RENAME TO ciam_systems_gone");
        await feed.PublishAsync(Change.ProvidersChanged());
        page.WaitForAssertion(() => Assert.Single(logs, l => l.Level == LogLevel.Error && l.Message.Contains("Reloading the identity providers after a change failed.")), TimeSpan.FromSeconds(5));
        Assert.Single(page.FindAll("tr[data-provider='Renamed elsewhere']"));
        await SqlAsync("ALTER TABLE ciam_systems_gone RENAME TO ciam_systems");

        // A notice that lands after the page closed: no read, no render, no error.
        var component = page.Instance;
        int errors = logs.Count(l => l.Level >= LogLevel.Error);
        await DisposeComponentsAsync();
        await component.RefreshAsync();
        await feed.PublishAsync(Change.ProvidersChanged());
        Assert.Equal(errors, logs.Count(l => l.Level >= LogLevel.Error));
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(LogLevel, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logs);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(LogLevel, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}

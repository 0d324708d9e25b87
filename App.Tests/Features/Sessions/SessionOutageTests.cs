using System.Diagnostics;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Auth;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AdminPortal.Tests.Features.Sessions;

/// <summary>
/// A database that cannot answer never ends a session: on a PostgreSQL cluster of the test's own, stopped the way a
/// crash stops it (the shared cluster keeps running for every other test).
/// </summary>
public class SessionOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    private sealed record Checks(UserAccessService Access, PortalSessionService Sessions, SessionValidator Validator)
    {
        public static Checks For(IServiceProvider services)
        {
            var access = new UserAccessService(services.GetRequiredService<IServiceScopeFactory>());
            var sessions = new PortalSessionService(services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System);
            return new Checks(access, sessions, SessionTestServices.Validator(services, access, sessions, CheckTimeout));
        }

        public async Task<bool> CookieKeepsAsync(ClaimsPrincipal principal)
        {
            var collection = new ServiceCollection().AddSingleton(Validator).AddLogging();
            collection.AddAuthentication(AuthSetup.CookieScheme).AddCookie(AuthSetup.CookieScheme);
            var requestServices = collection.BuildServiceProvider();
            var context = new CookieValidatePrincipalContext(
                new DefaultHttpContext { RequestServices = requestServices },
                new AuthenticationScheme(AuthSetup.CookieScheme, null, typeof(CookieAuthenticationHandler)),
                new CookieAuthenticationOptions(),
                new AuthenticationTicket(principal, AuthSetup.CookieScheme));
            await AuthSetup.ValidateSessionAsync(context);
            return context.Principal is not null;
        }

        /// <summary>The real sign-out endpoint, with a valid antiforgery token: where it sends the browser, and whether the cookie was removed.</summary>
        public async Task<(string? Location, bool CookieRemoved)> SignOutAsync(ClaimsPrincipal principal)
        {
            var collection = new ServiceCollection().AddSingleton(Validator).AddLogging();
            collection.AddAuthentication(AuthSetup.CookieScheme).AddCookie(AuthSetup.CookieScheme);
            var http = new DefaultHttpContext { RequestServices = collection.BuildServiceProvider(), User = principal };
            http.Features.Set<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>(new ValidToken());
            var result = await AuthSetup.SignOutAsync(http, null!, Sessions);
            await result.ExecuteAsync(http);
            return (http.Response.Headers.Location.ToString(), http.Response.Headers.SetCookie.ToString().Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
        }

        private sealed class ValidToken : Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature
        {
            public bool IsValid => true;

            public Exception? Error => null;
        }

        public Task<bool> CircuitKeepsAsync(ClaimsPrincipal principal) =>
            new PortalRevalidatingAuthenticationStateProvider(NullLoggerFactory.Instance, Validator, new ConfigurationBuilder().Build())
                .ValidateNowAsync(new AuthenticationState(principal));
    }

    private static async Task<ClaimsPrincipal> SignInAsync(IServiceProvider services, PortalRole role)
    {
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        string subject;
        await using (var scope = scopes.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System());
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            subject = await db.UserCiamMappings.Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.PortalRole == role)
                .Select(m => m.ExternalSubject).FirstAsync();
        }

        var signIn = new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, NullLogger<SignInService>.Instance);
        var outcome = await signIn.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", subject, null, null, null, null));
        // What the circuit holds: the principal after the claims transformation of a real request.
        return await new PortalClaimsTransformation(Checks.For(services).Validator).TransformAsync(outcome.Principal!);
    }

    [Fact]
    public async Task SessionChecks_PostgresStopped_KeepTheSessionAndRefuseOnlyWhatTheDatabaseEnded()
    {
        await using var cluster = await StoppablePostgres.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPortalData(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = await cluster.CreateDatabaseAsync() });
        await using var provider = services.BuildServiceProvider();
        await using (var scope = provider.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System());
            var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
            await commands.MigrateAsync();
            await commands.SeedAsync();
        }

        var kept = await SignInAsync(provider, PortalRole.CustomerAdmin);
        var ended = await SignInAsync(provider, PortalRole.Support);
        var instance = Checks.For(provider);
        Assert.True(await instance.CookieKeepsAsync(kept));
        Assert.True(await instance.CircuitKeepsAsync(kept));
        await instance.Sessions.EndAsync(SessionValidator.SessionIdOf(ended)!.Value, SessionEndReason.SignedOut, "support", null);

        await cluster.StopAsync();

        // Fresh caches: every check below has to ask the stopped database.
        var watch = Stopwatch.StartNew();
        var cookieCheck = Checks.For(provider);
        Assert.True(await cookieCheck.CookieKeepsAsync(kept));
        var cookieSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        Assert.True(await Checks.For(provider).CircuitKeepsAsync(kept));
        var circuitSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        Assert.True(await cookieCheck.CookieKeepsAsync(kept)); // within the outage pause: not even asked
        var pausedMilliseconds = watch.Elapsed.TotalMilliseconds;
        var transformed = await new PortalClaimsTransformation(Checks.For(provider).Validator).TransformAsync(kept);
        Assert.Equal(kept.FindFirst(PortalClaimTypes.Role)!.Value, transformed.FindFirst(PortalClaimTypes.Role)?.Value);

        // What this instance knows the database ended stays refused through the outage.
        Assert.False(await instance.CookieKeepsAsync(ended));
        Assert.False(await instance.CircuitKeepsAsync(ended));
        // Signing out still works in the browser while the database is down (the record stays open, and says so in the log).
        watch.Restart();
        var signOut = await instance.SignOutAsync(kept);
        Assert.Equal(("/signin?reason=SignedOut", true), signOut);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 10);
        output.WriteLine($"database stopped: sign-out answered after {watch.Elapsed.TotalSeconds:F2} s");

        output.WriteLine($"database stopped: cookie check kept the session after {cookieSeconds:F2} s, circuit check after {circuitSeconds:F2} s, next check within the pause {pausedMilliseconds:F1} ms");
        Assert.InRange(cookieSeconds, 0, CheckTimeout.TotalSeconds + 3);

        await cluster.StartAgainAsync();
        await Task.Delay(SessionValidator.OutagePause);
        var after = Checks.For(provider);
        Assert.True(await after.CookieKeepsAsync(kept));
        Assert.True(await after.CircuitKeepsAsync(kept));
        Assert.False(await after.CookieKeepsAsync(ended));
    }
}

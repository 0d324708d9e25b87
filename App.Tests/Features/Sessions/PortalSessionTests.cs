using System.Diagnostics;
using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Auth;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AdminPortal.Tests.Features.Sessions;

/// <summary>Server-side sessions: started by sign-in, ended by sign-out, revoke, lock and deactivation; on both databases.</summary>
public class PortalSessionTests(ITestOutputHelper output)
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed record Harness(SignInService SignIn, UserAccessService Access, PortalSessionService Sessions, SessionValidator Validator);

    private static Harness Create(IServiceProvider services, TimeProvider? clock = null)
    {
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        var access = new UserAccessService(scopes);
        var sessions = new PortalSessionService(scopes, clock ?? TimeProvider.System);
        return new Harness(new SignInService(scopes, providers, access, TimeProvider.System, NullLogger<SignInService>.Instance), access, sessions,
            SessionTestServices.Validator(services, access, sessions));
    }

    private static async Task<(long UserId, ClaimsPrincipal Principal)> SignInAsync(TestDatabase database, Harness harness, PortalRole role = PortalRole.Support)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var persona = await context.Db.UserCiamMappings.Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.PortalRole == role)
            .Select(m => new { m.UserId, m.ExternalSubject }).FirstAsync();
        var outcome = await harness.SignIn.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", persona.ExternalSubject, null, null, null, null),
            new SessionOrigin("Mozilla/5.0 " + new string('x', 600), "203.0.113.7"));
        Assert.NotNull(outcome.Principal);
        return (persona.UserId, outcome.Principal!);
    }

    private static async Task<PortalSession> SessionAsync(TestDatabase database, ClaimsPrincipal principal)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        long id = SessionValidator.SessionIdOf(principal)!.Value;
        return await context.Db.PortalSessions.AsNoTracking().SingleAsync(s => s.Id == id);
    }

    [Theory, BothProviders]
    public async Task SignIn_AnyUser_StartsASessionWhoseIdIsInTheTicket(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var harness = Create(database.Services);

        var (userId, principal) = await SignInAsync(database, harness);

        var session = await SessionAsync(database, principal);
        Assert.Equal(userId, session.UserId);
        Assert.Null(session.EndedAt);
        Assert.Equal(DevIdentityProvider.OidcScheme, session.Provider);
        Assert.Equal("203.0.113.7", session.IpAddress);
        Assert.Equal(PortalSession.UserAgentMaxLength, session.UserAgent!.Length); // bounded, not refused
        Assert.Equal(SessionVerdict.Valid, await harness.Validator.ValidateAsync(principal));
    }

    [Theory, BothProviders]
    public async Task EndAsync_SignOut_RefusesTheCopiedTicketAtOnceOnThisInstance(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var harness = Create(database.Services);
        var (userId, principal) = await SignInAsync(database, harness);
        Assert.Equal(SessionVerdict.Valid, await harness.Validator.ValidateAsync(principal)); // now cached as active

        await harness.Sessions.EndAsync(SessionValidator.SessionIdOf(principal)!.Value, SessionEndReason.SignedOut, "someone", userId);

        Assert.Equal(SessionVerdict.Invalid, await harness.Validator.ValidateAsync(principal));
        var session = await SessionAsync(database, principal);
        Assert.Equal(SessionEndReason.SignedOut, session.EndedReason);
        Assert.NotNull(session.EndedAt);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.True(await context.Db.AuditLog.AnyAsync(a => a.EntityType == nameof(PortalSession) && a.EntityId == session.Id && a.Action == "sign_out"));
    }

    [Theory, BothProviders]
    public async Task CheckAsync_OtherInstance_RefusesAnEndedSessionWithinTheCacheLifetime(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var here = Create(database.Services);
        var elsewhere = Create(database.Services, clock);
        var (userId, principal) = await SignInAsync(database, here);
        long sessionId = SessionValidator.SessionIdOf(principal)!.Value;
        Assert.Equal(SessionState.Active, await elsewhere.Sessions.CheckAsync(sessionId));

        await here.Sessions.EndAsync(sessionId, SessionEndReason.SignedOut, "someone", userId);

        // The other instance's cache still says active (at most ActiveCacheLifetime); a fresh instance reads "ended".
        Assert.Equal(SessionState.Active, await elsewhere.Sessions.CheckAsync(sessionId));
        Assert.Equal(SessionState.Ended, await Create(database.Services).Sessions.CheckAsync(sessionId));
    }

    [Theory, BothProviders]
    public async Task CheckAsync_ManyRequests_TouchesLastSeenAtMostOncePerInterval(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualClock(start);
        var harness = Create(database.Services, clock);
        var (_, principal) = await SignInAsync(database, harness);
        long sessionId = SessionValidator.SessionIdOf(principal)!.Value;
        DateTime signedInSeen = (await SessionAsync(database, principal)).LastSeenAt;

        for (int i = 0; i < 100; i++)
        {
            await harness.Sessions.CheckAsync(sessionId);
        }

        Assert.Equal(1, harness.Sessions.DatabaseReads); // cached
        Assert.Equal(signedInSeen, (await SessionAsync(database, principal)).LastSeenAt); // not touched on every request

        // Past the cache and the touch interval: one read, one touch.
        clock.Now = start + PortalSessionService.TouchInterval + TimeSpan.FromSeconds(1);
        var fresh = new PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), clock);
        Assert.Equal(SessionState.Active, await fresh.CheckAsync(sessionId));
        Assert.True((await SessionAsync(database, principal)).LastSeenAt > signedInSeen);
    }

    [Theory, BothProviders]
    public async Task RevokeLockDeactivate_OpenSessions_EndInTheSameSave(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var harness = Create(database.Services);
        var (userId, first) = await SignInAsync(database, harness);
        var (_, second) = await SignInAsync(database, harness);
        Assert.Equal(SessionVerdict.Valid, await harness.Validator.ValidateAsync(first)); // cached as active here

        await using (var scope = database.Scope(TenantScope.System("support")))
        {
            var support = ActivatorUtilities.CreateInstance<UserSupportService>(scope.ServiceProvider, harness.Access, new UserSyncNotifier(), TimeProvider.System, harness.Sessions);
            Assert.True((await support.RevokeTokensAsync(userId)).Succeeded);
        }

        Assert.Equal(SessionEndReason.TokensRevoked, (await SessionAsync(database, first)).EndedReason);
        Assert.Equal(SessionState.Ended, harness.Sessions.Cached(SessionValidator.SessionIdOf(first)!.Value)); // refused here without a read
        Assert.Equal(SessionEndReason.TokensRevoked, (await SessionAsync(database, second)).EndedReason);
        Assert.Equal(SessionVerdict.Invalid, await harness.Validator.ValidateAsync(first));

        // Lock (single), deactivate (profile) and bulk lock each end a fresh session.
        var (_, third) = await SignInAsync(database, harness);
        await harness.Sessions.CheckAsync(SessionValidator.SessionIdOf(third)!.Value);
        await using (var scope = database.Scope(TenantScope.System("support")))
        {
            var support = ActivatorUtilities.CreateInstance<UserSupportService>(scope.ServiceProvider, harness.Access, new UserSyncNotifier(), TimeProvider.System, harness.Sessions);
            Assert.True((await support.SetLockedAsync(userId, true)).Succeeded);
            Assert.True((await support.SetLockedAsync(userId, false)).Succeeded);
        }

        Assert.Equal(SessionEndReason.Locked, (await SessionAsync(database, third)).EndedReason);
        Assert.Equal(SessionState.Ended, harness.Sessions.Cached(SessionValidator.SessionIdOf(third)!.Value));

        var (_, fourth) = await SignInAsync(database, harness);
        await harness.Sessions.CheckAsync(SessionValidator.SessionIdOf(fourth)!.Value);
        await using (var scope = database.Scope(TenantScope.System("support")))
        {
            var support = ActivatorUtilities.CreateInstance<UserSupportService>(scope.ServiceProvider, harness.Access, new UserSyncNotifier(), TimeProvider.System, harness.Sessions);
            var detail = (await support.GetAsync(userId))!;
            Assert.True((await support.UpdateProfileAsync(userId, new ProfileEdit { DisplayName = detail.DisplayName, Email = detail.Email, SiteId = detail.SiteId, IsActive = false, Version = detail.Version })).Succeeded);
        }

        Assert.Equal(SessionEndReason.Deactivated, (await SessionAsync(database, fourth)).EndedReason);
        Assert.Equal(SessionState.Ended, harness.Sessions.Cached(SessionValidator.SessionIdOf(fourth)!.Value));

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var user = await context.Db.Users.SingleAsync(u => u.Id == userId);
            user.IsActive = true;
            await context.Db.SaveChangesAsync();
        }

        var (_, fifth) = await SignInAsync(database, harness);
        await harness.Sessions.CheckAsync(SessionValidator.SessionIdOf(fifth)!.Value);
        await using (var scope = database.Scope(TenantScope.System("support")))
        {
            var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            var bulk = new UserBulkService(factory, new UserService(factory, TimeProvider.System), harness.Access, new UserSyncNotifier(), TimeProvider.System, harness.Sessions);
            await bulk.RunAsync(BulkAction.Lock, new BulkTarget(new UserFilter(), [userId.ToString()]));
        }

        Assert.Equal(SessionEndReason.Locked, (await SessionAsync(database, fifth)).EndedReason);
        Assert.Equal(SessionState.Ended, harness.Sessions.Cached(SessionValidator.SessionIdOf(fifth)!.Value));
        Assert.Equal(SessionVerdict.Invalid, await harness.Validator.ValidateAsync(fifth));
    }

    [Theory, BothProviders]
    public async Task Revalidation_SessionEndedElsewhere_EndsTheOpenCircuit(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var harness = Create(database.Services);
        var (userId, principal) = await SignInAsync(database, harness);
        // The claims transformation has run on a real request: the circuit's principal carries the current tenant claims.
        var circuitUser = await new PortalClaimsTransformation(harness.Validator).TransformAsync(principal);
        var revalidation = new PortalRevalidatingAuthenticationStateProvider(NullLoggerFactory.Instance, harness.Validator, new ConfigurationBuilder().Build());
        Assert.True(await revalidation.ValidateNowAsync(new AuthenticationState(circuitUser)));

        await harness.Sessions.EndAsync(SessionValidator.SessionIdOf(principal)!.Value, SessionEndReason.Ended, "admin", null, "end_session");

        Assert.False(await revalidation.ValidateNowAsync(new AuthenticationState(circuitUser)));
        // A real end: the page goes to sign-in and says the session ended (not a reload with new access).
        Assert.False(revalidation.EndedByAccessChange);
    }

    [Theory, BothProviders]
    public async Task SessionCheck_CachedAndUncached_CostPerRequest(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var harness = Create(database.Services);
        var (_, principal) = await SignInAsync(database, harness);
        await harness.Validator.ValidateAsync(principal);

        // Warm both paths once, so that the figures are not the first query's compilation.
        await harness.Access.GetAsync(UserAccessService.UserIdOf(principal)!.Value, fresh: true);
        const int rounds = 2000;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++)
        {
            await harness.Validator.ValidateAsync(principal);
        }

        double cached = watch.Elapsed.TotalMicroseconds / rounds;
        watch.Restart();
        for (int i = 0; i < 50; i++)
        {
            await harness.Access.GetAsync(UserAccessService.UserIdOf(principal)!.Value, fresh: true);
            await new PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System).CheckAsync(SessionValidator.SessionIdOf(principal)!.Value);
        }

        double uncached = watch.Elapsed.TotalMicroseconds / 50;
        output.WriteLine($"session check: cached {cached:F1} µs, uncached (user + session read) {uncached:F0} µs ({provider})");
        Assert.True(cached < uncached);
    }
}

using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace AdminPortal.App.Auth;

/// <summary>What the portal currently allows a signed-in user: read from the database, cached briefly.</summary>
public sealed record UserAccess(long UserId, PortalRole? Role, long CustomerId, long SiteId, string CustomerName, bool IsActive, bool IsLocked, bool CustomerActive, DateTime? TokensRevokedAt)
{
    public bool MaySignIn => IsActive && !IsLocked && CustomerActive && Role is not null;
}

/// <summary>
/// The one place that answers "may this session go on?", for the cookie (every request), the claims
/// transformation (every request, including the Blazor hub) and the circuit's revalidation.
/// </summary>
/// <remarks>The cache is bounded (<see cref="CacheSize"/> entries) and short-lived; support actions call <see cref="Invalidate"/>.</remarks>
public sealed class UserAccessService(IServiceScopeFactory scopes) : IDisposable
{
    public const int CacheSize = 10_000;
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(15);

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = CacheSize });

    public int CachedCount => cache.Count;

    public async Task<UserAccess?> GetAsync(long userId, bool fresh = false, CancellationToken cancellationToken = default)
    {
        if (!fresh && cache.TryGetValue(userId, out UserAccess? cached))
        {
            return cached;
        }

        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("session-check"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        var access = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new UserAccess(u.Id, u.PortalRole, u.CustomerId, u.SiteId, u.Customer!.Name, u.IsActive, u.IsLocked, u.Customer.IsActive, u.TokensRevokedAt))
            .FirstOrDefaultAsync(cancellationToken);
        cache.Set(userId, access, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = CacheLifetime });
        return access;
    }

    public void Invalidate(long userId) => cache.Remove(userId);

    /// <summary>The session is valid while the user may sign in and no revocation came after this sign-in.</summary>
    public static bool IsSessionValid(UserAccess? access, ClaimsPrincipal principal)
    {
        if (access is not { MaySignIn: true })
        {
            return false;
        }

        if (access.TokensRevokedAt is { } revokedAt)
        {
            var signedIn = long.TryParse(principal.FindFirst(PortalClaimTypes.SignedInAt)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime
                : DateTime.MinValue;
            // Seconds in the claim: a revocation in the same second as the sign-in counts as after it.
            return revokedAt < signedIn;
        }

        return true;
    }

    public static long? UserIdOf(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(PortalClaimTypes.UserId)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;

    public void Dispose() => cache.Dispose();
}

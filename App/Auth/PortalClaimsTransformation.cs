using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;

namespace AdminPortal.App.Auth;

/// <summary>
/// Keeps the tenant claims (role, customer, site) of a signed-in principal current with the database, so a role
/// change applies within <see cref="UserAccessService.CacheLifetime"/> without signing in again.
/// </summary>
/// <remarks>
/// Runs on every request, including each Blazor hub request: it works on a clone, replaces rather than appends
/// (idempotent), and reads through the bounded cache of <see cref="UserAccessService"/>.
/// </remarks>
public sealed class PortalClaimsTransformation(SessionValidator validator) : IClaimsTransformation
{
    private static readonly string[] TenantClaims = [PortalClaimTypes.Role, PortalClaimTypes.CustomerId, PortalClaimTypes.SiteId, PortalClaimTypes.CustomerName];

    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (UserAccessService.UserIdOf(principal) is not long userId || principal.Identity is not ClaimsIdentity { IsAuthenticated: true })
        {
            return principal;
        }

        var (answered, current) = await validator.ReadUserAsync(userId);
        if (!answered)
        {
            // The database cannot answer: the ticket's own claims stand until it can (an outage ends no session).
            return principal;
        }

        return WithCurrentClaims(principal, current);
    }

    /// <summary>A copy of <paramref name="principal"/> whose role, customer and site claims are <paramref name="current"/>'s.</summary>
    public static ClaimsPrincipal WithCurrentClaims(ClaimsPrincipal principal, UserAccess? current)
    {
        // ClaimsPrincipal.Clone() shares the identities: clone each one, so the cookie's principal is never mutated.
        var clone = new ClaimsPrincipal(principal.Identities.Select(i => i.Clone()));
        var identity = (ClaimsIdentity)clone.Identity!;
        foreach (var claim in identity.Claims.Where(c => TenantClaims.Contains(c.Type)).ToList())
        {
            identity.RemoveClaim(claim);
        }

        // A user who may no longer sign in keeps no role: the fallback policy then refuses every page, and the cookie
        // and circuit checks end the session.
        if (current is { MaySignIn: true })
        {
            identity.AddClaims(ClaimsFor(current));
        }

        return clone;
    }

    /// <summary>Whether the principal's role, customer and site claims are what the database says now.</summary>
    public static bool HasCurrentClaims(ClaimsPrincipal principal, UserAccess current) =>
        principal.FindFirst(PortalClaimTypes.Role)?.Value == current.Role?.ToString()
        && principal.FindFirst(PortalClaimTypes.CustomerId)?.Value == current.CustomerId.ToString(CultureInfo.InvariantCulture)
        && principal.FindFirst(PortalClaimTypes.SiteId)?.Value == current.SiteId.ToString(CultureInfo.InvariantCulture);

    public static IEnumerable<Claim> ClaimsFor(UserAccess access)
    {
        yield return new Claim(PortalClaimTypes.Role, access.Role!.Value.ToString());
        yield return new Claim(PortalClaimTypes.CustomerId, access.CustomerId.ToString(CultureInfo.InvariantCulture));
        yield return new Claim(PortalClaimTypes.SiteId, access.SiteId.ToString(CultureInfo.InvariantCulture));
        yield return new Claim(PortalClaimTypes.CustomerName, access.CustomerName);
    }
}

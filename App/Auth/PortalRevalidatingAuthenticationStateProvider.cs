using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using AdminPortal.App.Tenancy;

namespace AdminPortal.App.Auth;

/// <summary>
/// Re-checks a circuit's user against the database every <see cref="RevalidationInterval"/>: a revoked, locked or
/// deactivated user's open circuits end (the page then sends them to sign-in), without waiting for the cookie.
/// </summary>
public sealed class PortalRevalidatingAuthenticationStateProvider(ILoggerFactory loggerFactory, UserAccessService access, IConfiguration configuration)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval { get; } = configuration.GetValue("Auth:RevalidationInterval", TimeSpan.FromSeconds(30));

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        if (UserAccessService.UserIdOf(user) is not long userId)
        {
            return false;
        }

        // A changed role, customer or site ends the circuit too: it was authorized, and scoped, for the old ones. The
        // next page load gets the current claims.
        var current = await access.GetAsync(userId, fresh: true, cancellationToken);
        return UserAccessService.IsSessionValid(current, user)
            && user.FindFirst(PortalClaimTypes.Role)?.Value == current!.Role.ToString()
            && user.FindFirst(PortalClaimTypes.CustomerId)?.Value == current.CustomerId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && user.FindFirst(PortalClaimTypes.SiteId)?.Value == current.SiteId.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

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
        return UserAccessService.UserIdOf(user) is long userId
            && UserAccessService.IsSessionValid(await access.GetAsync(userId, fresh: true, cancellationToken), user);
    }
}

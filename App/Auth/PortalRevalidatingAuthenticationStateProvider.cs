using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace AdminPortal.App.Auth;

/// <summary>
/// Re-checks a circuit's user against the database every <see cref="RevalidationInterval"/>: a revoked, locked or
/// deactivated user's open circuits end (the page then sends them to sign-in), without waiting for the cookie.
/// </summary>
/// <remarks>
/// A database that cannot answer keeps the circuit (<see cref="SessionVerdict.Unverified"/>): the base class would
/// treat a thrown exception as "signed out", and an outage would end every open tab.
/// </remarks>
public sealed class PortalRevalidatingAuthenticationStateProvider(ILoggerFactory loggerFactory, SessionValidator validator, IConfiguration configuration)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval { get; } = configuration.GetValue("Auth:RevalidationInterval", TimeSpan.FromSeconds(30));

    // A changed role, customer or site ends the circuit too: it was authorized, and scoped, for the old ones. The
    // next page load gets the current claims.
    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        // While viewing as someone, the circuit's session is still the viewer's: check theirs.
        await validator.ValidateAsync(Features.ViewAs.ViewAsPrincipal.SignedInUserOf(authenticationState.User), freshUser: true, sameTenantClaims: true, cancellationToken) != SessionVerdict.Invalid;

    /// <summary>The same check as the periodic one, callable by tests (the base class's loop is private).</summary>
    internal Task<bool> ValidateNowAsync(AuthenticationState state, CancellationToken cancellationToken = default) =>
        ValidateAuthenticationStateAsync(state, cancellationToken);
}

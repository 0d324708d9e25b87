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
    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        // While viewing as someone, the circuit's session is still the viewer's: check theirs.
        var user = Features.ViewAs.ViewAsPrincipal.SignedInUserOf(authenticationState.User);
        if (await validator.ValidateAsync(user, freshUser: true, sameTenantClaims: true, cancellationToken) != SessionVerdict.Invalid)
        {
            return true;
        }

        // Ended only because the role, customer or site changed: the session itself is good, so the page reloads
        // (the cookie is re-issued with the new claims) instead of saying the session ended.
        EndedByAccessChange = await validator.ValidateAsync(user, freshUser: true, sameTenantClaims: false, cancellationToken) == SessionVerdict.Valid;
        return false;
    }

    /// <summary>The circuit ended because the user's role, customer or site changed, not because the session did.</summary>
    public bool EndedByAccessChange { get; private set; }

    /// <summary>The same check as the periodic one, callable by tests (the base class's loop is private).</summary>
    internal Task<bool> ValidateNowAsync(AuthenticationState state, CancellationToken cancellationToken = default) =>
        ValidateAuthenticationStateAsync(state, cancellationToken);
}

using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;

namespace AdminPortal.App.Auth;

/// <summary>The answer to "may this session go on?".</summary>
public enum SessionVerdict
{
    Valid,
    /// <summary>The database said no: the session ended, or the user may no longer sign in.</summary>
    Invalid,
    /// <summary>The database could not answer (down, unreachable, too slow): the session is kept, never ended.</summary>
    Unverified,
}

/// <summary>
/// The one session check, for the cookie (every request) and the circuit (every revalidation): the server-side
/// session is open, and the user may still sign in with no revocation after this sign-in.
/// </summary>
/// <remarks>
/// An outage must never sign everybody out. When the database cannot answer within <c>Auth:SessionCheckTimeout</c>
/// (default 5 s; EF's retry strategy alone would wait about a minute), the verdict is <see cref="SessionVerdict.Unverified"/>
/// and the session is kept; for <see cref="OutagePause"/> after such a failure the database is not asked again, so
/// requests during an outage are not each held for the timeout. A session that this instance already knows has
/// ended stays refused throughout.
/// </remarks>
public sealed class SessionValidator(UserAccessService access, PortalSessionService sessions, IConfiguration configuration, TimeProvider clock, ILogger<SessionValidator> logger)
{
    public static readonly TimeSpan OutagePause = TimeSpan.FromSeconds(5);

    private readonly TimeSpan timeout = configuration.GetValue("Auth:SessionCheckTimeout", TimeSpan.FromSeconds(5));
    private long unreachableUntilTicks;

    /// <param name="freshUser">Read the user past the cache (the circuit's periodic check).</param>
    /// <param name="sameTenantClaims">Also refuse a principal whose role, customer or site claims are no longer the database's.</param>
    public async Task<SessionVerdict> ValidateAsync(ClaimsPrincipal principal, bool freshUser = false, bool sameTenantClaims = false, CancellationToken cancellationToken = default)
    {
        // A ticket without a session id predates server-side sessions (or was forged without one): it signs in again.
        if (UserAccessService.UserIdOf(principal) is not long userId || SessionIdOf(principal) is not long sessionId)
        {
            return SessionVerdict.Invalid;
        }

        if (sessions.Cached(sessionId) == SessionState.Ended)
        {
            return SessionVerdict.Invalid;
        }

        var answer = await AskAsync(async token =>
        {
            if (await sessions.CheckAsync(sessionId, token) == SessionState.Ended)
            {
                return SessionVerdict.Invalid;
            }

            var current = await access.GetAsync(userId, freshUser, token);
            if (!UserAccessService.IsSessionValid(current, principal))
            {
                return SessionVerdict.Invalid;
            }

            return !sameTenantClaims
                || (principal.FindFirst(PortalClaimTypes.Role)?.Value == current!.Role.ToString()
                    && principal.FindFirst(PortalClaimTypes.CustomerId)?.Value == current.CustomerId.ToString(CultureInfo.InvariantCulture)
                    && principal.FindFirst(PortalClaimTypes.SiteId)?.Value == current.SiteId.ToString(CultureInfo.InvariantCulture))
                ? SessionVerdict.Valid
                : SessionVerdict.Invalid;
        }, $"session {sessionId} of user {userId}", cancellationToken);
        return answer.Answered ? answer.Value : SessionVerdict.Unverified;
    }

    /// <summary>The user's current access, or <c>Answered = false</c> when the database could not answer in time.</summary>
    public Task<(bool Answered, UserAccess? Value)> ReadUserAsync(long userId, CancellationToken cancellationToken = default) =>
        AskAsync(token => access.GetAsync(userId, fresh: false, token), $"user {userId}", cancellationToken);

    public static long? SessionIdOf(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(PortalClaimTypes.SessionId)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;

    private async Task<(bool Answered, T Value)> AskAsync<T>(Func<CancellationToken, Task<T>> question, string what, CancellationToken cancellationToken)
    {
        if (clock.GetUtcNow().UtcTicks < Interlocked.Read(ref unreachableUntilTicks))
        {
            return (false, default!);
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            return (true, await question(bounded.Token));
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && (exception is OperationCanceledException || DatabaseFailure.CouldNotAnswer(exception)))
        {
            Interlocked.Exchange(ref unreachableUntilTicks, (clock.GetUtcNow() + OutagePause).UtcTicks);
            logger.LogWarning("The check of {What} could not reach the database ({Problem}); the session is kept until the database answers again.", what, exception.GetBaseException().Message);
            return (false, default!);
        }
    }
}

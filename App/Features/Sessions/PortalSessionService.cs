using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace AdminPortal.App.Features.Sessions;

/// <summary>Whether a session may go on, as the database last said.</summary>
public enum SessionState
{
    Active,
    /// <summary>Ended, or never existed: the cookie that carries it is refused.</summary>
    Ended,
}

/// <summary>
/// Starts, checks and ends the server-side sessions (<see cref="PortalSession"/>). The check runs on every request
/// and every circuit revalidation, so it reads through a small cache: an active session is re-read at most every
/// <see cref="ActiveCacheLifetime"/>, an ended one never again (ended is final).
/// </summary>
/// <remarks>
/// Ending a session on this instance updates the cache at once, so the same instance refuses the cookie on its very
/// next request; other instances refuse it within <see cref="ActiveCacheLifetime"/>.
/// </remarks>
public sealed class PortalSessionService(IServiceScopeFactory scopes, TimeProvider clock)
{
    public const int CacheSize = 50_000;
    public static readonly TimeSpan ActiveCacheLifetime = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan EndedCacheLifetime = TimeSpan.FromHours(9); // longer than any cookie (8 h)

    /// <summary>last_seen_at is written at most this often per session: never on every request.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    // Never disposed: open circuits still run their checks while the host shuts down.
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = CacheSize });

    /// <summary>How many checks went to the database (for tests and measurements).</summary>
    public long DatabaseReads => Interlocked.Read(ref databaseReads);

    private long databaseReads;

    /// <summary>What this instance already knows of the session, without asking the database; null when nothing.</summary>
    public SessionState? Cached(long sessionId) => cache.TryGetValue(sessionId, out SessionState state) ? state : null;

    /// <summary>A new session for a sign-in; the caller adds it to the context that saves the sign-in.</summary>
    public static PortalSession Create(long userId, long customerId, string provider, SessionOrigin origin, DateTime now) => new()
    {
        UserId = userId,
        CustomerId = customerId,
        Provider = Truncate(provider, 100) ?? "",
        UserAgent = Truncate(origin.UserAgent, PortalSession.UserAgentMaxLength),
        IpAddress = Truncate(origin.IpAddress, PortalSession.IpAddressMaxLength),
        StartedAt = now,
        LastSeenAt = now,
    };

    /// <summary>
    /// Is the session still active? Reads the database at most every <see cref="ActiveCacheLifetime"/>, and touches
    /// last_seen_at at most every <see cref="TouchInterval"/>.
    /// </summary>
    /// <exception cref="Exception">Whatever the database throws: the caller tells an outage from an answer.</exception>
    public async Task<SessionState> CheckAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(sessionId, out SessionState cached))
        {
            return cached;
        }

        Interlocked.Increment(ref databaseReads);
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("session-check"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        var row = await db.PortalSessions.AsNoTracking()
            .Where(s => s.Id == sessionId)
            .Select(s => new { s.EndedAt, s.LastSeenAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null || row.EndedAt is not null)
        {
            Remember(sessionId, SessionState.Ended);
            return SessionState.Ended;
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        if (now - row.LastSeenAt >= TouchInterval)
        {
            // Not audited: "still here" is not a change anyone made. Only an open session is touched.
            await db.PortalSessions.Where(s => s.Id == sessionId && s.EndedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.LastSeenAt, now), cancellationToken);
        }

        Remember(sessionId, SessionState.Active);
        return SessionState.Active;
    }

    /// <summary>Ends one session (sign-out), audited as <paramref name="action"/> on behalf of <paramref name="actor"/>.</summary>
    public async Task EndAsync(long sessionId, SessionEndReason reason, string actor, long? actorUserId, string action = "sign_out", CancellationToken cancellationToken = default)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(new TenantScope(actor, actorUserId, null, null, null, true));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            var session = await db.PortalSessions.FirstOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, cancellationToken);
            if (session is not null)
            {
                session.EndedAt = clock.GetUtcNow().UtcDateTime;
                session.EndedReason = reason;
                db.SetAuditAction(session, action);
                await db.SaveChangesAsync(cancellationToken);
            }
        }

        Forget([sessionId]);
    }

    /// <summary>
    /// Marks every open session of <paramref name="userIds"/> ended, in <paramref name="db"/>'s pending changes, so
    /// that it lands (audited) in the same transaction as the revoke, lock or deactivation that causes it. Call
    /// <see cref="Forget"/> with the result once the save succeeded.
    /// </summary>
    public static async Task<List<long>> EndOpenSessionsAsync(PortalDbContext db, IReadOnlyCollection<long> userIds, SessionEndReason reason, DateTime now, CancellationToken cancellationToken = default)
    {
        if (userIds.Count == 0)
        {
            return [];
        }

        var open = await db.PortalSessions.Where(s => userIds.Contains(s.UserId) && s.EndedAt == null).ToListAsync(cancellationToken);
        foreach (var session in open)
        {
            session.EndedAt = now;
            session.EndedReason = reason;
            db.SetAuditAction(session, "end_session");
        }

        return open.Select(s => s.Id).ToList();
    }

    /// <summary>These sessions have ended: this instance refuses them from now on, without asking the database.</summary>
    public void Forget(IEnumerable<long> sessionIds)
    {
        foreach (long id in sessionIds)
        {
            Remember(id, SessionState.Ended);
        }
    }

    private void Remember(long sessionId, SessionState state) =>
        cache.Set(sessionId, state, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = state == SessionState.Active ? ActiveCacheLifetime : EndedCacheLifetime,
        });

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}

/// <summary>Where a sign-in came from, as the sessions list shows it.</summary>
public sealed record SessionOrigin(string? UserAgent, string? IpAddress)
{
    public static readonly SessionOrigin Unknown = new(null, null);

    public static SessionOrigin From(HttpContext context) =>
        new(context.Request.Headers.UserAgent.ToString(), context.Connection.RemoteIpAddress?.ToString());
}

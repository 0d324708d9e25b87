using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Sessions;

/// <summary>One open portal session, as the sessions lists show it. Ids are strings: they exceed 2^53.</summary>
public sealed record SessionRow(string Id, DateTime StartedAt, DateTime LastSeenAt, string Provider, string Browser, string? Address, bool IsCurrent);

/// <summary>The outcome of ending sessions: how many ended, or not found (another tenant's, already ended, or not yours to see).</summary>
public sealed record SessionEndResult(bool Succeeded, int Ended, bool NotFound = false)
{
    public static readonly SessionEndResult Missing = new(false, 0, NotFound: true);
}

/// <summary>
/// The sessions lists: a person's open sessions on their user detail (support and admins of their customer), and
/// "My sessions" for everyone. Ending a session here is final: this instance refuses its cookie on the very next
/// request, other instances within <see cref="PortalSessionService.ActiveCacheLifetime"/>, and its open circuit ends at
/// the next revalidation.
/// </summary>
/// <remarks>
/// Editors see and end only their own sessions: someone else's id is "not found", exactly like another tenant's.
/// Support may end anyone's sessions in their customer, as they may revoke anyone's tokens there.
/// </remarks>
public sealed class SessionListService(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, IServiceScopeFactory scopes, PortalSessionService sessions, SignInProviders providers, TimeProvider clock)
{
    /// <summary>Newest first, at most this many: an 8-hour cookie makes more than a handful unusual.</summary>
    public const int MaxListed = 100;

    public const string SessionEnded = "session_ended";
    public const string SessionsEndedAll = "sessions_ended_all";

    /// <summary>A person's open sessions; null when the person is not found, or not someone whose sessions the caller may see.</summary>
    public async Task<List<SessionRow>?> ListAsync(long userId, long? currentSessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return MaySee(db.Tenant, userId) ? await ListInAsync(db, userId, currentSessionId, cancellationToken) : null;
    }

    public async Task<SessionEndResult> EndAsync(long userId, long sessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return MaySee(db.Tenant, userId) ? await EndInAsync(db, userId, sessionId, cancellationToken) : SessionEndResult.Missing;
    }

    /// <summary>"Sign out everywhere": every open session of the person, except <paramref name="exceptSessionId"/> if given.</summary>
    public async Task<SessionEndResult> EndAllAsync(long userId, long? exceptSessionId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return MaySee(db.Tenant, userId) ? await EndAllInAsync(db, userId, exceptSessionId, cancellationToken) : SessionEndResult.Missing;
    }

    /// <summary>The signed-in person's own open sessions, the current one marked.</summary>
    public async Task<List<SessionRow>> ListMineAsync(long? currentSessionId, CancellationToken cancellationToken = default)
    {
        await using var mine = await MineAsync(cancellationToken);
        return mine.UserId is long me ? await ListInAsync(mine.Db, me, currentSessionId, cancellationToken) ?? [] : [];
    }

    public async Task<SessionEndResult> EndMineAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        await using var mine = await MineAsync(cancellationToken);
        return mine.UserId is long me ? await EndInAsync(mine.Db, me, sessionId, cancellationToken) : SessionEndResult.Missing;
    }

    public async Task<SessionEndResult> EndAllMineAsync(long? exceptSessionId, CancellationToken cancellationToken = default)
    {
        await using var mine = await MineAsync(cancellationToken);
        return mine.UserId is long me ? await EndAllInAsync(mine.Db, me, exceptSessionId, cancellationToken) : SessionEndResult.Missing;
    }

    private static bool MaySee(TenantScope scope, long userId) =>
        scope.ActorUserId == userId || scope.Role is PortalRoles.PlatformAdmin or PortalRoles.CustomerAdmin or PortalRoles.Support;

    private async Task<List<SessionRow>?> ListInAsync(PortalDbContext db, long userId, long? currentSessionId, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return null;
        }

        var rows = await db.PortalSessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null)
            .OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id)
            .Take(MaxListed)
            .Select(s => new { s.Id, s.StartedAt, s.LastSeenAt, s.Provider, s.UserAgent, s.IpAddress })
            .ToListAsync(cancellationToken);
        return rows.Select(s => new SessionRow(s.Id.ToString(CultureInfo.InvariantCulture), s.StartedAt, s.LastSeenAt,
            providers.Find(s.Provider)?.DisplayName ?? s.Provider, BrowserName.Describe(s.UserAgent), s.IpAddress, s.Id == currentSessionId)).ToList();
    }

    private async Task<SessionEndResult> EndInAsync(PortalDbContext db, long userId, long sessionId, CancellationToken cancellationToken)
    {
        // Both ids from the page, checked together: a session of another person (or tenant) is not found.
        var session = await db.PortalSessions.FirstOrDefaultAsync(s => s.Id == sessionId && s.UserId == userId && s.EndedAt == null, cancellationToken);
        if (session is null)
        {
            return SessionEndResult.Missing;
        }

        End(db, session, SessionEnded);
        await db.SaveChangesAsync(cancellationToken);
        sessions.Forget([session.Id]);
        return new SessionEndResult(true, 1);
    }

    private async Task<SessionEndResult> EndAllInAsync(PortalDbContext db, long userId, long? exceptSessionId, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return SessionEndResult.Missing;
        }

        var open = await db.PortalSessions.Where(s => s.UserId == userId && s.EndedAt == null && s.Id != (exceptSessionId ?? 0)).ToListAsync(cancellationToken);
        foreach (var session in open)
        {
            End(db, session, SessionsEndedAll);
        }

        await db.SaveChangesAsync(cancellationToken);
        sessions.Forget(open.Select(s => s.Id));
        return new SessionEndResult(true, open.Count);
    }

    private void End(PortalDbContext db, PortalSession session, string action)
    {
        session.EndedAt = clock.GetUtcNow().UtcDateTime;
        session.EndedReason = SessionEndReason.Ended;
        db.SetAuditAction(session, action);
    }

    /// <summary>
    /// A context in the scope the person signed in with: a platform admin who switched to one customer still sees
    /// their own sessions, which belong to their home customer.
    /// </summary>
    private async Task<Mine> MineAsync(CancellationToken cancellationToken)
    {
        await tenant.ResolveAsync();
        var signedIn = tenant.SignedIn;
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(signedIn);
        var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        return new Mine(scope, db, signedIn.ActorUserId);
    }

    private sealed class Mine(AsyncServiceScope scope, PortalDbContext db, long? userId) : IAsyncDisposable
    {
        public PortalDbContext Db => db;

        public long? UserId => userId;

        public async ValueTask DisposeAsync()
        {
            await db.DisposeAsync();
            await scope.DisposeAsync();
        }
    }
}

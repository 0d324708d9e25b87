using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace AdminPortal.App.Features.Audit;

/// <summary>
/// Names for the entries about rows that have no name of their own: an identity link reads "Display name ↔ Provider",
/// a session "Display name's session on Chrome 131 on Linux". Written with the entry (as of the event), and read again
/// for entries written before that; a row that is gone (or not visible to the viewer) reads "(deleted)", never an id.
/// </summary>
public static class AuditRelatedLabels
{
    public const string DeletedMapping = "Identity link (deleted)";
    public const string DeletedSession = "Session (deleted)";

    public static string Mapping(string? person, string? provider) =>
        $"{(string.IsNullOrWhiteSpace(person) ? "Unknown user" : person)} ↔ {(string.IsNullOrWhiteSpace(provider) ? "unknown provider" : provider)}";

    public static string Session(string? person, string? userAgent) =>
        $"{(string.IsNullOrWhiteSpace(person) ? "Unknown user" : person)}'s session on {BrowserName.Describe(userAgent)}";

    /// <summary>
    /// At save time, for the mappings and sessions among the changed rows: their user's and provider's names, from the
    /// tracked rows or else one query each. Read under the saving context's tenant filters, and only a user or provider
    /// of the row's own customer (or a platform-wide provider) is named: a label never carries another tenant's name.
    /// </summary>
    public static async Task<Dictionary<object, string>> ForAsync(PortalDbContext db, IReadOnlyList<EntityEntry> changed, CancellationToken cancellationToken)
    {
        var labels = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        var mappings = changed.Select(e => e.Entity).OfType<UserCiamMapping>().ToList();
        var sessions = changed.Select(e => e.Entity).OfType<PortalSession>().ToList();
        if (mappings.Count == 0 && sessions.Count == 0)
        {
            return labels;
        }

        var userIds = mappings.Where(m => m.User is null).Select(m => m.UserId)
            .Concat(sessions.Where(s => s.User is null).Select(s => s.UserId)).Distinct().ToList();
        var users = userIds.Count == 0
            ? []
            : await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id))
                .Select(u => new { u.Id, u.CustomerId, u.DisplayName, u.Email }).ToDictionaryAsync(u => u.Id, cancellationToken);
        var systemIds = mappings.Where(m => m.CiamSystem is null).Select(m => m.CiamSystemId).Distinct().ToList();
        var systems = systemIds.Count == 0
            ? []
            : await db.CiamSystems.AsNoTracking().Where(c => systemIds.Contains(c.Id))
                .Select(c => new { c.Id, c.CustomerId, c.Name }).ToDictionaryAsync(c => c.Id, cancellationToken);

        string? Person(long userId, Users.User? tracked, long customerId)
        {
            if (tracked is not null)
            {
                return tracked.CustomerId == customerId ? Name(tracked.DisplayName, tracked.Email) : null;
            }

            return users.TryGetValue(userId, out var user) && user.CustomerId == customerId ? Name(user.DisplayName, user.Email) : null;
        }

        foreach (var mapping in mappings)
        {
            string? provider = mapping.CiamSystem is { } tracked
                ? (tracked.CustomerId is null || tracked.CustomerId == mapping.CustomerId ? tracked.Name : null)
                : systems.TryGetValue(mapping.CiamSystemId, out var system) && (system.CustomerId is null || system.CustomerId == mapping.CustomerId) ? system.Name : null;
            if (Person(mapping.UserId, mapping.User, mapping.CustomerId) is { } person)
            {
                labels[mapping] = AuditLabels.Clip(Mapping(person, provider))!;
            }
        }

        foreach (var session in sessions)
        {
            if (Person(session.UserId, session.User, session.CustomerId) is { } person)
            {
                labels[session] = AuditLabels.Clip(Session(person, session.UserAgent))!;
            }
        }

        return labels;
    }

    private static string? Name(string? displayName, string? email) =>
        string.IsNullOrWhiteSpace(displayName) ? (string.IsNullOrWhiteSpace(email) ? null : email) : displayName;
}

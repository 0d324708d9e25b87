namespace AdminPortal.App.Features.Users;

/// <summary>
/// Whether a user's sync can be retried at all. A sync asks the user's linked, enabled identity providers about them;
/// without one it fails the same way every time, so the portal offers no Retry and says what to do instead.
/// </summary>
public static class SyncReadiness
{
    public const string NotLinked = "This user is not linked to an identity provider, so a sync has nothing to check. Link them to a provider first (OIDC identities).";

    public static string ProvidersDisabled(IEnumerable<string> names) =>
        $"This user's identity provider ({string.Join(", ", names.Distinct().Order(StringComparer.OrdinalIgnoreCase))}) is disabled, so a sync would fail again. Enable the provider, or link the user to an enabled one, first.";

    /// <summary>Null when a retry can help; otherwise what stands in the way, and what to do about it.</summary>
    public static string? Blocker(IReadOnlyCollection<(string Provider, bool Enabled)> links) =>
        links.Count == 0 ? NotLinked
        : links.Any(l => l.Enabled) ? null
        : ProvidersDisabled(links.Select(l => l.Provider));
}

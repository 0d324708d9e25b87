using System.Text.Json;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;

namespace AdminPortal.App.Features.Audit;

/// <summary>How the audit log names what an entry is about and who made it: one format wherever entries are shown.</summary>
public static class AuditLabels
{
    public const int MaxLabelLength = 200;

    /// <summary>
    /// The entity's name at the moment of the change. It is stored with the entry, so a later rename or delete does not
    /// rewrite history (and a deleted row still has a name).
    /// </summary>
    public static string? For(object entity) => Clip(entity switch
    {
        Customer customer => customer.Name,
        Site site => site.Name,
        User user => Person(user.DisplayName, user.Email),
        Post post => post.Title,
        CiamSystem system => system.Name,
        CustomerDomain domain => domain.Domain,
        _ => null,
    });

    /// <summary>A person, as entries show actors and users alike: "Display name (email)".</summary>
    public static string Person(string? name, string? email) =>
        (string.IsNullOrWhiteSpace(name), string.IsNullOrWhiteSpace(email)) switch
        {
            (false, false) when !string.Equals(name, email, StringComparison.OrdinalIgnoreCase) => $"{name} ({email})",
            (false, _) => name!,
            (true, false) => email!,
            _ => "unknown",
        };

    /// <summary>
    /// Who made the change. A signed-in person appears as "Display name (email)" (the email when their row is visible
    /// in the viewer's tenant); start-up work and background jobs, which have no user id, as "System (job)".
    /// </summary>
    public static string Actor(string actor, long? actorUserId, string? displayName, string? email)
    {
        if (actorUserId is null)
        {
            // Jobs name themselves "sign-in:alice@…" or "user-sync": the part before the colon is the job.
            int colon = actor.IndexOf(':', StringComparison.Ordinal);
            string job = colon > 0 ? actor[..colon] : actor;
            return string.IsNullOrWhiteSpace(job) || job == "system" ? "System" : $"System ({job})";
        }

        return displayName is null && email is null ? Person(actor, null) : Person(displayName ?? actor, email);
    }

    /// <summary>Where the entity can be opened, for the types that have a page of their own.</summary>
    public static string? Href(string entityType, long entityId, long? customerId) => entityType switch
    {
        nameof(User) => $"/users/{entityId}",
        nameof(Post) => $"/posts/{entityId}",
        nameof(CiamSystem) => $"/identity-providers/{entityId}",
        nameof(Customer) => $"/customers/{entityId}/domains",
        nameof(CustomerDomain) when customerId is not null => $"/customers/{customerId}/domains",
        _ => null,
    };

    /// <summary>An entry written before labels were stored: the name from its recorded changes, where they carry one.</summary>
    public static string? FromChanges(string entityType, string? changes)
    {
        // A huge value is not parsed for a label: the page would pay for it on every render of the row.
        if (string.IsNullOrEmpty(changes) || changes.Length > 64 * 1024)
        {
            return null;
        }

        string[] fields = entityType switch
        {
            nameof(User) => ["display_name", "email"],
            nameof(Post) => ["title"],
            nameof(CustomerDomain) => ["domain"],
            _ => ["name", "title", "email"],
        };
        try
        {
            using var json = JsonDocument.Parse(changes);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var found = fields.Select(f => json.RootElement.TryGetProperty(f, out var value) ? Value(value) : null).ToList();
            return entityType == nameof(User) && found.Any(f => f is not null)
                ? Clip(Person(found[0], found[1]))
                : Clip(found.FirstOrDefault(f => f is not null));
        }
        catch (JsonException)
        {
            return null;
        }

        // Either {"old": a, "new": b} (the newer name wins; a deletion only has the old) or a plain value.
        static string? Value(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => (value.TryGetProperty("new", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null)
                ?? (value.TryGetProperty("old", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null),
            _ => null,
        };
    }

    public static string? Clip(string? label) =>
        string.IsNullOrWhiteSpace(label) ? null : label.Length <= MaxLabelLength ? label : label[..(MaxLabelLength - 1)] + "…";
}

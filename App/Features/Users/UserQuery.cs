using System.Globalization;
using System.Text;

namespace AdminPortal.App.Features.Users;

/// <summary>How a user signs in: legacy credentials only, OIDC identities only, or both.</summary>
public enum AuthKind
{
    LegacyOnly,
    Oidc,
    Both,
}

public enum UserState
{
    Active,
    Inactive,
    Locked,
    /// <summary>Invited and not signed in yet (expired invitations included: they still need a resend or a revoke).</summary>
    Invited,
}

public enum UserSort
{
    Name,
    Email,
    LastLogin,
    LoginCount,
    Created,
}

/// <summary>The users grid's filters and sort, as they travel in the URL query so that a view can be bookmarked.</summary>
public sealed record UserFilter(
    string? Search = null,
    long? SiteId = null,
    AuthKind? AuthKind = null,
    SyncStatus? SyncStatus = null,
    UserState? State = null,
    int? DormantDays = null,
    UserSort Sort = UserSort.Name,
    bool Descending = false,
    long? ProviderId = null)
{
    /// <summary>Ten years: the dormancy filter's largest value, in the form and in the URL.</summary>
    public const int MaxDormantDays = 3650;
}

/// <summary>
/// Where a keyset page starts: the sort key and id of the row just before it (After) or just after it (Before).
/// Opaque in the URL (base64url), so ids above 2^53 never pass through JavaScript as numbers.
/// </summary>
public sealed record PageCursor(string? Key, long Id)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Id.ToString(CultureInfo.InvariantCulture)}|{Key ?? "\u0000"}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static PageCursor? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            string padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            string text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            int bar = text.IndexOf('|');
            string key = text[(bar + 1)..];
            return bar > 0 && long.TryParse(text[..bar], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                ? new PageCursor(key == "\u0000" ? null : key, id)
                : null;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return null; // a mangled link starts from the first page rather than failing
        }
    }

    /// <summary>A key that carries a time as UTC ticks (URL state: parsed, never trusted; out of range is not a time).</summary>
    public static bool TryTime(string? key, out DateTime time)
    {
        time = default;
        if (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        time = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    /// <summary>Text keys (names, emails, titles) are at most this long; anything longer did not come from a row.</summary>
    public const int MaxTextKeyLength = 1000;

    public bool HasTextKey => Key is { Length: <= MaxTextKeyLength };

    public bool HasTimeKey => TryTime(Key, out _);
}

public enum PageRequestKind
{
    First,
    After,
    Before,
    Last,
}

public sealed record PageRequest(PageRequestKind Kind = PageRequestKind.First, PageCursor? Cursor = null, int Size = 25);

public sealed record UserRow(
    string Id,
    string DisplayName,
    string Email,
    string SiteName,
    AuthKind AuthKind,
    int LoginCount,
    DateTime? LastLoginAt,
    SyncStatus SyncStatus,
    bool IsActive,
    bool IsLocked,
    DateTime CreatedAt,
    bool IsInvited = false);

public sealed record UserPage(List<UserRow> Rows, Data.CappedCount Total, PageCursor? First, PageCursor? Last, bool HasPrevious, bool HasNext);

/// <summary>One site's users by how they sign in: the part of the migration view that a report snapshot holds.</summary>
public sealed record SiteMigrationCounts(long SiteId, int LegacyOnly, int Both, int OidcOnly);

/// <summary>A site as the migration view names it.</summary>
public sealed record MigrationSite(long Id, string Name, string Customer);

/// <summary>One site's users by how they sign in.</summary>
public sealed record MigrationBucket(string SiteId, string Customer, string Site, int LegacyOnly, int Both, int OidcOnly)
{
    public int Total => LegacyOnly + Both + OidcOnly;
}

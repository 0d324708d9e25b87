using System.Globalization;

namespace AdminPortal.App.Tenancy;

/// <summary>
/// A platform admin's switch as the browser carries it: <c>?customer=&lt;id&gt;</c> (or <c>&lt;id&gt;.&lt;siteId&gt;</c>)
/// in the address, and the <see cref="CookieName"/> cookie that remembers it per browser. Both are untrusted input:
/// parsed strictly here, checked against the signed-in claims and the database by <see cref="LastingTenantSwitch"/>.
/// </summary>
public readonly record struct TenantSwitchRequest(long CustomerId, long? SiteId)
{
    /// <summary>The query parameter. Not "site": the users and posts grids already filter by that name.</summary>
    public const string QueryParameter = "customer";

    /// <summary>
    /// The browser's memory of the switch. A cookie rather than localStorage because the server reads it with the
    /// first request, so the prerendered page is already narrowed; it grants nothing by itself.
    /// </summary>
    public const string CookieName = "portal_tenant";

    /// <summary>Two bigints and a dot: anything longer is not an id and is refused before parsing.</summary>
    public const int MaxLength = 39;

    public string QueryValue => SiteId is { } site
        ? CustomerId.ToString(CultureInfo.InvariantCulture) + "." + site.ToString(CultureInfo.InvariantCulture)
        : CustomerId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses "123" or "123.456": positive bigints only, nothing else (no signs, spaces, exponents).</summary>
    public static bool TryParse(string? value, out TenantSwitchRequest request)
    {
        request = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        string[] parts = value.Split('.');
        if (parts.Length > 2 || ParseId(parts[0]) is not { } customer)
        {
            return false;
        }

        long? site = null;
        if (parts.Length == 2 && (site = ParseId(parts[1])) is null)
        {
            return false;
        }

        request = new TenantSwitchRequest(customer, site);
        return true;
    }

    /// <summary>The scope's switch, or null when it is not narrowed to a customer.</summary>
    public static TenantSwitchRequest? From(TenantScope scope) =>
        scope.AllCustomers || scope.CustomerId is not { } customer ? null : new TenantSwitchRequest(customer, scope.SiteId);

    /// <summary>
    /// The cookie's value: the user's id, then the switch. Bound to the user so that another platform admin signing in
    /// on the same browser starts from all customers, as they would anywhere else.
    /// </summary>
    public string CookieValue(long userId) => userId.ToString(CultureInfo.InvariantCulture) + "_" + QueryValue;

    /// <summary>The switch remembered for this user, or null (absent, malformed, or someone else's).</summary>
    public static TenantSwitchRequest? FromCookie(string? cookie, long? userId)
    {
        if (userId is null || string.IsNullOrEmpty(cookie) || cookie.Length > MaxLength + 21)
        {
            return null;
        }

        int separator = cookie.IndexOf('_');
        if (separator < 0 || ParseId(cookie[..separator]) != userId)
        {
            return null;
        }

        return TryParse(cookie[(separator + 1)..], out var request) ? request : null;
    }

    private static long? ParseId(string value) =>
        value.Length is > 0 and <= 19 && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0 ? id : null;
}

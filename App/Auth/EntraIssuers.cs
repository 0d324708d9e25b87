namespace AdminPortal.App.Auth;

/// <summary>
/// Which token issuers are Microsoft Entra: the only ones whose <c>oid</c> and <c>tid</c> claims may link a legacy
/// Azure account (<c>users.azure_object_id</c> + <c>azure_tenant_id</c>).
/// </summary>
/// <remarks>
/// Decided on the validated token's <c>iss</c>, never on the handler or the type an admin chose: Microsoft.Identity.Web
/// can be pointed at any authority, and the issuer is what the handler checked the signature against. Entra's issuers
/// carry the tenant id as their first path segment (<c>https://login.microsoftonline.com/{tid}/v2.0</c>,
/// <c>https://sts.windows.net/{tid}/</c>, <c>https://{tenant}.ciamlogin.com/{tid}/v2.0</c>), so the token's
/// <c>tid</c> must match it too.
/// </remarks>
public static class EntraIssuers
{
    /// <summary>Microsoft's sign-in hosts: the public cloud, US Government and China (21Vianet) clouds, v1 token issuers.</summary>
    private static readonly string[] Hosts =
    [
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "sts.windows.net",
        "sts.chinacloudapi.cn",
    ];

    /// <summary>Entra External ID (CIAM) tenants: <c>{tenant}.ciamlogin.com</c>.</summary>
    private const string ExternalIdSuffix = ".ciamlogin.com";

    public static bool IsEntraHost(string host) =>
        Hosts.Contains(host, StringComparer.OrdinalIgnoreCase)
        || (host.EndsWith(ExternalIdSuffix, StringComparison.OrdinalIgnoreCase) && host.Length > ExternalIdSuffix.Length);

    /// <summary>Whether <paramref name="issuer"/> is an https Entra issuer of the tenant <paramref name="tenantId"/>.</summary>
    public static bool IsEntraIssuerFor(string? issuer, string? tenantId) =>
        !string.IsNullOrWhiteSpace(tenantId)
        && Uri.TryCreate(issuer, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && uri.IsDefaultPort
        && IsEntraHost(uri.Host)
        && string.Equals(uri.Segments.Skip(1).FirstOrDefault()?.TrimEnd('/'), tenantId, StringComparison.OrdinalIgnoreCase);
}

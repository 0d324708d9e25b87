namespace AdminPortal.App.Auth;

public enum SignInHandler
{
    /// <summary>Microsoft.Identity.Web: Entra ID and Entra External ID.</summary>
    IdentityWeb,
    /// <summary>The standard OpenID Connect handler: Auth0, Okta, Keycloak, the development provider.</summary>
    OpenIdConnect,
}

/// <summary>One way to sign in, as the sign-in page lists it.</summary>
/// <param name="CiamAuthority">The authority of the ciam_systems row whose mappings this scheme's subjects are looked up in.</param>
/// <param name="CiamSystemId">Set for a provider added in the portal: its ciam_systems row, found by id.</param>
/// <param name="EntraIssued">Tokens come from Microsoft Entra (validated against its issuer), so their oid and tid claims can be trusted.</param>
public sealed record SignInProvider(string Scheme, string DisplayName, SignInHandler Handler, string CiamAuthority, long? CiamSystemId = null, bool EntraIssued = false)
{
    /// <summary>Whether this scheme's oid + tid may link a legacy Azure account.</summary>
    public bool TrustsEntraIds => Handler == SignInHandler.IdentityWeb || EntraIssued;
}

/// <summary>
/// The sign-in schemes: those configured at start-up, and those of the identity providers added in the portal, which
/// <see cref="Features.IdentityProviders.ProviderSchemes"/> replaces as a whole whenever they change.
/// </summary>
public sealed class SignInProviders
{
    private readonly List<SignInProvider> configured = [];
    private volatile IReadOnlyList<SignInProvider> runtime = [];

    public IReadOnlyList<SignInProvider> All => [.. configured, .. runtime];

    public void Add(SignInProvider provider) => configured.Add(provider);

    public void ReplaceRuntime(IReadOnlyList<SignInProvider> providers) => runtime = providers;

    /// <summary>A configured scheme that signs in for this ciam_systems authority, if any.</summary>
    public SignInProvider? ConfiguredFor(string authority) =>
        configured.FirstOrDefault(p => string.Equals(p.CiamAuthority.TrimEnd('/'), authority.TrimEnd('/'), StringComparison.Ordinal));

    public SignInProvider? Find(string scheme) => All.FirstOrDefault(p => string.Equals(p.Scheme, scheme, StringComparison.Ordinal));
}
